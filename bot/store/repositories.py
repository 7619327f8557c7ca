"""Repositories: queries and statements, never commits (the unit of work owns that).

Reads use ``populate_existing`` so an object already in the session is refreshed from
the row, because several writes here are set-based UPDATEs that bypass the identity map.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    delete,
    func,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.codes import new_patient_code
from bot.store.models import Base, ExerciseSession, Invite, MediaFile, Patient, Report, Timer
from bot.store.stamps import now_of

FRESH = {"populate_existing": True}
NO_SYNC = {"synchronize_session": False}
FINAL_TIMER_STATES = frozenset({"sent", "missed", "failed", "cancelled"})
NewTimer = tuple[str, datetime, str, dict[str, Any] | None]
PatientTimer = tuple[int, str, datetime, str, dict[str, Any] | None]  # patient id first


def dialect_insert(dialect: str) -> Callable[..., Any]:
    """The dialect's INSERT construct, which is where ``ON CONFLICT`` lives."""
    if dialect == "postgresql":
        return pg_insert
    if dialect == "sqlite":
        return sqlite_insert
    raise NotImplementedError(f"unsupported database dialect: {dialect}")


def as_plain_dict(row: Base) -> dict[str, Any]:
    """Column values as JSON-able data (datetimes as ISO 8601 strings)."""
    data: dict[str, Any] = {}
    for attr in inspect(type(row)).column_attrs:
        value = getattr(row, attr.key)
        data[attr.key] = value.isoformat() if isinstance(value, datetime) else value
    return data


def _clip(text: str | None, limit: int = 200) -> str | None:
    return None if text is None else text[:limit]


class PatientRepository:
    def __init__(
        self, session: AsyncSession, code_factory: Callable[[], str] = new_patient_code
    ) -> None:
        self.session = session
        self.code_factory = code_factory

    async def get(self, patient_id: int) -> Patient | None:
        return await self.session.get(Patient, patient_id, populate_existing=True)

    async def by_telegram_id(self, telegram_user_id: int) -> Patient | None:
        stmt = select(Patient).where(Patient.telegram_user_id == telegram_user_id)
        return (await self.session.scalars(stmt, execution_options=FRESH)).one_or_none()

    async def get_many(self, patient_ids: Iterable[int]) -> dict[int, Patient]:
        ids = list(patient_ids)
        if not ids:
            return {}
        stmt = select(Patient).where(Patient.id.in_(ids))
        found = await self.session.scalars(stmt, execution_options=FRESH)
        return {patient.id: patient for patient in found}

    async def agreed(self) -> list[Patient]:
        """Every patient who agreed (the clinic's figures are about them), by code."""
        stmt = select(Patient).where(Patient.consent_at.is_not(None)).order_by(Patient.code)
        return list(await self.session.scalars(stmt, execution_options=FRESH))

    async def clear_settings_step(self, telegram_user_id: int) -> bool:
        """Forget a question waiting for a typed answer; True if one was waiting."""
        stmt = (
            update(Patient)
            .where(Patient.telegram_user_id == telegram_user_id, Patient.settings_step.is_not(None))
            .values(settings_step=None)
        )
        result = await self.session.execute(stmt, execution_options=NO_SYNC)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def by_code(self, code: str) -> Patient | None:
        """The pseudonymous code the clinic sees in alerts."""
        stmt = select(Patient).where(Patient.code == code)
        return (await self.session.scalars(stmt, execution_options=FRESH)).one_or_none()

    async def add(self, patient: Patient) -> Patient:
        """Stage a new patient with a fresh unique code; flushed so ``id`` is set."""
        if not patient.code:
            patient.code = await self._unused_code()
        self.session.add(patient)
        await self.session.flush()
        return patient

    async def _unused_code(self, attempts: int = 20) -> str:
        for _ in range(attempts):
            code = self.code_factory()
            taken = await self.session.scalar(select(Patient.id).where(Patient.code == code))
            if taken is None:
                return code
        raise RuntimeError("could not find an unused patient code")

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Patient)) or 0)

    async def delete_everything(self, patient_id: int) -> dict[str, int]:
        """The ``/forget`` command: every row about this patient, counted per table.

        Deletes child tables explicitly rather than trusting ``ON DELETE CASCADE`` alone,
        so a SQLite connection without ``foreign_keys=ON`` still forgets everything.
        """
        counts: dict[str, int] = {}
        for name, model in (
            ("timers", Timer),
            ("reports", Report),
            ("sessions", ExerciseSession),
        ):
            stmt = delete(model).where(model.patient_id == patient_id)
            result = await self.session.execute(stmt, execution_options=NO_SYNC)
            counts[name] = result.rowcount  # type: ignore[attr-defined]
        # an invite this patient used stays the clinic's record, no longer linked to them
        await self.session.execute(
            update(Invite).where(Invite.used_by == patient_id).values(used_by=None),
            execution_options=NO_SYNC,
        )
        result = await self.session.execute(
            delete(Patient).where(Patient.id == patient_id), execution_options=NO_SYNC
        )
        counts["patients"] = result.rowcount  # type: ignore[attr-defined]
        for obj in list(self.session.identity_map.values()):
            if getattr(obj, "patient_id", None) == patient_id or (
                isinstance(obj, Patient) and obj.id == patient_id
            ):
                self.session.expunge(obj)
        return counts

    async def export(self, patient_id: int) -> dict[str, Any]:
        """The ``/mydata`` command: everything stored about one patient, as plain data."""
        patient = await self.get(patient_id)
        if patient is None:
            return {}

        async def rows(stmt: Select[Any]) -> list[dict[str, Any]]:
            found = await self.session.scalars(stmt, execution_options=FRESH)
            return [as_plain_dict(row) for row in found]

        return {
            "patient": as_plain_dict(patient),
            "sessions": await rows(
                select(ExerciseSession)
                .where(ExerciseSession.patient_id == patient_id)
                .order_by(ExerciseSession.started_at, ExerciseSession.id)
            ),
            "reports": await rows(
                select(Report)
                .where(Report.patient_id == patient_id)
                .order_by(Report.created_at, Report.id)
            ),
            "timers": await rows(
                select(Timer).where(Timer.patient_id == patient_id).order_by(Timer.due_at, Timer.id)
            ),
        }


