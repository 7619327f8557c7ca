"""Screens and replies into Bot API calls, delivered as reliably as the content deserves.

- An edit is idempotent, so it is retried on network errors and timeouts; an edit Telegram
  refuses (the message was deleted, is too old, or is not a text message) falls back to a
  new message, so the patient always sees the new screen; so does an edit that keeps
  failing when the reply carries safety advice.
- A new message is retried on connection errors. After a timeout the message may well
  have arrived, so it is sent again only when the reply must arrive (safety advice): a
  duplicate advice is better than none.
- Other chats (``notify``) and stale keyboards are best effort: their failure never stops
  the patient's own reply.
- A screen with a picture (``Screen.media``) is a photo or animation message with the
  text as its caption (bot/telegram/media.py uploads each file once). A picture message is
  edited in place with ``editMessageMedia``; between a text and a picture message there is
  no edit: a new message, and the old one loses its buttons (docs/ARCHITECTURE.md,
  "Pictures in the session"). Without a ``MediaLibrary``, or when the picture cannot be
  sent, the screen is text with the picture's description.
"""

from __future__ import annotations

import dataclasses
import logging

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError

from bot.core.callbacks import encode
from bot.core.screens import Screen
from bot.services.replies import Document, Photo, Reply
from bot.telegram import calls
from bot.telegram.media import MediaLibrary, MediaUnavailable, text_instead
from bot.telegram.retries import with_retries

log = logging.getLogger(__name__)


def markup(screen: Screen) -> InlineKeyboardMarkup | None:
    if not screen.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=encode(b.callback)) for b in row]
            for row in screen.buttons
        ]
    )


def _not_modified(error: BadRequest) -> bool:
    return "message is not modified" in str(error).lower()


def _no_text_to_edit(error: BadRequest) -> bool:
    """editMessageText on a picture message: the tapped message was a picture after all."""
    return "no text in the message to edit" in str(error).lower()


def as_text(screen: Screen) -> Screen:
    """The screen without its picture: the picture's description follows the text."""
    if screen.media is None:
        return screen
    return dataclasses.replace(
        screen, text=text_instead(screen.text, screen.media.description), media=None
    )


def shows_picture(screen: Screen, media: MediaLibrary | None) -> bool:
    """Whether the screen goes out as a picture message (given a library to send it)."""
    return screen.media is not None and media is not None


async def send(
    bot: Bot,
    chat_id: int,
    screen: Screen,
    *,
    must_arrive: bool = False,
    paid_broadcast: bool = False,
    media: MediaLibrary | None = None,
) -> Message:
    """A new message (a picture message when the screen has one and a library is given).
    ``paid_broadcast`` lifts Telegram's 30/s bulk limit to 1,000/s for a fee (reminders in
    very large deployments; PTB's rate limiter follows it)."""
    if screen.media is not None and media is not None:
        return await media.send_media(
            bot, chat_id, screen.media, screen.text, markup(screen), must_arrive=must_arrive
        )
    screen = as_text(screen)

    async def call() -> Message:
        return await bot.send_message(
            chat_id,
            screen.text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup(screen),
            allow_paid_broadcast=paid_broadcast or None,
        )

    return await with_retries(call, retry_timeouts=must_arrive)


def markup_data(screen: Screen) -> dict[str, object] | None:
    """The keyboard as Bot API data (what ``markup`` builds, without PTB objects)."""
    if not screen.buttons:
        return None
    return {
        "inline_keyboard": [
            [{"text": b.label, "callback_data": encode(b.callback)} for b in row]
            for row in screen.buttons
        ]
    }


async def send_bulk(
    bot: Bot, chat_id: int, screen: Screen, *, paid_broadcast: bool = False
) -> None:
    """A text message whose sent ``Message`` nobody reads: reminders, many at a time.

    The same ``sendMessage`` call as :func:`send`, on the lean call path of
    ``bot/telegram/calls.py``: our rate limiter and its 429 handling, PTB's mapping of
    Telegram's answers to errors (``RetryAfter``, ``Forbidden``, ``TimedOut``...), the same
    retries. Left out: PTB objects for the keyboard, PTB's per-parameter encoding and
    parsing the answer into a ``Message`` (docs/BENCHMARKS.md). The screen is sent as text
    (no media library).
    """
    screen = as_text(screen)
    data: dict[str, object] = {
        "chat_id": chat_id,
        "text": screen.text,
        "parse_mode": ParseMode.HTML,
        "reply_markup": markup_data(screen),
        "allow_paid_broadcast": paid_broadcast or None,
    }

    async def call() -> None:
        await calls.post(bot, "sendMessage", data)

    await with_retries(call, retry_timeouts=False)


async def send_document(bot: Bot, chat_id: int, document: Document) -> Message:
    """A file (retried on connection errors, like any new message)."""

    async def call() -> Message:
        return await bot.send_document(
            chat_id,
            InputFile(document.data, filename=document.filename),
            caption=document.caption or None,
        )

    return await with_retries(call, retry_timeouts=False)


async def send_photo(bot: Bot, chat_id: int, photo: Photo) -> Message:
    """A picture made for the reply (a chart), uploaded each time: it is never the same."""

    async def call() -> Message:
        return await bot.send_photo(
            chat_id,
            InputFile(photo.data, filename=photo.filename),
            caption=photo.caption or None,
        )

    return await with_retries(call, retry_timeouts=False)


