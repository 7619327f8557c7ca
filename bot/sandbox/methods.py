"""What each emulated Bot API method does to the simulated world."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.sandbox import errors as e
from bot.sandbox.chats import Conversation, SimChat
from bot.sandbox.errors import ApiError, bad_request, forbidden
from bot.sandbox.markup import parse, strip_text
from bot.sandbox.media import SENDABLE, media_summary
from bot.sandbox.models import ChatMessage, StoredFile, buttons_of
from bot.sandbox.validation import ATTACHMENTS

if TYPE_CHECKING:
    from bot.sandbox.emulator import Emulator

Handler = Callable[["Emulator", dict[str, Any]], Awaitable[Any]]

CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
UPDATE_KINDS = {
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
}
_COMMAND_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


def _chat(emu: Emulator, params: dict[str, Any], *, rate_limited: bool = False) -> Conversation:
    """The target chat; raises Telegram's errors for unknown, blocked or left chats."""
    raw = params.get("chat_id")
    if raw is None or raw == "":
        raise bad_request(e.CHAT_ID_EMPTY)
    where = emu.world.conversation(raw)
    if where is None:
        raise bad_request(e.CHAT_NOT_FOUND)
    refusal = where.refusal()
    if refusal is not None:
        raise forbidden(refusal)
    if rate_limited and emu.limiter is not None:
        emu.limiter.check(where.id)
    return where


def _text(
    params: dict[str, Any], key: str, limit: int, too_long: str, *, allow_empty: bool = False
) -> tuple[str, list[dict[str, Any]]]:
    raw = params.get(key) or ""
    parse_mode = params.get("parse_mode")
    if parse_mode:
        text, entities = parse(raw, parse_mode)
    else:
        given = params.get("caption_entities" if key == "caption" else "entities") or []
        text, entities = strip_text(raw, list(given))
    if not text and not allow_empty:
        raise bad_request(e.TEXT_EMPTY)
    if len(text) > limit:
        raise bad_request(too_long)
    return text, entities


def _markup(params: dict[str, Any]) -> dict[str, Any] | None:
    markup = params.get("reply_markup")
    return markup if markup else None


def _bot_message(
    emu: Emulator,
    where: Conversation,
    text: str | None,
    entities: list[dict[str, Any]],
    markup: dict[str, Any] | None,
    *,
    media: StoredFile | None = None,
) -> ChatMessage:
    msg = where.add(
        ChatMessage(
            message_id=where.next_message_id(),
            from_bot=True,
            text=text,
            date=emu.world.now(),
            entities=entities,
            buttons=buttons_of(markup),
            reply_markup=markup,
            media=media,
        )
    )
    emu.world.sent.append(msg)
    return msg


def _record(emu: Emulator, kind: str, where: Conversation, msg: ChatMessage, **extra: Any) -> None:
    """A transcript event for a bot message; media messages carry their kind and file name."""
    if msg.media is not None:
        extra["media"] = media_summary(msg.media)
    emu.world.record(
        kind, where.id, text=msg.text, buttons=msg.labels, message_id=msg.message_id, extra=extra
    )


async def get_me(emu: Emulator, params: dict[str, Any]) -> Any:
    return emu.bot_user


async def send_message(emu: Emulator, params: dict[str, Any]) -> Any:
    where = _chat(emu, params, rate_limited=True)
    text, entities = _text(params, "text", 4096, e.TEXT_TOO_LONG)
    msg = _bot_message(emu, where, text, entities, _markup(params))
    _record(emu, "bot_message", where, msg)
    return emu.world.message_json(where, msg)


def _media_sender(kind: str) -> Handler:
    """sendPhoto, sendAnimation, sendVideo and sendDocument: one file, an optional caption."""

    async def send(emu: Emulator, params: dict[str, Any]) -> Any:
        where = _chat(emu, params, rate_limited=True)
        caption, entities = _text(params, "caption", 1024, e.CAPTION_TOO_LONG, allow_empty=True)
        stored = emu.world.files.resolve(kind, params[kind], params)
        msg = _bot_message(emu, where, caption or None, entities, _markup(params), media=stored)
        _record(emu, f"bot_{kind}", where, msg)
        return emu.world.message_json(where, msg)

    send.__name__ = f"send_{kind}"
    return send


def _target(
    emu: Emulator, params: dict[str, Any], missing: str
) -> tuple[Conversation, ChatMessage]:
    if params.get("inline_message_id"):
        raise ApiError(501, "Not Implemented: inline messages are not emulated")
    where = _chat(emu, params)
    message_id = params.get("message_id")
    if message_id is None:
        raise bad_request(e.MESSAGE_ID_MISSING)
    msg = where.chat.get(message_id)
    if msg is None or msg.deleted:
        raise bad_request(missing)
    return where, msg


def _editable(emu: Emulator, params: dict[str, Any]) -> tuple[Conversation, ChatMessage]:
    """The bot's own message named by an edit call (rate limited like a send)."""
    where, msg = _target(emu, params, e.EDIT_NOT_FOUND)
    if emu.limiter is not None:
        emu.limiter.check(where.id)
    if not msg.from_bot:
        raise bad_request(e.CANT_EDIT)
    return where, msg


