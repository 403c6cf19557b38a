"""The web layer: JSON API, MDT page and leaflet over the engine (``secondline serve``)."""

from secondline._web.app import create_app

__all__ = ["create_app"]
