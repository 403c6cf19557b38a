"""The web application, for ASGI servers: ``uvicorn --factory secondline.web:create_app``.

``secondline serve`` runs the same application on loopback.
"""

from secondline._web.app import create_app

__all__ = ["create_app"]
