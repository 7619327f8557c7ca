"""Reminder use cases: the settings dialogue, the reminder timers, /next, /pause, /resume, /stop.

Every future message is a timer row. A patient has at most one pending daily ``reminder``
(key ``reminder:<patient>:<local date>``), so a local date never gets two; ``snooze`` and
``nudge`` timers belong to that date. Settings screens carry their draft (days, time) in the
button data, so nothing is stored until the patient confirms.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core import screens
from bot.core.callbacks import Action, Callback
from bot.core.schedule import (
    ReminderRule,
    classify_due,
    local_date_of,
    next_occurrence,
    snooze_until,
)
from bot.core.screens import Button, Screen, rows
from bot.core.timeparse import parse_local_time
from bot.core.zones import (
    LocationLookupUnavailable,
    resolve_zone,
    suggested_zones,
    zone_for_location,
    zone_label,
)
from bot.services.context import Patron, Services
from bot.services.replies import Reply, say
from bot.store.models import Patient, Timer
from bot.store.repositories import PatientTimer
from bot.store.uow import UnitOfWork

log = logging.getLogger(__name__)

REMINDER, SNOOZE, NUDGE = "reminder", "snooze", "nudge"
DAILY_KINDS = (REMINDER, SNOOZE, NUDGE)
PRESET_TIMES = ("07:00", "08:00", "12:00", "18:00", "20:00")
MAX_SNOOZES = 3
SNOOZE_CHOICES = (15, 30, 60)
FOREVER = datetime(9999, 1, 1, tzinfo=UTC)
EVERY_DAY, WEEKDAYS = 0b1111111, 0b0011111


# --- rules --------------------------------------------------------------------------------


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
        and patient.status == "active"
        and patient.consent_at is not None
        and patient.hold_since is None
    )


def next_reminder(patient: Patient, after: datetime) -> PatientTimer | None:
    """The patient's next daily reminder row after ``after`` (and any pause), or None when
    no reminder is due (off, paused until they resume, on hold)."""
    rule = rule_of(patient)
    if rule is None or not wants_reminders(patient) or patient.paused_until == FOREVER:
        return None
    start = max(after, patient.paused_until) if patient.paused_until else after
    due = next_occurrence(rule, start)
    key = f"{REMINDER}:{patient.id}:{local_date_of(due, rule.zone).isoformat()}"
    return (patient.id, REMINDER, due, key, {})


async def reschedule(
    svc: Services, uow: UnitOfWork, patient: Patient, after: datetime
) -> datetime | None:
    """Replace the pending daily reminder with the next one; returns its due time."""
    row = next_reminder(patient, after)
    now = svc.clock.now()
    if row is None:
        await uow.timers.cancel_pending(patient.id, DAILY_KINDS, now=now)
        return None
    await uow.timers.replace_pending(patient.id, [REMINDER], [row[1:]], now=now)
    return row[2]


def next_line(svc: Services, lang: str, patient: Patient, due: datetime | None) -> str:
    """One line on what comes next: the next reminder, or that none is set."""
    if due is None:
        return screens.text(svc.content, lang, "no_reminders")
    return screens.text(svc.content, lang, "next_reminder", when=_when(svc, lang, patient, due))


async def next_due(uow: UnitOfWork, patient: Patient) -> datetime | None:
    pending = await uow.timers.pending_for_patient(patient.id, [REMINDER, SNOOZE])
    return min((t.due_at for t in pending), default=None)


def _when(svc: Services, lang: str, patient: Patient, instant: datetime) -> str:
    assert patient.timezone is not None
    return screens.format_when(svc.content, lang, instant, patient.timezone)


# --- the settings dialogue ----------------------------------------------------------------


def _t(svc: Services, lang: str, key: str, **values: object) -> str:
    return svc.content.text(lang, key, **values)


def days_screen(svc: Services, lang: str, mask: int) -> Screen:
    names = _t(svc, lang, "days_short").split()
    toggles = [
        Button(
            ("✓ " if mask >> day & 1 else "") + names[day],
            Callback(Action.DAYS_TOGGLE, arg=str(mask ^ (1 << day))),
        )
        for day in range(7)
    ]
    toggles.append(
        Button(_t(svc, lang, "btn_days_done"), Callback(Action.DAYS_DONE, arg=str(mask)))
    )
    presets = (
        Button(_t(svc, lang, "btn_every_day"), Callback(Action.DAYS_TOGGLE, arg=str(EVERY_DAY))),
        Button(_t(svc, lang, "btn_weekdays"), Callback(Action.DAYS_TOGGLE, arg=str(WEEKDAYS))),
    )
    return Screen(screens.text(svc.content, lang, "settings_days"), (presets, *rows(toggles)))


def time_screen(svc: Services, lang: str, mask: int) -> Screen:
    buttons = [
        Button(t, Callback(Action.SET_TIME, arg=f"{mask}-{t.replace(':', '')}"))
        for t in PRESET_TIMES
    ]
    buttons.append(
        Button(_t(svc, lang, "btn_other_time"), Callback(Action.OTHER_TIME, arg=str(mask)))
    )
    days = screens.describe_mask(svc.content, lang, mask)
    return Screen(screens.text(svc.content, lang, "settings_time", days=days), rows(buttons))


def zone_screen(svc: Services, lang: str, mask: int, hhmm: str, current: str | None) -> Screen:
    now = svc.clock.now()
    buttons = []
    if current:
        buttons.append(
            Button(
                _t(svc, lang, "btn_keep_zone", zone=zone_label(current, now)),
                Callback(Action.SET_ZONE, arg=f"{mask}-{hhmm}-k"),
            )
        )
    for index, zone in enumerate(suggested_zones(lang)):
        if zone != current:
            buttons.append(
                Button(
                    zone_label(zone, now), Callback(Action.SET_ZONE, arg=f"{mask}-{hhmm}-{index}")
                )
            )
    buttons.append(
        Button(_t(svc, lang, "btn_other_zone"), Callback(Action.OTHER_ZONE, arg=f"{mask}-{hhmm}"))
    )
    return Screen(screens.text(svc.content, lang, "settings_zone"), tuple((b,) for b in buttons))


def _parse_mask(text: str) -> int | None:
    return int(text) if text.isdigit() and 0 < int(text) <= EVERY_DAY else None


def _parse_hhmm(text: str) -> str | None:
    if len(text) != 4 or not text.isdigit():
        return None
    hour, minute = int(text[:2]), int(text[2:])
    return f"{hour:02d}:{minute:02d}" if hour < 24 and minute < 60 else None


async def _patient(uow: UnitOfWork, who: Patron) -> Patient | None:
    patient = await uow.patients.by_telegram_id(who.user_id)
    return patient if patient is not None and patient.consent_at is not None else None


async def open_settings(svc: Services, who: Patron) -> Reply:
    """/settings: the days screen, starting from the patient's current choice."""
    async with svc.db.unit_of_work() as uow:
        patient = await _patient(uow, who)
        if patient is None:
            return say(Screen(screens.text(svc.content, who.language, "consent_needed")))
        if patient.settings_step:
            patient.settings_step = None
            await uow.commit()
        return say(days_screen(svc, patient.language, patient.reminder_days or 0))


