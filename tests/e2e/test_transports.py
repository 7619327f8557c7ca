"""The same transport cases for PTB's HTTPXRequest and our AiohttpRequest, against the local
Telegram: whatever the bot can observe (results, PTB's exceptions, what reached the server)
must not depend on the transport."""

from __future__ import annotations

import asyncio
import gc
import io
import time
import warnings
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, ContextTypes, MessageHandler, filters
from telegram.request import BaseRequest, HTTPXRequest

from bot.sandbox.emulator import Emulator
from bot.sandbox.validation import UploadedFile
from bot.telegram.transport import AiohttpRequest, aiohttp_requests
from tests.e2e.rawservers import (
    GET_ME,
    CannedServer,
    closed_port,
    get_me_ok,
    never_read,
    redirect_once,
    serving,
)
from tests.sandbox.emu_helpers import png

MARKUP = InlineKeyboardMarkup([[InlineKeyboardButton("Done", callback_data="d:1")]])


def make_request(transport: str, **options: Any) -> BaseRequest:
    if transport == "httpx":
        return HTTPXRequest(**options)
    return AiohttpRequest(**options)


def is_closed(request: BaseRequest) -> bool:
    if isinstance(request, HTTPXRequest):
        return bool(request._client.is_closed)
    assert isinstance(request, AiohttpRequest)
    return request.closed


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait for a state the emulator exposes only by polling (e.g. a fault was taken)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.005)


def bot_for(emu: Emulator, request: BaseRequest, token: str | None = None) -> telegram.Bot:
    return telegram.Bot(
        token or emu.token,
        base_url=emu.base_url,
        base_file_url=emu.base_file_url,
        request=request,
        get_updates_request=request,
    )


@pytest.fixture
async def bot(emu: Emulator, transport: str) -> AsyncIterator[telegram.Bot]:
    async with bot_for(emu, make_request(transport)) as client:
        yield client


# --- success ------------------------------------------------------------------------------


async def test_send_message_round_trip(bot: telegram.Bot, emu: Emulator) -> None:
    user = emu.world.create_user()
    sent = await bot.send_message(user.id, "<b>Knee</b> to chest ✓", "HTML", reply_markup=MARKUP)
    assert (sent.text, sent.entities[0].type, sent.reply_markup) == (
        "Knee to chest ✓",
        "bold",
        MARKUP,
    )
    assert user.messages[-1].text == "Knee to chest ✓"
    assert [c.method for c in emu.calls] == ["getMe", "sendMessage"]
    assert all(c.status == 200 for c in emu.calls)


# --- HTTP statuses: PTB's own mapping, whatever the transport -------------------------------


async def test_400_is_bad_request(bot: telegram.Bot, emu: Emulator) -> None:
    user = emu.world.create_user()
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(user.id, "x" * 4097)


async def test_401_is_invalid_token(emu: Emulator, transport: str) -> None:
    client = bot_for(emu, make_request(transport), token="123456:WRONG")
    with pytest.raises(InvalidToken):
        await client.initialize()  # getMe
    await client.shutdown()


async def test_403_is_forbidden(bot: telegram.Bot, emu: Emulator) -> None:
    user = emu.world.create_user()
    user.block()
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(user.id, "x")


async def test_404_is_end_point_not_found(bot: telegram.Bot) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")


async def test_409_is_conflict(bot: telegram.Bot) -> None:
    await bot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_429_is_retry_after_with_its_seconds(bot: telegram.Bot, emu: Emulator) -> None:
    user = emu.world.create_user()
    emu.faults.fail_next(1, status=429, method="sendMessage", retry_after=7)
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(user.id, "x")
    retry_after = raised.value.retry_after  # int or timedelta, as PTB_TIMEDELTA says
    assert retry_after in (7, timedelta(seconds=7))


@pytest.mark.parametrize(
    ("status", "text"),
    [(500, "Internal Server Error"), (502, "Bad Gateway"), (503, "Service Unavailable")],
)
async def test_5xx_is_a_plain_network_error(
    bot: telegram.Bot, emu: Emulator, status: int, text: str
) -> None:
    user = emu.world.create_user()
    emu.faults.fail_next(1, status=status, method="sendMessage")
    with pytest.raises(NetworkError, match=text) as raised:
        await bot.send_message(user.id, "x")
    assert type(raised.value) is NetworkError  # not TimedOut: PTB must not retry at once


# --- the connection itself --------------------------------------------------------------------


async def test_dropped_connection_is_network_error_then_recovers(
    bot: telegram.Bot, emu: Emulator
) -> None:
    user = emu.world.create_user()
    emu.faults.drop_next(1, method="sendMessage")
    with pytest.raises(NetworkError) as raised:
        await bot.send_message(user.id, "x")
    assert type(raised.value) is NetworkError
    assert (await bot.send_message(user.id, "again")).text == "again"


