"""A tap on a session this process's own last tap wrote skips the read on PostgreSQL
(bot/store/taps.py ``KnownSessions``): one statement instead of two, and never a write
decided on values that are no longer true. Another process's tap, another use case, a
changed patient (language, held exercises, dose), ``/forget``: each makes the known values
wrong, and then the write changes nothing and the tap reads and decides again.

The state machine at the end drives two "processes" (two ``Database`` objects, each with
its own known sessions) and a third that changes things behind their backs, and checks
every tap against the decision a fresh read gives."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test
from sqlalchemy import event, update
from sqlalchemy.engine import Engine

from bot.store import Database, Patient
from bot.store.taps import (
    KnownSessions,
    NewStepTimer,
    StepWrite,
    StoredPatient,
    TapPatient,
    TapRead,
    TapResult,
    TapSession,
    read_tap,
    tap_transaction,
)
from tests.store_rows import add_patient_with_session

T0 = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class _Plan:
    write: StepWrite | None


def _decide(screen_rev: int) -> Callable[[TapPatient | None, TapSession | None], _Plan]:
    """A step that depends on every value a tap reads: the session's position and the
    patient's language, held exercises and dose. Writes only from the current screen."""

    def decide(patient: TapPatient | None, session: TapSession | None) -> _Plan:
        if patient is None or session is None or session.patient_id != patient.id:
            return _Plan(None)
        if session.rev != screen_rev:
            return _Plan(None)
        values = {
            "exercises": list(session.exercises),
            "completed": [*session.completed, patient.language],
            "phase": "step",
            "exercise_index": session.exercise_index,
            "step_index": session.step_index + 1,
            "set_index": 100 * len(patient.held_exercises) + int(patient.dose.get("reps", 0)),
            "timer_due_at": None,
            "updated_at": T0 + timedelta(seconds=session.rev),
            "message_id": None,
        }
        return _Plan(StepWrite(patient.id, session.id, session.rev, values))

    return decide


async def _tap(db: Database, uid: int, session_id: int, screen_rev: int) -> TapResult[_Plan]:
    return await db.in_one_hop(
        lambda conn: tap_transaction(
            conn, uid, session_id, _decide(screen_rev), known=db.known_sessions
        ),
        autocommit=True,
    )


async def _fresh(db: Database, uid: int, session_id: int) -> tuple[Any, Any]:
    read = await db.in_one_hop(lambda conn: read_tap(conn, uid, session_id))
    return read.patient, read.session


async def _new_patient(db: Database, uid: int) -> tuple[int, int]:
    patient = {"language": "en", "dose": {"reps": 3}}
    return await add_patient_with_session(db, uid, T0, patient=patient, session={})


@contextlib.contextmanager
def _statements() -> Iterator[list[str]]:
    """The SQL statements any engine of this process sends, while in the block."""
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement.split(None, 1)[0].upper())

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def test_a_session_this_process_wrote_is_tapped_again_in_one_statement(
    postgres_db: Database,
) -> None:
    patient_id, session_id = await _new_patient(postgres_db, 1)
    with _statements() as sent:
        first = await _tap(postgres_db, 1, session_id, 0)
    assert first.written and sent == ["SELECT", "UPDATE"]
    with _statements() as sent:
        second = await _tap(postgres_db, 1, session_id, 1)
    assert second.written and sent == ["UPDATE"]  # the read skipped
    patient, session = await _fresh(postgres_db, 1, session_id)
    assert second.session == _one_step_back(session)  # decided on the values as written
    assert session.step_index == 2 and session.rev == 2
    assert session.completed == ("en", "en") and session.set_index == 3
    # a stale screen reads: its answer needs the session as it is now
    with _statements() as sent:
        stale = await _tap(postgres_db, 1, session_id, 1)
    assert not stale.written and sent == ["SELECT"]
    assert stale.session is not None and stale.session.rev == 2
    assert patient.id == patient_id


def _one_step_back(session: TapSession) -> TapSession:
    """``session`` as it was one step (one revision) back: what the second tap decided on."""
    return replace(
        session,
        rev=session.rev - 1,
        step_index=session.step_index - 1,
        completed=session.completed[:-1],
        timer_due_at=None,
    )


