"""After a session: pain holds, check-ins, soreness follow-ups, warning signs, clinic alerts.

A pain report puts the patient's program on hold: daily reminders are cancelled (not just
hidden) and replaced by a gentle check-in the next day at their reminder time, then at
most every two days, until the patient (or the clinic's staff) confirms a clinician cleared
them. Nothing is sent to the clinic unless both the staff chat is configured and the
patient agreed.
"""

from __future__ import annotations

import logging
import secrets
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
from bot.core.timers import Kind, advice_key, alert_key, checkin_key, sore_followup_key
from bot.services import planner
from bot.services.context import Services
from bot.services.replies import Reply
from bot.store.models import Patient, Report
from bot.store.uow import UnitOfWork

log = logging.getLogger(__name__)

CHECKIN, SORE_FOLLOWUP, STAFF_ALERT = Kind.CHECKIN, Kind.SORE_FOLLOWUP, Kind.STAFF_ALERT
ADVICE = Kind.ADVICE  # the safety advice, sent again unless its reply was seen delivered
ADVICE_FALLBACK_AFTER = timedelta(seconds=20)
PAIN, URGENT = "pain", "urgent"
CHECKIN_EVERY_DAYS = 2
SORE_FOLLOWUP_DAYS = 2
SORE_STREAK_ADVICE = 3


def _zone(svc: Services, patient: Patient) -> str:
    """The patient's zone; until they pick one, the clinic's (not UTC: 10:00 UTC is 05:00
    in Boston)."""
    return patient.timezone or svc.content.clinic.timezone


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
) -> str:
    """Store a pain report and put the program on hold (idempotent if already on hold).

    Returns the key of the durable advice (see ``guarantee_advice``): the reply that shows
    the advice must carry it."""
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
    uow.on_commit(svc.metrics.pain_reports.inc)
    patient.sore_streak = 0
    if patient.hold_since is None:
        patient.hold_since = now
        await uow.timers.cancel_pending(patient.id, [SORE_FOLLOWUP], now=now)
        await planner.replan(uow, patient, now)  # on hold: no daily reminder, snooze, nudge
        await schedule_checkin(svc, uow, patient, local_date_of(now, _zone(svc, patient)), days=1)
    await queue_alert(
        svc,
        uow,
        patient,
        "alert_pain",
        key=alert_key("pain", patient.id, now.isoformat()),
        exercise=svc.content.exercise(exercise_id).title if exercise_id else "-",
        step=(step_index + 1) if step_index is not None else "-",
    )
    log.info("safety.hold")  # no ids: a hold is a health fact (see docs/RELIABILITY.md)
    return await guarantee_advice(svc, uow, patient, PAIN, session_id)


async def guarantee_advice(
    svc: Services, uow: UnitOfWork, patient: Patient, what: str, session_id: int | None
) -> str:
    """Make sure the advice reaches the patient even if the reply meant to carry it fails.

    Written in the same transaction as the report: a timer that sends the advice as a new
    message a little later, unless the handler confirms (``advice_delivered``) that its
    reply got through. Returns the timer's key, for the reply to carry.
    """
    now = svc.clock.now()
    key = advice_key(patient.id, what, secrets.token_hex(8))
    await uow.timers.schedule(
        patient.id,
        ADVICE,
        now + ADVICE_FALLBACK_AFTER,
        key,
        {"what": what, "session_id": session_id},
    )
    return key


async def advice_delivered(svc: Services, keys: tuple[str, ...]) -> None:
    """The replies carrying these advice texts were delivered: no fallback needed."""
    async with svc.db.unit_of_work() as uow:
        await uow.timers.finish_pending_keys(list(keys), "sent", now=svc.clock.now())
        await uow.commit()


async def due_advice(svc: Services, timer_payload: dict[str, object], patient_id: int):  # type: ignore[no-untyped-def]
    """The fallback: the advice as new messages (the warning-sign question too, if it is
    still unanswered). None when the patient is gone."""
    async with svc.db.unit_of_work(read_only=True) as uow:
        patient = await uow.patients.get(patient_id)
        if patient is None or patient.status == "blocked":
            return None
        lang = patient.language
        if timer_payload.get("what") == URGENT:
            return patient.chat_id, (Screen(urgent_advice(svc, lang)),)
        session_id = timer_payload.get("session_id")
        screens_: list[Screen] = [Screen(pain_closing(svc, lang))]
        if isinstance(session_id, int) and not await _warning_answered(uow, patient, session_id):
            screens_.append(warning_screen(svc, lang, session_id))
        return patient.chat_id, tuple(screens_)


