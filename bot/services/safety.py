"""After a session: pain holds, check-ins, soreness follow-ups, warning signs, clinic alerts.

A pain report puts the patient's program on hold: daily reminders are cancelled (not just
hidden) and replaced by a gentle check-in the next day at their reminder time, then at
most every two days, until the patient (or the clinic's staff) confirms a clinician cleared
them. Nothing is sent to the clinic unless both the staff chat is configured and the
patient agreed.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core import screens
from bot.core.callbacks import Action, Callback
from bot.core.schedule import (
    ALL_DAYS,
    ReminderRule,
    daytime_followup,
    local_date_of,
    next_occurrence,
)
from bot.core.screens import Button, Screen
from bot.services import reminders
from bot.services.context import Services
from bot.services.replies import Reply
from bot.store.models import Patient, Report
from bot.store.uow import UnitOfWork

log = logging.getLogger(__name__)

CHECKIN, SORE_FOLLOWUP, STAFF_ALERT = "checkin", "sore_followup", "staff_alert"
CHECKIN_EVERY_DAYS = 2
SORE_FOLLOWUP_DAYS = 2
SORE_STREAK_ADVICE = 3


def _zone(patient: Patient) -> str:
    return patient.timezone or "UTC"


def _t(svc: Services, lang: str, key: str, **values: object) -> str:
    return svc.content.text(lang, key, **values)


# --- pain and the hold ----------------------------------------------------------------------


async def record_pain(
    svc: Services,
    uow: UnitOfWork,
    patient: Patient,
    *,
    session_id: int | None,
    exercise_id: str | None,
    step_index: int | None,
    source: str,
) -> Report:
    """Store a pain report and put the program on hold (idempotent if already on hold)."""
    now = svc.clock.now()
    report = Report(
        patient_id=patient.id,
        session_id=session_id,
        exercise_id=exercise_id,
        step_index=step_index,
        kind="pain",
        source=source,
        created_at=now,
    )
    await uow.reports.add(report)
    patient.sore_streak = 0
    if patient.hold_since is None:
        patient.hold_since = now
        await uow.timers.cancel_pending(
            patient.id, (*reminders.DAILY_KINDS, SORE_FOLLOWUP), now=now
        )
        await schedule_checkin(svc, uow, patient, local_date_of(now, _zone(patient)), days=1)
    await queue_alert(
        svc,
        uow,
        patient,
        "alert_pain",
        key=f"alert:pain:{patient.id}:{now.isoformat()}",
        exercise=svc.content.exercise(exercise_id).title if exercise_id else "-",
        step=(step_index + 1) if step_index is not None else "-",
    )
    log.info("safety.hold", extra={"patient_id": patient.id, "source": source})
    return report


def _checkin_due(patient: Patient, day: date) -> datetime:
    """The patient's reminder time (any weekday) on ``day``, or 10:00 local without one."""
    zone = _zone(patient)
    start = datetime.combine(day, time(0), ZoneInfo(zone))
    if patient.reminder_time:
        hour, minute = (int(p) for p in patient.reminder_time.split(":"))
        return next_occurrence(
            ReminderRule(time(hour, minute), ALL_DAYS, zone), start - timedelta(minutes=1)
        )
    return daytime_followup(start - timedelta(days=1), zone, 1)


async def schedule_checkin(
    svc: Services, uow: UnitOfWork, patient: Patient, from_day: date, *, days: int
) -> None:
    day = from_day + timedelta(days=days)
    due = _checkin_due(patient, day)
    await uow.timers.replace_pending(
        patient.id,
        [CHECKIN],
        [(CHECKIN, due, f"{CHECKIN}:{patient.id}:{local_date_of(due, _zone(patient))}", {})],
        now=svc.clock.now(),
    )


def hold_screen(svc: Services, lang: str) -> Screen:
    return Screen(
        screens.text(svc.content, lang, "on_hold"),
        (
            (Button(_t(svc, lang, "btn_cleared"), Callback(Action.CLEARED)),),
            (Button(_t(svc, lang, "btn_not_yet"), Callback(Action.NOT_YET)),),
        ),
    )


