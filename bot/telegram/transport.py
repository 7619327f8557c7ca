"""An aiohttp transport for python-telegram-bot, a drop-in for its default HTTPXRequest.

Why: PTB on httpx spends about twice the CPU per Bot API call (docs/BENCHMARKS.md, the send
path), and aiohttp is already a dependency (the web server, the emulator).

PTB keeps everything above the bytes: ``BaseRequest.post`` maps HTTP statuses to BadRequest,
Forbidden, RetryAfter, ... exactly as with httpx. This module only moves bytes and turns
aiohttp's failures into PTB's ``TimedOut`` / ``NetworkError`` the way HTTPXRequest does.

PTB wants two request objects, one for bot calls and one for ``getUpdates``::

    calls, updates = aiohttp_requests()
    app = ApplicationBuilder().token(T).request(calls).get_updates_request(updates).build()
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import aiohttp
from aiohttp.abc import AbstractStreamWriter
from aiohttp.payload import BytesPayload
from multidict import CIMultiDict
from telegram._utils.defaultvalue import DefaultValue  # what HTTPXRequest checks, too
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

if TYPE_CHECKING:
    from telegram._utils.types import ODVInput

log = logging.getLogger(__name__)

POOL_TIMEOUT_MESSAGE = (
    "Pool timeout: All connections in the connection pool are occupied. Request was *not* "
    "sent to Telegram. Consider adjusting the connection pool size or the pool timeout."
)
_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"
_ENCODE_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# aiohttp's writer waits for the socket only once 64 KiB are buffered; smaller bodies
# never wait, so only larger ones need a write deadline, given one slice at a time.
_WRITE_SLICE = 64 * 1024
_PROXY_SCHEMES = ("http", "https")


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds per phase of one request; None means no limit (as in PTB)."""

    read: float | None
    write: float | None
    connect: float | None
    pool: float | None


def resolve_timeouts(
    defaults: Timeouts,
    media_write: float | None,
    *,
    uploads: bool,
    read: ODVInput[float],
    write: ODVInput[float],
    connect: ODVInput[float],
    pool: ODVInput[float],
) -> Timeouts:
    """PTB passes DEFAULT_NONE for "not given" and None for "no limit"; uploads get the
    media write timeout unless the call names one (HTTPXRequest's rule)."""
    return Timeouts(
        read=_given(read, defaults.read),
        write=_given(write, media_write if uploads else defaults.write),
        connect=_given(connect, defaults.connect),
        pool=_given(pool, defaults.pool),
    )


def _given(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


@lru_cache(maxsize=64)
def _client_timeout(read: float | None, connect: float | None) -> aiohttp.ClientTimeout:
    """aiohttp's read timeout is, like httpx's, the longest wait for the next bytes, and it
    starts once the body is sent; ``connect`` also bounds DNS, as httpx's does. The pool
    wait is ours (see ``_take_slot``), so aiohttp's connector never waits."""
    return aiohttp.ClientTimeout(total=None, connect=connect, sock_connect=connect, sock_read=read)


class _DeadlineWriter(AbstractStreamWriter):
    """Gives each slice of a body ``seconds`` to enter the socket: aiohttp has no write
    timeout, httpx bounds every socket write, and PTB relies on it for uploads."""

    def __init__(self, inner: AbstractStreamWriter, seconds: float) -> None:
        self._inner = inner
        self._seconds = seconds

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        view = memoryview(chunk).cast("B")
        for start in range(0, len(view), _WRITE_SLICE):
            async with asyncio.timeout(self._seconds):
                await self._inner.write(view[start : start + _WRITE_SLICE])

    async def write_eof(self, chunk: bytes = b"") -> None:
        await self._inner.write_eof(chunk)

    async def drain(self) -> None:
        async with asyncio.timeout(self._seconds):
            await self._inner.drain()

    def enable_compression(self, encoding: str = "deflate", strategy: int | None = None) -> None:
        self._inner.enable_compression(encoding, strategy)

    def enable_chunking(self) -> None:
        self._inner.enable_chunking()

    async def write_headers(self, status_line: str, headers: CIMultiDict[str]) -> None:
        await self._inner.write_headers(status_line, headers)

    def send_headers(self) -> None:
        self._inner.send_headers()


def _bounded(writer: AbstractStreamWriter, seconds: float | None) -> AbstractStreamWriter:
    return writer if seconds is None else _DeadlineWriter(writer, seconds)


class _Multipart(aiohttp.MultipartWriter):
    """A multipart/form-data body whose writes obey PTB's write timeout."""

    def __init__(self, write_timeout: float | None) -> None:
        super().__init__("form-data")
        self._write_timeout = write_timeout

    async def write(self, writer: AbstractStreamWriter, close_boundary: bool = True) -> None:
        await super().write(_bounded(writer, self._write_timeout), close_boundary)


class _Body(BytesPayload):
    """A body in one piece (a url-encoded form, or JSON) with the same deadline."""

    def __init__(self, body: bytes, content_type: str, write_timeout: float | None) -> None:
        super().__init__(body, content_type=content_type)
        self._write_timeout = write_timeout if len(body) > _WRITE_SLICE else None

    async def write(self, writer: AbstractStreamWriter) -> None:
        await super().write(_bounded(writer, self._write_timeout))

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        await super().write_with_length(_bounded(writer, self._write_timeout), content_length)


class JsonBody(RequestData):  # type: ignore[misc]  # final for typing only; see below
    """The parameters of one call encoded once, as one JSON body (the Bot API takes
    ``application/json`` for any call without files). Values must be JSON values already
    (str, int, float, bool, lists and dicts of them); None leaves a parameter out.

    PTB's ``Bot`` wraps each parameter in a ``RequestParameter``, encodes each one to JSON
    and then the lot as a url-encoded form, character by character. ``bot/telegram/calls.py``
    hands this to ``BaseRequest.post`` instead, so PTB still maps the answer to its errors.
    :class:`AiohttpRequest` sends ``payload`` as it is; any other ``BaseRequest`` (PTB's
    HTTPXRequest) reads ``json_parameters`` as usual and sends its form.

    PTB marks ``RequestData`` final and its construction an implementation detail: this
    overrides only its documented ``parameters`` and ``json_parameters``, and
    tests/e2e/test_lean_calls.py holds it to PTB's own calls on both transports, so an
    upgrade that breaks it fails there.
    """

    __slots__ = ("_values", "payload")

    def __init__(self, values: Mapping[str, object]) -> None:
        super().__init__()  # no RequestParameters, no files
        self._values = {name: value for name, value in values.items() if value is not None}
        self.payload = _ENCODE_JSON(self._values).encode()

    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self._values)

    @property
    def json_parameters(self) -> dict[str, str]:
        """As PTB's: strings as plain text (a str enum as its value), the rest as JSON."""
        return {
            name: str(value) if isinstance(value, str) else json.dumps(value)
            for name, value in self._values.items()
        }


