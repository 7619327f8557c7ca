"""Unit of work, patients, sessions and reports on SQLite and PostgreSQL.

Each PostgreSQL test costs a fresh database, so related checks share one test.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.core.codes import CODE_ALPHABET
from bot.store import Database, ExerciseSession, Patient, Report, Timer

T0 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


async def _patient(db: Database, tg: int) -> int:
    async with db.unit_of_work() as uow:
        patient = await uow.patients.add(Patient(telegram_user_id=tg, chat_id=tg))
        await uow.commit()
        return patient.id


async def _session(db: Database, patient_id: int, started_at: datetime = T0) -> int:
    async with db.unit_of_work() as uow:
        row = await uow.sessions.add(
            ExerciseSession(
                patient_id=patient_id,
                program_id="back-basic",
                content_version="v1",
                exercises=["pelvic_tilt", "bridge"],
                phase="intro",
                started_at=started_at,
                updated_at=started_at,
            )
        )
        await uow.commit()
        return row.id


async def _count(db: Database) -> int:
    async with db.unit_of_work(read_only=True) as uow:
        return await uow.patients.count()


async def test_unit_of_work_rolls_back_unless_committed(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await uow.patients.add(Patient(telegram_user_id=1, chat_id=1))
        assert await uow.patients.count() == 1
    assert await _count(db) == 0

    async def failing_use_case() -> None:
        async with db.unit_of_work() as uow:
            await uow.patients.add(Patient(telegram_user_id=1, chat_id=1))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await failing_use_case()
    assert await _count(db) == 0

    async with db.unit_of_work() as uow:
        kept = await uow.patients.add(Patient(telegram_user_id=1, chat_id=1))
        await uow.commit()
        await uow.patients.add(Patient(telegram_user_id=2, chat_id=2))
    # Objects stay readable after their unit of work ended.
    assert kept.telegram_user_id == 1
    assert kept.id > 0

    async with db.unit_of_work() as uow:
        await uow.patients.add(Patient(telegram_user_id=3, chat_id=3))
        await uow.rollback()
        await uow.patients.add(Patient(telegram_user_id=4, chat_id=4))
        await uow.commit()
    async with db.unit_of_work() as uow:
        assert await uow.patients.count() == 2
        assert await uow.patients.by_telegram_id(2) is None
        assert await uow.patients.by_telegram_id(3) is None


async def test_new_patient_defaults_codes_and_constraints(db: Database) -> None:
    big = 10**12  # Telegram ids exceed 32 bits
    await _patient(db, big)
    async with db.unit_of_work() as uow:
        loaded = await uow.patients.by_telegram_id(big)
    assert loaded is not None
    assert re.fullmatch(f"P-[{CODE_ALPHABET}]{{6}}", loaded.code)
    assert (loaded.language, loaded.status, loaded.reminder_days) == ("en", "new", 0)
    assert (loaded.reminders_enabled, loaded.held_exercises, loaded.sore_streak) == (False, [], 0)
    assert loaded.created_at.tzinfo is UTC

    async with db.unit_of_work() as uow:
        codes = iter([loaded.code, "P-AAAAAA", "P-AAAAAA", "P-BBBBBB"])
        uow.patients.code_factory = lambda: next(codes)
        first = await uow.patients.add(Patient(telegram_user_id=1, chat_id=1))
        second = await uow.patients.add(Patient(telegram_user_id=2, chat_id=2))
        assert (first.code, second.code) == ("P-AAAAAA", "P-BBBBBB")

    async with db.unit_of_work() as uow:
        with pytest.raises(IntegrityError):
            await uow.patients.add(Patient(telegram_user_id=big, chat_id=1))
    async with db.unit_of_work() as uow:
        with pytest.raises(IntegrityError):  # foreign keys are enforced (SQLite too)
            await uow.sessions.add(
                ExerciseSession(patient_id=999, program_id="p", content_version="v", exercises=[])
            )


async def _fill(db: Database, patient_id: int, tag: str) -> None:
    session_id = await _session(db, patient_id)
    async with db.unit_of_work() as uow:
        await uow.reports.add(
            Report(patient_id=patient_id, session_id=session_id, kind="sore", source="feeling")
        )
        await uow.timers.schedule(patient_id, "reminder", T0, f"reminder:{tag}")
        await uow.commit()


async def test_export_then_forget_one_patient_only(db: Database) -> None:
    gone, kept = await _patient(db, 1), await _patient(db, 2)
    await _fill(db, gone, "gone")
    await _fill(db, kept, "kept")

    async with db.unit_of_work(read_only=True) as uow:
        data = await uow.patients.export(gone)
        assert await uow.patients.export(12345) == {}
    decoded = json.loads(json.dumps(data))
    assert decoded["patient"]["telegram_user_id"] == 1
    assert [s["exercises"] for s in decoded["sessions"]] == [["pelvic_tilt", "bridge"]]
    assert decoded["sessions"][0]["started_at"] == T0.isoformat()
    assert [r["kind"] for r in decoded["reports"]] == ["sore"]
    assert [t["idempotency_key"] for t in decoded["timers"]] == ["reminder:gone"]

    async with db.unit_of_work() as uow:
        counts = await uow.patients.delete_everything(gone)
        await uow.commit()
    assert counts == {"timers": 1, "reports": 1, "sessions": 1, "patients": 1}
    async with db.unit_of_work() as uow:
        assert await uow.patients.get(gone) is None
        assert await uow.patients.get(kept) is not None
        for model in (ExerciseSession, Report, Timer):
            owners = list(await uow.session.scalars(select(model.patient_id)))
            assert owners == [kept], model.__name__


async def test_open_and_recent_sessions(db: Database) -> None:
    patient_id = await _patient(db, 1)
    old = await _session(db, patient_id, T0 - timedelta(days=3))
    newer = await _session(db, patient_id, T0)
    async with db.unit_of_work() as uow:
        current = await uow.sessions.open_for_patient(patient_id)
        assert current is not None
        assert current.id == newer
        assert await uow.sessions.compare_and_set(newer, 0, finished_at=T0, outcome="completed")
        current = await uow.sessions.open_for_patient(patient_id)
        assert current is not None
        assert current.id == old
        recent = await uow.sessions.recent_for_patient(patient_id, T0 - timedelta(days=1))
        assert [s.id for s in recent] == [newer]


async def test_compare_and_set(db: Database) -> None:
    session_id = await _session(db, await _patient(db, 1))
    async with db.unit_of_work() as uow:
        loaded = await uow.sessions.get(session_id)
        assert loaded is not None
        assert loaded.rev == 0
        assert await uow.sessions.compare_and_set(session_id, 0, phase="step", step_index=1)
        assert (loaded.rev, loaded.step_index) == (1, 1)  # the loaded object is refreshed
        assert not await uow.sessions.compare_and_set(session_id, 0, phase="done", step_index=9)
        with pytest.raises(ValueError, match="rev"):
            await uow.sessions.compare_and_set(session_id, 1, rev=5)
        await uow.commit()
    async with db.unit_of_work() as uow:
        row = await uow.sessions.get(session_id)
        assert row is not None
        assert (row.rev, row.phase, row.step_index) == (1, "step", 1)


async def test_concurrent_taps_advance_exactly_once(db: Database) -> None:
    session_id = await _session(db, await _patient(db, 1))

    async def tap(step: int) -> bool:
        async with db.unit_of_work() as uow:
            changed = await uow.sessions.compare_and_set(session_id, 0, step_index=step)
            await asyncio.sleep(0.05)  # hold the transaction open while the other tries
            await uow.commit()
            return changed

    results = await asyncio.gather(tap(1), tap(2))
    assert sorted(results) == [False, True]
    async with db.unit_of_work() as uow:
        row = await uow.sessions.get(session_id)
        assert row is not None
        assert row.rev == 1
        assert row.step_index == (1 if results[0] else 2)


async def test_reports(db: Database) -> None:
    patient_id = await _patient(db, 1)
    session_id = await _session(db, patient_id)
    async with db.unit_of_work() as uow:
        for minutes, kind in enumerate(["none", "sore", "pain", "checkin_better"]):
            await uow.reports.add(
                Report(
                    patient_id=patient_id,
                    session_id=session_id,
                    kind=kind,
                    created_at=T0 + timedelta(minutes=minutes),
                    detail="x" * 300,
                )
            )
        await uow.commit()
    async with db.unit_of_work() as uow:
        assert await uow.reports.last_kinds(patient_id, 2) == ["checkin_better", "pain"]
        since = await uow.reports.for_patient(patient_id, since=T0 + timedelta(minutes=2))
        assert [r.kind for r in since] == ["pain", "checkin_better"]
        assert all(len(r.detail or "") == 200 for r in since)
        # Deleting a session keeps its reports (ON DELETE SET NULL).
        await uow.session.execute(
            ExerciseSession.__table__.delete().where(ExerciseSession.id == session_id)
        )
        await uow.commit()
    async with db.unit_of_work() as uow:
        reports = await uow.reports.for_patient(patient_id)
        assert [(r.kind, r.session_id) for r in reports] == [
            ("none", None),
            ("sore", None),
            ("pain", None),
            ("checkin_better", None),
        ]
