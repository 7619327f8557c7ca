"""`python -m bot.bench crowd [--quick]`: a crowd due at one minute, at Telegram's 30/s.

Not a timing test: it prints what happens when more reminders are due than can be sent
within the grace period - how many go out on time, late, or are missed - on three
simulated days, and whether the missed ones are the same patients every day (they should
not be: the claim order changes daily). The bot runs in this process against the local
Telegram with the real rate limiter; each simulated day is "now" shifted by whole days so
the date changes while the seconds are real.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, insert, select

from bot.bench.seed import FIRST_USER_ID, seed_due
from bot.core.timers import Kind, reminder_key
from bot.sandbox.harness import Sandbox
from bot.store.models import Patient, Timer


class ShiftedClock:
    """Real time, moved by whole days: the seconds pass for real, the date is chosen."""

    def __init__(self, days: int) -> None:
        self.shift = timedelta(days=days)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift


@dataclass(frozen=True)
class Day:
    on_time: set[int]
    late: set[int]
    missed: set[int]
    seconds: float


async def one_day(directory: Path, day: int, patients: int, grace_minutes: int) -> Day:
    sandbox = Sandbox(
        database_url=f"sqlite+aiosqlite:///{directory / 'crowd.db'}",
        clock=ShiftedClock(day),  # type: ignore[arg-type]
        rate_limit_per_second=30.0,
        rate_limit_per_chat_per_second=0.0,
        reminder_grace_minutes=grace_minutes,
        dispatch_batch_size=100,
    )
    await sandbox.start()
    try:
        assert sandbox.services is not None and sandbox.bot is not None
        db = sandbox.services.db
        for index in range(patients):
            sandbox.emulator.world.create_user(user_id=FIRST_USER_ID + index)
        if day == 0:
            chats = await seed_due(db, patients, sandbox.clock.now())
        else:  # the same patients on a new day: yesterday's rows (and plans) go
            async with db.unit_of_work() as uow:
                await uow.session.execute(delete(Timer))
                await uow.commit()
            chats = await _due_again(sandbox, patients)
        started = asyncio.get_running_loop().time()
        await sandbox.bot.dispatcher.run_until_idle(max_batches=patients // 100 + 10)
        seconds = asyncio.get_running_loop().time() - started
        async with db.unit_of_work(read_only=True) as uow:
            rows = (
                await uow.session.execute(
                    select(Timer.patient_id, Timer.state, Timer.late).where(
                        Timer.kind == "reminder", Timer.state != "pending"
                    )
                )
            ).all()
        on_time = {pid for pid, state, late in rows if state == "sent" and not late}
        late = {pid for pid, state, late in rows if state == "sent" and late}
        missed = {pid for pid, state, _ in rows if state == "missed"}
        assert len(chats) == patients
        return Day(on_time, late, missed, seconds)
    finally:
        await sandbox.stop()


async def _due_again(sandbox: Sandbox, patients: int) -> list[int]:
    """The same patients, each with one reminder due now (a new day)."""
    assert sandbox.services is not None
    now = sandbox.clock.now()
    async with sandbox.services.db.unit_of_work() as uow:
        ids = list(await uow.session.scalars(select(Patient.id).order_by(Patient.id)))
        await uow.session.execute(
            insert(Timer),
            [
                {
                    "patient_id": pid,
                    "kind": Kind.REMINDER,
                    "due_at": now,
                    "idempotency_key": reminder_key(pid, now),
                    "payload": {},
                }
                for pid in ids
            ],
        )
        await uow.commit()
    return ids[:patients]


async def run(*, quick: bool) -> None:
    patients, grace = (240, 1) if quick else (2_400, 1)
    print(f"# a crowd due at one minute ({'quick' if quick else 'full'})")
    print(
        f"{patients:,} patients due at the same minute, sent at 30/s, grace {grace} min "
        "(on time: < 60 s late; late: < grace; missed: the rest)"
    )
    days: list[Day] = []
    with tempfile.TemporaryDirectory(prefix="crowd-") as tmp:
        for day in range(3):
            days.append(await one_day(Path(tmp), day, patients, grace))
    print(f"{'day':>4}{'on time':>9}{'late':>7}{'missed':>8}{'seconds':>9}")
    for index, result in enumerate(days, 1):
        print(
            f"{index:>4}{len(result.on_time):>9}{len(result.late):>7}"
            f"{len(result.missed):>8}{result.seconds:>9.1f}"
        )
    missed = Counter(pid for result in days for pid in result.missed)
    ever = len(missed)
    every_day = sum(1 for n in missed.values() if n == 3)
    print(
        f"missed at least once: {ever}; missed on all three days: {every_day}"
        f" (ordered by id it would be {len(days[0].missed)}: the same patients every day)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="exercise-bot bench crowd")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    asyncio.run(run(quick=args.quick))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
