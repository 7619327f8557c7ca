"""Media messages: uploads, file_id reuse, Telegram's limits, caption and media edits."""

from __future__ import annotations

import io
import struct
from collections.abc import AsyncIterator

import aiohttp
import pytest
import telegram
from emu_helpers import Api, Reply, png
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputMediaDocument, InputMediaPhoto
from telegram.error import BadRequest, NetworkError, RetryAfter

from bot.sandbox.emulator import Emulator
from bot.sandbox.media import PHOTO_MAX_BYTES, UPLOAD_MAX_BYTES, image_size

KB = {"inline_keyboard": [[{"text": "Next", "callback_data": "n"}]]}
GIF = b"GIF89a" + struct.pack("<HH", 320, 240) + b"\x00" * 20


@pytest.fixture
async def bot(emu: Emulator) -> AsyncIterator[telegram.Bot]:
    client = telegram.Bot(emu.token, base_url=emu.base_url, base_file_url=emu.base_file_url)
    async with client:
        yield client


async def upload(
    api: Api, method: str, field: str, data: bytes, filename: str, **params: str
) -> Reply:
    form = aiohttp.FormData()
    for key, value in params.items():
        form.add_field(key, value)
    # a BytesIO: aiohttp warns (an error here) about large raw bytes bodies
    form.add_field(
        field, io.BytesIO(data), filename=filename, content_type="application/octet-stream"
    )
    return await api.form(method, form)


# --- sending -------------------------------------------------------------------------------


