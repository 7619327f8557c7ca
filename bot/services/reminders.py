"""Reminder use cases: the reminders the dispatcher sends, the reminder's buttons (snooze,
skip), /next, /pause, /resume, /stop, and what a finished session means for today.

The pending daily reminder is never chained from the previous one: every change asks the
planner (``bot.services.planner``) for the one the patient should have. Snoozes and the
optional nudge belong to one local day and end when that day's session is done.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from bot.core import adherence, screens
from bot.core.callbacks import Action, Callback
from bot.core.clinic_report import CLEARED_KINDS
from bot.core.dose import dose_text, is_own
from bot.core.patient import PatientStatus
from bot.core.planning import FOREVER, ReminderFacts, resume_instant
from bot.core.program import session_exercises, session_minutes
from bot.core.schedule import classify_due, local_date_of, snooze_until
from bot.core.screens import Screen
from bot.core.session import Category, Outcome
from bot.core.timers import Kind, nudge_key, snooze_key, snooze_prefix
from bot.core.ui import progress as progress_ui
from bot.core.ui import reminders as ui
from bot.core.ui.reminders import Standing
from bot.services import planner, safety
from bot.services.context import Patron, Services
from bot.services.progress import planned_weekdays, results_of
from bot.services.replies import Reply, say
from bot.services.settings import consented
from bot.store.models import Patient, Timer
from bot.store.uow import UnitOfWork

log = logging.getLogger(__name__)


standing = planner.standing
_when = planner.when


def _minutes(svc: Services, patient: Patient) -> int:
    """The patient's own session: exercises held after a pain report are left out."""
    program = patient.program_id or svc.content.default_program.id
    return session_minutes(svc.content, program, patient.held_exercises or ())


def _own_doses(svc: Services, patient: Patient) -> str:
    """The patient's own dose, exercise by exercise, when the clinic set one (otherwise
    the reminder says only how long: the steps show the program's dose)."""
    program = patient.program_id or svc.content.default_program.id
    exercises = session_exercises(svc.content, program, patient.held_exercises or ())
    own = patient.dose or {}
    if not any(is_own(ex, own) for ex in exercises):
        return ""
    lang = patient.language
    return "\n".join(
        f"• {svc.content.exercise(ex, lang).title}: {dose_text(svc.content, lang, ex, own)}"
        for ex in exercises
    )


# --- what the dispatcher sends ----------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    outcome: str  # "send", "late", "missed" or "cancelled"
    chat_id: int | None = None
    screen: Screen | None = None


async def due_reminders(svc: Services, timers: list[Timer]) -> list[Decision]:
    """Decide what each due reminder, snooze or nudge does, in one transaction.

    The next daily reminder of every patient in the batch is planned (and committed)
    before anything is sent: a crash or a failed send never loses it. A daily reminder late
    by more than the grace period is missed, and the plan then catches up with today's if
    that one is still within grace (the bot was down for days).
    """
    now = svc.clock.now()
    grace = timedelta(minutes=svc.settings.reminder_grace_minutes)
    decisions: list[Decision] = []
    async with svc.db.unit_of_work() as uow:
        patients = await uow.patients.get_many({t.owner_id for t in timers})
        facts = await planner.facts_for_many(uow, patients.values())
        firing: dict[int, datetime] = {}
        catch_up: dict[int, datetime] = {}
        extras = await _Extras.load(svc, uow, timers, patients, facts, now)
        for timer in timers:
            patient = patients.get(timer.owner_id)
            decision = _decide(svc, timer, patient, facts, now, grace)
            if patient is None:
                decisions.append(decision)
                continue
            if timer.kind == Kind.REMINDER and decision.outcome in ("send", "late"):
                decision = await extras.apply(uow, timer, patient, decision)
            decisions.append(decision)
            if timer.kind == Kind.REMINDER and decision.outcome in ("send", "late"):
                firing[patient.id] = now
                await _maybe_nudge(uow, patient, now)
            if timer.kind == Kind.REMINDER and decision.outcome == "missed":
                catch_up[patient.id] = now - grace
        daily = {t.owner_id for t in timers if t.kind == Kind.REMINDER}
        await planner.replan_many(
            uow,
            [p for p in patients.values() if p.id in daily],
            facts,
            now,
            after=catch_up,
            reminded_at=firing,
        )
        await uow.commit()
    missed = sum(d.outcome == "missed" for d in decisions)
    if missed:
        log.info("reminder.missed", extra={"count": missed})
    return decisions