async def _warning_answered(uow: UnitOfWork, patient: Patient, session_id: int) -> bool:
    return any(
        r.kind == "warning_sign" and r.session_id == session_id
        for r in await uow.reports.for_patient(patient.id)
    )


def urgent_advice(svc: Services, lang: str) -> str:
    """Urgent care first and in full; the clinic's contact after it."""
    return screens.advice_with_contact(
        svc.content, lang, "advice_urgent", emergency_number=svc.content.clinic.emergency_number
    )


def _checkin_due(zone: str, patient: Patient, day: date) -> datetime:
    """The patient's reminder time (any weekday) on ``day``, or 10:00 local without one."""
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
    due = _checkin_due(_zone(svc, patient), patient, day)
    await uow.timers.replace_pending(
        patient.id,
        [CHECKIN],
        [(CHECKIN, due, checkin_key(patient.id, local_date_of(due, _zone(svc, patient))), {})],
        now=svc.clock.now(),
    )


async def hold_reply(svc: Services, uow: UnitOfWork, patient: Patient) -> Reply:
    """What a patient on hold sees instead of exercises: the advice with the clinic's
    contact, every time, and the warning-sign question if the last pain report left it
    unanswered."""
    lang = patient.language
    pains = [
        r
        for r in await uow.reports.for_patient(patient.id, since=patient.hold_since)
        if r.kind == "pain"
    ]
    last_session = pains[-1].session_id if pains else None
    shown = [hold_screen(svc, lang)]
    if last_session is not None and not await _warning_answered(uow, patient, last_session):
        shown.append(warning_screen(svc, lang, last_session))
    return Reply(send=tuple(shown))


def hold_screen(svc: Services, lang: str) -> Screen:
    return Screen(
        screens.advice_with_contact(svc.content, lang, "on_hold"),
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
    due = await planner.replan(uow, patient, now)
    await uow.commit()
    log.info("safety.cleared")
    lang = patient.language
    if not held:
        text = screens.text(svc.content, lang, "resumed_all")
    else:
        titles = ", ".join(svc.content.exercise(ex).title for ex in held)
        text = screens.text(svc.content, lang, "resumed_without", exercise_title=titles)
    return text + "\n\n" + planner.next_line(svc, lang, patient, due)


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
        today = local_date_of(svc.clock.now(), _zone(svc, patient))
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
            svc, uow, patient, "alert_warning", key=alert_key("warning", session.id), answer=answer
        )
        if answer == "no":
            await uow.commit()
            return Reply(edit=Screen(screens.text(svc.content, lang, "warning_none")))
        key = await guarantee_advice(svc, uow, patient, URGENT, session.id)
        await uow.commit()
        return Reply(edit=Screen(urgent_advice(svc, lang)), advice_keys=(key,))


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
    due = daytime_followup(now, _zone(svc, patient), SORE_FOLLOWUP_DAYS)
    await uow.timers.replace_pending(
        patient.id,
        [SORE_FOLLOWUP],
        [
            (
                SORE_FOLLOWUP,
                due,
                sore_followup_key(patient.id, local_date_of(due, _zone(svc, patient))),
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


async def alert_sent(svc: Services, timer_id: int, chat_id: int, message_id: int) -> None:
    """Remember where an alert was posted, so /forget can remove it from the staff chat."""
    async with svc.db.unit_of_work() as uow:
        timer = await uow.timers.get(timer_id)
        if timer is not None:
            timer.payload = {**timer.payload, "chat_id": chat_id, "message_id": message_id}
            await uow.commit()


async def alerts_shown(uow: UnitOfWork, patient: Patient) -> list[tuple[int, int]]:
    """(chat id, message id) of every staff alert posted about this patient."""
    shown = []
    for timer in await uow.timers.for_patient(patient.id, [STAFF_ALERT]):
        chat_id, message_id = timer.payload.get("chat_id"), timer.payload.get("message_id")
        if isinstance(chat_id, int) and isinstance(message_id, int):
            shown.append((chat_id, message_id))
    return shown


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
