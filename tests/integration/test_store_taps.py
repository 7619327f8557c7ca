"""The store side of a tap (bot/store/taps.py): the Core read, the prepared compare-and-set
and its timer change in one transaction run by ``Database.in_one_hop`` (both databases),
and SQLite writers taking turns in one process (bot/store/uow.py ``WriteTurn``)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from bot.app import open_database
from bot.config import Settings
from bot.store import Database, Patient
from bot.store.database import HOP_POOL_SIZE, sqlite_file
from bot.store.taps import (
    STEP_COLUMNS,
    NewStepTimer,
    StepWrite,
    read_tap,
    tap_transaction,
    write_step,
)
from bot.store.uow import WriteTurn
from tests.store_rows import add_patient_with_session

T0 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


async def _patient_and_session(db: Database, tg: int) -> tuple[int, int]:
    patient = {"language": "es", "held_exercises": ["bridge"]}
    session = {"step_index": 1, "message_id": 7}
    return await add_patient_with_session(db, tg, T0, patient=patient, session=session)


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


@dataclass(frozen=True)
class _Plan:
    write: StepWrite | None


def _write(session_id: int, expected: int, patient_id: int = 1, **changes: object) -> StepWrite:
    return StepWrite(patient_id, session_id, expected, _step(**changes))


async def test_read_tap_reads_patient_and_session_as_plain_values(db: Database) -> None:
    patient_id, session_id = await _patient_and_session(db, 1)
    other_patient, other_session = await _patient_and_session(db, 2)

    def read(uid: int, sid: int) -> Callable[[Connection], Any]:
        def work(conn: Connection) -> tuple[Any, Any]:
            read = read_tap(conn, uid, sid)
            return read.patient, read.session

        return work

    patient, session = await db.in_one_hop(read(1, session_id))
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
    _, foreign = await db.in_one_hop(read(1, other_session))
    assert foreign is not None and foreign.patient_id == other_patient
    # no such session; no such patient
    assert await db.in_one_hop(read(1, 999_999)) == (patient, None)
    assert await db.in_one_hop(read(3, session_id)) == (None, None)


async def test_a_step_is_a_compare_and_set(db: Database) -> None:
    patient_id, session_id = await _patient_and_session(db, 1)

    def steps(conn: Connection) -> list[bool]:
        dialect = conn.dialect.name
        return [
            write_step(conn, dialect, _write(session_id, 0, patient_id, message_id=None)),
            # a second tap from the same screen (the same expected revision) changes nothing
            write_step(conn, dialect, _write(session_id, 0, patient_id, step_index=5)),
            write_step(
                conn, dialect, _write(session_id, 1, patient_id, step_index=2, message_id=42)
            ),
        ]

    assert set(_step()) == set(STEP_COLUMNS)
    assert await db.in_one_hop(steps, autocommit=True) == [True, False, True]
    async with db.unit_of_work() as uow:
        row = await uow.sessions.get(session_id)
        assert row is not None
        assert (row.rev, row.phase, row.step_index, row.set_index) == (2, "timer", 2, 2)
        assert (row.completed, row.message_id) == (["pelvic_tilt"], 42)
        assert row.timer_due_at == T0 + timedelta(seconds=30)
        assert row.updated_at == T0 + timedelta(minutes=1)
        assert row.finished_at is None


async def test_a_step_starts_and_stops_the_step_timer_with_it(db: Database) -> None:
    patient_id, session_id = await _patient_and_session(db, 1)
    due = T0 + timedelta(seconds=30)
    start = NewStepTimer("step", due, f"step:{session_id}:1", {"session_id": session_id})

    def plan(write: StepWrite) -> Callable[[Connection], Any]:
        return lambda conn: tap_transaction(conn, 1, session_id, lambda p, s: _Plan(write))

    async def tap(write: StepWrite) -> Any:  # as a tap runs: on PostgreSQL, no transaction
        return await db.in_one_hop(plan(write), autocommit=True)

    first = replace(_write(session_id, 0, patient_id), start_timer=start)
    started = await tap(first)
    assert started.written and started.session is not None and started.session.rev == 0
    # a lost compare-and-set starts no timer
    lost = replace(_write(session_id, 0, patient_id), start_timer=replace(start, key="other"))
    assert not (await tap(lost)).written
    async with db.unit_of_work() as uow:
        timers = await uow.timers.for_patient(patient_id, ["step"])
        assert [(t.idempotency_key, t.state, t.due_at, t.created_at) for t in timers] == [
            (start.key, "pending", due, first.values["updated_at"])
        ]
        assert (timers[0].attempts, timers[0].late, timers[0].payload) == (0, False, start.payload)
    stop = replace(_write(session_id, 1, patient_id), stop_timers="step")
    assert not (await tap(replace(stop, expected_rev=0))).written  # lost: nothing stopped
    async with db.unit_of_work() as uow:
        (timer,) = await uow.timers.for_patient(patient_id, ["step"])
        assert timer.state == "pending"
    assert (await tap(stop)).written
    async with db.unit_of_work() as uow:
        (timer,) = await uow.timers.for_patient(patient_id, ["step"])
        assert (timer.state, timer.finished_at) == ("cancelled", stop.values["updated_at"])


async def test_nothing_to_write_writes_nothing_and_a_failure_rolls_back(db: Database) -> None:
    patient_id, session_id = await _patient_and_session(db, 1)
    nothing = await db.in_one_hop(
        lambda conn: tap_transaction(conn, 1, session_id, lambda p, s: _Plan(None))
    )
    assert nothing.session is not None and not nothing.written

    def fails(conn: Connection) -> None:
        assert write_step(conn, conn.dialect.name, _write(session_id, 0, patient_id))
        raise RuntimeError("after the write")

    with pytest.raises(RuntimeError):
        await db.in_one_hop(fails)
    async with db.unit_of_work() as uow:
        row = await uow.sessions.get(session_id)
        assert row is not None and row.rev == 0


async def test_concurrent_steps_from_one_screen_win_once(db: Database) -> None:
    patient_id, session_id = await _patient_and_session(db, 1)

    def tap(step: int) -> Callable[[Connection], bool]:
        def work(conn: Connection) -> bool:
            changed = write_step(
                conn, conn.dialect.name, _write(session_id, 0, patient_id, step_index=step)
            )
            time.sleep(0.05)  # hold the transaction open while the other tries
            return changed

        return work

    assert sorted(await asyncio.gather(db.in_one_hop(tap(1)), db.in_one_hop(tap(2)))) == [
        False,
        True,
    ]


def _checkpoints(conn: Connection) -> int:
    return int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


@contextlib.contextmanager
def _written_by_another_process(sqlite_url: str) -> Iterator[sqlite3.Connection]:
    """The file's write lock, held as another process would hold it, until COMMIT."""
    path = sqlite_file(sqlite_url)
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        if other.in_transaction:
            other.execute("COMMIT")
        other.close()


