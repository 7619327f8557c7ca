"""The ordered stream of updates the bot consumes: offsets, allowed_updates, settling.

Updates made by simulated users are well formed; raw updates injected for hostile tests
(`World.push_raw`) may be anything, so nothing here trusts an update's shape: each entry
has its own sequence number, and only an integer `update_id` takes part in offsets.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from dataclasses import dataclass
from typing import Any

# Telegram's default when allowed_updates is not given or empty.
DEFAULT_EXCLUDED = ("chat_member", "message_reaction", "message_reaction_count")


@dataclass(slots=True, eq=False)
class Pending:
    """One update not yet confirmed (polling) or acknowledged (webhook)."""

    seq: int
    update: Any
    filtered: bool = True  # subject to allowed_updates (raw updates are not, by default)

    @property
    def update_id(self) -> int | None:
        """The integer update_id, if the update has one (raw updates may not)."""
        uid = self.update.get("update_id") if isinstance(self.update, dict) else None
        return uid if isinstance(uid, int) and not isinstance(uid, bool) else None

    def wanted(self, allowed: list[str] | None) -> bool:
        if not self.filtered:
            return True
        if not isinstance(self.update, dict):
            return False
        if not allowed:
            return not any(kind in self.update for kind in DEFAULT_EXCLUDED)
        return any(kind in self.update for kind in allowed)


class UpdateQueue:
    """Pending updates in order, with Telegram's getUpdates offset semantics."""

    def __init__(self) -> None:
        self.pending: list[Pending] = []
        self.dropped: list[Any] = []  # the webhook gave up on these
        self._next_update_id = 1
        self._seq = itertools.count(1)
        self.last_seq = 0
        self._changed = asyncio.Event()

    def next_update_id(self) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        return update_id

    @property
    def last_update_id(self) -> int:
        return self._next_update_id - 1

    def push(self, update: Any, *, filtered: bool = True) -> None:
        self.last_seq = next(self._seq)
        self.pending.append(Pending(self.last_seq, update, filtered))
        self.notify()

    def confirm_below(self, offset: int) -> None:
        """getUpdates offset: updates with a smaller update_id are forgotten."""
        kept = [p for p in self.pending if p.update_id is None or p.update_id >= offset]
        self._replace(kept)

    def keep_last(self, count: int) -> None:
        """A negative offset: only the last `count` updates stay."""
        self._replace(self.pending[max(len(self.pending) - count, 0) :])

    def clear(self) -> None:
        self._replace([])

    def available(self, allowed: list[str] | None) -> list[Pending]:
        """Pending updates the bot asked for; other kinds are forgotten (never delivered)."""
        self._replace([p for p in self.pending if p.wanted(allowed)])
        return list(self.pending)

    def delivered(self, batch: list[Pending]) -> None:
        """After a getUpdates answer: an update without an integer update_id cannot be
        confirmed by an offset, so it is forgotten once it has been delivered."""
        gone = {id(p) for p in batch if p.update_id is None}
        if gone:
            self._replace([p for p in self.pending if id(p) not in gone])

    def settle(self, entry: Pending, *, dropped: bool = False) -> None:
        """One update acknowledged by the webhook (or given up on)."""
        if dropped:
            self.dropped.append(entry.update)
        self._replace([p for p in self.pending if p is not entry])

    def _replace(self, kept: list[Pending]) -> None:
        if len(kept) != len(self.pending):
            self.pending = kept
            self.notify()

    def notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_change(self, seconds: float) -> None:
        """Sleep until an update is added or settled, or `seconds` pass."""
        event = self._changed
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
        # races with the event being set, and the webhook task would never stop.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await event.wait()

    async def wait_delivered(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Return once every update pushed so far is confirmed, acknowledged or forgotten."""
        target = self.last_seq
        deadline = time.monotonic() + timeout
        while self.pending and self.pending[0].seq <= target:
            left = deadline - time.monotonic()
            if left <= 0:
                waiting = sum(p.seq <= target for p in self.pending)
                raise TimeoutError(f"{waiting} update(s) not delivered within {timeout}s")
            await self.wait_change(left)
