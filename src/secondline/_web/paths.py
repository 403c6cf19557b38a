"""Where the web layer's files live (inside the installed package)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATES_DIR = PACKAGE_DIR / "templates"


def docs_assets_dir() -> Path:
    """Swagger UI's files, installed with the app (fastapi-offline ships them)."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"