class SessionRepository:
    _cas_forbidden = frozenset({"id", "rev", "patient_id"})

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, session_id: int) -> ExerciseSession | None:
        return await self.session.get(ExerciseSession, session_id, populate_existing=True)

    async def with_patient(
        self, telegram_user_id: int, session_id: int
    ) -> tuple[Patient | None, ExerciseSession | None]:
        """The tapping patient and the tapped session (whoever's it is) in one query: what
        every tap on a session screen needs first. No patient: (None, None)."""
        stmt = (
            select(Patient, ExerciseSession)
            .outerjoin(ExerciseSession, ExerciseSession.id == session_id)
            .where(Patient.telegram_user_id == telegram_user_id)
        )
        row = (await self.session.execute(stmt, execution_options=FRESH)).one_or_none()
        return (None, None) if row is None else (row[0], row[1])

    async def add(self, exercise_session: ExerciseSession) -> ExerciseSession:
        self.session.add(exercise_session)
        await self.session.flush()
        return exercise_session

    async def open_for_patient(self, patient_id: int) -> ExerciseSession | None:
        """The patient's newest unfinished session, if any."""
        stmt = (
            select(ExerciseSession)
            .where(ExerciseSession.patient_id == patient_id, ExerciseSession.finished_at.is_(None))
            .order_by(ExerciseSession.started_at.desc(), ExerciseSession.id.desc())
            .limit(1)
        )
        return (await self.session.scalars(stmt, execution_options=FRESH)).first()

    async def recent_for_patient(self, patient_id: int, since: datetime) -> list[ExerciseSession]:
        stmt = (
            select(ExerciseSession)
            .where(ExerciseSession.patient_id == patient_id, ExerciseSession.started_at >= since)
            .order_by(ExerciseSession.started_at, ExerciseSession.id)
        )
        return list(await self.session.scalars(stmt, execution_options=FRESH))

    async def started_between(self, start: datetime, end: datetime) -> list[ExerciseSession]:
        """Every patient's sessions begun in [start, end), for the clinic's figures."""
        stmt = (
            select(ExerciseSession)
            .where(ExerciseSession.started_at >= start, ExerciseSession.started_at < end)
            .order_by(ExerciseSession.started_at, ExerciseSession.id)
        )
        return list(await self.session.scalars(stmt, execution_options=FRESH))

    async def last_finished(
        self, patient_ids: Iterable[int], outcomes: Iterable[str]
    ) -> dict[int, datetime]:
        """When each patient last finished a session with one of ``outcomes``."""
        ids = list(patient_ids)
        if not ids:
            return {}
        stmt = (
            select(ExerciseSession.patient_id, func.max(ExerciseSession.finished_at))
            .where(
                ExerciseSession.patient_id.in_(ids),
                ExerciseSession.outcome.in_(list(outcomes)),
            )
            .group_by(ExerciseSession.patient_id)
        )
        rows = await self.session.execute(stmt)
        return {pid: when for pid, when in rows if when is not None}

    async def last_begun(
        self, patient_ids: Iterable[int], not_begun: Iterable[str]
    ) -> dict[int, datetime]:
        """When each patient last started a session, leaving out those that ended with one
        of ``not_begun`` (never begun, or replaced by a new start)."""
        ids = list(patient_ids)
        if not ids:
            return {}
        stmt = (
            select(ExerciseSession.patient_id, func.max(ExerciseSession.started_at))
            .where(
                ExerciseSession.patient_id.in_(ids),
                or_(
                    ExerciseSession.outcome.is_(None),
                    ExerciseSession.outcome.not_in(list(not_begun)),
                ),
            )
            .group_by(ExerciseSession.patient_id)
        )
        rows = await self.session.execute(stmt)
        return {pid: when for pid, when in rows if when is not None}

    async def recent_for_patients(
        self, patient_ids: Iterable[int], since: datetime
    ) -> list[ExerciseSession]:
        """Several patients' sessions begun since ``since`` (the weekly summaries of a batch)."""
        ids = list(patient_ids)
        if not ids:
            return []
        stmt = (
            select(ExerciseSession)
            .where(ExerciseSession.patient_id.in_(ids), ExerciseSession.started_at >= since)
            .order_by(ExerciseSession.started_at, ExerciseSession.id)
        )
        return list(await self.session.scalars(stmt, execution_options=FRESH))

    async def count_finished(self, patient_id: int, outcomes: Iterable[str]) -> int:
        """How many of the patient's sessions ended with one of ``outcomes``."""
        stmt = select(func.count()).where(
            ExerciseSession.patient_id == patient_id,
            ExerciseSession.outcome.in_(list(outcomes)),
        )
        return int(await self.session.scalar(stmt) or 0)

    async def set_message(self, session_id: int, message_id: int) -> None:
        """Which message shows the session now (no new revision: its screen is the same)."""
        await self.session.execute(
            update(ExerciseSession)
            .where(ExerciseSession.id == session_id)
            .values(message_id=message_id),
            execution_options=NO_SYNC,
        )

    async def compare_and_set(self, session_id: int, expected_rev: int, **changes: Any) -> bool:
        """Apply ``changes`` only if the session is still at ``expected_rev``; bump ``rev``.

        One conditional UPDATE, so of two concurrent taps made from the same screen
        exactly one advances the session; the other sees ``False`` and is stale.
        """
        columns = {attr.key for attr in inspect(ExerciseSession).column_attrs}
        bad = set(changes) - (columns - self._cas_forbidden)
        if bad:
            raise ValueError(f"cannot compare-and-set {sorted(bad)}")
        now = now_of(self.session.sync_session)
        if now is not None and "updated_at" not in changes:
            changes = {**changes, "updated_at": now}
        stmt = (
            update(ExerciseSession)
            .where(ExerciseSession.id == session_id, ExerciseSession.rev == expected_rev)
            .values(rev=ExerciseSession.rev + 1, **changes)
            .returning(ExerciseSession)
        )
        result = await self.session.scalars(stmt, execution_options={**FRESH, **NO_SYNC})
        return result.one_or_none() is not None


class ReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, report: Report) -> Report:
        report.detail = _clip(report.detail)
        self.session.add(report)
        await self.session.flush()
        return report

    async def get(self, report_id: int) -> Report | None:
        return await self.session.get(Report, report_id, populate_existing=True)

    async def set_rating(self, report_id: int, patient_id: int, rating: int) -> bool:
        """Rate one pain report of this patient, once: one conditional UPDATE, so of two
        taps at the same instant exactly one is stored; the other sees ``False``."""
        stmt = (
            update(Report)
            .where(
                Report.id == report_id,
                Report.patient_id == patient_id,
                Report.kind == "pain",
                Report.rating.is_(None),
            )
            .values(rating=rating)
            .returning(Report.id)
        )
        result = await self.session.scalars(stmt, execution_options={**FRESH, **NO_SYNC})
        return result.one_or_none() is not None

    async def for_patient(self, patient_id: int, since: datetime | None = None) -> list[Report]:
        stmt = select(Report).where(Report.patient_id == patient_id)
        if since is not None:
            stmt = stmt.where(Report.created_at >= since)
        stmt = stmt.order_by(Report.created_at, Report.id)
        return list(await self.session.scalars(stmt, execution_options=FRESH))

    async def between(self, start: datetime, end: datetime) -> list[Report]:
        """Every patient's answers made in [start, end), for the clinic's figures."""
        stmt = (
            select(Report)
            .where(Report.created_at >= start, Report.created_at < end)
            .order_by(Report.created_at, Report.id)
        )
        return list(await self.session.scalars(stmt, execution_options=FRESH))

    async def last_of_kinds(
        self, patient_ids: Iterable[int], kinds: Iterable[str]
    ) -> dict[int, datetime]:
        """When each patient last gave an answer of one of ``kinds``."""
        ids = list(patient_ids)
        if not ids:
            return {}
        stmt = (
            select(Report.patient_id, func.max(Report.created_at))
            .where(Report.patient_id.in_(ids), Report.kind.in_(list(kinds)))
            .group_by(Report.patient_id)
        )
        rows = await self.session.execute(stmt)
        return {pid: when for pid, when in rows if when is not None}

    async def last_kinds(self, patient_id: int, n: int) -> list[str]:
        """Kinds of the patient's ``n`` latest reports, newest first."""
        stmt = (
            select(Report.kind)
            .where(Report.patient_id == patient_id)
            .order_by(Report.created_at.desc(), Report.id.desc())
            .limit(n)
        )
        return list(await self.session.scalars(stmt))


