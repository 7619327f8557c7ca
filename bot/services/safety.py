"""After pain or soreness: holds, check-ins, warning signs, soreness follow-ups, alerts.

A pain report puts the patient's program on hold: daily reminders stop (the planner says
none) and a gentle check-in comes the next day at their reminder time, then at most every
two days, until the patient (or the clinic's staff) confirms a clinician cleared them.
Nothing goes to the clinic unless the staff chat is configured and the patient agreed.

Screens and button data are in ``bot.core.ui.safety``; helpers here write within the
caller's unit of work and never commit (the use case that opened it does).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core import screens
from bot.core.callbacks import Action, Callback, InvalidCallback
from bot.core.patient import PatientStatus
from bot.core.schedule import (
    ALL_DAYS,
    ReminderRule,
    daytime_followup,
    local_date_of,
    next_occurrence,
)
from bot.core.screens import Screen
from bot.core.session import PainWhich
from bot.core.timers import Kind, advice_key, alert_key, checkin_key, sore_followup_key
from bot.core.ui import onboarding as onboarding_ui
from bot.core.ui import safety as ui
from bot.core.ui.session import pain_which_screen
from bot.services import planner
from bot.services.context import Services
from bot.services.replies import Reply
from bot.store.models import ExerciseSession, Patient, Report
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


def _toast(svc: Services, lang: str, key: str) -> Reply:
    return Reply(toast=svc.content.text(lang, key))


def urgent_advice(svc: Services, patient: Patient) -> str:
    """Urgent care first, with the emergency number where the patient is."""
    number = svc.content.clinic.emergency_number_for(patient.timezone)
    return ui.urgent_advice(svc.content, patient.language, number)


# --- pain and the hold ----------------------------------------------------------------------


@dataclass(frozen=True)
class PainRecorded:
    """A pain report just stored: the key of its durable advice (the reply that shows the
    advice must carry it) and the report's id (the rating question names it)."""

    advice_key: str
    report_id: int


async def record_pain(
    svc: Services,
    uow: UnitOfWork,
    patient: Patient,
    *,
    session_id: int | None,
    exercise_id: str | None,
    step_index: int | None,
    source: str,
) -> PainRecorded:
    """Store a pain report and put the program on hold (idempotent if already on hold).

    Returns the key of the durable advice (see ``guarantee_advice``) and the report."""
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
        exercise=(
            svc.content.exercise(exercise_id, svc.settings.default_language).title
            if exercise_id
            else "-"
        ),
        step=(step_index + 1) if step_index is not None else "-",
    )
    log.info("safety.hold")  # no ids: a hold is a health fact (see docs/RELIABILITY.md)
    key = await guarantee_advice(svc, uow, patient, PAIN, session_id)
    return PainRecorded(key, report.id)


def rating_question(svc: Services, patient: Patient, report_id: int) -> tuple[Screen, ...]:
    """The optional "how strong, 0 to 10?" for one pain report, when content turns it on
    (``safety.yaml`` ``pain_rating``); else nothing. A reply puts it after the advice and
    the warning signs, never before them, and the durable advice never includes it: the
    advice does not wait for a rating."""
    if not svc.content.pain_rating:
        return ()
    return (ui.pain_rating_screen(svc.content, patient.language, report_id),)


async def rate_pain(svc: Services, user_id: int, callback: Callback) -> Reply:
    """A tap on the rating question: the number goes on that pain report (the one the
    button names, whichever report is the latest) once; "Skip" stores nothing. Neither
    touches the hold or the advice."""
    rating = ui.PainRating.parse(callback.arg)
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(user_id)
        if patient is None:  # after /forget: the report is gone too
            return _toast(svc, svc.language(None), "toast_stale")
        lang = patient.language
        report = await uow.reports.get(rating.report_id)
        if report is None:
            return _toast(svc, lang, "toast_stale")
        if report.patient_id != patient.id or report.kind != "pain":
            log.warning("callback.foreign_report")
            return _toast(svc, lang, "toast_invalid")
        if report.rating is not None:
            return _toast(svc, lang, "toast_pain_rating_done")
        if rating.value is None:
            return Reply(edit=ui.pain_rating_answer(svc.content, lang, None))
        if not await uow.reports.set_rating(report.id, patient.id, rating.value):
            return _toast(svc, lang, "toast_pain_rating_done")  # a tap at the same instant
        await uow.commit()
        log.info("safety.pain_rated")  # no ids and no number: health data
        return Reply(edit=ui.pain_rating_answer(svc.content, lang, rating.value))


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


