"""``exercise-bot run``: the bot against real Telegram or any Bot API server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.app import allowed_updates, build_application, build_services
from bot.config import Settings
from bot.content.errors import ContentError
from bot.web.server import WebServer

log = logging.getLogger(__name__)


async def run_bot(settings: Settings, *, webhook: bool = False) -> int:
    try:
        services = await build_services(settings)
    except ContentError as error:
        for problem in error.problems:
            log.error("content.invalid", extra={"problem": str(problem)})
            print(problem)
        return 1
    assert settings.telegram_bot_token
    bot = build_application(
        services,
        token=settings.telegram_bot_token,
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_api_file_url,
        updater=not webhook,
    )
    app = bot.application
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    web = WebServer(app, settings.webhook_secret)
    async with app:
        await app.start()
        await web.start(settings.web_host, settings.web_port)
        if webhook:
            if not settings.webhook_url:
                print("WEBHOOK_URL is not set (the public HTTPS URL of /webhook).")
                return 2
            await app.bot.set_webhook(
                settings.webhook_url,
                secret_token=settings.webhook_secret,
                allowed_updates=allowed_updates(),
            )
        else:
            assert app.updater is not None
            await app.updater.start_polling(allowed_updates=allowed_updates())
        if app.post_init:
            await app.post_init(app)
        log.info(
            "bot.started",
            extra={
                "mode": "webhook" if webhook else "polling",
                "content_version": services.content.short_version,
            },
        )
        await stop.wait()
        log.info("bot.stopping")
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        await web.stop()
        await app.stop()
    await services.db.dispose()
    return 0
