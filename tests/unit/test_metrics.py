"""bot/metrics.py: error kinds, timer outcomes, and a scrape that never waits on the database."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client.parser import text_string_to_metric_families
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot import metrics as metrics_module
from bot.metrics import DatabaseFigures, Metrics
from bot.telegram.errors import telegram_error_kind


def _raised_from(error: Exception, cause: BaseException | None) -> Exception:
    try:
        raise error from cause
    except Exception as raised:
        return raised


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (RetryAfter(3), "429"),
        (Forbidden("Forbidden: bot was blocked by the user"), "403"),
        (InvalidToken("Unauthorized"), "401"),
        (Conflict("Conflict: terminated by other getUpdates request"), "409"),
        (BadRequest("Bad Request: message is not modified"), "400"),
        (TimedOut(), "timeout"),
        (NetworkError("Bad Gateway"), "5xx"),  # PTB: an error status without its own class
        (_raised_from(NetworkError("Internal Server Error"), TelegramError("bad json")), "5xx"),
        (_raised_from(NetworkError("aiohttp.ClientConnectorError"), OSError("refused")), "network"),
        (TelegramError("something new"), "other"),
    ],
)
def test_telegram_error_kinds(error: Exception, kind: str) -> None:
    assert telegram_error_kind(error) == kind


def test_a_sent_timer_is_on_time_or_late() -> None:
    metrics = Metrics()
    metrics.timer_finished("reminder", "sent")
    metrics.timer_finished("reminder", "sent", late=True)
    metrics.timer_finished("nudge", "cancelled", count=3)
    metrics.timer_finished("nudge", "missed", count=0)  # nothing recorded: no series

    def get(kind: str, outcome: str) -> float | None:
        return metrics.registry.get_sample_value(
            "exercise_bot_timers_total", {"kind": kind, "outcome": outcome}
        )

    assert (get("reminder", "on_time"), get("reminder", "late")) == (1, 1)
    assert (get("nudge", "cancelled"), get("nudge", "missed")) == (3, None)
    assert get("reminder", "missed") == 0  # exists from the start, for rate() and alerts


def _samples(text: bytes) -> dict[str, float]:
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text.decode())
        for sample in family.samples
        if not sample.labels
    }


async def test_a_scrape_gives_up_on_a_database_that_hangs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics_module, "DATABASE_SECONDS", 0.05)
    never = asyncio.Event()

    async def hangs() -> DatabaseFigures:
        await never.wait()
        raise AssertionError("unreachable")

    samples = _samples(await Metrics().scrape(hangs))
    assert samples["exercise_bot_database_up"] == 0
    assert "exercise_bot_dispatch_lag_seconds" not in samples
    assert "exercise_bot_holds_open" not in samples
    assert samples["exercise_bot_updates_pending"] == 0  # the rest is there


async def test_a_scrape_with_the_database_down_still_answers() -> None:
    async def refused() -> DatabaseFigures:
        raise ConnectionRefusedError(111, "Connection refused")

    metrics = Metrics()
    samples = _samples(await metrics.scrape(refused))
    assert samples["exercise_bot_database_up"] == 0

    async def fine() -> DatabaseFigures:
        return DatabaseFigures(12.5, {"reminder": 4, "checkin": 1}, 2)

    text = await metrics.scrape(fine)
    samples = _samples(text)
    assert samples["exercise_bot_database_up"] == 1
    assert samples["exercise_bot_dispatch_lag_seconds"] == 12.5
    assert samples["exercise_bot_holds_open"] == 2
    assert b'exercise_bot_timers_pending{kind="reminder"} 4.0' in text


def test_no_created_series_and_no_global_registry() -> None:
    from prometheus_client import REGISTRY

    first, second = Metrics(), Metrics()  # the global registry would refuse a second one
    first.sessions_started.inc()
    assert second.registry.get_sample_value("exercise_bot_sessions_started_total") == 0
    assert REGISTRY.get_sample_value("exercise_bot_sessions_started_total") is None
    assert first.registry.get_sample_value("exercise_bot_sessions_started_created") is None
