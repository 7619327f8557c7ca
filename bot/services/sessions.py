"""Use cases of the guided session: open, tap, timer, cancel, free text, typed pain.

Each one loads the session from the database, asks the pure state machine what happens,
writes the result with a compare-and-set on the session's revision, commits once, and
returns a Reply. Screens come from ``bot.core.ui.session``. Nothing is kept in memory
between taps as the truth: on PostgreSQL the common tap may decide on the session as this
process last wrote it (``bot.store.taps.KnownSessions``), and its write then checks that
neither the session nor the patient changed since.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from bot.core import screens
from bot.core.callbacks import Action, Callback
from bot.core.dose import effective, is_own
from bot.core.program import session_exercises
from bot.core.screens import Screen, plan_for
from bot.core.session import (
    TIMER_ELAPSED,
    CancelTimer,
    Category,
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
    Transition,
    advance,
    category,
)
from bot.core.timers import Kind, step_key
from bot.core.ui import onboarding as onboarding_ui
from bot.core.ui import safety as safety_ui
from bot.core.ui import session as ui
from bot.services import planner, reminders, safety
from bot.services.context import Patron, Services
from bot.services.replies import Reply, say
from bot.store.models import ExerciseSession, Patient, Timer
from bot.store.taps import NewStepTimer, StepWrite, TapPatient, TapSession, tap_transaction
from bot.store.uow import UnitOfWork

log = logging.getLogger(__name__)

STEP_TIMER = Kind.STEP


class SessionRow(Protocol):
    """What a screen and the state machine read of a session: an ORM row, or the plain
    values the tap path reads (``TapSession``)."""

    @property
    def id(self) -> int: ...
    @property
    def program_id(self) -> str: ...
    @property
    def exercises(self) -> Sequence[str]: ...
    @property
    def completed(self) -> Sequence[str]: ...
    @property
    def phase(self) -> str: ...
    @property
    def exercise_index(self) -> int: ...
    @property
    def step_index(self) -> int: ...
    @property
    def set_index(self) -> int: ...
    @property
    def rev(self) -> int: ...
    @property
    def timer_due_at(self) -> datetime | None: ...
    @property
    def message_id(self) -> int | None: ...


class PatientRow(Protocol):
    """What a session screen reads of a patient (ORM row or ``TapPatient``)."""

    @property
    def id(self) -> int: ...
    @property
    def language(self) -> str: ...
    @property
    def held_exercises(self) -> Sequence[str]: ...
    @property
    def dose(self) -> Mapping[str, Any]: ...


def state_of(session: SessionRow) -> SessionState:
    return SessionState(
        exercises=tuple(session.exercises),
        phase=Phase(session.phase),
        exercise_index=session.exercise_index,
        step_index=session.step_index,
        sets_done=session.set_index,
        timer_due_at=session.timer_due_at,
        completed=tuple(session.completed or ()),
    )


def _columns(state: SessionState) -> dict[str, object]:
    return {
        "exercises": list(state.exercises),
        "phase": state.phase.value,
        "exercise_index": state.exercise_index,
        "step_index": state.step_index,
        "set_index": state.sets_done,
        "timer_due_at": state.timer_due_at,
        "completed": list(state.completed),
    }


def catalog_for(svc: Services, patient: PatientRow) -> dict[str, ExercisePlan]:
    """The exercises this patient may do, with their own dose where the clinic set one:
    held ones (after a pain report) are left out, so neither the program nor the "Try ..."
    button offers them."""
    held = set(patient.held_exercises or ())
    own = patient.dose or {}
    return {
        ex: plan_for(svc.content.exercises[ex], effective(svc.content.exercises[ex], own[ex]))
        if is_own(ex, own)
        else plan
        for ex, plan in svc.catalog.items()
        if ex not in held
    }


def _view(svc: Services, patient: PatientRow, session: SessionRow, rev: int) -> ui.SessionView:
    lang = patient.language
    program = svc.content.program(session.program_id, lang)
    held = set(patient.held_exercises or ())
    return ui.SessionView(
        content=svc.content,
        lang=lang,
        catalog=catalog_for(svc, patient),
        session_id=session.id,
        rev=rev,
        program_title=program.title,
        left_out=[svc.content.exercise(ex, lang).title for ex in program.exercises if ex in held],
        own_dose=patient.dose or {},
    )


def current_screen(svc: Services, patient: PatientRow, session: SessionRow) -> Screen:
    return ui.session_screen(_view(svc, patient, session, session.rev), state_of(session))


def _showing(session: SessionRow, reply: Reply) -> Reply:
    """The reply's last screen is the session's: its message is the one to edit next."""
    return replace(reply, shows_session=session.id)


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
    """/exercise, or a Start button: a new session, or the choice to continue the open one.

    A session starting ends any question waiting for a typed answer: what the patient
    types from now on is about the exercises (a time, a place or pain)."""
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        if patient is None or patient.consent_at is None:
            return say(onboarding_ui.consent_needed_screen(svc.content, svc.language(who.language)))
        lang = patient.language
        patient.settings_step = None
        if patient.hold_since is not None:
            reply = await safety.hold_reply(svc, uow, patient)
            await uow.commit()
            return reply
        existing = await uow.sessions.open_for_patient(patient.id)
        if existing is not None and existing.phase != Phase.INTRO.value:
            await uow.commit()
            return say(ui.open_choice_screen(svc.content, lang, existing.id, existing.rev))
        if existing is not None:  # an untouched intro: just show it again
            await uow.commit()
            return _showing(existing, say(current_screen(svc, patient, existing)))
        session = await _new_session(svc, uow, patient)
        await reminders.session_started(uow, patient, svc.clock.now())
        await uow.commit()
        log.info("session.opened", extra={"session_id": session.id, "patient_id": patient.id})
        return _showing(session, say(current_screen(svc, patient, session)))


PAIN_TAPS = frozenset({Action.HURTS, Action.FEEL_PAIN})


async def tap(svc: Services, who: Patron, callback: Callback, message_id: int | None) -> Reply:
    """A button of a session screen was tapped.

    The common tap - a step of an open session from its current screen, or a stale one -
    takes the short path (``_short_tap``): one short transaction. Any other (a tap that
    ends the session, says it hurts, restarts or continues, or one on a session that has
    ended) loads the ORM rows in a unit of work of its own and goes on below.
    """
    if callback.action not in _FULL_PATH:
        short = await _short_tap(svc, who, callback, message_id)
        if short is not None:
            return short
    async with svc.db.unit_of_work() as uow:
        patient, session = await uow.sessions.with_patient(who.user_id, callback.session_id)
        lang = patient.language if patient else svc.language(who.language)
        if patient is None or session is None:
            return _toast(svc, lang, "toast_invalid")
        if session.patient_id != patient.id:
            log.warning("callback.foreign_session", extra={"session_id": session.id})
            return _toast(svc, lang, "toast_not_yours")
        if session.finished_at is not None:
            return await _tap_on_finished(svc, uow, patient, session, callback, message_id)
        if callback.action in PAIN_TAPS:
            # Safety first: a pain tap is honoured even from an older screen of this session.
            said = callback.action if session.phase == Phase.FEELING.value else Action.HURTS
            return await _apply(svc, uow, patient, session, said, "", message_id)
        if callback.rev != session.rev:
            return _stale(svc, patient, session, message_id)
        if callback.action is Action.CONTINUE:
            old_screen = session.message_id if session.message_id != message_id else None
            if message_id is not None:
                await uow.sessions.compare_and_set(session.id, session.rev, message_id=message_id)
                await uow.commit()
            fresh = await uow.sessions.get(session.id)
            assert fresh is not None
            return Reply(
                edit=current_screen(svc, patient, fresh),
                strip_buttons_of=old_screen,
                shows_session=fresh.id,
            )
        if callback.action is Action.RESTART:
            if not await _finish(uow, svc, session, Outcome.RESTARTED):
                return _toast(svc, lang, "toast_stale")
            fresh = await _new_session(svc, uow, patient)
            await uow.commit()
            return Reply(edit=current_screen(svc, patient, fresh), shows_session=fresh.id)
        return await _apply(svc, uow, patient, session, callback.action, callback.arg, message_id)


# actions that never take the short path of a tap (a pain tap is honoured even from an
# older screen, which the short path would answer as stale)
_FULL_PATH = PAIN_TAPS | {Action.CONTINUE, Action.RESTART}


@dataclass(frozen=True, slots=True)
class _StepPlan:
    """The short path's decision on what a tap read (``bot.store.taps.Plan``)."""

    full_path: bool = False  # not a step: the full path decides
    stale: bool = False  # the tap's screen is older than the session
    not_allowed: bool = False  # the state machine refused the action
    transition: Transition | None = None
    write: StepWrite | None = None


