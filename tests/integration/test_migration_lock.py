"""Several processes migrating one database at once (issue 12, item 4).

Before the lock, three processes starting on an empty PostgreSQL database raced: two died
with UniqueViolationError on pg_type. Now the upgrade runs under a PostgreSQL advisory lock
(a file lock on SQLite): the others wait, then find the schema current.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
from sqlalchemy import text

from bot.store.database import MIGRATION_LOCK_KEY, Database
from tests.migrations import HEAD

ROOT = Path(__file__).resolve().parents[2]

# Each child imports everything, says "ready", and upgrades when told to: all at once.
CHILD = """
import sys
from bot.store.database import Database
import asyncio

async def main(url: str) -> None:
    db = Database(url)
    try:
        print("ready", flush=True)
        sys.stdin.readline()
        await db.upgrade()
    finally:
        await db.dispose()

asyncio.run(main(sys.argv[1]))
"""


async def _spawn(
    args: list[str], url: str, cwd: Path, *, stdin: int | None = None
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *args,
        cwd=cwd,
        env=_env(url),
        stdin=stdin,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _upgrade_all_at_once(url: str, cwd: Path, count: int = 3) -> list[str]:
    """``count`` processes upgrading ``url`` at the same instant; their stderr last lines."""
    pipe = asyncio.subprocess.PIPE
    children = [
        await _spawn([sys.executable, "-c", CHILD, url], url, cwd, stdin=pipe) for _ in range(count)
    ]
    for child in children:
        assert child.stdout is not None
        assert await asyncio.wait_for(child.stdout.readline(), 60) == b"ready\n"
    for child in children:
        assert child.stdin is not None
        child.stdin.write(b"go\n")
    results = [await asyncio.wait_for(child.communicate(), 90) for child in children]
    return [
        f"exit {child.returncode}: " + _error_line(err.decode())
        for child, (_, err) in zip(children, results, strict=True)
    ]


def _error_line(stderr: str) -> str:
    """The line naming the exception (UniqueViolationError ...), else the last one."""
    lines = stderr.strip().splitlines()
    named = [line for line in lines if "Error" in line and not line.startswith(" ")]
    return (named or lines or [""])[-1][:300]


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    return {**env, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}


async def _state(url: str) -> tuple[str, int]:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            rows = 0
            if await conn.run_sync(lambda c: c.dialect.has_table(c, "alembic_version")):
                rows = (
                    await conn.execute(text("SELECT count(*) FROM alembic_version"))
                ).scalar_one()
        return await db.schema_status(), rows
    finally:
        await db.dispose()


async def test_three_processes_upgrade_a_fresh_database_at_once(
    database_url: str, tmp_path: Path
) -> None:
    outcomes = await _upgrade_all_at_once(database_url, tmp_path)
    assert outcomes == ["exit 0: "] * 3
    assert await _state(database_url) == ("current", 1)


@contextlib.asynccontextmanager
async def _holding_the_lock(url: str) -> AsyncIterator[None]:
    """Hold the migration lock as a migrating process would."""
    if url.startswith("postgresql"):
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
            yield
        finally:
            await conn.close()
        return
    path = url.removeprefix("sqlite+aiosqlite:///") + ".migrate-lock"
    with _flock(path):
        yield


@contextlib.contextmanager
def _flock(path: str) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


async def test_an_upgrade_waits_for_the_lock_then_finishes(
    database_url: str, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "bot.cli", "db", "upgrade"]
    async with _holding_the_lock(database_url):
        child = await _spawn(command, database_url, tmp_path)
        try:
            await asyncio.sleep(2.5)
            assert child.returncode is None, "db upgrade did not wait for the migration lock"
            assert (await _state(database_url))[0] == "empty"
        except BaseException:
            child.kill()
            await child.wait()
            raise
    out, err = await asyncio.wait_for(child.communicate(), 60)
    assert child.returncode == 0, err.decode()
    assert out.decode().strip() == f"database upgraded: empty -> {HEAD}"
    assert await _state(database_url) == ("current", 1)
