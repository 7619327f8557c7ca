"""Keeps each patient's one pending daily reminder equal to what the rule and the facts say.

Every use case that changes a fact the decision depends on calls ``replan`` in its own
unit of work (it never commits): settings, pause, resume, stop, hold, clearance, a
session done, a reminder sent or missed, a patient back from blocking. The decision itself
is pure: ``bot.core.planning.next_daily_reminder``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, time

from bot.core import screens
from bot.core.patient import PatientStatus
from bot.core.planning import FOREVER, ReminderFacts, next_daily_reminder
from bot.core.schedule import ReminderRule
from bot.core.session import Outcome
from bot.core.timers import DAILY_KINDS, Kind, reminder_key
from bot.core.ui.reminders import Standing, next_text
from bot.services.context import Services
from bot.store.models import Patient
from bot.store.repositories import PatientTimer
from bot.store.uow import UnitOfWork

DONE_OUTCOMES = (Outcome.COMPLETED.value, Outcome.PAIN.value)
"""A session that reached its end (every exercise done, some skipped, or all skipped) or
stopped for pain makes its local day "done": no more reminder or nudge that day."""


def rule_of(patient: Patient) -> ReminderRule | None:
    if not (patient.reminder_time and patient.reminder_days and patient.timezone):
        return None
    hour, minute = (int(part) for part in patient.reminder_time.split(":"))
    return ReminderRule(
        time(hour, minute), screens.mask_to_days(patient.reminder_days), patient.timezone
    )


def wants_reminders(patient: Patient) -> bool:
    return (
        patient.reminders_enabled
        and patient.status == PatientStatus.ACTIVE
        and patient.consent_at is not None
        and patient.hold_since is None
    )


def facts_of(
    patient: Patient,
    *,
    last_reminded: datetime | None,
    last_done: datetime | None,
) -> ReminderFacts:
    return ReminderFacts(
        rule=rule_of(patient),
        wants=wants_reminders(patient),
        paused_until=patient.paused_until,
        last_reminded=last_reminded,
        last_done=last_done,
    )


async def facts_for_many(
    uow: UnitOfWork, patients: Iterable[Patient], reminded: dict[int, datetime] | None = None
) -> dict[int, ReminderFacts]:
    """Facts for many patients in two queries; ``reminded`` adds reminders going out now."""
    by_id = {p.id: p for p in patients}
    sent = await uow.timers.last_sent(by_id, Kind.REMINDER)
    done = await uow.sessions.last_finished(by_id, DONE_OUTCOMES)
    for pid, when in (reminded or {}).items():
        sent[pid] = max(sent.get(pid, when), when)
    return {
        pid: facts_of(patient, last_reminded=sent.get(pid), last_done=done.get(pid))
        for pid, patient in by_id.items()
    }


async def replan(
    uow: UnitOfWork,
    patient: Patient,
    now: datetime,
    *,
    after: datetime | None = None,
    reminded_at: datetime | None = None,
) -> datetime | None:
    """Store the one pending daily reminder the patient should have; returns its due time.

    ``after`` (default ``now``) is earlier than now only when catching up after downtime.
    When no reminder should come, pending snoozes and nudges go too.
    """
    reminded = {patient.id: reminded_at} if reminded_at else None
    facts = (await facts_for_many(uow, [patient], reminded))[patient.id]
    due = next_daily_reminder(facts, after or now)
    if due is None:
        await uow.timers.cancel_pending(patient.id, DAILY_KINDS, now=now)
        return None
    await uow.timers.replace_pending(
        patient.id,
        [Kind.REMINDER],
        [(Kind.REMINDER, due, reminder_key(patient.id, due), {})],
        now=now,
    )
    return due


async def replan_many(
    uow: UnitOfWork,
    patients: Iterable[Patient],
    facts: dict[int, ReminderFacts],
    now: datetime,
    *,
    after: dict[int, datetime] | None = None,
    reminded_at: dict[int, datetime] | None = None,
) -> dict[int, datetime | None]:
    """:func:`replan` for many patients whose ``facts`` were just read (``facts_for_many``),
    in two statements for all those who get a next reminder: the dispatcher's batch.

    ``after`` and ``reminded_at`` are per patient (default ``now`` and none)."""
    planned: dict[int, datetime | None] = {}
    new: list[PatientTimer] = []
    for patient in patients:
        known = facts[patient.id]
        fired = (reminded_at or {}).get(patient.id)
        if fired is not None:
            last = known.last_reminded
            known = replace(known, last_reminded=fired if last is None else max(last, fired))
        due = next_daily_reminder(known, (after or {}).get(patient.id, now))
        planned[patient.id] = due
        if due is None:
            await uow.timers.cancel_pending(patient.id, DAILY_KINDS, now=now)
        else:
            new.append((patient.id, Kind.REMINDER, due, reminder_key(patient.id, due), None))
    await uow.timers.replace_pending_many([t[0] for t in new], Kind.REMINDER, new, now=now)
    return planned


def standing(patient: Patient | None) -> Standing:
    """Where the patient's reminders stand (for commands that must tell the truth)."""
    if patient is None or patient.consent_at is None:
        return Standing.NONE
    if patient.hold_since is not None:  # whatever the settings: the clinician comes first
        return Standing.HELD
    if rule_of(patient) is None:
        return Standing.NONE
    if not patient.reminders_enabled:
        return Standing.STOPPED
    if patient.paused_until is not None and patient.paused_until >= FOREVER:
        return Standing.PAUSED_OPEN
    if patient.paused_until is not None:
        return Standing.PAUSED
    return Standing.ACTIVE


def when(svc: Services, lang: str, patient: Patient, instant: datetime | None) -> str | None:
    """'Wed 26 Nov, 07:30' in the patient's zone (None for no instant)."""
    if instant is None or patient.timezone is None:
        return None
    return screens.format_when(svc.content, lang, instant, patient.timezone)


def next_line(svc: Services, lang: str, patient: Patient, due: datetime | None) -> str:
    """One line on what comes next after a change: the next reminder, or why none comes."""
    return next_text(svc.content, lang, standing(patient), when(svc, lang, patient, due))


async def pending_reminder(uow: UnitOfWork, patient: Patient) -> datetime | None:
    """The next reminder the patient will really get: the daily one, or an earlier snooze."""
    pending = await uow.timers.pending_for_patient(patient.id, [Kind.REMINDER, Kind.SNOOZE])
    return min((t.due_at for t in pending), default=None)
