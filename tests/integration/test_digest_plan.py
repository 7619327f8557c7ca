"""Planning the weekly digest at start-up (bot/services/digest.py ``ensure_planned``) as
the settings change between starts, on SQLite and PostgreSQL: one digest waits while a
staff chat is configured and the digest is on, none otherwise, and a week whose digest
went out is never planned again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.app import build_services
from bot.config import Settings
from bot.core.clock import FakeClock
from bot.core.timers import Kind
from bot.services import digest
from bot.services.context import Services
from bot.store.models import Timer

STAFF = -4_000_000_916
WEDNESDAY = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # 10:00 in New York, the clinic's zone


async def started(url: str, clock: FakeClock, **settings: object) -> Services:
    services = await build_services(Settings(database_url=url, **settings), clock)  # type: ignore[arg-type]
    await digest.ensure_planned(services)
    return services


async def digests(services: Services) -> list[tuple[str, str, datetime]]:
    async with services.db.unit_of_work() as uow:
        rows = await uow.session.scalars(
            select(Timer).where(Timer.kind == Kind.STAFF_DIGEST).order_by(Timer.id)
        )
        return [(t.idempotency_key, t.state, t.due_at) for t in rows]


async def test_start_up_plans_one_digest_and_follows_the_settings(database_url: str) -> None:
    clock = FakeClock(WEDNESDAY)
    services = await started(database_url, clock)  # no staff chat: nothing
    assert await digests(services) == []
    await services.db.dispose()

    services = await started(database_url, clock, staff_chat_id=STAFF)
    monday = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)  # 08:00 EDT
    assert await digests(services) == [("digest:2026-03-09", "pending", monday)]
    await digest.ensure_planned(services)  # a second start (or process) adds nothing
    assert await digests(services) == [("digest:2026-03-09", "pending", monday)]
    await services.db.dispose()

    # moved to Friday 17:00: this week's Friday, the Monday one cancelled
    services = await started(
        database_url, clock, staff_chat_id=STAFF, digest_weekday="friday", digest_time="17:00"
    )
    friday = datetime(2026, 3, 6, 22, 0, tzinfo=UTC)  # 17:00 EST
    assert await digests(services) == [
        ("digest:2026-03-09", "cancelled", monday),
        ("digest:2026-03-02", "pending", friday),
    ]
    await services.db.dispose()

    # turned off: nothing waits; on again, Monday's week is planned again (the row revived)
    services = await started(database_url, clock, staff_chat_id=STAFF, digest_weekday="off")
    assert [state for _, state, _ in await digests(services)] == ["cancelled", "cancelled"]
    await services.db.dispose()
    services = await started(database_url, clock, staff_chat_id=STAFF)
    assert await digests(services) == [
        ("digest:2026-03-09", "pending", monday),
        ("digest:2026-03-02", "cancelled", friday),
    ]
    await services.db.dispose()


async def test_a_week_already_sent_is_not_planned_again(database_url: str) -> None:
    clock = FakeClock(WEDNESDAY)
    services = await started(database_url, clock, staff_chat_id=STAFF, digest_weekday="friday")
    async with services.db.unit_of_work() as uow:  # this week's went out on Friday
        friday = datetime(2026, 3, 6, 14, 0, tzinfo=UTC)
        lease = timedelta(minutes=2)
        [timer] = await uow.timers.claim_due(friday, limit=5, worker_id="w", lease=lease)
        await uow.timers.complete(timer.id, "w", "sent", now=friday)
        await uow.commit()
    await services.db.dispose()
    clock.set(datetime(2026, 3, 7, 9, 0, tzinfo=UTC))  # Saturday: moved to Sunday
    services = await started(
        database_url, clock, staff_chat_id=STAFF, digest_weekday="sunday", digest_time="08:00"
    )
    assert [(key, state) for key, state, _ in await digests(services)] == [
        ("digest:2026-03-02", "sent"),  # the week of Friday 6 March had its digest
        ("digest:2026-03-09", "pending"),  # so Sunday 15 March, not Sunday 8
    ]
    assert (await digests(services))[1][2] == datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
    await services.db.dispose()