def _decide(
    svc: Services,
    timer: Timer,
    patient: Patient | None,
    facts: dict[int, ReminderFacts],
    now: datetime,
    grace: timedelta,
) -> Decision:
    if patient is None or patient.timezone is None or not planner.wants_reminders(patient):
        return Decision("cancelled")
    if patient.paused_until is not None and patient.paused_until > now:
        return Decision("cancelled")
    today = local_date_of(now, patient.timezone)
    done = facts[patient.id].last_done
    if done is not None and local_date_of(done, patient.timezone) == today:
        return Decision("cancelled")  # today's session is done: no reminder, no nudge
    status = classify_due(timer.due_at, now, grace)
    if status == "missed":
        return Decision("missed")
    screen = ui.reminder_screen(
        svc.content,
        patient.language,
        today,
        _minutes(svc, patient),
        late=status == "late" and timer.kind == Kind.REMINDER,
        nudge=timer.kind == Kind.NUDGE,
        doses=_own_doses(svc, patient),
    )
    return Decision("late" if status == "late" else "send", patient.chat_id, screen)


NOT_BEGUN = (Outcome.NOT_STARTED.value, Outcome.RESTARTED.value)
"""Sessions that do not end a lapse: never begun, or replaced by a new start."""


@dataclass
class _Extras:
    """What the first reminder of a week and the reminder of a lapse carry (issue 15,
    docs/REMINDERS.md "Lapses and the weekly summary"), for one batch in two queries."""

    svc: Services
    now: datetime
    facts: dict[int, ReminderFacts]
    lapses: LapseFacts
    results: dict[int, dict[date, Category]]

    @classmethod
    async def load(
        cls,
        svc: Services,
        uow: UnitOfWork,
        timers: list[Timer],
        patients: dict[int, Patient],
        facts: dict[int, ReminderFacts],
        now: datetime,
    ) -> _Extras:
        found_ids = {t.owner_id for t in timers if t.kind == Kind.REMINDER} & patients.keys()
        daily = [patients[pid] for pid in sorted(found_ids)]  # gone after /forget: not here
        daily = [p for p in daily if p.timezone is not None and p.consent_at is not None]
        lapses = await lapse_facts(svc, uow, [p.id for p in daily])
        weekly = [p for p in daily if p.weekly_summary and _first_of_week(p, facts, now)]
        results: dict[int, dict[date, Category]] = {}
        if weekly:
            since = now - timedelta(days=adherence.STREAK_LOOKBACK_DAYS + 8)
            found = await uow.sessions.recent_for_patients([p.id for p in weekly], since)
            for p in weekly:
                assert p.timezone is not None
                results[p.id] = results_of([s for s in found if s.patient_id == p.id], p.timezone)
        return cls(svc, now, facts, lapses, results)

    async def apply(
        self, uow: UnitOfWork, timer: Timer, patient: Patient, decision: Decision
    ) -> Decision:
        """The reminder's screen with the lapse note and last week's summary, if due. The
        note is recorded (``lapse_notified_at``, and the timer's payload for a retry of this
        send) in the transaction that plans the next reminder, before anything is sent."""
        zone, agreed = patient.timezone, patient.consent_at
        if zone is None or agreed is None:
            return decision
        today = local_date_of(self.now, zone)
        lapse = self._lapse(patient, bool((timer.payload or {}).get("lapse")))
        if lapse == "new":
            patient.lapse_notified_at = self.now
            await uow.timers.set_payload(timer.id, {**(timer.payload or {}), "lapse": True})
            log.info("reminder.lapse_note", extra={"patient_id": patient.id})
        summary = None
        if patient.id in self.results:
            last = self.facts[patient.id].last_reminded
            found = adherence.weekly_summary(
                self.results[patient.id],
                today,
                planned_weekdays(patient),
                local_date_of(last, zone) if last else None,
                since=local_date_of(agreed, zone),
            )
            if found is not None:
                summary = progress_ui.weekly_summary_text(
                    self.svc.content, patient.language, found, lapse=lapse is not None
                )
        if lapse is None and summary is None:
            return decision
        screen = ui.reminder_screen(
            self.svc.content,
            patient.language,
            today,
            _minutes(self.svc, patient),
            late=decision.outcome == "late",
            lapse=lapse is not None,
            summary=summary,
        )
        return replace(decision, screen=screen)

    def _lapse(self, patient: Patient, retry: bool) -> str | None:
        """ "new" (a lapse not noted yet), "again" (this reminder carried the note and its
        send is tried again) or None."""
        if self.svc.settings.lapse_days <= 0:
            return None
        lapsed, reference = lapse_of(self.svc.settings.lapse_days, patient, self.lapses, self.now)
        noted = patient.lapse_notified_at
        if retry and noted is not None and noted >= reference:
            return "again"
        return "new" if adherence.lapse_note_due(lapsed, reference, noted) else None


