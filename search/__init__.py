"""Chinese full-text search of the registry (whoosh, CJK bigrams + jieba query words).

``SearchIndex.open(root, snapshot)`` opens the index of a snapshot (building it into
``.powers-cache/`` first when the data changed); ``.search(q, department=…, …)`` returns
ranked hits with facets and highlights. Imports ``registry`` only.
"""

from .engine import FacetValue, Hit, SearchIndex, SearchResult

__all__ = ["FacetValue", "Hit", "SearchIndex", "SearchResult"]
