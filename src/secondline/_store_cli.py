"""The store's commands: ``secondline db | users | cases | meetings | decide | export``.

Every command takes ``--db URL`` (else ``SECONDLINE_DB``, else the SQLite file in the
user's data directory). The command line works on the database directly: whoever may
open the database may use them, and the audit trail names the operating-system account
(``os:<login>``), or the store user given with ``--user``, whose role then applies.

Exit codes as for the rest: 0 done; 2 invalid input, an unknown reference, a role that
does not allow it, or a store not set up (``secondline db upgrade``), one line per
problem naming the field.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
from typing import Any

from secondline._errors import CaseError
from secondline._store_text import print_case, print_cases, print_meeting

COMMANDS = ("db", "users", "cases", "meetings", "decide", "export")
EXIT_INVALID_INPUT = 2


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {text!r}") from None


def _attendee(text: str) -> tuple[str, str]:
    role, sep, name = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"write ROLE=NAME, e.g. haematologist=Dr A Jones: "
                                         f"{text[:40]!r}")
    return role, name


def add_commands(commands: Any) -> None:
    """Add the store's commands to the main parser's subcommands."""
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", metavar="URL", help="the store: a SQLAlchemy URL or a SQLite "
                    "file (default: $SECONDLINE_DB, else the user's data directory)")
    who = argparse.ArgumentParser(add_help=False, parents=[db])
    who.add_argument("--user", metavar="NAME", help="act as this store user (the audit "
                     "trail names them; their role applies)")
    json_flag = argparse.ArgumentParser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="print as JSON")

    group = commands.add_parser("db", help="the case store's database")
    sub = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("upgrade", parents=[db], help="create the store, or migrate it to "
                   "this version")

    group = commands.add_parser("users", help="store users and API tokens")
    sub = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = sub.add_parser("add", parents=[who], help="add a user (the password is asked for)")
    add.add_argument("username", metavar="USER")
    add.add_argument("--role", required=True, choices=("viewer", "clinician", "admin"))
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    token = sub.add_parser("token", parents=[who], help="issue an API token (printed once)")
    token.add_argument("username", metavar="USER")
    token.add_argument("--label", default="api", help="what the token is for")

    group = commands.add_parser("cases", help="cases in the store")
    sub = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = sub.add_parser("add", parents=[who], help="store a case; prints its reference")
    add.add_argument("case", metavar="CASE", help="path to the case file, or - for stdin")
    edit = sub.add_parser("edit", parents=[who], help="store a new version of a case")
    edit.add_argument("ref", metavar="REF")
    edit.add_argument("case", metavar="CASE", help="path to the case file, or - for stdin")
    sub.add_parser("list", parents=[who, json_flag], help="every case, with its latest "
                   "decision")
    show = sub.add_parser("show", parents=[who, json_flag],
                          help="a case: versions, assessments, decisions")
    show.add_argument("ref", metavar="REF")

    group = commands.add_parser("meetings", help="MDT meetings")
    sub = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    new = sub.add_parser("new", parents=[who], help="create a meeting; prints its reference")
    new.add_argument("--date", required=True, type=_date, metavar="DATE")
    new.add_argument("--name", required=True, metavar="NAME")
    new.add_argument("--attendee", action="append", type=_attendee, default=[],
                     metavar="ROLE=NAME", help="someone attending, by role (repeatable)")
    add = sub.add_parser("add", parents=[who], help="put cases on a meeting's list")
    add.add_argument("meeting", metavar="MEETING")
    add.add_argument("refs", metavar="REF", nargs="+")
    sub.add_parser("list", parents=[who, json_flag], help="every meeting")
    show = sub.add_parser("show", parents=[who, json_flag], help="a meeting and its cases")
    show.add_argument("meeting", metavar="MEETING")

    decide = commands.add_parser("decide", parents=[who],
                                 help="record the team's decision for a case at a meeting")
    decide.add_argument("ref", metavar="REF")
    decide.add_argument("--meeting", required=True, metavar="MEETING")
    decide.add_argument("--option", nargs="+", default=[], metavar="ID",
                        help="option ids chosen (from the assessment)")
    decide.add_argument("--other", action="append", default=[], metavar="TEXT",
                        help="a choice in the team's own words (repeatable)")
    decide.add_argument("--reason", metavar="CODE", help="override reason, when the choice "
                        "departs from the suggested options")
    decide.add_argument("--note", metavar="TEXT")

    export = commands.add_parser("export", parents=[who], help="every decision, one row "
                                 "each, with the suggested options beside it")
    export.add_argument("--format", choices=("csv", "json"), default="csv")


def _fail(problems: list[str], what: str) -> int:
    print(f"secondline: {what}:", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    return EXIT_INVALID_INPUT


def run(args: argparse.Namespace) -> int:
    from secondline._store import (
        Database,
        Forbidden,
        InvalidInput,
        NotFound,
        NotReady,
        StoreError,
    )

    database = Database(args.db)
    try:
        return _run(args, database)
    except CaseError as exc:
        return _fail(exc.problems, "invalid case")
    except NotReady as exc:
        return _fail(exc.problems, "the store is not set up")
    except NotFound as exc:
        return _fail(exc.problems, "not found")
    except Forbidden as exc:
        return _fail(exc.problems, "not allowed")
    except (InvalidInput, StoreError) as exc:
        return _fail(exc.problems, "invalid input")
    finally:
        database.dispose()


def _actor(args: argparse.Namespace, database: Any) -> Any:
    from secondline._store import Actor, find_actor

    if getattr(args, "user", None):
        return find_actor(database, args.user)
    return Actor(f"os:{getpass.getuser()}", "admin")


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _run(args: argparse.Namespace, database: Any) -> int:
    from secondline import _store as store
    from secondline._store.db import shown

    if args.command == "db":
        before, after = store.upgrade(database)
        print(f"store at {shown(database.url)}: "
              f"{'created' if before is None else 'revision ' + before} -> revision {after}")
        return 0
    actor = _actor(args, database)
    if args.command == "users":
        return _users(args, database, actor)
    if args.command == "cases":
        return _cases(args, database, actor)
    if args.command == "meetings":
        return _meetings(args, database, actor)
    if args.command == "decide":
        decision = store.decide(database, actor, args.ref, args.meeting, args.option,
                                args.other, args.reason, args.note)
        word = "among" if decision["among_suggested"] else "NOT among"
        print(f"decision {decision['id']} recorded for {decision['case']} at "
              f"{decision['meeting']}: {word} the suggested options")
        return 0
    rows = store.export_rows(database, actor)
    if args.format == "json":
        _print_json(rows)
    else:
        sys.stdout.write(store.export_csv(rows))
    return 0


def _users(args: argparse.Namespace, database: Any, actor: Any) -> int:
    from secondline import _store as store

    if args.action == "token":
        print(store.issue_token(database, actor, args.username, args.label))
        return 0
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            return _fail(["password: the two entries differ"], "invalid input")
    store.add_user(database, actor, args.username, password, args.role)
    print(f"user {args.username.strip().lower()} added ({args.role})")
    return 0


def _cases(args: argparse.Namespace, database: Any, actor: Any) -> int:
    from secondline import _store as store
    from secondline._parse import read_case

    if args.action == "add":
        print(store.add_case(database, actor, read_case(args.case)), flush=True)
    elif args.action == "edit":
        version = store.edit_case(database, actor, args.ref, read_case(args.case))
        print(f"{args.ref.strip().upper()} version {version}")
    elif args.action == "list":
        rows = store.list_cases(database, actor)
        _print_json(rows) if args.json else print_cases(rows)
    else:
        detail = store.show_case(database, actor, args.ref)
        _print_json(detail) if args.json else print_case(detail)
    return 0


def _meetings(args: argparse.Namespace, database: Any, actor: Any) -> int:
    from secondline import _store as store

    if args.action == "new":
        print(store.new_meeting(database, actor, args.date, args.name, args.attendee))
    elif args.action == "add":
        added = store.add_cases(database, actor, args.meeting, args.refs)
        print(f"{len(added)} case(s) added" + (f": {' '.join(added)}" if added else ""))
    elif args.action == "list":
        rows = store.list_meetings(database, actor)
        if args.json:
            _print_json(rows)
        for row in [] if args.json else rows:
            print(f"{row['ref']}  {row['date']}  {row['name']}  ({row['cases']} cases)")
    else:
        detail = store.show_meeting(database, actor, args.meeting)
        _print_json(detail) if args.json else print_meeting(detail)
    return 0
