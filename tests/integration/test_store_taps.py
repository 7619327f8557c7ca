"""The store side of a tap: the Core read and the prepared compare-and-set (both databases),
and SQLite writers taking turns in one process (bot/store/uow.py ``WriteTurn``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.store import Database, ExerciseSession, Patient
from bot.store.repositories import STEP_COLUMNS
from bot.store.uow import WriteTurn

T0 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.upgrade()
    yield database
    await database.dispose()


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)
    await database.upgrade()
    yield database
    await database.dispose()


async def _patient_and_session(db: Database, tg: int) -> tuple[int, int]:
    async with db.unit_of_work() as uow:
        patient = await uow.patients.add(
            Patient(telegram_user_id=tg, chat_id=tg, language="es", held_exercises=["bridge"])
        )
        session = await uow.sessions.add(
            ExerciseSession(
                patient_id=patient.id,
                program_id="back-basic",
                content_version="v1",
                exercises=["pelvic_tilt", "cat_cow"],
                phase="step",
                step_index=1,
                message_id=7,
                started_at=T0,
                updated_at=T0,
            )
        )
        await uow.commit()
        return patient.id, session.id


def _step(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "exercises": ["pelvic_tilt", "cat_cow"],
        "completed": ["pelvic_tilt"],
        "phase": "timer",
        "exercise_index": 1,
        "step_index": 0,
        "set_index": 2,
        "timer_due_at": T0 + timedelta(seconds=30),
        "updated_at": T0 + timedelta(minutes=1),
    }
    return values | changes


async def test_for_tap_reads_patient_and_session_as_plain_values(db: Database) -> None:
    patient_id, session_id = await _patient_and_session(db, 1)
    other_patient, other_session = await _patient_and_session(db, 2)
    async with db.unit_of_work() as uow:
        patient, session = await uow.sessions.for_tap(1, session_id)
        assert patient is not None and session is not None
        assert (patient.id, patient.language, patient.held_exercises) == (
            patient_id,
            "es",
            ("bridge",),
        )
        assert (session.id, session.patient_id, session.phase, session.step_index) == (
            session_id,
            patient_id,
            "step",
            1,
        )
        assert session.exercises == ("pelvic_tilt", "cat_cow")
        assert (session.rev, session.message_id, session.finished_at) == (0, 7, None)
        # someone else's session is read as it is: the use case refuses it
        _, foreign = await uow.sessions.for_tap(1, other_session)
        assert foreign is not None and foreign.patient_id == other_patient
        # no such session; no such patient
        assert await uow.sessions.for_tap(1, 999_999) == (patient, None)
        assert await uow.sessions.for_tap(3, session_id) == (None, None)
        assert not uow.session.identity_map  # no ORM objects on this path


async def test_advance_is_a_compare_and_set(db: Database) -> None:
    _, session_id = await _patient_and_session(db, 1)
    async with db.unit_of_work() as uow:
        assert set(_step()) == set(STEP_COLUMNS)
        assert await uow.sessions.advance(session_id, 0, _step(message_id=None))
        # a second tap from the same screen (the same expected revision) changes nothing
        assert not await uow.sessions.advance(session_id, 0, _step(step_index=5, message_id=9))
        assert await uow.sessions.advance(session_id, 1, _step(step_index=2, message_id=42))
        await uow.commit()
    async with db.unit_of_work() as uow:
        row = await uow.sessions.get(session_id)
        assert row is not None
        assert (row.rev, row.phase, row.step_index, row.set_index) == (2, "timer", 2, 2)
        assert (row.completed, row.message_id) == (["pelvic_tilt"], 42)
        assert row.timer_due_at == T0 + timedelta(seconds=30)
        assert row.updated_at == T0 + timedelta(minutes=1)
        assert row.finished_at is None


async def test_concurrent_advances_from_one_screen_win_once(db: Database) -> None:
    _, session_id = await _patient_and_session(db, 1)

    async def tap(step: int) -> bool:
        async with db.unit_of_work() as uow:
            changed = await uow.sessions.advance(session_id, 0, _step(step_index=step))
            await asyncio.sleep(0.05)  # hold the transaction open while the other tries
            await uow.commit()
            return changed

    assert sorted(await asyncio.gather(tap(1), tap(2))) == [False, True]


async def test_sqlite_writers_take_turns_and_readers_do_not_wait(sqlite_db: Database) -> None:
    entered: list[str] = []
    holding = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with sqlite_db.unit_of_work() as uow:
            entered.append("first")
            await uow.patients.count()
            holding.set()
            await release.wait()

    async def second() -> None:
        async with sqlite_db.unit_of_work():
            entered.append("second")

    holder = asyncio.create_task(first())
    await holding.wait()
    waiter = asyncio.create_task(second())
    for _ in range(20):
        await asyncio.sleep(0)
    assert entered == ["first"]  # the second writer waits for its turn, not in SQLite
    async with sqlite_db.unit_of_work(read_only=True) as uow:
        assert await uow.patients.count() == 0  # a reader goes in meanwhile
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, waiter), 10)
    assert entered == ["first", "second"]


async def test_sqlite_unit_of_work_inside_another_of_the_same_task_does_not_hang(
    sqlite_db: Database,
) -> None:
    async def nested() -> int:
        async with sqlite_db.unit_of_work(), sqlite_db.unit_of_work() as inner:
            await inner.patients.add(Patient(telegram_user_id=5, chat_id=5))
            await inner.commit()
        async with sqlite_db.unit_of_work(read_only=True) as uow:
            return await uow.patients.count()

    assert await asyncio.wait_for(nested(), 10) == 1


async def test_a_turn_not_given_back_in_time_is_not_waited_for_forever() -> None:
    turn = WriteTurn(wait_at_most=0.05)
    assert await turn.take()
    assert not await asyncio.create_task(turn.take())  # another task: waited, went ahead
    turn.give_back()
    assert await asyncio.create_task(turn.take())


async def test_postgres_writers_need_no_turn_and_keep_a_connection_each(
    postgres_url: str,
) -> None:
    database = Database(postgres_url, pool_size=18)
    try:
        assert database.unit_of_work()._turn is None
        assert database.engine.pool.size() == 18  # type: ignore[attr-defined]
    finally:
        await database.dispose()
