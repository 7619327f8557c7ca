"""Webhook mode: POST each update to the bot's URL, in order, retrying with a bounded backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import aiohttp

from bot.sandbox.updates import Pending
from bot.sandbox.world import World

log = logging.getLogger(__name__)


class WebhookDelivery:
    """Owns the webhook settings and the single task that pushes updates to the URL."""

    def __init__(
        self,
        world: World,
        *,
        max_attempts: int = 5,
        backoff: float = 0.05,
        max_backoff: float = 1.0,
        request_timeout: float = 10.0,
    ) -> None:
        self.world = world
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.request_timeout = request_timeout
        self.url: str | None = None
        self.secret_token: str | None = None
        self.allowed_updates: list[str] | None = None
        self.max_connections = 40
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.attempts: list[dict[str, Any]] = []  # every POST: update_id, status or error
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def configure(
        self,
        *,
        url: str,
        secret_token: str | None,
        allowed_updates: list[str] | None,
        max_connections: int,
    ) -> None:
        self.url = url
        self.secret_token = secret_token
        self.allowed_updates = allowed_updates
        self.max_connections = max_connections
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="sandbox-webhook")

    async def remove(self) -> None:
        self.url = None
        self.secret_token = None
        await self._stop_task()

    async def close(self) -> None:
        await self._stop_task()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _stop_task(self) -> None:
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def info(self, pending: int) -> dict[str, Any]:
        data: dict[str, Any] = {
            "url": self.url or "",
            "has_custom_certificate": False,
            "pending_update_count": pending,
        }
        if self.url:
            data["max_connections"] = self.max_connections
            if self.allowed_updates is not None:
                data["allowed_updates"] = self.allowed_updates
        if self.last_error_date is not None:
            data["last_error_date"] = self.last_error_date
            data["last_error_message"] = self.last_error_message
        return data

    async def _run(self) -> None:
        while self.url:
            allowed = self.allowed_updates or self.world.allowed_updates
            ready = self.world.available(allowed)  # drops kinds the bot did not ask for
            if not ready:
                await self.world.wait_change(1.0)
                continue
            await self._deliver(ready[0])

    async def _deliver(self, entry: Pending) -> None:
        delay = self.backoff
        for attempt in range(1, self.max_attempts + 1):
            url = self.url
            if not url:
                return
            error = await self._post(url, entry.update)
            if error is None:
                self.world.settle(entry)
                return
            self.last_error_date = int(time.time())
            self.last_error_message = error
            if attempt < self.max_attempts:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
        log.warning("webhook gave up on update %s", entry.update_id)
        self.world.settle(entry, dropped=True)

    async def _post(self, url: str, update: Any) -> str | None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.request_timeout)
            )
        headers = {}
        if self.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.secret_token
        try:
            async with self._session.post(url, json=update, headers=headers) as resp:
                await resp.read()
                self.attempts.append({"update_id": _update_id(update), "status": resp.status})
                if 200 <= resp.status < 300:
                    return None
                return f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            self.attempts.append({"update_id": _update_id(update), "error": type(exc).__name__})
            return f"Connection failed: {type(exc).__name__}"


def _update_id(update: Any) -> Any:
    return update.get("update_id") if isinstance(update, dict) else None