async def due_advice(
    svc: Services, timer_payload: dict[str, object], patient_id: int
) -> tuple[int, tuple[Screen, ...]] | None:
    """The fallback: the advice as new messages (the warning-sign question too, if it is
    still unanswered). None when the patient is gone."""
    async with svc.db.unit_of_work(read_only=True) as uow:
        patient = await uow.patients.get(patient_id)
        if patient is None or patient.status == PatientStatus.BLOCKED:
            return None
        lang = patient.language
        if timer_payload.get("what") == URGENT:
            return patient.chat_id, (Screen(urgent_advice(svc, patient)),)
        session_id = timer_payload.get("session_id")
        shown: list[Screen] = [Screen(ui.pain_closing(svc.content, lang))]
        if isinstance(session_id, int) and not await _warning_answered(uow, patient, session_id):
            shown.append(ui.warning_screen(svc.content, lang, session_id))
        return patient.chat_id, tuple(shown)


async def _warning_answered(uow: UnitOfWork, patient: Patient, session_id: int) -> bool:
    return any(
        r.kind == "warning_sign" and r.session_id == session_id
        for r in await uow.reports.for_patient(patient.id)
    )


def pain_reply(
    svc: Services,
    patient: Patient,
    session: ExerciseSession,
    recorded: PainRecorded | None,
    *,
    ask_which: bool,
) -> Reply:
    """The end of a session stopped for pain: the advice (in place of the screen), the
    warning signs, when it ended at "It hurt" which exercise it was, and the optional
    rating last."""
    lang = patient.language
    follow = [ui.warning_screen(svc.content, lang, session.id)]
    if ask_which:
        follow.append(pain_which_screen(svc.content, lang, session.id, session.exercises))
    if recorded is None:
        return Reply(edit=Screen(ui.pain_closing(svc.content, lang)), send=tuple(follow))
    follow += rating_question(svc, patient, recorded.report_id)
    return Reply(
        edit=Screen(ui.pain_closing(svc.content, lang)),
        send=tuple(follow),
        advice_keys=(recorded.advice_key,),
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
    zone = _zone(svc, patient)
    due = _checkin_due(zone, patient, day)
    await uow.timers.replace_pending(
        patient.id,
        [CHECKIN],
        [(CHECKIN, due, checkin_key(patient.id, local_date_of(due, zone)), {})],
        now=svc.clock.now(),
    )


async def hold_reply(svc: Services, uow: UnitOfWork, patient: Patient) -> Reply:
    """What a patient on hold sees instead of exercises: why, with the clinic's contact,
    every time, and the warning-sign question if the last pain report left it unanswered."""
    lang = patient.language
    pains = [
        r
        for r in await uow.reports.for_patient(patient.id, since=patient.hold_since)
        if r.kind == "pain"
    ]
    last_session = pains[-1].session_id if pains else None
    shown = [ui.hold_screen(svc.content, lang)]
    if last_session is not None and not await _warning_answered(uow, patient, last_session):
        shown.append(ui.warning_screen(svc.content, lang, last_session))
    return Reply(send=tuple(shown))


async def _last_pain_exercise(uow: UnitOfWork, patient: Patient) -> str | None:
    reports = await uow.reports.for_patient(patient.id, since=patient.hold_since)
    pains = [r for r in reports if r.kind == "pain" and r.exercise_id]
    return pains[-1].exercise_id if pains else None


async def on_hold_tap(svc: Services, user_id: int, callback: Callback) -> Reply:
    """CLEARED, NOT_YET, RESUME_ALL, RESUME_WITHOUT and CHECKIN answers."""
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(user_id)
        if patient is None or patient.consent_at is None:
            return _toast(svc, svc.language(None), "toast_invalid")
        lang = patient.language
        if patient.hold_since is None:
            return _toast(svc, lang, "toast_stale")
        action = callback.action
        if action is Action.NOT_YET:
            return Reply(edit=Screen(screens.text(svc.content, lang, "not_yet")))
        if action is Action.CHECKIN:
            reply = await _checkin_answer(svc, uow, patient, ui.CheckinAnswer.parse(callback.arg))
            await uow.commit()
            return reply
        exercise_id = await _last_pain_exercise(uow, patient)
        if action is Action.CLEARED:
            return Reply(edit=_cleared_question(svc, lang, exercise_id))
        if action is Action.RESUME_ALL:
            text = await clear_hold(svc, uow, patient, held=[], detail="all")
            await uow.commit()
            return Reply(edit=Screen(text))
        choice = ui.ResumeWithout.parse(callback.arg)
        if exercise_id is None:
            raise InvalidCallback("no exercise to leave out")
        exercise = svc.content.exercises[exercise_id]
        newly = [exercise_id]
        if not choice.keep_alternative and exercise.alternative:
            newly.append(exercise.alternative)
        # Held exercises add up: an earlier "all but" stays until the whole program is back.
        held = list(dict.fromkeys([*(patient.held_exercises or []), *newly]))
        text = await clear_hold(svc, uow, patient, held=held, detail=f"without:{'+'.join(newly)}")
        await uow.commit()
        return Reply(edit=Screen(text))


def _cleared_question(svc: Services, lang: str, exercise_id: str | None) -> Screen:
    if exercise_id is None:
        return ui.cleared_question(svc.content, lang, None, None)
    exercise = svc.content.exercise(exercise_id, lang)
    alternative = (
        svc.content.exercise(exercise.alternative, lang).short_title
        if exercise.alternative
        else None
    )
    return ui.cleared_question(svc.content, lang, exercise.short_title, alternative)


async def clear_hold(
    svc: Services, uow: UnitOfWork, patient: Patient, *, held: list[str], detail: str
) -> str:
    """End the hold (the patient's confirmation or the clinic's); returns the text to show.
    The caller commits."""
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
    log.info("safety.cleared")
    lang = patient.language
    if not held:
        text = screens.text(svc.content, lang, "resumed_all")
    else:
        titles = ", ".join(svc.content.exercise(ex, lang).title for ex in held)
        text = screens.text(svc.content, lang, "resumed_without", exercise_title=titles)
    return text + "\n\n" + planner.next_line(svc, lang, patient, due)


async def _checkin_answer(
    svc: Services, uow: UnitOfWork, patient: Patient, answer: ui.CheckinAnswer
) -> Reply:
    lang = patient.language
    await uow.reports.add(
        Report(
            patient_id=patient.id,
            kind=f"checkin_{answer.how}",
            source="checkin",
            created_at=svc.clock.now(),
        )
    )
    reply = ui.checkin_reply(svc.content, lang, answer.how)
    if answer.how == "worse":
        # Pain that gets worse is itself a warning sign: ask about all of them again.
        return Reply(edit=reply, send=(ui.warning_screen(svc.content, lang, 0),))
    return Reply(edit=reply)


async def due_checkin(svc: Services, patient_id: int) -> tuple[int, Screen] | None:
    """A check-in timer is due: the screen to send, and the next check-in two days on."""
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.get(patient_id)
        if patient is None or patient.hold_since is None or patient.status != PatientStatus.ACTIVE:
            return None
        today = local_date_of(svc.clock.now(), _zone(svc, patient))
        await schedule_checkin(svc, uow, patient, today, days=CHECKIN_EVERY_DAYS)
        await uow.commit()
        return patient.chat_id, ui.checkin_screen(svc.content, patient.language)


# --- warning signs, and which exercise hurt ----------------------------------------------------


async def warning_answer(svc: Services, user_id: int, callback: Callback) -> Reply:
    """The warning-sign question, after a session's pain report (its id) or a check-in that
    was worse (0). One answer per session; a check-in's may come again."""
    answer = ui.YesNo.parse(callback.arg)
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(user_id)
        if patient is None:
            return _toast(svc, svc.language(None), "toast_invalid")
        session_id: int | None = callback.session_id or None
        if session_id is not None:
            session = await uow.sessions.get(session_id)
            if session is None or session.patient_id != patient.id:
                return _toast(svc, patient.language, "toast_invalid")
            if await _warning_answered(uow, patient, session_id):
                return _toast(svc, patient.language, "toast_stale")
        now = svc.clock.now()
        await uow.reports.add(
            Report(
                patient_id=patient.id,
                session_id=session_id,
                kind="warning_sign",
                source="warning_question" if session_id else "checkin",
                detail="yes" if answer.yes else "no",
                created_at=now,
            )
        )
        key = alert_key("warning", session_id or f"c{patient.id}:{now.isoformat()}")
        if answer.yes:
            await queue_alert(svc, uow, patient, "alert_warning_urgent", key=key)
        else:
            said = svc.content.text(svc.settings.default_language, "btn_warning_no")
            await queue_alert(svc, uow, patient, "alert_warning", key=key, answer=said)
        if not answer.yes:
            await uow.commit()
            return Reply(edit=Screen(screens.text(svc.content, patient.language, "warning_none")))
        advice = await guarantee_advice(svc, uow, patient, URGENT, session_id)
        await uow.commit()
        return Reply(edit=Screen(urgent_advice(svc, patient)), advice_keys=(advice,))


async def narrow_pain(
    svc: Services, uow: UnitOfWork, patient: Patient, session: ExerciseSession, arg: str
) -> Reply:
    """Which exercise hurt, asked after "It hurt" at the end of a session: the answer
    narrows the pain report; the hold is in force since the tap on "It hurt"."""
    lang = patient.language
    answer = PainWhich.parse(arg, session.exercises)
    reports = [
        r
        for r in await uow.reports.for_patient(patient.id)
        if r.kind == "pain" and r.session_id == session.id
    ]
    if not reports or reports[-1].detail == "which:answered":
        return _toast(svc, lang, "toast_stale")
    if answer.index is not None:
        reports[-1].exercise_id = session.exercises[answer.index]
    reports[-1].detail = "which:answered"
    return Reply(edit=Screen(screens.text(svc.content, lang, "pain_which_thanks")))


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
    zone = _zone(svc, patient)
    due = daytime_followup(now, zone, SORE_FOLLOWUP_DAYS)
    await uow.timers.replace_pending(
        patient.id,
        [SORE_FOLLOWUP],
        [(SORE_FOLLOWUP, due, sore_followup_key(patient.id, local_date_of(due, zone)), {})],
        now=now,
    )
    return patient.sore_streak >= SORE_STREAK_ADVICE


async def due_sore_followup(svc: Services, patient_id: int) -> tuple[int, Screen] | None:
    async with svc.db.unit_of_work(read_only=True) as uow:
        patient = await uow.patients.get(patient_id)
        if (
            patient is None
            or patient.status != PatientStatus.ACTIVE
            or patient.hold_since is not None
        ):
            return None
        return patient.chat_id, ui.sore_followup_screen(svc.content, patient.language)


async def sore_followup_answer(svc: Services, user_id: int, callback: Callback) -> Reply:
    answer = ui.SoreAnswer.parse(callback.arg)
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(user_id)
        if patient is None:
            return _toast(svc, svc.language(None), "toast_invalid")
        lang = patient.language
        await uow.reports.add(
            Report(
                patient_id=patient.id,
                kind="sore_gone" if answer.gone else "sore_still",
                source="followup",
                created_at=svc.clock.now(),
            )
        )
        await uow.commit()
    if answer.gone:
        return Reply(edit=Screen(screens.text(svc.content, lang, "sore_gone")))
    return Reply(
        edit=Screen(screens.advice_with_contact(svc.content, lang, "advice_sore_persisting"))
    )


# --- the clinic's alerts ----------------------------------------------------------------------


async def set_alerts(svc: Services, user_id: int, callback: Callback) -> Reply:
    answer = ui.YesNo.parse(callback.arg)
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(user_id)
        if patient is None:
            return _toast(svc, svc.language(None), "toast_invalid")
        first_answer = patient.alerts_opt_in is None
        patient.alerts_opt_in = answer.yes
        if not answer.yes:
            # a "no" (or a change of mind) also stops the notes not sent yet
            await uow.timers.cancel_pending(patient.id, [STAFF_ALERT], now=svc.clock.now())
        await uow.commit()
        lang = patient.language
        said = screens.text(svc.content, lang, "alerts_on" if answer.yes else "alerts_off")
        if first_answer and patient.consent_at is not None:
            # asked right after consent: the next question, "exercise now or later?"
            return Reply(edit=onboarding_ui.start_question(svc.content, lang, said))
        return Reply(edit=Screen(said))


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

    It names the patient by their code and gives the time in the clinic's zone, never a
    name or a message."""
    if svc.settings.staff_chat_id is None or patient.alerts_opt_in is not True:
        return False
    now = svc.clock.now()
    lang = svc.settings.default_language  # the staff chat's language
    text = svc.content.text(
        lang,
        text_key,
        code=patient.code,
        when=screens.format_moment(svc.content, lang, now, svc.content.clinic.timezone),
        **values,
    )
    await uow.timers.schedule(patient.id, STAFF_ALERT, now, key[:128], {"text": text})
    return True
