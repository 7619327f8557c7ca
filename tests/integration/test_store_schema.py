"""Migrations, schema status and the UTC datetime type, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import JSON, Column, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import StatementError
from sqlalchemy.sql.sqltypes import DateTime

from bot.store import Base, Database, Patient, UTCDateTime, alembic_config
from tests.migrations import HEAD, newer_code


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


def _compare_default(
    _ctx: object, _insp: object, column: Column[object], *_: object
) -> bool | None:
    """PostgreSQL cannot compare JSON values with ``=``; JSON defaults are checked by eye."""
    return False if isinstance(column.type, JSON) else None


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": _compare_default}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_creates_every_table_once(db: Database) -> None:
    assert await db.schema_status() == "empty"
    await db.upgrade()
    assert await db.schema_status() == "current"
    await db.upgrade()  # already at head: nothing to do, nothing breaks
    assert await db.schema_status() == "current"
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(c.dialect.get_table_names(c)))
    assert {"patients", "sessions", "reports", "timers", "locks", "alembic_version"} <= tables
    assert "media_files" in tables
    if db.dialect == "sqlite":
        async with db.engine.connect() as conn:
            pragmas = [
                (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            ]
        assert pragmas == ["wal", 1, 15_000]


def test_alembic_command_line_config_migrates(sqlite_url: str, tmp_path: Path) -> None:
    """The ``alembic`` commands (e.g. autogenerate) work from a config built in code."""
    command.upgrade(alembic_config(sqlite_url), "head")
    with sqlite3.connect(tmp_path / "bot.db") as conn:
        (version,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert version == HEAD


async def test_migration_matches_models(db: Database) -> None:
    await db.upgrade()
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
        # The comparison is live: a missing index is noticed.
        await conn.execute(text("DROP INDEX ix_timers_state_due_at"))
        assert await conn.run_sync(_diff) != []
        await conn.rollback()


async def test_schema_status_behind_and_ahead(database_url: str, tmp_path: Path) -> None:
    scripts = newer_code(tmp_path)
    newer = Database(database_url, script_location=scripts)
    current = Database(database_url)
    try:
        await newer.upgrade(HEAD)
        assert await newer.schema_status() == "behind"
        await newer.upgrade()
        assert await newer.schema_status() == "current"
        # Code that only knows HEAD looking at a database migrated to NEXT.
        assert await current.schema_status() == "ahead"
    finally:
        await newer.dispose()
        await current.dispose()


async def test_datetimes_come_back_aware_utc(db: Database) -> None:
    await db.upgrade()
    plus_five = timezone(timedelta(hours=5))
    consent = datetime(2026, 3, 9, 12, 30, 15, 123456, tzinfo=plus_five)
    async with db.unit_of_work() as uow:
        patient = await uow.patients.add(Patient(telegram_user_id=7, chat_id=7, consent_at=consent))
        await uow.commit()
    async with db.unit_of_work() as uow:
        loaded = await uow.patients.get(patient.id)
        assert loaded is not None
        assert loaded.consent_at == consent
        assert loaded.consent_at is not None
        assert loaded.consent_at.tzinfo is UTC
        assert loaded.consent_at.hour == 7
        assert loaded.created_at.tzinfo is UTC
        if db.dialect == "sqlite":
            raw = await uow.session.scalar(text("SELECT consent_at FROM patients"))
            assert str(raw).startswith("2026-03-09 07:30:15")

    async with db.unit_of_work() as uow:
        with pytest.raises(StatementError) as caught:
            await uow.patients.add(
                Patient(telegram_user_id=8, chat_id=8, consent_at=datetime(2026, 3, 9, 12, 0))
            )
        assert isinstance(caught.value.orig, ValueError)


def test_utc_type_rejects_naive_without_a_database() -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    kind = UTCDateTime()
    assert isinstance(kind.impl, DateTime)
    with pytest.raises(ValueError, match="naive"):
        kind.process_bind_param(datetime(2026, 1, 1), sqlite.dialect())
    aware = datetime(2026, 1, 1, 3, tzinfo=timezone(timedelta(hours=3)))
    assert kind.process_bind_param(aware, sqlite.dialect()) == datetime(2026, 1, 1, 0, 0)
    assert kind.process_bind_param(aware, postgresql.dialect()) == aware
    back = kind.process_result_value(datetime(2026, 1, 1), sqlite.dialect())
    assert back == datetime(2026, 1, 1, tzinfo=UTC)
