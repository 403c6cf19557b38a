"""Alembic: the migrations build exactly the tables the code describes, from an empty
database and from one made by the first migration (with rows in it)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from secondline._store import Database, add_case, upgrade
from secondline._store.migrate import current_revision, head_revision, revisions
from secondline._store.tables import APPEND_ONLY, metadata
from storekit import CLINICIAN, example


def schema(database: Database) -> dict[str, Any]:
    """Tables, columns (name, type, nullable), keys, unique constraints, indexes."""
    inspector = sa.inspect(database.engine)
    out: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        out[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"])
                        for c in inspector.get_columns(table)],
            "primary": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign": sorted((tuple(f["constrained_columns"]), f["referred_table"])
                              for f in inspector.get_foreign_keys(table)),
            "unique": sorted(tuple(u["column_names"])
                             for u in inspector.get_unique_constraints(table)),
            "indexes": sorted((i["name"], tuple(i["column_names"]))
                              for i in inspector.get_indexes(table)),
        }
    return out


def diffs(database: Database) -> list[Any]:
    with database.engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))


def test_there_is_more_than_one_revision_so_the_path_matters() -> None:
    assert revisions() == ["0001", "0002"]
    assert head_revision() == "0002"


def test_empty_and_first_revision_databases_migrate_to_one_schema(
    db_url: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from store.conftest import new_url  # the same backend, a second database

    backend = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    fresh = Database(db_url)
    assert upgrade(fresh) == (None, "0002")

    stepped = Database(new_url(backend, tmp_path_factory.mktemp("stepped"), request))
    assert upgrade(stepped, "0001") == (None, "0001")
    with stepped.engine.connect() as connection:
        assert current_revision(connection) == "0001"
    assert diffs(stepped)  # the first revision lacks the indexes the code describes
    assert upgrade(stepped) == ("0001", "0002")

    assert schema(fresh) == schema(stepped)
    assert diffs(fresh) == []
    assert diffs(stepped) == []
    # the second revision is real: the append-only rule holds after either path
    for database in (fresh, stepped):
        add_case(database, CLINICIAN, example("hcl-late-relapse"))
        for table in APPEND_ONLY[:2]:
            with pytest.raises(sa.exc.DBAPIError), database.engine.begin() as connection:
                connection.execute(sa.text(f"DELETE FROM {table}"))
        database.dispose()


def test_upgrading_twice_changes_nothing(db: Database) -> None:
    before = schema(db)
    ref = add_case(db, CLINICIAN, example("hcl-late-relapse"))
    assert upgrade(db) == ("0002", "0002")
    assert schema(db) == before
    from secondline._store import show_case

    assert show_case(db, CLINICIAN, ref)["versions"][0]["version"] == 1


def test_a_store_at_an_older_revision_is_not_used_until_upgraded(db_url: str) -> None:
    database = Database(db_url)
    upgrade(database, "0001")
    from secondline._store import NotReady, list_cases

    with pytest.raises(NotReady, match="is at revision 0001, this program needs 0002"):
        list_cases(database, CLINICIAN)
    upgrade(database)
    assert list_cases(database, CLINICIAN) == []
    database.dispose()
