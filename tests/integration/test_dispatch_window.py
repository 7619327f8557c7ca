"""The send window (issue 13): sends of a batch go out concurrently, at most
``send_window`` of them in flight or sent and not yet recorded, and sent outcomes are
recorded in groups. So a process that dies mid-batch leaves at most the window sent but
unrecorded (the duplicates its successor will send), and a window of 1 is the old rule.
No wall-clock assertions: the sends wait on the test's own events."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.reminders.dispatcher import Dispatcher, Proceed, Report, Result
from bot.store.database import Database
from bot.store.models import Timer
from tests.integration.test_dispatch_takeover import _seed

START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


class Sender:
    """A batch handler that sends like the real one: proceed in order, each send a task."""

    def __init__(self) -> None:
        self.sent: list[int] = []  # timer ids, in the order the sends completed
        self.unrecorded = 0  # sends started whose report has not returned yet
        self.most_unrecorded = 0
        self.release = asyncio.Semaphore(0)  # one release: one send may complete

    async def __call__(self, timers: list[Timer], report: Report, proceed: Proceed) -> None:
        async def one(timer: Timer) -> None:
            self.unrecorded += 1
            self.most_unrecorded = max(self.most_unrecorded, self.unrecorded)
            await asyncio.sleep(0)  # the send: other sends start meanwhile
            await self.release.acquire()
            self.sent.append(timer.id)
            await report(timer, Result.SENT)  # returns once the outcome is committed
            self.unrecorded -= 1

        tasks = []
        try:
            for timer in timers:
                if not await proceed(timer):
                    break
                tasks.append(asyncio.create_task(one(timer)))
            await asyncio.gather(*tasks)
        except asyncio.CancelledError:  # killed: the sends die with it
            for task in tasks:
                task.cancel()
            raise


def _dispatcher(db: Database, handler: Sender, window: int) -> Dispatcher:
    return Dispatcher(
        db,
        FakeClock(START),
        {},
        batch_handlers={"test": handler},
        worker_id="w",
        lease=timedelta(seconds=60),
        batch_size=50,
        send_window=window,
    )


async def _states(db: Database) -> dict[int, str]:
    async with db.unit_of_work(read_only=True) as uow:
        return dict((await uow.session.execute(select(Timer.id, Timer.state))).all())


@pytest.mark.parametrize("window", [1, 4, 16])
async def test_sends_stay_within_the_window_and_are_recorded_in_groups(
    database_url: str, window: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(database_url)
    await db.upgrade()
    await _seed(db, 40, START)
    groups: list[int] = []
    record = Dispatcher._record_sent

    async def counted(self: Dispatcher, kind: str, group: list[tuple[Timer, bool]]) -> None:
        groups.append(len(group))
        await record(self, kind, group)

    monkeypatch.setattr(Dispatcher, "_record_sent", counted)
    sender = Sender()
    for _ in range(40):
        sender.release.release()
    try:
        assert await _dispatcher(db, sender, window).run_until_idle() == 40
        assert len(sender.sent) == len(set(sender.sent)) == 40
        assert set((await _states(db)).values()) == {"sent"}
        assert sender.most_unrecorded <= window
        assert sum(groups) == 40
        if window == 1:
            assert groups == [1] * 40  # each send recorded before the next: the old rule
        else:
            assert sender.most_unrecorded > 1  # concurrent
            assert len(groups) < 40  # grouped: fewer statements than sends
    finally:
        await db.dispose()


@pytest.mark.parametrize("window", [1, 5])
async def test_a_process_that_dies_mid_batch_leaves_at_most_the_window_unrecorded(
    database_url: str, window: int
) -> None:
    db = Database(database_url)
    await db.upgrade()
    await _seed(db, 30, START)
    sender = Sender()
    run = asyncio.create_task(_dispatcher(db, sender, window).run_until_idle())
    try:
        for _ in range(12):  # some sends complete and are recorded, the rest wait
            sender.release.release()
            for _ in range(10):
                await asyncio.sleep(0.005)  # let groups commit (a real database)
        run.cancel()  # the process dies: its sends stop here
        with pytest.raises(asyncio.CancelledError):
            await run
        states = await _states(db)
        sent_unrecorded = [t for t in sender.sent if states[t] != "sent"]
        assert sender.sent, "nothing was sent before the kill"
        assert sender.most_unrecorded <= window
        assert len(sent_unrecorded) <= window  # the duplicates its successor would send
        await asyncio.sleep(0.2)  # a group being written when it died (not in a real kill)
    finally:
        await db.dispose()


async def test_when_recording_fails_nothing_more_is_sent(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database goes away mid-batch: the sends in the window are all that go out
    unrecorded (they will be duplicates), the rest of the batch waits for its lease."""
    db = Database(database_url)
    await db.upgrade()
    await _seed(db, 40, START)
    window = 4
    record = Dispatcher._record_sent
    groups: list[int] = []

    async def failing(self: Dispatcher, kind: str, group: list[tuple[Timer, bool]]) -> None:
        groups.append(len(group))
        if len(groups) > 1:
            raise ConnectionError("the database went away")
        await record(self, kind, group)

    monkeypatch.setattr(Dispatcher, "_record_sent", failing)
    sender = Sender()
    for _ in range(40):
        sender.release.release()
    try:
        with pytest.raises(ConnectionError):
            await _dispatcher(db, sender, window).run_due()
        states = await _states(db)
        recorded = [t for t in sender.sent if states[t] == "sent"]
        assert len(recorded) == groups[0]
        assert len(sender.sent) - len(recorded) <= window
        assert list(states.values()).count("claimed") == 40 - len(recorded)
    finally:
        await db.dispose()


class LateEveryThird(Sender):
    """Reports every third send late: the groups mix on-time and late outcomes."""

    def __init__(self) -> None:
        super().__init__()
        self.late: set[int] = set()

    async def __call__(self, timers: list[Timer], report: Report, proceed: Proceed) -> None:
        late = {timer.id for timer in timers[::3]}
        self.late |= late

        async def reporting(timer: Timer, result: Result | BaseException) -> None:
            late_one = result is Result.SENT and timer.id in late
            await report(timer, Result.SENT_LATE if late_one else result)

        for _ in timers:
            self.release.release()
        await super().__call__(timers, reporting, proceed)


async def test_groups_of_on_time_and_late_sends_are_recorded_each_as_it_went(
    database_url: str,
) -> None:
    """One group holds both kinds: each timer ends sent, late exactly when it was."""
    db = Database(database_url)
    await db.upgrade()
    await _seed(db, 12, START)
    try:
        handler = LateEveryThird()
        await _dispatcher(db, handler, 8).run_until_idle()
        async with db.unit_of_work(read_only=True) as uow:
            rows = (await uow.session.execute(select(Timer.id, Timer.state, Timer.late))).all()
        assert sorted(state for _, state, _ in rows) == ["sent"] * 12
        assert {timer_id for timer_id, _, late in rows if late} == handler.late
        assert len(handler.late) == 4
    finally:
        await db.dispose()
