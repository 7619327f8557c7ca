"""Pictures into Telegram: each file uploaded once per bot, its file_id reused ever after.

- The key is the bot's id and the SHA-256 of the file's bytes: a file_id is only valid for
  the bot that uploaded it, and a clinic that replaces a picture (same name, new bytes)
  gets it uploaded again. The ids live in the ``media_files`` table, so they survive
  restarts and every instance shares them; a copy in memory saves a query per screen.
- A send by file_id follows render's rules (retried on connection errors, after a
  timeout only when the reply must arrive). If Telegram no longer knows the id, it is
  forgotten and the file uploaded again.
- An upload that fails (after the usual retries of a connection error; a timeout is not
  retried) is not tried again for this screen: the patient gets the screen's text with
  the picture's description instead. A picture must never block a session. A file
  Telegram refuses (400) is not offered again by this process until its bytes change;
  an animation that cannot be sent is replaced by its still, if it has one.
- The table is a cache: if the database cannot answer, the file is uploaded again and the
  patient is not kept waiting for it.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaAnimation,
    InputMediaPhoto,
    Message,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError

from bot.content.media import resolve_media_path
from bot.core.clock import Clock
from bot.core.media import MediaKind, ScreenMedia
from bot.store.database import Database
from bot.telegram import calls
from bot.telegram.retries import with_retries

log = logging.getLogger(__name__)

CAPTION_LIMIT = 1024  # characters of a caption, after Telegram has read its HTML
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Upload:
    """A file's bytes to send, under its own file name."""

    data: bytes
    filename: str

    def input_file(self, *, attach: bool = False) -> InputFile:
        # In an InputMedia (editMessageMedia) the file must be its own multipart part,
        # named by "attach://..."; PTB does that only for an InputFile made with attach.
        return InputFile(self.data, filename=self.filename, attach=attach)


# Sends the file (a file_id, or an Upload) as the given kind; None when the message
# already showed exactly this ("message is not modified").
Call = Callable[[str | Upload, MediaKind], Awaitable[Message | None]]


class MediaUnavailable(Exception):
    """No picture could be shown; the caller shows the text with the description instead."""


def caption_length(text: str) -> int:
    """A caption's length as Telegram counts it: the text without its HTML tags."""
    return len(html.unescape(_TAG.sub("", text)))


def text_instead(text: str, description: str) -> str:
    """A screen's HTML text with its picture's description, where the picture is missing."""
    return f"{text}\n\n🖼 <i>{html.escape(description, quote=False)}</i>"


def bot_id(bot: Bot) -> int:
    """The bot's id: from getMe once the bot is initialised, else the token's first part
    (which is the same number)."""
    try:
        return bot.id
    except RuntimeError:
        return int(bot.token.split(":", 1)[0])


def _file_id(message: Message, kind: MediaKind) -> str | None:
    """The id Telegram gave the file a message shows (a photo's largest size)."""
    if kind == "photo":
        return message.photo[-1].file_id if message.photo else None
    for attachment in (message.animation, message.video, message.document):
        if attachment is not None:
            return attachment.file_id
    return None


def _stale_file_id(error: BadRequest) -> bool:
    """Telegram does not accept a stored id any more (its wording always names the file:
    "wrong file identifier", "can't use file of type ...", "FILE_REFERENCE_EXPIRED")."""
    return "file" in str(error).lower()


_MESSAGE_ERRORS = (
    "message to edit not found",
    "message can't be edited",
    "in the message to edit",  # "there is no media / no text in the message to edit"
    "message_id_invalid",
    "chat not found",
)


def _about_the_message(error: BadRequest) -> bool:
    """Refused for the message or chat, not for the picture: the caller's fallbacks apply
    (a new message for an edit Telegram refuses), not the description."""
    text = str(error).lower()
    return any(reason in text for reason in _MESSAGE_ERRORS)


@dataclass(frozen=True)
class _Hashed:
    file: Path
    mtime_ns: int
    size: int
    sha256: str


