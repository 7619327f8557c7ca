"""On SQLite one process dispatches; a second one on the same file stands by."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.app import build_services, may_dispatch
from bot.config import Settings
from bot.core.clock import FakeClock


async def test_second_process_on_the_same_sqlite_file_stands_by(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    clock = FakeClock()
    first = await build_services(Settings(database_url=url), clock)
    second = await build_services(Settings(database_url=url), clock)
    try:
        assert await may_dispatch(first, "host:1", 2.0)
        assert not await may_dispatch(second, "host:2", 2.0)
        assert await may_dispatch(first, "host:1", 2.0)  # the holder renews
        clock.advance(timedelta(seconds=31))  # the holder crashed: its lock expires
        assert await may_dispatch(second, "host:2", 2.0)
        assert not await may_dispatch(first, "host:1", 2.0)
    finally:
        await first.db.dispose()
        await second.db.dispose()


async def test_postgres_processes_all_dispatch(postgres_url: str) -> None:
    clock = FakeClock()
    first = await build_services(Settings(database_url=postgres_url), clock)
    second = await build_services(Settings(database_url=postgres_url), clock)
    try:
        assert await may_dispatch(first, "a", 2.0)
        assert await may_dispatch(second, "b", 2.0)  # SKIP LOCKED shares the work
    finally:
        await first.db.dispose()
        await second.db.dispose()
