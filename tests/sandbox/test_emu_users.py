"""Simulated users: commands, taps by label and regex, events and listeners."""

from __future__ import annotations

import pytest
from emu_helpers import FIXED, Api

from bot.sandbox.emulator import Emulator
from bot.sandbox.models import ChatEvent
from bot.sandbox.world import NoSuchButton

KB = {
    "inline_keyboard": [
        [{"text": "Start session", "callback_data": "s:1"}],
        [{"text": "Skip", "callback_data": "k"}, {"text": "Docs", "url": "https://x.org"}],
    ]
}


async def test_command_has_bot_command_entity(emu: Emulator) -> None:
    user = emu.world.create_user(user_id=42, first_name="Ann", language_code="de")
    update_id = user.send_text("/start deep")
    update = emu.world.updates[-1]
    assert update["update_id"] == update_id
    msg = update["message"]
    assert msg["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert msg["from"] == {"id": 42, "is_bot": False, "first_name": "Ann", "language_code": "de"}
    assert msg["chat"]["id"] == user.chat_id == 42
    assert msg["date"] == int(FIXED.timestamp())
    assert emu.world.events[-1].kind == "user_command"
    user.send_text("plain")
    assert "entities" not in emu.world.updates[-1]["message"]
    assert emu.world.events[-1].kind == "user_text"


async def test_sticker_and_location(emu: Emulator) -> None:
    user = emu.world.create_user()
    user.send_sticker()
    msg = emu.world.updates[-1]["message"]
    assert "text" not in msg
    assert "sticker" in msg
    user.share_location(52.5, 13.4)
    assert emu.world.updates[-1]["message"]["location"] == {"latitude": 52.5, "longitude": 13.4}
    assert emu.world.events[-1].kind == "user_location"


async def test_tap_by_label_and_pattern(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    sent = (await api("sendMessage", chat_id=user.id, text="Menu", reply_markup=KB)).result
    user.tap("Skip")
    query = emu.world.updates[-1]["callback_query"]
    assert query["data"] == "k"
    assert query["message"]["message_id"] == sent["message_id"]
    assert query["from"]["id"] == user.id
    user.tap(pattern=r"^start")
    assert emu.world.updates[-1]["callback_query"]["data"] == "s:1"
    event = emu.world.events[-1]
    assert (event.kind, event.text, event.extra["data"]) == ("user_tap", "Start session", "s:1")


async def test_tap_uses_latest_keyboard_or_given_message(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    first = (await api("sendMessage", chat_id=user.id, text="1", reply_markup=KB)).result
    other = {"inline_keyboard": [[{"text": "Other", "callback_data": "o"}]]}
    await api("sendMessage", chat_id=user.id, text="2", reply_markup=other)
    await api("sendMessage", chat_id=user.id, text="no keyboard")
    with pytest.raises(NoSuchButton) as err:
        user.tap("Skip")
    assert err.value.available == ["Other"]
    user.tap("Skip", message_id=first["message_id"])
    assert emu.world.updates[-1]["callback_query"]["data"] == "k"


async def test_no_such_button_lists_labels(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    with pytest.raises(NoSuchButton):
        user.tap("Anything")
    await api("sendMessage", chat_id=user.id, text="Menu", reply_markup=KB)
    with pytest.raises(NoSuchButton) as err:
        user.tap(pattern="nothing")
    assert err.value.available == ["Start session", "Skip", "Docs"]
    assert "Skip" in str(err.value)
    with pytest.raises(NoSuchButton):
        user.tap("Docs")  # a URL button sends no callback


async def test_tap_data_forged(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    sent = (await api("sendMessage", chat_id=user.id, text="Menu", reply_markup=KB)).result
    user.tap_data(sent["message_id"], "forged:999")
    assert emu.world.updates[-1]["callback_query"]["data"] == "forged:999"


async def test_messages_views_and_listener(api: Api, emu: Emulator) -> None:
    seen: list[ChatEvent] = []
    emu.world.add_listener(seen.append)
    user = emu.world.create_user()
    user.send_text("hi")
    await api("sendMessage", chat_id=user.id, text="Menu", reply_markup=KB)
    await api("sendMessage", chat_id=user.id, text="After")
    assert [m.from_bot for m in user.messages] == [False, True, True]
    assert [m.text for m in user.bot_messages] == ["Menu", "After"]
    assert user.last_bot_message().text == "After"
    assert user.last_bot_message(with_buttons=True).text == "Menu"
    assert [e.kind for e in seen] == ["user_text", "bot_message", "bot_message"]
    assert seen[1].buttons == [["Start session"], ["Skip", "Docs"]]
    assert seen[1].at == FIXED
    assert emu.world.user(user.id) is user


async def test_broken_listener_does_not_fail_the_call(api: Api, emu: Emulator) -> None:
    def broken(event: ChatEvent) -> None:
        raise RuntimeError("printer broke")

    emu.world.add_listener(broken)
    user = emu.world.create_user()
    assert (await api("sendMessage", chat_id=user.id, text="x")).status == 200
    assert emu.world.events[-1].kind == "bot_message"


async def test_plain_text_is_trimmed_with_entities_shifted(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    entities = [{"type": "bold", "offset": 2, "length": 2}]
    reply = await api("sendMessage", chat_id=user.id, text="  hi  ", entities=entities)
    assert reply.result["text"] == "hi"
    assert reply.result["entities"] == [{"type": "bold", "offset": 0, "length": 2}]
