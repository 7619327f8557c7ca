"""Tiny TCP servers for transport cases the emulator cannot play: a peer that stops reading,
a port nobody listens on, an HTTP proxy that records what it was asked for, a redirect."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

GET_ME = {"id": 1, "is_bot": True, "first_name": "Proxied", "username": "proxied_bot"}


class Handler(Protocol):
    async def __call__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, release: asyncio.Event
    ) -> None: ...


def closed_port() -> int:
    """A loopback port with nothing listening (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[str]:
    """Serve ``handler`` on a loopback port and yield "http://127.0.0.1:PORT". On exit
    ``release`` is set and every connection closed, so no handler outlives the test."""
    release = asyncio.Event()
    writers: list[asyncio.StreamWriter] = []

    async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            await handler(reader, writer, release)

    server = await asyncio.start_server(run, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        release.set()
        server.close()
        for writer in writers:
            writer.close()
        await server.wait_closed()


async def never_read(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, release: asyncio.Event
) -> None:
    """Accept, then read nothing: the client's socket buffers fill and its writes stall."""
    await release.wait()


def get_me_ok(request_line: str) -> bytes:
    """What a proxy forwarding to Telegram would pass back for getMe."""
    body = json.dumps({"ok": True, "result": GET_ME}).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
    return head.encode() + b"\r\n\r\n" + body


def redirect_once(request_line: str) -> bytes:
    """302 to /moved, where getMe answers: only a client that follows redirects succeeds."""
    if " /moved " in request_line:
        return get_me_ok(request_line)
    return b"HTTP/1.1 302 Found\r\nLocation: /moved\r\nContent-Length: 0\r\n\r\n"


@dataclass
class CannedServer:
    """Answers each request with ``answer(request line)``; counts connections and keeps
    the request lines."""

    answer: Callable[[str], bytes]
    request_lines: list[str] = field(default_factory=list)
    connections: int = 0

    async def __call__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, release: asyncio.Event
    ) -> None:
        self.connections += 1
        while True:
            lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            self.request_lines.append(lines[0])
            await reader.readexactly(_content_length(lines))
            writer.write(self.answer(lines[0]))
            await writer.drain()


def _content_length(header_lines: list[str]) -> int:
    for line in header_lines:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            return int(value)
    return 0
