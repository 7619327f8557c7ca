"""A stalled batch is never sent twice (issue 10, bug 8), a crowd due at one minute is
served in a different order every day (bug 9), and a timer whose lease ends exactly at
the next instant the harness stops at is dispatched there (bug 10)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from bot.core.clock import FakeClock
from bot.core.timers import Kind
from bot.reminders.dispatcher import Dispatcher, Proceed, Report, Result
from bot.store.database import Database
from bot.store.locks import acquire_dispatch_lock
from bot.store.models import Patient, Timer

START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


async def _seed(db: Database, n: int, due: datetime) -> list[int]:
    async with db.unit_of_work() as uow:
        await uow.session.execute(
            insert(Patient),
            [
                {"telegram_user_id": 500 + i, "chat_id": 500 + i, "code": f"T-{i:06d}"}
                for i in range(n)
            ],
        )
        ids = list(await uow.session.scalars(select(Patient.id).order_by(Patient.id)))
        await uow.session.execute(
            insert(Timer),
            [
                {"patient_id": pid, "kind": "test", "due_at": due, "idempotency_key": f"t:{pid}"}
                for pid in ids
            ],
        )
        await uow.commit()
    return ids


def _dispatcher(db: Database, clock: FakeClock, name: str, batch, lease: float = 60):  # type: ignore[no-untyped-def]
    async def turn() -> bool:
        return await acquire_dispatch_lock(db, name, clock.now(), timedelta(seconds=10))

    return Dispatcher(
        db,
        clock,
        {},
        batch_handlers={"test": batch},
        worker_id=name,
        lease=timedelta(seconds=lease),
        batch_size=50,
        turn=turn,
    )


async def test_a_batch_that_outlives_its_lease_is_not_sent_twice(database_url: str) -> None:
    db = Database(database_url)
    await db.upgrade()
    clock = FakeClock(START)
    await _seed(db, 20, START)
    sent: Counter[int] = Counter()
    second: list[Dispatcher] = []

    async def slow_batch(timers: list[Timer], report: Report, proceed: Proceed) -> None:
        for index, timer in enumerate(timers):
            if not await proceed(timer):
                return
            sent[timer.id] += 1
            await report(timer, Result.SENT)
            if index == 5:
                # Telegram made us wait (429s): the lease and the turn ran out meanwhile,
                # and another process took over the rest.
                clock.advance(timedelta(seconds=90))
                await second[0].run_until_idle()

    async def quick_batch(timers: list[Timer], report: Report, proceed: Proceed) -> None:
        for timer in timers:
            if not await proceed(timer):
                return
            sent[timer.id] += 1
            await report(timer, Result.SENT)

    first = _dispatcher(db, clock, "a", slow_batch)
    second.append(_dispatcher(db, clock, "b", quick_batch))
    await first.run_until_idle()
    try:
        assert len(sent) == 20
        assert max(sent.values()) == 1, [t for t, n in sent.items() if n > 1]
    finally:
        await db.dispose()


async def test_a_crowd_is_served_in_a_different_order_each_day(database_url: str) -> None:
    db = Database(database_url)
    await db.upgrade()
    try:
        orders = []
        for day in range(3):
            async with db.unit_of_work() as uow:
                await uow.session.execute(Timer.__table__.delete())
                await uow.session.execute(Patient.__table__.delete())
                await uow.commit()
            due = START + timedelta(days=day)
            patients = await _seed(db, 40, due)
            claimed: list[Timer] = []
            for _ in range(4):  # batches of 10: who comes in the last batch?
                async with db.unit_of_work() as uow:
                    claimed += await uow.timers.claim_due(
                        due, limit=10, worker_id="w", lease=timedelta(minutes=1)
                    )
                    await uow.commit()
            rank = {t.patient_id: i for i, t in enumerate(claimed)}
            orders.append([rank[p] for p in patients])  # where each patient came, by seat
        last = [[i for i, place in enumerate(order) if place >= 30] for order in orders]
        # the 10 served last are not the same patients every day
        assert set(last[0]) != set(last[1]) and set(last[1]) != set(last[2])
        assert len(set(last[0]) & set(last[1]) & set(last[2])) < 10
    finally:
        await db.dispose()


async def test_one_patients_timers_due_together_come_in_the_order_made(
    database_url: str,
) -> None:
    """A pain alert and the urgent alert that followed it, due at the same instant, reach
    the staff chat in that order on every day, whatever the day's order of patients."""
    db = Database(database_url)
    await db.upgrade()
    try:
        for day in range(5):
            async with db.unit_of_work() as uow:
                await uow.session.execute(Timer.__table__.delete())
                await uow.session.execute(Patient.__table__.delete())
                await uow.commit()
            due = START + timedelta(days=day)
            patients = await _seed(db, 6, due)
            async with db.unit_of_work() as uow:
                await uow.session.execute(
                    insert(Timer),
                    [
                        {"patient_id": pid, "kind": "test", "due_at": due, "idempotency_key": k}
                        for pid in patients
                        for k in (f"second:{pid}", f"third:{pid}")
                    ],
                )
                await uow.commit()
                claimed = await uow.timers.claim_due(
                    due, limit=100, worker_id="w", lease=timedelta(minutes=1)
                )
                await uow.commit()
            for pid in patients:
                mine = [t.idempotency_key.split(":")[0] for t in claimed if t.patient_id == pid]
                assert mine == ["t", "second", "third"], (day, pid, mine)
    finally:
        await db.dispose()


async def test_a_lease_that_ends_at_the_target_instant_is_taken_over_then(
    sqlite_url: str,
) -> None:
    from bot.sandbox.harness import Sandbox

    async with Sandbox(database_url=sqlite_url, clock=FakeClock(START)) as sandbox:
        assert sandbox.services is not None
        user = sandbox.user()
        from tests.e2e.test_reminders import subscribe

        await subscribe(sandbox, user, at="8:00", zone="UTC")
        # a crashed process holds the reminder until 08:00 + 5 min exactly
        ends = datetime(2026, 3, 11, 8, 5, tzinfo=UTC)
        async with sandbox.services.db.unit_of_work() as uow:
            await uow.session.execute(
                Timer.__table__.update()
                .where(Timer.kind == Kind.REMINDER, Timer.state == "pending")
                .values(state="claimed", claimed_by="crashed:1", claimed_until=ends)
            )
            await uow.commit()
        await sandbox.advance_to(ends)
        assert (
            len(
                [
                    e
                    for e in sandbox.world.events
                    if e.kind == "bot_message" and (e.text or "").startswith("Time for")
                ]
            )
            == 1
        )