def checkin_screen(svc: Services, lang: str) -> Screen:
    def answer(key: str, arg: str) -> Button:
        return Button(_t(svc, lang, key), Callback(Action.CHECKIN, arg=arg))

    return Screen(
        screens.text(svc.content, lang, "checkin_question"),
        (
            (
                answer("btn_checkin_better", "b"),
                answer("btn_checkin_same", "s"),
                answer("btn_checkin_worse", "w"),
            ),
            (Button(_t(svc, lang, "btn_cleared"), Callback(Action.CLEARED)),),
        ),
    )


def warning_screen(svc: Services, lang: str, session_id: int) -> Screen:
    signs = "\n".join(f"• {sign.label}" for sign in svc.content.warning_signs)
    return Screen(
        screens.text(svc.content, lang, "warning_question", signs=signs),
        (
            (
                Button(
                    _t(svc, lang, "btn_warning_yes"), Callback(Action.WARNING, session_id, 0, "y")
                ),
                Button(
                    _t(svc, lang, "btn_warning_no"), Callback(Action.WARNING, session_id, 0, "n")
                ),
            ),
        ),
    )


def pain_closing(svc: Services, lang: str) -> str:
    return (
        screens.pain_advice(svc.content, lang)
        + "\n\n"
        + screens.text(svc.content, lang, "hold_notice")
    )


async def _last_pain_exercise(uow: UnitOfWork, patient: Patient) -> str | None:
    reports = await uow.reports.for_patient(patient.id, since=patient.hold_since)
    pains = [r for r in reports if r.kind == "pain" and r.exercise_id]
    return pains[-1].exercise_id if pains else None


async def on_hold_tap(svc: Services, user_id: int, callback: Callback) -> Reply:
    """CLEARED, NOT_YET, RESUME_ALL, RESUME_WITHOUT and CHECKIN answers."""
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(user_id)
        if patient is None or patient.consent_at is None:
            return Reply(toast=_t(svc, svc.language(None), "toast_invalid"))
        lang = patient.language
        if patient.hold_since is None:
            return Reply(toast=_t(svc, lang, "toast_stale"))
        action = callback.action
        if action is Action.NOT_YET:
            return Reply(edit=Screen(screens.text(svc.content, lang, "not_yet")))
        if action is Action.CHECKIN:
            return await _checkin_answer(svc, uow, patient, callback.arg)
        exercise_id = await _last_pain_exercise(uow, patient)
        if action is Action.CLEARED:
            return Reply(edit=_cleared_question(svc, lang, exercise_id))
        if action is Action.RESUME_ALL:
            return Reply(edit=Screen(await clear_hold(svc, uow, patient, held=[], detail="all")))
        # RESUME_WITHOUT: "x" holds the exercise and its alternative, "a" only the exercise
        if exercise_id is None or callback.arg not in ("x", "a"):
            return Reply(toast=_t(svc, lang, "toast_invalid"))
        exercise = svc.content.exercise(exercise_id)
        held = [exercise_id]
        if callback.arg == "x" and exercise.alternative:
            held.append(exercise.alternative)
        text = await clear_hold(svc, uow, patient, held=held, detail=f"without:{'+'.join(held)}")
        return Reply(edit=Screen(text))


def _cleared_question(svc: Services, lang: str, exercise_id: str | None) -> Screen:
    rows: list[tuple[Button, ...]] = [
        (Button(_t(svc, lang, "btn_resume_all"), Callback(Action.RESUME_ALL)),)
    ]
    title = None
    if exercise_id is not None:
        exercise = svc.content.exercise(exercise_id)
        title = exercise.short_title
        rows.append(
            (
                Button(
                    _t(svc, lang, "btn_resume_without", exercise_title=title),
                    Callback(Action.RESUME_WITHOUT, arg="x"),
                ),
            )
        )
        if exercise.alternative:
            alternative = svc.content.exercise(exercise.alternative).short_title
            rows.append(
                (
                    Button(
                        _t(svc, lang, "btn_resume_without_keep_alt", alternative_title=alternative),
                        Callback(Action.RESUME_WITHOUT, arg="a"),
                    ),
                )
            )
    rows.append((Button(_t(svc, lang, "btn_not_yet"), Callback(Action.NOT_YET)),))
    return Screen(
        screens.text(svc.content, lang, "cleared_question", exercise_title=title or ""), tuple(rows)
    )


