from datetime import UTC, datetime, timedelta

import pytest

from bot.core.callbacks import Action
from bot.core.session import (
    TIMER_ELAPSED,
    CancelTimer,
    Category,
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
    available_actions,
    category,
)

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CATALOG = {
    "raises": ExercisePlan("raises", step_count=3, alternative="dog"),
    "dog": ExercisePlan("dog", step_count=4, alternative="raises"),
    "march": ExercisePlan("march", step_count=3, timed_step=2, timer_seconds=30, sets=3),
}
START = SessionState(exercises=("raises", "march"))


def run(state: SessionState, *actions: Action | str) -> SessionState:
    for action in actions:
        state = advance(CATALOG, state, action, NOW).state
    return state


def test_begin_goes_to_first_setup_screen() -> None:
    state = run(START, Action.BEGIN)
    assert (state.phase, state.exercise_index, state.step_index) == (Phase.STEP, 0, 0)


def test_not_now_ends_without_starting() -> None:
    result = advance(CATALOG, START, Action.NOT_NOW, NOW)
    assert result.state.phase is Phase.DONE
    assert result.effects == (Finish(Outcome.NOT_STARTED),)


def test_next_walks_every_step_then_asks_how_it_felt() -> None:
    state = run(START, Action.BEGIN)
    seen = []
    while state.phase is Phase.STEP:
        seen.append((state.exercise_index, state.step_index))
        state = run(state, Action.NEXT)
    assert seen == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert state.phase is Phase.FEELING


def test_back_is_not_offered_on_the_first_screen() -> None:
    state = run(START, Action.BEGIN)
    assert Action.BACK not in available_actions(CATALOG, state)
    with pytest.raises(NotAllowed):
        advance(CATALOG, state, Action.BACK, NOW)


def test_back_crosses_into_the_previous_exercise_last_step() -> None:
    state = run(START, Action.BEGIN, Action.NEXT, Action.NEXT, Action.NEXT)
    assert (state.exercise_index, state.step_index) == (1, 0)
    state = run(state, Action.BACK)
    assert (state.exercise_index, state.step_index) == (0, 2)


def test_alternative_swaps_the_exercise_and_restarts_it() -> None:
    state = run(START, Action.BEGIN, Action.NEXT, Action.ALTERNATIVE)
    assert state.exercises == ("dog", "march")
    assert state.step_index == 0
    assert Action.ALTERNATIVE in available_actions(CATALOG, state)


def test_no_alternative_button_without_one() -> None:
    state = run(START, Action.BEGIN, Action.SKIP)
    assert Action.ALTERNATIVE not in available_actions(CATALOG, state)


def test_skip_moves_to_next_exercise_or_to_the_question() -> None:
    state = run(START, Action.BEGIN, Action.SKIP)
    assert (state.exercise_index, state.step_index) == (1, 0)
    assert run(state, Action.SKIP).phase is Phase.FEELING


def test_timer_runs_per_set_and_stops() -> None:
    state = run(START, Action.BEGIN, Action.SKIP, Action.NEXT, Action.NEXT)
    assert Action.START_TIMER in available_actions(CATALOG, state)
    result = advance(CATALOG, state, Action.START_TIMER, NOW)
    assert result.state.phase is Phase.TIMER
    assert result.effects == (StartTimer(NOW + timedelta(seconds=30)),)
    assert available_actions(CATALOG, result.state) == [Action.STOP_TIMER, Action.HURTS]
    state = run(result.state, TIMER_ELAPSED)
    assert (state.phase, state.sets_done) == (Phase.STEP, 1)
    stopped = advance(CATALOG, run(state, Action.START_TIMER), Action.STOP_TIMER, NOW)
    assert stopped.effects == (CancelTimer(),)
    assert stopped.state.sets_done == 2  # a set stopped early still counts: it was done
    state = run(stopped.state, Action.START_TIMER, TIMER_ELAPSED)
    assert state.sets_done == 3
    assert Action.START_TIMER not in available_actions(CATALOG, state)


def test_timer_elapsed_without_a_timer_is_refused() -> None:
    with pytest.raises(NotAllowed):
        advance(CATALOG, run(START, Action.BEGIN), TIMER_ELAPSED, NOW)


