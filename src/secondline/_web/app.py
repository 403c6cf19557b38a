"""The web application: the JSON API, the MDT page and the leaflet, one ASGI app."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles

from secondline import __version__
from secondline._assessment import Assessment
from secondline._case import Case
from secondline._errors import CaseError
from secondline._knowledge import load_knowledge
from secondline._web import api, pages
from secondline._web.limits import BodyLimit
from secondline._web.paths import STATIC_DIR
from secondline._web.problems import case_error_handler, request_error_handler
from secondline._web.security import SecurityHeaders

DESCRIPTION = """\
Decision support for relapsed or refractory acute lymphoblastic leukaemia and hairy
cell leukaemia. `POST /api/assess` takes a case (JSON, or YAML with any other content
type) and answers with the assessment, the same content as `secondline assess --json`.
Invalid input gets 422 with one entry per problem, each naming its field; bodies over
1 MiB get 413. secondline lists options for a person and their team to discuss; it
never prescribes and gives no doses.
"""


def _components(model: type[Case] | type[Assessment], name: str) -> dict[str, Any]:
    """A model's JSON Schema with its definitions hoisted into OpenAPI components."""
    ref = "#/components/schemas/{model}"
    schema = model.model_json_schema(
        ref_template=ref, mode="serialization" if model is Assessment else "validation"
    )
    defs = schema.pop("$defs", {})
    return {**defs, name: schema}


def create_app() -> FastAPI:
    """The application. The knowledge is loaded (and checked) here, once."""
    load_knowledge()
    app = FastAPI(
        title="secondline", version=__version__, description=DESCRIPTION,
        docs_url="/docs", redoc_url=None,
        swagger_ui_parameters={"syntaxHighlight": False},
    )
    app.add_exception_handler(CaseError, case_error_handler)
    app.add_exception_handler(RequestValidationError, request_error_handler)
    app.include_router(api.router)
    app.include_router(api.health)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            spec = get_openapi(title=app.title, version=app.version,
                               description=app.description, routes=app.routes)
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(_components(Case, "Case"))
            schemas.update(_components(Assessment, "Assessment"))
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
