"""The guided session as a pure state machine.

A session walks through the exercises chosen at its start. Each exercise has a setup
screen (step 0) followed by its steps; an exercise with a timed step runs a timer once per
set. The machine takes a state and an action and returns the next state plus the effects
the adapters must carry out (store a pain report, start a timer, ...). It never does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Self

from bot.core.callbacks import Action, InvalidCallback, canonical_number


class Phase(StrEnum):
    INTRO = "intro"
    STEP = "step"
    TIMER = "timer"
    FEELING = "feeling"
    PAIN_WHICH = "pain_which"
    DONE = "done"


class Outcome(StrEnum):
    COMPLETED = "completed"
    PAIN = "pain"
    CANCELLED = "cancelled"
    NOT_STARTED = "not_started"
    RESTARTED = "restarted"


class Feeling(StrEnum):
    NONE = "none"
    SORE = "sore"
    PAIN = "pain"


@dataclass(frozen=True)
class ExercisePlan:
    """What the machine needs to know about one exercise (taken from content)."""

    exercise_id: str
    step_count: int  # screens including the setup screen
    timed_step: int | None = None  # screen index that runs a timer
    timer_seconds: int = 0
    sets: int = 1  # at most (the timer is offered this many times)
    alternative: str | None = None
    sets_min: int = 1  # enough (the handout's "2 or 3 sets": 2)


@dataclass(frozen=True)
class SessionState:
    exercises: tuple[str, ...]
    phase: Phase = Phase.INTRO
    exercise_index: int = 0
    step_index: int = 0
    sets_done: int = 0
    timer_due_at: datetime | None = None
    completed: tuple[str, ...] = ()  # exercises finished with Next/Done, not skipped


class Category(StrEnum):
    """What a finished session was, for praise, /history and the clinic's figures."""

    DONE = "done"  # every exercise done
    PARTLY = "partly"  # some done, some skipped
    SKIPPED = "skipped"  # reached the end with every exercise skipped
    PAIN = "pain"  # stopped for pain (during it, or "It hurt" at the end)
    STOPPED = "stopped"  # cancelled, or not started


def category(outcome: str | None, exercises: Sequence[str], completed: Sequence[str]) -> Category:
    if outcome == Outcome.PAIN:
        return Category.PAIN
    if outcome != Outcome.COMPLETED:
        return Category.STOPPED
    done = sum(1 for e in exercises if e in completed)
    if done == len(exercises):
        return Category.DONE
    return Category.PARTLY if done else Category.SKIPPED


@dataclass(frozen=True)
class PainReport:
    exercise_id: str | None
    step_index: int | None
    source: str  # "hurts_button" | "feeling"


@dataclass(frozen=True)
class StartTimer:
    due_at: datetime


@dataclass(frozen=True)
class CancelTimer:
    pass


@dataclass(frozen=True)
class Finish:
    outcome: Outcome
    feeling: Feeling | None = None


Effect = PainReport | StartTimer | CancelTimer | Finish


@dataclass(frozen=True)
class Transition:
    state: SessionState
    effects: tuple[Effect, ...] = ()


@dataclass(frozen=True)
class PainWhich:
    """The answer to "which exercise hurt?": its place in the session, or not sure."""

    index: int | None

    def arg(self) -> str:
        return "" if self.index is None else str(self.index)

    @classmethod
    def parse(cls, arg: str, exercises: Sequence[str]) -> Self:
        if not arg:
            return cls(None)
        index = canonical_number(arg)
        if index is None or index >= len(exercises):
            raise InvalidCallback("no such exercise")
        return cls(index)


class NotAllowed(Exception):
    """The action is not offered on the current screen (a forged or out-of-place tap)."""


# Actions that the system (not a button) sends.
TIMER_ELAPSED = "timer_elapsed"


def _plan(catalog: Mapping[str, ExercisePlan], state: SessionState) -> ExercisePlan:
    return catalog[state.exercises[state.exercise_index]]


def _next_exercise(state: SessionState) -> SessionState:
    if state.exercise_index + 1 < len(state.exercises):
        return replace(
            state,
            phase=Phase.STEP,
            exercise_index=state.exercise_index + 1,
            step_index=0,
            sets_done=0,
            timer_due_at=None,
        )
    return replace(state, phase=Phase.FEELING, timer_due_at=None)


def _on_timed_step(plan: ExercisePlan, state: SessionState) -> bool:
    return plan.timed_step is not None and state.step_index == plan.timed_step


def available_actions(catalog: Mapping[str, ExercisePlan], state: SessionState) -> list[Action]:
    """The buttons offered on the screen for ``state``, in display order."""
    if state.phase is Phase.INTRO:
        return [Action.BEGIN, Action.NOT_NOW, Action.HURTS]
    if state.phase is Phase.STEP:
        plan = _plan(catalog, state)
        actions: list[Action] = []
        if _on_timed_step(plan, state) and state.sets_done < plan.sets:
            actions.append(Action.START_TIMER)
        actions.append(Action.NEXT)
        if state.exercise_index > 0 or state.step_index > 0:
            actions.append(Action.BACK)
        if plan.alternative and plan.alternative in catalog:
            actions.append(Action.ALTERNATIVE)
        actions += [Action.SKIP, Action.HURTS]
        return actions
    if state.phase is Phase.TIMER:
        return [Action.STOP_TIMER, Action.HURTS]
    if state.phase is Phase.FEELING:
        return [Action.FEEL_FINE, Action.FEEL_SORE, Action.FEEL_PAIN]
    if state.phase is Phase.PAIN_WHICH:
        return [Action.PAIN_WHICH]
    return []