async def test_refused_connection_is_network_error(transport: str) -> None:
    async with make_request(transport) as request:
        client = telegram.Bot(
            "1:X", base_url=f"http://127.0.0.1:{closed_port()}/bot", request=request
        )
        with pytest.raises(NetworkError) as raised:
            await client.send_message(1, "x")
    assert type(raised.value) is NetworkError


@pytest.mark.parametrize(
    ("default", "per_call", "delay", "times_out"),
    [
        pytest.param(0.1, {}, 0.4, True, id="default-exceeded"),
        pytest.param(5.0, {"read_timeout": 0.1}, 0.4, True, id="per-call-shorter"),
        pytest.param(0.1, {"read_timeout": 5.0}, 0.3, False, id="per-call-longer"),
        pytest.param(0.1, {"read_timeout": None}, 0.3, False, id="per-call-none-is-no-limit"),
    ],
)
async def test_read_timeout(
    emu: Emulator,
    transport: str,
    default: float,
    per_call: dict[str, float | None],
    delay: float,
    times_out: bool,
) -> None:
    user = emu.world.create_user()
    async with bot_for(emu, make_request(transport, read_timeout=default)) as client:
        emu.faults.delay_next(1, delay, method="sendMessage")
        if times_out:
            with pytest.raises(TimedOut):
                await client.send_message(user.id, "slow", **per_call)
        else:
            await client.send_message(user.id, "slow", **per_call)
        await until(lambda: len(user.bot_messages) == 1)  # the server did answer, if late


async def test_full_pool_is_pool_timeout(emu: Emulator, transport: str) -> None:
    user = emu.world.create_user()
    request = make_request(transport, connection_pool_size=1, pool_timeout=0.1)
    async with bot_for(emu, request) as client:
        emu.faults.delay_next(1, 0.5, method="sendMessage")
        first = asyncio.create_task(client.send_message(user.id, "first"))
        await until(lambda: emu.faults.pending == 0)  # the first holds the only connection
        with pytest.raises(TimedOut, match="Pool timeout"):
            await client.send_message(user.id, "second")
        assert (await first).text == "first"
    assert [m.text for m in user.bot_messages] == ["first"]  # the second was never sent


# --- uploads --------------------------------------------------------------------------------


def _photo_source(kind: str, data: bytes) -> InputFile:
    if kind == "bytes":
        return InputFile(data, filename="knee.png")
    return InputFile(io.BytesIO(data), filename="knee.png", read_file_handle=False)


@pytest.mark.parametrize("size", [1000, 3 * 1024 * 1024])
@pytest.mark.parametrize("source", ["bytes", "file-handle"])
async def test_send_photo_uploads_the_file(
    bot: telegram.Bot, emu: Emulator, size: int, source: str
) -> None:
    user = emu.world.create_user()
    data = png(40, 30, pad_to=size)  # a real image: the emulator reads its dimensions
    photo = _photo_source(source, data)
    sent = await bot.send_photo(user.id, photo, caption="Колено ✓", reply_markup=MARKUP)
    assert sent.caption == "Колено ✓" and sent.photo
    call = emu.calls[-1]
    assert call.method == "sendPhoto" and call.status == 200
    upload = call.params["photo"]
    assert isinstance(upload, UploadedFile)
    assert (upload.filename, upload.content_type, upload.data) == ("knee.png", "image/png", data)
    assert call.params["reply_markup"] == MARKUP.to_dict()


@pytest.mark.parametrize(
    ("options", "per_call"),
    [
        pytest.param({"media_write_timeout": 0.3}, {}, id="media-default"),
        pytest.param({}, {"write_timeout": 0.3}, id="per-call"),
    ],
)
async def test_stalled_upload_is_timed_out(
    transport: str, options: dict[str, float], per_call: dict[str, float]
) -> None:
    """The peer stops reading: the upload must end with TimedOut, not hang."""
    async with serving(never_read) as url, make_request(transport, **options) as request:
        client = telegram.Bot("1:X", base_url=f"{url}/bot", request=request)
        with pytest.raises(TimedOut):  # an asyncio TimeoutError here means it hung
            async with asyncio.timeout(10):
                await client.send_photo(1, b"\0" * 32 * 1024 * 1024, **per_call)


async def test_calls_share_one_keep_alive_connection(transport: str) -> None:
    server = CannedServer(get_me_ok)
    async with serving(server) as url, make_request(transport) as request:
        for _ in range(3):
            assert await request.post(f"{url}/bot1:X/getMe") == GET_ME
    assert (server.connections, len(server.request_lines)) == (1, 3)


