"""A patient's own dose: overrides of an exercise's numbers, within what content allows.

Stored per patient as ``{exercise_id: {field: number}}`` (``patients.dose``) and per
invite. Only the fields an exercise's dose has in content can be changed (no repetitions
for a timed exercise), each within the range check-content allows for it
(``bot/content/model.py`` ``Dose``), and the result must still be a dose check-content
would accept (``reps_max`` at least ``reps``...). Setting ``sets`` without ``sets_max``
means exactly that many sets (the content's upper end is dropped); the same for ``reps``.

Pure: problems are returned as a text key and its values, for the staff chat (or the
command line) to show in words from content.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.content.model import Content, Dose, Exercise

# field -> its range (the same as bot/content/model.py Dose)
FIELDS: dict[str, tuple[int, int]] = {
    "reps": (1, 100),
    "reps_max": (1, 100),
    "sets": (1, 20),
    "sets_max": (1, 20),
    "hold_breaths": (1, 20),
    "duration_seconds": (5, 600),
}
# a field that sets the lower end drops the content's upper end unless it is given too
_UPPER = {"reps": "reps_max", "sets": "sets_max"}
_ITEM = re.compile(r"([a-z0-9]+(?:-[a-z0-9]+)*)\.([a-z_]+)=([0-9]{1,4})")

OwnDose = dict[str, dict[str, int]]


@dataclass(frozen=True)
class Problem(Exception):
    """Input that cannot be used: a UI text key (the staff's language) and its values."""

    key: str
    values: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.key


def changeable(dose: Dose) -> list[str]:
    """The fields of this dose a patient's own dose may set."""
    names = ["sets", "sets_max"]
    if dose.reps is not None:
        names[0:0] = ["reps", "reps_max"]
    if dose.hold_breaths is not None:
        names.append("hold_breaths")
    if dose.duration_seconds is not None:
        names.append("duration_seconds")
    return names


def effective(exercise: Exercise, own: Mapping[str, Any] | None) -> Dose:
    """The exercise's dose for a patient: content's, with the patient's own numbers."""
    if not own:
        return exercise.dose
    numbers = {
        name: number
        for name, number in own.items()
        if name in FIELDS and isinstance(number, int) and not isinstance(number, bool)
    }
    values = exercise.dose.model_dump() | numbers
    for name, upper in _UPPER.items():
        if name in numbers and upper not in numbers:
            values[upper] = None
    return Dose.model_validate(values)


def dose_problem(dose: Dose) -> tuple[str, str] | None:
    """(field, the field it must be at least) when the numbers do not fit together."""
    if dose.reps_max is not None and dose.reps is not None and dose.reps_max < dose.reps:
        return "reps_max", "reps"
    if dose.sets_max is not None and dose.sets_max < dose.sets:
        return "sets_max", "sets"
    return None


def parse_items(content: Content, items: Iterable[str], base: Mapping[str, Any]) -> OwnDose:
    """``exercise.field=number`` items applied onto ``base`` (a patient's own dose so far);
    the new own dose, or :class:`Problem` for the first item that cannot be used."""
    given: dict[str, dict[str, int]] = {}
    for item in items:
        match = _ITEM.fullmatch(item.strip())
        if match is None:
            raise Problem("dose_bad_item", {"item": item[:40]})
        exercise_id, name, raw = match.groups()
        exercise = content.exercises.get(exercise_id)
        if exercise is None:
            raise Problem("dose_no_exercise", {"exercise": exercise_id})
        allowed = changeable(exercise.dose)
        if name not in allowed:
            raise Problem(
                "dose_no_field",
                {"exercise": exercise_id, "field": name, "fields": ", ".join(allowed)},
            )
        low, high = FIELDS[name]
        number = int(raw)
        if not low <= number <= high:
            raise Problem(
                "dose_out_of_range",
                {"exercise": exercise_id, "field": name, "low": low, "high": high},
            )
        given.setdefault(exercise_id, {})[name] = number
    own: OwnDose = {ex: dict(f) for ex, f in base.items() if isinstance(f, dict) and f}
    for exercise_id, fields in given.items():
        merged = own.get(exercise_id, {}) | fields
        for name, upper in _UPPER.items():
            # a lower end given alone means exactly that: its upper end goes
            if name in fields and upper not in fields:
                merged.pop(upper, None)
        problem = dose_problem(effective(content.exercises[exercise_id], merged))
        if problem is not None:
            raise Problem(
                "dose_inconsistent",
                {"exercise": exercise_id, "field": problem[0], "other": problem[1]},
            )
        own[exercise_id] = merged
    return own


def is_own(exercise_id: str, own: Mapping[str, Any] | None) -> bool:
    return bool(own and own.get(exercise_id))


def dose_words(content: Content, lang: str, dose: Dose) -> str:
    """The dose in words, from the numbers (for a patient's own dose; content's own dose
    has its ``dose_text``): "8 to 10 times on each side, 3 sets"."""
    parts = []
    if dose.reps is not None:
        ranged = dose.reps_max is not None and dose.reps_max != dose.reps
        key = "dose_reps_range" if ranged else "dose_reps_once" if dose.reps == 1 else "dose_reps"
        if dose.per is not None:
            key += f"_{dose.per}"
        parts.append(content.text(lang, key, reps=dose.reps, reps_max=dose.reps_max or dose.reps))
    if dose.duration_seconds is not None:
        parts.append(content.text(lang, "dose_seconds", seconds=dose.duration_seconds))
    if dose.hold_breaths is not None:
        key = "dose_hold_one" if dose.hold_breaths == 1 else "dose_hold"
        parts.append(content.text(lang, key, breaths=dose.hold_breaths))
    if dose.sets_max is not None and dose.sets_max != dose.sets:
        parts.append(content.text(lang, "dose_sets_range", sets=dose.sets, sets_max=dose.sets_max))
    elif dose.sets > 1:
        parts.append(content.text(lang, "dose_sets", sets=dose.sets))
    return ", ".join(parts)


def dose_text(content: Content, lang: str, exercise_id: str, own: Mapping[str, Any] | None) -> str:
    """What a step screen and the reminder say about how much: the content's words, or the
    patient's own dose from its numbers."""
    exercise = content.exercise(exercise_id, lang)
    if not is_own(exercise_id, own):
        return exercise.dose_text
    assert own is not None
    return dose_words(content, lang, effective(exercise, own[exercise_id]))


# the texts dose_words uses (bot/content/texts.py registers them)
DOSE_TEXT_KEYS = (
    "dose_reps",
    "dose_reps_range",
    "dose_reps_side",
    "dose_reps_range_side",
    "dose_reps_limb",
    "dose_reps_range_limb",
    "dose_seconds",
    "dose_hold",
    "dose_reps_once",
    "dose_reps_once_side",
    "dose_reps_once_limb",
    "dose_hold_one",
    "dose_sets",
    "dose_sets_range",
)
