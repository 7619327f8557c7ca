"""Use cases of the guided session: open, tap, timer, cancel, free text.

Each one loads the session from the database, asks the pure state machine what happens,
writes the result with a compare-and-set on the session's revision, and returns a Reply.
Nothing is kept in memory between taps.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from bot.core import screens
from bot.core.callbacks import Action, Callback
from bot.core.program import session_exercises
from bot.core.screens import Button, Screen
from bot.core.session import (
    TIMER_ELAPSED,
    CancelTimer,
    Effect,
    ExercisePlan,
    Feeling,
    Finish,
    NotAllowed,
    Outcome,
    PainReport,
    Phase,
    SessionState,
    StartTimer,
    advance,
)
from bot.services import planner, reminders, safety
from bot.services.context import Patron, Services
from bot.services.replies import Reply, say
from bot.store.models import ExerciseSession, Patient, Timer
from bot.store.uow import UnitOfWork

log = logging.getLogger(__name__)

STEP_TIMER = "step_timer"


def state_of(session: ExerciseSession) -> SessionState:
    return SessionState(
        exercises=tuple(session.exercises),
        phase=Phase(session.phase),
        exercise_index=session.exercise_index,
        step_index=session.step_index,
        sets_done=session.set_index,
        timer_due_at=session.timer_due_at,
    )


def _columns(state: SessionState) -> dict[str, object]:
    return {
        "exercises": list(state.exercises),
        "phase": state.phase.value,
        "exercise_index": state.exercise_index,
        "step_index": state.step_index,
        "set_index": state.sets_done,
        "timer_due_at": state.timer_due_at,
    }


def _program_title(svc: Services, session: ExerciseSession) -> str:
    return svc.content.program(session.program_id).title


def catalog_for(svc: Services, patient: Patient) -> dict[str, ExercisePlan]:
    """The exercises this patient may do: held ones (after a pain report) are left out,
    so neither the program nor the "Try the alternative" button offers them."""
    held = set(patient.held_exercises or ())
    return {ex: plan for ex, plan in svc.catalog.items() if ex not in held}


def _screen(
    svc: Services,
    lang: str,
    patient: Patient,
    session: ExerciseSession,
    state: SessionState,
    rev: int,
) -> Screen:
    screen = screens.session_screen(
        svc.content,
        lang,
        catalog_for(svc, patient),
        session.id,
        rev,
        state,
        _program_title(svc, session),
    )
    if state.phase is Phase.INTRO:
        program = svc.content.program(session.program_id)
        left_out = [
            svc.content.exercise(ex).title for ex in program.exercises if ex not in state.exercises
        ]
        if left_out:
            note = screens.text(
                svc.content, lang, "session_intro_held", held_list=", ".join(left_out)
            )
            screen = Screen(f"{screen.text}\n\n{note}", screen.buttons)
    return screen


def current_screen(svc: Services, lang: str, patient: Patient, session: ExerciseSession) -> Screen:
    return _screen(svc, lang, patient, session, state_of(session), session.rev)


def _toast(svc: Services, lang: str, key: str) -> Reply:
    return Reply(toast=svc.content.text(lang, key))


async def _new_session(svc: Services, uow: UnitOfWork, patient: Patient) -> ExerciseSession:
    program_id = patient.program_id or svc.content.default_program.id
    now = svc.clock.now()
    session = ExerciseSession(
        patient_id=patient.id,
        program_id=program_id,
        content_version=svc.content.version,
        exercises=session_exercises(svc.content, program_id, patient.held_exercises or ()),
        phase=Phase.INTRO.value,
        exercise_index=0,
        step_index=0,
        set_index=0,
        rev=0,
        started_at=now,
        updated_at=now,
    )
    await uow.sessions.add(session)
    uow.on_commit(svc.metrics.sessions_started.inc)
    return session


async def open_session(svc: Services, who: Patron) -> Reply:
    """/exercise, or a Start button: a new session, or the choice to continue the open one."""
    lang = who.language
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        if patient is None or patient.consent_at is None:
            return say(Screen(screens.text(svc.content, lang, "consent_needed")))
        lang = patient.language
        if patient.hold_since is not None:
            return await safety.hold_reply(svc, uow, patient)
        existing = await uow.sessions.open_for_patient(patient.id)
        if existing is not None and existing.phase != Phase.INTRO.value:
            return say(_open_choice(svc, lang, existing))
        if existing is not None:  # an untouched intro: just show it again
            return say(current_screen(svc, lang, patient, existing))
        session = await _new_session(svc, uow, patient)
        await reminders.session_started(uow, patient, svc.clock.now())
        await uow.commit()
        log.info("session.opened", extra={"session_id": session.id, "patient_id": patient.id})
        return say(current_screen(svc, lang, patient, session))


def _open_choice(svc: Services, lang: str, session: ExerciseSession) -> Screen:
    def button(action: Action, key: str) -> Button:
        return Button(svc.content.text(lang, key), Callback(action, session.id, session.rev))

    return Screen(
        screens.text(svc.content, lang, "session_open_choice"),
        ((button(Action.CONTINUE, "btn_continue"), button(Action.RESTART, "btn_restart")),),
    )


async def tap(svc: Services, who: Patron, callback: Callback, message_id: int | None) -> Reply:
    """A button of a session screen was tapped."""
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        session = await uow.sessions.get(callback.session_id)
        lang = patient.language if patient else who.language
        if patient is None or session is None:
            return _toast(svc, lang, "toast_invalid")
        if session.patient_id != patient.id:
            log.warning("callback.foreign_session", extra={"session_id": session.id})
            return _toast(svc, lang, "toast_not_yours")
        if session.finished_at is not None:
            return await _tap_on_finished(svc, uow, patient, session, callback, lang, message_id)
        if callback.action is Action.HURTS:
            # Safety first: a pain tap is honoured even from an older screen of this session.
            return await _apply(svc, uow, patient, session, Action.HURTS, "", message_id, lang)
        if callback.rev != session.rev:
            if message_id is not None and message_id == session.message_id:
                # The session's own message shows an older step: its edit was lost (a
                # crash, a failed send) or this tap was delivered twice. Show where the
                # session really is, so the patient is never stuck on a dead screen.
                return Reply(
                    edit=current_screen(svc, lang, patient, session),
                    toast=svc.content.text(lang, "toast_stale"),
                )
            return _toast(svc, lang, "toast_stale")
        if callback.action is Action.CONTINUE:
            old_screen = session.message_id if session.message_id != message_id else None
            if message_id is not None:
                await uow.sessions.compare_and_set(session.id, session.rev, message_id=message_id)
                await uow.commit()
            fresh = await uow.sessions.get(session.id)
            assert fresh is not None
            return Reply(
                edit=current_screen(svc, lang, patient, fresh), strip_buttons_of=old_screen
            )
        if callback.action is Action.RESTART:
            if not await _finish(uow, svc, session, Outcome.RESTARTED):
                return _toast(svc, lang, "toast_stale")
            fresh = await _new_session(svc, uow, patient)
            await uow.commit()
            return Reply(edit=current_screen(svc, lang, patient, fresh))
        return await _apply(
            svc, uow, patient, session, callback.action, callback.arg, message_id, lang
        )


async def _tap_on_finished(
    svc: Services,
    uow: UnitOfWork,
    patient: Patient,
    session: ExerciseSession,
    callback: Callback,
    lang: str,
    message_id: int | None,
) -> Reply:
    already_advised = (
        session.outcome == Outcome.PAIN.value
        and message_id is not None
        and message_id == session.message_id
    )
    if callback.action is Action.HURTS and not already_advised:
        # The patient says it hurts, from a screen of a session that has ended (another
        # way, or a hold since cleared): never ignore that; advise, record, hold again.
        key = await safety.record_pain(
            svc,
            uow,
            patient,
            session_id=session.id,
            exercise_id=None,
            step_index=None,
            source="late_tap",
        )
        await uow.commit()
        return Reply(
            send=(
                Screen(safety.pain_closing(svc, lang)),
                safety.warning_screen(svc, lang, session.id),
            ),
            advice_keys=(key,),
        )
    return _toast(svc, lang, "toast_session_over")


async def _finish(
    uow: UnitOfWork, svc: Services, session: ExerciseSession, outcome: Outcome
) -> bool:
    now = svc.clock.now()
    ok = await uow.sessions.compare_and_set(
        session.id,
        session.rev,
        phase=Phase.DONE.value,
        finished_at=now,
        updated_at=now,
        outcome=outcome.value,
        timer_due_at=None,
    )
    if ok:
        await uow.timers.cancel_pending(session.patient_id, [STEP_TIMER])
        uow.on_commit(svc.metrics.sessions_finished.labels(outcome.value).inc)
    return ok


async def _apply(
    svc: Services,
    uow: UnitOfWork,
    patient: Patient,
    session: ExerciseSession,
    action: Action | str,
    arg: str,
    message_id: int | None,
    lang: str,
) -> Reply:
    now = svc.clock.now()
    try:
        transition = advance(catalog_for(svc, patient), state_of(session), action, now, arg)
    except NotAllowed:
        log.info("callback.not_allowed", extra={"session_id": session.id, "phase": session.phase})
        return _toast(svc, lang, "toast_stale")
    changes = _columns(transition.state) | {"updated_at": now}
    if message_id is not None:
        changes["message_id"] = message_id
    finish = next((e for e in transition.effects if isinstance(e, Finish)), None)
    if finish is not None:
        changes |= {
            "finished_at": now,
            "outcome": finish.outcome.value,
            "feeling": finish.feeling.value if finish.feeling else None,
        }
    expected_rev = session.rev  # the CAS refreshes the loaded row, so read it first
    if not await uow.sessions.compare_and_set(session.id, expected_rev, **changes):
        return _toast(svc, lang, "toast_stale")
    new_rev = expected_rev + 1
    advice_keys: list[str] = []
    for effect in transition.effects:
        key = await _carry_out(svc, uow, patient, session, effect, new_rev)
        if key is not None:
            advice_keys.append(key)
    if finish is not None:
        reply = await _closing(svc, uow, patient, session, finish, lang)
        if finish.outcome.value in planner.DONE_OUTCOMES:
            await reminders.day_done(uow, patient, now)
    else:
        screen = _screen(svc, lang, patient, session, transition.state, new_rev)
        toast = (
            svc.content.text(lang, "toast_timer_started")
            if any(isinstance(e, StartTimer) for e in transition.effects)
            else None
        )
        reply = Reply(edit=screen, toast=toast)
    if advice_keys:
        reply = replace(reply, advice_keys=(*reply.advice_keys, *advice_keys))
    await uow.commit()
    log.info("session.advanced", extra={"session_id": session.id})
    return reply


async def _closing(
    svc: Services,
    uow: UnitOfWork,
    patient: Patient,
    session: ExerciseSession,
    finish: Finish,
    lang: str,
) -> Reply:
    """The last screen of a session; pain adds the warning-sign question below the advice."""
    uow.on_commit(svc.metrics.sessions_finished.labels(finish.outcome.value).inc)
    content = svc.content
    if finish.outcome is Outcome.PAIN:
        return Reply(
            edit=Screen(safety.pain_closing(svc, lang)),
            send=(safety.warning_screen(svc, lang, session.id),),
        )
    if finish.outcome is Outcome.NOT_STARTED:
        return Reply(edit=Screen(screens.text(content, lang, "session_not_started")))
    persisting = await safety.record_feeling(
        svc, uow, patient, session.id, sore=finish.feeling is Feeling.SORE
    )
    if finish.feeling is Feeling.SORE:
        return Reply(edit=Screen(safety.sore_closing(svc, lang, persisting)))
    return Reply(edit=Screen(screens.text(content, lang, "well_done")))


async def _carry_out(
    svc: Services,
    uow: UnitOfWork,
    patient: Patient,
    session: ExerciseSession,
    effect: Effect,
    new_rev: int,
) -> str | None:
    """Carry out one effect; returns the key of the safety advice it queued, if any."""
    if isinstance(effect, PainReport):
        return await safety.record_pain(
            svc,
            uow,
            patient,
            session_id=session.id,
            exercise_id=effect.exercise_id,
            step_index=effect.step_index,
            source=effect.source,
        )
    if isinstance(effect, StartTimer):
        await uow.timers.schedule(
            patient.id,
            STEP_TIMER,
            effect.due_at,
            f"step:{session.id}:{new_rev}",
            {"session_id": session.id, "rev": new_rev},
        )
    elif isinstance(effect, CancelTimer):
        await uow.timers.cancel_pending(patient.id, [STEP_TIMER])
    return None


async def timer_elapsed(
    svc: Services, timer: Timer, deliver: Callable[[int, Reply], Awaitable[None]]
) -> bool:
    """A step timer is due: move the session on, then tell the patient; False when stale.

    The state is committed before the message is sent, so a send that times out (Telegram
    may have shown it) is not repeated. A send that certainly failed makes the dispatcher
    retry the timer; the retry finds the session one step on and sends its screen again.
    """
    session_id = int(timer.payload.get("session_id", 0))
    timer_rev = timer.payload.get("rev")
    async with svc.db.unit_of_work() as uow:
        session = await uow.sessions.get(session_id)
        patient = await uow.patients.get(timer.patient_id)
        if session is None or patient is None or session.finished_at is not None:
            return False
        old_message = session.message_id
        if session.rev == timer_rev and session.phase == Phase.TIMER.value:
            reply = await _apply(
                svc, uow, patient, session, TIMER_ELAPSED, "", None, patient.language
            )
            screen = reply.edit
        elif isinstance(timer_rev, int) and session.rev == timer_rev + 1 and timer.attempts > 1:
            screen = current_screen(svc, patient.language, patient, session)  # resend
        else:
            return False
    if screen is None:
        return False
    await deliver(patient.chat_id, Reply(send=(screen,), strip_buttons_of=old_message))
    return True


async def cancel(svc: Services, who: Patron) -> Reply:
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        lang = patient.language if patient else who.language
        session = await uow.sessions.open_for_patient(patient.id) if patient else None
        if session is None:
            return say(Screen(screens.text(svc.content, lang, "no_open_session")))
        await _finish(uow, svc, session, Outcome.CANCELLED)
        await uow.commit()
        return Reply(
            send=(Screen(screens.text(svc.content, lang, "session_cancelled")),),
            strip_buttons_of=session.message_id,
        )


async def open_screen_for(svc: Services, who: Patron) -> Screen | None:
    """The screen a patient is in the middle of, if any (shown again after free text)."""
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        if patient is None:
            return None
        session = await uow.sessions.open_for_patient(patient.id)
        if session is None:
            return None
        return current_screen(svc, patient.language, patient, session)