def _revived(ins: Any) -> dict[str, Any]:
    """The columns a cancelled timer gets back when its key is scheduled again."""
    return {
        "due_at": ins.excluded.due_at,
        "payload": ins.excluded.payload,
        "state": "pending",
        "attempts": 0,
        "claimed_by": None,
        "claimed_until": None,
        "finished_at": None,
        "late": False,
        "last_error": None,
    }


def schedule_statement(
    dialect: str,
    patient_id: int,
    kind: str,
    due_at: datetime,
    idempotency_key: str,
    payload: dict[str, Any] | None = None,
) -> Any:
    """INSERT a pending timer, nothing when its idempotency key exists already."""
    return (
        dialect_insert(dialect)(Timer)
        .values(
            patient_id=patient_id,
            kind=kind,
            due_at=due_at,
            idempotency_key=idempotency_key,
            payload=payload or {},
        )
        .on_conflict_do_nothing(index_elements=[Timer.idempotency_key])
    )


_TIMERS = cast(Table, Timer.__table__)
_timers = _TIMERS.c
_COMPLETE_MANY = (
    update(_TIMERS)
    .where(
        _timers.id.in_(bindparam("ids", type_=_timers.id.type, expanding=True)),
        _timers.state == "claimed",
        _timers.claimed_by == bindparam("worker", type_=_timers.claimed_by.type),
    )
    .values(
        state=bindparam("outcome", type_=_timers.state.type),
        finished_at=bindparam("at", type_=_timers.finished_at.type),
        late=bindparam("is_late", type_=_timers.late.type),
        last_error=None,
        claimed_until=None,
    )
)


def complete_many_statement(
    timer_ids: list[int], worker_id: str, state: str, *, late: bool, now: datetime
) -> tuple[Update, dict[str, Any]]:
    """Claimed timers of this worker finished with one outcome, as a Core statement built
    once and its parameters (the dispatcher runs it in one hop per group of reminders)."""
    if state not in FINAL_TIMER_STATES:
        raise ValueError(f"not a final timer state: {state!r}")
    params = {"ids": timer_ids, "worker": worker_id, "outcome": state, "at": now, "is_late": late}
    return _COMPLETE_MANY, params


