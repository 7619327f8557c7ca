"""Plain records of the simulated world: chat messages, buttons, transcript events, API calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(slots=True)
class ChatMessage:
    """One message as the chat shows it now (edits overwrite text and keep history)."""

    message_id: int
    from_bot: bool
    text: str | None
    date: datetime
    entities: list[dict[str, Any]] = field(default_factory=list)
    buttons: list[list[Button]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    edits: list[str | None] = field(default_factory=list)
    deleted: bool = False
    photo: bool = False
    edit_date: datetime | None = None

    @property
    def labels(self) -> list[list[str]]:
        return [[b.text for b in row] for row in self.buttons]


@dataclass(slots=True)
class ChatEvent:
    """One line of a transcript, in the order things happened."""

    kind: str
    user_id: int
    at: datetime
    text: str | None = None
    buttons: list[list[str]] = field(default_factory=list)
    message_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ApiCall:
    """One Bot API request the emulator received, for assertions in tests."""

    method: str
    params: dict[str, Any]
    status: int
    ok: bool
    description: str | None
    at: datetime


def buttons_of(markup: dict[str, Any] | None) -> list[list[Button]]:
    if not markup or "inline_keyboard" not in markup:
        return []
    return [
        [Button(b["text"], b.get("callback_data"), b.get("url")) for b in row]
        for row in markup["inline_keyboard"]
    ]
