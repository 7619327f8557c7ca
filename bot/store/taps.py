"""A tap on a session screen as one short transaction, written as plain synchronous Core.

The common tap (a step of an open session) reads the patient and the session in one
query, lets the use case decide on plain values, writes the step as a compare-and-set on
the session's revision, starts or stops the step timer, and commits. Written against a
synchronous ``Connection`` so that the whole of it is one call,
:meth:`bot.store.database.Database.in_one_hop`:

- SQLite file: one transaction in place on the event loop, on a connection that never
  waits for a lock (a file busy elsewhere sends it to a worker thread) and never
  checkpoints; through aiosqlite each cursor step was a trip to its thread (about twelve
  per tap; docs/BENCHMARKS.md).
- PostgreSQL: through ``AsyncConnection.run_sync`` without a transaction around it: the
  read, then the write as one atomic statement: two round trips, on the hops' own pool
  that stays in autocommit and skips the checkout ping (five before, with the ping, BEGIN
  and COMMIT). The compare-and-set makes the read outside the write's transaction safe:
  a write on a revision that moved meanwhile changes nothing. A session this process's
  own last tap wrote skips the read (:class:`KnownSessions`): one round trip.

No ORM objects: the rows are read into :class:`TapPatient` and :class:`TapSession`.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    exists,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection

from bot.store.models import ExerciseSession, Patient, Timer
from bot.store.repositories import cancel_pending_statement, schedule_statement


@dataclass(frozen=True, slots=True)
class TapPatient:
    """The columns of a patient a tap on a session screen reads."""

    id: int
    language: str
    held_exercises: tuple[str, ...]
    dose: Mapping[str, Any]  # the patient's own dose (patients.dose)


@dataclass(frozen=True, slots=True)
class TapSession:
    """The columns of a session a tap reads, as plain values."""

    id: int
    patient_id: int
    program_id: str
    exercises: tuple[str, ...]
    completed: tuple[str, ...]
    phase: str
    exercise_index: int
    step_index: int
    set_index: int
    rev: int
    message_id: int | None
    timer_due_at: datetime | None
    finished_at: datetime | None
    outcome: str | None


@dataclass(frozen=True, slots=True)
class NewStepTimer:
    """The step timer a step starts."""

    kind: str
    due_at: datetime
    key: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StepWrite:
    """What a step writes: every column of :data:`STEP_COLUMNS` (plus ``message_id``, or
    None to leave it) as a compare-and-set on ``expected_rev``; then the timer change."""

    patient_id: int
    session_id: int
    expected_rev: int
    values: Mapping[str, Any]
    start_timer: NewStepTimer | None = None
    stop_timers: str | None = None  # a kind: the patient's pending timers of it are cancelled


class Plan(Protocol):
    """The use case's decision on the values read: ``write`` None writes nothing."""

    @property
    def write(self) -> StepWrite | None: ...


P = TypeVar("P", bound=Plan)
Decide = Callable[[TapPatient | None, TapSession | None], P]


@dataclass(frozen=True, slots=True)
class TapResult(Generic[P]):
    patient: TapPatient | None
    session: TapSession | None
    plan: P
    written: bool  # the compare-and-set won (False: nothing to write, or a lost race)


_PATIENTS = cast(Table, Patient.__table__)
_SESSIONS = cast(Table, ExerciseSession.__table__)
_TIMERS = cast(Table, Timer.__table__)
_patients = _PATIENTS.c
_sessions = _SESSIONS.c
_timers = _TIMERS.c

# The patient's columns a tap decides on, as the database stores them: the JSON ones as
# their text, compared as text when a write checks that they did not change (PostgreSQL's
# ``json`` has no equality; its text is kept as written).
_STORED_HELD = _patients.held_exercises.cast(Text)
_STORED_DOSE = _patients.dose.cast(Text)

# Built once: the statement's cache key is memoized on the object, so each tap skips
# building and hashing it.
_TAP_SELECT = (
    select(
        _patients.id.label("p_id"),
        _patients.language.label("p_language"),
        _STORED_HELD.label("p_held_exercises"),
        _STORED_DOSE.label("p_dose"),
        *(getattr(_sessions, field.name) for field in fields(TapSession)),
    )
    .select_from(_PATIENTS.outerjoin(_SESSIONS, _sessions.id == bindparam("sid", type_=Integer)))
    .where(_patients.telegram_user_id == bindparam("uid", type_=BigInteger))
)