_FULL = _StepPlan(full_path=True)


async def _short_tap(
    svc: Services, who: Patron, callback: Callback, message_id: int | None
) -> Reply | None:
    """The common tap as one short transaction, in one call to the database
    (bot/store/taps.py, ``Database.in_one_hop``): one Core query for plain values (skipped
    on PostgreSQL for a session this process wrote last, whose write then also checks the
    patient), the pure decision, one conditional UPDATE (the compare-and-set on the
    revision) with the timer change when a timer starts or stops, the commit (SQLite; on
    PostgreSQL each statement commits itself). None: not such a tap (nothing was
    written)."""

    def decide(patient: TapPatient | None, session: TapSession | None) -> _StepPlan:
        if (
            patient is None
            or session is None
            or session.patient_id != patient.id
            or session.finished_at is not None
        ):
            return _FULL
        if callback.rev != session.rev:
            return _StepPlan(stale=True)
        # the clock read here, in the transaction: not before waiting for the turn
        return _plan_step(svc, patient, session, callback, message_id, svc.clock.now())

    tapped = await svc.db.in_one_hop(
        partial(
            tap_transaction,
            telegram_user_id=who.user_id,
            session_id=callback.session_id,
            decide=decide,
            known=svc.db.known_sessions,
        ),
        autocommit=True,
    )
    plan, patient, session = tapped.plan, tapped.patient, tapped.session
    if plan.full_path:
        return None
    assert patient is not None and session is not None
    if plan.stale:
        return _stale(svc, patient, session, message_id)
    if plan.not_allowed:
        log.info("callback.not_allowed", extra={"session_id": session.id, "phase": session.phase})
        return _toast(svc, patient.language, "toast_stale")
    if not tapped.written:  # another tap of the same screen won the race
        return _toast(svc, patient.language, "toast_stale")
    assert plan.transition is not None
    new_rev = session.rev + 1
    screen = ui.session_screen(_view(svc, patient, session, new_rev), plan.transition.state)
    toast = (
        svc.content.text(patient.language, "toast_timer_started")
        if any(isinstance(e, StartTimer) for e in plan.transition.effects)
        else None
    )
    log.debug("session.advanced", extra={"session_id": session.id})  # each tap: DEBUG
    return Reply(edit=screen, toast=toast, shows_session=session.id)