async def edit(
    bot: Bot,
    chat_id: int,
    message_id: int,
    screen: Screen,
    *,
    media: MediaLibrary | None = None,
) -> None:
    """Replace a message's text and buttons, or a picture message's picture, caption and
    buttons; BadRequest if Telegram refuses the edit, MediaUnavailable if the picture
    cannot be sent (the message is unchanged)."""
    if screen.media is not None and media is not None:
        await media.edit_media(
            bot, chat_id, message_id, screen.media, screen.text, markup_data(screen)
        )
        return
    screen = as_text(screen)
    # The lean call path, as in send_bulk: nobody reads the edited Message, so neither PTB
    # objects for the keyboard nor parsing the answer (errors and the rate limiter are
    # PTB's as for any call)
    data: dict[str, object] = {
        "chat_id": chat_id,
        "message_id": message_id,
        "text": screen.text,
        "parse_mode": ParseMode.HTML,
        "reply_markup": markup_data(screen),
    }

    async def call() -> None:
        try:
            await calls.post(bot, "editMessageText", data)
        except BadRequest as error:
            if not _not_modified(error):  # the same screen again (a retry that got through)
                raise

    await with_retries(call, retry_timeouts=True)


async def answer(bot: Bot, query_id: str, text: str | None = None) -> None:
    """Answer a tap (its toast, if any) on the lean call path (see ``edit``)."""
    await calls.post(bot, "answerCallbackQuery", {"callback_query_id": query_id, "text": text})


async def strip_buttons(bot: Bot, chat_id: int, message_id: int) -> None:
    """Best effort: an old screen's buttons would only give "stale" answers."""
    try:
        await bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=message_id, reply_markup=None
        )
    except (BadRequest, NetworkError) as error:
        # Already without buttons, deleted by the user, or Telegram is busy.
        log.debug("strip_buttons.skipped", extra={"reason": type(error).__name__})


async def _replace(
    bot: Bot,
    chat_id: int,
    message_id: int,
    screen: Screen,
    *,
    must_arrive: bool,
    media: MediaLibrary | None,
    tapped_has_media: bool,
) -> int:
    """The new screen in place of the tapped message, or as a new message below it; the
    id of the message that shows it now."""
    if shows_picture(screen, media) != tapped_has_media:
        # A picture message has no text to edit, and a text message is not edited into a
        # picture (Telegram long refused it; only recent Bot API versions allow it): a new
        # message, then the old one's buttons go, so only the new screen can be tapped.
        sent = await send(bot, chat_id, screen, must_arrive=must_arrive, media=media)
        await strip_buttons(bot, chat_id, message_id)
        return sent.message_id
    try:
        await edit(bot, chat_id, message_id, screen, media=media)
    except MediaUnavailable:
        # The old picture must not stay under the new step's words: text below instead.
        log.info("edit.picture_unavailable_sent_text")
        sent = await send(bot, chat_id, as_text(screen), must_arrive=must_arrive)
        await strip_buttons(bot, chat_id, message_id)
        return sent.message_id
    except NetworkError as error:
        # Refused (BadRequest), or still failing after retries: a new message
        # instead, when Telegram refused the edit or the reply must arrive.
        if not isinstance(error, BadRequest) and not must_arrive:
            raise
        log.info("edit.failed_sent_instead", extra={"error": type(error).__name__})
        sent = await send(bot, chat_id, screen, must_arrive=must_arrive, media=media)
        if isinstance(error, BadRequest) and _no_text_to_edit(error):
            await strip_buttons(bot, chat_id, message_id)
        return sent.message_id
    return message_id


async def deliver(
    bot: Bot,
    chat_id: int,
    reply: Reply,
    tapped_message_id: int | None = None,
    *,
    media: MediaLibrary | None = None,
    tapped_has_media: bool = False,
) -> list[int]:
    """Carry out a reply (the toast, if any, is answered by the callback handler).

    ``media`` sends screens with pictures as pictures (without it they are text with the
    description); ``tapped_has_media`` says the tapped message is a picture message, so a
    screen with a picture can replace it in place. Returns the ids of the messages that
    show the reply's screens, in order: ``reply.edit``'s (the tapped message, or the new
    one that replaced it), then each of ``reply.send``.
    """
    must_arrive = bool(reply.advice_keys)
    shown: list[int] = []
    if reply.strip_buttons_of is not None and reply.strip_buttons_of != tapped_message_id:
        await strip_buttons(bot, chat_id, reply.strip_buttons_of)
    if reply.edit is not None:
        if tapped_message_id is None:
            message = await send(bot, chat_id, reply.edit, must_arrive=must_arrive, media=media)
            shown.append(message.message_id)
        else:
            moved_to = await _replace(
                bot,
                chat_id,
                tapped_message_id,
                reply.edit,
                must_arrive=must_arrive,
                media=media,
                tapped_has_media=tapped_has_media,
            )
            shown.append(moved_to)
    elif reply.strip_buttons_of is not None and reply.strip_buttons_of == tapped_message_id:
        await strip_buttons(bot, chat_id, tapped_message_id)
    for screen in reply.send:
        message = await send(bot, chat_id, screen, must_arrive=must_arrive, media=media)
        shown.append(message.message_id)
    if reply.document is not None:
        await send_document(bot, chat_id, reply.document)
    if reply.photo is not None:
        try:
            await send_photo(bot, chat_id, reply.photo)
        except Exception as error:  # the reply's texts already carry what it shows
            log.warning("photo.failed", extra={"error": type(error).__name__})
    for other_chat, screen in reply.notify:
        try:
            await send(bot, other_chat, screen)
        except Exception as error:  # another chat's trouble never blocks this reply
            log.warning("notify.failed", extra={"error": type(error).__name__})
    for other_chat, message_id, text in reply.scrub:
        try:
            await edit(bot, other_chat, message_id, Screen(text))
        except Exception as error:  # deleted by the staff already, or Telegram refuses
            log.warning("scrub.failed", extra={"error": type(error).__name__})
    return shown