def _apply_edit(
    emu: Emulator,
    where: Conversation,
    msg: ChatMessage,
    text: str | None,
    entities: list[dict[str, Any]],
    markup: dict[str, Any] | None,
    **extra: Any,
) -> Any:
    """Replace text (or caption) and keyboard (omitted = removed, as in Telegram)."""
    msg.edits.append(msg.text)
    msg.text, msg.entities = text, entities
    msg.reply_markup, msg.buttons = markup, buttons_of(markup)
    msg.edit_date = emu.world.now()
    _record(emu, "bot_edit", where, msg, **extra)
    return emu.world.message_json(where, msg)


async def edit_message_text(emu: Emulator, params: dict[str, Any]) -> Any:
    where, msg = _target(emu, params, e.EDIT_NOT_FOUND)
    if emu.limiter is not None:
        emu.limiter.check(where.id)
    text, entities = _text(params, "text", 4096, e.EDIT_TOO_LONG)
    if not msg.from_bot:
        raise bad_request(e.CANT_EDIT)
    if msg.media is not None:
        raise bad_request(e.NO_TEXT_TO_EDIT)
    markup = _markup(params)
    if text == msg.text and entities == msg.entities and markup == msg.reply_markup:
        raise bad_request(e.NOT_MODIFIED)
    return _apply_edit(emu, where, msg, text, entities, markup)


async def edit_message_caption(emu: Emulator, params: dict[str, Any]) -> Any:
    where, msg = _editable(emu, params)
    if msg.media is None:
        raise bad_request(e.NO_CAPTION_TO_EDIT)
    caption, entities = _text(params, "caption", 1024, e.EDIT_CAPTION_TOO_LONG, allow_empty=True)
    markup = _markup(params)
    text = caption or None
    if text == msg.text and entities == msg.entities and markup == msg.reply_markup:
        raise bad_request(e.NOT_MODIFIED)
    return _apply_edit(emu, where, msg, text, entities, markup, caption=True)


async def edit_message_media(emu: Emulator, params: dict[str, Any]) -> Any:
    """New media for a media message, or media in place of a text (Bot API 10.1 allows it).

    The caption comes from the InputMedia (none given: no caption), the keyboard from
    reply_markup (omitted: removed), as with Telegram's other edits.
    """
    where, msg = _editable(emu, params)
    media = params["media"]
    kind = _input_media_kind(media)
    ref = _input_media_file(media, params)
    emu.validator.check("media", f"InputMedia{kind.title()}", media)
    if "caption_entities" in media:
        emu.validator.check("caption_entities", "Array of MessageEntity", media["caption_entities"])
    caption, entities = _text(media, "caption", 1024, e.EDIT_CAPTION_TOO_LONG, allow_empty=True)
    stored = emu.world.files.resolve(kind, ref, media)
    markup = _markup(params)
    text = caption or None
    same_file = msg.media is not None and msg.media.file_id == stored.file_id
    if same_file and text == msg.text and entities == msg.entities and markup == msg.reply_markup:
        raise bad_request(e.NOT_MODIFIED)
    msg.media = stored
    return _apply_edit(emu, where, msg, text, entities, markup)


def _input_media_kind(media: Any) -> str:
    """The InputMedia's type, with the Bot API server's wording for what it cannot use."""
    if not isinstance(media, dict):
        raise bad_request("can't parse InputMedia: expected an Object")
    kind = media.get("type")
    if not isinstance(kind, str):
        raise bad_request('can\'t parse InputMedia: Field "type" must be of type String')
    if kind in ("audio", "live_photo"):
        raise ApiError(501, f"Not Implemented: media type {kind} is not emulated")
    if kind not in SENDABLE:
        raise bad_request(f'can\'t parse InputMedia: type "{kind}" is unsupported')
    return kind


def _input_media_file(media: dict[str, Any], params: dict[str, Any]) -> Any:
    """The file an InputMedia names: "attach://<part>", a file_id or a URL."""
    ref = media.get("media")
    if not isinstance(ref, str) or not ref:
        raise bad_request("can't parse InputMedia: media not found")
    if ref.startswith("attach://"):
        part = params.get(ATTACHMENTS, {}).get(ref.removeprefix("attach://"))
        if part is None:
            raise bad_request("can't parse InputMedia: media not found")
        return part
    return ref


async def edit_message_reply_markup(emu: Emulator, params: dict[str, Any]) -> Any:
    where, msg = _target(emu, params, e.EDIT_NOT_FOUND)
    if not msg.from_bot:
        raise bad_request(e.CANT_EDIT)
    markup = _markup(params)
    if markup == msg.reply_markup:
        raise bad_request(e.NOT_MODIFIED)
    msg.reply_markup, msg.buttons = markup, buttons_of(markup)
    msg.edit_date = emu.world.now()
    _record(emu, "bot_edit", where, msg, markup_only=True)
    return emu.world.message_json(where, msg)