def _plan_step(
    svc: Services,
    patient: TapPatient,
    session: TapSession,
    callback: Callback,
    message_id: int | None,
    now: datetime,
) -> _StepPlan:
    """The short path of ``_apply`` for a step that neither ends the session nor reports
    pain: what to write. Pure; it runs inside the tap's transaction."""
    try:
        transition = advance(
            catalog_for(svc, patient), state_of(session), callback.action, now, callback.arg
        )
    except NotAllowed:
        return _StepPlan(not_allowed=True)
    if any(isinstance(e, (Finish, PainReport)) for e in transition.effects):
        return _FULL
    new_rev = session.rev + 1
    start = next((e for e in transition.effects if isinstance(e, StartTimer)), None)
    stops = any(isinstance(e, CancelTimer) for e in transition.effects)
    write = StepWrite(
        patient_id=patient.id,
        session_id=session.id,
        expected_rev=session.rev,
        values=_columns(transition.state) | {"updated_at": now, "message_id": message_id},
        start_timer=None if start is None else _step_timer(session.id, new_rev, start),
        stop_timers=STEP_TIMER if stops else None,
    )
    return _StepPlan(transition=transition, write=write)


def _stale(
    svc: Services, patient: PatientRow, session: SessionRow, message_id: int | None
) -> Reply:
    """A tap from a screen the session has moved past."""
    lang = patient.language
    if message_id is not None and message_id == session.message_id:
        # The session's own message shows an older step: its edit was lost (a crash, a
        # failed send) or this tap was delivered twice. Show where the session really
        # is, so the patient is never stuck on a dead screen.
        return Reply(
            edit=current_screen(svc, patient, session),
            toast=svc.content.text(lang, "toast_stale"),
            shows_session=session.id,
        )
    return _toast(svc, lang, "toast_stale")


