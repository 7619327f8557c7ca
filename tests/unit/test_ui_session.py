"""The guided session's screens (bot/core/ui/session.py), from the bundled content: which
buttons each phase shows, what a step screen says and shows, and the closing words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from html import escape

import pytest

from bot.content import default_content_dir
from bot.content.loader import load_content
from bot.content.model import Content
from bot.core.callbacks import Action
from bot.core.media import step_media
from bot.core.screens import Button, Screen, catalog_for
from bot.core.session import (
    Category,
    Outcome,
    Phase,
    SessionState,
    advance,
    available_actions,
    category,
)
from bot.core.ui.session import (
    PainWhich,
    SessionView,
    category_label,
    closing_text,
    open_choice_screen,
    pain_which_screen,
    session_screen,
)

NOW = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)
LANG = "en"
EXERCISING = (Phase.INTRO, Phase.STEP, Phase.TIMER)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(default_content_dir())


@pytest.fixture(scope="module")
def view(content: Content) -> SessionView:
    return SessionView(content, LANG, catalog_for(content), 5, 3, content.default_program.title)


def t(content: Content, key: str, **values: object) -> str:
    return escape(content.text(LANG, key, **values), quote=False)


def buttons(screen: Screen) -> list[Button]:
    return [b for row in screen.buttons for b in row]


def actions(screen: Screen) -> list[Action]:
    return [b.callback.action for b in buttons(screen)]


def label(screen: Screen, action: Action) -> str:
    (only,) = [b.label for b in buttons(screen) if b.callback.action is action]
    return only


def walk(view: SessionView, state: SessionState) -> list[SessionState]:
    """The step screens from ``state`` on, tapping Next (never the timer) until the end."""
    states = []
    while state.phase is Phase.STEP:
        states.append(state)
        state = advance(view.catalog, state, Action.NEXT, NOW).state
    return states


def start(content: Content) -> SessionState:
    return SessionState(tuple(content.default_program.exercises))


# --- the intro ------------------------------------------------------------------------------


def test_the_intro_names_each_exercise_and_the_time_it_takes(
    content: Content, view: SessionView
) -> None:
    screen = session_screen(view, start(content))
    program = content.default_program
    for exercise_id in program.exercises:
        assert f"• {escape(content.exercises[exercise_id].title)}" in screen.text
    minutes = sum(content.exercises[ex].minutes for ex in program.exercises)
    assert f"about {minutes} minutes" in screen.text
    assert escape(program.title) in screen.text
    assert actions(screen) == [Action.BEGIN, Action.NOT_NOW, Action.HURTS]
    assert screen.media is None
    assert t(content, "session_intro_held", held_list="x").split(":")[0] not in screen.text


def test_the_intro_says_which_exercises_are_left_out(content: Content, view: SessionView) -> None:
    held_view = replace(view, left_out=["Arm and leg raises"])
    screen = session_screen(held_view, SessionState(("hook-lying-march",)))
    assert t(content, "session_intro_held", held_list="Arm and leg raises") in screen.text
    assert "• Arm and leg raises" not in screen.text  # listed as left out, not as to do


# --- the steps ------------------------------------------------------------------------------


def test_every_step_of_every_exercise_says_where_it_is_and_what_to_do(
    content: Content, view: SessionView
) -> None:
    state = advance(view.catalog, start(content), Action.BEGIN, NOW).state
    steps = walk(view, state)
    program = content.default_program.exercises
    expected = [
        (e, s) for e, ex in enumerate(program) for s in range(1 + len(content.exercises[ex].steps))
    ]
    assert [(s.exercise_index, s.step_index) for s in steps] == expected
    for state in steps:
        exercise = content.exercises[state.exercises[state.exercise_index]]
        screen = session_screen(view, state)
        assert screen.text.startswith(f"<b>{escape(exercise.title)}</b>\n")
        header = t(
            content,
            "step_header",
            exercise_number=state.exercise_index + 1,
            exercise_count=len(program),
            step_number=state.step_index + 1,
            step_count=1 + len(exercise.steps),
        )
        assert header in screen.text
        assert t(content, "dose_line", dose=exercise.dose_text) in screen.text
        if state.step_index == 0:
            assert escape(exercise.setup) in screen.text
        else:
            assert escape(exercise.steps[state.step_index - 1].text) in screen.text
            assert escape(exercise.setup) not in screen.text


def test_purpose_and_cautions_only_on_the_first_step_of_an_exercise(
    content: Content, view: SessionView
) -> None:
    begun = advance(view.catalog, start(content), Action.BEGIN, NOW).state
    for state in walk(view, begun):
        exercise = content.exercises[state.exercises[state.exercise_index]]
        text = session_screen(view, state).text
        purpose = t(content, "purpose_line", purpose=exercise.purpose)
        cautions = t(content, "cautions_line", cautions=" ".join(exercise.cautions))
        assert exercise.cautions  # the bundled exercises all have some
        if state.step_index == 0:
            assert purpose in text and cautions in text
            assert text.index(purpose) < text.index(cautions)
        else:
            assert purpose not in text and cautions not in text


def test_each_step_screen_shows_its_picture(content: Content, view: SessionView) -> None:
    for exercise in content.exercises.values():
        state = SessionState((exercise.id,), phase=Phase.STEP)
        for step in range(1 + len(exercise.steps)):
            shown = session_screen(view, replace(state, step_index=step)).media
            assert shown is not None
            assert shown == step_media(exercise, step)
    # the bundled setup screens have a photo of their own, not the exercise's animation
    march = session_screen(view, SessionState(("hook-lying-march",), phase=Phase.STEP))
    assert march.media is not None and march.media.path == "media/hook-lying-march-setup.png"


def test_back_is_on_every_step_screen_but_the_first(content: Content, view: SessionView) -> None:
    state = advance(view.catalog, start(content), Action.BEGIN, NOW).state
    steps = walk(view, state)
    with_back = [Action.BACK in actions(session_screen(view, s)) for s in steps]
    assert with_back == [False] + [True] * (len(steps) - 1)


def test_next_skip_and_it_hurts_on_every_step_and_it_hurts_last_on_its_own(
    content: Content, view: SessionView
) -> None:
    state = advance(view.catalog, start(content), Action.BEGIN, NOW).state
    steps = walk(view, state)
    for state in steps:
        screen = session_screen(view, state)
        assert {Action.NEXT, Action.SKIP, Action.HURTS} <= set(actions(screen))
        assert [b.callback.action for b in screen.buttons[-1]] == [Action.HURTS]
        assert label(screen, Action.HURTS) == content.text(LANG, "btn_hurts")
        assert all(len(row) <= 3 for row in screen.buttons)
    labels = [label(session_screen(view, s), Action.NEXT) for s in steps]
    assert labels == ["Next"] * (len(steps) - 1) + [content.text(LANG, "btn_done")]


def test_try_the_alternative_only_where_there_is_one_and_it_names_it(
    content: Content, view: SessionView
) -> None:
    for exercise in content.exercises.values():
        alternative = exercise.alternative
        for step in range(1 + len(exercise.steps)):
            state = SessionState((exercise.id,), phase=Phase.STEP, step_index=step)
            screen = session_screen(view, state)
            if alternative is None:
                assert Action.ALTERNATIVE not in actions(screen)
                continue
            other = content.exercises[alternative].short_title
            assert label(screen, Action.ALTERNATIVE) == f"Try {other}"
    assert content.exercises["hook-lying-march"].alternative is None  # one without, checked
    assert content.exercises["arm-leg-raises"].alternative == "bird-dog"  # and one with


def test_the_alternatives_hint_says_why_on_the_first_step(
    content: Content, view: SessionView
) -> None:
    raises = content.exercises["arm-leg-raises"]
    assert raises.alternative_hint
    first = session_screen(view, SessionState((raises.id,), phase=Phase.STEP)).text
    second = session_screen(view, SessionState((raises.id,), phase=Phase.STEP, step_index=1)).text
    assert escape(raises.alternative_hint) in first
    assert escape(raises.alternative_hint) not in second


def test_a_held_alternative_is_not_offered(content: Content, view: SessionView) -> None:
    """A patient told to leave out the bird dog is not offered "Try Bird dog"."""
    catalog = {k: v for k, v in view.catalog.items() if k != "bird-dog"}
    held = replace(view, catalog=catalog)
    screen = session_screen(held, SessionState(("arm-leg-raises",), phase=Phase.STEP))
    assert Action.ALTERNATIVE not in actions(screen)
    assert escape(content.exercises["arm-leg-raises"].alternative_hint or "") not in screen.text


def test_trying_the_alternative_shows_its_first_step(content: Content, view: SessionView) -> None:
    state = SessionState(("hook-lying-march", "arm-leg-raises"), phase=Phase.STEP, exercise_index=1)
    after = advance(view.catalog, state, Action.ALTERNATIVE, NOW).state
    screen = session_screen(view, after)
    dog = content.exercises["bird-dog"]
    assert screen.text.startswith(f"<b>{dog.title}</b>")
    assert t(content, "purpose_line", purpose=dog.purpose) in screen.text
    assert label(screen, Action.ALTERNATIVE) == "Try Arm and leg raises"  # and back again
    assert screen.media == step_media(dog, 0)


# --- the timer ------------------------------------------------------------------------------


def _timed(view: SessionView, sets_done: int = 0, phase: Phase = Phase.STEP) -> SessionState:
    plan = view.catalog["hook-lying-march"]
    assert plan.timed_step is not None
    return SessionState(
        ("hook-lying-march",), phase=phase, step_index=plan.timed_step, sets_done=sets_done
    )


def test_timer_ready_offers_the_timer_and_says_how_many_rounds(
    content: Content, view: SessionView
) -> None:
    screen = session_screen(view, _timed(view))
    dose = content.exercises["hook-lying-march"].dose
    assert label(screen, Action.START_TIMER) == f"Start timer: {dose.duration_seconds} s"
    assert t(content, "timer_ready", seconds=30, min_sets=2, max_sets=3) in screen.text
    assert actions(screen)[0] is Action.START_TIMER
    assert Action.HURTS in actions(screen)


def test_a_running_timer_can_be_stopped_or_hurt_and_nothing_else(
    content: Content, view: SessionView
) -> None:
    running = advance(view.catalog, _timed(view, 1), Action.START_TIMER, NOW).state
    screen = session_screen(view, running)
    assert actions(screen) == [Action.STOP_TIMER, Action.HURTS]
    assert "⏱ " + t(content, "timer_running", seconds=30, set_number=2) in screen.text
    assert screen.media == step_media(content.exercises["hook-lying-march"], 2)


@pytest.mark.parametrize("how", [Action.STOP_TIMER, "timer_elapsed"])
def test_after_round_two_the_screen_says_round_two(view: SessionView, how: str) -> None:
    """Issue 11, item 16: stopping the timer on the second round said "set 1 of 3"."""
    running = advance(view.catalog, _timed(view, 1), Action.START_TIMER, NOW).state
    after = advance(view.catalog, running, how, NOW).state
    text = session_screen(view, after).text
    assert "Round 2 done" in text
    assert "Round 1" not in text


def test_rounds_are_counted_up_to_the_most_and_then_no_more_timer(
    content: Content, view: SessionView
) -> None:
    one, two, three = (session_screen(view, _timed(view, n)) for n in (1, 2, 3))
    assert t(content, "timer_set_done", set_number=1) in one.text
    assert label(one, Action.START_TIMER) == "Start round 2"
    assert t(content, "timer_enough", set_number=2) in two.text  # 2 rounds are enough
    assert label(two, Action.START_TIMER) == "Start round 3"  # a third is allowed
    assert t(content, "timer_all_done", set_count=3) in three.text
    assert Action.START_TIMER not in actions(three)
    for screen in (one, two, three):
        assert Action.NEXT in actions(screen)


def test_the_timer_line_is_only_on_the_timed_step(content: Content, view: SessionView) -> None:
    for step in (0, 1):
        state = SessionState(("hook-lying-march",), phase=Phase.STEP, step_index=step)
        screen = session_screen(view, state)
        assert Action.START_TIMER not in actions(screen)
        assert "timer" not in screen.text.lower()


# --- "It hurts" wherever the patient exercises ---------------------------------------------


def test_it_hurts_is_on_every_screen_where_exercising_happens(
    content: Content, view: SessionView
) -> None:
    seen, todo, phases = {start(content)}, [start(content)], set()
    while todo:
        state = todo.pop()
        screen = session_screen(view, state)
        if state.phase in EXERCISING:
            phases.add(state.phase)
            assert Action.HURTS in actions(screen), (state.phase, state.step_index)
        else:
            assert Action.HURTS not in actions(screen)  # the feeling question asks instead
        for action in available_actions(view.catalog, state):
            after = advance(view.catalog, state, action, NOW).state
            if after.phase is not Phase.DONE and after not in seen:
                seen.add(after)
                todo.append(after)
    assert phases == set(EXERCISING)


# --- the end --------------------------------------------------------------------------------


def test_the_feeling_question_has_one_answer_per_row(content: Content, view: SessionView) -> None:
    screen = session_screen(view, SessionState(("hook-lying-march",), phase=Phase.FEELING))
    assert screen.text == t(content, "feeling_question")
    assert [[b.callback.action for b in row] for row in screen.buttons] == [
        [Action.FEEL_FINE],
        [Action.FEEL_SORE],
        [Action.FEEL_PAIN],
    ]
    assert screen.media is None


def test_a_finished_session_has_no_screen(view: SessionView) -> None:
    with pytest.raises(ValueError, match="finished"):
        session_screen(view, SessionState(("hook-lying-march",), phase=Phase.DONE))


def test_which_exercise_hurt_lists_the_sessions_exercises_and_not_sure(content: Content) -> None:
    exercises = ("hook-lying-march", "bird-dog")
    screen = pain_which_screen(content, LANG, 9, exercises, 4)
    assert screen.text == t(content, "pain_which")
    assert [b.label for b in buttons(screen)] == [
        "Marching on your back",
        "Bird dog",
        content.text(LANG, "btn_not_sure"),
    ]
    answers = [PainWhich.parse(b.callback.arg, exercises) for b in buttons(screen)]
    assert answers == [PainWhich(0), PainWhich(1), PainWhich(None)]
    assert {
        (b.callback.action, b.callback.session_id, b.callback.rev) for b in buttons(screen)
    } == {(Action.PAIN_WHICH, 9, 4)}


def test_an_open_session_asks_go_on_or_start_again(content: Content) -> None:
    screen = open_choice_screen(content, LANG, 8, 2)
    assert screen.text.count("?") == 1
    assert actions(screen) == [Action.CONTINUE, Action.RESTART]
    assert all((b.callback.session_id, b.callback.rev) == (8, 2) for b in buttons(screen))


def _finish(view: SessionView, state: SessionState, tap: Action) -> SessionState:
    """Tap ``tap`` on each step until the feeling question."""
    while state.phase is Phase.STEP:
        state = advance(view.catalog, state, tap, NOW).state
    assert state.phase is Phase.FEELING
    return state


def _closing(content: Content, state: SessionState) -> tuple[Category, str]:
    kind = category(Outcome.COMPLETED, state.exercises, state.completed)
    done = sum(1 for ex in state.exercises if ex in state.completed)
    return kind, closing_text(content, LANG, kind, done, len(state.exercises))


def test_all_done_is_well_done(content: Content, view: SessionView) -> None:
    begun = advance(view.catalog, start(content), Action.BEGIN, NOW).state
    kind, text = _closing(content, _finish(view, begun, Action.NEXT))
    assert kind is Category.DONE
    assert "Well done" in text


def test_all_skipped_is_no_well_done(content: Content, view: SessionView) -> None:
    """Issue 11, item 8: skipping everything got "Well done! That's all for today"."""
    begun = advance(view.catalog, start(content), Action.BEGIN, NOW).state
    kind, text = _closing(content, _finish(view, begun, Action.SKIP))
    assert kind is Category.SKIPPED
    assert "well done" not in text.lower()
    assert "good work" not in text.lower()


def test_partly_done_says_how_many(content: Content, view: SessionView) -> None:
    begun = advance(view.catalog, start(content), Action.BEGIN, NOW).state
    state = advance(view.catalog, begun, Action.SKIP, NOW).state  # skip the march
    kind, text = _closing(content, _finish(view, state, Action.NEXT))
    assert kind is Category.PARTLY
    assert "1 of the 2" in text
    assert "Well done" not in text


def test_each_kind_of_session_has_its_own_history_name(content: Content) -> None:
    names = {kind: category_label(content, LANG, kind) for kind in Category}
    assert len(set(names.values())) == len(Category)
    assert names[Category.SKIPPED] == "skipped"
    assert names[Category.PAIN] == "stopped: it hurt"


# --- escaping -------------------------------------------------------------------------------


def test_texts_from_content_are_escaped_for_html(content: Content, view: SessionView) -> None:
    """Messages go out in HTML mode: a title with "<" or "&" must not break them."""
    march = content.exercises["hook-lying-march"]
    odd = march.model_copy(update={"title": "Lift & <hold>", "purpose": "a < b"})
    odd_content = content.model_copy(update={"exercises": {**content.exercises, march.id: odd}})
    odd_view = replace(view, content=odd_content, program_title="Back & <belly>")
    intro = session_screen(odd_view, SessionState((march.id,))).text
    assert "Lift &amp; &lt;hold&gt;" in intro and "Back &amp; &lt;belly&gt;" in intro
    step = session_screen(odd_view, SessionState((march.id,), phase=Phase.STEP)).text
    assert step.startswith("<b>Lift &amp; &lt;hold&gt;</b>")
    assert "a &lt; b" in step
    assert "<hold>" not in intro + step
