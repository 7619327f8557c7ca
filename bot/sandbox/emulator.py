"""A strict Bot API server on loopback: the bot talks to it through PTB as to Telegram.

Requests are checked against the spec (bot/sandbox/api.json), answered with Telegram's own
error wording, and applied to a simulated world of users (see world.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from bot.sandbox import errors as e
from bot.sandbox.control_api import add_control_routes
from bot.sandbox.errors import ApiError
from bot.sandbox.faults import FaultInjector
from bot.sandbox.methods import HANDLERS
from bot.sandbox.models import ApiCall
from bot.sandbox.ratelimit import RateLimiter, RateLimits
from bot.sandbox.spec import load_spec
from bot.sandbox.validation import UploadedFile, Validator
from bot.sandbox.webhook import WebhookDelivery
from bot.sandbox.world import World

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:TEST-TOKEN"
_DUMPS = json.dumps


class _DroppedError(Exception):
    """The connection was closed on purpose (fault injection)."""


def _bot_user(token: str) -> dict[str, Any]:
    prefix = token.split(":", 1)[0]
    bot_id = int(prefix) if prefix.isdigit() else 1
    return {
        "id": bot_id,
        "is_bot": True,
        "first_name": "Exercise Sandbox",
        "username": f"exercise_sandbox_{bot_id}_bot",
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Emulator:
    """The local Telegram. Start it, point PTB's base_url at `base_url`, drive users via `world`."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        strict_params: bool = True,
        clock: Callable[[], datetime] | None = None,
        rate_limits: RateLimits | None = None,
        callback_answer_window: float = 15.0,
    ) -> None:
        self.token = token
        self.clock = clock or _utc_now
        self.spec = load_spec()
        self.validator = Validator(self.spec, strict_params=strict_params)
        self.bot_user = _bot_user(token)
        self.world = World(self.clock, self.bot_user)
        self.faults = FaultInjector()
        self.limiter = RateLimiter(rate_limits) if rate_limits is not None else None
        self.callback_answer_window = callback_answer_window
        self.calls: list[ApiCall] = []
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook = WebhookDelivery(self.world)
        self.poll_generation = 0
        self.closing = False
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._bot_prefix = f"/bot{token}/"

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.closing = False
        self._stopping = asyncio.Event()
        app = web.Application(client_max_size=60 * 1024 * 1024)
        add_control_routes(app, self)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self._url = f"http://{bound_host}:{bound_port}"
        log.info("sandbox Telegram listening on %s", self._url)

    async def stop(self) -> None:
        self.closing = True
        self._stopping.set()  # injected delays end too
        self.world.notify()  # long polls answer at once instead of holding up shutdown
        self.world.wake_event_waiters()  # and so do waits for events (control API)
        await self.webhook.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("emulator not started")
        return self._url

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # --- the Bot API endpoint -----------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if not path.startswith("/bot"):
            return _error_response(ApiError(404, "Not Found"))
        if not path.startswith(self._bot_prefix):
            token = path[4:].split("/", 1)[0]
            text = e.UNAUTHORIZED if ":" in token else "Unauthorized: invalid token specified"
            return _error_response(ApiError(401, text))
        name = path[len(self._bot_prefix) :]
        method = self.spec.method(name) if "/" not in name else None
        if method is None:
            return _error_response(ApiError(404, e.METHOD_NOT_FOUND))
        params: dict[str, Any] = {}
        try:
            params = await _decode(request)
            result = await self.call(method, params)
        except ApiError as err:
            self._record(method, params, err.code, err.description)
            return _error_response(err)
        except _DroppedError:
            self._record(method, params, 0, "connection dropped")
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)  # never sent: the transport is gone
        self._record(method, params, 200, None)
        return web.Response(
            body=_DUMPS({"ok": True, "result": result}).encode(),
            content_type="application/json",
        )

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """Run one API call: faults, spec validation, then the method's semantics."""
        fault = self.faults.take(method)
        if fault is not None and fault.kind == "drop":
            raise _DroppedError
        if fault is not None and fault.kind == "fail":
            raise fault.error()
        if fault is not None and not fault.apply_first:
            await self._pause(fault.seconds)
        handler = HANDLERS.get(method)
        if handler is None:
            raise ApiError(501, f"Not Implemented: method {method} is not emulated")
        checked = self.validator.validate(method, params)
        params.clear()
        params.update(checked)
        result = await handler(self, checked)
        if fault is not None and fault.apply_first:
            await self._pause(fault.seconds)
        return result

    async def _pause(self, seconds: float) -> None:
        """An injected delay that ends early when the emulator stops (no slow shutdown)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stopping.wait()

    def _record(self, method: str, params: dict[str, Any], status: int, desc: str | None) -> None:
        self.calls.append(ApiCall(method, dict(params), status, status == 200, desc, self.clock()))


async def _decode(request: web.Request) -> dict[str, Any]:
    """Parameters from the query string and a JSON, form or multipart body."""
    params: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.body_exists:
        return params
    ctype = request.content_type
    if ctype == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise e.bad_request("can't parse JSON encoded request") from None
        if not isinstance(body, dict):
            raise e.bad_request("can't parse JSON encoded request")
        params.update(body)
    elif ctype == "application/x-www-form-urlencoded":
        # parse_qsl is much faster than request.post() on the hot path
        raw = await request.read()
        charset = request.charset or "utf-8"
        try:
            pairs = parse_qsl(raw.decode(charset), keep_blank_values=True)
        except (UnicodeDecodeError, LookupError):
            raise e.bad_request("can't parse request: invalid UTF-8") from None
        params.update(pairs)
    elif ctype == "multipart/form-data":
        try:
            form = await request.post()
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(413, "Request Entity Too Large") from None
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = UploadedFile(value.filename, value.content_type, value.file.read())
            else:
                params[key] = value
    else:
        await request.read()
    return params


def _error_response(err: ApiError) -> web.Response:
    return web.Response(
        status=err.code,
        body=_DUMPS(err.payload()).encode(),
        content_type="application/json",
    )


async def serve_forever(
    host: str = "127.0.0.1", port: int = 8081, token: str = DEFAULT_TOKEN
) -> None:
    """Run the emulator until cancelled (the `exercise-bot emulator` command)."""
    emu = Emulator(token=token)
    await emu.start(host=host, port=port)
    print(f"Sandbox Telegram: base_url={emu.base_url} token={emu.token}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        with contextlib.suppress(Exception):
            await emu.stop()
