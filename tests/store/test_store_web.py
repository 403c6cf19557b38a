"""Who may do what through the web: no store route answers without a session or token,
a viewer records nothing, forms need their CSRF token, and every write is attributed to
the user who made it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from starlette.routing import Route

from secondline._store import Actor, Database, add_user, issue_token
from secondline._store.cases import Assessed, insert_assessment
from secondline._store.core import audit_rows
from secondline._store.tables import case_versions, decisions
from secondline._web import store_api, store_pages
from secondline.web import create_app
from storekit import EXAMPLES, example

ADMIN = Actor("os:test", "admin")
PASSWORD = "a long enough password"
STORE_PREFIXES = ("/api/cases", "/api/meetings", "/api/decisions", "/api/override-reasons",
                  "/meetings", "/cases", "/logout")


@pytest.fixture
def app_db(db: Database) -> Database:
    for name, role in (("carol", "clinician"), ("dave", "clinician"), ("vera", "viewer")):
        add_user(db, ADMIN, name, PASSWORD, role)
    return db


@pytest.fixture
def client(app_db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(app_db.url)) as test_client:
        yield test_client


def token_for(db: Database, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(db, ADMIN, user)}"}


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has a form with its CSRF token"
    return found.group(1)


def sign_in(client: TestClient, user: str) -> str:
    """Sign in through the form; the session's CSRF token."""
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"username": user, "password": PASSWORD,
                                         "csrf": token, "next": "/cases"},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/cases").text)


def a_meeting(client: TestClient, headers: dict[str, str]) -> tuple[str, str]:
    ref = client.post("/api/cases", content=(EXAMPLES / "hcl-late-relapse.yaml").read_bytes(),
                      headers={**headers, "content-type": "application/yaml"}).json()["ref"]
    meeting = client.post("/api/meetings", json={"date": "2026-12-01", "name": "MDT"},
                          headers=headers).json()["ref"]
    assert client.post(f"/api/meetings/{meeting}/cases", json={"cases": [ref]},
                       headers=headers).json() == {"added": [ref]}
    return ref, meeting


def store_routes() -> list[tuple[str, str]]:
    """Every route of the store's API and pages (the sign-in page aside)."""
    found = []
    for route in [*store_api.router.routes, *store_pages.router.routes]:
        assert isinstance(route, Route)
        if route.path != "/login":
            assert route.path.startswith(STORE_PREFIXES), route.path
            found += [(method, route.path) for method in sorted(route.methods or [])
                      if method != "HEAD"]
    return found


def test_no_store_route_answers_without_a_session_or_token(client: TestClient,
                                                           app_db: Database) -> None:
    ref, meeting = a_meeting(client, token_for(app_db, "carol"))
    routes = store_routes()
    assert len(routes) >= 18
    for method, path in routes:
        url = path.replace("{ref}", ref if path.startswith(("/cases", "/api/cases")) else meeting)
        for headers in ({}, {"Authorization": "Bearer sl_forged"},
                        {"Cookie": "secondline_session=forged.value.sig"}):
            answer = client.request(method, url, headers=headers, follow_redirects=False)
            if path.startswith("/api/"):
                assert answer.status_code == 401, (method, url, headers)
                assert answer.headers["www-authenticate"] == "Bearer"
                assert answer.json()["detail"][0]["field"] == "authorization"
            else:
                assert answer.status_code == 303, (method, url, headers)
                assert answer.headers["location"].startswith("/login")
            assert ref not in answer.text
            assert "HCL" not in answer.text


def test_the_open_routes_stay_open(client: TestClient) -> None:
    for path in ("/", "/healthz", "/api/sources", "/api/schema", "/openapi.json", "/docs"):
        assert client.get(path).status_code == 200, path
    case = (EXAMPLES / "hcl-late-relapse.yaml").read_bytes()
    assert client.post("/api/assess", content=case,
                       headers={"content-type": "application/yaml"}).status_code == 200


def test_a_viewer_cannot_record_a_decision(client: TestClient, app_db: Database) -> None:
    ref, meeting = a_meeting(client, token_for(app_db, "carol"))
    viewer = token_for(app_db, "vera")
    answer = client.post("/api/decisions", json={"case": ref, "meeting": meeting,
                                                 "options": ["cladribine"]}, headers=viewer)
    assert answer.status_code == 403
    assert answer.json()["detail"][0]["field"] == "role"
    assert client.get(f"/api/meetings/{meeting}", headers=viewer).status_code == 200
    csrf = sign_in(client, "vera")
    page = client.get(f"/meetings/{meeting}").text
    assert "Record the decision" not in page
    answer = client.post(f"/meetings/{meeting}/decisions", data={
        "csrf": csrf, "case": ref, "options": "cladribine"})
    assert answer.status_code == 403
    assert "a viewer may read the store but not record decisions" in answer.text
    with app_db.read() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(
            decisions)).scalar_one() == 0