async def test_a_hop_runs_in_place_and_waits_for_a_busy_file_in_its_thread(
    sqlite_db: Database, sqlite_url: str
) -> None:
    """SQLite: on the event loop, on a connection that never checkpoints; a file another
    process is writing is waited for in the thread (with the busy timeout), while the
    event loop goes on."""
    assert await sqlite_db.in_one_hop(_checkpoints) == 0  # in place
    with _written_by_another_process(sqlite_url) as other:
        hop = asyncio.create_task(sqlite_db.in_one_hop(_checkpoints))
        ticks = 0
        for _ in range(20):
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks == 20 and not hop.done()  # the loop is free; the hop waits
        other.execute("COMMIT")
        assert await asyncio.wait_for(hop, 10) == 1000  # in the thread, which checkpoints


async def test_a_hop_cancelled_while_it_waits_in_its_thread_keeps_the_turn_until_it_ends(
    sqlite_db: Database, sqlite_url: str
) -> None:
    entered: list[str] = []

    async def unit_of_work() -> None:
        async with sqlite_db.unit_of_work():
            entered.append("unit of work")

    with _written_by_another_process(sqlite_url) as other:
        hop = asyncio.create_task(sqlite_db.in_one_hop(lambda conn: 1))
        await asyncio.sleep(0.1)
        hop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await hop
        after = asyncio.create_task(unit_of_work())
        await asyncio.sleep(0.1)
        assert entered == []  # the cancelled hop's transaction still waits in the thread
        other.execute("COMMIT")
        await asyncio.wait_for(after, 10)
    assert entered == ["unit of work"]


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


