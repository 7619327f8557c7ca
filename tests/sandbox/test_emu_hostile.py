"""Hostile and unusual updates: raw injection (no checks), and the less common kinds."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import telegram
from emu_helpers import Api, Receiver

from bot.sandbox.control import SandboxClient
from bot.sandbox.emulator import Emulator

KB = {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]}


@pytest.fixture
async def bot(emu: Emulator) -> AsyncIterator[telegram.Bot]:
    client = telegram.Bot(emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url)
    async with client:
        yield client


# --- raw injection -------------------------------------------------------------------------


async def test_raw_updates_get_ids_unless_given(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    assert emu.world.push_raw({"message": {"text": "no chat, no date"}}) == 1
    assert emu.world.push_raw({"update_id": 500, "message": "not an object"}) == 500
    assert user.send_text("hi") == 2  # a given id does not move the counter
    result = (await api("getUpdates")).result
    assert result[0] == {"update_id": 1, "message": {"text": "no chat, no date"}}
    assert result[1] == {"update_id": 500, "message": "not an object"}
    assert [u["update_id"] for u in result] == [1, 500, 2]


async def test_raw_updates_skip_allowed_updates_unless_filtered(api: Api, emu: Emulator) -> None:
    emu.world.push_raw({"surprise": {"a": 1}})
    emu.world.push_raw({"poll": {"id": "x"}}, filtered=True)
    emu.world.push_raw({"message": {"x": 1}}, filtered=True)
    reply = await api("getUpdates", allowed_updates=["message"])
    assert [list(u)[1] for u in reply.result] == ["surprise", "message"]


async def test_values_that_are_not_updates_at_all(api: Api, emu: Emulator) -> None:
    emu.world.push_raw([1, 2])
    emu.world.push_raw(None)
    emu.world.push_raw("text")
    emu.world.push_raw({"no": "id"}, assign_id=False)
    emu.world.push_raw({"update_id": "abc"})
    first = (await api("getUpdates")).result
    assert first == [[1, 2], None, "text", {"no": "id"}, {"update_id": "abc"}]
    # without an integer update_id no offset can confirm them: they go once delivered
    assert (await api("getUpdates")).result == []
    await emu.world.wait_delivered(timeout=0.5)


async def test_a_malformed_update_is_redelivered_until_confirmed(api: Api, emu: Emulator) -> None:
    """A poison update stays until an offset passes it, as any update does: a bot that
    cannot parse it and so never moves its offset gets it again and again."""
    user = emu.world.create_user()
    emu.world.push_raw({"message": {"text": "x"}})
    user.send_text("after")
    for _ in range(3):
        assert [u["update_id"] for u in (await api("getUpdates")).result] == [1, 2]
    assert [u["update_id"] for u in (await api("getUpdates", offset=2)).result] == [2]


async def test_huge_update_id_makes_later_updates_look_old(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    huge = 2**62
    emu.world.push_raw({"update_id": huge, "message": {"text": "x"}})
    [update] = (await api("getUpdates")).result
    assert update["update_id"] == huge
    user.send_text("lost")  # id 1, below the offset the bot will send next
    assert (await api("getUpdates", offset=huge + 1)).result == []
    assert emu.world.pending_updates == 0


async def test_raw_updates_reach_the_webhook_as_they_are(api: Api, emu: Emulator) -> None:
    receiver = Receiver()
    await receiver.start()
    try:
        await api("setWebhook", url=receiver.url, allowed_updates=["message"])
        emu.world.push_raw({"update_id": 7, "weird": True})
        emu.world.push_raw([1, 2])
        await emu.world.wait_delivered(timeout=3)
        assert [body for body, _, _ in receiver.seen] == [{"update_id": 7, "weird": True}, [1, 2]]
    finally:
        assert receiver.runner is not None
        await receiver.runner.cleanup()


async def test_control_api_pushes_any_json(api: Api, emu: Emulator) -> None:
    async with SandboxClient(emu.url) as ctl:
        assert await ctl.push_raw({"message": {"text": "x"}}) == 1
        assert await ctl.push_raw({"update_id": "abc"}) == "abc"
        assert await ctl.push_raw(None) is None
        assert await ctl.push_raw({"a": 1}, assign_id=False) is None
        assert await ctl.push_raw({"b": 1}, filtered=True) == 2
    result = (await api("getUpdates", allowed_updates=["message"])).result
    assert result == [
        {"update_id": 1, "message": {"text": "x"}},
        {"update_id": "abc"},
        None,
        {"a": 1},
    ]


# --- unusual updates from simulated users, as PTB parses them -----------------------------


async def test_user_media_and_content_parse_in_ptb(bot: telegram.Bot, emu: Emulator) -> None:
    user = emu.world.create_user()
    user.send_photo("knee.jpg", "Is this swollen?", width=1000, height=800)
    user.send_sticker()
    user.send_voice(duration=4)
    user.send_contact("+15550100")
    user.send_poll("Best time?", ["Morning", "Evening"])
    messages = [u.message for u in await bot.get_updates()]
    photo, sticker, voice, contact, poll = messages
    assert photo.caption == "Is this swollen?"
    assert (photo.photo[-1].width, photo.photo[-1].height) == (1000, 800)
    assert sticker.sticker.emoji == "👍"
    assert voice.voice.mime_type == "audio/ogg"
    assert (contact.contact.phone_number, contact.contact.user_id) == ("+15550100", user.id)
    assert [o.text for o in poll.poll.options] == ["Morning", "Evening"]
    assert [e.kind for e in emu.world.events] == [
        "user_media",
        "user_text",
        "user_media",
        "user_contact",
        "user_poll",
    ]
    assert user.messages[0].file_name == "knee.jpg"
    # the user's photo can be sent on by the bot with its file_id
    sent = await bot.send_photo(user.id, photo.photo[-1].file_id)
    assert user.last_bot_message().file_name == "knee.jpg"
    assert sent.photo[-1].file_unique_id == photo.photo[-1].file_unique_id


async def test_edited_message_and_inline_query(bot: telegram.Bot, emu: Emulator) -> None:
    user = emu.world.create_user()
    user.send_text("my knee is fine")
    user.edit_text(1, "my knee hurts")
    user.inline_query("exercises", offset="10")
    _, edited, inline = await bot.get_updates()
    assert edited.edited_message.text == "my knee hurts"
    assert edited.edited_message.edit_date is not None
    assert (inline.inline_query.query, inline.inline_query.offset) == ("exercises", "10")
    assert user.messages[0].edits == ["my knee is fine"]
    with pytest.raises(ValueError, match="no message"):
        user.edit_text(99, "x")


async def test_callbacks_without_a_usable_message(
    api: Api, bot: telegram.Bot, emu: Emulator
) -> None:
    user = emu.world.create_user()
    user.tap_inline("AgAAAInline1", "d:1")
    user.tap_inaccessible(42, "old:7")
    raw = [u["callback_query"] for u in emu.world.updates]
    assert "message" not in raw[0]
    assert raw[1]["message"] == {"chat": user.as_chat(), "message_id": 42, "date": 0}
    inline, inaccessible = (u.callback_query for u in await bot.get_updates())
    assert inline.message is None and inline.inline_message_id == "AgAAAInline1"
    assert inaccessible.message is not None
    assert inaccessible.message.is_accessible is False  # date 0 marks it, as in the Bot API
    assert (inaccessible.message.message_id, inaccessible.data) == (42, "old:7")
    answer = await api("answerCallbackQuery", callback_query_id=inline.id, text="ok")
    assert answer.result is True


async def test_block_and_unblock_are_my_chat_member_updates(
    bot: telegram.Bot, emu: Emulator
) -> None:
    user = emu.world.create_user()
    assert user.block() == 1
    assert user.block() is None  # already blocked: nothing new
    assert user.unblock() == 2
    blocked, unblocked = (u.my_chat_member for u in await bot.get_updates())
    assert (blocked.old_chat_member.status, blocked.new_chat_member.status) == ("member", "kicked")
    assert blocked.new_chat_member.user.id == emu.bot_user["id"]
    assert blocked.from_user.id == user.id and blocked.chat.type == "private"
    assert unblocked.new_chat_member.status == "member"


async def test_group_member_updates_parse_in_ptb(bot: telegram.Bot, emu: Emulator) -> None:
    ann, bob = emu.world.create_user(), emu.world.create_user()
    channel = emu.world.create_channel("News")
    group = emu.world.create_group("Class", [ann])
    group.add_member(bob)
    channel.remove_bot(ann)
    updates = await bot.get_updates(allowed_updates=["chat_member", "my_chat_member"])
    joined, removed = updates
    assert joined.chat_member.new_chat_member.user.id == bob.id
    assert removed.my_chat_member.old_chat_member.status == "administrator"
    assert removed.my_chat_member.old_chat_member.can_delete_messages is True