async def test_another_process_moving_the_session_makes_the_next_tap_read(
    postgres_url: str, postgres_db: Database
) -> None:
    _, session_id = await _new_patient(postgres_db, 1)
    other = Database(postgres_url)
    try:
        assert (await _tap(postgres_db, 1, session_id, 0)).written  # known here at rev 1
        assert (await _tap(other, 1, session_id, 1)).written  # rev 2, from the other process
        with _statements() as sent:
            tapped = await _tap(postgres_db, 1, session_id, 2)
        # the known rev 1 is not the screen's 2: read, then decide on what is there now
        assert tapped.written and sent == ["SELECT", "UPDATE"]
        _, session = await _fresh(postgres_db, 1, session_id)
        assert (session.rev, session.step_index) == (3, 3)
        # the other process knows rev 2; the screen of rev 3 is tapped there: its write
        # on rev 2 changes nothing, then it reads and writes
        with _statements() as sent:
            tapped = await _tap(other, 1, session_id, 3)
        assert tapped.written and sent == ["SELECT", "UPDATE"]
        _, session = await _fresh(postgres_db, 1, session_id)
        assert (session.rev, session.step_index) == (4, 4)
    finally:
        await other.dispose()


@pytest.mark.parametrize(
    ("column", "value"),
    [("language", "es"), ("held_exercises", ["bridge"]), ("dose", {"reps": 7})],
)
async def test_a_changed_patient_makes_the_next_tap_read_and_decide_again(
    postgres_db: Database, column: str, value: object
) -> None:
    patient_id, session_id = await _new_patient(postgres_db, 1)
    assert (await _tap(postgres_db, 1, session_id, 0)).written
    async with postgres_db.unit_of_work() as uow:  # e.g. /language, a pain report, the clinic
        await uow.session.execute(
            update(Patient).where(Patient.id == patient_id).values({column: value})
        )
        await uow.commit()
    with _statements() as sent:
        tapped = await _tap(postgres_db, 1, session_id, 1)
    assert tapped.written
    assert sent == ["UPDATE", "SELECT", "UPDATE"]  # the checked write changed nothing
    assert tapped.patient is not None
    patient, session = await _fresh(postgres_db, 1, session_id)
    assert tapped.patient == patient
    assert session.completed[-1] == patient.language
    assert session.set_index == 100 * len(patient.held_exercises) + patient.dose["reps"]


async def test_another_use_case_moving_the_session_or_its_message(postgres_db: Database) -> None:
    _, session_id = await _new_patient(postgres_db, 1)
    assert (await _tap(postgres_db, 1, session_id, 0)).written
    async with postgres_db.unit_of_work() as uow:  # which message shows it: no new revision
        await uow.sessions.set_message(session_id, 99)
        await uow.commit()
    with _statements() as sent:
        assert (await _tap(postgres_db, 1, session_id, 1)).written
    assert sent == ["UPDATE"]  # a step does not decide on the message
    async with postgres_db.unit_of_work() as uow:  # e.g. the step's timer ran out
        assert await uow.sessions.compare_and_set(session_id, 2, phase="feeling")
        await uow.commit()
    with _statements() as sent:
        tapped = await _tap(postgres_db, 1, session_id, 3)
    assert tapped.written and sent == ["SELECT", "UPDATE"]
    _, session = await _fresh(postgres_db, 1, session_id)
    assert (session.rev, session.message_id, session.phase) == (4, 99, "step")


async def test_someone_elses_session_or_a_forgotten_patient_is_never_known(
    postgres_db: Database,
) -> None:
    _, session_id = await _new_patient(postgres_db, 1)
    await _new_patient(postgres_db, 2)
    assert (await _tap(postgres_db, 1, session_id, 0)).written
    with _statements() as sent:
        foreign = await _tap(postgres_db, 2, session_id, 1)  # a forged tap on patient 1's session
    assert not foreign.written and sent == ["SELECT"]
    known = postgres_db.known_sessions
    assert known is not None and known.get(session_id, 1) is not None
    known.drop_patient(1)
    assert known.get(session_id, 1) is None and len(known) == 0
    assert (await _tap(postgres_db, 1, session_id, 1)).written  # known again
    async with postgres_db.unit_of_work() as uow:  # /forget in another process
        patient = await uow.patients.by_telegram_id(1)
        assert patient is not None
        await uow.patients.delete_everything(patient.id)
        await uow.commit()
    with _statements() as sent:
        gone = await _tap(postgres_db, 1, session_id, 2)
    assert not gone.written and gone.patient is None and sent == ["UPDATE", "SELECT"]


