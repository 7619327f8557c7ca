"""Request handling and spec validation, over real HTTP, with Telegram's exact wording."""

from __future__ import annotations

import json

import aiohttp
import pytest
from emu_helpers import TOKEN, Api, png

from bot.sandbox.emulator import Emulator


async def test_get_me_is_a_consistent_bot_user(api: Api) -> None:
    me = (await api("getMe")).result
    assert me["id"] == 123456
    assert me["is_bot"] is True
    assert me["username"].endswith("bot")
    assert me["first_name"]
    assert (await api("getMe")).result == me


async def test_empty_post_without_content_type_works(api: Api, emu: Emulator) -> None:
    async with api.session.post(f"{emu.base_url}{TOKEN}/getMe") as resp:
        assert resp.status == 200
        assert (await resp.json())["ok"] is True


async def test_method_names_are_case_insensitive(api: Api) -> None:
    assert (await api("GETME")).status == 200
    assert (await api("getme")).status == 200


async def test_wrong_token_is_401(api: Api) -> None:
    reply = await api.json("getMe", {}, token="123456:WRONG")
    assert reply.status == 401
    assert reply.body == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_unknown_method_is_404(api: Api) -> None:
    reply = await api("sendMessages", chat_id=1, text="x")
    assert (reply.status, reply.description) == (404, "Not Found: method not found")
    assert reply.body["error_code"] == 404


async def test_path_outside_bot_is_404(api: Api) -> None:
    reply = await api.get("/nothing")
    assert (reply.status, reply.description) == (404, "Not Found")


async def test_spec_method_not_emulated_is_501(api: Api) -> None:
    reply = await api("sendDice", chat_id=1)
    assert reply.status == 501
    assert reply.description == "Not Implemented: method sendDice is not emulated"


async def test_missing_chat_id(api: Api) -> None:
    reply = await api("sendMessage", text="hi")
    assert (reply.status, reply.description) == (400, "Bad Request: chat_id is empty")