def encode_body(
    request_data: RequestData | None, write_timeout: float | None
) -> _Body | _Multipart | None:
    """No parameters: no body (PTB's empty getMe). A :class:`JsonBody`: its JSON. Files:
    multipart, the other parameters as text parts. Otherwise a url-encoded form of the
    JSON-encoded values, as httpx sends."""
    if request_data is None:
        return None
    if isinstance(request_data, JsonBody):
        return _Body(request_data.payload, _JSON, write_timeout)
    if request_data.contains_files:
        return _multipart(request_data, write_timeout)
    parameters = request_data.json_parameters  # computed on every access: once here
    if not parameters:
        return None
    return _Body(urlencode(parameters).encode("ascii"), _FORM, write_timeout)


def _multipart(request_data: RequestData, write_timeout: float | None) -> _Multipart:
    form = _Multipart(write_timeout)
    for name, value in request_data.json_parameters.items():
        form.append(value).set_content_disposition("form-data", name=name)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        # bytes go in as a stream: aiohttp warns about (and blocks on) large bytes bodies
        stream: IO[bytes] = io.BytesIO(content) if isinstance(content, bytes) else content
        part = form.append(stream, {"Content-Type": mimetype})
        part.set_content_disposition("form-data", name=name, filename=filename)
    return form


def _checked_proxy(proxy: str | None) -> str | None:
    if proxy is not None and urlsplit(proxy).scheme not in _PROXY_SCHEMES:
        raise ValueError(f"AiohttpRequest supports http:// and https:// proxies, not {proxy!r}")
    return proxy


def _environment_proxy(scheme: str, host: str) -> str | None:
    """HTTP(S)_PROXY / ALL_PROXY minus NO_PROXY, as httpx reads them ("host:port" means
    http). SOCKS is left out: aiohttp needs aiohttp-socks for it, and PTB documents that
    SOCKS proxies do not come from the environment."""
    if urllib.request.proxy_bypass(host):
        return None
    proxies = urllib.request.getproxies()
    proxy = proxies.get(scheme) or proxies.get("all")
    if proxy is None:
        return None
    proxy = proxy if "://" in proxy else f"http://{proxy}"
    return proxy if urlsplit(proxy).scheme in _PROXY_SCHEMES else None