async def _tap_on_finished(
    svc: Services,
    uow: UnitOfWork,
    patient: Patient,
    session: ExerciseSession,
    callback: Callback,
    message_id: int | None,
) -> Reply:
    lang = patient.language
    if callback.action is Action.PAIN_WHICH:
        reply = await safety.narrow_pain(svc, uow, patient, session, callback.arg)
        await uow.commit()
        return reply
    if callback.action in PAIN_TAPS:
        if await _pain_reported_in_this_hold(uow, patient, session):
            # a double tap, or another old screen of the same session: the advice came
            # with the first report, and a second one would count one pain twice
            return _toast(svc, lang, "toast_pain_noted")
        # The patient says it hurts ("It hurts - stop" or "It hurt"), from a screen of a
        # session that has ended (another way, or a hold since cleared): never ignore
        # that; advise, record, hold again.
        recorded = await safety.record_pain(
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
                Screen(safety_ui.pain_closing(svc.content, lang)),
                safety_ui.warning_screen(svc.content, lang, session.id),
                *safety.rating_question(svc, patient, recorded.report_id),
            ),
            advice_keys=(recorded.advice_key,),
        )
    return _toast(svc, lang, "toast_session_over")


async def _pain_reported_in_this_hold(
    uow: UnitOfWork, patient: Patient, session: ExerciseSession
) -> bool:
    if patient.hold_since is None:
        return False
    reports = await uow.reports.for_patient(patient.id, since=patient.hold_since)
    return any(r.kind == "pain" and r.session_id == session.id for r in reports)


async def _finish(
    uow: UnitOfWork,
    svc: Services,
    session: ExerciseSession,
    outcome: Outcome,
    feeling: Feeling | None = None,
) -> bool:
    now = svc.clock.now()
    ok = await uow.sessions.compare_and_set(
        session.id,
        session.rev,
        phase=Phase.DONE.value,
        finished_at=now,
        updated_at=now,
        outcome=outcome.value,
        feeling=feeling.value if feeling else None,
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
) -> Reply:
    now = svc.clock.now()
    lang = patient.language
    before = state_of(session)
    try:
        transition = advance(catalog_for(svc, patient), before, action, now, arg)
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
    pains: list[safety.PainRecorded] = []
    for effect in transition.effects:
        recorded = await _carry_out(svc, uow, patient, session, effect, new_rev)
        if recorded is not None:
            pains.append(recorded)
    if finish is not None:
        pain = pains[-1] if pains else None
        reply = await _closing(svc, uow, patient, session, finish, before, transition.state, pain)
        if finish.outcome.value in planner.DONE_OUTCOMES:
            await reminders.day_done(uow, patient, now)
    else:
        screen = ui.session_screen(_view(svc, patient, session, new_rev), transition.state)
        toast = (
            svc.content.text(lang, "toast_timer_started")
            if any(isinstance(e, StartTimer) for e in transition.effects)
            else None
        )
        reply = Reply(edit=screen, toast=toast, shows_session=session.id)
    if pains:
        keys = (*reply.advice_keys, *(p.advice_key for p in pains))
        reply = replace(reply, advice_keys=tuple(dict.fromkeys(keys)))
    await uow.commit()
    log.debug("session.advanced", extra={"session_id": session.id})  # each tap: DEBUG
    return reply


async def _closing(
    svc: Services,
    uow: UnitOfWork,
    patient: Patient,
    session: ExerciseSession,
    finish: Finish,
    before: SessionState,
    after: SessionState,
    pain: safety.PainRecorded | None,
) -> Reply:
    """The last screen of a session, saying what was done. Pain: the advice in place of
    the screen, the warning signs, "which one?" when it ended at "It hurt", and the
    optional rating."""
    uow.on_commit(svc.metrics.sessions_finished.labels(finish.outcome.value).inc)
    content, lang = svc.content, patient.language
    if finish.outcome is Outcome.PAIN:
        return safety.pain_reply(
            svc, patient, session, pain, ask_which=before.phase is Phase.FEELING
        )
    if finish.outcome is Outcome.NOT_STARTED:
        return Reply(edit=Screen(screens.text(content, lang, "session_not_started")))
    kind = category(finish.outcome.value, after.exercises, after.completed)
    done = sum(1 for ex in after.exercises if ex in after.completed)
    closing = ui.closing_text(content, lang, kind, done, len(after.exercises))
    if finish.feeling is Feeling.SORE and kind is not Category.SKIPPED:
        persisting = await safety.record_feeling(svc, uow, patient, session.id, sore=True)
        closing = f"{closing}\n\n{safety_ui.sore_closing(content, lang, persisting)}"
    elif kind is not Category.SKIPPED:
        await safety.record_feeling(svc, uow, patient, session.id, sore=False)
    follow: tuple[Screen, ...] = ()
    if await _first_session_without_reminders(uow, patient):
        follow = (onboarding_ui.reminders_offer_screen(content, lang),)
    return Reply(edit=Screen(closing), send=follow)


