"""Injected failures, so retry and error paths of the bot can be tested on purpose."""

from __future__ import annotations

import random as _random
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.sandbox.errors import BLOCKED, ApiError, forbidden, too_many_requests

_DESCRIPTIONS = {
    400: "Bad Request: injected fault",
    401: "Unauthorized",  # a revoked or wrong token, as Telegram answers it
    404: "Not Found",  # what Telegram answers for a token it does not know at all
    403: f"Forbidden: {BLOCKED}",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(slots=True)
class Fault:
    """What to do to one call: answer an error, wait first, or drop the connection.

    A delay with `apply_first` carries the call out at once and holds only the answer: a
    client that times out meanwhile still finds its message in the chat, as with Telegram.
    """

    kind: str  # "fail" | "delay" | "drop"
    status: int = 500
    retry_after: int = 3
    seconds: float = 0.0
    description: str | None = None
    apply_first: bool = False

    def error(self) -> ApiError:
        if self.status == 429:
            return too_many_requests(self.retry_after)
        if self.status == 403 and self.description is None:
            return forbidden(BLOCKED)
        text = self.description or _DESCRIPTIONS.get(self.status, f"Error {self.status}")
        return ApiError(self.status, text)


@dataclass(slots=True)
class _Rule:
    fault: Fault
    remaining: int
    method: str | None  # lowercased; None = any method


@dataclass(slots=True)
class _Random:
    fraction: float
    rng: _random.Random
    statuses: tuple[int, ...]
    method: str | None
    retry_after: int = 3
    seen: list[int] = field(default_factory=list)


class FaultInjector:
    """Queue of one-shot faults (first matching rule wins) plus an optional seeded random one."""

    def __init__(self) -> None:
        self._rules: list[_Rule] = []
        self._random: _Random | None = None

    def fail_next(
        self,
        n: int = 1,
        status: int = 429,
        method: str | None = None,
        retry_after: int = 3,
        description: str | None = None,
    ) -> None:
        fault = Fault("fail", status=status, retry_after=retry_after, description=description)
        self._add(fault, n, method)

    def delay_next(
        self, n: int, seconds: float, method: str | None = None, *, apply_first: bool = False
    ) -> None:
        """Answer the next n calls `seconds` late; with `apply_first` the call takes effect
        before the wait (the message is in the chat even if the client gives up)."""
        self._add(Fault("delay", seconds=seconds, apply_first=apply_first), n, method)

    def drop_next(self, n: int = 1, method: str | None = None) -> None:
        self._add(Fault("drop"), n, method)

    def random(
        self,
        fraction: float,
        seed: int,
        statuses: Sequence[int] = (500,),
        method: str | None = None,
        retry_after: int = 3,
    ) -> None:
        """Fail a seeded random fraction of calls; the same seed fails the same calls."""
        self._random = _Random(
            fraction,
            _random.Random(seed),
            tuple(statuses),
            method.lower() if method else None,
            retry_after,
        )

    def clear(self) -> None:
        self._rules.clear()
        self._random = None

    @property
    def pending(self) -> int:
        return sum(rule.remaining for rule in self._rules)

    def _add(self, fault: Fault, n: int, method: str | None) -> None:
        if n < 1:
            raise ValueError("n must be >= 1")
        self._rules.append(_Rule(fault, n, method.lower() if method else None))

    def take(self, method: str) -> Fault | None:
        """The fault for this call, if any (consumes one use of the matching rule)."""
        lowered = method.lower()
        for rule in self._rules:
            if rule.method is None or rule.method == lowered:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._rules.remove(rule)
                return rule.fault
        rnd = self._random
        if rnd is not None and (rnd.method is None or rnd.method == lowered):
            roll = rnd.rng.random()
            status = rnd.statuses[rnd.rng.randrange(len(rnd.statuses))]
            if roll < rnd.fraction:
                return Fault("fail", status=status, retry_after=rnd.retry_after)
        return None