# what a step of a session changes (plus ``message_id`` when the tap names its message)
STEP_COLUMNS = (
    "exercises",
    "completed",
    "phase",
    "exercise_index",
    "step_index",
    "set_index",
    "timer_due_at",
    "updated_at",
)

# A step decided on known values (not read now) writes only if the patient's columns are
# still what they were: the session's revision covers the session, not its patient.
_PATIENT_UNCHANGED = exists(
    select(_patients.id).where(
        _patients.id == _sessions.patient_id,
        _patients.telegram_user_id == bindparam("uid", type_=BigInteger),
        _patients.language.is_not_distinct_from(bindparam("p_language", type_=String)),
        _STORED_HELD.is_not_distinct_from(bindparam("p_held", type_=Text)),
        _STORED_DOSE.is_not_distinct_from(bindparam("p_dose", type_=Text)),
    )
)


def _step_update(*extra: str, patient_unchanged: bool = False) -> Any:
    columns = (*STEP_COLUMNS, *extra)
    conditions = [
        _sessions.id == bindparam("sid", type_=Integer),
        _sessions.rev == bindparam("expected", type_=Integer),
    ]
    if patient_unchanged:
        conditions.append(_PATIENT_UNCHANGED)
    return (
        update(_SESSIONS)
        .where(*conditions)
        .values(
            rev=_sessions.rev + 1,
            **{
                name: bindparam(f"v_{name}", type_=getattr(_sessions, name).type)
                for name in columns
            },
        )
    )


# (names its message, checks the patient): the step's UPDATE
_STEP_UPDATES = {
    (message, checked): _step_update(
        *(("message_id",) if message else ()), patient_unchanged=checked
    )
    for message in (False, True)
    for checked in (False, True)
}


@dataclass(frozen=True, slots=True)
class StoredPatient:
    """The patient's columns a tap decided on, as stored: what a later write checks."""

    telegram_user_id: int
    language: str | None
    held_exercises: str | None  # the JSON text
    dose: str | None  # the JSON text

    def params(self) -> dict[str, Any]:
        return {
            "uid": self.telegram_user_id,
            "p_language": self.language,
            "p_held": self.held_exercises,
            "p_dose": self.dose,
        }


@dataclass(frozen=True, slots=True)
class TapRead:
    """What a tap read: no patient, (patient, None) for no such session, or both."""

    patient: TapPatient | None
    session: TapSession | None
    stored: StoredPatient | None  # with ``patient``


def read_tap(conn: Connection, telegram_user_id: int, session_id: int) -> TapRead:
    """The tapping patient and the tapped session, whoever's it is, in one query, with the
    patient's columns as stored (:class:`StoredPatient`). No patient: neither; no such
    session: the patient only."""
    row = conn.execute(_TAP_SELECT, {"uid": telegram_user_id, "sid": session_id}).one_or_none()
    if row is None:
        return TapRead(None, None, None)
    held = json.loads(row.p_held_exercises) if row.p_held_exercises is not None else None
    dose = json.loads(row.p_dose) if row.p_dose is not None else None
    patient = TapPatient(row.p_id, row.p_language, tuple(held or ()), dose or {})
    stored = StoredPatient(telegram_user_id, row.p_language, row.p_held_exercises, row.p_dose)
    if row.id is None:
        return TapRead(patient, None, stored)
    session = TapSession(
        id=row.id,
        patient_id=row.patient_id,
        program_id=row.program_id,
        exercises=tuple(row.exercises or ()),
        completed=tuple(row.completed or ()),
        phase=row.phase,
        exercise_index=row.exercise_index,
        step_index=row.step_index,
        set_index=row.set_index,
        rev=row.rev,
        message_id=row.message_id,
        timer_due_at=row.timer_due_at,
        finished_at=row.finished_at,
        outcome=row.outcome,
    )
    return TapRead(patient, session, stored)