async def _first_session_without_reminders(uow: UnitOfWork, patient: Patient) -> bool:
    """After the first session that reached its end, reminders are offered again to a
    patient who has none (one who said "Later" at the start never saw them)."""
    if patient.reminder_time is not None:
        return False
    return await uow.sessions.count_finished(patient.id, [Outcome.COMPLETED.value]) == 1


async def _carry_out(
    svc: Services,
    uow: UnitOfWork,
    patient: Patient,
    session: ExerciseSession,
    effect: Effect,
    new_rev: int,
) -> safety.PainRecorded | None:
    """Carry out one effect; returns the pain report it stored (and its advice), if any."""
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
    await _timer_effect(uow, patient.id, session.id, effect, new_rev)
    return None


async def _timer_effect(
    uow: UnitOfWork, patient_id: int, session_id: int, effect: Effect, new_rev: int
) -> None:
    """Start or stop the step timer, as the effect says (other effects: nothing)."""
    if isinstance(effect, StartTimer):
        timer = _step_timer(session_id, new_rev, effect)
        await uow.timers.schedule(patient_id, timer.kind, timer.due_at, timer.key, timer.payload)
    elif isinstance(effect, CancelTimer):
        await uow.timers.cancel_pending(patient_id, [STEP_TIMER])


def _step_timer(session_id: int, new_rev: int, start: StartTimer) -> NewStepTimer:
    """The step timer a step starts: due when the effect says, keyed by the session's new
    revision (timer_elapsed checks the revision in its payload)."""
    return NewStepTimer(
        STEP_TIMER,
        start.due_at,
        step_key(session_id, new_rev),
        {"session_id": session_id, "rev": new_rev},
    )


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
        patient = await uow.patients.get(timer.owner_id)
        if session is None or patient is None or session.finished_at is not None:
            return False
        old_message = session.message_id
        if session.rev == timer_rev and session.phase == Phase.TIMER.value:
            reply = await _apply(svc, uow, patient, session, TIMER_ELAPSED, "", None)
            screen = reply.edit
        elif isinstance(timer_rev, int) and session.rev == timer_rev + 1 and timer.attempts > 1:
            screen = current_screen(svc, patient, session)  # resend
        else:
            return False
    if screen is None:
        return False
    await deliver(
        patient.chat_id,
        Reply(send=(screen,), strip_buttons_of=old_message, shows_session=session.id),
    )
    return True


async def screen_moved(svc: Services, session_id: int, message_id: int) -> None:
    """The session's screen was sent again as a new message: that copy is the one to edit
    (and to strip of its buttons when the screen moves once more)."""
    async with svc.db.unit_of_work() as uow:
        session = await uow.sessions.get(session_id)
        if session is None or session.finished_at is not None:
            return
        await uow.sessions.set_message(session_id, message_id)
        await uow.commit()


async def cancel(svc: Services, who: Patron) -> Reply:
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        lang = patient.language if patient else svc.language(who.language)
        session = await uow.sessions.open_for_patient(patient.id) if patient else None
        if session is None:
            return say(Screen(screens.text(svc.content, lang, "no_open_session")))
        await _finish(uow, svc, session, Outcome.CANCELLED)
        await uow.commit()
        return Reply(
            send=(Screen(screens.text(svc.content, lang, "session_cancelled")),),
            strip_buttons_of=session.message_id,
        )


async def screen_again(svc: Services, who: Patron, before: Screen) -> Reply:
    """``before``, then the screen the patient is in the middle of, if any, as a new
    message (the old copy loses its buttons, so only one copy can be tapped)."""
    async with svc.db.unit_of_work(read_only=True) as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        session = await uow.sessions.open_for_patient(patient.id) if patient else None
        if patient is None or session is None:
            return say(before)
        return Reply(
            send=(before, current_screen(svc, patient, session)),
            strip_buttons_of=session.message_id,
            shows_session=session.id,
        )


