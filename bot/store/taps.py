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
  a write on a revision that moved meanwhile changes nothing.

No ORM objects: the rows are read into :class:`TapPatient` and :class:`TapSession`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlalchemy import BigInteger, Integer, Table, bindparam, exists, func, literal, select, update
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

# Built once: the statement's cache key is memoized on the object, so each tap skips
# building and hashing it.
_TAP_SELECT = (
    select(
        _patients.id.label("p_id"),
        _patients.language.label("p_language"),
        _patients.held_exercises.label("p_held_exercises"),
        _patients.dose.label("p_dose"),
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


def _step_update(*extra: str) -> Any:
    columns = (*STEP_COLUMNS, *extra)
    return (
        update(_SESSIONS)
        .where(
            _sessions.id == bindparam("sid", type_=Integer),
            _sessions.rev == bindparam("expected", type_=Integer),
        )
        .values(
            rev=_sessions.rev + 1,
            **{
                name: bindparam(f"v_{name}", type_=getattr(_sessions, name).type)
                for name in columns
            },
        )
    )


_STEP_UPDATE = _step_update()
_STEP_UPDATE_MESSAGE = _step_update("message_id")


def read_tap(
    conn: Connection, telegram_user_id: int, session_id: int
) -> tuple[TapPatient | None, TapSession | None]:
    """The tapping patient and the tapped session, whoever's it is, in one query. No
    patient: (None, None); no such session: (patient, None)."""
    row = conn.execute(_TAP_SELECT, {"uid": telegram_user_id, "sid": session_id}).one_or_none()
    if row is None:
        return None, None
    patient = TapPatient(
        row.p_id, row.p_language, tuple(row.p_held_exercises or ()), row.p_dose or {}
    )
    if row.id is None:
        return patient, None
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
    return patient, session


def write_step(conn: Connection, dialect: str, step: StepWrite) -> bool:
    """The step as a compare-and-set on the revision, with its timer change; False (and
    nothing written) when the session moved on meanwhile.

    Atomic on its own on PostgreSQL, where the tap runs without a transaction around it
    (``Database.in_one_hop(autocommit=True)``): one ``UPDATE``, or with a timer change one
    statement of data-modifying CTEs. SQLite runs it inside the tap's transaction, which
    it needs anyway for its write lock (``BEGIN IMMEDIATE``)."""
    params = {f"v_{name}": step.values[name] for name in STEP_COLUMNS}
    params |= {"sid": step.session_id, "expected": step.expected_rev}
    message_id = step.values.get("message_id")
    if message_id is None:
        stmt = _STEP_UPDATE
    else:
        stmt = _STEP_UPDATE_MESSAGE
        params["v_message_id"] = message_id
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


def tap_transaction(
    conn: Connection, telegram_user_id: int, session_id: int, decide: Decide[P]
) -> TapResult[P]:
    """Read, decide, write: the body of the common tap's transaction (the caller begins
    and commits it). ``decide`` is the use case's pure decision on what was read."""
    patient, session = read_tap(conn, telegram_user_id, session_id)
    plan = decide(patient, session)
    step = plan.write
    written = step is not None and write_step(conn, conn.dialect.name, step)
    return TapResult(patient, session, plan, written)