async def test_missing_and_empty_text(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    for params in ({"chat_id": user.id}, {"chat_id": user.id, "text": ""}):
        reply = await api.json("sendMessage", params)
        assert (reply.status, reply.description) == (400, "Bad Request: message text is empty")


async def test_other_missing_parameter_is_named(api: Api) -> None:
    reply = await api("setMyCommands")
    assert reply.description == 'Bad Request: parameter "commands" is required'


async def test_unknown_parameter_rejected_when_strict(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    reply = await api("sendMessage", chat_id=user.id, text="hi", parse_mod="HTML")
    assert (reply.status, reply.description) == (400, 'Bad Request: unknown parameter "parse_mod"')


async def test_unknown_parameter_ignored_when_lenient() -> None:
    emu = Emulator(token=TOKEN, strict_params=False)
    await emu.start()
    try:
        user = emu.world.create_user()
        async with aiohttp.ClientSession() as session:
            reply = await Api(session, emu)("sendMessage", chat_id=user.id, text="hi", nope=1)
        assert reply.status == 200
    finally:
        await emu.stop()


async def test_wrong_type(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    reply = await api("sendMessage", chat_id=user.id, text="hi", disable_notification="maybe")
    assert reply.status == 400
    assert (
        reply.description == 'Bad Request: parameter "disable_notification" must be of type Boolean'
    )


async def test_unsupported_parse_mode(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    reply = await api("sendMessage", chat_id=user.id, text="hi", parse_mode="BBCode")
    assert (reply.status, reply.description) == (400, "Bad Request: unsupported parse_mode")


async def test_chat_action_outside_enum(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    assert (await api("sendChatAction", chat_id=user.id, action="typing")).result is True
    reply = await api("sendChatAction", chat_id=user.id, action="dancing")
    assert reply.description == "Bad Request: wrong parameter action in request"


async def test_unknown_chat(api: Api) -> None:
    reply = await api("sendMessage", chat_id=999, text="hi")
    assert (reply.status, reply.description) == (400, "Bad Request: chat not found")


async def test_text_limit_edges(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    ok = await api("sendMessage", chat_id=user.id, text="a" * 4096)
    assert len(ok.result["text"]) == 4096
    reply = await api("sendMessage", chat_id=user.id, text="a" * 4097)
    assert (reply.status, reply.description) == (400, "Bad Request: message is too long")
    edit = await api(
        "editMessageText", chat_id=user.id, message_id=ok.result["message_id"], text="b" * 4097
    )
    assert (edit.status, edit.description) == (400, "Bad Request: MESSAGE_TOO_LONG")


async def test_text_limit_counts_after_entity_parsing(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    text = "<b>" + "a" * 4096 + "</b>"
    reply = await api("sendMessage", chat_id=user.id, text=text, parse_mode="HTML")
    assert reply.status == 200


def _kb(*buttons: dict) -> dict:
    return {"inline_keyboard": [list(buttons)]}


@pytest.mark.parametrize(
    ("markup", "description"),
    [
        (_kb({"text": "A", "callback_data": "x" * 65}), "Bad Request: BUTTON_DATA_INVALID"),
        (_kb({"text": "A", "callback_data": ""}), "Bad Request: BUTTON_DATA_INVALID"),
        (
            _kb({"text": "A"}),
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        ),
        (
            _kb({"text": "A", "callback_data": "a", "url": "https://x"}),
            "Bad Request: can't parse inline keyboard button: "
            "exactly one of the optional fields must be used",
        ),
        (
            _kb({"callback_data": "a"}),
            'Bad Request: can\'t parse inline keyboard button: Field "text" must be of type String',
        ),
        (
            {"inline_keyboard": "nope"},
            'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an Array',
        ),
        ("{not json", "Bad Request: can't parse reply keyboard markup JSON object"),
    ],
)
async def test_bad_inline_keyboards(
    api: Api, emu: Emulator, markup: object, description: str
) -> None:
    user = emu.world.create_user()
    reply = await api("sendMessage", chat_id=user.id, text="hi", reply_markup=markup)
    assert (reply.status, reply.description) == (400, description)
    assert reply.body["error_code"] == 400


async def test_callback_data_of_64_bytes_is_fine(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    data = "é" * 32  # 64 bytes in UTF-8
    reply = await api(
        "sendMessage",
        chat_id=user.id,
        text="hi",
        reply_markup=_kb({"text": "A", "callback_data": data}),
    )
    assert reply.status == 200
    assert user.last_bot_message().buttons[0][0].callback_data == data
    too_long = "é" * 32 + "a"
    reply = await api(
        "sendMessage",
        chat_id=user.id,
        text="hi",
        reply_markup=_kb({"text": "A", "callback_data": too_long}),
    )
    assert reply.description == "Bad Request: BUTTON_DATA_INVALID"


async def test_form_encoded_like_ptb(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    markup = json.dumps(_kb({"text": "Go", "callback_data": "go"}))
    reply = await api.form(
        "sendMessage",
        {
            "chat_id": str(user.id),
            "text": "hi",
            "reply_markup": markup,
            "disable_notification": "true",
        },
    )
    assert reply.status == 200
    assert reply.result["reply_markup"]["inline_keyboard"][0][0]["text"] == "Go"
    assert emu.calls[-1].params["disable_notification"] is True


async def test_query_string(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    async with api.session.get(
        f"{emu.base_url}{TOKEN}/sendMessage", params={"chat_id": user.id, "text": "q"}
    ) as resp:
        assert resp.status == 200
    assert user.last_bot_message().text == "q"


async def test_multipart_photo(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    form = aiohttp.FormData()
    form.add_field("chat_id", str(user.id))
    form.add_field("caption", "look")
    form.add_field("photo", png(), filename="a.png", content_type="image/png")
    reply = await api.form("sendPhoto", form)
    assert reply.result["caption"] == "look"
    assert reply.result["photo"][0]["file_id"]
    assert user.last_bot_message().photo is True
    assert emu.world.events[-1].kind == "bot_photo"


async def test_photo_caption_limit(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    file_id = emu.world.files.add("photo", "a.png", 100, width=8, height=6).file_id
    reply = await api("sendPhoto", chat_id=user.id, photo=file_id, caption="c" * 1025)
    assert reply.description == "Bad Request: message caption is too long"
    assert (
        await api("sendPhoto", chat_id=user.id, photo=file_id, caption="c" * 1024)
    ).status == 200


async def test_calls_are_recorded(api: Api, emu: Emulator) -> None:
    await api("getMe")
    await api("sendMessage", chat_id=5, text="x")
    assert [c.method for c in emu.calls] == ["getMe", "sendMessage"]
    last = emu.calls[-1]
    assert (last.status, last.ok, last.description) == (400, False, "Bad Request: chat not found")
    assert last.params["chat_id"] == 5


async def test_commands_round_trip(api: Api) -> None:
    commands = [{"command": "start", "description": "Start"}]
    assert (await api("setMyCommands", commands=commands)).result is True
    assert (await api("getMyCommands")).result == commands
    bad = await api("setMyCommands", commands=[{"command": "Bad Cmd", "description": "x"}])
    assert bad.description == "Bad Request: BOT_COMMAND_INVALID"
    assert (await api("deleteMyCommands")).result is True
    assert (await api("getMyCommands")).result == []
