"""The emulator, the real bot and a fake clock in one process.

Used by the end-to-end tests, ``exercise-bot demo`` and the script runner. ``settle()``
returns once every update a simulated user produced has been fetched by the bot and fully
processed, so a test can assert on the chat without sleeping.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from bot.app import BotApp, allowed_updates, build_application, build_services, make_poller
from bot.config import Settings
from bot.core.clock import FakeClock, SystemClock
from bot.sandbox.emulator import Emulator
from bot.sandbox.world import SimUser
from bot.services.context import Services
from bot.telegram.polling import Poller
from bot.web.server import HttpListener, WebhookEndpoint, webhook_listener

TOKEN = "123456:SANDBOX-TOKEN"


class Sandbox:
    def __init__(
        self,
        *,
        database_url: str,
        content_dir: Path | None = None,
        clock: FakeClock | SystemClock | None = None,
        mode: Literal["polling", "webhook"] = "polling",
        poll_backoff_scale: float = 0.01,
        **settings: object,
    ) -> None:
        self.clock = clock or FakeClock()
        self.emulator = Emulator(token=TOKEN, clock=self.clock.now)
        overrides: dict[str, object] = {
            "database_url": database_url,
            "dispatch_interval_seconds": 0.0,
            "rate_limit_per_chat_per_second": 0.0,  # tests tap faster than a person
            **settings,
        }
        if content_dir is not None:
            overrides["content_dir"] = content_dir
        self.settings = Settings(**overrides)  # type: ignore[arg-type]
        self.mode = mode
        self.poll_backoff_scale = poll_backoff_scale
        self.webhook_secret = secrets.token_urlsafe(16)
        self.services: Services | None = None
        self.bot: BotApp | None = None
        self._web: HttpListener | None = None
        self._poller: Poller | None = None

    @property
    def world(self):  # type: ignore[no-untyped-def]
        return self.emulator.world

    async def start(self) -> None:
        await self.emulator.start()
        self.services = await build_services(self.settings, self.clock)
        await self.start_bot()

    async def start_bot(self) -> None:
        assert self.services is not None
        bot = build_application(
            self.services,
            token=TOKEN,
            base_url=self.emulator.base_url,
            base_file_url=self.emulator.base_file_url,
        )
        app = bot.application
        await app.initialize()
        if app.post_init:  # as PTB and bot/run.py: the menus are set before updates flow
            await app.post_init(app)
        await app.start()
        if self.mode == "polling":
            self._poller = make_poller(bot, timeout=5, backoff_scale=self.poll_backoff_scale)
            await app.bot.delete_webhook()
            self._poller.start()
        else:
            secret = self.webhook_secret
            self._web = webhook_listener(WebhookEndpoint(app.bot, bot.runner, secret))
            await self._web.start("127.0.0.1", 0)
            await app.bot.set_webhook(
                f"http://127.0.0.1:{self._web.port}/webhook",
                secret_token=secret,
                allowed_updates=allowed_updates(),
            )
        self.bot = bot

    @property
    def poller(self) -> Poller | None:
        return self._poller

    @property
    def webhook_port(self) -> int:
        assert self._web is not None, "not in webhook mode"
        return self._web.port

    async def stop_bot(self) -> None:
        if self.bot is None:
            return
        app = self.bot.application
        if self._poller is not None:
            await self._poller.stop(grace=self.settings.shutdown_grace_seconds)
            self._poller = None
        if self._web is not None:
            await self._web.stop()
            self._web = None
        await self.bot.runner.stop(self.settings.shutdown_grace_seconds)
        if app.running:
            await app.stop()
        await app.shutdown()
        self.bot = None

    async def restart_bot(self) -> None:
        """A new Application on the same database: nothing survives but what was stored."""
        await self.stop_bot()
        await self.start_bot()

    async def stop(self) -> None:
        await self.stop_bot()
        await self.emulator.stop()
        if self.services is not None:
            await self.services.db.dispose()

    def user(self, first_name: str = "Alex", language_code: str = "en") -> SimUser:
        return self.emulator.world.create_user(first_name=first_name, language_code=language_code)

    async def settle(self, timeout: float = 15.0) -> None:  # noqa: ASYNC109
        """Wait until every update so far is delivered and handled."""
        assert self.bot is not None
        for _ in range(3):
            await self.emulator.world.wait_delivered(timeout=timeout)
            async with asyncio.timeout(timeout):
                await self.bot.runner.join()
            if self.emulator.world.pending_updates == 0:
                return

    async def advance(self, delta: timedelta) -> None:
        await self.advance_to(self.clock.now() + delta)

    async def advance_to(self, target: datetime) -> None:
        """Move the clock, stopping at each due timer so it fires at its own minute."""
        if not isinstance(self.clock, FakeClock):
            raise TypeError("only a FakeClock can be moved")
        assert self.services is not None and self.bot is not None
        await self.settle()
        for _ in range(10_000):
            async with self.services.db.unit_of_work() as uow:
                due = await uow.timers.next_due_at()
            if due is None or due > target:
                break
            if due > self.clock.now():
                self.clock.set(due)
            processed = await self.bot.dispatcher.run_until_idle()
            await self.settle()
            if processed == 0:
                # Something is due and nothing could take it: a harness that skipped it
                # would let a test pass that should fail.
                raise AssertionError(f"a timer due at {due.isoformat()} was not dispatched")
        if target > self.clock.now():
            self.clock.set(target)

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
