"""/metrics (issue 12: it had three webhook series, all 0 after 78 reminders were sent).

The real bot against the local Telegram, on SQLite and PostgreSQL: each journey moves the
series docs/DEPLOY.md names, and the scrape-time gauges read the database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from telegram import Bot

from bot.metrics import Metrics
from bot.run import _database_reader  # the reader `run` gives /metrics
from bot.sandbox.harness import Sandbox
from bot.telegram.updates import UpdateRunner
from bot.web.server import SECRET_HEADER, WebhookEndpoint, webhook_listener
from tests.e2e.journeys import onboard, open_session, tap, tap_next_until_question
from tests.e2e.test_reminders import subscribe


def metrics_of(sandbox: Sandbox) -> Metrics:
    assert sandbox.services is not None
    return sandbox.services.metrics


def value(sandbox: Sandbox, name: str, **labels: str) -> float:
    found = metrics_of(sandbox).registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


async def scraped(sandbox: Sandbox) -> dict[str, float]:
    """What Prometheus would read from /metrics now: sample name{labels} -> value."""
    assert sandbox.services is not None
    text = await metrics_of(sandbox).scrape(_database_reader(sandbox.services))
    samples = {}
    for family in text_string_to_metric_families(text.decode()):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


async def test_sessions_pain_and_the_open_hold(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    await tap_next_until_question(sandbox, user)
    await tap(sandbox, user, "btn_feel_fine")
    assert value(sandbox, "exercise_bot_sessions_started_total") == 1
    assert value(sandbox, "exercise_bot_sessions_finished_total", outcome="completed") == 1
    assert (await scraped(sandbox))["exercise_bot_holds_open{}"] == 0

    other = sandbox.user("Sam")
    await open_session(sandbox, other)
    await tap(sandbox, other, "btn_hurts")
    assert value(sandbox, "exercise_bot_sessions_started_total") == 2
    assert value(sandbox, "exercise_bot_sessions_finished_total", outcome="pain") == 1
    assert value(sandbox, "exercise_bot_pain_reports_total") == 1
    samples = await scraped(sandbox)
    assert samples["exercise_bot_holds_open{}"] == 1
    assert samples["exercise_bot_database_up{}"] == 1
    handled = value(sandbox, "exercise_bot_updates_total", result="handled")
    assert handled >= 10
    assert value(sandbox, "exercise_bot_update_seconds_count") == handled
    assert value(sandbox, "exercise_bot_handler_errors_total", kind="error") == 0


async def test_reminders_on_time_late_and_missed(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    user = sandbox.user()
    await subscribe(sandbox, user, at="7:30")  # 12:30 UTC
    await sandbox.advance(timedelta(hours=2))
    assert value(sandbox, "exercise_bot_timers_total", kind="reminder", outcome="on_time") == 1

    await sandbox.stop_bot()  # down from before 7:30 the next day until 8:00: 30 min late
    sandbox.clock.set(datetime(2026, 3, 3, 13, 0, tzinfo=UTC))
    await sandbox.start_bot()
    await sandbox.advance(timedelta(0))
    assert value(sandbox, "exercise_bot_timers_total", kind="reminder", outcome="late") == 1

    await sandbox.stop_bot()  # down for three days: one missed, never a burst
    sandbox.clock.set(datetime(2026, 3, 7, 14, 0, tzinfo=UTC))
    await sandbox.start_bot()
    await sandbox.advance(timedelta(0))
    assert value(sandbox, "exercise_bot_timers_total", kind="reminder", outcome="missed") == 1
    assert value(sandbox, "exercise_bot_timers_total", kind="reminder", outcome="on_time") == 1
    samples = await scraped(sandbox)
    assert samples["exercise_bot_timers_pending{kind=reminder}"] == 1
    assert samples["exercise_bot_dispatch_lag_seconds{}"] == 0


async def test_dispatch_lag_is_the_age_of_the_oldest_due_timer(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    user = sandbox.user()
    await subscribe(sandbox, user, at="7:30")  # due 12:30 UTC
    assert (await scraped(sandbox))["exercise_bot_dispatch_lag_seconds{}"] == 0
    sandbox.clock.set(datetime(2026, 3, 2, 12, 32, 5, tzinfo=UTC))  # and nobody dispatched
    assert (await scraped(sandbox))["exercise_bot_dispatch_lag_seconds{}"] == 125


async def test_telegram_errors_by_kind_and_the_retries(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    user = sandbox.user()
    await subscribe(sandbox, user, at="7:30")
    # render retries a send twice on its own; the third 502 hands the timer back for later
    sandbox.emulator.faults.fail_next(3, status=502, method="sendMessage")
    await sandbox.advance(timedelta(hours=2))
    errors = "exercise_bot_telegram_errors_total"
    assert value(sandbox, errors, method="sendMessage", kind="5xx") == 3
    assert value(sandbox, "exercise_bot_timer_retries_total", kind="reminder", reason="5xx") == 1
    assert value(sandbox, "exercise_bot_timers_total", kind="reminder", outcome="on_time") == 1

    sandbox.emulator.faults.fail_next(1, status=429, method="sendMessage", retry_after=1)
    await sandbox.advance(timedelta(days=1))
    assert value(sandbox, errors, method="sendMessage", kind="429") == 1

    user.block()
    await sandbox.advance(timedelta(days=1))
    assert value(sandbox, errors, method="sendMessage", kind="403") == 1
    assert value(sandbox, "exercise_bot_timers_total", kind="reminder", outcome="failed") == 1


async def test_poller_errors_and_unparseable_updates_are_counted(sandbox: Sandbox) -> None:
    assert sandbox.poller is not None
    sandbox.emulator.faults.fail_next(2, status=401, method="getUpdates")
    user = sandbox.user()
    await onboard(sandbox, user)  # handled once polling is through the two 401s
    sandbox.world.push_raw({"message": {"text": "no chat, no date"}})  # PTB cannot parse it
    await onboard(sandbox, sandbox.user("Kim"))
    errors = "exercise_bot_telegram_errors_total"
    assert value(sandbox, errors, method="getUpdates", kind="401") == 2
    assert value(sandbox, "exercise_bot_updates_total", result="unparseable") == 1


async def test_two_bots_in_one_process_count_apart(tmp_path: Path) -> None:
    first_url = f"sqlite+aiosqlite:///{tmp_path / 'first.db'}"
    second_url = f"sqlite+aiosqlite:///{tmp_path / 'second.db'}"
    async with Sandbox(database_url=first_url) as first, Sandbox(database_url=second_url) as two:
        await onboard(first, first.user())
        assert value(first, "exercise_bot_updates_total", result="handled") == 2
        assert value(two, "exercise_bot_updates_total", result="handled") == 0


async def test_webhook_rejections_by_reason() -> None:
    metrics = Metrics()

    async def never(update: object) -> None:
        raise AssertionError("a rejected request reached the handlers")

    endpoint = WebhookEndpoint(Bot("1:x"), UpdateRunner(never), "the-secret", metrics=metrics)
    listener = webhook_listener(endpoint)
    await listener.start("127.0.0.1", 0)
    url = f"http://127.0.0.1:{listener.port}/webhook"
    try:
        async with aiohttp.ClientSession() as http:
            for headers, body in (
                ({}, b"{}"),
                ({SECRET_HEADER: "wrong"}, b"{}"),
                ({SECRET_HEADER: "the-secret", "Content-Type": "text/plain"}, b"{}"),
                ({SECRET_HEADER: "the-secret", "Content-Type": "application/json"}, b"[1"),
            ):
                async with http.post(url, data=body, headers=headers):
                    pass
    finally:
        await listener.stop()
    rejected = {
        reason: metrics.registry.get_sample_value(
            "exercise_bot_webhook_rejected_total", {"reason": reason}
        )
        for reason in ("secret", "content_type", "malformed")
    }
    assert rejected == {"secret": 2, "content_type": 1, "malformed": 1}
