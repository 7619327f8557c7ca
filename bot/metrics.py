"""Prometheus metrics of one bot process; docs/DEPLOY.md ("Monitoring") names each series,
says what it means and what to alert on.

Every bot has a registry of its own (not prometheus-client's global one), so tests, the
demo and benchmarks can run several bots in one process without sharing counts.

- Counters are incremented where the event is recorded: the dispatcher when it records a
  timer's result, the use cases once their transaction committed (``UnitOfWork.on_commit``),
  the rate limiter and the poller for each failed Bot API call, the update runner and the
  webhook for updates.
- Gauges that describe the database (dispatch lag, pending timers, open holds) are read at
  scrape time with a few cheap indexed queries under ``DATABASE_SECONDS``. When the
  database does not answer in time they are left out and ``exercise_bot_database_up`` is
  0: ``/metrics`` itself always answers, quickly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.telegram.errors import TELEGRAM_ERROR_KINDS, telegram_error_kind

log = logging.getLogger(__name__)

# The *_created series double every counter and say nothing an operator needs.
disable_created_metrics()  # type: ignore[no-untyped-call]

PREFIX = "exercise_bot"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DATABASE_SECONDS = 1.0  # the scrape-time queries together, before they are given up
TIMER_OUTCOMES = ("on_time", "late", "missed", "failed", "cancelled")
UPDATE_RESULTS = ("handled", "failed", "dropped", "unparseable")
# An update is usually handled in milliseconds; the long tail is the per-chat rate limit
# and a database outage, during which an update is handled again for up to ~8 minutes.
UPDATE_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0)


@dataclass(frozen=True)
class DatabaseFigures:
    """What the database says at scrape time."""

    dispatch_lag_seconds: float  # how overdue the oldest due timer is; 0 when none is due
    pending_timers: Mapping[str, int]  # by kind
    holds_open: int  # patients whose program is held after a pain report


ReadDatabase = Callable[[], Awaitable[DatabaseFigures]]


class _DatabaseGauges(Collector):
    """Yields the figures read for the scrape in progress (none: only ``database_up``)."""

    def __init__(self) -> None:
        self.figures: DatabaseFigures | None = None
        self.read = False  # whether this scrape asked the database at all

    def collect(self) -> Iterable[Metric]:
        if not self.read:
            return
        figures = self.figures
        yield GaugeMetricFamily(
            f"{PREFIX}_database_up",
            "1 when the database answered this scrape's queries within "
            f"{DATABASE_SECONDS:g} s, else 0 (and the database gauges are absent)",
            value=0.0 if figures is None else 1.0,
        )
        if figures is None:
            return
        yield GaugeMetricFamily(
            f"{PREFIX}_dispatch_lag_seconds",
            "How long the oldest due timer (reminder, follow-up, advice...) has been waiting "
            "to be sent; 0 when nothing is due",
            value=figures.dispatch_lag_seconds,
        )
        pending = GaugeMetricFamily(
            f"{PREFIX}_timers_pending", "Timers waiting to be sent, by kind", labels=["kind"]
        )
        for kind, count in sorted(figures.pending_timers.items()):
            pending.add_metric([kind], count)
        yield pending
        yield GaugeMetricFamily(
            f"{PREFIX}_holds_open",
            "Patients whose program is on hold after a pain report, until a clinician clears them",
            value=figures.holds_open,
        )


class Metrics:
    """The series of one bot process; ``scrape`` renders them for ``/metrics``."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.info = Gauge(
            f"{PREFIX}_info",
            "Always 1; the labels say which bot, content and mode are running",
            ["version", "content_version", "mode"],
            registry=registry,
        )
        self.timers = Counter(
            f"{PREFIX}_timers",
            "Timers the dispatcher finished, by kind (reminder, snooze, nudge, checkin, "
            "sore_followup, advice, staff_alert, staff_digest, step_timer) and outcome (on_time, "
            "late, missed, failed, cancelled)",
            ["kind", "outcome"],
            registry=registry,
        )
        self.timer_retries = Counter(
            f"{PREFIX}_timer_retries",
            "Timers handed back to be sent again later, by kind and reason (429, 401, "
            "timeout, network...)",
            ["kind", "reason"],
            registry=registry,
        )
        self.sessions_started = Counter(
            f"{PREFIX}_sessions_started", "Exercise sessions started", registry=registry
        )
        self.sessions_finished = Counter(
            f"{PREFIX}_sessions_finished",
            "Exercise sessions ended, by outcome (completed, pain, restarted, ...)",
            ["outcome"],
            registry=registry,
        )
        self.pain_reports = Counter(
            f"{PREFIX}_pain_reports",
            "Pain reported (during or after a session); each puts the program on hold",
            registry=registry,
        )
        self.telegram_errors = Counter(
            f"{PREFIX}_telegram_errors",
            "Failed Bot API calls (each attempt), by method and kind: "
            + ", ".join(TELEGRAM_ERROR_KINDS),
            ["method", "kind"],
            registry=registry,
        )
        self.handler_errors = Counter(
            f"{PREFIX}_handler_errors",
            "Handlers that failed: kind=error (a bug; the patient got an apology) or "
            "database_unavailable (handled again once the database is back)",
            ["kind"],
            registry=registry,
        )
        self.updates = Counter(
            f"{PREFIX}_updates",
            "Updates from Telegram, by result: handled, failed (a handler raised), dropped "
            "(one chat's backlog was full) or unparseable (skipped)",
            ["result"],
            registry=registry,
        )
        self.update_seconds = Histogram(
            f"{PREFIX}_update_seconds",
            "Time to handle one update, from its handler's start to its end (database "
            "outage retries included; waiting behind the chat's earlier updates not)",
            buckets=UPDATE_BUCKETS,
            registry=registry,
        )
        self.updates_pending = Gauge(
            f"{PREFIX}_updates_pending",
            "Updates received and not finished (queued or running)",
            registry=registry,
        )
        self.webhook_rejected = Counter(
            f"{PREFIX}_webhook_rejected",
            "Webhook requests refused, by reason (secret, content_type, too_large, malformed)",
            ["reason"],
            registry=registry,
        )
        self._database = _DatabaseGauges()
        registry.register(self._database)
        # Series that exist from the start, so rate() and alerts see a 0 before the first event
        for outcome in TIMER_OUTCOMES:
            self.timers.labels("reminder", outcome)
        for result in UPDATE_RESULTS:
            self.updates.labels(result)
        for kind in ("error", "database_unavailable"):
            self.handler_errors.labels(kind)
        self._scrape_lock = asyncio.Lock()

    # --- recording -------------------------------------------------------------------------

    def timer_finished(self, kind: str, state: str, *, late: bool = False, count: int = 1) -> None:
        """A timer's final state as the dispatcher recorded it (``sent`` splits on ``late``)."""
        if count <= 0:
            return
        outcome = ("late" if late else "on_time") if state == "sent" else state
        self.timers.labels(kind, outcome).inc(count)

    def telegram_error(self, method: str, error: BaseException) -> None:
        self.telegram_errors.labels(method, telegram_error_kind(error)).inc()

    # --- reading ---------------------------------------------------------------------------

    async def scrape(self, read_database: ReadDatabase | None = None) -> bytes:
        """The text exposition; ``read_database`` is given ``DATABASE_SECONDS``."""
        async with self._scrape_lock:  # one figures slot: scrapes take turns
            figures: DatabaseFigures | None = None
            if read_database is not None:
                try:
                    async with asyncio.timeout(DATABASE_SECONDS):
                        figures = await read_database()
                except Exception as error:  # down or slow: the gauges are left out
                    log.debug("metrics.database_unavailable", extra={"error": type(error).__name__})
            self._database.read = read_database is not None
            self._database.figures = figures
            return generate_latest(self.registry)
