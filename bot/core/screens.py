"""What each screen says and which buttons it offers: pure functions of state and content.

Texts come from content and are escaped here, because messages are sent with HTML parse
mode (titles in bold). A Screen is Telegram-agnostic: the adapter turns each button's
Callback into callback data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.content.model import Content, Exercise
from bot.core.callbacks import Action, Callback
from bot.core.media import ScreenMedia
from bot.core.session import ExercisePlan, Phase, SessionState, available_actions, is_last_screen

MAX_BUTTONS_PER_ROW = 3


@dataclass(frozen=True)
class Button:
    label: str
    callback: Callback


@dataclass(frozen=True)
class Screen:
    text: str  # HTML
    buttons: tuple[tuple[Button, ...], ...] = ()
    media: ScreenMedia | None = None  # shown with the text as its caption (bot/core/media.py)


def rows(
    buttons: list[Button], per_row: int = MAX_BUTTONS_PER_ROW
) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


def text(content: Content, lang: str, key: str, **values: object) -> str:
    """A UI text from content, HTML-escaped."""
    return escape(content.text(lang, key, **values), quote=False)


def clinic_values(content: Content) -> dict[str, str]:
    clinic = content.clinic
    return {
        "clinic_name": clinic.name,
        "clinic_credentials": clinic.credentials,
        "clinic_address": clinic.address,
        "clinic_phone": clinic.phone_display,
        "clinic_hours": clinic.opening_hours,
        "clinic_website": clinic.website or "",
    }


def plan_for(exercise: Exercise) -> ExercisePlan:
    timed = next((i + 1 for i, step in enumerate(exercise.steps) if step.timed), None)
    dose = exercise.dose
    return ExercisePlan(
        exercise_id=exercise.id,
        step_count=1 + len(exercise.steps),
        timed_step=timed,
        timer_seconds=dose.duration_seconds or 0,
        sets=dose.sets_max or dose.sets or 1,
        alternative=exercise.alternative,
    )


def catalog_for(content: Content) -> dict[str, ExercisePlan]:
    return {exercise_id: plan_for(ex) for exercise_id, ex in content.exercises.items()}


# --- advice -------------------------------------------------------------------------------


def advice_with_contact(content: Content, lang: str, key: str, **values: object) -> str:
    """An advice text in full, followed by the clinic's contact block."""
    clinic = clinic_values(content)
    return "\n\n".join(
        (
            text(content, lang, key, **(clinic | values)),
            text(content, lang, "clinic_contact", **clinic),
        )
    )


def pain_advice(content: Content, lang: str) -> str:
    """The stop-and-see-a-doctor advice, always in full, always with the clinic's contact."""
    return advice_with_contact(content, lang, "advice_pain")


def sore_advice(content: Content, lang: str) -> str:
    return "\n\n".join(
        (text(content, lang, "advice_sore"), text(content, lang, "advice_stretch_walk"))
    )


# --- the session --------------------------------------------------------------------------

_LABELS = {
    Action.BEGIN: "btn_begin",
    Action.NOT_NOW: "btn_not_now",
    Action.NEXT: "btn_next",
    Action.BACK: "btn_back",
    Action.ALTERNATIVE: "btn_alternative",
    Action.SKIP: "btn_skip",
    Action.HURTS: "btn_hurts",
    Action.STOP_TIMER: "btn_stop_timer",
    Action.FEEL_FINE: "btn_feel_fine",
    Action.FEEL_SORE: "btn_feel_sore",
    Action.FEEL_PAIN: "btn_feel_pain",
}


def session_screen(
    content: Content,
    lang: str,
    catalog: Mapping[str, ExercisePlan],
    session_id: int,
    rev: int,
    state: SessionState,
    program_title: str,
) -> Screen:
    def button(action: Action, label: str | None = None, arg: str = "") -> Button:
        return Button(
            label or content.text(lang, _LABELS[action]), Callback(action, session_id, rev, arg)
        )

    actions = available_actions(catalog, state)
    if state.phase is Phase.INTRO:
        return Screen(
            _intro_text(content, lang, state, program_title), rows([button(a) for a in actions])
        )
    if state.phase in (Phase.STEP, Phase.TIMER):
        return _step_screen(content, lang, catalog, state, actions, button)
    if state.phase is Phase.FEELING:
        return Screen(text(content, lang, "feeling_question"), tuple((button(a),) for a in actions))
    if state.phase is Phase.PAIN_WHICH:
        choices = [
            button(Action.PAIN_WHICH, content.exercise(ex).short_title, str(i))
            for i, ex in enumerate(state.exercises)
        ]
        choices.append(button(Action.PAIN_WHICH, content.text(lang, "btn_not_sure")))
        return Screen(text(content, lang, "pain_which"), tuple((b,) for b in choices))
    raise ValueError(f"no screen for a finished session ({state.phase})")


