"""Throw-away databases for benchmark runs: a SQLite file, or a fresh PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def postgres_admin_url() -> str:
    return (
        os.environ.get("BENCH_POSTGRES_URL")
        or os.environ.get("TEST_POSTGRES_URL")
        or DEFAULT_POSTGRES
    )


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


@asynccontextmanager
async def fresh_postgres(admin_url: str) -> AsyncIterator[str]:
    """CREATE DATABASE bench_<random>, yield its URL, DROP it (even on failure)."""
    import asyncpg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_dsn(admin_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        conn = await asyncpg.connect(_dsn(admin_url))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def postgres_available(admin_url: str) -> str | None:
    """None when reachable, else the reason (printed instead of the PostgreSQL figures)."""
    try:
        import asyncpg

        conn = await asyncpg.connect(_dsn(admin_url), timeout=3)
        await conn.close()
    except Exception as error:  # any reason at all means "skip PostgreSQL"
        return f"{type(error).__name__}: {error}"
    return None
