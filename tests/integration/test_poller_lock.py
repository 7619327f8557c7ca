"""The lease behind "one poller per database", and the dispatch job's heartbeat for
/readyz; on SQLite and PostgreSQL. (Two real processes: tests/reliability/test_ops.py.)"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.core.clock import FakeClock
from bot.sandbox.harness import Sandbox
from bot.store.database import Database
from bot.store.locks import (
    POLLER_LOCK,
    Lease,
    acquire_dispatch_lock,
    read_lock,
    release_dispatch_lock,
)

TTL = timedelta(seconds=0.6)  # renewed every 0.2 s


def now() -> datetime:
    return datetime.now(UTC)


async def test_a_live_holder_keeps_it_a_dead_one_is_waited_out(database_url: str) -> None:
    db = Database(database_url)
    await db.upgrade()
    first = Lease(db, POLLER_LOCK, now, ttl=TTL)
    second = Lease(db, POLLER_LOCK, now, ttl=TTL)
    third = Lease(db, POLLER_LOCK, now, ttl=TTL)
    lost = asyncio.Event()
    try:
        assert await first.take() is None
        keeping = asyncio.create_task(first.keep(lost.set))
        held_by = await second.take(check_every=0.05)  # renewed while it looked: alive
        assert held_by is not None and held_by.holder == first.holder
        keeping.cancel()  # the first process is killed: no renewal, no release
        assert await third.take(check_every=0.05) is None  # after the lease ran out
        assert (await read_lock(db, POLLER_LOCK)).holder == third.holder  # type: ignore[union-attr]
        await first.keep(lost.set)  # the first one wakes up (it was frozen): it lost it
        assert lost.is_set() and first.lost
        await first.release()  # and does not release the third's lock
        assert (await read_lock(db, POLLER_LOCK)).holder == third.holder  # type: ignore[union-attr]
        await third.release()
        assert await read_lock(db, POLLER_LOCK) is None
    finally:
        await db.dispose()


async def test_the_dispatch_job_beats_and_stands_by_on_sqlite(sqlite_url: str) -> None:
    clock = FakeClock()
    db = Database(sqlite_url)
    await db.upgrade()
    # another process on the same file dispatches already
    assert await acquire_dispatch_lock(db, "elsewhere:1", clock.now(), timedelta(hours=1))
    try:
        async with Sandbox(
            database_url=sqlite_url, clock=clock, dispatch_interval_seconds=0.1
        ) as box:
            assert box.bot is not None
            health = box.bot.dispatch_health
            await asyncio.wait_for(health.beaten.wait(), 30)
            ok, detail = health.check()
            assert ok and health.standing_by and detail.startswith("standing by")
            await release_dispatch_lock(db, "elsewhere:1")  # it stopped: this one takes over
            while health.standing_by:
                health.beaten.clear()
                await asyncio.wait_for(health.beaten.wait(), 30)
            ok, detail = health.check()
            assert ok and detail.startswith("ran ")
    finally:
        await db.dispose()
