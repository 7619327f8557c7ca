"""The guided session's screens: the intro, each step (with its picture), the feeling
question and the closing words, and the choices around them.

Every session button carries ``Callback(action, session id, revision, arg)``; the only
argument a session button has is the exercise a patient says hurt (``PainWhich``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from bot.content.model import Content, Exercise
from bot.core.callbacks import Action, Callback
from bot.core.dose import dose_text
from bot.core.media import step_media
from bot.core.screens import Button, Screen, rows, text
from bot.core.session import (
    Category,
    ExercisePlan,
    Feeling,
    PainWhich,
    Phase,
    SessionState,
    available_actions,
    is_last_screen,
)

LABELS = {
    Action.BEGIN: "btn_begin",
    Action.NOT_NOW: "btn_not_now",
    Action.NEXT: "btn_next",
    Action.BACK: "btn_back",
    Action.SKIP: "btn_skip",
    Action.HURTS: "btn_hurts",
    Action.STOP_TIMER: "btn_stop_timer",
    Action.FEEL_FINE: "btn_feel_fine",
    Action.FEEL_SORE: "btn_feel_sore",
    Action.FEEL_PAIN: "btn_feel_pain",
}


@dataclass(frozen=True)
class SessionView:
    """What a session screen needs besides the state."""

    content: Content
    lang: str
    catalog: Mapping[str, ExercisePlan]
    session_id: int
    rev: int
    program_title: str
    left_out: Sequence[str] = ()  # titles of the program's exercises held out of this session
    # the patient's own dose ({exercise id: {field: number}}), where the clinic set one
    own_dose: Mapping[str, Any] = field(default_factory=dict)

    def button(self, action: Action, label: str | None = None, arg: str = "") -> Button:
        return Button(
            label or self.content.text(self.lang, LABELS[action]),
            Callback(action, self.session_id, self.rev, arg),
        )


def session_screen(view: SessionView, state: SessionState) -> Screen:
    actions = available_actions(view.catalog, state)
    if state.phase is Phase.INTRO:
        return Screen(_intro_text(view, state), rows([view.button(a) for a in actions]))
    if state.phase in (Phase.STEP, Phase.TIMER):
        return _step_screen(view, state, actions)
    if state.phase is Phase.FEELING:
        return Screen(
            text(view.content, view.lang, "feeling_question"),
            tuple((view.button(a),) for a in actions),
        )
    if state.phase is Phase.PAIN_WHICH:  # a session stored by an earlier version
        return pain_which_screen(
            view.content, view.lang, view.session_id, state.exercises, view.rev
        )
    raise ValueError(f"no screen for a finished session ({state.phase})")


def _intro_text(view: SessionView, state: SessionState) -> str:
    content, lang = view.content, view.lang
    exercise_list = "\n".join(f"• {content.exercise(ex, lang).title}" for ex in state.exercises)
    minutes = sum(content.exercises[ex].minutes for ex in state.exercises)
    intro = text(
        content,
        lang,
        "session_intro",
        program_title=view.program_title,
        exercise_list=exercise_list,
        minutes=minutes,
    )
    if view.left_out:
        held = text(content, lang, "session_intro_held", held_list=", ".join(view.left_out))
        intro = f"{intro}\n\n{held}"
    return intro


def _step_screen(view: SessionView, state: SessionState, actions: list[Action]) -> Screen:
    content, lang = view.content, view.lang
    exercise = content.exercise(state.exercises[state.exercise_index], lang)
    plan = view.catalog[exercise.id]
    parts = [
        f"<b>{escape(exercise.title)}</b>\n"
        + text(
            content,
            lang,
            "step_header",
            exercise_number=state.exercise_index + 1,
            exercise_count=len(state.exercises),
            step_number=state.step_index + 1,
            step_count=plan.step_count,
        )
    ]
    if state.step_index == 0:
        parts += _setup_parts(view, exercise, Action.ALTERNATIVE in actions)
    else:
        parts.append(escape(exercise.steps[state.step_index - 1].text))
    dose = dose_text(content, lang, exercise.id, view.own_dose)
    parts.append(text(content, lang, "dose_line", dose=dose))
    timer_line = _timer_line(view, state, plan)
    if timer_line:
        parts.append(timer_line)
    buttons = [_step_button(view, state, plan, action) for action in actions]
    # The pain button always gets a row of its own, last, so it is easy to find.
    hurts = [b for b in buttons if b.callback.action is Action.HURTS]
    others = [b for b in buttons if b.callback.action is not Action.HURTS]
    return Screen(
        "\n\n".join(parts),
        (*rows(others), *((tuple(hurts),) if hurts else ())),
        media=step_media(exercise, state.step_index),
    )


def _setup_parts(view: SessionView, exercise: Exercise, alternative: bool) -> list[str]:
    content, lang = view.content, view.lang
    parts = [f"<i>{text(content, lang, 'setup_step_title')}</i>\n{escape(exercise.setup)}"]
    parts.append(text(content, lang, "purpose_line", purpose=exercise.purpose))
    if exercise.cautions:
        parts.append(text(content, lang, "cautions_line", cautions=" ".join(exercise.cautions)))
    if alternative and exercise.alternative_hint:
        parts.append(escape(exercise.alternative_hint))
    return parts


def _timer_line(view: SessionView, state: SessionState, plan: ExercisePlan) -> str | None:
    content, lang = view.content, view.lang
    if plan.timed_step != state.step_index:
        return None
    sets = {"min_sets": plan.sets_min, "max_sets": plan.sets, "seconds": plan.timer_seconds}
    if state.phase is Phase.TIMER:
        return "⏱ " + text(content, lang, "timer_running", set_number=state.sets_done + 1, **sets)
    if state.sets_done >= plan.sets:
        return text(content, lang, "timer_all_done", set_count=state.sets_done)
    if state.sets_done >= plan.sets_min:
        return text(content, lang, "timer_enough", set_number=state.sets_done, **sets)
    if state.sets_done > 0:
        return text(content, lang, "timer_set_done", set_number=state.sets_done, **sets)
    return text(content, lang, "timer_ready", **sets)


def _step_button(
    view: SessionView, state: SessionState, plan: ExercisePlan, action: Action
) -> Button:
    content, lang = view.content, view.lang
    if action is Action.START_TIMER:
        if state.sets_done == 0:
            label = content.text(lang, "btn_start_timer", seconds=plan.timer_seconds)
        else:
            label = content.text(lang, "btn_next_set", set_number=state.sets_done + 1)
        return view.button(action, label)
    if action is Action.NEXT and is_last_screen(view.catalog, state):
        return view.button(action, content.text(lang, "btn_done"))
    if action is Action.ALTERNATIVE:
        assert plan.alternative is not None
        other = content.exercise(plan.alternative, lang).short_title
        return view.button(action, content.text(lang, "btn_alternative", exercise_title=other))
    return view.button(action)


# --- around the session ------------------------------------------------------------------


def open_choice_screen(content: Content, lang: str, session_id: int, rev: int) -> Screen:
    def button(action: Action, key: str) -> Button:
        return Button(content.text(lang, key), Callback(action, session_id, rev))

    return Screen(
        text(content, lang, "session_open_choice"),
        ((button(Action.CONTINUE, "btn_continue"), button(Action.RESTART, "btn_restart")),),
    )


def pain_which_screen(
    content: Content, lang: str, session_id: int, exercises: Sequence[str], rev: int = 0
) -> Screen:
    """Which exercise hurt: asked after the advice; the answer only narrows the hold."""
    choices = [
        Button(
            content.exercise(ex, lang).short_title,
            Callback(Action.PAIN_WHICH, session_id, rev, PainWhich(i).arg()),
        )
        for i, ex in enumerate(exercises)
    ]
    choices.append(
        Button(
            content.text(lang, "btn_not_sure"),
            Callback(Action.PAIN_WHICH, session_id, rev, PainWhich(None).arg()),
        )
    )
    return Screen(text(content, lang, "pain_which"), tuple((b,) for b in choices))


def closing_text(content: Content, lang: str, category: Category, done: int, total: int) -> str:
    """Praise that says what was done (never "well done" for a session all skipped)."""
    if category is Category.DONE:
        return text(content, lang, "well_done")
    if category is Category.PARTLY:
        return text(content, lang, "partly_done", done=done, total=total)
    return text(content, lang, "all_skipped")


def category_label(content: Content, lang: str, category: Category) -> str:
    """How /history names a day's session; plain text, for a text that is escaped whole."""
    return content.text(lang, f"history_{category.value}")


_FEELING_LABELS: dict[str, str] = {
    Feeling.NONE: "btn_feel_fine",
    Feeling.SORE: "btn_feel_sore",
    Feeling.PAIN: "btn_feel_pain",
}


def feeling_label(content: Content, lang: str, feeling: str) -> str:
    """A session's answer to "How did it feel?" as the patient's button said it; a value
    this code does not know is shown as stored. Plain text, like ``category_label``."""
    key = _FEELING_LABELS.get(feeling)
    return content.text(lang, key) if key else feeling
