"""``secondline db upgrade``: the migrations shipped in the package, run from Python.

No ``alembic.ini`` is needed: the configuration is built here, pointing at
``migrations/`` beside this file and at the store's URL.
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from secondline._store.db import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@functools.cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def revisions() -> list[str]:
    """Every revision, oldest first."""
    script = ScriptDirectory.from_config(_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(database: Database, revision: str = "head") -> tuple[str | None, str]:
    """Create or migrate the store; return the revision before and after."""
    if database.file is not None:
        # a private folder for the default file: the store holds patient data
        database.file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not database.file.exists():
            database.file.touch(mode=0o600)
    with database.engine.begin() as connection:
        before = current_revision(connection)
        command.upgrade(_config(connection), revision)
        after = current_revision(connection)
    assert after is not None
    return before, after
