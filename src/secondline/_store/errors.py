"""The store's errors, each carrying one line per problem that names its field.

    SecondlineError
    └── StoreError
        ├── InvalidInput   a reference, option, reason or text the store refuses (exit 2, 422)
        ├── NotFound       no case, meeting or user by that reference (exit 2, 404)
        ├── Forbidden      the user's role does not allow it (exit 2, 403)
        └── NotReady       the database has not been created or migrated (exit 2, 503)
"""

from __future__ import annotations

from secondline._errors import SecondlineError


class StoreError(SecondlineError):
    """Base class of the store's errors."""


class InvalidInput(StoreError):
    """What was sent cannot be stored; each line names the field."""


class NotFound(StoreError):
    """No such case, meeting or user."""


class Forbidden(StoreError):
    """The user's role does not allow the action."""


class NotReady(StoreError):
    """The database is missing its tables, or they are older than this program."""
