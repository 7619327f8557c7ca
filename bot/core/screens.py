"""What each screen says and which buttons it offers: pure functions of state and content.

Texts come from content and are escaped here, because messages are sent with HTML parse
mode (titles in bold). A Screen is Telegram-agnostic: the adapter turns each button's
Callback into callback data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.content.model import Content, Dose, Exercise
from bot.core import dates
from bot.core.callbacks import Callback
from bot.core.media import ScreenMedia
from bot.core.session import ExercisePlan

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


def clinic_values(content: Content, lang: str) -> dict[str, str]:
    clinic = content.clinic_in(lang)
    return {
        "clinic_name": clinic.name,
        "clinic_credentials": clinic.credentials,
        "clinic_address": clinic.address,
        "clinic_phone": clinic.phone_display,
        "clinic_hours": clinic.opening_hours,
        "clinic_website": clinic.website or "",
    }


def plan_for(exercise: Exercise, dose: Dose | None = None) -> ExercisePlan:
    """The session's numbers for an exercise: content's dose, or a patient's own
    (bot/core/dose.py ``effective``)."""
    timed = next((i + 1 for i, step in enumerate(exercise.steps) if step.timed), None)
    dose = dose or exercise.dose
    return ExercisePlan(
        exercise_id=exercise.id,
        step_count=1 + len(exercise.steps),
        timed_step=timed,
        timer_seconds=dose.duration_seconds or 0,
        sets=dose.sets_max or dose.sets or 1,
        alternative=exercise.alternative,
        sets_min=dose.sets or 1,
    )


def catalog_for(content: Content) -> dict[str, ExercisePlan]:
    return {exercise_id: plan_for(ex) for exercise_id, ex in content.exercises.items()}


# --- advice -------------------------------------------------------------------------------


def advice_with_contact(content: Content, lang: str, key: str, **values: object) -> str:
    """An advice text in full, followed by the clinic's contact block."""
    clinic = clinic_values(content, lang)
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


# --- reminders ----------------------------------------------------------------------------


def mask_to_days(mask: int) -> frozenset[int]:
    """Weekday bitmask (Mon = bit 0) to weekday numbers (0 = Monday)."""
    return frozenset(day for day in range(7) if mask >> day & 1)


def describe_mask(content: Content, lang: str, mask: int) -> str:
    from bot.core.schedule import describe_days

    return describe_days(
        mask_to_days(mask),
        dates.day_names(lang),
        content.text(lang, "every_day"),
        content.text(lang, "weekdays_label"),
    )


def format_when(content: Content, lang: str, instant: datetime, zone: str) -> str:
    """'Wed 26 Nov, 07:30' in the patient's zone and language (CLDR names, bot/core/dates.py)."""
    return dates.when(instant.astimezone(ZoneInfo(zone)), content.language_of(lang))


def format_moment(content: Content, lang: str, instant: datetime, zone: str) -> str:
    """'Mon 12 Jan 2026, 10:00 EST': an instant for the clinic's staff, in ``zone`` (the
    clinic's) and ``lang`` (the clinic's default language)."""
    return dates.moment(instant.astimezone(ZoneInfo(zone)), content.language_of(lang))


def format_day(content: Content, lang: str, instant: datetime, zone: str) -> str:
    """'Wed 26 Nov' in the patient's zone and language."""
    return dates.day(instant.astimezone(ZoneInfo(zone)), content.language_of(lang))