async def settings_tap(svc: Services, who: Patron, callback: Callback) -> Reply:
    """A button on one of the settings screens."""
    action, parts = callback.action, callback.arg.split("-")
    async with svc.db.unit_of_work() as uow:
        patient = await _patient(uow, who)
        if patient is None:
            return Reply(toast=_t(svc, who.language, "toast_invalid"))
        lang = patient.language
        if action is Action.SETUP_REMINDERS:
            return Reply(edit=days_screen(svc, lang, patient.reminder_days or 0))
        mask = _parse_mask(parts[0]) if parts[0] != "0" else 0
        if mask is None or (action is not Action.DAYS_TOGGLE and not mask):
            if action is Action.DAYS_DONE:
                return Reply(toast=_t(svc, lang, "toast_days_needed"))
            return Reply(toast=_t(svc, lang, "toast_invalid"))
        if action is Action.DAYS_TOGGLE:
            return Reply(edit=days_screen(svc, lang, mask))
        if action is Action.DAYS_DONE:
            return Reply(edit=time_screen(svc, lang, mask))
        if action is Action.OTHER_TIME:
            patient.settings_step = f"time:{mask}"
            await uow.commit()
            return Reply(edit=Screen(screens.text(svc.content, lang, "ask_time")))
        hhmm = _parse_hhmm(parts[1]) if len(parts) > 1 else None
        if hhmm is None:
            return Reply(toast=_t(svc, lang, "toast_invalid"))
        if action is Action.SET_TIME:
            patient.settings_step = f"zone:{mask}:{hhmm.replace(':', '')}"
            await uow.commit()
            return Reply(edit=zone_screen(svc, lang, mask, hhmm.replace(":", ""), patient.timezone))
        if action is Action.OTHER_ZONE:
            patient.settings_step = f"zone:{mask}:{hhmm.replace(':', '')}"
            await uow.commit()
            return Reply(edit=Screen(screens.text(svc.content, lang, "ask_zone")))
        # SET_ZONE
        choice = parts[2] if len(parts) > 2 else ""
        suggestions = suggested_zones(lang)
        if choice == "k" and patient.timezone:
            zone = patient.timezone
        elif choice.isdigit() and int(choice) < len(suggestions):
            zone = suggestions[int(choice)]
        else:
            return Reply(toast=_t(svc, lang, "toast_invalid"))
        return Reply(edit=await _save(svc, uow, patient, mask, hhmm, zone))


