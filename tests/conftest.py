"""Shared fixtures: database URLs for SQLite and (when configured) PostgreSQL, and a
migrated ``Database`` on them."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import Database

POSTGRES_ENV = "TEST_POSTGRES_URL"
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("no_proxy", "127.0.0.1,localhost")


def _postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


async def _create_pg_database(admin_url: str) -> tuple[str, str]:
    import asyncpg  # local import: only when PostgreSQL is used

    name = f"t_{uuid.uuid4().hex[:16]}"
    dsn = admin_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = admin_url.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


async def _drop_pg_database(admin_url: str, name: str) -> None:
    import asyncpg

    dsn = admin_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test (skips when none is configured)."""
    admin = _postgres_admin_url()
    if not admin:
        pytest.skip(
            f"PostgreSQL not configured: set {POSTGRES_ENV} (e.g. "
            "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres)"
        )
    name, url = await _create_pg_database(admin)
    try:
        yield url
    finally:
        await _drop_pg_database(admin, name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The same test on a SQLite file and on a real PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        return
    admin = _postgres_admin_url()
    if not admin:
        pytest.skip(f"PostgreSQL not configured: set {POSTGRES_ENV}")
    name, url = await _create_pg_database(admin)
    try:
        yield url
    finally:
        await _drop_pg_database(admin, name)


async def _migrated(url: str) -> AsyncIterator[Database]:
    database = Database(url)
    await database.upgrade()
    yield database
    await database.dispose()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A migrated database, on SQLite and on PostgreSQL."""
    async for database in _migrated(database_url):
        yield database


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[Database]:
    """A migrated SQLite file."""
    async for database in _migrated(sqlite_url):
        yield database


@pytest.fixture
async def postgres_db(postgres_url: str) -> AsyncIterator[Database]:
    """A migrated PostgreSQL database (skipped without one)."""
    async for database in _migrated(postgres_url):
        yield database
