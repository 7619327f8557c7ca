"""Reminders end to end: the real bot, the local Telegram, the test's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.sandbox.harness import Sandbox
from bot.sandbox.world import SimUser
from bot.store.models import Timer
from tests.e2e.journeys import label, last_text, onboard, patient_of, say, tap

NY = ZoneInfo("America/New_York")


async def subscribe(
    sandbox: Sandbox,
    user: SimUser,
    *,
    days: str = "btn_every_day",
    at: str = "7:30",
    zone: str = "Boston",
) -> None:
    await onboard(sandbox, user)
    await tap(sandbox, user, "btn_later")
    await tap(sandbox, user, "btn_set_reminders")
    await tap(sandbox, user, days)
    await tap(sandbox, user, "btn_days_done")
    await tap(sandbox, user, "btn_other_time")
    await say(sandbox, user, at)
    await say(sandbox, user, zone)
    assert last_text(user).startswith(
        label(sandbox, "settings_saved", days="x", time="x", zone="x", next="x")[:8]
    )


def reminders_received(sandbox: Sandbox, user: SimUser) -> list[datetime]:
    """When each reminder message arrived (later edits of a message do not hide it)."""
    text = label(sandbox, "reminder", minutes=7).split("!")[0]
    return [
        e.at
        for e in sandbox.world.events
        if e.kind == "bot_message" and e.user_id == user.chat_id and (e.text or "").startswith(text)
    ]


async def timers_of(sandbox: Sandbox, user: SimUser) -> list[Timer]:
    patient = await patient_of(sandbox, user)
    assert sandbox.services is not None
    async with sandbox.services.db.unit_of_work() as uow:
        rows = await uow.session.scalars(
            select(Timer).where(Timer.patient_id == patient.id).order_by(Timer.id)
        )
        return list(rows)


@pytest.mark.parametrize(
    ("start", "at", "changed_on"),
    [
        (datetime(2026, 3, 5, 12, 0, tzinfo=UTC), "7:30", 8),  # spring forward, Mar 8
        (datetime(2026, 3, 5, 12, 0, tzinfo=UTC), "2:30", 8),  # inside the gap on Mar 8
        (datetime(2026, 10, 29, 12, 0, tzinfo=UTC), "1:30", 1),  # fall back, Nov 1 (fold)
    ],
)
async def test_daily_reminder_at_the_local_minute_across_dst(
    sandbox: Sandbox, start: datetime, at: str, changed_on: int
) -> None:
    sandbox.clock.set(start)
    user = sandbox.user()
    await subscribe(sandbox, user, at=at)
    await sandbox.advance(timedelta(days=7, hours=-1))
    received = [d.astimezone(NY) for d in reminders_received(sandbox, user)]
    assert len(received) == 7
    assert len({d.date() for d in received}) == 7  # one per local date, never two
    hour, minute = (int(p) for p in at.split(":"))
    for local in received:
        if at == "2:30" and local.day == changed_on:
            assert (local.hour, local.minute) == (3, 0)  # the first valid instant
        else:
            assert (local.hour, local.minute) == (hour, minute)


async def test_weekdays_only(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))  # a Monday morning in NY
    user = sandbox.user()
    await subscribe(sandbox, user, days="btn_weekdays", at="19:15")
    await sandbox.advance(timedelta(days=7))
    days = [d.astimezone(NY).weekday() for d in reminders_received(sandbox, user)]
    assert days == [0, 1, 2, 3, 4]


async def test_snooze_three_times_then_no_more(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    user = sandbox.user()
    await subscribe(sandbox, user, at="7:30")
    await sandbox.advance(timedelta(hours=2))
    for _ in range(3):
        await tap(sandbox, user, "btn_snooze")
        await tap(sandbox, user, "btn_snooze_minutes", minutes=15)
        assert last_text(user) != label(sandbox, "snooze_choose")
        await sandbox.advance(timedelta(minutes=15))
    assert len(reminders_received(sandbox, user)) == 4
    await tap(sandbox, user, "btn_snooze")
    assert user.toasts[-1] == label(sandbox, "toast_snooze_limit")


async def test_skip_today_and_start_from_the_reminder(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    user = sandbox.user()
    await subscribe(sandbox, user, at="7:30")
    await sandbox.advance(timedelta(hours=2))
    await tap(sandbox, user, "btn_snooze")
    await tap(sandbox, user, "btn_snooze_hour")
    await sandbox.advance(timedelta(hours=1))
    await tap(sandbox, user, "btn_skip_today")
    assert last_text(user) == label(sandbox, "skipped_today")
    pending = [t for t in await timers_of(sandbox, user) if t.state == "pending"]
    assert [t.kind for t in pending] == ["reminder"]  # tomorrow's only
    await sandbox.advance(timedelta(days=1))
    await tap(sandbox, user, "btn_rem_start")
    assert label(sandbox, "btn_begin") in [
        b.text
        for row in user.last_bot_message(with_buttons=True).buttons  # type: ignore[union-attr]
        for b in row
    ]


async def test_pause_resume_and_stop(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    user = sandbox.user()
    await subscribe(sandbox, user, at="7:30")
    await say(sandbox, user, "/pause")
    await tap(sandbox, user, "btn_pause_days", days=3)
    await sandbox.advance(timedelta(days=3))
    assert reminders_received(sandbox, user) == []
    await sandbox.advance(timedelta(days=1))
    assert len(reminders_received(sandbox, user)) == 1
    await say(sandbox, user, "/pause")
    await tap(sandbox, user, "btn_pause_open")
    assert last_text(user) == label(sandbox, "paused_open")
    await sandbox.advance(timedelta(days=5))
    assert len(reminders_received(sandbox, user)) == 1
    await say(sandbox, user, "/resume")
    assert label(sandbox, "resumed", when="x")[:10] in last_text(user)
    await sandbox.advance(timedelta(days=1))
    assert len(reminders_received(sandbox, user)) == 2
    await say(sandbox, user, "/stop")
    await tap(sandbox, user, "btn_stop_yes")
    await sandbox.advance(timedelta(days=7))
    assert len(reminders_received(sandbox, user)) == 2
    await say(sandbox, user, "/next")
    assert last_text(user) == label(sandbox, "next_stopped")


async def test_next_shows_the_local_time(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))  # Wed 07:00 in Boston
    user = sandbox.user()
    await subscribe(sandbox, user, at="7:30")
    await say(sandbox, user, "/next")
    assert last_text(user) == label(sandbox, "next_reminder", when="Wed 25 Nov, 07:30")


@pytest.mark.parametrize("typed", ["25:00", "tomorrow", "7:60", "13pm"])
async def test_an_invalid_time_changes_nothing(sandbox: Sandbox, typed: str) -> None:
    user = sandbox.user()
    await subscribe(sandbox, user, at="7:30")
    await say(sandbox, user, "/settings")
    await tap(sandbox, user, "btn_days_done")
    await tap(sandbox, user, "btn_other_time")
    await say(sandbox, user, typed)
    assert last_text(user) == label(sandbox, "time_invalid")
    patient = await patient_of(sandbox, user)
    assert patient.reminder_time == "07:30"


async def test_unknown_zone_and_location_at_sea_change_nothing(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await subscribe(sandbox, user, at="7:30", zone="Berlin")
    await say(sandbox, user, "/settings")
    await tap(sandbox, user, "btn_days_done")
    await tap(sandbox, user, "btn_other_time")
    await say(sandbox, user, "8:15")
    await say(sandbox, user, "Narnia")  # (Atlantis is a town in South Africa)
    assert last_text(user) == label(sandbox, "zone_invalid")
    user.share_location(30.0, -40.0)  # the middle of the Atlantic
    await sandbox.settle()
    assert last_text(user) == label(sandbox, "zone_location_failed")
    patient = await patient_of(sandbox, user)
    assert (patient.reminder_time, patient.timezone) == ("07:30", "Europe/Berlin")
    user.share_location(42.36, -71.06)  # Boston
    await sandbox.settle()
    patient = await patient_of(sandbox, user)
    assert (patient.reminder_time, patient.timezone) == ("08:15", "America/New_York")
    pending = [t for t in await timers_of(sandbox, user) if t.state == "pending"]
    assert len(pending) == 1  # the schedule was replaced, not added to


async def test_a_blocked_patient_gets_nothing_more_until_they_come_back(
    sandbox: Sandbox,
) -> None:
    sandbox.clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    user = sandbox.user()
    await subscribe(sandbox, user, at="7:30")
    user.block()
    await sandbox.advance(timedelta(days=1))
    patient = await patient_of(sandbox, user)
    assert patient.status == "blocked"
    assert [t for t in await timers_of(sandbox, user) if t.state == "pending"] == []
    await sandbox.advance(timedelta(days=3))
    sends = [
        c for c in sandbox.emulator.calls if c.method.lower() == "sendmessage" and c.status == 403
    ]
    assert len(sends) == 1  # one refused send, then silence
    user.unblock()
    await say(sandbox, user, "/start")
    assert (await patient_of(sandbox, user)).status == "active"
    await sandbox.advance(timedelta(days=1))
    assert len(reminders_received(sandbox, user)) == 1


async def test_5xx_is_retried_with_backoff_then_delivered(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    user = sandbox.user()
    await subscribe(sandbox, user, at="7:30")
    sandbox.emulator.faults.fail_next(2, status=502, method="sendMessage")
    await sandbox.advance(timedelta(hours=2))
    statuses = [c.status for c in sandbox.emulator.calls if c.method.lower() == "sendmessage"]
    assert statuses[-3:] == [502, 502, 200]
    assert len(reminders_received(sandbox, user)) == 1


async def test_429_is_honoured_and_the_reminder_not_lost(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    user = sandbox.user()
    await subscribe(sandbox, user, at="7:30")
    sandbox.emulator.faults.fail_next(1, status=429, method="sendMessage", retry_after=1)
    await sandbox.advance(timedelta(hours=2))
    statuses = [c.status for c in sandbox.emulator.calls if c.method.lower() == "sendmessage"]
    assert statuses[-2:] == [429, 200]
    assert len(reminders_received(sandbox, user)) == 1


async def test_down_for_30_minutes_sends_once_marked_late(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    user = sandbox.user()
    await subscribe(sandbox, user, at="7:30")
    await sandbox.stop_bot()
    sandbox.clock.set(datetime(2026, 3, 2, 13, 0, tzinfo=UTC))  # 08:00 EST, 30 min late
    await sandbox.start_bot()
    await sandbox.advance(timedelta(0))
    await sandbox.advance(timedelta(minutes=5))
    [sent] = reminders_received(sandbox, user)
    assert label(sandbox, "reminder_late") in last_text(user)
    done = [t for t in await timers_of(sandbox, user) if t.state == "sent"]
    assert [t.late for t in done] == [True]
    assert sent == datetime(2026, 3, 2, 13, 0, tzinfo=UTC)


async def test_down_for_three_days_records_missed_and_never_bursts(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    user = sandbox.user()
    await subscribe(sandbox, user, at="7:30")
    await sandbox.stop_bot()
    sandbox.clock.set(datetime(2026, 3, 5, 15, 0, tzinfo=UTC))  # Thu 10:00 EST: 2.5 h late
    await sandbox.start_bot()
    await sandbox.advance(timedelta(minutes=1))
    assert reminders_received(sandbox, user) == []  # Monday's missed, Thursday's too late
    states = [t.state for t in await timers_of(sandbox, user)]
    assert states.count("missed") == 1
    assert states.count("pending") == 1
    await sandbox.advance(timedelta(days=1))
    assert len(reminders_received(sandbox, user)) == 1


async def test_after_days_down_todays_reminder_within_grace_still_comes(
    sandbox: Sandbox,
) -> None:
    """Issue 10, bug 3: down Mon 07:00 -> Thu 08:30, reminder 08:00, grace 120 min."""
    sandbox.clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))  # Mon 06:00 EST
    user = sandbox.user()
    await subscribe(sandbox, user, at="8:00")
    await sandbox.stop_bot()
    sandbox.clock.set(datetime(2026, 3, 5, 13, 30, tzinfo=UTC))  # Thu 08:30 EST
    await sandbox.start_bot()
    await sandbox.advance(timedelta(minutes=1))
    [sent] = reminders_received(sandbox, user)  # one, not a burst of four
    assert sent == datetime(2026, 3, 5, 13, 30, tzinfo=UTC)  # at once, 30 min late
    assert label(sandbox, "reminder_late") in last_text(user)
    states = [t.state for t in await timers_of(sandbox, user)]
    assert states.count("missed") == 1  # Monday's
    await sandbox.advance(timedelta(days=1))
    assert len(reminders_received(sandbox, user)) == 2  # Friday's, on time


async def test_remind_again_if_not_started(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    user = sandbox.user()
    await subscribe(sandbox, user, at="7:30")
    await tap(sandbox, user, "btn_nudge_setting")
    await tap(sandbox, user, "btn_nudge_hour")
    assert last_text(user) == label(sandbox, "nudge_on_hour")
    nudge = label(sandbox, "nudge")
    # day 1: not started, so one nudge an hour after the reminder
    await sandbox.advance(timedelta(hours=4))
    nudges = [
        e.at
        for e in sandbox.world.events
        if e.kind == "bot_message" and (e.text or "").startswith(nudge[:30])
    ]
    assert nudges == [datetime(2026, 3, 2, 13, 30, tzinfo=UTC)]
    # day 2: started from the reminder, so no nudge
    await sandbox.advance(timedelta(hours=21, minutes=31))  # 07:31 local on day 2
    await tap(sandbox, user, "btn_rem_start")
    await sandbox.advance(timedelta(hours=3))
    later = [
        e
        for e in sandbox.world.events
        if e.kind == "bot_message" and (e.text or "").startswith(nudge[:30])
    ]
    assert len(later) == 1


async def test_a_location_without_the_location_extra_asks_for_a_city(
    sqlite_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.core import zones

    monkeypatch.setattr(zones, "_finder", None)
    monkeypatch.setattr(zones, "_finder_missing", "timezonefinder is not installed")
    sandbox = sqlite_sandbox
    user = sandbox.user()
    await subscribe(sandbox, user, at="7:30", zone="Berlin")
    await say(sandbox, user, "/settings")
    await tap(sandbox, user, "btn_days_done")
    await tap(sandbox, user, "btn_other_time")
    await say(sandbox, user, "8:15")
    user.share_location(42.36, -71.06)
    await sandbox.settle()
    assert last_text(user) == label(sandbox, "zone_location_unavailable")
    await say(sandbox, user, "Boston")
    assert (await patient_of(sandbox, user)).timezone == "America/New_York"
