"""Long polling that confirms an update only after it was handled, and never gives up.

PTB's Updater confirms updates as soon as it fetches them (a hard kill loses what was
fetched but not handled), stops for good on one 401/404, and loops at full speed on an
update it cannot parse. This poller:

- asks ``getUpdates`` with ``offset`` = the oldest update not yet handled, so Telegram
  keeps (and after a crash, redelivers) everything unfinished; updates it already has in
  hand are recognised by id and not decoded or handled twice;
- asks again only once an update in hand finished, and with many in hand after a pause
  that grows with them (each answer repeats them all): the call that confirms an update
  is also the long poll for the next one when nothing else is in hand, so a lone
  patient's tap costs one ``getUpdates``, not a second to confirm it;
- keeps at most ``window`` update ids between that offset and the newest one fetched;
  when one slow chat holds the offset back longer than that, the offset moves past it
  (``updates.confirmed_early``: such an update could be lost by a crash, never run twice);
- skips a poison update after one warning with its id (see ``parse_update``);
- backs off on 401/404 (token revoked or wrong server), 409 (another poller or a webhook)
  and network errors, and keeps trying; ``status`` tells /readyz what is wrong.

It calls ``Bot._post`` for ``getUpdates`` to get the raw JSON: PTB's public ``get_updates``
parses the whole batch at once, so one bad update would fail all of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import Bot
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError, TimedOut

from bot.metrics import Metrics
from bot.telegram.updates import UnusableUpdate, UpdateRunner, parse_update

log = logging.getLogger(__name__)

MAX_LIMIT = 100  # Telegram's largest getUpdates batch
BUSY_REPOLL_SECONDS = 0.2
QUICK_REPOLL_SECONDS = 0.02  # how long a new update waits while one other is in hand
MAX_BACKOFF_SECONDS = 60.0


@dataclass
class PollStatus:
    """What the poller last saw; read by /readyz and /metrics."""

    problem: str | None = None  # "unauthorized", "conflict", "network", or None
    problem_since: float | None = None
    streak: int = 0  # failed polls in a row with this problem
    last_success: float | None = None
    polls: int = 0
    errors: int = 0
    unparseable: int = 0
    confirmed_early: int = 0

    def ok(self) -> None:
        self.problem = None
        self.problem_since = None
        self.streak = 0
        self.last_success = time.monotonic()

    def failed(self, problem: str) -> None:
        self.errors += 1
        if self.problem != problem:
            self.problem = problem
            self.problem_since = time.monotonic()
            self.streak = 0
        self.streak += 1

    def blocking(self) -> str | None:
        """What keeps this poller from getting updates for good, if anything: Telegram
        refused the token (401/404), or another poller or a webhook takes the updates
        (409), twice in a row or more (one 409 is normal right after a restart, while
        the previous process's long poll is still open)."""
        if self.problem in ("unauthorized", "conflict") and self.streak >= 2:
            return self.problem
        return None


class Poller:
    def __init__(
        self,
        bot: Bot,
        runner: UpdateRunner,
        *,
        allowed_updates: Sequence[str],
        timeout: int = 10,
        window: int = MAX_LIMIT,
        poll_interval: float = 0.0,
        backoff_scale: float = 1.0,
        metrics: Metrics | None = None,
    ) -> None:
        if not 1 <= window <= MAX_LIMIT:
            raise ValueError(f"window must be within 1..{MAX_LIMIT}")
        self._bot = bot
        self._runner = runner
        self._allowed = list(allowed_updates)
        self._timeout = timeout
        self._window = window
        self._interval = poll_interval
        self.status = PollStatus()
        self._unfinished: set[int] = set()
        self._last_id: int | None = None
        self._progress = asyncio.Event()  # some update finished since the last call
        self._all_done = asyncio.Event()  # set while no update in hand is unfinished
        self._all_done.set()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._backoff = 0.0
        self._backoff_scale = backoff_scale  # tests shrink the waits
        self._metrics = metrics or Metrics()

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="poller")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self, grace: float = 5.0) -> None:
        """Stop fetching, let handlers finish for ``grace`` seconds, confirm what finished."""
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._runner.stop(grace)
        await self._confirm_finished()

    # --- the loop ----------------------------------------------------------------------

    def offset(self) -> int | None:
        """The offset to ask for: confirms every update below it."""
        if self._last_id is None:
            return None
        newest_allowed_gap = self._last_id + 1 - self._window
        low = min(self._unfinished) if self._unfinished else self._last_id + 1
        if low < newest_allowed_gap:
            early = sum(1 for i in self._unfinished if i < newest_allowed_gap)
            self.status.confirmed_early += early
            log.warning("updates.confirmed_early", extra={"count": early})
            self._unfinished = {i for i in self._unfinished if i >= newest_allowed_gap}
            if not self._unfinished:
                self._all_done.set()
            low = min(self._unfinished) if self._unfinished else self._last_id + 1
        return low

    async def _loop(self) -> None:
        while not self._stopping:
            self._progress.clear()  # from here on, a finished update is news
            raw = await self._fetch(0 if self._unfinished else self._timeout)
            if raw is None:
                continue
            self._take_fresh(raw)
            if self._unfinished:
                await self._until_worth_asking()
            elif self._interval:
                await asyncio.sleep(self._interval)

    async def _until_worth_asking(self) -> None:
        """Wait before asking again while updates are in hand.

        Asked now, Telegram would answer at once with every unfinished update again (they
        are not confirmed yet), to be decoded and skipped. So: ask once one finished -
        that call confirms it, and when nothing else is in hand it is also the long poll
        for the next update (a lone patient's tap costs one getUpdates, not two) - or
        after QUICK_REPOLL_SECONDS, so another chat's new update does not wait for a slow
        one. With more in hand, not sooner than a pause that grows with them (each answer
        repeats them all, up to BUSY_REPOLL_SECONDS with the window full), unless all are
        done. With the window full, nothing is asked until one finishes.
        """
        loop = asyncio.get_running_loop()
        asked_at = loop.time()
        full = len(self._unfinished) >= self._window
        await _until(self._progress, None if full else QUICK_REPOLL_SECONDS)
        pause = BUSY_REPOLL_SECONDS * len(self._unfinished) / self._window
        left = asked_at + pause - loop.time()
        if self._unfinished and left > 0:
            await _until(self._all_done, left)

    async def _fetch(self, long_poll: int) -> list[object] | None:
        data: dict[str, object] = {
            "timeout": long_poll,
            "limit": MAX_LIMIT,
            "allowed_updates": self._allowed,
        }
        offset = self.offset()
        if offset is not None:
            data["offset"] = offset
        try:
            result = await self._get_updates(data, long_poll)
        except RetryAfter as error:
            self.status.failed("rate_limited")
            await asyncio.sleep((_seconds(error.retry_after) + 0.5) * self._backoff_scale)
            return None
        except TimedOut:
            self.status.failed("timeout")
            await self._back_off("timeout", first=0.0)
            return None
        except InvalidToken:
            await self._back_off("unauthorized", first=5.0)
            return None
        except Conflict:
            await self._back_off("conflict", first=5.0)
            return None
        except TelegramError:
            await self._back_off("network", first=1.0)
            return None
        except Exception as error:  # never let the loop die
            log.error("polling.error", extra={"error": type(error).__name__})
            await self._back_off("error", first=1.0)
            return None
        self.status.polls += 1
        if not isinstance(result, list):
            await self._back_off("bad_response", first=1.0)
            return None
        self.status.ok()
        self._backoff = 0.0
        return result

    async def _get_updates(self, data: dict[str, object], long_poll: int) -> object:
        try:
            return await self._bot._post(
                "getUpdates", data, read_timeout=long_poll + 10, write_timeout=10
            )
        except TelegramError as error:  # counted here: getUpdates skips the rate limiter
            self._metrics.telegram_error("getUpdates", error)
            raise

    async def _back_off(self, problem: str, *, first: float) -> None:
        repeated = self.status.problem == problem
        self.status.failed(problem)
        if not repeated:
            log.error("polling.failing", extra={"problem": problem})
        self._backoff = min(MAX_BACKOFF_SECONDS, self._backoff * 2 if self._backoff else first)
        if self._backoff:
            await asyncio.sleep(self._backoff * self._backoff_scale)

    def _take_fresh(self, raw: list[object]) -> list[int]:
        fresh: list[int] = []
        for item in raw:
            update_id = item.get("update_id") if isinstance(item, dict) else None
            seen = self._last_id is not None and isinstance(update_id, int)
            if seen and update_id <= self._last_id:  # type: ignore[operator]
                continue  # already in hand (or handled) from an earlier poll
            try:
                update = parse_update(item, self._bot)
            except UnusableUpdate as error:
                log.warning("update.unusable", extra={"reason": str(error)})
                continue
            assert isinstance(update_id, int)  # parse_update checked it
            self._last_id = update_id
            fresh.append(update_id)
            if update is None:
                self.status.unparseable += 1
                self._metrics.updates.labels("unparseable").inc()
                continue  # poison: confirmed with the next poll, never handled
            self._unfinished.add(update_id)
            self._all_done.clear()
            done = self._runner.submit(update)
            done.add_done_callback(functools.partial(self._finished, update_id))
        return fresh

    def _finished(self, update_id: int, done: asyncio.Future[bool]) -> None:
        if not done.cancelled():  # cancelled at stop: left for Telegram to deliver again
            self._unfinished.discard(update_id)
        self._progress.set()
        if not self._unfinished:
            self._all_done.set()

    async def _confirm_finished(self) -> None:
        """One last short call so Telegram forgets what was handled before the stop."""
        offset = self.offset()
        if offset is None:
            return
        try:
            await self._bot._post(
                "getUpdates",
                {"offset": offset, "timeout": 0, "limit": 1, "allowed_updates": self._allowed},
                read_timeout=5,
            )
        except Exception as error:  # the next start fetches them again; handled idempotently
            log.warning("polling.confirm_failed", extra={"error": type(error).__name__})


async def _until(event: asyncio.Event, at_most: float | None) -> None:
    """Until ``event`` is set (at once if it is already), or ``at_most`` seconds."""
    if event.is_set():
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(at_most):
            await event.wait()


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