async def _save(
    svc: Services, uow: UnitOfWork, patient: Patient, mask: int, hhmm: str, zone: str
) -> Screen:
    lang = patient.language
    patient.reminder_days = mask
    patient.reminder_time = hhmm
    patient.timezone = zone
    patient.reminders_enabled = True
    patient.paused_until = None
    patient.settings_step = None
    patient.updated_at = svc.clock.now()
    due = await reschedule(svc, uow, patient, svc.clock.now())
    await uow.commit()
    log.info("reminders.saved", extra={"patient_id": patient.id, "scheduled": due is not None})
    chosen = {"days": screens.describe_mask(svc.content, lang, mask), "time": hhmm, "zone": zone}
    if due is None:  # on hold: the settings are kept for when the patient is cleared
        return Screen(screens.text(svc.content, lang, "settings_saved_on_hold", **chosen))
    return Screen(
        screens.text(
            svc.content, lang, "settings_saved", next=_when(svc, lang, patient, due), **chosen
        ),
        (
            (Button(_t(svc, lang, "btn_start_now"), Callback(Action.START_NOW)),),
            (Button(_t(svc, lang, "btn_nudge_setting"), Callback(Action.NUDGE_SETTING)),),
        ),
    )


async def typed_input(
    svc: Services, who: Patron, text: str | None, location: tuple[float, float] | None
) -> Reply | None:
    """Text or a location while a settings screen waits for one; None if none is waiting."""
    async with svc.db.unit_of_work() as uow:
        patient = await _patient(uow, who)
        if patient is None or not patient.settings_step:
            return None
        lang = patient.language
        kind, _, draft = patient.settings_step.partition(":")
        if kind == "time":
            parsed = parse_local_time(text or "")
            if parsed is None or not draft.isdigit():
                return say(Screen(screens.text(svc.content, lang, "time_invalid")))
            typed = f"{parsed:%H%M}"
            patient.settings_step = f"zone:{draft}:{typed}"
            await uow.commit()
            return say(zone_screen(svc, lang, int(draft), typed, patient.timezone))
        mask_text, _, hhmm_raw = draft.partition(":")
        hhmm = _parse_hhmm(hhmm_raw)
        mask = _parse_mask(mask_text)
        if kind != "zone" or hhmm is None or mask is None:
            patient.settings_step = None
            await uow.commit()
            return None
        if location is not None:
            try:
                zone = zone_for_location(*location)
            except LocationLookupUnavailable:
                return say(Screen(screens.text(svc.content, lang, "zone_location_unavailable")))
            if zone is None:
                return say(Screen(screens.text(svc.content, lang, "zone_location_failed")))
        else:
            zone = resolve_zone(text or "")
            if zone is None:
                return say(Screen(screens.text(svc.content, lang, "zone_invalid")))
        return say(await _save(svc, uow, patient, mask, hhmm, zone))


