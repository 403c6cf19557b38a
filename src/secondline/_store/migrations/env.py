"""Alembic's environment for the store: always given a connection by ``migrate.py``."""

from __future__ import annotations

from alembic import context

from secondline._store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot alter a table in place: changes are made by copying it
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