async def test_photo_upload_issues_file_ids_and_sizes(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    reply = await upload(
        api, "sendPhoto", "photo", png(2000, 1000), "march-1.png", chat_id=str(user.id)
    )
    sizes = reply.result["photo"]
    assert [(s["width"], s["height"]) for s in sizes] == [
        (90, 45),
        (320, 160),
        (800, 400),
        (1280, 640),
        (2000, 1000),
    ]
    assert len({s["file_id"] for s in sizes}) == 5
    assert len({s["file_unique_id"] for s in sizes}) == 5
    msg = user.last_bot_message()
    assert (msg.media_kind, msg.file_name, msg.text) == ("photo", "march-1.png", None)
    assert msg.media.file_id == sizes[-1]["file_id"]
    event = emu.world.events[-1]
    assert event.kind == "bot_photo"
    assert event.media == {"kind": "photo", "name": "march-1.png", "file_id": sizes[-1]["file_id"]}


async def test_file_id_reuse_remembers_the_file(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    first = await upload(api, "sendPhoto", "photo", png(), "march-1.png", chat_id=str(user.id))
    [largest] = first.result["photo"][-1:]
    again = await api("sendPhoto", chat_id=user.id, photo=largest["file_id"], caption="again")
    assert again.result["photo"][-1]["file_id"] == largest["file_id"]
    assert again.result["caption"] == "again"
    assert user.last_bot_message().file_name == "march-1.png"
    small = first.result["photo"][0]["file_id"]  # a smaller size's id works as well
    assert (await api("sendPhoto", chat_id=user.id, photo=small)).status == 200


async def test_unknown_file_id(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    for method, field in (("sendPhoto", "photo"), ("sendDocument", "document")):
        reply = await api(method, chat_id=user.id, **{field: "AgACAgIAAxkBAAnotissued"})
        assert (reply.status, reply.description) == (
            400,
            "Bad Request: wrong file identifier/HTTP URL specified",
        )
    assert user.bot_messages == []


async def test_file_id_of_another_type(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    doc = await upload(
        api, "sendDocument", "document", b"%PDF-1.4", "plan.pdf", chat_id=str(user.id)
    )
    doc_id = doc.result["document"]["file_id"]
    reply = await api("sendPhoto", chat_id=user.id, photo=doc_id)
    assert reply.description == "Bad Request: can't use file of type Document as Photo"
    photo = await upload(api, "sendPhoto", "photo", png(), "p.png", chat_id=str(user.id))
    reply = await api(
        "sendDocument", chat_id=user.id, document=photo.result["photo"][-1]["file_id"]
    )
    assert reply.description == "Bad Request: can't use file of type Photo as Document"
    video = await upload(api, "sendVideo", "video", b"\x00" * 64, "v.mp4", chat_id=str(user.id))
    as_doc = await api("sendDocument", chat_id=user.id, document=video.result["video"]["file_id"])
    assert as_doc.result["document"]["file_name"] == "v.mp4"  # same class of file: allowed


async def test_animation_video_document_through_ptb(bot: telegram.Bot, emu: Emulator) -> None:
    user = emu.world.create_user()
    anim = await bot.send_animation(
        user.id, GIF, filename="loop.gif", caption="<b>Slow</b>", parse_mode="HTML"
    )
    assert (anim.animation.width, anim.animation.height) == (320, 240)
    assert anim.animation.file_name == "loop.gif"
    assert anim.animation.mime_type == "image/gif"
    assert anim.document.file_id == anim.animation.file_id  # Telegram sets both
    assert anim.caption == "Slow"
    assert anim.caption_entities[0].type == "bold"
    video = await bot.send_video(
        user.id,
        b"\x00\x00\x00\x18ftypmp42",
        filename="knee.mp4",
        width=640,
        height=360,
        duration=12,
    )
    assert (video.video.width, video.video.height) == (640, 360)
    assert user.last_bot_message().media.duration == 12  # PTB may show it as a timedelta
    assert video.video.mime_type == "video/mp4"
    doc = await bot.send_document(user.id, b"plan", filename="plan.txt")
    assert (doc.document.file_name, doc.document.file_size) == ("plan.txt", 4)
    again = await bot.send_document(user.id, doc.document.file_id)
    assert again.document.file_unique_id == doc.document.file_unique_id
    kinds = [(m.media_kind, m.file_name) for m in user.bot_messages]
    assert kinds == [
        ("animation", "loop.gif"),
        ("video", "knee.mp4"),
        ("document", "plan.txt"),
        ("document", "plan.txt"),
    ]
    assert [e.kind for e in emu.world.events] == [
        "bot_animation",
        "bot_video",
        "bot_document",
        "bot_document",
    ]


async def test_url_is_trusted_and_named(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    reply = await api(
        "sendDocument", chat_id=user.id, document="https://example.org/files/plan.pdf?v=2"
    )
    assert reply.result["document"]["file_name"] == "plan.pdf"
    assert reply.result["document"]["mime_type"] == "application/pdf"


@pytest.mark.parametrize(
    ("method", "description"),
    [
        ("sendPhoto", "Bad Request: there is no photo in the request"),
        ("sendAnimation", "Bad Request: there is no animation in the request"),
        ("sendVideo", "Bad Request: there is no video in the request"),
        ("sendDocument", "Bad Request: there is no document in the request"),
    ],
)
async def test_missing_file(api: Api, emu: Emulator, method: str, description: str) -> None:
    user = emu.world.create_user()
    reply = await api(method, chat_id=user.id, caption="x")
    assert (reply.status, reply.description) == (400, description)


# --- limits --------------------------------------------------------------------------------


async def test_caption_limit_counts_after_entity_parsing(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    file_id = emu.world.files.add("document", "a.txt", 3).file_id
    ok = await api(
        "sendDocument",
        chat_id=user.id,
        document=file_id,
        caption="<i>" + "c" * 1024 + "</i>",
        parse_mode="HTML",
    )
    assert len(ok.result["caption"]) == 1024
    long = await api("sendDocument", chat_id=user.id, document=file_id, caption="c" * 1025)
    assert (long.status, long.description) == (400, "Bad Request: message caption is too long")


async def test_photo_size_limit(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    at_limit = png(pad_to=PHOTO_MAX_BYTES)
    assert (
        await upload(api, "sendPhoto", "photo", at_limit, "a.png", chat_id=str(user.id))
    ).status == 200
    over = png(pad_to=PHOTO_MAX_BYTES + 1)
    reply = await upload(api, "sendPhoto", "photo", over, "a.png", chat_id=str(user.id))
    assert reply.description == (
        f"Bad Request: file of size {PHOTO_MAX_BYTES + 1} bytes is too big for a photo; "
        f"the maximum size is {PHOTO_MAX_BYTES} bytes"
    )
    as_document = await upload(api, "sendDocument", "document", over, "a.png", chat_id=str(user.id))
    assert as_document.status == 200


@pytest.mark.parametrize(
    ("width", "height", "ok"),
    [
        (5000, 5000, True),
        (5001, 5000, False),
        (2000, 100, True),
        (2100, 100, False),
        (100, 2100, False),
    ],
)
async def test_photo_dimensions(api: Api, emu: Emulator, width: int, height: int, ok: bool) -> None:
    user = emu.world.create_user()
    reply = await upload(
        api, "sendPhoto", "photo", png(width, height), "a.png", chat_id=str(user.id)
    )
    if ok:
        assert reply.status == 200
    else:
        assert reply.description == "Bad Request: PHOTO_INVALID_DIMENSIONS"


async def test_photo_must_be_an_image_and_files_non_empty(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    text = await upload(api, "sendPhoto", "photo", b"not a picture", "a.png", chat_id=str(user.id))
    assert text.description == "Bad Request: IMAGE_PROCESS_FAILED"
    empty = await upload(api, "sendDocument", "document", b"", "a.txt", chat_id=str(user.id))
    assert empty.description == "Bad Request: file must be non-empty"


async def test_uploads_over_50_mb(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    at_limit = b"\x00" * UPLOAD_MAX_BYTES
    reply = await upload(api, "sendDocument", "document", at_limit, "big.bin", chat_id=str(user.id))
    assert reply.status == 200
    over = await upload(
        api, "sendVideo", "video", at_limit + b"\x00", "big.mp4", chat_id=str(user.id)
    )
    assert over.status == 413
    assert over.body == {"ok": False, "error_code": 413, "description": "Request Entity Too Large"}


async def test_ptb_reports_a_too_large_upload(bot: telegram.Bot, emu: Emulator) -> None:
    user = emu.world.create_user()
    with pytest.raises(NetworkError, match=r"(?i)request entity too large"):
        await bot.send_document(user.id, b"\x00" * (UPLOAD_MAX_BYTES + 1), filename="big.bin")


def test_image_headers_without_pillow() -> None:
    jpeg = (
        b"\xff\xd8"
        + b"\xff\xe0"
        + struct.pack(">H", 16)
        + b"JFIF\x00"
        + b"\x00" * 9
        + b"\xff\xc0"
        + struct.pack(">HBHH", 17, 8, 480, 640)
        + b"\x00" * 10
    )
    webp_vp8x = (
        b"RIFF"
        + b"\x00" * 4
        + b"WEBPVP8X"
        + b"\x00" * 8
        + (99).to_bytes(3, "little")
        + (49).to_bytes(3, "little")
    )
    bmp = b"BM" + b"\x00" * 16 + struct.pack("<ii", 30, -20)
    assert image_size(png(7, 5)) == (7, 5)
    assert image_size(GIF) == (320, 240)
    assert image_size(jpeg) == (640, 480)
    assert image_size(webp_vp8x) == (100, 50)
    assert image_size(bmp) == (30, 20)
    assert image_size(b"%PDF-1.4") is None


# --- edits ---------------------------------------------------------------------------------


async def _photo_message(api: Api, user_id: int, **params: str) -> dict:
    reply = await upload(
        api, "sendPhoto", "photo", png(), "march-1.png", chat_id=str(user_id), **params
    )
    return reply.result


async def test_edit_caption(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    import json

    sent = await _photo_message(api, user.id, caption="old", reply_markup=json.dumps(KB))
    mid = sent["message_id"]
    edited = await api(
        "editMessageCaption", chat_id=user.id, message_id=mid, caption="new", reply_markup=KB
    )
    assert (edited.result["caption"], edited.result["reply_markup"]) == ("new", KB)
    same = await api(
        "editMessageCaption", chat_id=user.id, message_id=mid, caption="new", reply_markup=KB
    )
    assert same.description.startswith("Bad Request: message is not modified")
    removed = await api("editMessageCaption", chat_id=user.id, message_id=mid)
    assert "caption" not in removed.result and "reply_markup" not in removed.result
    msg = user.last_bot_message()
    assert (msg.text, msg.edits, msg.file_name) == (None, ["old", "new"], "march-1.png")
    long = await api("editMessageCaption", chat_id=user.id, message_id=mid, caption="c" * 1025)
    assert long.description == "Bad Request: MEDIA_CAPTION_TOO_LONG"


async def test_caption_and_text_edits_need_the_right_message(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    text_id = (await api("sendMessage", chat_id=user.id, text="hi")).result["message_id"]
    photo_id = (await _photo_message(api, user.id))["message_id"]
    caption = await api("editMessageCaption", chat_id=user.id, message_id=text_id, caption="x")
    assert caption.description == "Bad Request: there is no caption in the message to edit"
    text = await api("editMessageText", chat_id=user.id, message_id=photo_id, text="x")
    assert text.description == "Bad Request: there is no text in the message to edit"


async def test_edit_media_through_ptb(bot: telegram.Bot, emu: Emulator) -> None:
    user = emu.world.create_user()
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Next", callback_data="n")]])
    sent = await bot.send_photo(
        user.id, png(), filename="march-1.png", caption="one", reply_markup=markup
    )
    edited = await bot.edit_message_media(
        InputMediaPhoto(png(40, 30), caption="two", filename="march-2.png"),
        chat_id=user.id,
        message_id=sent.message_id,
        reply_markup=markup,
    )
    assert edited.caption == "two"
    assert edited.photo[-1].width == 40
    assert edited.photo[-1].file_id != sent.photo[-1].file_id
    assert edited.reply_markup == markup
    msg = user.last_bot_message()
    assert (msg.file_name, msg.text, msg.edits) == ("march-2.png", "two", ["one"])
    assert emu.world.events[-1].kind == "bot_edit"
    assert emu.world.events[-1].media["name"] == "march-2.png"
    # no caption and no keyboard given: both go, as with Telegram's other edits
    doc = await bot.send_document(user.id, b"plan", filename="plan.txt")
    bare = await bot.edit_message_media(
        InputMediaDocument(doc.document.file_id), chat_id=user.id, message_id=sent.message_id
    )
    assert bare.caption is None and bare.reply_markup is None
    assert bare.document.file_name == "plan.txt"
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_media(
            InputMediaDocument(doc.document.file_id), chat_id=user.id, message_id=sent.message_id
        )


async def test_text_message_becomes_media(bot: telegram.Bot, emu: Emulator) -> None:
    """Bot API 10.1: editMessageMedia may "replace a text ... message with a media"."""
    user = emu.world.create_user()
    sent = await bot.send_message(user.id, "A picture follows")
    edited = await bot.edit_message_media(
        InputMediaPhoto(png(), caption="Here", filename="p.png"),
        chat_id=user.id,
        message_id=sent.message_id,
    )
    assert edited.photo and edited.caption == "Here" and edited.text is None
    assert user.last_bot_message().media_kind == "photo"


@pytest.mark.parametrize(
    ("media", "description"),
    [
        ("{not json", "Bad Request: can't parse input media JSON object"),
        ('["photo"]', "Bad Request: can't parse InputMedia: expected an Object"),
        (
            '{"type": "sticker", "media": "x"}',
            'Bad Request: can\'t parse InputMedia: type "sticker" is unsupported',
        ),
        (
            '{"type": "photo", "media": "attach://nothing"}',
            "Bad Request: can't parse InputMedia: media not found",
        ),
        ('{"type": "photo"}', "Bad Request: can't parse InputMedia: media not found"),
        (
            '{"type": "photo", "media": "AgACnope"}',
            "Bad Request: wrong file identifier/HTTP URL specified",
        ),
    ],
)
async def test_bad_input_media(api: Api, emu: Emulator, media: str, description: str) -> None:
    user = emu.world.create_user()
    mid = (await _photo_message(api, user.id))["message_id"]
    reply = await api.form(
        "editMessageMedia", {"chat_id": str(user.id), "message_id": str(mid), "media": media}
    )
    assert (reply.status, reply.description) == (400, description)
    assert user.last_bot_message().edits == []


async def test_audio_media_is_not_emulated(api: Api, emu: Emulator) -> None:
    user = emu.world.create_user()
    mid = (await _photo_message(api, user.id))["message_id"]
    reply = await api(
        "editMessageMedia", chat_id=user.id, message_id=mid, media={"type": "audio", "media": "x"}
    )
    assert reply.status == 501


async def test_faults_apply_to_media_methods(bot: telegram.Bot, emu: Emulator) -> None:
    user = emu.world.create_user()
    emu.faults.fail_next(1, status=429, method="sendDocument", retry_after=2)
    with pytest.raises(RetryAfter):
        await bot.send_document(user.id, b"plan", filename="plan.txt")
    assert user.bot_messages == []
    sent = await bot.send_document(user.id, b"plan", filename="plan.txt")
    emu.faults.fail_next(1, status=502, method="editMessageMedia")
    with pytest.raises(NetworkError):
        await bot.edit_message_media(
            InputMediaPhoto(png()), chat_id=user.id, message_id=sent.message_id
        )
    assert user.last_bot_message().media_kind == "document"
    assert [c.status for c in emu.calls if c.method != "getMe"] == [429, 200, 502]