def _read(session_id: int, uid: int = 1) -> TapRead:
    patient = TapPatient(1, "en", (), {})
    session = TapSession(session_id, 1, "p", ("a",), (), "step", 0, 0, 0, 0, None, None, None, None)
    return TapRead(patient, session, StoredPatient(uid, "en", "[]", "{}"))


_VALUES = {
    "exercises": ["a"],
    "completed": [],
    "phase": "step",
    "exercise_index": 0,
    "step_index": 1,
    "set_index": 0,
    "timer_due_at": None,
    "updated_at": T0,
}


def test_known_sessions_keep_the_newest_few_and_only_briefly() -> None:
    now = [0.0]
    known = KnownSessions(size=2, max_age=600, clock=lambda: now[0])
    for session_id in (1, 2, 1, 3):
        known.wrote(_read(session_id), StepWrite(1, session_id, 0, _VALUES))
    assert len(known) == 2
    assert known.get(2, 1) is None  # the oldest written went first
    got = known.get(1, 1)
    assert got is not None and got.session is not None
    assert (got.session.rev, got.session.step_index) == (1, 1)
    assert known.get(1, 2) is None  # only for its own patient
    now[0] = 599.0
    known.wrote(_read(4, uid=2), StepWrite(1, 4, 0, _VALUES))
    now[0] = 601.0  # sessions 1 and 3 are ten minutes old: gone, session 4 stays
    assert known.get(1, 1) is None and known.get(3, 1) is None
    assert len(known) == 1 and known.get(4, 2) is not None
    # a tap that lost its race drops what it knew, not what the winner wrote since
    stale = known.get(4, 2)
    known.wrote(_read(4, uid=2), StepWrite(1, 4, 1, _VALUES))
    assert stale is not None
    known.drop(4, if_still=stale)
    assert known.get(4, 2) is not None
    known.drop_patient(2)
    assert len(known) == 0


async def test_a_known_step_changes_its_timer_only_when_its_write_wins(
    postgres_db: Database,
) -> None:
    """On known values the step and its timer change are still one statement, and the
    timer is left alone when the checked write changes nothing."""
    patient_id, session_id = await _new_patient(postgres_db, 1)
    assert (await _tap(postgres_db, 1, session_id, 0)).written

    def with_timer(screen_rev: int, key: str) -> Any:
        decide = _decide(screen_rev)

        def timed(patient: TapPatient | None, session: TapSession | None) -> _Plan:
            plan = decide(patient, session)
            if plan.write is None:
                return plan
            assert patient is not None  # the key says which values it was decided on
            due = T0 + timedelta(seconds=30)
            start = NewStepTimer("step", due, f"step:{patient.language}:{key}", {"s": 1})
            return _Plan(replace(plan.write, start_timer=start))

        return lambda conn: tap_transaction(
            conn, 1, session_id, timed, known=postgres_db.known_sessions
        )

    async with postgres_db.unit_of_work() as uow:  # /language in between: the known write loses
        await uow.session.execute(
            update(Patient).where(Patient.id == patient_id).values(language="es")
        )
        await uow.commit()
    with _statements() as sent:
        tapped = await postgres_db.in_one_hop(with_timer(1, "a"), autocommit=True)
    assert tapped.written and sent == ["WITH", "SELECT", "WITH"]  # lost, read, won
    with _statements() as sent:  # known now: one statement, the step and its timer
        tapped = await postgres_db.in_one_hop(with_timer(2, "b"), autocommit=True)
    assert tapped.written and sent == ["WITH"]
    async with postgres_db.unit_of_work() as uow:  # none from the write on the old language
        timers = await uow.timers.for_patient(patient_id, ["step"])
        assert sorted(t.idempotency_key for t in timers) == ["step:es:a", "step:es:b"]