async def clear_hold(
    svc: Services, uow: UnitOfWork, patient: Patient, *, held: list[str], detail: str
) -> str:
    """End the hold (the patient's confirmation or the clinic's); returns the text to show."""
    now = svc.clock.now()
    patient.hold_since = None
    patient.held_exercises = held
    patient.updated_at = now
    await uow.reports.add(
        Report(
            patient_id=patient.id,
            kind="cleared",
            source="hold",
            detail=detail[:200],
            created_at=now,
        )
    )
    await uow.timers.cancel_pending(patient.id, [CHECKIN], now=now)
    due = await reminders.reschedule(svc, uow, patient, now)
    await uow.commit()
    log.info("safety.cleared", extra={"patient_id": patient.id, "held": len(held)})
    lang = patient.language
    if not held:
        text = screens.text(svc.content, lang, "resumed_all")
    else:
        titles = ", ".join(svc.content.exercise(ex).title for ex in held)
        text = screens.text(svc.content, lang, "resumed_without", exercise_title=titles)
    return text + "\n\n" + reminders.next_line(svc, lang, patient, due)


async def _checkin_answer(svc: Services, uow: UnitOfWork, patient: Patient, arg: str) -> Reply:
    kinds = {"b": "checkin_better", "s": "checkin_same", "w": "checkin_worse"}
    lang = patient.language
    if arg not in kinds:
        return Reply(toast=_t(svc, lang, "toast_invalid"))
    await uow.reports.add(
        Report(patient_id=patient.id, kind=kinds[arg], source="checkin", created_at=svc.clock.now())
    )
    await uow.commit()
    if arg == "b":
        return Reply(
            edit=Screen(
                screens.text(svc.content, lang, "checkin_better"),
                ((Button(_t(svc, lang, "btn_cleared"), Callback(Action.CLEARED)),),),
            )
        )
    return Reply(
        edit=Screen(
            screens.pain_advice(svc.content, lang),
            ((Button(_t(svc, lang, "btn_cleared"), Callback(Action.CLEARED)),),),
        )
    )


async def due_checkin(svc: Services, patient_id: int) -> tuple[int, Screen] | None:
    """A check-in timer is due: the screen to send, and the next check-in two days on."""
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.get(patient_id)
        if patient is None or patient.hold_since is None or patient.status != "active":
            return None
        today = local_date_of(svc.clock.now(), _zone(patient))
        await schedule_checkin(svc, uow, patient, today, days=CHECKIN_EVERY_DAYS)
        await uow.commit()
        return patient.chat_id, checkin_screen(svc, patient.language)


# --- warning signs ---------------------------------------------------------------------------


async def warning_answer(svc: Services, user_id: int, callback: Callback) -> Reply:
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(user_id)
        session = await uow.sessions.get(callback.session_id) if callback.session_id else None
        if patient is None or session is None or session.patient_id != patient.id:
            return Reply(toast=_t(svc, svc.language(None), "toast_invalid"))
        lang = patient.language
        answered = [
            r
            for r in await uow.reports.for_patient(patient.id)
            if r.kind == "warning_sign" and r.session_id == session.id
        ]
        if answered or callback.arg not in ("y", "n"):
            return Reply(toast=_t(svc, lang, "toast_stale"))
        now = svc.clock.now()
        answer = "yes" if callback.arg == "y" else "no"
        await uow.reports.add(
            Report(
                patient_id=patient.id,
                session_id=session.id,
                kind="warning_sign",
                source="warning_question",
                detail=answer,
                created_at=now,
            )
        )
        await queue_alert(
            svc, uow, patient, "alert_warning", key=f"alert:warning:{session.id}", answer=answer
        )
        await uow.commit()
        log.info("safety.warning_answer", extra={"patient_id": patient.id, "yes": answer == "yes"})
        if answer == "no":
            return Reply(edit=Screen(screens.text(svc.content, lang, "warning_none")))
        # The urgent advice comes first and in full; the clinic's contact after it.
        return Reply(
            edit=Screen(
                screens.advice_with_contact(
                    svc.content,
                    lang,
                    "advice_urgent",
                    emergency_number=svc.content.clinic.emergency_number,
                )
            )
        )


# --- soreness ---------------------------------------------------------------------------------


