"""Groups, supergroups and channels: who wrote where, what the bot sent to which chat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import telegram
from emu_helpers import Api
from telegram import Update
from telegram.error import Forbidden
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.sandbox.control import SandboxClient, SandboxError
from bot.sandbox.emulator import Emulator

KB = {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]}


@pytest.fixture
async def bot(emu: Emulator) -> AsyncIterator[telegram.Bot]:
    client = telegram.Bot(emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url)
    async with client:
        yield client


async def test_members_write_in_the_group(emu: Emulator) -> None:
    ann, bob = emu.world.create_user(first_name="Ann"), emu.world.create_user(first_name="Bob")
    group = emu.world.create_group("Knee class", [ann, bob])
    assert group.id < 0 and group.type == "group"
    ann.send_text("/start@exercise_sandbox_123456_bot", chat=group)
    bob.send_text("my knee hurts", chat=group)
    first, second = (u["message"] for u in emu.world.updates)
    assert first["chat"] == {"id": group.id, "type": "group", "title": "Knee class"}
    assert first["from"]["id"] == ann.id
    assert first["entities"][0]["type"] == "bot_command"
    assert (second["from"]["id"], second["message_id"]) == (bob.id, 2)  # ids count per chat
    assert ann.messages == [] and bob.messages == []  # private chats untouched
    assert [m.sender_id for m in group.messages] == [ann.id, bob.id]
    event = emu.world.events[-1]
    assert (event.user_id, event.chat_id) == (bob.id, group.id)


async def test_only_members_write_and_nobody_writes_in_a_channel(emu: Emulator) -> None:
    ann, eve = emu.world.create_user(), emu.world.create_user()
    group = emu.world.create_group("Class", [ann])
    with pytest.raises(ValueError, match="cannot write"):
        eve.send_text("hi", chat=group)
    channel = emu.world.create_channel("News")
    with pytest.raises(ValueError, match="cannot write"):
        ann.send_text("hi", chat=channel)


async def test_bot_sends_taps_and_edits_in_a_group(bot: telegram.Bot, emu: Emulator) -> None:
    ann, bob = emu.world.create_user(), emu.world.create_user()
    group = emu.world.create_group("Class", [ann, bob])
    sent = await bot.send_message(
        group.id,
        "Anyone?",
        reply_markup=telegram.InlineKeyboardMarkup(
            [[telegram.InlineKeyboardButton("Yes", callback_data="y")]]
        ),
    )
    assert sent.chat.type == "group" and sent.chat.id == group.id
    bob.tap("Yes", chat=group)
    query = emu.world.updates[-1]["callback_query"]
    assert query["from"]["id"] == bob.id
    assert query["message"]["chat"]["id"] == group.id
    assert query["message"]["from"]["is_bot"] is True
    edited = await bot.edit_message_text("Thanks", chat_id=group.id, message_id=sent.message_id)
    assert edited.text == "Thanks"
    assert [m.text for m in group.bot_messages] == ["Thanks"]
    assert ann.bot_messages == [] and bob.bot_messages == []


async def test_sent_by_chat_is_the_world_wide_view(api: Api, emu: Emulator) -> None:
    ann, bob = emu.world.create_user(), emu.world.create_user()
    group = emu.world.create_group("Class", [ann, bob])
    for chat_id, text in ((ann.id, "a1"), (group.id, "g1"), (ann.id, "a2"), (group.id, "g2")):
        await api("sendMessage", chat_id=chat_id, text=text)
    by_chat = emu.world.sent_by_chat()
    assert list(by_chat) == [ann.id, group.id]
    assert [m.text for m in by_chat[ann.id]] == ["a1", "a2"]
    assert [m.text for m in by_chat[group.id]] == ["g1", "g2"]
    assert bob.id not in by_chat  # nothing went to a user who did not ask
    assert [(m.chat_id, m.text) for m in emu.world.sent] == [
        (ann.id, "a1"),
        (group.id, "g1"),
        (ann.id, "a2"),
        (group.id, "g2"),
    ]


@pytest.mark.parametrize(
    ("kind", "description"),
    [
        ("group", "Forbidden: bot was kicked from the group chat"),
        ("supergroup", "Forbidden: bot was kicked from the supergroup chat"),
        ("channel", "Forbidden: bot is not a member of the channel chat"),
    ],
)
async def test_bot_removed_from_a_chat(
    api: Api, emu: Emulator, kind: str, description: str
) -> None:
    ann = emu.world.create_user()
    chat = emu.world.create_group("Somewhere", [ann], kind=kind)
    if kind != "group":
        assert str(chat.id).startswith("-100")
    chat.remove_bot(ann)
    update = emu.world.updates[-1]["my_chat_member"]
    assert update["chat"]["id"] == chat.id
    assert update["new_chat_member"]["status"] == "kicked"
    assert update["new_chat_member"]["user"]["is_bot"] is True
    reply = await api("sendMessage", chat_id=chat.id, text="still here?")
    assert (reply.status, reply.description) == (403, description)
    chat.add_bot(ann)
    assert (await api("sendMessage", chat_id=chat.id, text="back")).status == 200


async def test_channel_posts_and_username_chat_id(api: Api, emu: Emulator) -> None:
    channel = emu.world.create_channel("Clinic news", username="clinic_news")
    channel.post("Opening hours change")
    post = emu.world.updates[-1]["channel_post"]
    assert "from" not in post
    assert (
        post["sender_chat"]
        == post["chat"]
        == {
            "id": channel.id,
            "type": "channel",
            "title": "Clinic news",
            "username": "clinic_news",
        }
    )
    reply = await api("sendMessage", chat_id="@clinic_news", text="Hello")
    assert "from" not in reply.result and reply.result["sender_chat"]["id"] == channel.id
    assert [m.text for m in channel.bot_messages] == ["Hello"]
    missing = await api("sendMessage", chat_id="@nobody_here", text="x")
    assert missing.description == "Bad Request: chat not found"


async def test_chat_member_updates_need_asking(api: Api, emu: Emulator) -> None:
    ann, bob = emu.world.create_user(), emu.world.create_user()
    group = emu.world.create_group("Class", [ann])
    group.add_member(bob)
    assert bob in group.members
    assert (await api("getUpdates")).result == []  # Telegram's default leaves chat_member out
    group.remove_member(bob, by=ann)
    [update] = (await api("getUpdates", allowed_updates=["chat_member"])).result
    member = update["chat_member"]
    assert (member["from"]["id"], member["new_chat_member"]["status"]) == (ann.id, "left")
    assert bob not in group.members


async def test_deleting_others_messages_needs_admin(api: Api, emu: Emulator) -> None:
    ann = emu.world.create_user()
    group = emu.world.create_group("Class", [ann])
    ann.send_text("oops", chat=group)
    reply = await api("deleteMessage", chat_id=group.id, message_id=1)
    assert reply.description == "Bad Request: message can't be deleted"
    admin_group = emu.world.create_group("Staff", [ann], bot_admin=True)
    ann.send_text("oops", chat=admin_group)
    assert (await api("deleteMessage", chat_id=admin_group.id, message_id=1)).result is True


async def test_ptb_application_in_a_group(emu: Emulator) -> None:
    """The real PTB Application parses group updates and answers in the group."""

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None and update.effective_message is not None
        await update.effective_message.reply_text(f"{update.effective_chat.type}: seen")

    async def tapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("ok")

    app = Application.builder().token(emu.token).base_url(emu.base_url).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(tapped))
    ann = emu.world.create_user()
    group = emu.world.create_group("Class", [ann], kind="supergroup")
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=1, poll_interval=0)
        ann.send_text("hello", chat=group)
        await emu.world.wait_delivered(timeout=5)
        for _ in range(100):
            if group.bot_messages:
                break
            await asyncio.sleep(0.02)
        await app.updater.stop()
        await app.stop()
    assert [m.text for m in group.bot_messages] == ["supergroup: seen"]
    assert list(emu.world.sent_by_chat()) == [group.id]


async def test_control_api_for_groups(api: Api, emu: Emulator) -> None:
    async with SandboxClient(emu.url) as ctl:
        ann = (await ctl.create_user(first_name="Ann"))["id"]
        group = await ctl.create_group("Class", [ann], kind="supergroup")
        gid = group["id"]
        assert (group["type"], group["members"], group["bot_status"]) == (
            "supergroup",
            [ann],
            "member",
        )
        assert await ctl.send_text(ann, "/start", chat_id=gid) == 1
        await api("sendMessage", chat_id=gid, text="Menu", reply_markup=KB)
        assert await ctl.tap(ann, "Yes", chat_id=gid) == 2
        assert await ctl.send_photo(ann, "knee.jpg", "look", chat_id=gid) == 3
        view = await ctl.group(gid)
        assert [m["from_bot"] for m in view["messages"]] == [False, True, False]
        assert view["messages"][2]["media"]["name"] == "knee.jpg"
        assert list(await ctl.sent()) == [gid]
        with pytest.raises(SandboxError) as err:
            await ctl.group(-1)
        assert err.value.status == 404
        channel = await ctl.create_group("News", [], kind="channel")
        assert channel["bot_status"] == "administrator"
        assert await ctl.channel_post(channel["id"], "hello") == 4
        assert await ctl.remove_bot(gid, by=ann) == 5
        assert (await api("sendMessage", chat_id=gid, text="x")).status == 403


async def test_blocked_ptb_send_in_group_is_forbidden(bot: telegram.Bot, emu: Emulator) -> None:
    ann = emu.world.create_user()
    group = emu.world.create_group("Class", [ann])
    group.remove_bot(ann)
    with pytest.raises(Forbidden, match="kicked"):
        await bot.send_message(group.id, "x")
