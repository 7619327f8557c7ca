"""Media in the script runner's transcript (text and --json) and in the console demo."""

from __future__ import annotations

import io
import json
from zoneinfo import ZoneInfo

import aiohttp
from emu_helpers import Api, png

from bot.sandbox.console import format_event
from bot.sandbox.emulator import Emulator
from bot.sandbox.script import Transcript

KB = {"inline_keyboard": [[{"text": "Done", "callback_data": "d"}]]}


async def _send_photo(api: Api, chat_id: int, name: str, caption: str = "") -> int:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(chat_id))
    form.add_field("caption", caption)
    form.add_field("reply_markup", json.dumps(KB))
    form.add_field("photo", io.BytesIO(png()), filename=name, content_type="image/png")
    return (await api.form("sendPhoto", form)).result["message_id"]


async def _chat(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    await api("sendMessage", chat_id=user.id, text="Step 1")
    mid = await _send_photo(api, user.id, "march-1.png", "Lift your knee\nslowly")
    await _send_photo(api, user.id, "march-2.png")
    doc = emu.world.files.add("document", "plan.pdf", 10).file_id
    media = {"type": "document", "media": doc, "caption": "Your plan"}
    await api("editMessageMedia", chat_id=user.id, message_id=mid, media=media)


async def test_text_transcript_names_the_media(api: Api, emu: Emulator) -> None:
    lines: list[str] = []
    emu.world.add_listener(Transcript(lines.append, as_json=False, zone=ZoneInfo("UTC")).event)
    await _chat(api, emu)
    assert lines == [
        "bot> Step 1",
        "bot (photo: march-1.png)> Lift your knee",
        "     slowly",
        "  [Done]",
        "bot (photo: march-2.png)>",
        "  [Done]",
        "bot (edit #2, document: plan.pdf)> Your plan",
    ]


async def test_json_events_carry_media(api: Api, emu: Emulator) -> None:
    lines: list[str] = []
    emu.world.add_listener(Transcript(lines.append, as_json=True, zone=ZoneInfo("UTC")).event)
    await _chat(api, emu)
    events = [json.loads(line) for line in lines]
    assert [e["kind"] for e in events] == ["bot_message", "bot_photo", "bot_photo", "bot_edit"]
    assert [e["media"] for e in events] == [
        None,
        {"kind": "photo", "name": "march-1.png"},
        {"kind": "photo", "name": "march-2.png"},
        {"kind": "document", "name": "plan.pdf"},
    ]
    assert events[1]["text"] == "Lift your knee\nslowly"


async def test_user_photo_line(emu: Emulator) -> None:
    lines: list[str] = []
    emu.world.add_listener(Transcript(lines.append, as_json=False, zone=ZoneInfo("UTC")).event)
    user = emu.world.create_user()
    user.send_photo("knee.jpg", "swollen?")
    assert lines == ["user (photo: knee.jpg)> swollen?"]


async def test_console_prints_the_file_name(api: Api, emu: Emulator) -> None:
    await _chat(api, emu)
    shown = [line for event in emu.world.events for line in format_event(event)]
    assert shown == [
        "bot> Step 1",
        "bot (photo: march-1.png)> Lift your knee",
        "     slowly",
        "  [1 Done]",
        "bot (photo: march-2.png)>",
        "  [1 Done]",
        "bot (updated, document: plan.pdf)> Your plan",
    ]


async def test_a_toast_is_written_right_after_the_tap_whichever_reached_telegram_first(
    api: Api, emu: Emulator
) -> None:
    """The bot answers a tap side by side with its edit (bot/telegram/handlers.py): the
    transcript must not depend on which of the two arrived first."""
    lines: list[str] = []
    transcript = Transcript(lines.append, as_json=False, zone=ZoneInfo("UTC"))
    emu.world.add_listener(transcript.event)
    user = emu.world.create_user()
    sent = await api("sendMessage", chat_id=user.id, text="Step 1", reply_markup=KB)
    user.tap("Done")
    query_id = emu.world.updates[-1]["callback_query"]["id"]
    mid = sent.result["message_id"]
    await api("editMessageText", chat_id=user.id, message_id=mid, text="Step 2")
    await api("answerCallbackQuery", callback_query_id=query_id, text="Timer started.")
    assert lines == ["bot> Step 1", "  [Done]", "user taps [Done]", "bot (toast)> Timer started."]
    user.send_text("hello")  # the next action writes what was held first
    assert lines[-2:] == [f"bot (edit #{mid})> Step 2", "user> hello"]
    await api("sendMessage", chat_id=user.id, text="Hi")
    assert lines[-1] == "user> hello"  # held until a flush (the script runner's, per step)
    transcript.flush()
    assert lines[-1] == "bot> Hi"