async def record_feeling(
    svc: Services, uow: UnitOfWork, patient: Patient, session_id: int, sore: bool
) -> bool:
    """Store how a session felt; returns True when soreness keeps coming back (advise)."""
    now = svc.clock.now()
    await uow.reports.add(
        Report(
            patient_id=patient.id,
            session_id=session_id,
            kind="sore" if sore else "none",
            source="feeling",
            created_at=now,
        )
    )
    if not sore:
        patient.sore_streak = 0
        return False
    patient.sore_streak = (patient.sore_streak or 0) + 1
    due = daytime_followup(now, _zone(patient), SORE_FOLLOWUP_DAYS)
    await uow.timers.replace_pending(
        patient.id,
        [SORE_FOLLOWUP],
        [
            (
                SORE_FOLLOWUP,
                due,
                f"{SORE_FOLLOWUP}:{patient.id}:{local_date_of(due, _zone(patient))}",
                {},
            )
        ],
        now=now,
    )
    return patient.sore_streak >= SORE_STREAK_ADVICE


def sore_closing(svc: Services, lang: str, persisting: bool) -> str:
    parts = [
        screens.sore_advice(svc.content, lang),
        screens.text(svc.content, lang, "sore_followup_scheduled"),
    ]
    if persisting:
        parts.append(_persisting_advice(svc, lang))
    return "\n\n".join(parts)


def _persisting_advice(svc: Services, lang: str) -> str:
    return screens.advice_with_contact(svc.content, lang, "advice_sore_persisting")


async def due_sore_followup(svc: Services, patient_id: int) -> tuple[int, Screen] | None:
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.get(patient_id)
        if patient is None or patient.status != "active" or patient.hold_since is not None:
            return None
        lang = patient.language
        return patient.chat_id, Screen(
            screens.text(svc.content, lang, "sore_followup_question"),
            (
                (
                    Button(_t(svc, lang, "btn_sore_gone"), Callback(Action.SORE_FOLLOWUP, arg="g")),
                    Button(
                        _t(svc, lang, "btn_sore_still"), Callback(Action.SORE_FOLLOWUP, arg="s")
                    ),
                ),
            ),
        )


async def sore_followup_answer(svc: Services, user_id: int, callback: Callback) -> Reply:
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(user_id)
        if patient is None or callback.arg not in ("g", "s"):
            return Reply(toast=_t(svc, svc.language(None), "toast_invalid"))
        lang = patient.language
        gone = callback.arg == "g"
        await uow.reports.add(
            Report(
                patient_id=patient.id,
                kind="sore_gone" if gone else "sore_still",
                source="followup",
                created_at=svc.clock.now(),
            )
        )
        await uow.commit()
    if gone:
        return Reply(edit=Screen(screens.text(svc.content, lang, "sore_gone")))
    return Reply(edit=Screen(_persisting_advice(svc, lang)))


# --- the clinic's alerts ----------------------------------------------------------------------


def alerts_question(svc: Services, lang: str) -> Screen:
    return Screen(
        screens.text(svc.content, lang, "alerts_question", clinic_name=svc.content.clinic.name),
        (
            (
                Button(_t(svc, lang, "btn_alerts_yes"), Callback(Action.ALERTS, arg="y")),
                Button(_t(svc, lang, "btn_alerts_no"), Callback(Action.ALERTS, arg="n")),
            ),
        ),
    )


async def set_alerts(svc: Services, user_id: int, callback: Callback) -> Reply:
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(user_id)
        if patient is None or callback.arg not in ("y", "n"):
            return Reply(toast=_t(svc, svc.language(None), "toast_invalid"))
        patient.alerts_opt_in = callback.arg == "y"
        await uow.commit()
        key = "alerts_on" if patient.alerts_opt_in else "alerts_off"
        return Reply(edit=Screen(screens.text(svc.content, patient.language, key)))


async def queue_alert(
    svc: Services,
    uow: UnitOfWork,
    patient: Patient,
    text_key: str,
    *,
    key: str,
    **values: object,
) -> bool:
    """A note for the staff chat, as a durable timer; only with the setting AND the opt-in.

    It names the patient by their code and the time in UTC, never by name."""
    if svc.settings.staff_chat_id is None or patient.alerts_opt_in is not True:
        return False
    now = svc.clock.now()
    text = _t(
        svc,
        svc.settings.default_language,
        text_key,
        code=patient.code,
        when=f"{now:%Y-%m-%d %H:%M} UTC",
        **values,
    )
    await uow.timers.schedule(patient.id, STAFF_ALERT, now, key[:128], {"text": text})
    return True
