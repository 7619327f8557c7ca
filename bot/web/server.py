"""Production HTTP, as two listeners with different audiences.

- The webhook listener (``WEB_HOST``:``WEB_PORT``) exists only in webhook mode and serves
  only ``POST /webhook``. Telegram must present ``WEBHOOK_SECRET`` in the
  ``X-Telegram-Bot-Api-Secret-Token`` header; anything else gets 403 before the body is
  read. The 200 is sent once the update was handled, so an update that was being handled
  when the process died is delivered again by Telegram.
- The operations listener (``OPS_HOST``:``OPS_PORT``, loopback by default) serves
  ``/healthz``, ``/readyz`` and ``/metrics``. It never accepts updates.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable

from aiohttp import web
from telegram import Bot

from bot.metrics import CONTENT_TYPE, Metrics
from bot.telegram.updates import UnusableUpdate, UpdateRunner, parse_update

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1 << 20  # an update is a few KB; Telegram never sends a megabyte
HANDLE_TIMEOUT_SECONDS = 50.0  # answer before Telegram gives up on the request

Readiness = Callable[[], Awaitable[tuple[bool, dict[str, object]]]]
Scrape = Callable[[], Awaitable[bytes]]


class WebhookEndpoint:
    """``POST /webhook``: check the secret, parse, hand to the runner, answer when done."""

    def __init__(
        self, bot: Bot, runner: UpdateRunner, secret: str, *, metrics: Metrics | None = None
    ) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret")
        self._bot = bot
        self._runner = runner
        self._secret = secret.encode()
        self._metrics = metrics or Metrics()
        self.counts: Counter[str] = Counter()

    def _reject(self, reason: str, status: int) -> web.Response:
        self.counts[f"rejected_{reason}"] += 1
        self._metrics.webhook_rejected.labels(reason).inc()
        return web.Response(status=status)

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._secret):
            return self._reject("secret", 403)
        if request.content_type != "application/json":
            return self._reject("content_type", 415)
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return self._reject("too_large", 413)
        try:
            body = await request.read()
            update = parse_update(json.loads(body), self._bot)
        except (UnusableUpdate, ValueError, UnicodeDecodeError):
            return self._reject("malformed", 400)
        except web.HTTPRequestEntityTooLarge:
            return self._reject("too_large", 413)
        if update is None:
            # A well-formed update PTB cannot parse: accept it, or Telegram retries forever.
            self.counts["unparseable"] += 1
            self._metrics.updates.labels("unparseable").inc()
            return web.Response(status=200)
        done = self._runner.submit(update)
        try:
            async with asyncio.timeout(HANDLE_TIMEOUT_SECONDS):
                await asyncio.shield(done)
        except TimeoutError:
            log.warning("webhook.slow_update", extra={"update_id": update.update_id})
        self.counts["updates"] += 1
        return web.Response(status=200)


class HttpListener:
    """One aiohttp site; ``port`` is the bound port (useful with port 0 in tests)."""

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self, host: str, port: int) -> None:
        self._runner = web.AppRunner(self._app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def webhook_listener(endpoint: WebhookEndpoint, path: str = "/webhook") -> HttpListener:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_post(path, endpoint.handle)
    return HttpListener(app)


def ops_listener(readiness: Readiness, scrape: Scrape) -> HttpListener:
    """``readiness`` returns (ready, a JSON-able report naming each check)."""

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(_: web.Request) -> web.Response:
        ready, checks = await readiness()
        return web.json_response({"ready": ready, "checks": checks}, status=200 if ready else 503)

    async def metrics_page(_: web.Request) -> web.Response:
        return web.Response(body=await scrape(), headers={"Content-Type": CONTENT_TYPE})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)
    return HttpListener(app)