# --- typed pain ------------------------------------------------------------------------------


async def typed_pain(svc: Services, who: Patron) -> Reply:
    """Free text that speaks of pain: the advice with the clinic's contact at once, and
    "did something hurt?" to confirm. An open session stops first (its timer too), so
    nothing runs on while the patient reads; "No, I am fine" brings it back."""
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        lang = patient.language if patient else svc.language(who.language)
        if patient is None or patient.consent_at is None:
            # Nothing to record, but the advice is never withheld.
            return say(
                Screen(screens.pain_advice(svc.content, lang)),
                onboarding_ui.start_hint_screen(svc.content, lang),
            )
        patient.settings_step = None  # the text was about pain, not a time or a place
        session = await uow.sessions.open_for_patient(patient.id)
        if session is None:
            pains = await _pain_count(uow, patient)
            await uow.commit()
            return say(safety_ui.typed_pain_screen(svc.content, lang, 0, pains))
        rev = session.rev
        if session.phase == Phase.TIMER.value:
            # The timer stops; the set does not count.
            rev += 1
            await uow.sessions.compare_and_set(
                session.id, session.rev, phase=Phase.STEP.value, timer_due_at=None
            )
            await uow.timers.cancel_pending(patient.id, [STEP_TIMER])
        await uow.commit()
        return Reply(
            send=(safety_ui.typed_pain_screen(svc.content, lang, session.id, rev),),
            strip_buttons_of=session.message_id,
        )


async def _pain_count(uow: UnitOfWork, patient: Patient) -> int:
    return sum(1 for r in await uow.reports.for_patient(patient.id) if r.kind == "pain")


async def typed_pain_answer(svc: Services, who: Patron, callback: Callback) -> Reply:
    """The answer to "did something hurt?" after typed pain words. Yes: a pain report,
    the hold, and the session (if one was open) ends for pain. No: the session again."""
    answer = safety_ui.YesNo.parse(callback.arg)
    async with svc.db.unit_of_work() as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        if patient is None or patient.consent_at is None:
            return _toast(svc, svc.language(who.language), "toast_invalid")
        lang = patient.language
        session = await uow.sessions.get(callback.session_id) if callback.session_id else None
        if callback.session_id and (session is None or session.patient_id != patient.id):
            return _toast(svc, lang, "toast_invalid")
        if not answer.yes:
            if session is None or session.finished_at is not None:
                return Reply(edit=Screen(screens.text(svc.content, lang, "typed_pain_fine")))
            return Reply(
                edit=Screen(screens.text(svc.content, lang, "typed_pain_fine")),
                send=(current_screen(svc, patient, session),),
                shows_session=session.id,
            )
        if session is None:
            if await _pain_count(uow, patient) != callback.rev:
                return _toast(svc, lang, "toast_stale")  # this answer was taken already
            recorded = await safety.record_pain(
                svc,
                uow,
                patient,
                session_id=None,
                exercise_id=None,
                step_index=None,
                source="typed",
            )
            await uow.commit()
            return Reply(
                edit=Screen(safety_ui.pain_closing(svc.content, lang)),
                send=(
                    safety_ui.warning_screen(svc.content, lang, 0),
                    *safety.rating_question(svc, patient, recorded.report_id),
                ),
                advice_keys=(recorded.advice_key,),
            )
        if session.finished_at is not None:
            if session.outcome == Outcome.PAIN.value:
                return _toast(svc, lang, "toast_stale")  # noted already
            # The session went on and ended; the pain is still reported.
            return await _tap_on_finished(
                svc, uow, patient, session, Callback(Action.HURTS, session.id), None
            )
        state = state_of(session)
        exercise_id = None if state.phase is Phase.INTRO else state.exercises[state.exercise_index]
        step = None if state.phase is Phase.INTRO else state.step_index
        if not await _finish(uow, svc, session, Outcome.PAIN, Feeling.PAIN):
            return _toast(svc, lang, "toast_stale")
        recorded = await safety.record_pain(
            svc,
            uow,
            patient,
            session_id=session.id,
            exercise_id=exercise_id,
            step_index=step,
            source="typed",
        )
        await reminders.day_done(uow, patient, svc.clock.now())
        await uow.commit()
        return safety.pain_reply(svc, patient, session, recorded, ask_which=False)