class AiohttpRequest(BaseRequest):
    """PTB's BaseRequest on one aiohttp ClientSession, with HTTPXRequest's parameters.

    The pool is a semaphore of ``connection_pool_size`` slots in front of a connector of
    the same size, so a full pool raises PTB's pool-timeout ``TimedOut`` before anything is
    sent, as with httpx. ``initialize()`` opens the session, ``shutdown()`` closes it.
    """

    __slots__ = (
        "_connection_pool_size",
        "_env_proxies",
        "_keepalive_expiry",
        "_media_write_timeout",
        "_proxy",
        "_session",
        "_slots",
        "_timeouts",
        "_trust_env",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
        *,
        keepalive_expiry: float = 5.0,
        trust_env: bool = True,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._connection_pool_size = connection_pool_size
        self._timeouts = Timeouts(read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._media_write_timeout = media_write_timeout
        self._proxy = _checked_proxy(proxy)
        self._keepalive_expiry = keepalive_expiry  # httpx's default: idle connections live 5 s
        self._trust_env = trust_env
        self._slots: asyncio.Semaphore | None = None
        self._session: aiohttp.ClientSession | None = None
        self._env_proxies: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout; PTB adds the long-poll timeout to it for getUpdates."""
        return self._timeouts.read

    @property
    def closed(self) -> bool:
        """True before ``initialize()`` and after ``shutdown()``."""
        return self._session is None or self._session.closed

    async def initialize(self) -> None:
        """Open the session here, not in ``__init__``: aiohttp wants a running loop."""
        if self.closed:
            self._env_proxies.clear()  # httpx, too, reads the environment once per client
            self._slots = asyncio.Semaphore(self._connection_pool_size)  # of this loop
            connector = aiohttp.TCPConnector(
                limit=self._connection_pool_size, keepalive_timeout=self._keepalive_expiry
            )
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is None or self._session.closed:
            log.debug("This AiohttpRequest is already shut down. Returning.")
            return
        session, self._session = self._session, None
        await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; BaseRequest.post turns the status and body into PTB's result."""
        session, slots = self._session, self._slots
        if session is None or session.closed or slots is None:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        timeouts = resolve_timeouts(
            self._timeouts,
            self._media_write_timeout,
            uploads=request_data is not None and request_data.contains_files,
            read=read_timeout,
            write=write_timeout,
            connect=connect_timeout,
            pool=pool_timeout,
        )
        body = encode_body(request_data, timeouts.write)
        await _take_slot(slots, timeouts.pool)
        try:
            return await self._send(session, method, url, body, timeouts)
        finally:
            slots.release()

    async def _send(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: str,
        body: _Body | _Multipart | None,
        timeouts: Timeouts,
    ) -> tuple[int, bytes]:
        """HTTPXRequest's error mapping: any timeout is TimedOut, any other failure of the
        client or the socket a NetworkError naming the aiohttp class."""
        try:
            async with session.request(
                method,
                url,
                data=body,
                timeout=_client_timeout(timeouts.read, timeouts.connect),
                proxy=self._proxy_for(url),
                allow_redirects=False,  # httpx does not follow them either: PTB sees the 3xx
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's ServerTimeoutError is one too
            raise TimedOut from error
        except (aiohttp.ClientError, OSError) as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error

    def _proxy_for(self, url: str) -> str | None:
        """The explicit proxy, else the environment's, looked up once per host: aiohttp's
        own trust_env reads the environment in a thread on every request."""
        if self._proxy is not None or not self._trust_env:
            return self._proxy
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._env_proxies:
            self._env_proxies[key] = _environment_proxy(*key)
        return self._env_proxies[key]


async def _take_slot(slots: asyncio.Semaphore, pool_timeout: float | None) -> None:
    """A connection of the pool, or PTB's pool-timeout TimedOut (nothing was sent)."""
    if not slots.locked():
        await slots.acquire()  # returns at once: no timer on the common path
        return
    try:
        async with asyncio.timeout(pool_timeout):
            await slots.acquire()
    except TimeoutError:
        raise TimedOut(POOL_TIMEOUT_MESSAGE) from None


def aiohttp_requests(
    *,
    connection_pool_size: int = 256,
    read_timeout: float | None = 5.0,
    write_timeout: float | None = 5.0,
    connect_timeout: float | None = 5.0,
    pool_timeout: float | None = 1.0,
    media_write_timeout: float | None = 20.0,
    proxy: str | None = None,
) -> tuple[AiohttpRequest, AiohttpRequest]:
    """(bot calls, getUpdates) with ApplicationBuilder's defaults: the poller needs one
    connection, and PTB adds the long-poll timeout to its read timeout on each call."""
    calls = AiohttpRequest(
        connection_pool_size,
        read_timeout,
        write_timeout,
        connect_timeout,
        pool_timeout,
        media_write_timeout,
        proxy,
    )
    updates = AiohttpRequest(
        1, read_timeout, write_timeout, connect_timeout, pool_timeout, proxy=proxy
    )
    return calls, updates
