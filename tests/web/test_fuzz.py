"""Property-based fuzzing of the API from its own OpenAPI spec (schemathesis).

Every generated request must get an answer the spec documents: never a 500, never a
body that breaks the documented schema. The case store's routes are fuzzed signed in,
with an API token, against a store made for this module, so their bodies are reached.
Cases valid by the schema may still be refused with 422 for cross-field reasons the
schema cannot express (an end before a start, a date after ``as_of``), so positive-data
acceptance is not among the checks.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from secondline._store import Actor, Database, add_user, issue_token, upgrade
from secondline.web import create_app


def _store() -> tuple[str, str]:
    """A new store with a clinician; its URL and the clinician's API token."""
    import tempfile

    url = f"sqlite:///{tempfile.mkdtemp(prefix='secondline-fuzz-')}/store.sqlite3"
    database = Database(url)
    upgrade(database)
    admin = Actor("os:test", "admin")
    add_user(database, admin, "fuzzer", "a long enough password", "clinician")
    token = issue_token(database, admin, "fuzzer")
    database.dispose()
    return url, token


STORE_URL, TOKEN = _store()
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(STORE_URL))
# the leaflet renders a PDF or HTML document per request; its fuzzing is kept short
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_answers_as_documented(case: schemathesis.Case) -> None:
    if case.path == "/api/leaflet":
        case.query = {**(case.query or {}), "format": "html"}
    if not case.path.startswith(("/api/assess", "/api/leaflet", "/api/schema",
                                 "/api/sources", "/healthz")):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {TOKEN}"}
    case.call_and_validate(checks=CHECKS)
