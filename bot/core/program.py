"""Which exercises a patient's session holds, from the program and what is held."""

from __future__ import annotations

from collections.abc import Iterable

from bot.content.model import Content


def session_exercises(content: Content, program_id: str, held: Iterable[str]) -> list[str]:
    """The program's exercises; a held one is replaced by its alternative when that one is
    not held too, otherwise left out."""
    held_set = set(held)
    chosen = []
    for exercise_id in content.programs[program_id].exercises:
        if exercise_id not in held_set:
            chosen.append(exercise_id)
            continue
        alternative = content.exercises[exercise_id].alternative
        if alternative and alternative not in held_set:
            chosen.append(alternative)
    return chosen


def session_minutes(content: Content, program_id: str, held: Iterable[str]) -> int:
    """About how long the patient's own session takes (what the reminder promises)."""
    return sum(content.exercises[e].minutes for e in session_exercises(content, program_id, held))