@dataclass(frozen=True)
class LapseFacts:
    """Per patient: the last session begun, and the last clearance after a hold."""

    begun: dict[int, datetime]
    cleared: dict[int, datetime]


async def lapse_facts(svc: Services, uow: UnitOfWork, patient_ids: list[int]) -> LapseFacts:
    """Two queries for many patients; none when lapses are off (``LAPSE_DAYS=0``)."""
    if svc.settings.lapse_days <= 0 or not patient_ids:
        return LapseFacts({}, {})
    begun = await uow.sessions.last_begun(patient_ids, NOT_BEGUN)
    cleared = await uow.reports.last_of_kinds(patient_ids, CLEARED_KINDS)
    return LapseFacts(begun, cleared)


def lapse_of(
    lapse_days: int, patient: Patient, facts: LapseFacts, now: datetime
) -> tuple[bool, datetime]:
    """Whether the patient is lapsed now (``bot.core.adherence.is_lapsed``) and the instant
    the lapse counts from (``bot.core.adherence.lapse_reference``)."""
    agreed = patient.consent_at
    assert agreed is not None
    zone = patient.timezone or "UTC"
    paused = patient.paused_until
    ended = paused if paused is not None and paused <= now else None
    reference = adherence.lapse_reference(
        facts.begun.get(patient.id), agreed, ended, facts.cleared.get(patient.id)
    )
    lapsed = adherence.is_lapsed(
        today=local_date_of(now, zone),
        reference_day=local_date_of(reference, zone),
        lapse_days=lapse_days,
        has_schedule=planner.rule_of(patient) is not None,
        active=planner.wants_reminders(patient),
        paused=paused is not None and paused > now,
        on_hold=patient.hold_since is not None,
    )
    return lapsed, reference


def _first_of_week(patient: Patient, facts: dict[int, ReminderFacts], now: datetime) -> bool:
    """No daily reminder was sent yet in the patient's local week (Monday to Sunday)."""
    assert patient.timezone is not None
    last = facts[patient.id].last_reminded
    if last is None:
        return True
    week = adherence.week_start
    return week(local_date_of(last, patient.timezone)) < week(local_date_of(now, patient.timezone))


