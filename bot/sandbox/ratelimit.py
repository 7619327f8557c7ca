"""Telegram-like flood limits (token buckets); off unless the emulator is given RateLimits."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.sandbox.errors import too_many_requests


@dataclass(frozen=True, slots=True)
class RateLimits:
    """About 1 message/s per chat with a small burst and 30/s per bot, as Telegram advises."""

    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    global_per_second: float = 30.0
    global_burst: int = 30


class _Bucket:
    __slots__ = ("capacity", "rate", "tokens", "updated")

    def __init__(self, rate: float, capacity: int, now: float) -> None:
        self.rate = rate
        self.capacity = float(capacity)
        self.tokens = float(capacity)
        self.updated = now

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_time(self) -> float:
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class RateLimiter:
    def __init__(self, limits: RateLimits, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._now = monotonic
        self._global = _Bucket(limits.global_per_second, limits.global_burst, monotonic())
        self._chats: dict[int, _Bucket] = {}

    def check(self, chat_id: int) -> None:
        """Take one token from the chat's and the bot's bucket or raise 429 with retry_after."""
        now = self._now()
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = _Bucket(self.limits.per_chat_per_second, self.limits.per_chat_burst, now)
            self._chats[chat_id] = chat
        chat.refill(now)
        self._global.refill(now)
        wait = max(chat.wait_time(), self._global.wait_time())
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        chat.tokens -= 1
        self._global.tokens -= 1
