"""The aiohttp transport's pure rules: PTB's timeout arguments and the body it sends."""

from __future__ import annotations

import json

import pytest
from telegram import InputFile
from telegram.constants import ParseMode
from telegram.request import BaseRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.telegram.transport import JsonBody, Timeouts, encode_body, resolve_timeouts

UNSET = BaseRequest.DEFAULT_NONE
DEFAULTS = Timeouts(read=5.0, write=6.0, connect=7.0, pool=1.0)
MEDIA_WRITE = 20.0


@pytest.mark.parametrize(
    ("uploads", "given", "expected"),
    [
        (False, {}, DEFAULTS),
        (True, {}, Timeouts(5.0, MEDIA_WRITE, 7.0, 1.0)),
        (True, {"write": 2.0}, Timeouts(5.0, 2.0, 7.0, 1.0)),
        (False, {"read": 30.0, "pool": 0.5}, Timeouts(30.0, 6.0, 7.0, 0.5)),
        (False, {"read": None, "write": None}, Timeouts(None, None, 7.0, 1.0)),
        (True, {"write": None, "connect": None}, Timeouts(5.0, None, None, 1.0)),
    ],
)
def test_resolve_timeouts(
    uploads: bool, given: dict[str, float | None], expected: Timeouts
) -> None:
    """DEFAULT_NONE means "the instance's default"; None means "no limit"."""
    args = {"read": UNSET, "write": UNSET, "connect": UNSET, "pool": UNSET, **given}
    assert resolve_timeouts(DEFAULTS, MEDIA_WRITE, uploads=uploads, **args) == expected


def _data(**params: object) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in params.items()])


def test_no_parameters_send_no_body() -> None:
    assert encode_body(None, 5.0) is None
    assert encode_body(_data(), 5.0) is None


async def test_parameters_are_url_encoded_json_values() -> None:
    body = encode_body(_data(chat_id=42, text="a b&c", disable_notification=True), 5.0)
    assert body is not None and body.content_type == "application/x-www-form-urlencoded"
    assert await body.as_bytes() == b"chat_id=42&text=a+b%26c&disable_notification=true"


async def test_files_make_a_multipart_body_with_text_parts() -> None:
    photo = InputFile(b"\x89PNG", filename="knee.png")
    body = encode_body(_data(chat_id=42, photo=photo, caption="ok"), 5.0)
    assert body is not None and body.content_type.startswith("multipart/form-data")
    encoded = await body.as_bytes()
    assert b'form-data; name="chat_id"\r\n\r\n42\r\n' in encoded
    assert b'form-data; name="caption"\r\n\r\nok\r\n' in encoded
    photo_part = b'Content-Type: image/png\r\nContent-Disposition: form-data; name="photo"; '
    assert photo_part + b'filename="knee.png"\r\n\r\n\x89PNG\r\n' in encoded


VALUES = {
    "chat_id": 42,
    "text": "Rücken ✓ <b>a&b</b>",
    "parse_mode": ParseMode.HTML,  # an enum, as render.py passes it
    "reply_markup": {"inline_keyboard": [[{"text": "Go", "callback_data": "1:go"}]]},
    "disable_notification": True,
    "allow_paid_broadcast": None,
}


async def test_a_json_body_is_sent_as_one_json_document() -> None:
    body = encode_body(JsonBody(VALUES), 5.0)
    assert body is not None and body.content_type == "application/json"
    sent = await body.as_bytes()
    assert json.loads(sent) == {k: v for k, v in VALUES.items() if v is not None}
    assert "Rücken ✓".encode() in sent  # UTF-8, not escaped


def test_a_json_body_reads_like_ptbs_own_for_other_transports() -> None:
    """HTTPXRequest sends ``json_parameters`` as a form: they must be PTB's, value for value."""
    ours, ptbs = JsonBody(VALUES), _data(**VALUES)
    assert ours.json_parameters == ptbs.json_parameters
    assert all(type(value) is str for value in ours.json_parameters.values())
    assert ours.parameters == ptbs.parameters
    assert not ours.contains_files