@pytest.mark.parametrize(
    "path",
    [
        (),
        (Action.BEGIN,),
        (Action.BEGIN, Action.NEXT),
        (Action.BEGIN, Action.SKIP, Action.NEXT, Action.NEXT),
        (Action.BEGIN, Action.SKIP, Action.NEXT, Action.NEXT, Action.START_TIMER),
    ],
)
def test_hurts_from_any_screen_ends_with_a_pain_report(path: tuple[Action, ...]) -> None:
    state = run(START, *path)
    assert Action.HURTS in available_actions(CATALOG, state)
    result = advance(CATALOG, state, Action.HURTS, NOW)
    assert result.state.phase is Phase.DONE
    reports = [e for e in result.effects if isinstance(e, PainReport)]
    assert len(reports) == 1
    assert reports[0].source == "hurts_button"
    if state.phase is not Phase.INTRO:
        assert reports[0].exercise_id == state.exercises[state.exercise_index]
        assert reports[0].step_index == state.step_index
    assert Finish(Outcome.PAIN, Feeling.PAIN) in result.effects
    assert (CancelTimer() in result.effects) == (state.phase is Phase.TIMER)


@pytest.mark.parametrize(
    ("action", "feeling"), [(Action.FEEL_FINE, Feeling.NONE), (Action.FEEL_SORE, Feeling.SORE)]
)
def test_feeling_answers_finish_the_session(action: Action, feeling: Feeling) -> None:
    state = run(START, Action.BEGIN, Action.SKIP, Action.SKIP)
    result = advance(CATALOG, state, action, NOW)
    assert result.effects == (Finish(Outcome.COMPLETED, feeling),)


def test_it_hurt_at_the_end_reports_and_ends_on_the_tap() -> None:
    """Issue 11, item 1: the report, the advice and the hold come with "It hurt" itself."""
    state = run(START, Action.BEGIN, Action.SKIP, Action.SKIP)
    result = advance(CATALOG, state, Action.FEEL_PAIN, NOW)
    assert result.state.phase is Phase.DONE
    assert result.effects == (
        PainReport(None, None, "feeling"),
        Finish(Outcome.PAIN, Feeling.PAIN),
    )


@pytest.mark.parametrize(("arg", "exercise"), [("0", "raises"), ("1", "march"), ("", None)])
def test_a_session_stored_waiting_for_which_exercise_still_reports(
    arg: str, exercise: str | None
) -> None:
    """Sessions an earlier version left in PAIN_WHICH: their answer makes the report."""
    state = SessionState(exercises=("raises", "march"), phase=Phase.PAIN_WHICH, exercise_index=1)
    result = advance(CATALOG, state, Action.PAIN_WHICH, NOW, arg)
    assert result.effects == (
        PainReport(exercise, None, "feeling"),
        Finish(Outcome.PAIN, Feeling.PAIN),
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ((Action.BEGIN, *[Action.NEXT] * 6), "done"),
        ((Action.BEGIN, Action.NEXT, Action.NEXT, Action.NEXT, Action.SKIP), "partly"),
        ((Action.BEGIN, Action.SKIP, Action.SKIP), "skipped"),
    ],
)
def test_what_was_done_is_remembered(path: tuple[Action, ...], expected: str) -> None:
    state = run(START, *path, Action.FEEL_FINE)
    assert category("completed", state.exercises, state.completed) == expected


def test_the_categories_of_ended_sessions() -> None:
    assert category("pain", ("a",), ("a",)) is Category.PAIN
    assert category("cancelled", ("a",), ("a",)) is Category.STOPPED
    assert category("not_started", ("a",), ()) is Category.STOPPED


@pytest.mark.parametrize("arg", ["2", "x", "-1", "01", "+1", " 1"])
def test_pain_which_refuses_an_unknown_exercise(arg: str) -> None:
    """The same reading as button data everywhere: no leading zeros, signs or spaces."""
    state = SessionState(exercises=("raises", "march"), phase=Phase.PAIN_WHICH, exercise_index=1)
    with pytest.raises(NotAllowed):
        advance(CATALOG, state, Action.PAIN_WHICH, NOW, arg)


def test_nothing_is_allowed_after_the_end() -> None:
    state = run(START, Action.NOT_NOW)
    for action in Action:
        with pytest.raises(NotAllowed):
            advance(CATALOG, state, action, NOW)


def test_alternative_is_not_offered_when_it_is_held() -> None:
    """A held alternative is left out of the patient's catalog, so the button disappears."""
    held_catalog = {k: v for k, v in CATALOG.items() if k != "dog"}
    state = run(START, Action.BEGIN)
    assert Action.ALTERNATIVE not in available_actions(held_catalog, state)
    with pytest.raises(NotAllowed):
        advance(held_catalog, state, Action.ALTERNATIVE, NOW)
