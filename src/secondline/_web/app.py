"""The web application: the JSON API, the MDT page and the leaflet, one ASGI app."""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.requests import ClientDisconnect

from secondline import __version__
from secondline._assessment import Assessment
from secondline._case import Case
from secondline._cds_hooks.trust import Verifier, load_trust
from secondline._errors import CaseError
from secondline._knowledge import load_knowledge
from secondline._store import Database
from secondline._web import api, cds, fhir_api, pages, store_api, store_pages
from secondline._web.guard import BodyTimeout, client_gone_handler
from secondline._web.limits import BodyLimit, BodyTooLarge
from secondline._web.paths import STATIC_DIR, docs_assets_dir
from secondline._web.problems import (
    case_error_handler,
    request_error_handler,
    too_large_handler,
)
from secondline._web.security import SecurityHeaders
from secondline._web.store_errors import add_handlers

DESCRIPTION = """\
Decision support for relapsed or refractory acute lymphoblastic leukaemia and hairy
cell leukaemia. `POST /api/assess` takes a case (JSON, or YAML with any other content
type) and answers with the assessment, the same content as `secondline assess --json`.
Invalid input gets 422 with one entry per problem, each naming its field; bodies over
1 MiB get 413. secondline lists options for a person and their team to discuss; it
never prescribes and gives no doses.
"""


def _components(model: type[Case] | type[Assessment], prefix: str) -> dict[str, Any]:
    """A model's JSON Schema with its definitions hoisted into OpenAPI components.

    The case's parts are prefixed (``CaseAssessment``, ``CaseTreatment``) so they never
    collide with the output's models of the same name (``Assessment``).
    """
    schema = model.model_json_schema(
        ref_template=f"#/components/schemas/{prefix}{{model}}",
        mode="serialization" if model is Assessment else "validation",
    )
    defs = schema.pop("$defs", {})
    return {**{prefix + name: d for name, d in defs.items()}, model.__name__: schema}


def _problems_for_422(spec: dict[str, Any]) -> None:
    """Every 422 answers in one shape (``Problems``), FastAPI's own checks included."""
    problems = {"$ref": "#/components/schemas/Problems"}
    for operation in (op for item in spec["paths"].values() for op in item.values()):
        answer = operation.get("responses", {}).get("422")
        if answer is None:
            continue
        given = answer.get("content", {})
        outcome = next((c["schema"] for c in given.values()
                        if c.get("schema", {}).get("title") == "OperationOutcome"), None)
        if outcome is None:
            answer["description"] = "Invalid input: one entry per problem, naming the field"
            answer["content"] = {"application/json": {"schema": problems}}
        else:  # a FHIR or CDS Hooks route: its own problems as an OperationOutcome, and
            # FastAPI's checks of query parameters in the API's shape
            answer["content"] = {**given, "application/json": {
                "schema": {"anyOf": [problems, outcome]}}}
    schemas = spec["components"]["schemas"]
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)


#: the CDS Hooks trust file, for the worker processes of ``secondline serve --cds-trust``
CDS_TRUST_ENV = "SECONDLINE_CDS_TRUST"


def cds_verifier(path: str | None) -> Verifier | None:
    """The JWT checker for a trust file; None without one (loopback callers only).
    TrustError naming every problem of the file."""
    return Verifier(load_trust(path)) if path else None


def create_app(db: str | None = None, cds_trust: str | None = None) -> FastAPI:
    """The application. The knowledge is loaded (and checked) here, once. The case store
    is ``db`` (a URL), else ``SECONDLINE_DB``, else the default file; it is opened at
    its first use, so the application runs without one. ``cds_trust`` (else
    ``SECONDLINE_CDS_TRUST``) is the CDS Hooks trust file; without one the CDS services
    answer loopback clients only."""
    load_knowledge()
    verifier = cds_verifier(cds_trust or os.environ.get(CDS_TRUST_ENV))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.store.dispose()  # the store's pooled connections, closed on shutdown

    app = FastAPI(
        title="secondline", version=__version__, description=DESCRIPTION,
        docs_url=None, redoc_url=None, lifespan=lifespan,
    )
    app.add_exception_handler(CaseError, case_error_handler)
    app.add_exception_handler(RequestValidationError, request_error_handler)
    app.add_exception_handler(BodyTooLarge, too_large_handler)
    app.add_exception_handler(ClientDisconnect, client_gone_handler)
    app.include_router(api.router)
    app.include_router(api.health)
    app.include_router(pages.router)
    app.state.store = Database(db)
    app.state.cds_verifier = verifier
    app.state.cds_topics = OrderedDict()
    add_handlers(app)
    app.include_router(store_api.router)
    app.include_router(store_pages.router)
    app.include_router(fhir_api.router)
    app.include_router(cds.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount("/docs-assets", StaticFiles(directory=docs_assets_dir()), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title="secondline API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
            # no badge from the online validator: nothing is fetched from elsewhere
            swagger_ui_parameters={"validatorUrl": None, "syntaxHighlight": False},
        )

    app.add_middleware(BodyTimeout)
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)  # outermost: every answer carries the headers

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            spec = get_openapi(title=app.title, version=app.version,
                               description=app.description, routes=app.routes)
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            _problems_for_422(spec)
            schemas.update(_components(Case, "Case"))
            schemas.update(_components(Assessment, ""))
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
