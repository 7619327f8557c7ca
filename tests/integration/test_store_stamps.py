"""Stored timestamps come from the bot's clock, not the wall clock (issue 11): with a fake
clock every created_at, started_at and updated_at is on it, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.clock import FakeClock
from bot.store import Database, ExerciseSession, Patient, Report

T0 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)  # far from the wall clock


@pytest.fixture
async def clocked(database_url: str) -> AsyncIterator[tuple[Database, FakeClock]]:
    clock = FakeClock(T0)
    database = Database(database_url, clock=clock)
    await database.upgrade()
    yield database, clock
    await database.dispose()


async def test_new_rows_take_the_clocks_time(clocked: tuple[Database, FakeClock]) -> None:
    db, _ = clocked
    async with db.unit_of_work() as uow:
        patient = await uow.patients.add(Patient(telegram_user_id=7, chat_id=7))
        session = await uow.sessions.add(
            ExerciseSession(
                patient_id=patient.id, program_id="p", content_version="v", exercises=["a"]
            )
        )
        await uow.reports.add(Report(patient_id=patient.id, kind="none", source="feeling"))
        await uow.commit()
    async with db.unit_of_work() as uow:
        stored = await uow.patients.get(patient.id)
        opened = await uow.sessions.get(session.id)
        [report] = await uow.reports.for_patient(patient.id)
    assert stored is not None and opened is not None
    assert (stored.created_at, stored.updated_at) == (T0, T0)
    assert (opened.started_at, opened.updated_at) == (T0, T0)
    assert report.created_at == T0


async def test_changes_take_the_clocks_time(clocked: tuple[Database, FakeClock]) -> None:
    db, clock = clocked
    async with db.unit_of_work() as uow:
        patient = await uow.patients.add(Patient(telegram_user_id=8, chat_id=8))
        session = await uow.sessions.add(
            ExerciseSession(
                patient_id=patient.id, program_id="p", content_version="v", exercises=["a"]
            )
        )
        await uow.commit()
    clock.advance(timedelta(hours=1))
    async with db.unit_of_work() as uow:
        stored = await uow.patients.get(patient.id)
        assert stored is not None
        stored.language = "es"
        assert await uow.sessions.compare_and_set(session.id, session.rev, step_index=1)
        await uow.commit()
    async with db.unit_of_work() as uow:
        stored = await uow.patients.get(patient.id)
        moved = await uow.sessions.get(session.id)
    assert stored is not None and moved is not None
    assert (stored.created_at, stored.updated_at) == (T0, T0 + timedelta(hours=1))
    assert (moved.started_at, moved.updated_at) == (T0, T0 + timedelta(hours=1))


async def test_a_time_the_use_case_sets_is_kept(clocked: tuple[Database, FakeClock]) -> None:
    db, _ = clocked
    chosen = T0 - timedelta(days=1)
    async with db.unit_of_work() as uow:
        patient = await uow.patients.add(
            Patient(telegram_user_id=9, chat_id=9, created_at=chosen, updated_at=chosen)
        )
        await uow.commit()
    async with db.unit_of_work() as uow:
        stored = await uow.patients.get(patient.id)
    assert stored is not None and (stored.created_at, stored.updated_at) == (chosen, chosen)