def is_last_screen(catalog: Mapping[str, ExercisePlan], state: SessionState) -> bool:
    plan = _plan(catalog, state)
    return (
        state.exercise_index == len(state.exercises) - 1 and state.step_index == plan.step_count - 1
    )


def advance(
    catalog: Mapping[str, ExercisePlan],
    state: SessionState,
    action: Action | str,
    now: datetime,
    arg: str = "",
) -> Transition:
    """Apply one action. Raises :class:`NotAllowed` for an action the screen does not offer."""
    if action == TIMER_ELAPSED:
        return _timer_elapsed(catalog, state)
    if action is Action.HURTS and state.phase in (Phase.INTRO, Phase.STEP, Phase.TIMER):
        return _hurts(state)
    if action not in available_actions(catalog, state):
        raise NotAllowed(f"{action} in {state.phase}")

    if state.phase is Phase.INTRO:
        if action is Action.BEGIN:
            return Transition(replace(state, phase=Phase.STEP, exercise_index=0, step_index=0))
        return Transition(replace(state, phase=Phase.DONE), (Finish(Outcome.NOT_STARTED),))

    if state.phase is Phase.STEP:
        assert isinstance(action, Action)  # offered actions are always buttons
        return _step_action(catalog, state, action, now)

    if state.phase is Phase.TIMER:  # STOP_TIMER: the set counts (the patient did some of it)
        stopped = replace(state, phase=Phase.STEP, sets_done=state.sets_done + 1, timer_due_at=None)
        return Transition(stopped, (CancelTimer(),))

    if state.phase is Phase.FEELING:
        if action is Action.FEEL_PAIN:
            # The report, the advice and the hold happen on this tap; which exercise hurt
            # is asked afterwards and only narrows the hold.
            return Transition(
                replace(state, phase=Phase.DONE),
                (PainReport(None, None, "feeling"), Finish(Outcome.PAIN, Feeling.PAIN)),
            )
        feeling = Feeling.SORE if action is Action.FEEL_SORE else Feeling.NONE
        return Transition(replace(state, phase=Phase.DONE), (Finish(Outcome.COMPLETED, feeling),))

    # PAIN_WHICH: sessions stored by an earlier version, waiting for this answer (the
    # report was not made yet then); arg is the exercise index or "" for "not sure"
    try:
        which = PainWhich.parse(arg, state.exercises)
    except InvalidCallback as error:
        raise NotAllowed(f"no exercise {arg!r}") from error
    exercise_id = None if which.index is None else state.exercises[which.index]
    return Transition(
        replace(state, phase=Phase.DONE),
        (PainReport(exercise_id, None, "feeling"), Finish(Outcome.PAIN, Feeling.PAIN)),
    )


def _hurts(state: SessionState) -> Transition:
    exercise_id = None if state.phase is Phase.INTRO else state.exercises[state.exercise_index]
    step = None if state.phase is Phase.INTRO else state.step_index
    effects: list[Effect] = []
    if state.phase is Phase.TIMER:
        effects.append(CancelTimer())
    effects += [PainReport(exercise_id, step, "hurts_button"), Finish(Outcome.PAIN, Feeling.PAIN)]
    return Transition(replace(state, phase=Phase.DONE, timer_due_at=None), tuple(effects))


def _step_action(
    catalog: Mapping[str, ExercisePlan], state: SessionState, action: Action, now: datetime
) -> Transition:
    plan = _plan(catalog, state)
    if action is Action.NEXT:
        if state.step_index + 1 < plan.step_count:
            return Transition(replace(state, step_index=state.step_index + 1))
        finished = state.exercises[state.exercise_index]
        completed = state.completed + (() if finished in state.completed else (finished,))
        return Transition(_next_exercise(replace(state, completed=completed)))
    if action is Action.BACK:
        if state.step_index > 0:
            return Transition(replace(state, step_index=state.step_index - 1))
        previous = catalog[state.exercises[state.exercise_index - 1]]
        return Transition(
            replace(
                state,
                exercise_index=state.exercise_index - 1,
                step_index=previous.step_count - 1,
                sets_done=0,
            )
        )
    if action is Action.ALTERNATIVE:
        assert plan.alternative is not None
        exercises = list(state.exercises)
        exercises[state.exercise_index] = plan.alternative
        return Transition(replace(state, exercises=tuple(exercises), step_index=0, sets_done=0))
    if action is Action.SKIP:
        return Transition(_next_exercise(state))
    # START_TIMER
    due = now + timedelta(seconds=plan.timer_seconds)
    return Transition(replace(state, phase=Phase.TIMER, timer_due_at=due), (StartTimer(due),))


def _timer_elapsed(catalog: Mapping[str, ExercisePlan], state: SessionState) -> Transition:
    if state.phase is not Phase.TIMER:
        raise NotAllowed("no timer running")
    return Transition(
        replace(state, phase=Phase.STEP, sets_done=state.sets_done + 1, timer_due_at=None)
    )
