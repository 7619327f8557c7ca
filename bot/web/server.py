"""Production HTTP: the Telegram webhook, /healthz and /metrics (aiohttp).

The webhook only accepts JSON with the secret token Telegram echoes back, then hands the
update to PTB's queue; the 200 is sent once the update is queued.
"""

from __future__ import annotations

import hmac
import logging
from collections import Counter

from aiohttp import web
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
APP_KEY = web.AppKey("application", Application)
COUNTS_KEY = web.AppKey("counts", Counter)
SECRET_KEY = web.AppKey("secret", str)


async def _webhook(request: web.Request) -> web.Response:
    application = request.app[APP_KEY]
    counts = request.app[COUNTS_KEY]
    secret = request.app[SECRET_KEY]
    given = request.headers.get(SECRET_HEADER, "")
    if secret and not hmac.compare_digest(given, secret):
        counts["webhook_rejected"] += 1
        return web.Response(status=403)
    if request.content_type != "application/json":
        counts["webhook_rejected"] += 1
        return web.Response(status=415)
    try:
        data = await request.json()
        update = Update.de_json(data, application.bot)
    except ValueError:
        counts["webhook_rejected"] += 1
        return web.Response(status=400)
    await application.update_queue.put(update)
    counts["webhook_updates"] += 1
    return web.Response(status=200)


async def _healthz(request: web.Request) -> web.Response:
    application = request.app[APP_KEY]
    ok = application.running
    return web.json_response({"ok": ok}, status=200 if ok else 503)


async def _metrics(request: web.Request) -> web.Response:
    counts = request.app[COUNTS_KEY]
    application = request.app[APP_KEY]
    lines = [
        "# TYPE exercise_bot_webhook_updates_total counter",
        f"exercise_bot_webhook_updates_total {counts['webhook_updates']}",
        "# TYPE exercise_bot_webhook_rejected_total counter",
        f"exercise_bot_webhook_rejected_total {counts['webhook_rejected']}",
        "# TYPE exercise_bot_update_queue_size gauge",
        f"exercise_bot_update_queue_size {application.update_queue.qsize()}",
    ]
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")


def make_web_app(
    application: Application, secret: str | None, path: str = "/webhook"
) -> web.Application:  # type: ignore[type-arg]
    app = web.Application()
    app[APP_KEY] = application
    app[COUNTS_KEY] = Counter()
    app[SECRET_KEY] = secret or ""
    app.router.add_post(path, _webhook)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/metrics", _metrics)
    return app


class WebServer:
    def __init__(self, application: Application, secret: str | None) -> None:  # type: ignore[type-arg]
        self._app = make_web_app(application, secret)
        self._runner: web.AppRunner | None = None
        self.port: int = 0

    async def start(self, host: str, port: int) -> None:
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
