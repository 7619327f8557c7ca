"""One process dispatches at a time, on SQLite and on PostgreSQL: Telegram's limit is per
bot, so several processes sending at full rate together would exceed it (issue 10)."""

from __future__ import annotations

from datetime import timedelta

from bot.app import build_services, release_dispatching, take_dispatch_turn
from bot.config import Settings
from bot.core.clock import FakeClock


async def test_a_second_process_stands_by_until_the_turn_expires(database_url: str) -> None:
    clock = FakeClock()
    first = await build_services(Settings(database_url=database_url), clock)
    second = await build_services(Settings(database_url=database_url), clock)
    try:
        assert await take_dispatch_turn(first, "host:1", 2.0)
        assert not await take_dispatch_turn(second, "host:2", 2.0)
        assert await take_dispatch_turn(first, "host:1", 2.0)  # the holder renews
        clock.advance(timedelta(seconds=9))
        assert not await take_dispatch_turn(second, "host:2", 2.0)
        clock.advance(timedelta(seconds=2))  # the holder crashed: its turn expires
        assert await take_dispatch_turn(second, "host:2", 2.0)
        assert not await take_dispatch_turn(first, "host:1", 2.0)
    finally:
        await first.db.dispose()
        await second.db.dispose()


async def test_a_clean_stop_hands_the_turn_over_at_once(database_url: str) -> None:
    clock = FakeClock()
    first = await build_services(Settings(database_url=database_url), clock)
    second = await build_services(Settings(database_url=database_url), clock)
    try:
        assert await take_dispatch_turn(first, "host:1", 2.0)
        await release_dispatching(first, "host:1")
        assert await take_dispatch_turn(second, "host:2", 2.0)
    finally:
        await first.db.dispose()
        await second.db.dispose()
