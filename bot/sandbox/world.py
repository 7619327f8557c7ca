"""The simulated side of Telegram: users, their chats, groups, files and the update stream.

Simulated users write and tap like people do (`SimUser`); tests that probe the bot's
defences can also push any JSON as an update (`World.push_raw`), unchecked.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import time
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from bot.sandbox import errors as e
from bot.sandbox.chats import Conversation, SimChat, member_update
from bot.sandbox.media import FileStore, media_fields, media_summary, photo_sizes
from bot.sandbox.models import ChatEvent, ChatMessage, StoredFile
from bot.sandbox.updates import Pending, UpdateQueue

Listener = Callable[[ChatEvent], None]
log = logging.getLogger(__name__)


class NoSuchButton(LookupError):
    """A tap named a button that the message does not have; lists what is there."""

    def __init__(self, wanted: str, available: list[str]) -> None:
        super().__init__(f"no button {wanted}; available: {available}")
        self.wanted = wanted
        self.available = available


class SimUser(Conversation):
    """A person chatting with the bot: their private chat (chat id == user id), and what
    they do in groups (`chat=` on each action)."""

    def __init__(self, world: World, user_id: int, first_name: str, language_code: str) -> None:
        super().__init__(world, user_id)
        self.first_name = first_name
        self.language_code = language_code
        self.blocked = False
        self.toasts: list[str] = []

    def as_user(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": self.language_code,
        }

    def as_chat(self) -> dict[str, Any]:
        return {"id": self.id, "first_name": self.first_name, "type": "private"}

    def refusal(self) -> str | None:
        return e.BLOCKED if self.blocked else None

    # --- what the user writes -----------------------------------------------------------

    def send_text(self, text: str, *, chat: SimChat | None = None) -> int:
        """A text message; "/cmd ..." gets a bot_command entity (kind user_command)."""
        entities: list[dict[str, Any]] = []
        kind = "user_text"
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities.append({"type": "bot_command", "offset": 0, "length": len(command)})
            kind = "user_command"
        return self._write(chat, kind, {}, text=text, entities=entities)

    def send_sticker(self, *, chat: SimChat | None = None) -> int:
        stored = self.world.files.add("sticker", None, 20_000, "image/webp", width=512, height=512)
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return self._write(chat, "user_text", {"sticker": sticker}, extra={"sticker": True})

    def share_location(
        self, latitude: float, longitude: float, *, chat: SimChat | None = None
    ) -> int:
        location = {"latitude": latitude, "longitude": longitude}
        return self._write(chat, "user_location", {"location": location}, extra=dict(location))

    def send_photo(
        self,
        name: str = "photo.jpg",
        caption: str | None = None,
        *,
        width: int = 1280,
        height: int = 960,
        size: int = 150_000,
        chat: SimChat | None = None,
    ) -> int:
        """A photo from the user's phone; its file_id is valid for the bot to send on."""
        stored = self.world.files.add("photo", name, size, "image/jpeg", width=width, height=height)
        content: dict[str, Any] = {"photo": photo_sizes(stored)}
        if caption:
            content["caption"] = caption
        return self._write(chat, "user_media", content, text=caption, media=stored)

    def send_voice(self, duration: int = 3, *, chat: SimChat | None = None) -> int:
        files = self.world.files
        stored = files.add("voice", None, duration * 4000, "audio/ogg", duration=duration)
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": stored.size,
        }
        return self._write(chat, "user_media", {"voice": voice}, media=stored)

    def send_contact(
        self,
        phone_number: str,
        first_name: str | None = None,
        *,
        user_id: int | None = None,
        chat: SimChat | None = None,
    ) -> int:
        """A shared contact; by default the user's own (user_id set), as "Share my phone"."""
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or self.first_name,
            "user_id": self.id if user_id is None else user_id,
        }
        return self._write(chat, "user_contact", {"contact": contact}, extra=dict(contact))

    def send_poll(self, question: str, options: list[str], *, chat: SimChat | None = None) -> int:
        poll = {
            "id": f"{self.id}{len(self.world.events):06d}",
            "question": question,
            "options": [
                {"persistent_id": str(i), "text": text, "voter_count": 0}
                for i, text in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": True,
            "members_only": False,
        }
        return self._write(chat, "user_poll", {"poll": poll}, extra={"question": question})

    def edit_text(self, message_id: int, text: str, *, chat: SimChat | None = None) -> int:
        """The user edits a message they sent: an `edited_message` update."""
        where = chat or self
        msg = where.chat.get(message_id)
        if msg is None or msg.from_bot or msg.sender_id not in (None, self.id):
            raise ValueError(f"user {self.id} has no message {message_id} there")
        msg.edits.append(msg.text)
        msg.text = text
        msg.entities = []
        msg.edit_date = self.world.now()
        self.world.record("user_edit", self.id, chat_id=where.id, text=text, message_id=message_id)
        return self.world.push_update("edited_message", self.world.message_json(where, msg))

    def inline_query(self, query: str, *, offset: str = "") -> int:
        """The user types "@bot query" in any chat: an `inline_query` update."""
        payload = {
            "id": self.world.new_query(self.id),
            "from": self.as_user(),
            "query": query,
            "offset": offset,
            "chat_type": "sender",
        }
        self.world.record("user_inline_query", self.id, text=query)
        return self.world.push_update("inline_query", payload)

    # --- what the user taps -------------------------------------------------------------

    def tap(
        self,
        label: str | None = None,
        *,
        pattern: str | None = None,
        message_id: int | None = None,
        chat: SimChat | None = None,
    ) -> int:
        """Press a button by exact label or regex on the latest keyboard (or a given message)."""
        if (label is None) == (pattern is None):
            raise ValueError("give exactly one of label or pattern")
        where = chat or self
        msg = _keyboard_message(where, message_id)
        buttons = [b for row in msg.buttons for b in row] if msg else []
        regex = re.compile(pattern, re.IGNORECASE) if pattern is not None else None
        for button in buttons:
            hit = button.text == label if regex is None else bool(regex.search(button.text))
            if hit and button.callback_data is not None:
                assert msg is not None
                return self._callback(where, msg, button.callback_data, button.text)
        wanted = repr(label) if regex is None else f"matching /{pattern}/"
        raise NoSuchButton(wanted, [b.text for b in buttons])

    def tap_data(self, message_id: int, data: str, *, chat: SimChat | None = None) -> int:
        """A raw callback with any data, as a forged or stale client could send."""
        where = chat or self
        msg = where.chat.get(message_id)
        if msg is None:
            msg = ChatMessage(message_id, True, None, self.world.now(), chat_id=where.id)
        return self._callback(where, msg, data, None)

    def tap_inline(self, inline_message_id: str, data: str) -> int:
        """A button on a message sent via inline mode: the callback has no `message`."""
        payload = self._query_payload(data, f"inline{self.id}")
        payload["inline_message_id"] = inline_message_id
        self.world.record("user_tap", self.id, extra={"data": data, "query_id": payload["id"]})
        return self.world.push_update("callback_query", payload)

    def tap_inaccessible(self, message_id: int, data: str, *, chat: SimChat | None = None) -> int:
        """A button on a message the bot can no longer see: `message` is an
        InaccessibleMessage (chat, message_id and date 0)."""
        where = chat or self
        payload = self._query_payload(data, _chat_instance(where))
        payload["message"] = {"chat": where.as_chat(), "message_id": message_id, "date": 0}
        self.world.record(
            "user_tap",
            self.id,
            chat_id=where.id,
            message_id=message_id,
            extra={"data": data, "query_id": payload["id"], "inaccessible": True},
        )
        return self.world.push_update("callback_query", payload)

    def block(self) -> int | None:
        """Block the bot: sends then answer 403, and the bot gets a `my_chat_member` update
        (member -> kicked), as from Telegram. Returns its update id (None if already blocked)."""
        if self.blocked:
            return None
        self.blocked = True
        return self._bot_status_changed("member", "kicked")

    def unblock(self) -> int | None:
        if not self.blocked:
            return None
        self.blocked = False
        return self._bot_status_changed("kicked", "member")

    # --- internals ----------------------------------------------------------------------

    def _write(
        self,
        chat: SimChat | None,
        kind: str,
        content: dict[str, Any],
        *,
        text: str | None = None,
        entities: list[dict[str, Any]] | None = None,
        media: StoredFile | None = None,
        extra: dict[str, Any] | None = None,
    ) -> int:
        """Add the user's message to the chat and push it as a `message` update."""
        where = chat or self
        if chat is not None and (chat.type == "channel" or self not in chat.members):
            raise ValueError(f"user {self.id} cannot write in chat {chat.id}")
        msg = where.add(
            ChatMessage(
                where.next_message_id(),
                False,
                text,
                self.world.now(),
                entities=entities or [],
                media=media,
                sender_id=self.id,
                content=content,
            )
        )
        extra = dict(extra or {})
        if media is not None:
            extra["media"] = media_summary(media)
        self.world.record(
            kind, self.id, chat_id=where.id, text=text, message_id=msg.message_id, extra=extra
        )
        return self.world.push_update("message", self.world.message_json(where, msg))

    def _query_payload(self, data: str, chat_instance: str) -> dict[str, Any]:
        return {
            "id": self.world.new_query(self.id),
            "from": self.as_user(),
            "chat_instance": chat_instance,
            "data": data,
        }

    def _callback(self, where: Conversation, msg: ChatMessage, data: str, label: str | None) -> int:
        payload = self._query_payload(data, _chat_instance(where))
        if msg.from_bot:
            payload["message"] = self.world.message_json(where, msg)
        self.world.record(
            "user_tap",
            self.id,
            chat_id=where.id,
            text=label,
            message_id=msg.message_id,
            extra={"data": data, "query_id": payload["id"]},
        )
        return self.world.push_update("callback_query", payload)

    def _bot_status_changed(self, old: str, new: str) -> int:
        me = self.as_user()
        payload = member_update(self.as_chat(), me, self.world.bot_user, old, new, self.world)
        self.world.record("my_chat_member", self.id, extra={"old": old, "new": new})
        return self.world.push_update("my_chat_member", payload)


def _keyboard_message(where: Conversation, message_id: int | None) -> ChatMessage | None:
    if message_id is not None:
        msg = where.chat.get(message_id)
        return msg if msg is not None and not msg.deleted else None
    return where.last_bot_message(with_buttons=True)


def _chat_instance(where: Conversation) -> str:
    return str(abs(where.id) * 7919 % 1_000_003)


class World:
    """Users, chats, files and the ordered update stream the bot consumes."""

    def __init__(self, clock: Callable[[], datetime], bot_user: dict[str, Any]) -> None:
        self.now = clock
        self.bot_user = bot_user
        self.users: dict[int, SimUser] = {}
        self.chats: dict[int, SimChat] = {}
        self.events: list[ChatEvent] = []
        self.queries: dict[str, dict[str, Any]] = {}
        self.files = FileStore()
        self.sent: list[ChatMessage] = []  # every message the bot sent, in order, any chat
        self.allowed_updates: list[str] | None = None
        self.queue = UpdateQueue()
        self._listeners: list[Listener] = []
        self._event_waiters: list[asyncio.Future[None]] = []
        self._user_ids = itertools.count(100_001)
        self._group_ids = itertools.count(1)
        self._query_ids = itertools.count(1)

    # --- users, chats and events --------------------------------------------------------

    def create_user(
        self, user_id: int | None = None, first_name: str = "Alex", language_code: str = "en"
    ) -> SimUser:
        if user_id is None:
            user_id = next(self._user_ids)
            while user_id in self.users:
                user_id = next(self._user_ids)
        if user_id in self.users or user_id in self.chats:
            raise ValueError(f"user {user_id} exists")
        user = SimUser(self, user_id, first_name, language_code)
        self.users[user_id] = user
        return user

    def user(self, user_id: int) -> SimUser:
        return self.users[user_id]

    def create_group(
        self,
        title: str,
        members: list[SimUser],
        *,
        kind: str = "group",
        chat_id: int | None = None,
        username: str | None = None,
        bot_admin: bool | None = None,
    ) -> SimChat:
        """A group (or `kind="supergroup"` / `"channel"`) the bot is already in.

        Group ids are negative as in Telegram (-4000000001...; supergroups and channels
        -1002000000001...). The bot is an administrator of channels, a member elsewhere.
        """
        if chat_id is None:
            base = -4_000_000_000 if kind == "group" else -1_002_000_000_000
            chat_id = base - next(self._group_ids)
        if chat_id in self.chats or chat_id in self.users:
            raise ValueError(f"chat {chat_id} exists")
        admin = kind == "channel" if bot_admin is None else bot_admin
        chat = SimChat(
            self,
            chat_id,
            kind,
            title,
            members,
            username=username,
            bot_status="administrator" if admin else "member",
        )
        self.chats[chat_id] = chat
        return chat

    def create_channel(self, title: str, *, username: str | None = None) -> SimChat:
        return self.create_group(title, [], kind="channel", username=username)

    def chat(self, chat_id: int) -> SimChat:
        return self.chats[chat_id]

    def conversation(self, chat_id: int | str) -> Conversation | None:
        """The chat a Bot API `chat_id` names: a user's private chat, a group by id, or a
        channel or supergroup by "@username"."""
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            name = chat_id[1:].lower()
            found = (c for c in self.chats.values() if (c.username or "").lower() == name)
            return next(found, None)
        try:
            number = int(chat_id)
        except (TypeError, ValueError):
            return None
        return self.users.get(number) or self.chats.get(number)

    def add_listener(self, callback: Listener) -> None:
        self._listeners.append(callback)

    def record(self, kind: str, user_id: int, **fields: Any) -> ChatEvent:
        fields.setdefault("chat_id", user_id)
        event = ChatEvent(kind=kind, user_id=user_id, at=self.now(), **fields)
        self.events.append(event)
        if self._event_waiters:
            self.wake_event_waiters()
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken printer must not fail the bot's API call
                log.exception("sandbox event listener failed (%s)", event.kind)
        return event

    def events_since(self, since: int, kinds: Collection[str] | None = None) -> list[ChatEvent]:
        """The events from index `since` on, only those of `kinds` if given."""
        if not 0 <= since <= len(self.events):
            raise ValueError(f"since must be within 0..{len(self.events)}")
        found = self.events[since:]
        return found if kinds is None else [ev for ev in found if ev.kind in kinds]

    async def wait_event(self, seconds: float) -> None:
        """Sleep until the next event is recorded, `wake_event_waiters` is called, or
        `seconds` pass (cheap for `record` when nobody waits: no waiter, no work)."""
        waiter = asyncio.get_running_loop().create_future()
        self._event_waiters.append(waiter)
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await waiter
        finally:
            with contextlib.suppress(ValueError):
                self._event_waiters.remove(waiter)

    def wake_event_waiters(self) -> None:
        waiters, self._event_waiters = self._event_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def message_json(self, where: Conversation, msg: ChatMessage) -> dict[str, Any]:
        """A message as the Bot API shows it (in answers and in updates)."""
        data: dict[str, Any] = {"message_id": msg.message_id}
        sender = self._sender(where, msg)
        if sender is not None:
            data["from"] = sender
        if where.type == "channel":
            data["sender_chat"] = where.as_chat()
        data["chat"] = where.as_chat()
        data["date"] = int(msg.date.timestamp())
        if msg.edit_date is not None:
            data["edit_date"] = int(msg.edit_date.timestamp())
        data.update(_body(msg))
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            data["reply_markup"] = msg.reply_markup
        return data

    def _sender(self, where: Conversation, msg: ChatMessage) -> dict[str, Any] | None:
        if where.type == "channel":
            return None  # channel posts have sender_chat instead of from
        if msg.from_bot:
            return self.bot_user
        user = self.users.get(msg.sender_id) if msg.sender_id is not None else None
        if user is None and isinstance(where, SimUser):
            user = where
        return user.as_user() if user is not None else None

    def sent_by_chat(self) -> dict[int, list[ChatMessage]]:
        """Every message the bot sent, grouped by chat id, in the order sent."""
        out: dict[int, list[ChatMessage]] = {}
        for msg in self.sent:
            out.setdefault(msg.chat_id, []).append(msg)
        return out

    # --- callback and inline queries ----------------------------------------------------

    def new_query(self, user_id: int) -> str:
        query_id = f"{user_id}{next(self._query_ids):08d}"
        self.queries[query_id] = {"user_id": user_id, "at": time.monotonic(), "answered": False}
        return query_id

    # --- updates ------------------------------------------------------------------------

    def push_update(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = self.queue.next_update_id()
        self.queue.push({"update_id": update_id, kind: payload})
        return update_id

    def push_raw(self, update: Any, *, filtered: bool = False, assign_id: bool = True) -> Any:
        """Deliver any JSON value as an update, unchecked (for hostile-input tests).

        A JSON object without "update_id" gets the next one (unless `assign_id` is False);
        a given update_id is kept as it is and does not move the counter (a huge one makes
        later updates look old to an offset, as a poller would see it). An update without
        an integer update_id is forgotten once delivered. Raw updates ignore
        allowed_updates unless `filtered`. Returns the update's update_id (None if none).
        """
        if assign_id and isinstance(update, dict) and "update_id" not in update:
            update = {"update_id": self.queue.next_update_id(), **update}
        self.queue.push(update, filtered=filtered)
        return update.get("update_id") if isinstance(update, dict) else None

    @property
    def updates(self) -> list[Any]:
        """Pending updates (not yet confirmed or acknowledged), in order."""
        return [p.update for p in self.queue.pending]

    @property
    def last_update_id(self) -> int:
        return self.queue.last_update_id

    @property
    def pending_updates(self) -> int:
        return len(self.queue.pending)

    @property
    def dropped_updates(self) -> list[Any]:
        return self.queue.dropped

    def confirm_below(self, offset: int) -> None:
        self.queue.confirm_below(offset)

    def keep_last(self, count: int) -> None:
        self.queue.keep_last(count)

    def clear_updates(self) -> None:
        self.queue.clear()

    def available(self, allowed: list[str] | None) -> list[Pending]:
        return self.queue.available(allowed)

    def settle(self, entry: Pending, *, dropped: bool = False) -> None:
        self.queue.settle(entry, dropped=dropped)

    def notify(self) -> None:
        self.queue.notify()

    async def wait_change(self, seconds: float) -> None:
        await self.queue.wait_change(seconds)

    async def wait_delivered(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Return once every update made so far is confirmed (polling) or acknowledged (webhook)."""
        await self.queue.wait_delivered(timeout)


def _body(msg: ChatMessage) -> dict[str, Any]:
    """Text, caption and media fields of a message."""
    data: dict[str, Any] = {}
    if msg.media is not None and msg.from_bot:
        data.update(media_fields(msg.media))
    data.update(msg.content)
    text_key, entities_key = ("caption", "caption_entities") if msg.media else ("text", "entities")
    if msg.text is not None and text_key not in data:
        data[text_key] = msg.text
    if msg.entities:
        data[entities_key] = msg.entities
    return data
