"""The case store: cases kept as versions, their assessments as shown, MDT meetings,
decisions and an append-only audit trail, in SQLite (the default) or PostgreSQL.

It sits over the engine (it asks ``assess`` for every assessment it keeps) and under
the interfaces: the command line and the web application import it; it imports
neither.
"""

from secondline._store.cases import add_case, edit_case, list_cases, show_case
from secondline._store.core import ROLES, Actor
from secondline._store.db import Database, resolve_url
from secondline._store.decisions import EXPORT_COLUMNS, decide, export_csv, export_rows
from secondline._store.errors import Forbidden, InvalidInput, NotFound, NotReady, StoreError
from secondline._store.feedback import FeedbackEntry, record_feedback
from secondline._store.meetings import add_cases, list_meetings, new_meeting, show_meeting
from secondline._store.migrate import upgrade
from secondline._store.reasons import Coding, override_reasons
from secondline._store.users import add_user, find_actor, issue_token

__all__ = [
    "EXPORT_COLUMNS", "ROLES", "Actor", "Coding", "Database", "FeedbackEntry", "Forbidden",
    "InvalidInput",
    "NotFound", "NotReady", "StoreError", "add_case", "add_cases", "add_user", "decide",
    "edit_case", "export_csv", "export_rows", "find_actor", "issue_token", "list_cases",
    "list_meetings", "new_meeting", "override_reasons", "record_feedback", "resolve_url",
    "show_case",
    "show_meeting", "upgrade",
]