async def _maybe_nudge(uow: UnitOfWork, patient: Patient, now: datetime) -> None:
    if patient.nudge_minutes and patient.timezone:
        day = local_date_of(now, patient.timezone)
        due = now + timedelta(minutes=patient.nudge_minutes)
        await uow.timers.schedule(patient.id, Kind.NUDGE, due, nudge_key(patient.id, day))


async def patient_blocked(svc: Services, patient_id: int) -> None:
    """Telegram said 403: the patient blocked the bot. Stop creating timers for them."""
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.get(patient_id)
        if patient is None:
            return
        patient.status = PatientStatus.BLOCKED
        patient.blocked_at = svc.clock.now()
        await uow.timers.cancel_pending(patient_id, None, now=svc.clock.now())
        await uow.commit()
    log.info("patient.blocked", extra={"patient_id": patient_id})


# --- sessions and today ---------------------------------------------------------------------


async def session_started(uow: UnitOfWork, patient: Patient, now: datetime) -> None:
    """A session began: today's snoozes and nudge are no longer needed."""
    await uow.timers.cancel_pending(patient.id, [Kind.SNOOZE, Kind.NUDGE], now=now)


async def day_done(uow: UnitOfWork, patient: Patient, now: datetime) -> None:
    """A session finished (done or stopped for pain): nothing more today; plan the next."""
    await uow.timers.cancel_pending(patient.id, [Kind.SNOOZE, Kind.NUDGE], now=now)
    await planner.replan(uow, patient, now)


# --- the reminder's buttons -------------------------------------------------------------------


async def reminder_tap(svc: Services, who: Patron, callback: Callback) -> Reply:
    """Later, Later -> N minutes, Skip today (Start is routed to the session use case)."""
    async with svc.db.unit_of_work() as uow:
        patient = await consented(uow, who)
        if patient is None or patient.timezone is None:
            return Reply(toast=svc.content.text(svc.language(who.language), "toast_invalid"))
        lang = patient.language
        now = svc.clock.now()
        today = local_date_of(now, patient.timezone)
        if callback.action is Action.SNOOZE_FOR:
            choice = ui.SnoozeFor.parse(callback.arg)
            day, minutes = choice.day, choice.minutes
        else:
            day, minutes = ui.ForDay.parse(callback.arg).day, 0
        if day != today:
            return Reply(toast=svc.content.text(lang, "toast_stale"))
        if callback.action is Action.SKIP_TODAY:
            await uow.timers.cancel_pending(patient.id, [Kind.SNOOZE, Kind.NUDGE], now=now)
            await uow.commit()
            return Reply(edit=Screen(screens.text(svc.content, lang, "skipped_today")))
        if standing(patient) not in (Standing.ACTIVE, Standing.PAUSED) or (
            patient.paused_until is not None and patient.paused_until > now
        ):
            return Reply(toast=svc.content.text(lang, "toast_reminders_off"))
        used = await uow.timers.count_keys_with_prefix(snooze_prefix(patient.id, day))
        if used >= ui.MAX_SNOOZES:
            return Reply(toast=svc.content.text(lang, "toast_snooze_limit"))
        if callback.action is Action.SNOOZE:
            return Reply(edit=ui.snooze_screen(svc.content, lang, day))
        due = snooze_until(now, minutes)
        await uow.timers.cancel_pending(patient.id, [Kind.SNOOZE, Kind.NUDGE], now=now)
        await uow.timers.schedule(
            patient.id, Kind.SNOOZE, due, snooze_key(patient.id, day, used + 1)
        )
        await uow.commit()
        local = screens.format_when(svc.content, lang, due, patient.timezone).split(", ")[-1]
        return Reply(edit=Screen(screens.text(svc.content, lang, "snoozed", time=local)))


# --- /next, /pause, /resume, /stop ----------------------------------------------------------


