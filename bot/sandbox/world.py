"""The simulated side of Telegram: users, their private chats, and the update queue."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.sandbox.models import ChatEvent, ChatMessage

Listener = Callable[[ChatEvent], None]
log = logging.getLogger(__name__)


class NoSuchButton(LookupError):
    """A tap named a button that the message does not have; lists what is there."""

    def __init__(self, wanted: str, available: list[str]) -> None:
        super().__init__(f"no button {wanted}; available: {available}")
        self.wanted = wanted
        self.available = available


class SimUser:
    """A person chatting with the bot in a private chat (chat id == user id)."""

    def __init__(self, world: World, user_id: int, first_name: str, language_code: str) -> None:
        self.world = world
        self.id = user_id
        self.first_name = first_name
        self.language_code = language_code
        self.blocked = False
        self.chat: dict[int, ChatMessage] = {}
        self.toasts: list[str] = []
        self._next_message_id = 1

    @property
    def chat_id(self) -> int:
        return self.id

    def as_user(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }

    def as_chat(self) -> dict[str, Any]:
        return {"id": self.id, "first_name": self.first_name, "type": "private"}

    def next_message_id(self) -> int:
        """Message ids increase per chat, for both sides, as in a private Telegram chat."""
        mid = self._next_message_id
        self._next_message_id += 1
        return mid

    # --- what the user does -------------------------------------------------------------

    def send_text(self, text: str) -> int:
        entities: list[dict[str, Any]] = []
        kind = "user_text"
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities.append({"type": "bot_command", "offset": 0, "length": len(command)})
            kind = "user_command"
        msg = self._user_message(text)
        payload = self._message_payload(msg)
        payload["text"] = text
        if entities:
            payload["entities"] = entities
        self.world.record(kind, self.id, text=text, message_id=msg.message_id)
        return self.world.push_update("message", payload)

    def send_sticker(self) -> int:
        msg = self._user_message(None)
        payload = self._message_payload(msg)
        payload["sticker"] = {
            "file_id": f"sticker-{self.id}-{msg.message_id}",
            "file_unique_id": f"stk{self.id}{msg.message_id}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        self.world.record("user_text", self.id, message_id=msg.message_id, extra={"sticker": True})
        return self.world.push_update("message", payload)

    def share_location(self, latitude: float, longitude: float) -> int:
        msg = self._user_message(None)
        payload = self._message_payload(msg)
        payload["location"] = {"latitude": latitude, "longitude": longitude}
        self.world.record(
            "user_location",
            self.id,
            message_id=msg.message_id,
            extra={"latitude": latitude, "longitude": longitude},
        )
        return self.world.push_update("message", payload)

    def tap(
        self,
        label: str | None = None,
        *,
        pattern: str | None = None,
        message_id: int | None = None,
    ) -> int:
        """Press a button by exact label or regex on the latest keyboard (or a given message)."""
        if (label is None) == (pattern is None):
            raise ValueError("give exactly one of label or pattern")
        msg = self._keyboard_message(message_id)
        buttons = [b for row in msg.buttons for b in row] if msg else []
        regex = re.compile(pattern, re.IGNORECASE) if pattern is not None else None
        for button in buttons:
            hit = button.text == label if regex is None else bool(regex.search(button.text))
            if hit and button.callback_data is not None:
                assert msg is not None
                return self._callback(msg, button.callback_data, button.text)
        wanted = repr(label) if regex is None else f"matching /{pattern}/"
        raise NoSuchButton(wanted, [b.text for b in buttons])

    def tap_data(self, message_id: int, data: str) -> int:
        """A raw callback with any data, as a forged or stale client could send."""
        msg = self.chat.get(message_id)
        if msg is None:
            msg = ChatMessage(message_id, True, None, self.world.now())
        return self._callback(msg, data, None)

    def block(self) -> None:
        self.blocked = True

    def unblock(self) -> None:
        self.blocked = False

    # --- what the user sees -------------------------------------------------------------

    @property
    def messages(self) -> list[ChatMessage]:
        return [self.chat[mid] for mid in sorted(self.chat)]

    @property
    def bot_messages(self) -> list[ChatMessage]:
        return [m for m in self.messages if m.from_bot and not m.deleted]

    def last_bot_message(self, with_buttons: bool = False) -> ChatMessage | None:
        for msg in reversed(self.bot_messages):
            if not with_buttons or msg.buttons:
                return msg
        return None

    # --- internals ----------------------------------------------------------------------

    def _keyboard_message(self, message_id: int | None) -> ChatMessage | None:
        if message_id is not None:
            msg = self.chat.get(message_id)
            return msg if msg is not None and not msg.deleted else None
        return self.last_bot_message(with_buttons=True)

    def _user_message(self, text: str | None) -> ChatMessage:
        msg = ChatMessage(self.next_message_id(), False, text, self.world.now())
        self.chat[msg.message_id] = msg
        return msg

    def _message_payload(self, msg: ChatMessage) -> dict[str, Any]:
        return {
            "message_id": msg.message_id,
            "from": self.as_user(),
            "chat": self.as_chat(),
            "date": int(msg.date.timestamp()),
        }

    def _callback(self, msg: ChatMessage, data: str, label: str | None) -> int:
        query_id = self.world.new_query(self.id)
        message = self.world.message_json(self, msg) if msg.from_bot else None
        payload: dict[str, Any] = {
            "id": query_id,
            "from": self.as_user(),
            "chat_instance": str(self.id * 7919 % 1_000_003),
            "data": data,
        }
        if message is not None:
            payload["message"] = message
        self.world.record(
            "user_tap",
            self.id,
            text=label,
            message_id=msg.message_id,
            extra={"data": data, "query_id": query_id},
        )
        return self.world.push_update("callback_query", payload)


class World:
    """Users, chats and the ordered update stream the bot consumes."""

    def __init__(self, clock: Callable[[], datetime], bot_user: dict[str, Any]) -> None:
        self.now = clock
        self.bot_user = bot_user
        self.users: dict[int, SimUser] = {}
        self.events: list[ChatEvent] = []
        self.updates: list[dict[str, Any]] = []  # not yet confirmed, in order
        self.queries: dict[str, dict[str, Any]] = {}
        self.allowed_updates: list[str] | None = None
        self.dropped_updates: list[dict[str, Any]] = []
        self._listeners: list[Listener] = []
        self._next_update_id = 1
        self._user_ids = itertools.count(100_001)
        self._query_ids = itertools.count(1)
        self._changed = asyncio.Event()

    # --- users and events ---------------------------------------------------------------

    def create_user(
        self, user_id: int | None = None, first_name: str = "Alex", language_code: str = "en"
    ) -> SimUser:
        if user_id is None:
            user_id = next(self._user_ids)
            while user_id in self.users:
                user_id = next(self._user_ids)
        if user_id in self.users:
            raise ValueError(f"user {user_id} exists")
        user = SimUser(self, user_id, first_name, language_code)
        self.users[user_id] = user
        return user

    def user(self, user_id: int) -> SimUser:
        return self.users[user_id]

    def add_listener(self, callback: Listener) -> None:
        self._listeners.append(callback)

    def record(self, kind: str, user_id: int, **fields: Any) -> ChatEvent:
        event = ChatEvent(kind=kind, user_id=user_id, at=self.now(), **fields)
        self.events.append(event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken printer must not fail the bot's API call
                log.exception("sandbox event listener failed (%s)", event.kind)
        return event

    def message_json(self, user: SimUser, msg: ChatMessage) -> dict[str, Any]:
        """A bot message as the Bot API returns it."""
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": self.bot_user if msg.from_bot else user.as_user(),
            "chat": user.as_chat(),
            "date": int(msg.date.timestamp()),
        }
        if msg.edit_date is not None:
            data["edit_date"] = int(msg.edit_date.timestamp())
        if msg.photo:
            data["photo"] = [
                {
                    "file_id": f"photo-{user.id}-{msg.message_id}",
                    "file_unique_id": f"ph{user.id}x{msg.message_id}",
                    "width": 800,
                    "height": 600,
                    "file_size": 1024,
                }
            ]
            if msg.text:
                data["caption"] = msg.text
            if msg.entities:
                data["caption_entities"] = msg.entities
        elif msg.text is not None:
            data["text"] = msg.text
            if msg.entities:
                data["entities"] = msg.entities
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            data["reply_markup"] = msg.reply_markup
        return data

    # --- callback queries ---------------------------------------------------------------

    def new_query(self, user_id: int) -> str:
        query_id = f"{user_id}{next(self._query_ids):08d}"
        self.queries[query_id] = {"user_id": user_id, "at": time.monotonic(), "answered": False}
        return query_id

    # --- updates ------------------------------------------------------------------------

    def push_update(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self.updates.append({"update_id": update_id, kind: payload})
        self.notify()
        return update_id

    @property
    def last_update_id(self) -> int:
        return self._next_update_id - 1

    @property
    def pending_updates(self) -> int:
        return len(self.updates)

    def confirm_below(self, offset: int) -> None:
        """getUpdates offset semantics: updates with smaller ids are forgotten."""
        if self.updates and self.updates[0]["update_id"] < offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            self.notify()

    def settle(self, update_id: int, *, dropped: bool = False) -> None:
        """One update delivered to the webhook (or given up on)."""
        kept = []
        for upd in self.updates:
            if upd["update_id"] == update_id:
                if dropped:
                    self.dropped_updates.append(upd)
            else:
                kept.append(upd)
        self.updates = kept
        self.notify()

    def keep_last(self, count: int) -> None:
        if len(self.updates) > count:
            self.updates = self.updates[len(self.updates) - count :]
            self.notify()

    def clear_updates(self) -> None:
        self.updates = []
        self.notify()

    def available(self, allowed: list[str] | None) -> list[dict[str, Any]]:
        """Pending updates the bot asked for; other kinds are forgotten (never delivered)."""
        if not allowed:
            return list(self.updates)
        wanted = [u for u in self.updates if any(k in u for k in allowed)]
        if len(wanted) != len(self.updates):
            self.updates = wanted
            self.notify()
        return list(wanted)

    def notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self, seconds: float) -> None:
        """Sleep until an update is added or settled, or `seconds` pass."""
        event = self._changed
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
        # races with the event being set, and the webhook task would never stop.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await event.wait()

    async def wait_delivered(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Return once every update made so far is confirmed (polling) or acknowledged (webhook)."""
        target = self.last_update_id
        deadline = time.monotonic() + timeout
        while self.updates and self.updates[0]["update_id"] <= target:
            left = deadline - time.monotonic()
            if left <= 0:
                waiting = sum(u["update_id"] <= target for u in self.updates)
                raise TimeoutError(f"{waiting} update(s) not delivered within {timeout}s")
            await self.wait_change(left)
