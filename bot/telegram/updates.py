"""How updates reach the handlers: parsed one by one, run concurrently across chats and in
order within a chat.

PTB's own concurrency runs every update as a task behind one semaphore, so a chat that
floods the bot (or waits on its per-chat rate limit) occupies slots other patients need,
and its updates can overtake each other. Here each chat has a FIFO of its own, served by
one worker at a time, and at most ``concurrency`` handlers run at once across chats. A
chat that already has ``backlog_per_chat`` updates waiting gets the next ones dropped
(counted and logged, never their content): that bounds memory under a flood from one
account without delaying anyone else.

Both update sources (the poller and the webhook) submit here and learn when an update is
finished, so they confirm it to Telegram only after it was handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, Update

from bot.metrics import Metrics

log = logging.getLogger(__name__)

Process = Callable[[Update], Awaitable[object]]


class UnusableUpdate(ValueError):
    """An update we cannot even identify (no integer update_id): nothing to confirm."""


def parse_update(raw: object, bot: Bot) -> Update | None:
    """One update from its JSON; None for a "poison" update PTB cannot parse.

    Raises UnusableUpdate for data that is not an update at all. Nothing of the content is
    logged: updates carry names and message texts.
    """
    if not isinstance(raw, Mapping):
        raise UnusableUpdate("not a JSON object")
    update_id = raw.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise UnusableUpdate("no integer update_id")
    try:
        return Update.de_json(_lean(raw), bot)
    except Exception as error:  # any shape PTB chokes on: skip it, never retry it forever
        log.warning(
            "update.unparseable",
            extra={"update_id": update_id, "error": type(error).__name__},
        )
        return None


# What a tap's handler reads of the message with the button (bot/telegram/handlers.py):
# which message, in which chat, whether it is inaccessible (date 0), and whether it has a
# picture. The rest of it (its buttons, text, entities, thumbnails) is left unparsed.
_TAPPED_KEEPS = ("message_id", "date", "chat", "from", "message_thread_id")
_TAPPED_MEDIA = ("animation", "video", "document")


def _lean(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The update, with the tapped message of a callback query cut to what a tap needs:
    PTB builds an object for every part of it (each button, each thumbnail), and did it
    for every tap (docs/BENCHMARKS.md)."""
    update = dict(raw)
    query = update.get("callback_query")
    if not isinstance(query, Mapping) or not isinstance(query.get("message"), Mapping):
        return update
    message = query["message"]
    lean = {key: message[key] for key in _TAPPED_KEEPS if key in message}
    photo = message.get("photo")
    if isinstance(photo, list) and photo:
        lean["photo"] = photo[-1:]
    for kind in _TAPPED_MEDIA:
        media = message.get(kind)
        if isinstance(media, Mapping):
            lean[kind] = {key: value for key, value in media.items() if key != "thumbnail"}
    update["callback_query"] = {**query, "message": lean}
    return update


def chat_key(update: Update) -> int | None:
    """Updates with the same key are handled one at a time, in order."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return None


@dataclass
class _Chat:
    queue: deque[tuple[Update, asyncio.Future[bool]]] = field(default_factory=deque)
    worker: asyncio.Task[None] | None = None


class UpdateRunner:
    """Runs ``process`` for each submitted update; see the module docstring."""

    def __init__(
        self,
        process: Process,
        *,
        concurrency: int = 16,
        backlog_per_chat: int = 20,
        metrics: Metrics | None = None,
    ) -> None:
        if concurrency < 1 or backlog_per_chat < 1:
            raise ValueError("concurrency and backlog_per_chat must be positive")
        self._process = process
        self._slots = asyncio.Semaphore(concurrency)
        self._backlog = backlog_per_chat
        self._chats: dict[int | None, _Chat] = {}
        self._pending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.handled = 0
        self.dropped = 0
        self.failed = 0
        self._metrics = metrics or Metrics()
        self._metrics.updates_pending.set_function(lambda: self._pending)

    @property
    def pending(self) -> int:
        """Updates submitted and not finished (queued or running)."""
        return self._pending

    def submit(self, update: Update) -> asyncio.Future[bool]:
        """Queue an update; the future is True once handled, False if it was dropped."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        key = chat_key(update)
        chat = self._chats.setdefault(key, _Chat())
        if len(chat.queue) >= self._backlog:
            self.dropped += 1
            self._metrics.updates.labels("dropped").inc()
            log.warning("update.dropped_backlog", extra={"update_id": update.update_id})
            done.set_result(False)
            return done
        chat.queue.append((update, done))
        self._pending += 1
        self._idle.clear()
        if chat.worker is None:
            chat.worker = asyncio.create_task(self._serve(key, chat), name=f"chat-{key}")
        return done

    async def _serve(self, key: int | None, chat: _Chat) -> None:
        try:
            while chat.queue:
                update, done = chat.queue[0]
                try:
                    async with self._slots:
                        with self._metrics.update_seconds.time():
                            await self._process(update)
                    self.handled += 1
                    self._metrics.updates.labels("handled").inc()
                except Exception as error:  # PTB's error handlers ran already; keep serving
                    self.failed += 1
                    self._metrics.updates.labels("failed").inc()
                    log.error(
                        "update.failed",
                        extra={"update_id": update.update_id, "error": type(error).__name__},
                    )
                # (a cancellation skips this: ``stop`` settles what was left)
                chat.queue.popleft()
                if not done.done():
                    done.set_result(True)
                self._finished_one()
        finally:
            chat.worker = None
            if not chat.queue and self._chats.get(key) is chat:
                del self._chats[key]

    def _finished_one(self) -> None:
        self._pending -= 1
        if self._pending == 0:
            self._idle.set()

    async def join(self) -> None:
        """Until nothing is queued or running."""
        await self._idle.wait()

    async def stop(self, grace: float) -> int:
        """Let running and queued updates finish for up to ``grace`` seconds, then cancel
        the rest; returns how many were cancelled (they stay unconfirmed, so Telegram
        delivers them again after a restart)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await self.join()
        cancelled = self._pending
        workers = [chat.worker for chat in self._chats.values() if chat.worker is not None]
        for worker in workers:
            worker.cancel()
        for worker in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        for chat in self._chats.values():
            for _, done in chat.queue:
                if not done.done():
                    done.cancel()
        self._chats.clear()
        self._pending = 0
        self._idle.set()
        if cancelled:
            log.warning("updates.cancelled_at_stop", extra={"count": cancelled})
        return cancelled

    def stats(self) -> dict[str, Any]:
        return {
            "pending": self._pending,
            "handled": self.handled,
            "dropped": self.dropped,
            "failed": self.failed,
        }