class _TwoProcesses(RuleBasedStateMachine):
    """Two processes tapping the same sessions, a third changing things behind them."""

    url = ""

    @initialize()
    def start(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.a = Database(self.url)
        self.b = Database(self.url)
        self.admin = Database(self.url)
        self.uids = [self.next_uid(), self.next_uid()]
        self.sessions = [self.run(_new_patient(self.admin, uid))[1] for uid in self.uids]
        self.taps = 0

    next_id = 10_000

    @classmethod
    def next_uid(cls) -> int:
        cls.next_id += 1
        return cls.next_id

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        if not hasattr(self, "loop"):
            return
        for db in (self.a, self.b, self.admin):
            self.run(db.dispose())
        self.loop.close()

    @rule(
        process=st.sampled_from("ab"),
        who=st.integers(0, 1),
        screen=st.sampled_from(["current"] * 4 + ["older", "someone else's"]),
    )
    def tap(self, process: str, who: int, screen: str) -> None:
        uid, session_id = self.uids[who], self.sessions[who]
        tapper = self.uids[1 - who] if screen == "someone else's" else uid
        patient, session = self.run(_fresh(self.admin, tapper, session_id))
        rev = session.rev if session is not None else 0
        screen_rev = rev - 1 if screen == "older" else rev
        expected = _decide(screen_rev)(patient, session)
        db = self.a if process == "a" else self.b
        tapped = self.run(_tap(db, tapper, session_id, screen_rev))
        assert tapped.written == (expected.write is not None)
        _, after = self.run(_fresh(self.admin, uid, session_id))
        if expected.write is None:
            assert after == session or after is None
            return
        assert tapped.patient == patient  # the values written were decided on the truth
        values = expected.write.values
        assert after is not None and after.rev == rev + 1
        assert (list(after.completed), after.step_index, after.set_index) == (
            values["completed"],
            values["step_index"],
            values["set_index"],
        )
        self.taps += 1

    @rule(who=st.integers(0, 1), column=st.sampled_from(["language", "held_exercises", "dose"]))
    def change_patient(self, who: int, column: str) -> None:
        """/language, a pain report holding an exercise, the clinic's dose: always a change."""
        uid, session_id = self.uids[who], self.sessions[who]
        patient, _ = self.run(_fresh(self.admin, uid, session_id))
        value: object = {
            "language": "es" if patient.language == "en" else "en",
            "held_exercises": [] if patient.held_exercises else ["bridge"],
            "dose": {"reps": int(patient.dose.get("reps", 0)) + 1},
        }[column]
        self.run(self._update_patient(uid, {column: value}))

    async def _update_patient(self, uid: int, values: dict[str, object]) -> None:
        async with self.admin.unit_of_work() as uow:
            await uow.session.execute(
                update(Patient).where(Patient.telegram_user_id == uid).values(values)
            )
            await uow.commit()

    @rule(who=st.integers(0, 1), message=st.integers(1, 5))
    def other_use_case(self, who: int, message: int) -> None:
        """Another use case moves the session on (a timer, finishing), or only says which
        message shows it."""
        self.run(self._move(self.sessions[who], message))

    async def _move(self, session_id: int, message: int) -> None:
        async with self.admin.unit_of_work() as uow:
            session = await uow.sessions.get(session_id)
            if session is None:
                return
            if message % 2:
                await uow.sessions.set_message(session_id, message)
            else:
                await uow.sessions.compare_and_set(session_id, session.rev, step_index=message)
            await uow.commit()

    @rule(who=st.integers(0, 1))
    def forget_and_come_back(self, who: int) -> None:
        """/forget (in the admin process), then the same person starts again."""
        uid = self.uids[who]

        async def forget() -> int:
            async with self.admin.unit_of_work() as uow:
                patient = await uow.patients.by_telegram_id(uid)
                assert patient is not None
                await uow.patients.delete_everything(patient.id)
                await uow.commit()
            return (await _new_patient(self.admin, uid))[1]

        self.sessions[who] = self.run(forget())


async def test_known_sessions_never_write_what_a_fresh_read_would_not(
    postgres_db: Database, postgres_url: str
) -> None:
    _TwoProcesses.url = postgres_url
    await asyncio.to_thread(
        run_state_machine_as_test,
        _TwoProcesses,
        settings=settings(
            max_examples=40,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            # no shrinking: a failure prints its steps at once, well within the timeout
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
        ),
    )


async def test_two_taps_of_one_known_screen_at_once_advance_it_once(postgres_db: Database) -> None:
    """A double tap handled concurrently by one process: both decide on the known values,
    one write wins, the other reads and finds its screen stale; what stays known is the
    winner's revision, so the next tap is one statement again."""
    _, session_id = await _new_patient(postgres_db, 1)
    assert (await _tap(postgres_db, 1, session_id, 0)).written
    both = await asyncio.gather(
        _tap(postgres_db, 1, session_id, 1), _tap(postgres_db, 1, session_id, 1)
    )
    assert sorted(tapped.written for tapped in both) == [False, True]
    _, session = await _fresh(postgres_db, 1, session_id)
    assert (session.rev, session.step_index) == (2, 2)
    with _statements() as sent:
        assert (await _tap(postgres_db, 1, session_id, 2)).written
    assert sent == ["UPDATE"]
