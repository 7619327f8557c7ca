"""The durable timers table and the dispatch lock, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.store import Database, Patient, acquire_dispatch_lock, release_dispatch_lock

T0 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)
MIN = timedelta(minutes=1)
SEC = timedelta(seconds=1)


@pytest.fixture
async def patient_id(db: Database) -> int:
    async with db.unit_of_work() as uow:
        patient = await uow.patients.add(Patient(telegram_user_id=1, chat_id=1))
        await uow.commit()
        return patient.id


async def _schedule(db: Database, patient_id: int, *due: tuple[str, datetime]) -> list[int]:
    ids = []
    async with db.unit_of_work() as uow:
        for key, at in due:
            timer = await uow.timers.schedule(patient_id, "reminder", at, key)
            assert timer is not None
            ids.append(timer.id)
        await uow.commit()
    return ids


async def _claim(db: Database, now: datetime, worker: str, limit: int = 10) -> list[int]:
    async with db.unit_of_work() as uow:
        claimed = await uow.timers.claim_due(now, limit=limit, worker_id=worker, lease=LEASE)
        await uow.commit()
    return [t.id for t in claimed]


async def test_schedule_is_idempotent_and_cancel_by_kind(db: Database, patient_id: int) -> None:
    async with db.unit_of_work() as uow:
        first = await uow.timers.schedule(
            patient_id, "reminder", T0, "reminder:1:2026-03-09", {"local": "09:00"}
        )
        again = await uow.timers.schedule(patient_id, "reminder", T0 + MIN, "reminder:1:2026-03-09")
        await uow.commit()
    assert first is not None
    assert again is None
    assert (first.state, first.attempts, first.payload, first.late) == (
        "pending",
        0,
        {"local": "09:00"},
        False,
    )
    async with db.unit_of_work() as uow:
        (only,) = await uow.timers.pending_for_patient(patient_id)
        assert only.due_at == T0
        assert await uow.timers.count_by_state() == {"pending": 1}

    async with db.unit_of_work() as uow:
        await uow.timers.schedule(patient_id, "reminder", T0, "r")
        await uow.timers.schedule(patient_id, "snooze", T0, "s")
        await uow.timers.schedule(patient_id, "checkin", T0, "c")
        assert await uow.timers.cancel_pending(patient_id, ["snooze", "nudge"]) == 1
        assert [t.kind for t in await uow.timers.pending_for_patient(patient_id)] == [
            "reminder",
            "reminder",
            "checkin",
        ]
        kinds = await uow.timers.pending_for_patient(patient_id, ["checkin"])
        assert [t.kind for t in kinds] == ["checkin"]
        assert await uow.timers.cancel_pending(patient_id) == 3
        assert await uow.timers.count_by_state() == {"cancelled": 4}


async def test_replace_pending(db: Database, patient_id: int) -> None:
    async with db.unit_of_work() as uow:
        await uow.timers.schedule(patient_id, "reminder", T0, "reminder:1:d1")
        await uow.timers.schedule(patient_id, "reminder", T0 + MIN, "reminder:1:d0")
        await uow.timers.schedule(patient_id, "nudge", T0, "nudge:1:d1")
        await uow.commit()
    # d0 was already sent: it must not be revived by a replacement.
    async with db.unit_of_work() as uow:
        claimed = await uow.timers.claim_due(T0 + MIN, limit=10, worker_id="w", lease=LEASE)
        d0 = next(t for t in claimed if t.idempotency_key == "reminder:1:d0")
        for t in claimed:
            if t is not d0:
                await uow.timers.release(t.id, "w", t.due_at, None)
        assert await uow.timers.complete(d0.id, "w", "sent", now=T0 + MIN)
        await uow.commit()

    later = T0 + timedelta(hours=2)
    async with db.unit_of_work() as uow:
        result = await uow.timers.replace_pending(
            patient_id,
            ["reminder"],
            [
                ("reminder", later, "reminder:1:d1", {"moved": True}),
                ("reminder", later, "reminder:1:d0", None),
                ("reminder", later + timedelta(days=1), "reminder:1:d2", None),
            ],
        )
        assert sorted(t.idempotency_key for t in result) == ["reminder:1:d1", "reminder:1:d2"]
        await uow.commit()
    async with db.unit_of_work() as uow:
        pending = await uow.timers.pending_for_patient(patient_id)
        assert [(t.kind, t.idempotency_key, t.due_at) for t in pending] == [
            ("nudge", "nudge:1:d1", T0),
            ("reminder", "reminder:1:d1", later),
            ("reminder", "reminder:1:d2", later + timedelta(days=1)),
        ]
        assert pending[1].payload == {"moved": True}
        assert await uow.timers.count_by_state() == {"pending": 3, "sent": 1}
    # The replacement belongs to the caller's transaction: no commit, no change.
    async with db.unit_of_work() as uow:
        await uow.timers.replace_pending(patient_id, ["reminder", "nudge"], None)
        assert await uow.timers.pending_for_patient(patient_id) == []
    async with db.unit_of_work() as uow:
        assert len(await uow.timers.pending_for_patient(patient_id)) == 3


async def test_claim_takes_due_rows_in_order_up_to_limit(db: Database, patient_id: int) -> None:
    ids = await _schedule(
        db,
        patient_id,
        ("c", T0 - 1 * MIN),
        ("a", T0 - 3 * MIN),
        ("e", T0 + SEC),
        ("b", T0 - 2 * MIN),
        ("d", T0),
    )
    c, a, e, b, d = ids
    async with db.unit_of_work() as uow:
        first = await uow.timers.claim_due(T0, limit=3, worker_id="w1", lease=LEASE)
        assert [t.id for t in first] == [a, b, c]
        assert all(
            (t.state, t.claimed_by, t.claimed_until, t.attempts) == ("claimed", "w1", T0 + LEASE, 1)
            for t in first
        )
        await uow.commit()
    assert await _claim(db, T0, "w2") == [d]
    assert await _claim(db, T0, "w2") == []
    assert await _claim(db, T0 + SEC, "w2") == [e]


async def test_concurrent_claimers_share_without_overlap(db: Database, patient_id: int) -> None:
    async with db.unit_of_work() as uow:
        for i in range(200):
            await uow.timers.schedule(patient_id, "reminder", T0 - i * MIN, f"k{i}")
        await uow.commit()

    other = Database(db.url)  # a second engine, as a second process would have

    async def claimer(database: Database, name: str) -> list[int]:
        got: list[int] = []
        while batch := await _claim(database, T0, name, limit=7):
            got.extend(batch)
            await asyncio.sleep(0)
        return got

    try:
        results = await asyncio.gather(
            *(claimer(db if i % 2 else other, f"w{i}") for i in range(4))
        )
    finally:
        await other.dispose()
    everything = [timer_id for batch in results for timer_id in batch]
    assert len(everything) == 200
    assert len(set(everything)) == 200
    async with db.unit_of_work() as uow:
        assert await uow.timers.count_by_state() == {"claimed": 200}


async def test_expired_lease_is_taken_over(db: Database, patient_id: int) -> None:
    (timer_id,) = await _schedule(db, patient_id, ("k", T0))
    assert await _claim(db, T0, "w1") == [timer_id]
    assert await _claim(db, T0 + LEASE - timedelta(microseconds=1), "w2") == []  # still valid
    # at its end the lease is over: the instant next_due_at reports can take it over
    assert await _claim(db, T0 + LEASE, "w2") == [timer_id]
    async with db.unit_of_work() as uow:
        # w1 lost its lease: its late result must not overwrite w2's work.
        assert not await uow.timers.complete(timer_id, "w1", "sent", now=T0 + MIN)
        assert not await uow.timers.release(timer_id, "w1", T0 + MIN, "late")
        timer = await uow.timers.get(timer_id)
        assert timer is not None
        assert (timer.state, timer.claimed_by, timer.attempts) == ("claimed", "w2", 2)
        with pytest.raises(ValueError, match="final"):
            await uow.timers.complete(timer_id, "w2", "pending", now=T0 + MIN)
        assert await uow.timers.complete(timer_id, "w2", "sent", late=True, now=T0 + MIN)
        assert not await uow.timers.complete(timer_id, "w2", "failed", now=T0 + MIN)
        await uow.commit()
    async with db.unit_of_work() as uow:
        timer = await uow.timers.get(timer_id)
        assert timer is not None
        assert (timer.state, timer.late, timer.finished_at) == ("sent", True, T0 + MIN)
        assert await uow.timers.next_due_at() is None


async def test_release_puts_timer_back_with_new_due_time(db: Database, patient_id: int) -> None:
    (timer_id,) = await _schedule(db, patient_id, ("k", T0))
    assert await _claim(db, T0, "w1") == [timer_id]
    retry_at = T0 + timedelta(seconds=5)
    async with db.unit_of_work() as uow:
        assert await uow.timers.release(timer_id, "w1", retry_at, "429 retry_after=5")
        await uow.commit()
    async with db.unit_of_work() as uow:
        timer = await uow.timers.get(timer_id)
        assert timer is not None
        assert (timer.state, timer.due_at, timer.claimed_by) == ("pending", retry_at, None)
        assert timer.last_error == "429 retry_after=5"
    assert await _claim(db, T0 + timedelta(seconds=4), "w1") == []
    assert await _claim(db, retry_at, "w2") == [timer_id]


async def test_next_due_at(db: Database, patient_id: int) -> None:
    async with db.unit_of_work() as uow:
        assert await uow.timers.next_due_at() is None
    await _schedule(db, patient_id, ("late", T0 + 2 * MIN), ("soon", T0 + MIN))
    async with db.unit_of_work() as uow:
        assert await uow.timers.next_due_at() == T0 + MIN
    await _claim(db, T0 + MIN, "w")
    async with db.unit_of_work() as uow:
        # The claimed one matters again when its lease ends (before the other is due).
        assert await uow.timers.next_due_at() == T0 + MIN + LEASE


async def test_dispatch_lock(db: Database) -> None:
    ttl = timedelta(seconds=60)
    race = await asyncio.gather(*(acquire_dispatch_lock(db, f"p{i}", T0, ttl) for i in range(4)))
    assert sorted(race) == [False, False, False, True]
    assert await release_dispatch_lock(db, f"p{race.index(True)}")

    assert await acquire_dispatch_lock(db, "proc-a", T0, ttl)
    assert not await acquire_dispatch_lock(db, "proc-b", T0 + MIN / 2, ttl)
    assert await acquire_dispatch_lock(db, "proc-a", T0 + MIN / 2, ttl)  # renewal
    assert not await acquire_dispatch_lock(db, "proc-b", T0 + MIN + timedelta(seconds=29), ttl)
    # proc-a stops renewing (crashed): its lock expires and proc-b takes over.
    assert await acquire_dispatch_lock(db, "proc-b", T0 + MIN + timedelta(seconds=31), ttl)
    assert not await acquire_dispatch_lock(db, "proc-a", T0 + 2 * MIN, ttl)
    assert not await release_dispatch_lock(db, "proc-a")
    assert await release_dispatch_lock(db, "proc-b")
    assert await acquire_dispatch_lock(db, "proc-a", T0 + 2 * MIN, ttl)


async def test_complete_many_and_replace_pending_many(database_url: str) -> None:
    """The dispatcher's batch path: one UPDATE records many outcomes, only for this worker;
    one pair of statements moves many patients' daily reminders."""
    from datetime import UTC, datetime, timedelta

    from bot.store.database import Database
    from bot.store.models import Patient

    db = Database(database_url)
    await db.upgrade()
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    try:
        async with db.unit_of_work() as uow:
            patients = []
            for n in range(3):
                patient = Patient(telegram_user_id=500 + n, chat_id=500 + n)
                await uow.patients.add(patient)
                patients.append(patient)
            for p in patients:
                await uow.timers.schedule(p.id, "reminder", now, f"reminder:{p.id}:d1")
            await uow.commit()
        async with db.unit_of_work() as uow:
            claimed = await uow.timers.claim_due(
                now, limit=10, worker_id="w1", lease=timedelta(minutes=1)
            )
            await uow.commit()
        ids = [t.id for t in claimed]
        async with db.unit_of_work() as uow:
            assert await uow.timers.complete_many(ids[:2], "w2", "sent", now=now) == 0
            assert await uow.timers.complete_many(ids[:2], "w1", "sent", late=True, now=now) == 2
            rows = [
                (p.id, "reminder", now + timedelta(days=1), f"reminder:{p.id}:d2", {})
                for p in patients
            ]
            await uow.timers.replace_pending_many(
                [p.id for p in patients], "reminder", rows, now=now
            )
            await uow.commit()
        async with db.unit_of_work() as uow:
            states = await uow.timers.count_by_state()
            assert states == {"sent": 2, "claimed": 1, "pending": 3}
            # replacing again cancels the pending ones and revives them with the new time
            later = [
                (p.id, "reminder", now + timedelta(days=1, hours=1), f"reminder:{p.id}:d2", {})
                for p in patients
            ]
            await uow.timers.replace_pending_many(
                [p.id for p in patients], "reminder", later, now=now
            )
            await uow.commit()
        async with db.unit_of_work() as uow:
            pending = await uow.timers.pending_for_patient(patients[0].id)
            assert [t.due_at for t in pending] == [now + timedelta(days=1, hours=1)]
            assert await uow.timers.count_by_state() == {"sent": 2, "claimed": 1, "pending": 3}
    finally:
        await db.dispose()
