"""Helpers for the sandbox tests: a raw Bot API client speaking JSON, form or query strings."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from bot.sandbox.emulator import Emulator

TOKEN = "123456:TEST-TOKEN"
FIXED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def png(width: int = 8, height: int = 6, pad_to: int = 0) -> bytes:
    """A real (black) PNG image; `pad_to` appends bytes after IEND to reach a file size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x00" * (width * 3) for _ in range(height))
    image = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return image + b"\x00" * max(0, pad_to - len(image))


@dataclass
class Reply:
    status: int
    body: dict[str, Any]

    @property
    def result(self) -> Any:
        assert self.body["ok"] is True, self.body
        return self.body["result"]

    @property
    def description(self) -> str:
        return self.body["description"]


class Api:
    """Calls the emulator like a bot would: JSON bodies, form bodies or query strings."""

    def __init__(self, session: aiohttp.ClientSession, emu: Emulator) -> None:
        self.session = session
        self.emu = emu

    async def __call__(self, method: str, **params: Any) -> Reply:
        return await self.json(method, params)

    async def json(self, method: str, params: dict[str, Any], token: str = TOKEN) -> Reply:
        url = f"{self.emu.url}/bot{token}/{method}"
        async with self.session.post(url, json=params) as resp:
            return Reply(resp.status, await resp.json())

    async def form(self, method: str, data: Any) -> Reply:
        url = f"{self.emu.base_url}{TOKEN}/{method}"
        async with self.session.post(url, data=data) as resp:
            return Reply(resp.status, await resp.json())

    async def get(self, path: str) -> Reply:
        async with self.session.get(f"{self.emu.url}{path}") as resp:
            return Reply(resp.status, await resp.json())


class Receiver:
    """A tiny webhook endpoint that can fail its first N requests."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.seen: list[tuple[dict, str | None, str]] = []
        self.url = ""
        self.runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.seen.append(
            (body, request.headers.get("X-Telegram-Bot-Api-Secret-Token"), request.content_type)
        )
        if len(self.seen) <= self.fail_first:
            return web.Response(status=500)
        return web.Response(status=200)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/hook"
