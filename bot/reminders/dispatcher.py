"""The one dispatcher: claims due timers in batches and hands each to its kind's handler.

It is driven by PTB's JobQueue (APScheduler) every few seconds in production, and called
directly by the script runner and tests after they move the fake clock. A handler returns
what happened; the dispatcher records it, releases the timer for a retry, or gives up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial

from sqlalchemy.engine import Connection
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bot.core.clock import Clock
from bot.metrics import Metrics
from bot.store.database import Database
from bot.store.models import Timer
from bot.store.repositories import complete_many_statement
from bot.telegram.errors import maybe_delivered, telegram_error_kind

log = logging.getLogger(__name__)

MAX_AUTH_BACKOFF = timedelta(minutes=5)


class Result(StrEnum):
    SENT = "sent"
    SENT_LATE = "sent_late"  # sent, but later than its due time (after downtime)
    MISSED = "missed"
    CANCELLED = "cancelled"
    FAILED = "failed"


TimerHandler = Callable[[Timer], Awaitable[Result]]
# Handles many timers of one kind at once, calling ``report(timer, outcome)`` for each (an
# outcome is a Result or the exception its send raised); ``report`` returns once the
# outcome is recorded. Timers it never reports stay claimed and are taken over when their
# lease runs out.
Report = Callable[[Timer, "Result | BaseException"], Awaitable[None]]
# Awaited before each send: it waits for a place in the send window, and says False when
# the claim (or the dispatcher's turn) was lost or the process is stopping; the handler
# then sends nothing more. Every True must be followed by a report of that timer. The
# handler may send concurrently (proceed, then send in a task), in the claim order.
Proceed = Callable[[Timer], Awaitable[bool]]
BatchHandler = Callable[[list[Timer], Report, Proceed], Awaitable[None]]
BlockedHook = Callable[[int], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    first_backoff: timedelta = timedelta(seconds=5)
    factor: float = 3.0

    def backoff(self, attempts: int) -> timedelta:
        return self.first_backoff * (self.factor ** max(0, attempts - 1))


STALL_FLOOR_SECONDS = 60.0
STALL_INTERVALS = 10


class DispatchHealth:
    """When the dispatch job last showed it works, for /readyz.

    The job beats when it finds nothing to do, before each batch it sends, and when it
    stands by because another process holds the SQLite dispatch lock. No beat for
    ``stall_after`` seconds (10 intervals, at least a minute: a batch waiting out a 429
    still beats within that) means it is stuck or failing.
    """

    def __init__(self, interval: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._monotonic = monotonic
        self.started = monotonic()
        self.last_beat: float | None = None
        self.standing_by = False
        self.beaten = asyncio.Event()  # set on every beat (tests wait for it)

    @property
    def stall_after(self) -> float:
        return max(STALL_FLOOR_SECONDS, STALL_INTERVALS * self.interval)

    def beat(self, *, standing_by: bool = False) -> None:
        self.last_beat = self._monotonic()
        self.standing_by = standing_by
        self.beaten.set()

    def check(self) -> tuple[bool, str]:
        """(ok, what an operator reads)."""
        if self.interval <= 0:
            return True, "off (DISPATCH_INTERVAL_SECONDS=0)"
        since = self.last_beat if self.last_beat is not None else self.started
        age = self._monotonic() - since
        if age > self.stall_after:
            last = "never ran" if self.last_beat is None else f"last ran {age:.0f} s ago"
            return False, (
                f"stalled: {last}, expected every {self.interval:g} s "
                "(DISPATCH_INTERVAL_SECONDS); see the log"
            )
        if self.last_beat is None:
            return True, "starting"
        if self.standing_by:
            return (
                True,
                f"standing by: another process dispatches on this SQLite file ({age:.0f} s ago)",
            )
        return True, f"ran {age:.0f} s ago"


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Dispatcher:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        handlers: Mapping[str, TimerHandler],
        *,
        on_blocked: BlockedHook | None = None,
        batch_handlers: Mapping[str, BatchHandler] | None = None,
        worker_id: str | None = None,
        batch_size: int = 100,
        send_window: int = 1,
        lease: timedelta = timedelta(minutes=2),
        retry: RetryPolicy | None = None,
        resend_on_timeout: frozenset[str] = frozenset(),
        turn: Callable[[], Awaitable[bool]] | None = None,
        metrics: Metrics | None = None,
        staff_chat_kinds: frozenset[str] = frozenset(),
    ) -> None:
        self._db = db
        self._clock = clock
        self._handlers = dict(handlers)
        self._batch_handlers = dict(batch_handlers or {})
        self._on_blocked = on_blocked
        self.worker_id = worker_id or default_worker_id()
        self._batch_size = batch_size
        if send_window < 1:
            raise ValueError("send_window must be at least 1")
        # sends of a batch in flight or sent and not yet recorded, at most: what a crash
        # can duplicate (docs/RELIABILITY.md)
        self._send_window = send_window
        self._lease = lease
        self._retry = retry or RetryPolicy()
        self._stopping = False
        # Kinds where a duplicate is better than a loss (safety advice): a send that timed
        # out is sent again. Everything else counts as sent, unconfirmed.
        self._resend_on_timeout = resend_on_timeout
        # Our turn to dispatch (a lease in the locks table, one dispatcher per database);
        # asked before every batch after the first and when a long batch renews its claims.
        self._turn = turn
        self._metrics = metrics or Metrics()
        # Kinds sent to the clinic's staff chat: a 403 there is the staff chat refusing the
        # bot (removed from the group, no right to post), not the patient blocking it.
        self._staff_chat_kinds = staff_chat_kinds

    def request_stop(self) -> None:
        """Finish the send in progress, hand the rest of the claimed batch back, stop."""
        self._stopping = True

    async def run_due(self) -> int:
        """Claim and process one batch of due timers; returns how many were processed."""
        now = self._clock.now()
        async with self._db.unit_of_work() as uow:
            timers = await uow.timers.claim_due(
                now, limit=self._batch_size, worker_id=self.worker_id, lease=self._lease
            )
            await uow.commit()
        batches: dict[str, list[Timer]] = defaultdict(list)
        singles: list[Timer] = []
        for timer in timers:
            if timer.kind in self._batch_handlers:
                batches[timer.kind].append(timer)
            else:
                singles.append(timer)
        for index, timer in enumerate(singles):
            if self._stopping:
                await self._hand_back(singles[index:])
                break
            await self._process(timer)
        for kind, group in batches.items():
            await self._process_batch(kind, group)
        return len(timers)

    async def _still_ours(self, timer_ids: list[int]) -> bool:
        """Renew the lease of a long batch (and our turn): False if any of it was lost.

        A batch that outlives its lease (429 waits, a slow Telegram) would otherwise be
        taken over by another process and sent twice."""
        if self._turn is not None and not await self._turn():
            log.warning("dispatch.turn_lost")
            return False
        until = self._clock.now() + self._lease
        async with self._db.unit_of_work() as uow:
            held = await uow.timers.renew_claims(timer_ids, self.worker_id, until)
            await uow.commit()
        if len(held) < len(timer_ids):
            log.warning("timer.claims_lost", extra={"count": len(timer_ids) - len(held)})
            return False
        return True

    async def _hand_back(self, timers: list[Timer]) -> None:
        """Claimed but not started (stopping): pending again now, for the next process."""
        if not timers:
            return
        async with self._db.unit_of_work() as uow:
            for timer in timers:
                await uow.timers.release(timer.id, self.worker_id, timer.due_at, None)
            await uow.commit()
        log.info("timer.handed_back", extra={"count": len(timers)})

    async def run_until_idle(self, max_batches: int = 1000) -> int:
        """Batches until nothing is due (or our turn to dispatch is over)."""
        total = 0
        for _ in range(max_batches):
            if self._stopping or (self._turn is not None and not await self._turn()):
                break
            count = await self.run_due()
            total += count
            if count < self._batch_size:
                break
        return total

    async def _process(self, timer: Timer) -> None:
        handler = self._handlers.get(timer.kind)
        if handler is None:
            await self._complete(timer, Result.FAILED, error=f"no handler for {timer.kind}")
            return
        try:
            result = await handler(timer)
        except Exception as error:
            await self._failed(timer, error)
        else:
            await self._complete(timer, result)

    async def _process_batch(self, kind: str, timers: list[Timer]) -> None:
        """Many timers of one kind: the handler decides for all of them in one transaction,
        sends them (concurrently, within the send window) and reports each outcome.

        The send window bounds what a crash can duplicate. ``proceed`` takes a place in
        the window before each send and waits while ``send_window`` messages are in
        flight or sent but not yet recorded; a sent message keeps its place until its
        outcome is committed. Sent outcomes are recorded in groups, one transaction with one
        ``UPDATE`` per group (on-time and late apart): a group is written once half the
        window waits for it or nothing else is in flight, and ``report`` returns once its
        group is committed. So a crash leaves at most ``send_window`` messages sent but unrecorded:
        at most that many duplicates per crash, after the lease runs out. A window of 1
        is the old rule, each send recorded before the next.

        Outcomes that sent nothing (cancelled, missed) are recorded together at the end.
        Failures (429, 403, 5xx, timeouts) are classified and recorded one by one, as ever.
        """
        quiet: dict[Result, list[int]] = defaultdict(list)
        reported: set[int] = set()
        unrecorded: set[int] = set()  # sent, the group not committed yet
        waiting: list[tuple[Timer, bool, asyncio.Future[None]]] = []
        flushing: list[asyncio.Task[None]] = []
        room = asyncio.Condition()
        placed: set[int] = set()  # in the window: sends in flight or sent, not recorded yet
        taken = 0  # len(placed), for the condition
        broken: list[BaseException] = []  # recording failed: send nothing more
        renewing = asyncio.Lock()
        renewed = self._clock.now()
        lost = False

        def halted() -> bool:
            return self._stopping or lost or bool(broken)

        async def give_back(done: list[Timer]) -> None:
            nonlocal taken
            async with room:
                for timer in done:
                    if timer.id in placed:
                        placed.discard(timer.id)
                        taken -= 1
                room.notify_all()

        def group_ready() -> bool:
            """Write a group when half the window waits for it, or when nothing else is in
            flight (the last sends of a batch, a handler sending one at a time)."""
            return bool(waiting) and (
                len(waiting) >= max(1, self._send_window // 2) or not placed - unrecorded
            )

        async def flush() -> None:
            while group_ready():
                group = waiting[:]
                waiting.clear()
                try:
                    await self._record_sent(kind, [(t, late) for t, late, _ in group])
                except Exception as error:  # the database: stop, and tell every sender
                    broken.append(error)
                    for _, _, done in group + waiting:
                        if not done.done():
                            done.set_exception(error)
                    async with room:
                        room.notify_all()
                    raise
                for timer, _, done in group:
                    unrecorded.discard(timer.id)
                    done.set_result(None)
                await give_back([timer for timer, _, _ in group])

        def maybe_flush() -> None:
            if group_ready() and (not flushing or flushing[-1].done()):
                flushing.append(asyncio.create_task(flush()))

        async def report(timer: Timer, result: Result | BaseException) -> None:
            reported.add(timer.id)
            if isinstance(result, BaseException):
                try:
                    await self._failed(timer, result)
                finally:
                    await give_back([timer])
                    maybe_flush()  # it may have been the last one in flight
            elif result in (Result.CANCELLED, Result.MISSED):
                quiet[result].append(timer.id)
            else:
                if broken:
                    raise broken[0]
                done = asyncio.get_running_loop().create_future()
                unrecorded.add(timer.id)
                waiting.append((timer, result is Result.SENT_LATE, done))
                maybe_flush()
                await done

        async def proceed(timer: Timer) -> bool:
            """Before each send: wait for a place in the window; a batch that ran long
            renews its claims (and the turn) first, and stops if another dispatcher has
            taken them over meanwhile."""
            nonlocal renewed, lost, taken
            async with room:
                await room.wait_for(lambda: taken < self._send_window or halted())
                if halted():
                    return False
                placed.add(timer.id)
                taken += 1
            async with renewing:
                if not lost and self._clock.now() - renewed >= self._lease / 3:
                    renewed = self._clock.now()
                    held = [t.id for t in timers if t.id not in reported or t.id in unrecorded]
                    if not await self._still_ours(held):
                        lost = True
            if halted():
                await give_back([timer])
                maybe_flush()
                return False
            return True

        try:
            await self._batch_handlers[kind](timers, report, proceed)
        except Exception as error:
            log.error("timer.batch_crashed", extra={"kind": kind}, exc_info=error)
        for task in flushing:  # a group still being written (a handler that did not wait)
            with contextlib.suppress(Exception):
                await task
        if broken:
            raise broken[0]  # the database is gone: the dispatch job logs the outage
        if self._stopping or lost:
            await self._hand_back([t for t in timers if t.id not in reported])
        now = self._clock.now()
        if quiet:
            await self._record_quiet(kind, quiet, now)
        log.info(
            "timer.batch_done",
            extra={
                "kind": kind,
                "claimed": len(timers),
                **{result.value: len(ids) for result, ids in quiet.items()},
            },
        )

    async def _record_quiet(
        self, kind: str, quiet: Mapping[Result, list[int]], now: datetime
    ) -> None:
        """Outcomes that sent nothing (cancelled, missed): one UPDATE per outcome."""
        async with self._db.unit_of_work() as uow:
            for result, ids in quiet.items():
                recorded = await uow.timers.complete_many(
                    ids, self.worker_id, result.value, now=now
                )
                uow.on_commit(
                    partial(self._metrics.timer_finished, kind, result.value, count=recorded)
                )
            await uow.commit()

    async def _record_sent(self, kind: str, group: list[tuple[Timer, bool]]) -> None:
        """One short Core transaction for a group of sent timers: one UPDATE for the
        on-time ones, one for the late ones (``Database.in_one_hop``; see below)."""
        now = self._clock.now()
        sent = {
            late: ids
            for late in (False, True)
            if (ids := [timer.id for timer, is_late in group if is_late is late])
        }
        statements = {
            late: complete_many_statement(
                ids, self.worker_id, Result.SENT.value, late=late, now=now
            )
            for late, ids in sent.items()
        }

        def record(connection: Connection) -> dict[bool, int]:
            return {
                late: connection.execute(stmt, params).rowcount
                for late, (stmt, params) in statements.items()
            }

        # As often as every DISPATCH_SEND_WINDOW / 2 reminders, so short Core: on a SQLite
        # file one transaction in place (no thread trips). On PostgreSQL a group of one kind
        # (nearly always) is one UPDATE in autocommit, without BEGIN and COMMIT; a mixed
        # group keeps its transaction, so that it is counted whole or not at all
        recorded = await self._db.in_one_hop(record, autocommit=len(statements) == 1)
        for late, ids in sent.items():
            # not counted when a lease was lost: the process that took it over counts it
            self._metrics.timer_finished(kind, Result.SENT.value, late=late, count=recorded[late])
            log.info(
                "timer.sent",
                extra={"kind": kind, "count": len(ids), "recorded": recorded[late], "late": late},
            )

    async def _failed(self, timer: Timer, failure: BaseException) -> None:
        """Classify a handler's failure: retry later, give up, or mark the patient blocked."""
        kind = telegram_error_kind(failure)
        try:
            raise failure
        except RetryAfter as error:
            retry_after = error.retry_after
            seconds = (
                retry_after.total_seconds()
                if isinstance(retry_after, timedelta)
                else float(retry_after)
            )
            await self._release(timer, timedelta(seconds=seconds), "429", kind)
        except Forbidden:
            if timer.kind in self._staff_chat_kinds or timer.patient_id is None:
                # The operator must act (add the bot to the staff chat again, or fix
                # STAFF_CHAT_ID); no patient is marked blocked for it.
                await self._complete(timer, Result.FAILED, error="403 staff chat refused")
                log.error(
                    "timer.staff_chat_refused", extra={"timer_id": timer.id, "kind": timer.kind}
                )
            else:
                await self._complete(timer, Result.FAILED, error="403 blocked")
                if self._on_blocked is not None:
                    await self._on_blocked(timer.patient_id)
        except BadRequest as error:
            log.warning("timer.bad_request", extra={"timer_id": timer.id, "kind": timer.kind})
            await self._complete(timer, Result.FAILED, error=f"400 {str(error)[:80]}")
        except InvalidToken:
            # 401/404: the token was revoked or the server is misconfigured. Not the
            # message's fault: keep it and try again later, however long that takes.
            await self._release(
                timer, min(MAX_AUTH_BACKOFF, self._retry.backoff(timer.attempts)), "401", kind
            )
        except TimedOut as error:
            if maybe_delivered(error) and timer.kind not in self._resend_on_timeout:
                # Telegram may have it already; sending again would duplicate it.
                await self._complete(timer, Result.SENT, error="timeout: delivery unconfirmed")
            elif timer.attempts >= self._retry.max_attempts:
                await self._complete(timer, Result.FAILED, error="TimedOut")
            else:
                await self._release(timer, self._retry.backoff(timer.attempts), "TimedOut", kind)
        except NetworkError as error:
            if timer.attempts >= self._retry.max_attempts:
                await self._complete(timer, Result.FAILED, error=type(error).__name__)
            else:
                await self._release(
                    timer, self._retry.backoff(timer.attempts), type(error).__name__, kind
                )
        except Exception as error:
            log.error("timer.handler_crashed", extra={"timer_id": timer.id}, exc_info=error)
            await self._complete(timer, Result.FAILED, error=type(error).__name__)

    async def _complete(
        self, timer: Timer, result: Result, *, late: bool = False, error: str | None = None
    ) -> None:
        if result is Result.SENT_LATE:
            result, late = Result.SENT, True
        async with self._db.unit_of_work() as uow:
            done = await uow.timers.complete(
                timer.id,
                self.worker_id,
                result.value,
                late=late,
                error=error,
                now=self._clock.now(),
            )
            await uow.commit()
        if done:  # not when the lease was lost: the process that took it over counts it
            self._metrics.timer_finished(timer.kind, result.value, late=late)
        level = logging.INFO if result is not Result.FAILED else logging.WARNING
        log.log(
            level,
            "timer.done",
            extra={
                "timer_id": timer.id,
                "kind": timer.kind,
                "result": result.value,
                "recorded": done,
                "error": error,
            },
        )

    async def _release(self, timer: Timer, delay: timedelta, error: str, kind: str) -> None:
        """Pending again after ``delay``; ``kind`` (telegram_error_kind) labels the retry."""
        async with self._db.unit_of_work() as uow:
            released = await uow.timers.release(
                timer.id, self.worker_id, self._clock.now() + delay, error
            )
            await uow.commit()
        if released:
            self._metrics.timer_retries.labels(timer.kind, kind).inc()
        log.info(
            "timer.retry",
            extra={
                "timer_id": timer.id,
                "kind": timer.kind,
                "delay_s": delay.total_seconds(),
                "error": error,
            },
        )
