"""Message semantics: ids per chat, edits, deletes, callback answers, blocked users."""

from __future__ import annotations

import asyncio

from emu_helpers import Api

from bot.sandbox.emulator import Emulator
from bot.sandbox.errors import NOT_MODIFIED

KB = {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]}


async def test_message_ids_increase_per_chat(api: Api, emu: Emulator) -> None:
    ann, bob = emu.world.create_user(), emu.world.create_user()
    ids = []
    for user in (ann, ann, bob, ann):
        ids.append((await api("sendMessage", chat_id=user.id, text="x")).result["message_id"])
    assert ids == [1, 2, 1, 3]
    bob.send_text("hi")  # the user's own message takes the next id in that chat
    assert (await api("sendMessage", chat_id=bob.id, text="x")).result["message_id"] == 3


async def test_message_is_from_the_bot_with_clock_date(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    msg = (await api("sendMessage", chat_id=user.id, text="x")).result
    assert msg["from"]["is_bot"] is True
    assert msg["from"]["id"] == 123456
    assert msg["chat"] == {"id": user.id, "first_name": "Alex", "type": "private"}
    assert msg["date"] == int(emu.clock().timestamp())


async def test_edit_and_not_modified(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    mid = (await api("sendMessage", chat_id=user.id, text="a", reply_markup=KB)).result[
        "message_id"
    ]
    same = await api("editMessageText", chat_id=user.id, message_id=mid, text="a", reply_markup=KB)
    assert (same.status, same.description) == (400, f"Bad Request: {NOT_MODIFIED}")
    edited = await api(
        "editMessageText", chat_id=user.id, message_id=mid, text="b", reply_markup=KB
    )
    assert edited.result["text"] == "b"
    assert "edit_date" in edited.result
    # Same text, keyboard removed: that is a modification.
    removed = await api("editMessageText", chat_id=user.id, message_id=mid, text="b")
    assert "reply_markup" not in removed.result
    msg = user.messages[0]
    assert (msg.text, msg.edits, msg.buttons) == ("b", ["a", "b"], [])
    assert [e.kind for e in emu.world.events] == ["bot_message", "bot_edit", "bot_edit"]


async def test_edit_reply_markup(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    mid = (await api("sendMessage", chat_id=user.id, text="a")).result["message_id"]
    reply = await api("editMessageReplyMarkup", chat_id=user.id, message_id=mid, reply_markup=KB)
    assert reply.result["reply_markup"] == KB
    assert user.messages[0].buttons[0][0].text == "Yes"
    again = await api("editMessageReplyMarkup", chat_id=user.id, message_id=mid, reply_markup=KB)
    assert again.description == f"Bad Request: {NOT_MODIFIED}"


async def test_edit_and_delete_missing(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    edit = await api("editMessageText", chat_id=user.id, message_id=42, text="x")
    assert (edit.status, edit.description) == (400, "Bad Request: message to edit not found")
    delete = await api("deleteMessage", chat_id=user.id, message_id=42)
    assert (delete.status, delete.description) == (400, "Bad Request: message to delete not found")
    no_id = await api("editMessageText", chat_id=user.id, text="x")
    assert no_id.description == "Bad Request: message identifier is not specified"


async def test_delete_then_edit(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    mid = (await api("sendMessage", chat_id=user.id, text="a")).result["message_id"]
    assert (await api("deleteMessage", chat_id=user.id, message_id=mid)).result is True
    assert user.messages[0].deleted
    assert user.bot_messages == []
    edit = await api("editMessageText", chat_id=user.id, message_id=mid, text="x")
    assert edit.description == "Bad Request: message to edit not found"
    again = await api("deleteMessage", chat_id=user.id, message_id=mid)
    assert again.description == "Bad Request: message to delete not found"


async def test_cannot_edit_user_message(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    user.send_text("mine")
    reply = await api("editMessageText", chat_id=user.id, message_id=1, text="x")
    assert reply.description == "Bad Request: message can't be edited"


async def test_answer_callback_once(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    await api("sendMessage", chat_id=user.id, text="q", reply_markup=KB)
    user.tap("Yes")
    query_id = emu.world.updates[-1]["callback_query"]["id"]
    first = await api("answerCallbackQuery", callback_query_id=query_id, text="Saved")
    assert first.result is True
    second = await api("answerCallbackQuery", callback_query_id=query_id)
    expected = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    assert (second.status, second.description) == (400, expected)
    unknown = await api("answerCallbackQuery", callback_query_id="nope")
    assert unknown.description == expected
    assert user.toasts == ["Saved"]
    assert emu.world.events[-1].kind == "bot_toast"


async def test_answer_window(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()  # the fixture's window is 0.5 s
    await api("sendMessage", chat_id=user.id, text="q", reply_markup=KB)
    user.tap("Yes")
    query_id = emu.world.updates[-1]["callback_query"]["id"]
    await asyncio.sleep(0.6)
    late = await api("answerCallbackQuery", callback_query_id=query_id, text="late")
    assert late.status == 400
    assert late.description.startswith("Bad Request: query is too old")
    assert user.toasts == []


async def test_alert_event(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    await api("sendMessage", chat_id=user.id, text="q", reply_markup=KB)
    user.tap("Yes")
    query_id = emu.world.updates[-1]["callback_query"]["id"]
    await api("answerCallbackQuery", callback_query_id=query_id, text="Careful", show_alert=True)
    assert emu.world.events[-1].kind == "bot_alert"
    assert user.toasts == ["Careful"]


async def test_blocked_user(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    user.block()
    reply = await api("sendMessage", chat_id=user.id, text="x")
    assert reply.body == {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }
    assert reply.status == 403
    user.unblock()
    assert (await api("sendMessage", chat_id=user.id, text="x")).status == 200