async def test_a_redirect_is_not_followed(transport: str) -> None:
    """httpx leaves redirects to PTB, which reports a 3xx as a NetworkError."""
    server = CannedServer(redirect_once)
    async with serving(server) as url, make_request(transport) as request:
        with pytest.raises(NetworkError, match=r"Found \(302\)"):
            await request.post(f"{url}/bot1:X/getMe")
    assert server.request_lines == ["POST /bot1:X/getMe HTTP/1.1"]


# --- proxies ----------------------------------------------------------------------------------


async def test_proxy_argument_routes_every_call(transport: str) -> None:
    proxy = CannedServer(get_me_ok)
    async with serving(proxy) as proxy_url, make_request(transport, proxy=proxy_url) as request:
        me = await request.post("http://api.telegram.invalid/bot1:X/getMe")
    assert me == GET_ME
    assert proxy.request_lines == ["POST http://api.telegram.invalid/bot1:X/getMe HTTP/1.1"]


async def test_proxy_from_the_environment_and_no_proxy(
    emu: Emulator, transport: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = CannedServer(get_me_ok)
    async with serving(proxy) as proxy_url:
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # the emulator: direct
        monkeypatch.delenv("no_proxy", raising=False)
        async with make_request(transport) as request:
            assert await request.post("http://api.telegram.invalid/bot1:X/getMe") == GET_ME
            me = await request.post(f"{emu.base_url}{emu.token}/getMe")
    assert me["first_name"] == "Exercise Sandbox"
    assert proxy.request_lines == ["POST http://api.telegram.invalid/bot1:X/getMe HTTP/1.1"]


# --- long polling and shutdown ----------------------------------------------------------


def _requests(transport: str, read_timeout: float) -> tuple[BaseRequest, BaseRequest]:
    if transport == "aiohttp":
        return aiohttp_requests(read_timeout=read_timeout)
    return HTTPXRequest(read_timeout=read_timeout), HTTPXRequest(1, read_timeout=read_timeout)


async def test_long_polling_through_an_application(emu: Emulator, transport: str) -> None:
    """A long poll (1 s) outlasts the read timeout (0.5 s): the transport must take PTB's
    per-call read timeout (read_timeout + poll timeout). PTB retries a timed-out poll at
    once and silently; the emulator then ends the abandoned poll with a 409, so a poll cut
    short shows up as a 409 before the bot is stopped."""
    calls, updates = _requests(transport, read_timeout=0.5)
    replied = asyncio.Event()

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(f"echo: {update.message.text}")
        replied.set()

    app = (
        Application.builder()
        .token(emu.token)
        .base_url(emu.base_url)
        .request(calls)
        .get_updates_request(updates)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    user = emu.world.create_user()
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=1, poll_interval=0)
        await until(lambda: len(_polls(emu)) >= 1)  # one whole empty poll
        user.send_text("one")
        await asyncio.wait_for(replied.wait(), 10)
        before_stop = _polls(emu)
        await app.updater.stop()
        await app.stop()
    assert set(before_stop) == {200}
    assert [m.text for m in user.bot_messages] == ["echo: one"]
    assert emu.world.pending_updates == 0
    assert is_closed(calls) and is_closed(updates)


def _polls(emu: Emulator) -> list[int]:
    return [c.status for c in emu.calls if c.method == "getUpdates"]


async def test_shutdown_closes_and_initialize_reopens(emu: Emulator, transport: str) -> None:
    request = make_request(transport)
    get_me = f"{emu.base_url}{emu.token}/getMe"
    await request.initialize()
    await request.post(get_me)
    await request.shutdown()
    await request.shutdown()  # twice is harmless, as with httpx
    assert is_closed(request)
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(get_me)
    await request.initialize()
    assert (await request.post(get_me))["is_bot"] is True
    await request.shutdown()


# --- aiohttp only: no leaked session -------------------------------------------------------


async def _unclosed_reports(shut_down: bool, url: str | None) -> list[str]:
    """What aiohttp reports (warnings, loop errors) once an AiohttpRequest is collected."""
    loop = asyncio.get_running_loop()
    reports: list[str] = []
    loop.set_exception_handler(lambda _, context: reports.append(str(context["message"])))
    try:
        request: AiohttpRequest | None = AiohttpRequest()
        assert request is not None
        await request.initialize()
        if url is not None:
            await request.post(url)
        if shut_down:
            await request.shutdown()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            request = None
            gc.collect()
        reports += [str(w.message) for w in caught]
    finally:
        loop.set_exception_handler(None)
    return [r for r in reports if r.startswith("Unclosed")]


async def test_shutdown_leaves_no_unclosed_session(emu: Emulator) -> None:
    assert await _unclosed_reports(True, f"{emu.base_url}{emu.token}/getMe") == []


async def test_a_leaked_session_would_be_reported() -> None:
    """The check above can fail: without shutdown aiohttp does report the session."""
    reports = await _unclosed_reports(False, None)  # no call: no socket left behind
    assert any(r.startswith("Unclosed client session") for r in reports)