def _intro_text(content: Content, lang: str, state: SessionState, program_title: str) -> str:
    exercise_list = "\n".join(f"• {content.exercise(ex).title}" for ex in state.exercises)
    minutes = sum(content.exercise(ex).minutes for ex in state.exercises)
    return text(
        content,
        lang,
        "session_intro",
        program_title=program_title,
        exercise_list=exercise_list,
        minutes=minutes,
    )


def _step_screen(content, lang, catalog, state, actions, button) -> Screen:  # type: ignore[no-untyped-def]
    exercise = content.exercise(state.exercises[state.exercise_index])
    plan = catalog[exercise.id]
    header = text(
        content,
        lang,
        "step_header",
        exercise_number=state.exercise_index + 1,
        exercise_count=len(state.exercises),
        step_number=state.step_index + 1,
        step_count=plan.step_count,
    )
    if state.step_index == 0:
        body = f"<i>{text(content, lang, 'setup_step_title')}</i>\n{escape(exercise.setup)}"
    else:
        body = escape(exercise.steps[state.step_index - 1].text)
    parts = [
        f"<b>{escape(exercise.title)}</b>\n{header}",
        body,
        text(content, lang, "dose_line", dose=exercise.dose_text),
    ]
    timer_values = {"seconds": plan.timer_seconds, "set_count": plan.sets}
    if state.phase is Phase.TIMER:
        parts.append(
            "⏱ "
            + text(content, lang, "timer_running", set_number=state.sets_done + 1, **timer_values)
        )
    elif plan.timed_step == state.step_index and state.sets_done >= plan.sets:
        parts.append(text(content, lang, "timer_all_done", set_count=plan.sets))
    elif plan.timed_step == state.step_index and state.sets_done > 0:
        parts.append(
            text(content, lang, "timer_set_done", set_number=state.sets_done, set_count=plan.sets)
        )
    elif plan.timed_step == state.step_index:
        parts.append(text(content, lang, "timer_ready", set_number=1, **timer_values))

    buttons: list[Button] = []
    for action in actions:
        if action is Action.START_TIMER:
            label = (
                content.text(lang, "btn_start_timer", seconds=plan.timer_seconds)
                if state.sets_done == 0
                else content.text(lang, "btn_next_set", set_number=state.sets_done + 1)
            )
            buttons.append(button(action, label))
        elif action is Action.NEXT and is_last_screen(catalog, state):
            buttons.append(button(action, content.text(lang, "btn_done")))
        else:
            buttons.append(button(action))
    # The pain button always gets a row of its own, last, so it is easy to find.
    hurts = [b for b in buttons if b.callback.action is Action.HURTS]
    others = [b for b in buttons if b.callback.action is not Action.HURTS]
    hurts_row = (tuple(hurts),) if hurts else ()
    return Screen("\n\n".join(parts), (*rows(others), *hurts_row))


# --- reminders ----------------------------------------------------------------------------


def mask_to_days(mask: int) -> frozenset[int]:
    """Weekday bitmask (Mon = bit 0) to weekday numbers (0 = Monday)."""
    return frozenset(day for day in range(7) if mask >> day & 1)


def describe_mask(content: Content, lang: str, mask: int) -> str:
    from bot.core.schedule import describe_days

    return describe_days(
        mask_to_days(mask),
        content.text(lang, "days_short").split(),
        content.text(lang, "every_day"),
        content.text(lang, "weekdays_label"),
    )


def format_when(content: Content, lang: str, instant: datetime, zone: str) -> str:
    """'Wed 26 Nov, 07:30' in the patient's zone, with names from content."""
    local = instant.astimezone(ZoneInfo(zone))
    day = content.text(lang, "days_short").split()[local.weekday()]
    month = content.text(lang, "months_short").split()[local.month - 1]
    return f"{day} {local.day} {month}, {local:%H:%M}"