def cancel_pending_statement(
    patient_id: int, kinds: Iterable[str] | None = None, *, now: datetime | None = None
) -> Any:
    """UPDATE the patient's pending timers (of ``kinds``) to cancelled; claimed ones are
    in flight and left alone."""
    stmt = update(Timer).where(Timer.patient_id == patient_id, Timer.state == "pending")
    if kinds is not None:
        stmt = stmt.where(Timer.kind.in_(list(kinds)))
    return stmt.values(state="cancelled", finished_at=now)


class TimerRepository:
    """The durable timers table; see DESIGN.md, "The reminder engine"."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self.session = session
        self.dialect = dialect
        self._insert = dialect_insert(dialect)

    async def get(self, timer_id: int) -> Timer | None:
        return await self.session.get(Timer, timer_id, populate_existing=True)

    async def schedule(
        self,
        patient_id: int,
        kind: str,
        due_at: datetime,
        idempotency_key: str,
        payload: dict[str, Any] | None = None,
    ) -> Timer | None:
        """Insert a pending timer; ``None`` if its idempotency key already exists."""
        stmt = schedule_statement(
            self.dialect, patient_id, kind, due_at, idempotency_key, payload
        ).returning(Timer)
        return (await self.session.scalars(stmt, execution_options=FRESH)).one_or_none()

    async def replace_pending(
        self,
        patient_id: int,
        kinds: Iterable[str],
        new: Iterable[NewTimer] | None = None,
        *,
        now: datetime | None = None,
    ) -> list[Timer]:
        """Cancel the patient's pending timers of ``kinds``, then schedule ``new``.

        A new timer whose key belongs to a cancelled row (typically one cancelled just
        above, e.g. today's reminder moved to another time) revives that row with the
        new due time; a key already sent, missed or still pending is left alone, so the
        idempotency guarantee ("never two reminders for one local day") holds.
        Returns the timers that are pending as a result.
        """
        await self.cancel_pending(patient_id, kinds, now=now)
        scheduled: list[Timer] = []
        for kind, due_at, key, payload in new or ():
            ins = self._insert(Timer).values(
                patient_id=patient_id,
                kind=kind,
                due_at=due_at,
                idempotency_key=key,
                payload=payload or {},
            )
            stmt = ins.on_conflict_do_update(
                index_elements=[Timer.idempotency_key],
                set_={"kind": ins.excluded.kind, **_revived(ins)},
                where=and_(Timer.state == "cancelled", Timer.patient_id == patient_id),
            ).returning(Timer)
            timer = (await self.session.scalars(stmt, execution_options=FRESH)).one_or_none()
            if timer is not None:
                scheduled.append(timer)
        return scheduled

    async def cancel_pending(
        self, patient_id: int, kinds: Iterable[str] | None = None, *, now: datetime | None = None
    ) -> int:
        """Cancel pending (not claimed: those are in flight) timers; returns how many."""
        stmt = cancel_pending_statement(patient_id, kinds, now=now)
        result = await self.session.execute(stmt, execution_options=NO_SYNC)
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def claim_due(
        self, now: datetime, *, limit: int, worker_id: str, lease: timedelta
    ) -> list[Timer]:
        """Lease up to ``limit`` due timers to ``worker_id``, oldest due first.

        Due means pending with ``due_at <= now``, or claimed by a worker whose lease ran
        out (it crashed or hung: its work is taken over) - at ``claimed_until`` itself,
        the instant ``next_due_at`` reports. Timers due at the same instant (a crowd at
        08:00) come in an order of patients that changes every day, so when some must be
        late it is not always the same patients; one patient's come in the order made.
        PostgreSQL picks rows with ``FOR UPDATE SKIP LOCKED``; on SQLite the unit of work
        already holds the write lock (``BEGIN IMMEDIATE``), and the pick and the update
        are one statement anyway.
        """
        if limit <= 0:
            return []
        due = or_(
            and_(Timer.state == "pending", Timer.due_at <= now),
            and_(Timer.state == "claimed", Timer.claimed_until <= now),
        )
        # a different permutation of the patients each day: multiplying by a day's factor
        # modulo a prime (2**31 - 1) reorders them (ids and factors below 2**31: fits 64
        # bits). One patient's timers due at the same instant keep the order they were
        # made in (a pain alert before the urgent one that followed it).
        prime = 2_147_483_647
        factor = (1_103_515_245 + now.toordinal() * 2_654_435_761) % prime or 1
        shuffle = (func.coalesce(Timer.patient_id, 0).cast(BigInteger) * factor) % prime
        pick = select(Timer.id).where(due).order_by(Timer.due_at, shuffle, Timer.id).limit(limit)
        if self.dialect == "postgresql":
            ids = list(await self.session.scalars(pick.with_for_update(skip_locked=True)))
            if not ids:
                return []
            chosen = Timer.id.in_(ids)
        else:
            chosen = Timer.id.in_(pick.scalar_subquery())
        stmt = (
            update(Timer)
            .where(chosen)
            .values(
                state="claimed",
                claimed_by=worker_id,
                claimed_until=now + lease,
                attempts=Timer.attempts + 1,
            )
            .returning(Timer)
        )
        claimed = list(await self.session.scalars(stmt, execution_options={**FRESH, **NO_SYNC}))
        claimed.sort(key=lambda t: (t.due_at, (t.patient_id or 0) * factor % prime, t.id))
        return claimed

    async def complete(
        self,
        timer_id: int,
        worker_id: str,
        state: str,
        *,
        late: bool = False,
        error: str | None = None,
        now: datetime,
    ) -> bool:
        """Record the outcome, only if ``worker_id`` still holds the claim.

        A worker whose lease expired and was taken over gets ``False`` and must not
        assume its result counted (the new holder's result wins).
        """
        if state not in FINAL_TIMER_STATES:
            raise ValueError(f"not a final timer state: {state!r}")
        stmt = (
            update(Timer)
            .where(Timer.id == timer_id, Timer.state == "claimed", Timer.claimed_by == worker_id)
            .values(
                state=state, finished_at=now, late=late, last_error=_clip(error), claimed_until=None
            )
        )
        result = await self.session.execute(stmt, execution_options=NO_SYNC)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def complete_many(
        self,
        timer_ids: list[int],
        worker_id: str,
        state: str,
        *,
        late: bool = False,
        now: datetime,
    ) -> int:
        """:meth:`complete` for a batch with one outcome: one UPDATE; returns rows recorded."""
        if not timer_ids:
            return 0
        stmt, params = complete_many_statement(timer_ids, worker_id, state, late=late, now=now)
        result = await self.session.execute(stmt, params)
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def replace_pending_many(
        self, patient_ids: list[int], kind: str, new: list[PatientTimer], *, now: datetime
    ) -> None:
        """:meth:`replace_pending` for many patients and one kind, in two statements."""
        if patient_ids:
            await self.session.execute(
                update(Timer)
                .where(
                    Timer.patient_id.in_(patient_ids), Timer.kind == kind, Timer.state == "pending"
                )
                .values(state="cancelled", finished_at=now),
                execution_options=NO_SYNC,
            )
        if not new:
            return
        # one statement run for many rows (executemany): compiled once and cached, where a
        # multi-row VALUES would be compiled again for every batch
        ins = self._insert(Timer.__table__)
        stmt = ins.on_conflict_do_update(
            index_elements=[Timer.idempotency_key],
            set_=_revived(ins),
            where=Timer.state == "cancelled",
        )
        await self.session.execute(
            stmt,
            [
                {
                    "patient_id": patient_id,
                    "kind": k,
                    "due_at": due_at,
                    "idempotency_key": key,
                    "payload": payload or {},
                }
                for patient_id, k, due_at, key, payload in new
            ],
        )

    async def set_payload(self, timer_id: int, payload: dict[str, Any]) -> None:
        """Replace a timer's payload (a reminder that carries a lapse note says so, so a
        retry of its send carries the same note)."""
        stmt = update(Timer).where(Timer.id == timer_id).values(payload=payload)
        await self.session.execute(stmt, execution_options=NO_SYNC)

    async def release(
        self, timer_id: int, worker_id: str, retry_at: datetime, error: str | None
    ) -> bool:
        """Hand a claimed timer back as pending at ``retry_at`` (429 retry_after, backoff)."""
        stmt = (
            update(Timer)
            .where(Timer.id == timer_id, Timer.state == "claimed", Timer.claimed_by == worker_id)
            .values(
                state="pending",
                due_at=retry_at,
                claimed_by=None,
                claimed_until=None,
                last_error=_clip(error),
            )
        )
        result = await self.session.execute(stmt, execution_options=NO_SYNC)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def finish_pending_keys(self, keys: list[str], state: str, *, now: datetime) -> int:
        """Settle still-pending timers by key (a claimed one is already being sent)."""
        if state not in FINAL_TIMER_STATES:
            raise ValueError(f"not a final timer state: {state!r}")
        if not keys:
            return 0
        stmt = (
            update(Timer)
            .where(Timer.idempotency_key.in_(keys), Timer.state == "pending")
            .values(state=state, finished_at=now)
        )
        result = await self.session.execute(stmt, execution_options=NO_SYNC)
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def count_keys_with_prefix(self, prefix: str) -> int:
        """How many timers (any state) have an idempotency key starting with ``prefix``."""
        stmt = (
            select(func.count())
            .select_from(Timer)
            .where(Timer.idempotency_key.startswith(prefix, autoescape=True))
        )
        return int(await self.session.scalar(stmt) or 0)

    async def next_due_at(self) -> datetime | None:
        """When the dispatcher next has work: earliest pending due time or lease expiry."""
        pending = await self.session.scalar(
            select(func.min(Timer.due_at)).where(Timer.state == "pending")
        )
        lease_end = await self.session.scalar(
            select(func.min(Timer.claimed_until)).where(Timer.state == "claimed")
        )
        candidates = [t for t in (pending, lease_end) if t is not None]
        return min(candidates) if candidates else None

    async def pending_for_patient(
        self, patient_id: int, kinds: Iterable[str] | None = None
    ) -> list[Timer]:
        stmt = select(Timer).where(Timer.patient_id == patient_id, Timer.state == "pending")
        if kinds is not None:
            stmt = stmt.where(Timer.kind.in_(list(kinds)))
        stmt = stmt.order_by(Timer.due_at, Timer.id)
        return list(await self.session.scalars(stmt, execution_options=FRESH))

    async def last_sent(self, patient_ids: Iterable[int], kind: str) -> dict[int, datetime]:
        """When each patient's last timer of ``kind`` was sent."""
        ids = list(patient_ids)
        if not ids:
            return {}
        stmt = (
            select(Timer.patient_id, func.max(Timer.finished_at))
            .where(Timer.patient_id.in_(ids), Timer.kind == kind, Timer.state == "sent")
            .group_by(Timer.patient_id)
        )
        last: dict[int, datetime] = {}
        for pid, when in await self.session.execute(stmt):
            if pid is not None and when is not None:
                last[pid] = when
        return last

    async def for_patient(self, patient_id: int, kinds: Iterable[str]) -> list[Timer]:
        """The patient's timers of ``kinds`` in any state."""
        stmt = select(Timer).where(Timer.patient_id == patient_id, Timer.kind.in_(list(kinds)))
        return list(await self.session.scalars(stmt.order_by(Timer.id), execution_options=FRESH))

    async def clinic_timers(self, kind: str, states: Iterable[str]) -> list[Timer]:
        """The clinic's own timers of ``kind`` (no patient) in ``states``."""
        stmt = select(Timer).where(
            Timer.patient_id.is_(None), Timer.kind == kind, Timer.state.in_(list(states))
        )
        return list(await self.session.scalars(stmt.order_by(Timer.id), execution_options=FRESH))

    async def state_of_key(self, key: str) -> str | None:
        """The state of the timer with this idempotency key, None if there is none."""
        stmt = select(Timer.state).where(Timer.idempotency_key == key)
        return (await self.session.scalars(stmt)).one_or_none()

    async def schedule_clinic(
        self, kind: str, due_at: datetime, idempotency_key: str, payload: dict[str, Any]
    ) -> Timer | None:
        """A clinic timer (no patient), pending; a cancelled row with the key is revived,
        any other row with it is left alone (``None``)."""
        ins = self._insert(Timer).values(
            patient_id=None,
            kind=kind,
            due_at=due_at,
            idempotency_key=idempotency_key,
            payload=payload,
        )
        stmt = ins.on_conflict_do_update(
            index_elements=[Timer.idempotency_key],
            set_={"kind": ins.excluded.kind, **_revived(ins)},
            where=and_(Timer.state == "cancelled", Timer.patient_id.is_(None)),
        ).returning(Timer)
        return (await self.session.scalars(stmt, execution_options=FRESH)).one_or_none()

    async def cancel_ids(self, timer_ids: list[int], *, now: datetime) -> int:
        """Cancel these timers if still pending (a claimed one is being sent)."""
        if not timer_ids:
            return 0
        stmt = (
            update(Timer)
            .where(Timer.id.in_(timer_ids), Timer.state == "pending")
            .values(state="cancelled", finished_at=now)
        )
        result = await self.session.execute(stmt, execution_options=NO_SYNC)
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def count_due(self, now: datetime) -> int:
        """How many timers are due now (the dispatcher's backlog)."""
        stmt = select(func.count()).where(Timer.state == "pending", Timer.due_at <= now)
        return int(await self.session.scalar(stmt) or 0)

    async def renew_claims(self, timer_ids: list[int], worker_id: str, until: datetime) -> set[int]:
        """Extend this worker's claims; returns the ids it still holds."""
        if not timer_ids:
            return set()
        stmt = (
            update(Timer)
            .where(Timer.id.in_(timer_ids), Timer.state == "claimed", Timer.claimed_by == worker_id)
            .values(claimed_until=until)
            .returning(Timer.id)
        )
        return set(await self.session.scalars(stmt, execution_options=NO_SYNC))

    async def count_by_state(self) -> dict[str, int]:
        stmt = select(Timer.state, func.count()).group_by(Timer.state)
        return {state: int(n) for state, n in (await self.session.execute(stmt)).all()}


class InviteRepository:
    """Invite links (bot/core/invites.py): only the token's hash is ever stored or read."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, invite: Invite) -> Invite:
        self.session.add(invite)
        await self.session.flush()
        return invite

    async def by_hash(self, token_hash: str) -> Invite | None:
        stmt = select(Invite).where(Invite.token_hash == token_hash)
        return (await self.session.scalars(stmt, execution_options=FRESH)).one_or_none()

    async def redeem(self, token_hash: str, patient_id: int, now: datetime) -> Invite | None:
        """Use the invite, once: one conditional UPDATE (unused and not expired), so of two
        patients racing for one link exactly one gets it. The invite, or None."""
        stmt = (
            update(Invite)
            .where(
                Invite.token_hash == token_hash,
                Invite.used_at.is_(None),
                Invite.expires_at > now,
            )
            .values(used_at=now, used_by=patient_id)
        )
        result = await self.session.execute(stmt, execution_options=NO_SYNC)
        if not result.rowcount:  # type: ignore[attr-defined]
            return None
        return await self.by_hash(token_hash)


class MediaFileRepository:
    """Telegram file ids of uploaded pictures, so each file is uploaded once per bot."""

    def __init__(self, session: AsyncSession, dialect: str) -> None:
        self.session = session
        self._insert = dialect_insert(dialect)

    async def file_id(self, bot_id: int, sha256: str, kind: str) -> str | None:
        """The id to send instead of the file; None when it was never uploaded as ``kind``."""
        stmt = select(MediaFile.file_id).where(
            MediaFile.bot_id == bot_id, MediaFile.sha256 == sha256, MediaFile.kind == kind
        )
        return (await self.session.scalars(stmt)).one_or_none()

    async def remember(
        self, bot_id: int, sha256: str, kind: str, file_id: str, name: str, *, now: datetime
    ) -> None:
        """Store (or replace) the id Telegram gave for these bytes.

        An upsert: two instances that uploaded the same new file at once both succeed,
        and either id works.
        """
        ins = self._insert(MediaFile).values(
            bot_id=bot_id, sha256=sha256, kind=kind, file_id=file_id, name=name, uploaded_at=now
        )
        stmt = ins.on_conflict_do_update(
            index_elements=[MediaFile.bot_id, MediaFile.sha256],
            set_={
                "kind": ins.excluded.kind,
                "file_id": ins.excluded.file_id,
                "name": ins.excluded.name,
                "uploaded_at": ins.excluded.uploaded_at,
            },
        )
        await self.session.execute(stmt)

    async def forget(self, bot_id: int, sha256: str) -> None:
        """Drop an id Telegram no longer accepts, so the file is uploaded again."""
        await self.session.execute(
            delete(MediaFile).where(MediaFile.bot_id == bot_id, MediaFile.sha256 == sha256)
        )