def write_step(
    conn: Connection, dialect: str, step: StepWrite, *, unchanged: StoredPatient | None = None
) -> bool:
    """The step as a compare-and-set on the revision, with its timer change; False (and
    nothing written) when the session moved on meanwhile, or (``unchanged``) when the
    patient's columns are no longer as given.

    Atomic on its own on PostgreSQL, where the tap runs without a transaction around it
    (``Database.in_one_hop(autocommit=True)``): one ``UPDATE``, or with a timer change one
    statement of data-modifying CTEs. SQLite runs it inside the tap's transaction, which
    it needs anyway for its write lock (``BEGIN IMMEDIATE``)."""
    params = {f"v_{name}": step.values[name] for name in STEP_COLUMNS}
    params |= {"sid": step.session_id, "expected": step.expected_rev}
    message_id = step.values.get("message_id")
    if message_id is not None:
        params["v_message_id"] = message_id
    if unchanged is not None:
        params |= unchanged.params()
    stmt = _STEP_UPDATES[message_id is not None, unchanged is not None]
    if step.start_timer is None and step.stop_timers is None:
        return int(conn.execute(stmt, params).rowcount) == 1
    if dialect == "postgresql":
        return int(conn.execute(_with_timer_change(stmt, step), params).scalar_one()) == 1
    if int(conn.execute(stmt, params).rowcount) != 1:
        return False
    if step.stop_timers is not None:
        conn.execute(
            cancel_pending_statement(
                step.patient_id, [step.stop_timers], now=step.values["updated_at"]
            )
        )
    if step.start_timer is not None:
        timer = step.start_timer
        conn.execute(
            schedule_statement(
                dialect, step.patient_id, timer.kind, timer.due_at, timer.key, timer.payload
            ).values(created_at=step.values["updated_at"])
        )
    return True


def _with_timer_change(step_update: Any, step: StepWrite) -> Any:
    """PostgreSQL: the step's ``UPDATE`` and its timer change as one statement; the timer
    statements only act when the step's compare-and-set won (they read its ``RETURNING``).
    Selects how many sessions moved (1 or 0)."""
    moved = step_update.returning(_sessions.id).cte("moved")
    won = exists(select(moved.c.id))
    changes = []
    if step.stop_timers is not None:
        stop = cancel_pending_statement(
            step.patient_id, [step.stop_timers], now=step.values["updated_at"]
        )
        changes.append(stop.where(won).returning(_timers.id).cte("stopped"))
    if step.start_timer is not None:
        timer = step.start_timer
        new_timer = select(
            literal(step.patient_id, _timers.patient_id.type),
            literal(timer.kind, _timers.kind.type),
            literal(timer.due_at, _timers.due_at.type),
            literal(timer.key, _timers.idempotency_key.type),
            literal(timer.payload, _timers.payload.type),
            literal(step.values["updated_at"], _timers.created_at.type),
        ).where(won)
        start = (
            pg_insert(_TIMERS)
            .from_select(
                ["patient_id", "kind", "due_at", "idempotency_key", "payload", "created_at"],
                new_timer,
                include_defaults=False,  # state, attempts, late: the columns' server defaults
            )
            .on_conflict_do_nothing(index_elements=[_timers.idempotency_key])
        )
        changes.append(start.returning(_timers.id).cte("started"))
    return select(func.count()).select_from(moved).add_cte(*changes)