async def test_a_hop_inside_a_writing_unit_of_work_of_the_same_task_is_refused(
    sqlite_db: Database,
) -> None:
    """It would wait for the unit of work around it, which waits for it."""
    async with sqlite_db.unit_of_work():
        with pytest.raises(RuntimeError, match="inside a writing unit of work"):
            await sqlite_db.in_one_hop(lambda conn: None)
    assert await sqlite_db.in_one_hop(lambda conn: 1) == 1  # outside: fine


async def test_sqlite_in_memory_hops_wait_for_the_writers_turn_too() -> None:
    """In memory every unit of work shares one connection: a hop that went in while a
    unit of work was open would end that one's transaction under it."""
    database = Database("sqlite+aiosqlite://")
    await database.upgrade()
    try:
        holding, release = asyncio.Event(), asyncio.Event()

        async def unit_of_work() -> None:
            async with database.unit_of_work() as uow:
                await uow.patients.add(Patient(telegram_user_id=1, chat_id=1))
                holding.set()
                await release.wait()
                await uow.commit()

        def add_second(conn: Connection) -> None:
            conn.execute(insert(Patient).values(telegram_user_id=2, chat_id=2, code="SECOND"))

        holder = asyncio.create_task(unit_of_work())
        await holding.wait()
        hop = asyncio.create_task(database.in_one_hop(add_second))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not hop.done()  # it waits for its turn
        release.set()
        await asyncio.wait_for(asyncio.gather(holder, hop), 10)
        async with database.unit_of_work(read_only=True) as uow:
            assert await uow.patients.count() == 2
    finally:
        await database.dispose()


async def test_postgres_hops_outlive_their_pooled_connection_dying(postgres_url: str) -> None:
    """The autocommit hops' pool skips the checkout ping: a pooled connection the server
    dropped (a restart, an idle timeout) is found dead by the work itself, which then runs
    again on a new connection, once. Other errors are not retried."""
    db = Database(postgres_url)
    try:

        def backend(connection: Connection) -> int:
            return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())

        first = await db.in_one_hop(backend, autocommit=True)  # now pooled
        async with db.engine.connect() as admin:
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        runs: list[int] = []

        def counted(connection: Connection) -> int:
            runs.append(1)
            return backend(connection)

        second = await db.in_one_hop(counted, autocommit=True)
        assert second != first
        assert len(runs) == 2  # the first run met the dead connection

        def wrong(connection: Connection) -> None:
            runs.append(1)
            connection.execute(text("SELECT no_such_column FROM no_such_table"))

        runs.clear()
        with pytest.raises(DBAPIError):
            await db.in_one_hop(wrong, autocommit=True)
        assert len(runs) == 1
    finally:
        await db.dispose()


async def test_the_bot_keeps_a_postgres_connection_per_update_at_once_and_hops_their_own() -> None:
    """``exercise-bot run`` and the services open the database alike (docs/DEPLOY.md
    counts these connections); engines connect lazily, so no server is needed."""
    settings = Settings(
        database_url="postgresql+asyncpg://bot@127.0.0.1:1/bot", update_concurrency=16
    )
    database = open_database(settings)
    try:
        assert database.engine.pool.size() == 18  # type: ignore[attr-defined]
        hops = database._autocommit_engine
        assert hops is not None
        assert hops.pool.size() == HOP_POOL_SIZE  # type: ignore[attr-defined]
        assert hops.pool._max_overflow == 0  # type: ignore[attr-defined]
    finally:
        await database.dispose()
