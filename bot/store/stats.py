"""Figures for the operator (``/metrics``), read at scrape time.

Each query is cheap whatever the number of patients: the oldest due timer is the first
entry of the ``(state, due_at)`` index; counting pending timers walks that index's
``pending`` range (one row per patient with reminders); counting holds scans ``patients``
(a clinic's patients: thousands, milliseconds). On PostgreSQL the server abandons them
after ``STATEMENT_TIMEOUT_MS`` too, so a slow database is not kept busier by scrapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select, text

from bot.store.database import Database
from bot.store.models import Patient, Timer

STATEMENT_TIMEOUT_MS = 1000


@dataclass(frozen=True)
class OpsSnapshot:
    oldest_due_at: datetime | None  # of the timers due and not being sent
    pending_by_kind: dict[str, int]
    holds_open: int


async def ops_snapshot(db: Database, now: datetime) -> OpsSnapshot:
    async with db.unit_of_work(read_only=True) as uow:
        session = uow.session
        if db.dialect == "postgresql":
            await session.execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
        # Due: pending and due, or claimed by a process whose lease ran out (it died).
        pending_due = select(func.min(Timer.due_at)).where(
            and_(Timer.state == "pending", Timer.due_at <= now)
        )
        abandoned = select(func.min(Timer.due_at)).where(
            and_(Timer.state == "claimed", Timer.claimed_until < now)
        )
        row = (
            await session.execute(
                select(pending_due.scalar_subquery(), abandoned.scalar_subquery())
            )
        ).one()
        oldest = min((t for t in row if t is not None), default=None)
        by_kind = await session.execute(
            select(Timer.kind, func.count()).where(Timer.state == "pending").group_by(Timer.kind)
        )
        holds = await session.scalar(
            select(func.count()).select_from(Patient).where(Patient.hold_since.is_not(None))
        )
    return OpsSnapshot(
        oldest_due_at=oldest,
        pending_by_kind={kind: int(count) for kind, count in by_kind.all()},
        holds_open=int(holds or 0),
    )
