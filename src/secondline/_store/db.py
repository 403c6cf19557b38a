"""Where the store is and how it is opened: one SQLAlchemy engine per database URL.

The URL comes from ``--db URL``, else ``SECONDLINE_DB``, else a SQLite file in the user's
data directory (platformdirs). SQLite runs in WAL mode with a busy timeout and full
synchronous commits; every write is one transaction that begins ``IMMEDIATE``, so two
writers queue for the lock instead of failing half-way. PostgreSQL (psycopg 3) works
through any ``postgresql+psycopg://`` URL.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from secondline._store.errors import NotReady

ENV = "SECONDLINE_DB"
#: milliseconds a SQLite writer waits for the lock before giving up
BUSY_TIMEOUT_MS = 30_000
#: times a write that lost a race (a unique reference or version taken meanwhile, a
#: PostgreSQL serialization failure) is tried again
WRITE_ATTEMPTS = 5
_T = TypeVar("_T")


def default_url() -> str:
    """A SQLite file in the user's data directory."""
    import platformdirs

    return f"sqlite:///{platformdirs.user_data_path('secondline') / 'store.sqlite3'}"


def resolve_url(given: str | None = None) -> str:
    """``given`` (``--db``), else ``SECONDLINE_DB``, else the default file. A bare path is
    taken as a SQLite file."""
    url = given or os.environ.get(ENV) or default_url()
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database or an in-memory one."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def shown(url: str) -> str:
    """The URL without its password, for messages."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # the driver's own transaction handling off: BEGIN is ours (see _begin)
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=FULL", f"busy_timeout={BUSY_TIMEOUT_MS}",
                   "foreign_keys=ON"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _begin(connection: Connection) -> None:
    """SQLite: a write transaction takes the write lock at once (``BEGIN IMMEDIATE``), so
    it never fails to upgrade a read lock half-way; a read is a plain ``BEGIN``."""
    write = connection.get_execution_options().get("store_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str) -> Engine:
    if sa.engine.make_url(url).get_backend_name() == "sqlite":
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False,
                               "timeout": BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


class Database:
    """An open store: connections for reading and writing, and its readiness."""

    def __init__(self, url: str | None = None) -> None:
        self.url = resolve_url(url)
        self.file = sqlite_path(self.url)
        self.is_sqlite = sa.engine.make_url(self.url).get_backend_name() == "sqlite"
        self._engine: Engine | None = None
        self._ready = False

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.url)
        return self._engine

    def not_ready(self, why: str) -> NotReady:
        return NotReady([f"db: the store at {shown(self.url)} {why}; run "
                         "`secondline db upgrade` (with the same --db or SECONDLINE_DB)"])

    def check_ready(self) -> None:
        """Raise NotReady unless the tables are there at this program's revision."""
        if self._ready:
            return
        if self.file is not None and not self.file.exists():
            raise self.not_ready("does not exist yet")
        from secondline._store.migrate import current_revision, head_revision

        try:
            with self.engine.connect() as connection:
                found = current_revision(connection)
        except sa.exc.OperationalError as exc:
            raise NotReady([f"db: cannot open the store at {shown(self.url)} "
                            f"({exc.orig.__class__.__name__})"]) from None
        if found is None:
            raise self.not_ready("has no tables")
        if found != head_revision():
            raise self.not_ready(f"is at revision {found}, this program needs "
                                 f"{head_revision()}")
        self._ready = True

    @contextmanager
    def read(self) -> Iterator[Connection]:
        self.check_ready()
        with self.engine.connect() as connection, connection.begin():
            yield connection

    def write(self, work: Callable[[Connection], _T]) -> _T:
        """Run ``work(connection)`` in one transaction: committed whole, or not at all.

        A write that lost a race to another writer (the same new reference or version
        number, a serialization failure) is run again from the start, a few times.
        """
        self.check_ready()
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with (self.engine.connect().execution_options(store_write=True)
                      as connection, connection.begin()):
                    result: _T = work(connection)
                return result
            except sa.exc.IntegrityError:
                if attempt == WRITE_ATTEMPTS - 1:
                    raise
            except sa.exc.OperationalError as exc:
                if attempt == WRITE_ATTEMPTS - 1 or not _retryable(exc):
                    raise
            time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def _retryable(exc: sa.exc.OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "database is locked" in text or "could not serialize" in text or (
        "deadlock" in text)