async def delete_message(emu: Emulator, params: dict[str, Any]) -> Any:
    where, msg = _target(emu, params, e.DELETE_NOT_FOUND)
    if isinstance(where, SimChat) and not msg.from_bot and not where.bot_is_admin:
        raise bad_request("message can't be deleted")
    msg.deleted = True
    emu.world.record("bot_delete", where.id, text=msg.text, message_id=msg.message_id)
    return True


async def answer_callback_query(emu: Emulator, params: dict[str, Any]) -> Any:
    query = emu.world.queries.get(params["callback_query_id"])
    if (
        query is None
        or query["answered"]
        or time.monotonic() - query["at"] > emu.callback_answer_window
    ):
        raise bad_request(e.QUERY_INVALID)
    text = params.get("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query["answered"] = True
    user = emu.world.users[query["user_id"]]
    if text:
        user.toasts.append(text)
    kind = "bot_alert" if params.get("show_alert") else "bot_toast"
    emu.world.record(kind, user.id, text=text, extra={"query_id": params["callback_query_id"]})
    return True


async def send_chat_action(emu: Emulator, params: dict[str, Any]) -> Any:
    _chat(emu, params)
    if params["action"] not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return (str(sorted(scope.items())), params.get("language_code") or "")


async def set_my_commands(emu: Emulator, params: dict[str, Any]) -> Any:
    commands = params["commands"]
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for cmd in commands:
        name = cmd["command"]
        if not 1 <= len(name) <= 32 or not set(name) <= _COMMAND_CHARS:
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(cmd["description"]) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    emu.commands[_commands_key(params)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


async def get_my_commands(emu: Emulator, params: dict[str, Any]) -> Any:
    return emu.commands.get(_commands_key(params), [])


async def delete_my_commands(emu: Emulator, params: dict[str, Any]) -> Any:
    emu.commands.pop(_commands_key(params), None)
    return True


def _allowed(params: dict[str, Any]) -> list[str] | None:
    allowed = params.get("allowed_updates")
    if allowed is None:
        return None
    unknown = [kind for kind in allowed if kind not in UPDATE_KINDS]
    if unknown:
        raise bad_request(f'unknown update type "{unknown[0]}" in allowed_updates')
    return list(allowed)


async def get_updates(emu: Emulator, params: dict[str, Any]) -> Any:
    if emu.webhook.url:
        raise ApiError(409, e.WEBHOOK_CONFLICT)
    world = emu.world
    allowed = _allowed(params)
    if allowed is not None:
        world.allowed_updates = allowed
    offset = params.get("offset")
    if offset is not None and offset > 0:
        world.confirm_below(offset)
    elif offset is not None and offset < 0:  # Telegram: keep only the last -offset updates
        world.keep_last(-offset)
    limit = min(max(params.get("limit") or 100, 1), 100)
    timeout = max(params.get("timeout") or 0, 0)
    emu.poll_generation += 1
    generation = emu.poll_generation
    world.notify()  # an older long poll still waiting ends with a 409 conflict
    deadline = time.monotonic() + timeout
    while True:
        if generation != emu.poll_generation:
            raise ApiError(409, e.POLL_CONFLICT)
        ready = world.available(world.allowed_updates)
        if ready or emu.webhook.url or emu.closing:
            batch = ready[:limit]
            world.queue.delivered(batch)
            return [entry.update for entry in batch]
        left = deadline - time.monotonic()
        if left <= 0:
            return []
        await world.wait_change(left)


async def set_webhook(emu: Emulator, params: dict[str, Any]) -> Any:
    url = params["url"]
    if not url.startswith(("https://", "http://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.get("secret_token")
    if secret is not None and (
        not 1 <= len(secret) <= 256
        or not all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in secret)
    ):
        raise bad_request("secret token contains unallowed characters")
    allowed = _allowed(params)
    if params.get("drop_pending_updates"):
        emu.world.clear_updates()
    emu.webhook.configure(
        url=url,
        secret_token=secret,
        allowed_updates=allowed,
        max_connections=params.get("max_connections") or 40,
    )
    emu.world.allowed_updates = allowed if allowed is not None else emu.world.allowed_updates
    emu.world.notify()  # wake a long poll so it sees the conflict
    return True


async def delete_webhook(emu: Emulator, params: dict[str, Any]) -> Any:
    if params.get("drop_pending_updates"):
        emu.world.clear_updates()
    await emu.webhook.remove()
    return True


async def get_webhook_info(emu: Emulator, params: dict[str, Any]) -> Any:
    return emu.webhook.info(emu.world.pending_updates)


async def log_out(emu: Emulator, params: dict[str, Any]) -> Any:
    return True


async def close(emu: Emulator, params: dict[str, Any]) -> Any:
    return True


HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "sendMessage": send_message,
    "sendPhoto": _media_sender("photo"),
    "sendAnimation": _media_sender("animation"),
    "sendVideo": _media_sender("video"),
    "sendDocument": _media_sender("document"),
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageMedia": edit_message_media,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "answerCallbackQuery": answer_callback_query,
    "sendChatAction": send_chat_action,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "logOut": log_out,
    "close": close,
}
