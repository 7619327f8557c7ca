"""Turning pydantic's validation errors into short reasons a clinic operator understands."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from bot.content.errors import ContentProblem

_PATTERN_HINTS = {
    "phone_international": "must start with + and the country code, like '+1 617 720 2329'",
    "emergency_number": "must be digits only, like '911'",
}
_ID_HINT = "must be lower-case letters, digits and hyphens, like 'bird-dog'"


def format_path(loc: Sequence[int | str]) -> str:
    """('exercises', 2, 'steps') -> 'exercises[2].steps'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _known_keys(models: Iterable[type[BaseModel]]) -> set[str]:
    keys: set[str] = set()
    for model in models:
        keys.update(model.model_fields)
    return keys


def _reason(err: Any, known: set[str]) -> tuple[Sequence[int | str], str]:
    loc: Sequence[int | str] = err["loc"]
    kind: str = err["type"]
    ctx: dict[str, Any] = err.get("ctx") or {}
    value = err.get("input")
    if kind == "extra_forbidden":
        key = loc[-1]
        close = difflib.get_close_matches(str(key), known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return loc[:-1], f"unknown key '{key}'{hint}"
    if kind == "missing":
        return loc, "is required"
    if kind in ("string_too_short", "too_short"):
        return loc, "must not be empty"
    if kind == "string_too_long":
        return loc, f"is {len(value)} characters; at most {ctx.get('max_length')} allowed"
    if kind == "too_long":
        return loc, f"has too many entries; at most {ctx.get('max_length')} allowed"
    if kind == "string_type":
        if isinstance(value, bool):
            return loc, "must be text; put it in quotes (YAML reads yes/no/on/off as true/false)"
        return loc, "must be text"
    if kind == "int_type":
        return loc, "must be a whole number"
    if kind == "bool_type":
        return loc, "must be true or false"
    if kind in ("tuple_type", "list_type"):
        return loc, "must be a list (lines starting with '- ')"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return loc, "must be a mapping (lines of 'key: value')"
    if kind == "greater_than_equal":
        return loc, f"must be at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return loc, f"must be at most {ctx.get('le')}"
    if kind == "literal_error":
        return loc, f"must be one of {ctx.get('expected')}"
    if kind == "string_pattern_mismatch":
        field = str(loc[-1]) if loc else ""
        return loc, _PATTERN_HINTS.get(field, _ID_HINT)
    return loc, str(err.get("msg", "is not valid"))


def problems_from(
    error: ValidationError, shown_as: str, models: Iterable[type[BaseModel]]
) -> list[ContentProblem]:
    known = _known_keys(models)
    problems = []
    for err in error.errors(include_url=False):
        loc, reason = _reason(err, known)
        problems.append(ContentProblem(shown_as, format_path(loc), reason))
    return problems
