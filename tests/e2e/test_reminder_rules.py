"""Issue 10's numbered bugs, each through the real bot: reminders that never silently
stop, pauses in calendar days, a done day, honest commands, the patient's own session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.program import session_minutes
from bot.sandbox.harness import Sandbox
from tests.e2e.journeys import (
    label,
    last_shown,
    last_text,
    onboard,
    say,
    sessions_of,
    tap,
    tap_newest,
    tap_next_until_question,
)
from tests.e2e.test_reminders import patient_of, reminders_received, subscribe, timers_of


def _saved(sandbox: Sandbox, when: str, *, days: str = "Every day", time: str, zone: str) -> str:
    return label(sandbox, "settings_saved", days=days, time=time, zone=zone, next=when)


async def _change_time(sandbox: Sandbox, user, at: str, zone: str) -> None:  # type: ignore[no-untyped-def]
    await say(sandbox, user, "/settings")
    await tap(sandbox, user, "btn_days_done")
    await tap(sandbox, user, "btn_other_time")
    await say(sandbox, user, at)
    await say(sandbox, user, zone)


# --- 1. a settings change on a day whose reminder already went out -------------------------


async def test_a_later_time_the_same_day_keeps_the_reminders_coming(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 3, 10, 10, 0, tzinfo=UTC))  # Tue 06:00 in New York
    user = sandbox.user()
    await subscribe(sandbox, user, at="7:00", zone="Boston")
    await sandbox.advance(timedelta(hours=3))  # today's 07:00 reminder went out; now 09:00
    assert len(reminders_received(sandbox, user)) == 1
    await _change_time(sandbox, user, "20:00", "Boston")
    # never two on one day: the next is tomorrow, and the confirmation says so
    assert last_text(user).startswith(
        _saved(sandbox, "Wed 11 Mar, 20:00", time="20:00", zone="New York")
    )
    await say(sandbox, user, "/next")
    assert last_text(user) == label(sandbox, "next_reminder", when="Wed 11 Mar, 20:00")
    await sandbox.advance(timedelta(days=10))
    assert len(reminders_received(sandbox, user)) == 1 + 9  # Wed 11 to Thu 19: none lost


async def test_a_zone_change_the_same_day_keeps_the_reminders_coming(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 3, 9, 21, 0, tzinfo=UTC))  # Tue 06:00 in Tokyo
    user = sandbox.user()
    await subscribe(sandbox, user, at="7:00", zone="Asia/Tokyo")
    await sandbox.advance(timedelta(hours=2))  # Tokyo's 07:00 went out
    await _change_time(sandbox, user, "20:00", "America/New_York")
    await say(sandbox, user, "/next")
    pending = [t for t in await timers_of(sandbox, user) if t.state == "pending"]
    assert len(pending) == 1
    await sandbox.advance(timedelta(days=5))
    # Tokyo's Tuesday 07:00 was Monday evening in New York: Monday is done there, and
    # 20:00 comes from Tuesday on, every day
    assert len(reminders_received(sandbox, user)) == 1 + 4


async def test_a_settings_change_after_a_missed_day_keeps_the_reminders_coming(
    sandbox: Sandbox,
) -> None:
    sandbox.clock.set(datetime(2026, 3, 10, 10, 0, tzinfo=UTC))
    user = sandbox.user()
    await subscribe(sandbox, user, at="7:00", zone="Boston")
    await sandbox.stop_bot()
    sandbox.clock.set(datetime(2026, 3, 10, 16, 0, tzinfo=UTC))  # 12:00: today's is missed
    await sandbox.start_bot()
    await sandbox.advance(timedelta(0))
    await _change_time(sandbox, user, "20:00", "Boston")
    await sandbox.advance(timedelta(days=3))
    assert len(reminders_received(sandbox, user)) == 3  # today 20:00, and the next two days


# --- 2. a pause is N local calendar days, DST or not ---------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 3, 27, 7, 30, tzinfo=UTC), "Mon 30 Mar, 08:00"),  # across spring-forward
        (datetime(2026, 4, 17, 6, 30, tzinfo=UTC), "Mon 20 Apr, 08:00"),  # an ordinary week
    ],
)
async def test_a_three_day_pause_resumes_on_the_fourth_local_day(
    sandbox: Sandbox, now: datetime, expected: str
) -> None:
    sandbox.clock.set(now - timedelta(days=1))
    user = sandbox.user()
    await subscribe(sandbox, user, at="8:00", zone="London")
    sandbox.clock.set(now)  # Friday 07:30 in London, before today's reminder
    await say(sandbox, user, "/pause")
    await tap(sandbox, user, "btn_pause_days", days=3)
    assert last_text(user) == label(sandbox, "paused_until", when=expected)
    await sandbox.advance(timedelta(days=4))
    first, *_ = reminders_received(sandbox, user)
    assert sandbox.services is not None
    from bot.core.screens import format_when

    assert format_when(sandbox.services.content, "en", first, "Europe/London") == expected


# --- 4. a done day is done ---------------------------------------------------------------------


async def test_no_reminder_or_nudge_after_todays_session_is_done(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 3, 10, 13, 0, tzinfo=UTC))  # Tue 09:00 in New York
    user = sandbox.user()
    await subscribe(sandbox, user, at="18:00", zone="Boston")
    await tap(sandbox, user, "btn_nudge_setting")
    await tap(sandbox, user, "btn_nudge_hour")
    await say(sandbox, user, "/exercise")
    await tap(sandbox, user, "btn_begin")
    await tap_next_until_question(sandbox, user)
    await tap(sandbox, user, "btn_feel_fine")
    await sandbox.advance(timedelta(hours=12))  # past 18:00 and 19:00
    assert reminders_received(sandbox, user) == []
    assert not any(
        e.kind == "bot_message" and (e.text or "").startswith(label(sandbox, "nudge")[:20])
        for e in sandbox.world.events
    )
    await sandbox.advance(timedelta(days=1))
    assert len(reminders_received(sandbox, user)) == 1  # Wednesday's comes as usual


# --- 5. honest commands ------------------------------------------------------------------------


async def _hold(sandbox: Sandbox, user) -> None:  # type: ignore[no-untyped-def]
    await say(sandbox, user, "/exercise")
    await tap(sandbox, user, "btn_begin")
    await tap(sandbox, user, "btn_hurts")


async def test_commands_tell_the_truth_on_hold(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 3, 10, 20, 0, tzinfo=UTC))
    user = sandbox.user()
    await subscribe(sandbox, user, at="18:00", zone="Boston")
    await sandbox.advance(timedelta(hours=3))  # today's 18:00 reminder went out (18:00 EDT)
    reminder = user.last_bot_message(with_buttons=True)
    assert reminder is not None
    await _hold(sandbox, user)
    await say(sandbox, user, "/next")
    assert last_text(user) == label(sandbox, "next_on_hold")
    await say(sandbox, user, "/pause")
    assert last_text(user) == label(sandbox, "pause_on_hold")
    await say(sandbox, user, "/stop")
    await tap(sandbox, user, "btn_stop_no")
    assert last_shown(sandbox, user) == label(sandbox, "stop_kept_on_hold")
    user.tap(label(sandbox, "btn_snooze"), message_id=reminder.message_id)
    await sandbox.settle()
    assert user.toasts[-1] == label(sandbox, "toast_reminders_off")
    assert (await patient_of(sandbox, user)).paused_until is None  # nothing was "paused"


async def test_commands_tell_the_truth_without_a_schedule(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    await say(sandbox, user, "/pause")
    assert last_text(user) == label(sandbox, "no_reminders")
    await say(sandbox, user, "/stop")
    assert last_text(user) == label(sandbox, "no_reminders")
    await say(sandbox, user, "/resume")
    assert last_text(user) == label(sandbox, "no_reminders")


async def test_snoozing_yesterdays_reminder_promises_nothing(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 3, 10, 20, 0, tzinfo=UTC))
    user = sandbox.user()
    await subscribe(sandbox, user, at="18:00", zone="Boston")
    await sandbox.advance(timedelta(hours=3))
    await sandbox.advance(timedelta(days=1))
    first = [m for m in user.bot_messages if m.buttons][-2]  # yesterday's reminder
    user.tap(label(sandbox, "btn_snooze"), message_id=first.message_id)
    await sandbox.settle()
    assert user.toasts[-1] == label(sandbox, "toast_stale")


# --- 6. the reminder counts the patient's own session -----------------------------------------


async def test_the_reminder_leaves_out_held_exercises(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 3, 10, 13, 0, tzinfo=UTC))
    user = sandbox.user()
    await subscribe(sandbox, user, at="18:00", zone="Boston")
    await say(sandbox, user, "/exercise")
    await tap(sandbox, user, "btn_begin")
    await tap(sandbox, user, "btn_skip")
    await tap(sandbox, user, "btn_hurts")  # during the second exercise
    [session] = await sessions_of(sandbox, user)
    assert sandbox.services is not None
    content = sandbox.services.content
    hurt = content.exercises[session.exercises[1]]
    await say(sandbox, user, "/exercise")
    await tap_newest(sandbox, user, "btn_cleared")
    await tap_newest(sandbox, user, "btn_resume_without", exercise_title=hurt.short_title)
    everything = content.default_program.exercises
    own = session_minutes(content, content.default_program.id, [hurt.id, hurt.alternative or ""])
    assert own < sum(content.exercises[e].minutes for e in everything)
    await sandbox.advance(timedelta(days=2))  # today was done (stopped for pain): tomorrow's
    assert label(sandbox, "reminder", minutes=own) in [m.text for m in user.bot_messages]


# --- paid broadcasts ----------------------------------------------------------------------------


async def test_paid_broadcast_is_asked_for_reminders_only_when_set(sqlite_url: str) -> None:
    async with Sandbox(database_url=sqlite_url, telegram_paid_broadcast=True) as sandbox:
        sandbox.clock.set(datetime(2026, 3, 10, 10, 0, tzinfo=UTC))
        user = sandbox.user()
        await subscribe(sandbox, user, at="7:00", zone="Boston")
        await sandbox.advance(timedelta(hours=2))
        sends = [c for c in sandbox.emulator.calls if c.method == "sendMessage"]
        paid = [c for c in sends if c.params.get("allow_paid_broadcast") in (True, "true")]
        assert len(paid) == 1  # the reminder; replies to the patient are not broadcasts
