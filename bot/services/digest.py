"""The weekly digest to the clinic's staff chat (issue 15, docs/CLINIC.md).

One durable clinic-owned timer (``Kind.STAFF_DIGEST``, no patient) per week, keyed by
the week (``digest:<Monday>``), due on ``DIGEST_WEEKDAY`` at ``DIGEST_TIME`` in the
clinic's time zone, only while a staff chat is configured. ``ensure_planned`` plans the
first at start-up (and drops a planned one the settings no longer want); ``due_digest``,
when one falls due, plans the next in its own committed unit of work before anything is
sent, so a failed send or a crash never loses the plan, then builds the same figures as
``/adherence`` (``adherence.figures_reply``) under the digest's title.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from bot.core import adherence as core_adherence
from bot.core.digest import (
    DigestPlan,
    digest_after,
    following,
    period_before,
    plan_of,
    too_late,
)
from bot.core.schedule import ON_TIME_WINDOW
from bot.core.timers import Kind
from bot.services.adherence import clinic_rows, figures_reply
from bot.services.context import Services
from bot.services.replies import Reply
from bot.store.models import Timer
from bot.store.uow import UnitOfWork

log = logging.getLogger(__name__)
TITLE = "staff_digest"
WAITING = ("pending", "claimed")


def plan_from(svc: Services) -> DigestPlan | None:
    """What the settings say; None: off (``DIGEST_WEEKDAY=off``) or no staff chat."""
    settings = svc.settings
    return plan_of(
        settings.digest_weekday,
        settings.digest_time,
        svc.content.clinic.timezone,
        staff_chat=settings.staff_chat_id is not None,
    )


async def plan_next(uow: UnitOfWork, plan: DigestPlan, after: datetime) -> Timer | None:
    """Plan the first digest due after ``after`` whose week has none yet (never commits)."""
    taken: set[str] = set()
    found = digest_after(plan, after, taken)
    for _ in range(3):
        state = await uow.timers.state_of_key(found.key)
        if state in (None, "cancelled"):
            break
        taken.add(found.key)
        found = digest_after(plan, after, taken)
    return await uow.timers.schedule_clinic(
        Kind.STAFF_DIGEST, found.due_at, found.key, found.payload(plan)
    )


async def ensure_planned(svc: Services) -> datetime | None:
    """At start-up: one digest waiting when the settings want one, none otherwise.

    A planned digest made under other settings (another weekday, time or zone, or the
    digest turned off, or no staff chat) is cancelled; one being sent is left alone.
    Returns when the waiting digest is due (None: no digest)."""
    plan = plan_from(svc)
    now = svc.clock.now()
    async with svc.db.unit_of_work() as uow:
        waiting = await uow.timers.clinic_timers(Kind.STAFF_DIGEST, WAITING)
        stale = [
            t.id
            for t in waiting
            if t.state == "pending" and (plan is None or t.payload.get("plan") != plan.signature())
        ]
        await uow.timers.cancel_ids(stale, now=now)
        live = [t for t in waiting if t.id not in stale]
        due: datetime | None = None
        if plan is not None:
            if live:
                due = min(t.due_at for t in live)
            else:
                planned = await plan_next(uow, plan, now - timedelta(seconds=1))
                due = planned.due_at if planned is not None else None
        await uow.commit()
    log.info(
        "digest.planned" if due is not None else "digest.off",
        extra={"due_at": due.isoformat() if due else None, "replaced": len(stale)},
    )
    return due


@dataclass(frozen=True)
class DueDigest:
    """What a due digest does: ``send`` ``reply`` to ``chat_id``; ``cancelled`` (the digest
    is off, no staff chat, no patient agreed yet); ``missed`` (a week late)."""

    outcome: Literal["send", "cancelled", "missed"]
    chat_id: int = 0
    reply: Reply | None = None
    late: bool = False  # sent later than a minute after it was due (the bot was down)


def period_of(svc: Services, timer: Timer) -> tuple[datetime, date, date]:
    """When the digest was due and the dates it covers, as planned (a retry moves the
    timer's ``due_at``, not them)."""
    try:
        return (
            datetime.fromisoformat(timer.payload["due"]),
            date.fromisoformat(timer.payload["first"]),
            date.fromisoformat(timer.payload["last"]),
        )
    except (KeyError, TypeError, ValueError):
        day = core_adherence.local_day(timer.due_at, svc.content.clinic.timezone)
        return (timer.due_at, *period_before(day))


async def due_digest(svc: Services, timer: Timer) -> DueDigest:
    """A digest fell due: plan the next one (committed first, so neither a failed send
    nor a crash loses it), then the figures of its week for the staff chat."""
    plan = plan_from(svc)
    chat = svc.settings.staff_chat_id
    if plan is None or chat is None:
        log.info("digest.off")
        return DueDigest("cancelled")
    due, first, last = period_of(svc, timer)
    now = svc.clock.now()
    async with svc.db.unit_of_work() as uow:
        await plan_next(uow, plan, following(plan, last, now))
        await uow.commit()
    if too_late(due, now):
        log.info("digest.missed")
        return DueDigest("missed")
    rows = await clinic_rows(svc, first, last)
    if not rows:
        log.info("digest.no_patients")
        return DueDigest("cancelled")
    reply = await figures_reply(svc, rows, first, last, title_key=TITLE)
    log.info("digest.due", extra={"patients": len(rows)})
    return DueDigest("send", chat, reply, late=now - due >= ON_TIME_WINDOW)
