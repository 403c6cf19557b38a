"""The MDT page: a form for every case field, and the results under it.

Server-rendered and usable without a mouse or JavaScript: every action is a button in
the form (assess, add or remove a treatment row, save, leaflet), and a problem is
shown next to the input it names.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

import yaml
from fastapi import APIRouter, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from secondline._engine import assess
from secondline._errors import CaseError
from secondline._fhir.output import with_input
from secondline._fhir.source import case_from_data, is_fhir
from secondline._parse import load_text, parse_case
from secondline._web import view
from secondline._web.api import leaflet_response
from secondline._web.form import FormView, case_from_form

Guidance = Literal["current"] | None

router = APIRouter(include_in_schema=False)
_SMALL = re.compile(r"[0-9]{1,3}")


def _page(request: Request, form: FormView, results: dict[str, Any] | None = None,
          *, status: int = 200, focus: str | None = None,
          guidance: Guidance = None) -> HTMLResponse:
    context = {"form": form, "results": results, "focus": focus, "guidance": guidance,
               **view.page_context()}
    return view.templates.TemplateResponse(request, "mdt.html", context, status_code=status)


def _assessed(request: Request, data: dict[str, Any], guidance: Guidance = None) -> HTMLResponse:
    """The page with the case's results, or with its problems beside the inputs. CPU
    work (parse, assess, render): the handlers call it off the event loop."""
    try:
        case = parse_case(data)
    except CaseError as exc:
        return _page(request, FormView(data, exc.problems), status=422, guidance=guidance)
    return _page(request, FormView(data),
                 view.results_context(case, assess(case, guidance=guidance)),
                 guidance=guidance)


def _guidance(form: FormData) -> Guidance:
    """The form's switch for the current-guidance layer (anything else: off)."""
    return "current" if form.get("_guidance") == "current" else None


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return _page(request, FormView({"treatments": [{}]}))


def _rows(form: FormData, data: dict[str, Any]) -> list[Any]:
    """The treatment rows as the form shows them, empty ones included."""
    rows = [row or {} for row in data.get("treatments", [])]
    shown = str(form.get("_rows", "0"))
    count = int(shown) if _SMALL.fullmatch(shown) else 0
    return rows + [{} for _ in range(min(count, 50) - len(rows))]


def _filename(data: dict[str, Any], suffix: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", str(data.get("id") or "case")).strip("-")
    return f"{name or 'case'}.{suffix}"


@router.post("/", response_class=HTMLResponse)
async def submit(request: Request) -> Response:
    form = await request.form()
    action = str(form.get("_action", "assess"))
    guidance = _guidance(form)
    fields = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    editing = action == "add-treatment" or action.startswith("remove-treatment:")
    data = case_from_form(fields, keep_empty_rows=editing)
    if editing:
        rows = _rows(form, data)
        focus = None
        if action == "add-treatment":
            rows.append({})
            focus = f"treatments[{len(rows) - 1}].drugs"
        else:
            index = action.partition(":")[2]
            if _SMALL.fullmatch(index) and int(index) < len(rows):
                del rows[int(index)]
            focus = "add-treatment"
        return _page(request, FormView({**data, "treatments": rows}), focus=focus,
                     guidance=guidance)
    if action in ("save-yaml", "save-json"):
        suffix = action.removeprefix("save-")
        text = (json.dumps(data, indent=2, default=str) + "\n" if suffix == "json"
                else yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        return Response(text, media_type="application/json" if suffix == "json"
                        else "application/yaml", headers={
                            "Content-Disposition":
                            f'attachment; filename="{_filename(data, suffix)}"'})
    if action in ("leaflet-pdf", "leaflet-html"):
        try:
            case = parse_case(data)
        except CaseError as exc:
            return _page(request, FormView(data, exc.problems), status=422,
                         guidance=guidance)
        fmt = action.removeprefix("leaflet-")
        return await run_in_threadpool(leaflet_response, case, fmt, guidance)
    return await run_in_threadpool(_assessed, request, data, guidance)


@router.post("/load", response_class=HTMLResponse)
async def load(request: Request, file: UploadFile) -> HTMLResponse:
    raw = await file.read()
    name = file.filename or "the file"
    return await run_in_threadpool(_loaded, request, raw, name)


def _loaded(request: Request, raw: bytes, name: str) -> HTMLResponse:
    """The page for an uploaded case file: its results, or its problems with their lines."""
    try:
        text = raw.decode("utf-8")
        data = load_text(text, name)
    except UnicodeDecodeError:
        return _page(request, FormView({}, [f"{name}: not UTF-8 text"]), status=422)
    except CaseError as exc:
        return _page(request, FormView({}, exc.problems), status=422)
    if not isinstance(data, dict):
        problem = f"{name}: must be a mapping of case fields"
        return _page(request, FormView({}, [problem]), status=422)
    if is_fhir(data):
        return _loaded_bundle(request, data)
    return _assessed(request, data)


def _loaded_bundle(request: Request, data: dict[str, Any]) -> HTMLResponse:
    """A FHIR Bundle: the case read from it fills the form, and the results say what was
    read from where and what was not read."""
    try:
        case, reading = case_from_data(data)
    except CaseError as exc:  # a BundleError too
        return _page(request, FormView({}, exc.problems), status=422)
    result = with_input(assess(case), reading)
    return _page(request, FormView(case.model_dump(mode="json", exclude_none=True)),
                 view.results_context(case, result))
