"""The static site: every power, department, law and code list as bilingual pages.

``build(root, out)`` is the one entry point (``powers build`` calls it). It imports the
``registry`` core and nothing of ``search/`` or ``api/``.
"""

from .build import BuildError, BuildReport, build

__all__ = ["BuildError", "BuildReport", "build"]