class MediaLibrary:
    """Content's pictures for one content directory, sent with ids stored in ``db``."""

    def __init__(self, db: Database, content_dir: Path, clock: Clock) -> None:
        self._db = db
        self._dir = content_dir
        self._clock = clock
        self._hashes: dict[str, _Hashed] = {}  # by the content's media path
        self._ids: dict[tuple[int, str, str], str] = {}  # (bot id, sha256, kind) -> file_id
        self._refused: set[tuple[int, str]] = set()  # (bot id, sha256) Telegram said no to

    async def send_media(
        self,
        bot: Bot,
        chat_id: int,
        media: ScreenMedia,
        caption: str,
        markup: InlineKeyboardMarkup | None,
        *,
        must_arrive: bool = False,
    ) -> Message:
        """A new picture message with ``caption`` (HTML) and buttons; when no picture can
        be sent, a text message with the picture's description instead."""

        async def call(ref: str | Upload, kind: MediaKind) -> Message:
            file = ref.input_file() if isinstance(ref, Upload) else ref
            if kind == "photo":
                return await bot.send_photo(
                    chat_id, file, caption=caption, parse_mode=ParseMode.HTML, reply_markup=markup
                )
            return await bot.send_animation(
                chat_id, file, caption=caption, parse_mode=ParseMode.HTML, reply_markup=markup
            )

        try:
            shown = await self._show(bot, media, caption, call, retry_timeouts=must_arrive)
        except MediaUnavailable:
            text = text_instead(caption, media.description)

            async def instead() -> Message:
                return await bot.send_message(
                    chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
                )

            return await with_retries(instead, retry_timeouts=must_arrive)
        assert shown is not None  # a new message is never "not modified"
        return shown

    async def edit_media(
        self,
        bot: Bot,
        chat_id: int,
        message_id: int,
        media: ScreenMedia,
        caption: str,
        markup: dict[str, object] | None,
    ) -> None:
        """Replace a picture message's picture, caption and buttons (``markup``: the
        keyboard as Bot API data) in place.

        ``MediaUnavailable`` when no picture could be sent (the message is unchanged; the
        caller sends the text instead); ``BadRequest`` when Telegram refuses the edit
        itself (the message is gone, too old, or not a picture)."""

        async def call(ref: str | Upload, kind: MediaKind) -> Message | None:
            try:
                if isinstance(ref, str):
                    # A file Telegram has (every tap but the first upload): the lean
                    # call path, as render.edit - no PTB objects built or parsed
                    await calls.post(
                        bot,
                        "editMessageMedia",
                        {
                            "chat_id": chat_id,
                            "message_id": message_id,
                            "media": {
                                "type": kind,
                                "media": ref,
                                "caption": caption,
                                "parse_mode": ParseMode.HTML,
                            },
                            "reply_markup": markup,
                        },
                    )
                    return None
                shown = (
                    InputMediaPhoto(
                        ref.input_file(attach=True), caption=caption, parse_mode=ParseMode.HTML
                    )
                    if kind == "photo"
                    else InputMediaAnimation(
                        ref.input_file(attach=True), caption=caption, parse_mode=ParseMode.HTML
                    )
                )
                keyboard = InlineKeyboardMarkup.de_json(markup, bot) if markup else None
                edited = await bot.edit_message_media(
                    shown, chat_id=chat_id, message_id=message_id, reply_markup=keyboard
                )
            except BadRequest as error:
                if "message is not modified" in str(error).lower():
                    return None  # the same screen again (a retry that got through)
                raise
            return edited if isinstance(edited, Message) else None

        await self._show(bot, media, caption, call, retry_timeouts=True)

    async def _show(
        self, bot: Bot, media: ScreenMedia, caption: str, call: Call, *, retry_timeouts: bool
    ) -> Message | None:
        if caption_length(caption) > CAPTION_LIMIT:  # check-content prevents it; be safe
            log.warning("media.caption_too_long", extra={"file": media.path})
            raise MediaUnavailable
        candidates: list[tuple[str, MediaKind]] = [(media.path, media.kind)]
        if media.still is not None and media.kind != "photo":
            candidates.append((media.still, "photo"))
        for path, kind in candidates:
            try:
                return await self._one(bot, path, kind, call, retry_timeouts=retry_timeouts)
            except MediaUnavailable:
                continue
        raise MediaUnavailable

    async def _one(
        self, bot: Bot, path: str, kind: MediaKind, call: Call, *, retry_timeouts: bool
    ) -> Message | None:
        try:
            sha256 = await self._locate(path)
        except (OSError, ValueError) as error:
            log.warning("media.unreadable", extra={"file": path, "error": type(error).__name__})
            raise MediaUnavailable from error
        owner = bot_id(bot)
        known = await self._known(owner, sha256, kind)
        if known is not None:
            try:
                return await with_retries(lambda: call(known, kind), retry_timeouts=retry_timeouts)
            except BadRequest as error:
                if _about_the_message(error):
                    raise
                if not _stale_file_id(error):
                    log.warning("media.refused", extra={"file": path, "error": str(error)})
                    raise MediaUnavailable from error
                log.info("media.file_id_stale", extra={"file": path})
                await self._forget(owner, sha256)
        return await self._upload(bot, owner, path, kind, call)

    async def _upload(
        self, bot: Bot, owner: int, path: str, kind: MediaKind, call: Call
    ) -> Message | None:
        try:
            file = resolve_media_path(self._dir, path)  # checked again right before the read
            data = await asyncio.to_thread(file.read_bytes)
        except (OSError, ValueError) as error:
            log.warning("media.unreadable", extra={"file": path, "error": type(error).__name__})
            raise MediaUnavailable from error
        sha256 = hashlib.sha256(data).hexdigest()  # of the bytes sent, whatever changed since
        if (owner, sha256) in self._refused:
            raise MediaUnavailable
        try:
            message = await with_retries(
                lambda: call(Upload(data, file.name), kind), retry_timeouts=False
            )
        except BadRequest as error:
            if _about_the_message(error):
                raise
            if "caption" not in str(error).lower():  # the file itself: not again
                self._refused.add((owner, sha256))
            log.warning("media.upload_refused", extra={"file": path, "error": str(error)})
            raise MediaUnavailable from error
        except NetworkError as error:  # connection errors (retried), timeouts, 5xx, 413
            log.warning("media.upload_failed", extra={"file": path, "error": type(error).__name__})
            raise MediaUnavailable from error
        file_id = _file_id(message, kind) if message is not None else None
        if file_id is not None:
            log.info("media.uploaded", extra={"file": path, "kind": kind, "bytes": len(data)})
            await self._remember(owner, sha256, kind, file_id, path)
        return message

    async def _locate(self, path: str) -> str:
        """The file's hash, computed again only when the file's size or modification
        time moves.

        A path seen before costs one stat; the file is checked again to be inside the
        content directory (``resolve_media_path``) whenever it changed, and before any
        read (``_upload`` checks again). Both are done in place: a thread for them cost
        more than they do, on every tap (docs/BENCHMARKS.md). Reading and hashing a file
        runs in a thread."""
        cached = self._hashes.get(path)
        if cached is not None:
            try:
                stat = cached.file.stat()
            except OSError:
                stat = None
            if stat is not None and (stat.st_mtime_ns, stat.st_size) == (
                cached.mtime_ns,
                cached.size,
            ):
                return cached.sha256
        file = resolve_media_path(self._dir, path)
        stat = file.stat()
        sha256 = await asyncio.to_thread(_sha256, file)
        self._hashes[path] = _Hashed(file, stat.st_mtime_ns, stat.st_size, sha256)
        return sha256

    # The table is a cache: whatever goes wrong with it costs an upload, never a screen.

    async def _known(self, owner: int, sha256: str, kind: MediaKind) -> str | None:
        key = (owner, sha256, kind)
        if key in self._ids:
            return self._ids[key]
        try:
            async with self._db.unit_of_work(read_only=True) as uow:
                found = await uow.media_files.file_id(owner, sha256, kind)
        except Exception as error:
            log.warning("media.cache_unavailable", extra={"error": type(error).__name__})
            return None
        if found is not None:
            self._ids[key] = found
        return found

    async def _remember(
        self, owner: int, sha256: str, kind: MediaKind, file_id: str, path: str
    ) -> None:
        self._ids[(owner, sha256, kind)] = file_id
        try:
            async with self._db.unit_of_work() as uow:
                await uow.media_files.remember(
                    owner, sha256, kind, file_id, path[:255], now=self._clock.now()
                )
                await uow.commit()
        except Exception as error:
            log.warning("media.cache_unavailable", extra={"error": type(error).__name__})

    async def _forget(self, owner: int, sha256: str) -> None:
        for key in [key for key in self._ids if key[:2] == (owner, sha256)]:
            del self._ids[key]
        try:
            async with self._db.unit_of_work() as uow:
                await uow.media_files.forget(owner, sha256)
                await uow.commit()
        except Exception as error:
            log.warning("media.cache_unavailable", extra={"error": type(error).__name__})


def _sha256(file: Path) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()
