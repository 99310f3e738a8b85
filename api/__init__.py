"""The registry's web API: REST (JSON, JSON-LD, Turtle, N-Triples), search and SPARQL.

``create_app(settings, snapshot=None, searcher=None)`` builds the ASGI app. Imports
``registry`` only (never ``search`` or ``site_builder``): the CLI hands it a searcher.
The package import is cheap (the SPARQL zygote imports ``api.sparql_pool`` alone).
"""

from __future__ import annotations

__all__ = ["Settings", "create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "Settings":
        from .settings import Settings

        return Settings
    raise AttributeError(name)
