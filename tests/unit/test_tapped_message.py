"""A tap's update is parsed with its message cut to what the handler reads
(bot/telegram/updates.py): which message, which chat, inaccessible or not, picture or not."""

from __future__ import annotations

from typing import Any

from telegram import Bot, Message, Update

from bot.telegram.handlers import _has_media
from bot.telegram.updates import parse_update

BOT = Bot("123456:TEST")
CHAT = {"id": 42, "type": "private", "first_name": "Alex"}
USER = {"id": 42, "is_bot": False, "first_name": "Alex"}
BUTTONS = {"inline_keyboard": [[{"text": "Next", "callback_data": "s:1:0:next"}]]}
THUMB = {"file_id": "t", "file_unique_id": "tu", "width": 90, "height": 90}


def _tap(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "update_id": 7,
        "callback_query": {
            "id": "q1",
            "from": USER,
            "chat_instance": "ci",
            "data": "s:1:0:next",
            "message": message,
        },
    }


def _message(**media: Any) -> dict[str, Any]:
    return {
        "message_id": 9,
        "date": 1_700_000_000,
        "chat": CHAT,
        "from": {"id": 1, "is_bot": True, "first_name": "Bot"},
        "caption": "Step 1",
        "caption_entities": [{"type": "bold", "offset": 0, "length": 4}],
        "reply_markup": BUTTONS,
        **media,
    }


def test_a_tapped_animation_keeps_what_the_handler_reads_and_nothing_more() -> None:
    animation = {
        "file_id": "a",
        "file_unique_id": "au",
        "width": 320,
        "height": 240,
        "duration": 3,
        "thumbnail": THUMB,
    }
    update = parse_update(_tap(_message(animation=animation)), BOT)
    assert update is not None and update.callback_query is not None
    message = update.callback_query.message
    assert isinstance(message, Message)
    assert (message.message_id, message.chat.id, message.chat.type) == (9, 42, "private")
    assert _has_media(message)
    assert message.animation is not None and message.animation.thumbnail is None
    assert message.reply_markup is None and message.caption is None
    assert update.callback_query.data == "s:1:0:next"
    assert update.effective_user is not None and update.effective_user.id == 42


def test_a_tapped_photo_keeps_one_size_and_a_text_message_no_picture() -> None:
    sizes = [THUMB, {**THUMB, "file_id": "big", "width": 800, "height": 600}]
    update = parse_update(_tap(_message(photo=sizes)), BOT)
    assert update is not None and update.callback_query is not None
    photo_message = update.callback_query.message
    assert isinstance(photo_message, Message) and _has_media(photo_message)
    assert [size.file_id for size in photo_message.photo] == ["big"]
    text = parse_update(_tap({**_message(), "text": "Hello"}), BOT)
    assert text is not None and text.callback_query is not None
    assert text.callback_query.message is not None
    assert not _has_media(text.callback_query.message)


def test_what_the_handler_reads_is_what_ptb_reads_from_the_whole_message() -> None:
    animation = {"file_id": "a", "file_unique_id": "au", "width": 1, "height": 1, "duration": 1}
    for message in (
        _message(animation={**animation, "thumbnail": THUMB}),
        _message(photo=[THUMB]),
        {**_message(), "text": "Hello"},
        {"message_id": 9, "date": 0, "chat": CHAT},  # inaccessible
    ):
        lean = parse_update(_tap(message), BOT)
        whole = Update.de_json(_tap(message), BOT)
        assert lean is not None and lean.callback_query is not None
        assert whole.callback_query is not None
        cut, full = lean.callback_query.message, whole.callback_query.message
        assert cut is not None and full is not None
        assert type(cut) is type(full)
        assert (cut.message_id, cut.chat, cut.date) == (full.message_id, full.chat, full.date)
        assert _has_media(cut) == _has_media(full)


def test_other_updates_and_odd_shapes_are_parsed_as_they_come() -> None:
    text = {"update_id": 8, "message": {**_message(), "text": "hi"}}
    update = parse_update(text, BOT)
    assert update is not None and update.message is not None
    assert update.message.reply_markup is not None  # only a tapped message is cut
    no_message = parse_update(
        {"update_id": 9, "callback_query": {**_tap({})["callback_query"], "message": None}}, BOT
    )
    assert no_message is not None and no_message.callback_query is not None
    assert no_message.callback_query.message is None
    assert parse_update({"update_id": 10, "callback_query": "junk"}, BOT) is None