class KnownSessions:
    """The sessions this process's own taps wrote last, as they wrote them (PostgreSQL):
    the next tap on one decides on these values and skips the read, one round trip
    instead of two.

    Never the source of truth: the write checks everything the decision used, the
    session's revision (every change of a session's columns bumps it, but for the
    message that shows it, which a step does not decide on) and the patient's columns as
    stored (:class:`StoredPatient`). When either moved (another process, another use
    case, ``/forget``), nothing is written and the tap reads and decides again. A process
    that never saw the session, or restarted, simply reads.

    Held in memory only, and briefly: an entry older than ``max_age`` seconds is dropped
    (a session's taps come seconds apart), and beyond ``size`` the oldest go first.
    """

    def __init__(
        self,
        size: int = 2048,
        max_age: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.size = size
        self.max_age = max_age
        self._clock = clock
        # oldest write first: (when written, the session as written and its patient)
        self._sessions: OrderedDict[int, tuple[float, TapRead]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, session_id: int, telegram_user_id: int) -> TapRead | None:
        """The session as this process last wrote it, if recently and for this user."""
        self._drop_expired()
        entry = self._sessions.get(session_id)
        if entry is None or not _read_for(entry[1], telegram_user_id):
            return None
        return entry[1]

    def wrote(self, read: TapRead, step: StepWrite) -> None:
        """Remember the session as ``step`` left it (its compare-and-set won)."""
        session = read.session
        assert session is not None
        values = step.values
        message_id = values.get("message_id")
        after = replace(
            session,
            exercises=tuple(values["exercises"]),
            completed=tuple(values["completed"]),
            phase=values["phase"],
            exercise_index=values["exercise_index"],
            step_index=values["step_index"],
            set_index=values["set_index"],
            timer_due_at=values["timer_due_at"],
            message_id=session.message_id if message_id is None else message_id,
            rev=step.expected_rev + 1,
        )
        self._sessions.pop(session.id, None)
        self._sessions[session.id] = (self._clock(), TapRead(read.patient, after, read.stored))
        while len(self._sessions) > self.size:
            self._sessions.popitem(last=False)
        self._drop_expired()

    def drop(self, session_id: int, *, if_still: TapRead) -> None:
        """Forget a session found out of date, if ``if_still`` is still what is known (a
        concurrent tap may have written, and remembered, a newer revision meanwhile)."""
        entry = self._sessions.get(session_id)
        if entry is not None and entry[1] is if_still:
            del self._sessions[session_id]

    def drop_patient(self, telegram_user_id: int) -> None:
        """Forget a patient's sessions (``/forget``: no health data kept, even here)."""
        for session_id, (_, known) in list(self._sessions.items()):
            if _read_for(known, telegram_user_id):
                del self._sessions[session_id]

    def _drop_expired(self) -> None:
        oldest_kept = self._clock() - self.max_age
        while self._sessions:
            written_at, _ = next(iter(self._sessions.values()))
            if written_at >= oldest_kept:
                return
            self._sessions.popitem(last=False)


def _read_for(read: TapRead, telegram_user_id: int) -> bool:
    return read.stored is not None and read.stored.telegram_user_id == telegram_user_id


def tap_transaction(
    conn: Connection,
    telegram_user_id: int,
    session_id: int,
    decide: Decide[P],
    known: KnownSessions | None = None,
) -> TapResult[P]:
    """Read, decide, write: the body of the common tap's transaction (the caller begins
    and commits it, or on PostgreSQL runs it in autocommit). ``decide`` is the use case's
    pure decision on what was read; it may run twice (on known values, then on read ones).

    ``known``: a session this process's last tap wrote is decided on as it was written,
    and written only if neither it nor its patient changed since; otherwise (or when that
    decision writes nothing: a stale screen, say, which needs the values as they are now)
    the tap reads, as without it."""
    dialect = conn.dialect.name
    guess = known.get(session_id, telegram_user_id) if known is not None else None
    if guess is not None:
        assert known is not None and guess.stored is not None
        plan = decide(guess.patient, guess.session)
        step = plan.write
        if step is not None:
            # ``get`` matched the tapper already; the write checks the tapper again, so
            # that a slip there could never write someone else's session
            unchanged = replace(guess.stored, telegram_user_id=telegram_user_id)
            if write_step(conn, dialect, step, unchanged=unchanged):
                known.wrote(guess, step)
                return TapResult(guess.patient, guess.session, plan, True)
            # out of date: forget it (unless a concurrent tap has remembered newer since)
            known.drop(session_id, if_still=guess)
        # a decision that writes nothing (a stale screen, say) leaves what is known: it
        # may well be right; it is only that this answer needs the session as it is now
    read = read_tap(conn, telegram_user_id, session_id)
    plan = decide(read.patient, read.session)
    step = plan.write
    written = step is not None and write_step(conn, dialect, step)
    if known is not None and written:
        assert step is not None
        known.wrote(read, step)
    return TapResult(read.patient, read.session, plan, written)
