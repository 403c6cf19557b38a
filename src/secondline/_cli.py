"""The command line: ``secondline assess | leaflet | export-fhir | schema | sources | serve |
cohort | check | catalogue``, and the case store's commands (``_store_cli``).

A CASE is a case file (YAML or JSON) or a FHIR R4 Bundle (JSON with ``resourceType``),
told apart by its content.

Exit codes: 0 done; 2 the input (case or arguments) is invalid; 3 the knowledge base
is invalid. Problems go to standard error, one line each, never as a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from secondline import __version__, _store_cli
from secondline._errors import CaseError, KnowledgeError

EXIT_INVALID_INPUT = 2
EXIT_INVALID_KNOWLEDGE = 3
#: the leaflet's format, from the output file's suffix
LEAFLET_SUFFIXES = {".html": "html", ".htm": "html", ".pdf": "pdf"}


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="secondline",
        description=(
            "Decision support for relapsed or refractory ALL and hairy cell leukaemia. "
            "Lists options the cited sources describe; supports, never replaces, the "
            "treating team's judgement."
        ),
    )
    parser.add_argument("--version", action="version", version=f"secondline {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    assess = commands.add_parser(
        "assess", help="assess one case (YAML or JSON, or a FHIR R4 Bundle)")
    assess.add_argument(
        "case", metavar="CASE",
        help="path to the case file or FHIR Bundle, or - for standard input"
    )
    assess.add_argument("--json", action="store_true",
                        help="print the assessment as JSON (the same as --format json)")
    assess.add_argument("--format", choices=("text", "json", "fhir"),
                        help="text (the report, the default), json (the assessment) or fhir "
                        "(a FHIR R4 Bundle: the plan as a CPG RequestGroup)")
    assess.add_argument("--as-of", type=_date, metavar="DATE", help="judge the case at this date")
    assess.add_argument("--guidance", choices=("current",),
                        help="current: add the dated layer of guidance newer than the pages")

    leaflet = commands.add_parser(
        "leaflet", help="write the patient leaflet for one case, as HTML or PDF"
    )
    leaflet.add_argument(
        "case", metavar="CASE", help="path to the case file, or - for standard input"
    )
    leaflet.add_argument("-o", "--output", required=True, metavar="FILE",
                         help="the file to write (.html, .htm or .pdf)")
    leaflet.add_argument("--format", choices=("html", "pdf"),
                         help="html or pdf (default: from the suffix of FILE)")
    leaflet.add_argument("--as-of", type=_date, metavar="DATE", help="judge the case at this date")
    leaflet.add_argument("--guidance", choices=("current",),
                         help="current: say what newer guidance adds to the pages")

    export = commands.add_parser(
        "export-fhir", help="write one case as a FHIR R4 Bundle (type collection)")
    export.add_argument(
        "case", metavar="CASE",
        help="path to the case file or FHIR Bundle, or - for standard input")
    export.add_argument("-o", "--output", metavar="FILE",
                        help="the file to write (default: standard output)")
    export.add_argument("--as-of", type=_date, metavar="DATE", help="judge the case at this date")

    schema = commands.add_parser("schema", help="print the case format as JSON Schema")
    schema.add_argument(
        "--assessment", action="store_true",
        help="print the schema of the assessment (the output of assess --json) instead",
    )

    sources = commands.add_parser("sources", help="list the sources behind the knowledge")
    sources.add_argument("--json", action="store_true", help="print as JSON")
    sources.add_argument(
        "--as-of", type=_date, metavar="DATE", help="judge review dates at this date"
    )

    serve = commands.add_parser(
        "serve", help="run the web application (MDT page, patient leaflet and JSON API)"
    )
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=int, default=None, metavar="N",
                       help="worker processes (default: one per CPU core)")
    serve.add_argument("--db", metavar="URL", help="the case store (default: "
                       "$SECONDLINE_DB, else a SQLite file in the user's data directory)")
    serve.add_argument("--cds-trust", metavar="FILE",
                       help="the EHRs trusted to call the CDS Hooks services (YAML or JSON: "
                       "issuers with their keys inline or a jku allow-list); every hook "
                       "call then needs their signed JWT. Without it the CDS services "
                       "answer only clients on this machine")

    from secondline._cohort_cli import add_parser

    add_parser(commands, _date)
    commands.add_parser("check", help="check the knowledge base and report every problem")
    commands.add_parser("catalogue", help="print the knowledge catalogue (Markdown)")
    _store_cli.add_commands(commands)
    return parser


def _fail(problems: list[str], code: int, what: str) -> int:
    print(f"secondline: {what}:", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    return code


def _read(args: argparse.Namespace) -> tuple[Any, Any] | int:
    """The case and, for a FHIR Bundle, the record of its reading; or the exit code."""
    from secondline._fhir.bundle import BundleError
    from secondline._fhir.source import case_from_source

    try:
        return case_from_source(args.case, args.as_of)
    except BundleError as exc:
        return _fail(exc.problems, EXIT_INVALID_INPUT, "invalid FHIR Bundle")
    except CaseError as exc:
        return _fail(exc.problems, EXIT_INVALID_INPUT, "invalid case")


def _assess(args: argparse.Namespace) -> int:
    from secondline._engine import assess

    if args.json and args.format not in (None, "json"):
        return _fail([f"--json and --format {args.format} ask for two different outputs; "
                      "give one"], EXIT_INVALID_INPUT, "invalid argument")
    fmt = "json" if args.json else (args.format or "text")
    read = _read(args)
    if isinstance(read, int):
        return read
    case, reading = read
    result = assess(case, guidance=args.guidance)
    if fmt == "fhir":
        from secondline._fhir.request_group import plan_bundle

        bundle = plan_bundle(result, case, reading)
        sys.stdout.write(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n")
        return 0
    if reading is not None:
        from secondline._fhir.output import with_input

        result = with_input(result, reading)
    if fmt == "json":
        from secondline._assessment import assessment_json

        sys.stdout.write(assessment_json(result))
        return 0
    from rich.console import Console

    from secondline._report import render

    render(result, Console(), case)
    return 0


def _export(args: argparse.Namespace) -> int:
    from secondline._fhir.write import write_bundle

    read = _read(args)
    if isinstance(read, int):
        return read
    text = json.dumps(write_bundle(read[0]), indent=2, ensure_ascii=False) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return _fail([f"{args.output}: cannot be written ({reason})"], EXIT_INVALID_INPUT,
                     "invalid argument")
    return 0


def _leaflet(args: argparse.Namespace) -> int:
    output = Path(args.output)
    fmt = args.format or LEAFLET_SUFFIXES.get(output.suffix.lower())
    if fmt is None:
        return _fail(
            [f"{args.output}: cannot tell the format from the suffix '{output.suffix}'; "
             "name a .html, .htm or .pdf file, or give --format html or --format pdf"],
            EXIT_INVALID_INPUT, "invalid argument",
        )
    read = _read(args)
    if isinstance(read, int):
        return read
    case = read[0]
    from secondline._engine import assess
    from secondline._leaflet import leaflet_html, leaflet_pdf

    result = assess(case, guidance=args.guidance)
    data = (leaflet_pdf(case, result) if fmt == "pdf"
            else leaflet_html(case, result).encode("utf-8"))
    try:
        output.write_bytes(data)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return _fail([f"{args.output}: cannot be written ({reason})"], EXIT_INVALID_INPUT,
                     "invalid argument")
    return 0


def _sources(args: argparse.Namespace) -> int:
    from secondline._knowledge import load_knowledge
    from secondline._sources import judged_sources

    sources = judged_sources(load_knowledge(), args.as_of or dt.date.today())
    if args.json:
        print(json.dumps([s.model_dump(mode="json") for s in sources], indent=2))
        return 0
    words = {True: "REVIEW OVERDUE", False: "in date", None: "no review date given"}
    for s in sources:
        print(f"{s.id}: {s.publisher}, {s.title}")
        print(f"    {s.url or '(no confirmed public address)'}")
        print(f"    last reviewed {s.last_reviewed or 'not given'}; next review due "
              f"{s.next_review_due or 'not given'} ({words[s.review_overdue]})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "assess":
            return _assess(args)
        if args.command == "leaflet":
            return _leaflet(args)
        if args.command == "export-fhir":
            return _export(args)
        if args.command == "schema":
            from secondline._parse import assessment_json_schema, case_json_schema

            schema = assessment_json_schema() if args.assessment else case_json_schema()
            print(json.dumps(schema, indent=2))
            return 0
        if args.command == "sources":
            return _sources(args)
        if args.command == "cohort":
            from secondline._cohort_cli import main as cohort

            try:
                return cohort(args)
            except CaseError as exc:
                return _fail(exc.problems, EXIT_INVALID_INPUT, "invalid input")
        if args.command in _store_cli.COMMANDS:
            return _store_cli.run(args)
        if args.command == "serve":
            from secondline._web.serve import serve

            try:
                return serve(args.host, args.port, args.workers, args.db, args.cds_trust)
            except CaseError as exc:  # an unusable trust file
                return _fail(exc.problems, EXIT_INVALID_INPUT, "invalid --cds-trust file")
        if args.command == "check":
            from secondline._fhir.mapping import check_mapping
            from secondline._knowledge import load_knowledge

            knowledge = load_knowledge()
            mapping, problems = check_mapping(knowledge=knowledge)
            if mapping is None:
                raise KnowledgeError(problems)
            print(f"knowledge base ok: {len(knowledge.options)} options, "
                  f"{len(knowledge.sources)} sources, {len(knowledge.drugs.drugs)} drugs")
            print(f"FHIR mapping ok: {mapping.verified_count} codes read (standard and the "
                  "project's own), "
                  f"{len(mapping.unverified)} unverified codes listed and never read")
            return 0
        from secondline._catalogue import catalogue

        sys.stdout.write(catalogue())
        return 0
    except KnowledgeError as exc:
        return _fail(exc.problems, EXIT_INVALID_KNOWLEDGE, "the knowledge base is invalid")


def run() -> None:
    """Console-script entry point."""
    raise SystemExit(main())


if __name__ == "__main__":
    run()
