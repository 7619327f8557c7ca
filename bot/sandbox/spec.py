"""The Bot API spec as lookup tables, loaded once (the hot path must not re-read JSON)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_SPEC_FILE = Path(__file__).with_name("api.json")


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(frozen=True, slots=True)
class Spec:
    version: str
    methods: dict[str, dict[str, Field]]  # canonical method name -> fields
    by_lower: dict[str, str]  # lowercased method name -> canonical name
    types: dict[str, dict[str, Field]]
    subtypes: dict[str, tuple[str, ...]]

    def method(self, name: str) -> str | None:
        """Canonical name of a method; Telegram matches method names case-insensitively."""
        return self.by_lower.get(name.lower())


def _fields(rows: list[list]) -> dict[str, Field]:
    return {name: Field(name, tuple(types), bool(req)) for name, types, req in rows}


@cache
def load_spec() -> Spec:
    raw = json.loads(_SPEC_FILE.read_text(encoding="utf-8"))
    methods = {name: _fields(rows) for name, rows in raw["methods"].items()}
    types = {name: _fields(t["fields"]) for name, t in raw["types"].items()}
    subtypes = {name: tuple(t["subtypes"]) for name, t in raw["types"].items() if t["subtypes"]}
    return Spec(
        version=raw["version"],
        methods=methods,
        by_lower={name.lower(): name for name in methods},
        types=types,
        subtypes=subtypes,
    )
