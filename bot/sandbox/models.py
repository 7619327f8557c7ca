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


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file the emulator issued a file_id for: what a later send by file_id refers to."""

    file_id: str
    file_unique_id: str
    kind: str  # photo | animation | video | document | voice | sticker
    name: str | None  # as uploaded (Telegram keeps no name for photos; the emulator does)
    size: int
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    duration: int = 0


@dataclass(slots=True)
class ChatMessage:
    """One message as the chat shows it now (edits overwrite text and keep history).

    A media message keeps its caption in `text` and its file in `media`.
    """

    message_id: int
    from_bot: bool
    text: str | None
    date: datetime
    entities: list[dict[str, Any]] = field(default_factory=list)
    buttons: list[list[Button]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    edits: list[str | None] = field(default_factory=list)
    deleted: bool = False
    edit_date: datetime | None = None
    media: StoredFile | None = None
    chat_id: int = 0
    sender_id: int | None = None  # the user who wrote it (None: the bot, or the chat's user)
    content: dict[str, Any] = field(default_factory=dict)  # other fields a user's message had

    @property
    def labels(self) -> list[list[str]]:
        return [[b.text for b in row] for row in self.buttons]

    @property
    def photo(self) -> bool:
        return self.media is not None and self.media.kind == "photo"

    @property
    def media_kind(self) -> str | None:
        return self.media.kind if self.media is not None else None

    @property
    def file_name(self) -> str | None:
        return self.media.name if self.media is not None else None


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
    chat_id: int | None = None  # the chat it happened in (== user_id in a private chat)

    @property
    def media(self) -> dict[str, Any] | None:
        """`{"kind": ..., "name": ...}` for a media message, else None."""
        media = self.extra.get("media")
        return media if isinstance(media, dict) else None

    @property
    def media_label(self) -> str | None:
        """How a transcript names the media: "photo: march-1.png" (or just "photo")."""
        media = self.media
        if media is None:
            return None
        name = media.get("name")
        return f"{media['kind']}: {name}" if name else str(media["kind"])


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
