"""/readyz's judgements, with the time and the poller's state given by the test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.readiness import _updates
from bot.reminders.dispatcher import DispatchHealth
from bot.store.locks import Lease
from bot.telegram.polling import PollStatus


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_dispatcher_is_stalled_after_ten_intervals_or_a_minute() -> None:
    clock = Clock()
    health = DispatchHealth(2.0, monotonic=clock)
    assert health.check() == (True, "starting")
    clock.now += 61
    ok, detail = health.check()
    assert not ok and detail.startswith("stalled: never ran")
    health.beat()
    assert health.check()[0] is True and health.check()[1].startswith("ran ")
    clock.now += 59
    assert health.check()[0] is True
    clock.now += 2
    assert health.check()[0] is False
    slow = DispatchHealth(30.0, monotonic=clock)
    slow.beat()
    clock.now += 299
    assert slow.check()[0] is True  # 10 intervals of 30 s
    clock.now += 2
    assert slow.check()[0] is False


def test_standing_by_on_sqlite_is_ready() -> None:
    clock = Clock()
    health = DispatchHealth(2.0, monotonic=clock)
    health.beat(standing_by=True)
    ok, detail = health.check()
    assert ok and detail.startswith("standing by: another process dispatches")


def test_no_dispatcher_is_not_a_stall() -> None:
    assert DispatchHealth(0.0).check() == (True, "off (DISPATCH_INTERVAL_SECONDS=0)")


class FakePoller:
    def __init__(self) -> None:
        self.status = PollStatus()


def test_one_conflict_is_tolerated_two_are_not() -> None:
    poller = FakePoller()
    assert _updates("polling", poller, None).ok  # type: ignore[arg-type]
    poller.status.failed("conflict")  # the previous process's long poll, after a restart
    assert _updates("polling", poller, None).ok  # type: ignore[arg-type]
    poller.status.failed("conflict")
    check = _updates("polling", poller, None)  # type: ignore[arg-type]
    assert not check.ok and check.detail.startswith("409 Conflict")
    poller.status.ok()
    assert _updates("polling", poller, None).ok  # type: ignore[arg-type]


def test_a_401_streak_is_not_ready_a_network_error_is() -> None:
    poller = FakePoller()
    for _ in range(5):
        poller.status.failed("network")
    check = _updates("polling", poller, None)  # type: ignore[arg-type]
    assert check.ok and "network" in check.detail
    poller.status.failed("unauthorized")
    poller.status.failed("unauthorized")
    check = _updates("polling", poller, None)  # type: ignore[arg-type]
    assert not check.ok and check.detail.startswith("401/404")


def test_a_poller_lock_not_renewed_for_its_ttl_is_not_ready() -> None:
    clock = Clock()
    lease = Lease(
        None,  # type: ignore[arg-type]  # never touched: only its bookkeeping is read
        "poller",
        lambda: datetime(2026, 1, 1, tzinfo=UTC),
        ttl=timedelta(seconds=15),
        monotonic=clock,
    )
    lease.renewed = clock.now
    poller = FakePoller()
    assert _updates("polling", poller, lease).ok  # type: ignore[arg-type]
    clock.now += 16
    check = _updates("polling", poller, lease)  # type: ignore[arg-type]
    assert not check.ok and "not renewed for 16 s" in check.detail
    lease.lost = True
    assert "took the poller lock" in _updates("polling", poller, lease).detail  # type: ignore[arg-type]


def test_workers_and_webhooks_take_no_poller_verdict() -> None:
    assert _updates("worker", None, None).ok
    assert _updates("webhook", None, None).ok
    assert not _updates("polling", None, None).ok  # polling that never started
