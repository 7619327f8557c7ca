"""A language besides English: the words of each file, checked against the English file.

A translation holds only words (titles, steps, descriptions, labels); numbers, pictures,
timers and ids stay in the English file, so a translation can never change a dose or the
number of steps. Each translation is checked to say everything the English file says,
in the same shape, and then merged onto it into a whole ``Exercise``, ``Program``,
``Clinic`` or list of warning signs in that language.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import Field, model_validator

from bot.content.errors import ContentProblem
from bot.content.model import (
    Clinic,
    Exercise,
    Media,
    Program,
    Step,
    Text,
    WarningSign,
    _Frozen,
)

MAX_BUTTON = 30


class MediaWords(_Frozen):
    description: Text


class StepWords(_Frozen):
    text: Text
    media: MediaWords | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"text": value} if isinstance(value, str) else value


class ExerciseWords(_Frozen):
    title: Text
    short_title: Text
    position: Text
    purpose: Text
    setup: Text
    steps: Annotated[tuple[StepWords, ...], Field(min_length=1, max_length=20)]
    dose_text: Text
    cautions: tuple[Text, ...] = ()
    alternative_hint: Text | None = None
    media: MediaWords | None = None
    setup_media: MediaWords | None = None


class ProgramWords(_Frozen):
    title: Text
    intro: Text


class ClinicWords(_Frozen):
    """What of the clinic is said in words; the phone, numbers and zone stay in clinic.yaml."""

    name: Text | None = None
    clinician: Text | None = None
    credentials: Text
    address: Text | None = None
    opening_hours: Text
    website: Text | None = None


class SafetyWords(_Frozen):
    warning_signs: Annotated[tuple[WarningSign, ...], Field(min_length=1)]


WORD_MODELS = (MediaWords, StepWords, ExerciseWords, ProgramWords, ClinicWords, SafetyWords)


# --- the same shape as the English file ---------------------------------------------------


def _presence(where: str, english: object | None, here: object | None) -> Iterable[tuple[str, str]]:
    if english is not None and here is None:
        yield where, "missing (the English file has it)"
    elif english is None and here is not None:
        yield where, "the English file has none; leave it out"


def _media(where: str, english: Media | None, here: MediaWords | None) -> Iterable[tuple[str, str]]:
    if english is not None and here is None:
        yield f"{where}.description", "missing (the English file has a picture here)"
    elif english is None and here is not None:
        yield where, "the English file has no picture here; leave it out"


def exercise_gaps(english: Exercise, words: ExerciseWords) -> Iterable[tuple[str, str]]:
    """(place, reason) for every difference in shape from the English exercise."""
    if len(words.short_title) > MAX_BUTTON:
        yield (
            "short_title",
            f"button label is {len(words.short_title)} characters; "
            f"Telegram shows at most {MAX_BUTTON}",
        )
    steps, cautions = len(english.steps), len(english.cautions)
    for i in range(len(words.steps), steps):
        yield f"steps[{i}]", f"missing (the English file has {steps} steps)"
    for i in range(steps, len(words.steps)):
        yield f"steps[{i}]", f"one too many (the English file has {steps} steps)"
    for i, (step, said) in enumerate(zip(english.steps, words.steps, strict=False)):
        yield from _media(f"steps[{i}].media", step.media, said.media)
    for i in range(len(words.cautions), cautions):
        yield f"cautions[{i}]", f"missing (the English file has {cautions})"
    for i in range(cautions, len(words.cautions)):
        yield f"cautions[{i}]", f"one too many (the English file has {cautions})"
    yield from _presence("alternative_hint", english.alternative_hint, words.alternative_hint)
    yield from _media("media", english.media, words.media)
    yield from _media("setup_media", english.setup_media, words.setup_media)


def safety_gaps(english: tuple[WarningSign, ...], words: SafetyWords) -> Iterable[tuple[str, str]]:
    """The same signs, by id, in the same order: the list is the clinic's, not the translator's."""
    ids = [sign.id for sign in english]
    said = [sign.id for sign in words.warning_signs]
    for sign in english:
        if sign.id not in said:
            yield "warning_signs", f"missing the sign '{sign.id}' (the English file has it)"
    for i, sign_id in enumerate(said):
        if sign_id not in ids:
            yield f"warning_signs[{i}].id", f"'{sign_id}' is not a sign of the English file"
    if set(ids) == set(said) and ids != said:
        yield "warning_signs", "must be in the order of the English file: " + ", ".join(ids)


# --- merged onto the English file ---------------------------------------------------------


def _with_description(media: Media | None, words: MediaWords | None) -> Media | None:
    if media is None or words is None:
        return media
    return media.model_copy(update={"description": words.description})


def localize_exercise(english: Exercise, words: ExerciseWords) -> Exercise:
    steps = tuple(
        Step(text=said.text, timed=step.timed, media=_with_description(step.media, said.media))
        for step, said in zip(english.steps, words.steps, strict=True)
    )
    return english.model_copy(
        update={
            "title": words.title,
            "short_title": words.short_title,
            "position": words.position,
            "purpose": words.purpose,
            "setup": words.setup,
            "steps": steps,
            "dose_text": words.dose_text,
            "cautions": words.cautions,
            "alternative_hint": words.alternative_hint,
            "media": _with_description(english.media, words.media),
            "setup_media": _with_description(english.setup_media, words.setup_media),
        }
    )


def localize_program(english: Program, words: ProgramWords) -> Program:
    return english.model_copy(update={"title": words.title, "intro": words.intro})


def localize_clinic(english: Clinic, words: ClinicWords) -> Clinic:
    said = words.model_dump(exclude_none=True)
    return english.model_copy(update=said)


def problems_in(shown: str, gaps: Iterable[tuple[str, str]]) -> list[ContentProblem]:
    return [ContentProblem(shown, where, reason) for where, reason in gaps]