def test_forms_need_their_csrf_token(client: TestClient, app_db: Database) -> None:
    ref, meeting = a_meeting(client, token_for(app_db, "carol"))
    # the sign-in form: its token must match the cookie it came with
    answer = client.post("/login", data={"username": "carol", "password": PASSWORD,
                                         "csrf": "guessed"}, follow_redirects=False)
    assert answer.status_code == 403
    assert "secondline_session" not in answer.headers.get("set-cookie", "")
    csrf = sign_in(client, "carol")
    forms = [(f"/meetings/{meeting}/decisions", {"case": ref, "options": "cladribine"}),
             (f"/meetings/{meeting}/cases", {"refs": ref}),
             ("/meetings", {"date": "2026-12-02", "name": "Another"}),
             ("/logout", {})]
    for path, fields in forms:
        for forged in ({}, {"csrf": ""}, {"csrf": csrf[:-1] + "x"}):
            answer = client.post(path, data={**fields, **forged}, follow_redirects=False)
            assert answer.status_code == 403, (path, forged)
    # the API with the session cookie needs it as a header
    body = {"case": ref, "meeting": meeting, "options": ["cladribine"]}
    assert client.post("/api/decisions", json=body).status_code == 403
    assert client.post("/api/decisions", json=body,
                       headers={"X-CSRF-Token": csrf}).status_code == 201
    with app_db.read() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(
            decisions)).scalar_one() == 1
    answer = client.post(f"/meetings/{meeting}/decisions", data={
        **body, "options": "rituximab", "csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 303


def test_a_decision_is_attributed_to_the_user_who_made_it(client: TestClient,
                                                          app_db: Database) -> None:
    ref, meeting = a_meeting(client, token_for(app_db, "carol"))
    body = {"case": ref, "meeting": meeting, "options": ["cladribine"]}
    assert client.post("/api/decisions", json=body,
                       headers=token_for(app_db, "dave")).json()["decided_by"] == "dave"
    csrf = sign_in(client, "carol")
    client.post(f"/meetings/{meeting}/decisions",
                data={"csrf": csrf, "case": ref, "options": "rituximab"})
    with app_db.read() as connection:
        rows = [r for r in audit_rows(connection) if r["action"] == "decision.record"]
        made = connection.execute(sa.select(decisions.c.decided_by).order_by(
            decisions.c.id)).scalars().all()
    assert [(r["actor"], r["detail"]["options"]) for r in reversed(rows)] == [
        ("dave", ["cladribine"]), ("carol", ["rituximab"])]
    assert made == ["dave", "carol"]


def test_session_cookies_are_httponly_samesite_and_secure_behind_tls(
    app_db: Database, monkeypatch: pytest.MonkeyPatch,
) -> None:
    with TestClient(create_app(app_db.url)) as plain:
        token = csrf_of(plain.get("/login").text)
        answer = plain.post("/login", data={"username": "carol", "password": PASSWORD,
                                            "csrf": token}, follow_redirects=False)
    cookie = answer.headers["set-cookie"]
    assert "secondline_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie.split("secondline_login_csrf")[0]
    with TestClient(create_app(app_db.url), base_url="https://mdt.example") as tls:
        token = csrf_of(tls.get("/login").text)
        answer = tls.post("/login", data={"username": "carol", "password": PASSWORD,
                                          "csrf": token}, follow_redirects=False)
    assert "Secure" in answer.headers["set-cookie"].split("secondline_login_csrf")[0]
    assert answer.headers["location"] == "/meetings"


def test_a_wrong_password_or_a_crafted_next_lets_no_one_anywhere(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"username": "carol", "password": "wrong password",
                                         "csrf": token})
    assert answer.status_code == 401
    assert "do not match" in answer.text
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        token = csrf_of(client.get("/login").text)
        answer = client.post("/login", data={"username": "carol", "password": PASSWORD,
                                             "csrf": token, "next": target},
                             follow_redirects=False)
        assert answer.headers["location"] == "/meetings"


def test_the_api_stores_and_answers_in_the_contract_shape(client: TestClient,
                                                          app_db: Database) -> None:
    headers = token_for(app_db, "carol")
    bad = client.post("/api/cases", json={"age": 200, "disease": "B-ALL"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "age"
    ref, meeting = a_meeting(client, headers)
    edited = client.post(f"/api/cases/{ref}/versions", headers=headers, json={
        **example("hcl-late-relapse").model_dump(mode="json", exclude_unset=True), "age": 70})
    assert edited.status_code == 201
    assert edited.json() == {"ref": ref, "version": 2}
    assert client.get("/api/cases/C-00000000", headers=headers).json() == {
        "detail": [{"field": "ref", "message": "no case C-00000000 in the store"}]}
    assert client.get("/api/meetings/nonsense", headers=headers).status_code == 422
    answer = client.post("/api/decisions", headers=headers, json={
        "case": ref, "meeting": meeting, "options": ["stem-cell-transplant"]})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"] == "reason"
    too_many = client.post("/api/decisions", headers=headers, json={
        "case": ref, "meeting": meeting, "options": ["cladribine"] * 11})
    assert too_many.status_code == 422
    assert client.post("/api/decisions", headers=headers, json={
        "case": ref, "meeting": meeting, "options": ["cladribine"], "extra": 1,
    }).status_code == 422
    decided = client.post("/api/decisions", headers=headers, json={
        "case": ref, "meeting": meeting, "options": ["cladribine"], "note": "agreed"})
    assert decided.status_code == 201
    rows = client.get("/api/decisions", headers=headers).json()
    assert [r["chosen"] for r in rows] == [[{"id": "cladribine"}]]
    exported = client.get("/api/decisions?format=csv", headers=headers)
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.text.splitlines()[1].split(",")[6] == ref
    reasons = client.get("/api/override-reasons", headers=headers).json()
    assert all({"code", "display"} <= set(r) for r in reasons)
    detail = client.get(f"/api/cases/{ref}", headers=headers).json()
    assert [v["version"] for v in detail["versions"]] == [1, 2]
    sign_in(client, "carol")
    page = client.get(f"/cases/{ref}").text
    assert "Version 2, stored" in page
    assert ": changed age</summary>" in page
    assert "Version 1, stored" in page


def test_the_openapi_document_describes_the_store(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/cases", "/api/cases/{ref}", "/api/cases/{ref}/versions",
                 "/api/meetings", "/api/meetings/{ref}", "/api/meetings/{ref}/cases",
                 "/api/decisions", "/api/override-reasons"):
        assert path in spec["paths"], path
        for operation in spec["paths"][path].values():
            assert "401" in operation["responses"]
            assert {"token", "session"} <= {k for s in operation["security"] for k in s}
    assert spec["components"]["securitySchemes"]["token"]["scheme"] == "bearer"
    assert "security" not in spec["paths"]["/api/assess"]["post"]


def test_a_store_not_set_up_answers_503_to_a_user_and_401_to_anyone(
    tmp_path: Path,
) -> None:
    with TestClient(create_app(f"sqlite:///{tmp_path / 'none.sqlite3'}")) as fresh:
        assert fresh.get("/api/cases").status_code == 401
        answer = fresh.get("/api/cases", headers={"Authorization": "Bearer sl_x"})
        assert answer.status_code == 503
        assert "secondline db upgrade" in answer.json()["detail"][0]["message"]
        page = fresh.get("/login")
        assert page.status_code == 200
        answer = fresh.post("/login", data={"username": "a", "password": "b" * 10,
                                            "csrf": csrf_of(page.text)})
        assert answer.status_code == 503
        assert "secondline db upgrade" in answer.text
    assert not (tmp_path / "none.sqlite3").exists()


def test_the_meeting_page_shows_summary_and_plan_when_the_assessment_has_them(
    client: TestClient, app_db: Database,
) -> None:
    _, meeting = a_meeting(client, token_for(app_db, "carol"))
    sign_in(client, "carol")
    page = client.get(f"/meetings/{meeting}").text
    case = example("hcl-late-relapse")
    fresh = json.loads(Assessed.of(case).result)
    assert fresh["summary"] in page  # the engine's summary and plan, as stored
    assert "<strong>Treatment for the hairy cell leukaemia</strong> (choose one)" in page
    assert "another version of the knowledge base" not in page
    assert "Options the sources describe" not in page
    # an assessment stored before the engine gave a summary and a plan: the page makes a
    # line of its fields and groups the options by category
    shown = {k: v for k, v in fresh.items() if k not in ("summary", "plan")}
    with app_db.engine.begin() as connection:
        version = connection.execute(sa.select(sa.func.max(case_versions.c.id))).scalar_one()
        insert_assessment(connection, version, Assessed(
            case.as_of, json.dumps(shown), "sha256:" + "0" * 64))
    page = client.get(f"/meetings/{meeting}").text
    assert "made with another version of the knowledge base" in page
    assert "HCL, relapsed; 3 options the sources describe" in page
    assert "Options the sources describe (3)" in page
    shown = {**fresh, "summary": "Late relapse of HCL: a purine analogue again.",
             "plan": [{"step": "first", "title": "Treatment", "choose": "one",
                       "options": ["cladribine", "rituximab"]}]}
    with app_db.engine.begin() as connection:
        insert_assessment(connection, version, Assessed(
            case.as_of, json.dumps(shown), "sha256:" + "0" * 64))
    page = client.get(f"/meetings/{meeting}").text
    assert shown["summary"] in page
    assert "<strong>Treatment</strong> (choose one)" in page
    assert "Cladribine, Rituximab" in page
    pack = client.get(f"/meetings/{meeting}/pack").text
    assert shown["summary"] in pack