NUDGE_CHOICES = (0, 60, 120)


async def nudge_setting(svc: Services, who: Patron, callback: Callback) -> Reply:
    """The optional second reminder: off (default), or once 1 or 2 hours later."""
    async with svc.db.unit_of_work() as uow:
        patient = await _patient(uow, who)
        if patient is None:
            return Reply(toast=_t(svc, who.language, "toast_invalid"))
        lang = patient.language
        if not callback.arg:
            buttons = [
                Button(_t(svc, lang, "btn_nudge_off"), Callback(Action.NUDGE_SETTING, arg="0")),
                Button(_t(svc, lang, "btn_nudge_hour"), Callback(Action.NUDGE_SETTING, arg="60")),
                Button(
                    _t(svc, lang, "btn_nudge_hours"),
                    Callback(Action.NUDGE_SETTING, arg="120"),
                ),
            ]
            return Reply(
                edit=Screen(
                    screens.text(svc.content, lang, "nudge_question"), tuple((b,) for b in buttons)
                )
            )
        if not callback.arg.isdigit() or int(callback.arg) not in NUDGE_CHOICES:
            return Reply(toast=_t(svc, lang, "toast_invalid"))
        minutes = int(callback.arg)
        patient.nudge_minutes = minutes or None
        await uow.commit()
        if not minutes:
            return Reply(edit=Screen(screens.text(svc.content, lang, "nudge_off")))
        return Reply(edit=Screen(screens.text(svc.content, lang, "nudge_on", hours=minutes // 60)))


# --- the reminder message and its buttons -------------------------------------------------


def reminder_screen(
    svc: Services, lang: str, patient: Patient, day: str, *, late: bool, key: str = "reminder"
) -> Screen:
    minutes = svc.content.program_minutes(patient.program_id or svc.content.default_program.id)
    body = screens.text(svc.content, lang, key, minutes=minutes)
    if late:
        body += "\n\n" + screens.text(svc.content, lang, "reminder_late")
    return Screen(
        body,
        (
            (
                Button(_t(svc, lang, "btn_rem_start"), Callback(Action.REMINDER_START, arg=day)),
                Button(_t(svc, lang, "btn_snooze"), Callback(Action.SNOOZE, arg=day)),
                Button(_t(svc, lang, "btn_skip_today"), Callback(Action.SKIP_TODAY, arg=day)),
            ),
        ),
    )


def _day_arg(svc: Services, patient: Patient) -> str:
    assert patient.timezone is not None
    return local_date_of(svc.clock.now(), patient.timezone).strftime("%Y%m%d")


async def reminder_tap(svc: Services, who: Patron, callback: Callback) -> Reply:
    """Snooze, Skip today (Start is routed to the session use case by the handler)."""
    async with svc.db.unit_of_work() as uow:
        patient = await _patient(uow, who)
        if patient is None or patient.timezone is None:
            return Reply(toast=_t(svc, who.language, "toast_invalid"))
        lang = patient.language
        day, _, minutes_text = callback.arg.partition("-")
        if day != _day_arg(svc, patient):
            return Reply(toast=_t(svc, lang, "toast_stale"))
        snoozes_key = f"{SNOOZE}:{patient.id}:{day}:"
        if callback.action is Action.SKIP_TODAY:
            await uow.timers.cancel_pending(patient.id, [SNOOZE, NUDGE], now=svc.clock.now())
            await uow.commit()
            return Reply(edit=Screen(screens.text(svc.content, lang, "skipped_today")))
        used = await uow.timers.count_keys_with_prefix(snoozes_key)
        if used >= MAX_SNOOZES:
            return Reply(toast=_t(svc, lang, "toast_snooze_limit"))
        if callback.action is Action.SNOOZE:
            choices = [
                Button(
                    _t(svc, lang, "btn_snooze_minutes", minutes=m)
                    if m < 60
                    else _t(svc, lang, "btn_snooze_hour"),
                    Callback(Action.SNOOZE_FOR, arg=f"{day}-{m}"),
                )
                for m in SNOOZE_CHOICES
            ]
            return Reply(
                edit=Screen(screens.text(svc.content, lang, "snooze_choose"), (tuple(choices),))
            )
        if not minutes_text.isdigit() or int(minutes_text) not in SNOOZE_CHOICES:
            return Reply(toast=_t(svc, lang, "toast_invalid"))
        due = snooze_until(svc.clock.now(), int(minutes_text))
        await uow.timers.cancel_pending(patient.id, [SNOOZE, NUDGE], now=svc.clock.now())
        await uow.timers.schedule(patient.id, SNOOZE, due, f"{snoozes_key}{used + 1}", {"day": day})
        await uow.commit()
        return Reply(
            edit=Screen(
                screens.text(
                    svc.content,
                    lang,
                    "snoozed",
                    time=f"{due.astimezone(ZoneInfo(patient.timezone)):%H:%M}",
                )
            )
        )


async def started_today(svc: Services, uow: UnitOfWork, patient: Patient) -> None:
    """A session began: today's snoozes and nudge are no longer needed."""
    await uow.timers.cancel_pending(patient.id, [SNOOZE, NUDGE], now=svc.clock.now())


# --- timer handlers (called by the dispatcher) --------------------------------------------


Decision = tuple[str, int | None, Screen | None]  # outcome, chat id, screen to send


async def due_reminders(svc: Services, timers: list[Timer]) -> list[Decision]:
    """Decide and record what each due reminder, snooze or nudge does, in one transaction.

    Outcome is "send", "late", "missed" or "cancelled". The next daily occurrence is
    scheduled (and committed) before anything is sent, so a crash or a failed send never
    loses the chain; its key makes the scheduling idempotent when the batch is retried.
    """
    now = svc.clock.now()
    grace = timedelta(minutes=svc.settings.reminder_grace_minutes)
    decisions: list[Decision] = []
    async with svc.db.unit_of_work() as uow:
        patients = await uow.patients.get_many({t.patient_id for t in timers})
        next_rows: dict[int, PatientTimer | None] = {}
        for timer in timers:
            patient = patients.get(timer.patient_id)
            if patient is None or not wants_reminders(patient) or patient.timezone is None:
                decisions.append(("cancelled", None, None))
                continue
            if patient.paused_until and patient.paused_until > now:
                next_rows[patient.id] = next_reminder(patient, now)
                decisions.append(("cancelled", None, None))
                continue
            status = classify_due(timer.due_at, now, grace)
            if timer.kind == REMINDER:
                next_rows[patient.id] = next_reminder(patient, max(now, timer.due_at))
                if status != "missed" and patient.nudge_minutes:
                    day = local_date_of(timer.due_at, patient.timezone).isoformat()
                    await uow.timers.schedule(
                        patient.id,
                        NUDGE,
                        max(now, timer.due_at) + timedelta(minutes=patient.nudge_minutes),
                        f"{NUDGE}:{patient.id}:{day}",
                    )
            if status == "missed":
                log.info("reminder.missed", extra={"timer_id": timer.id, "patient_id": patient.id})
                decisions.append(("missed", None, None))
                continue
            day = local_date_of(now, patient.timezone).strftime("%Y%m%d")
            screen = reminder_screen(
                svc,
                patient.language,
                patient,
                day,
                late=status == "late" and timer.kind == REMINDER,
                key="nudge" if timer.kind == NUDGE else "reminder",
            )
            decisions.append(("late" if status == "late" else "send", patient.chat_id, screen))
        await uow.timers.replace_pending_many(
            list(next_rows), REMINDER, [row for row in next_rows.values() if row], now=now
        )
        await uow.commit()
    return decisions


async def patient_blocked(svc: Services, patient_id: int) -> None:
    """Telegram said 403: the patient blocked the bot. Stop creating timers for them."""
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.get(patient_id)
        if patient is None:
            return
        patient.status = "blocked"
        patient.blocked_at = svc.clock.now()
        await uow.timers.cancel_pending(patient_id, None, now=svc.clock.now())
        await uow.commit()
    log.info("patient.blocked", extra={"patient_id": patient_id})


# --- /next, /pause, /resume, /stop ----------------------------------------------------------


async def show_next(svc: Services, who: Patron) -> Reply:
    async with svc.db.unit_of_work() as uow:
        patient = await _patient(uow, who)
        lang = patient.language if patient else who.language
        due = await next_due(uow, patient) if patient else None
        if patient is None or due is None:
            return say(Screen(screens.text(svc.content, lang, "no_reminders")))
        return say(
            Screen(
                screens.text(
                    svc.content, lang, "next_reminder", when=_when(svc, lang, patient, due)
                )
            )
        )


def pause_question(svc: Services, who: Patron) -> Reply:
    lang = who.language
    options = [
        (_t(svc, lang, "btn_pause_day"), "1"),
        (_t(svc, lang, "btn_pause_days", days=3), "3"),
        (_t(svc, lang, "btn_pause_week"), "7"),
        (_t(svc, lang, "btn_pause_open"), "0"),
    ]
    buttons = [Button(label, Callback(Action.PAUSE_FOR, arg=arg)) for label, arg in options]
    return say(Screen(screens.text(svc.content, lang, "pause_choose"), rows(buttons, 2)))


async def pause(svc: Services, who: Patron, days_text: str) -> Reply:
    async with svc.db.unit_of_work() as uow:
        patient = await _patient(uow, who)
        if patient is None or not days_text.isdigit() or int(days_text) not in (0, 1, 3, 7):
            return Reply(toast=_t(svc, who.language, "toast_invalid"))
        lang = patient.language
        days = int(days_text)
        now = svc.clock.now()
        patient.paused_until = now + timedelta(days=days) if days else FOREVER
        due = await reschedule(svc, uow, patient, now)
        await uow.commit()
        if due is None:
            return Reply(edit=Screen(screens.text(svc.content, lang, "paused_open")))
        return Reply(
            edit=Screen(
                screens.text(svc.content, lang, "paused_until", when=_when(svc, lang, patient, due))
            )
        )


async def resume(svc: Services, who: Patron) -> Reply:
    async with svc.db.unit_of_work() as uow:
        patient = await _patient(uow, who)
        lang = patient.language if patient else who.language
        if patient is not None and patient.hold_since is not None:
            # Never a silent resume after a pain report: the clinician's word comes first.
            from bot.services.safety import hold_reply

            return await hold_reply(svc, uow, patient)
        if patient is None or rule_of(patient) is None or not patient.reminders_enabled:
            return say(Screen(screens.text(svc.content, lang, "no_reminders")))
        if patient.paused_until is None:
            return say(Screen(screens.text(svc.content, lang, "not_paused")))
        patient.paused_until = None
        due = await reschedule(svc, uow, patient, svc.clock.now())
        await uow.commit()
        if due is None:
            return say(Screen(screens.text(svc.content, lang, "no_reminders")))
        return say(
            Screen(screens.text(svc.content, lang, "resumed", when=_when(svc, lang, patient, due)))
        )


def stop_question(svc: Services, who: Patron) -> Reply:
    lang = who.language
    return say(
        Screen(
            screens.text(svc.content, lang, "stop_confirm"),
            (
                (
                    Button(_t(svc, lang, "btn_stop_yes"), Callback(Action.STOP_YES)),
                    Button(_t(svc, lang, "btn_stop_no"), Callback(Action.STOP_NO)),
                ),
            ),
        )
    )


async def stop(svc: Services, who: Patron, confirmed: bool) -> Reply:
    lang = who.language
    if not confirmed:
        return Reply(edit=Screen(screens.text(svc.content, lang, "stop_kept")))
    async with svc.db.unit_of_work() as uow:
        patient = await _patient(uow, who)
        if patient is not None:
            patient.reminders_enabled = False
            await uow.timers.cancel_pending(patient.id, DAILY_KINDS, now=svc.clock.now())
            await uow.commit()
    return Reply(edit=Screen(screens.text(svc.content, lang, "stopped")))