async def show_next(svc: Services, who: Patron) -> Reply:
    async with svc.db.unit_of_work(read_only=True) as uow:
        patient = await consented(uow, who)
        lang = patient.language if patient else who.language
        state = standing(patient)
        due = await planner.pending_reminder(uow, patient) if patient else None
    when = (
        _when(svc, lang, patient, due)
        if patient and state in (Standing.ACTIVE, Standing.PAUSED)
        else None
    )
    return say(Screen(ui.next_text(svc.content, lang, state, when)))


async def pause_question(svc: Services, who: Patron) -> Reply:
    async with svc.db.unit_of_work(read_only=True) as uow:
        patient = await consented(uow, who)
    lang = patient.language if patient else who.language
    state = standing(patient)
    if state not in (Standing.ACTIVE, Standing.PAUSED, Standing.PAUSED_OPEN):
        return say(Screen(ui.cannot_pause_text(svc.content, lang, state)))
    return say(ui.pause_question(svc.content, lang))


async def pause(svc: Services, who: Patron, callback: Callback) -> Reply:
    """Pause for N local calendar days (reminders resume on the local date N days on, at
    the reminder time, whatever DST does), or until /resume."""
    choice = ui.PauseFor.parse(callback.arg)
    async with svc.db.unit_of_work() as uow:
        patient = await consented(uow, who)
        if patient is None or patient.timezone is None:
            return Reply(toast=svc.content.text(svc.language(who.language), "toast_invalid"))
        lang = patient.language
        state = standing(patient)
        if state not in (Standing.ACTIVE, Standing.PAUSED, Standing.PAUSED_OPEN):
            return Reply(edit=Screen(ui.cannot_pause_text(svc.content, lang, state)))
        now = svc.clock.now()
        today = local_date_of(now, patient.timezone)
        await uow.timers.cancel_pending(patient.id, [Kind.SNOOZE, Kind.NUDGE], now=now)
        patient.paused_until = (
            resume_instant(today, choice.days, patient.timezone) if choice.days else FOREVER
        )
        due = await planner.replan(uow, patient, now)
        await uow.commit()
        return Reply(edit=Screen(ui.paused_text(svc.content, lang, _when(svc, lang, patient, due))))


async def resume(svc: Services, who: Patron) -> Reply:
    async with svc.db.unit_of_work() as uow:
        patient = await consented(uow, who)
        lang = patient.language if patient else who.language
        state = standing(patient)
        if patient is not None and state is Standing.HELD:
            # Never a silent resume after a pain report: the clinician's word comes first.
            return await safety.hold_reply(svc, uow, patient)
        if patient is None or state in (Standing.NONE, Standing.STOPPED):
            return say(Screen(ui.next_text(svc.content, lang, state, None)))
        if state is Standing.ACTIVE:
            return say(Screen(screens.text(svc.content, lang, "not_paused")))
        patient.paused_until = None
        due = await planner.replan(uow, patient, svc.clock.now())
        await uow.commit()
    when = _when(svc, lang, patient, due)
    if when is None:
        return say(Screen(screens.text(svc.content, lang, "no_reminders")))
    return say(Screen(screens.text(svc.content, lang, "resumed", when=when)))


async def stop_question(svc: Services, who: Patron) -> Reply:
    async with svc.db.unit_of_work(read_only=True) as uow:
        patient = await consented(uow, who)
    lang = patient.language if patient else who.language
    state = standing(patient)
    if state in (Standing.NONE, Standing.STOPPED):
        return say(Screen(ui.next_text(svc.content, lang, state, None)))
    return say(ui.stop_question(svc.content, lang))


async def stop(svc: Services, who: Patron, confirmed: bool) -> Reply:
    async with svc.db.unit_of_work() as uow:
        patient = await consented(uow, who)
        lang = patient.language if patient else who.language
        if not confirmed or patient is None:
            return Reply(edit=Screen(ui.kept_text(svc.content, lang, standing(patient))))
        patient.reminders_enabled = False
        await planner.replan(uow, patient, svc.clock.now())
        await uow.commit()
    return Reply(edit=Screen(screens.text(svc.content, lang, "stopped")))
