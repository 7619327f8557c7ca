"""/progress end to end: the week against the plan, the streak and the 4-week chart, on
SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from PIL import Image

from bot.sandbox.harness import Sandbox
from bot.sandbox.world import SimUser
from tests.e2e.journeys import (
    hold_text,
    label,
    onboard,
    play_session,
    say,
    subscribe_on,
    tap,
)

MONDAY_MORNING = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # 06:00 in Boston


def chart_of(sandbox: Sandbox, user: SimUser) -> Image.Image:
    message = user.bot_messages[-1]
    assert message.photo and message.media is not None
    assert message.text == label(sandbox, "chart_weeks_title")
    data = sandbox.world.files.content(message.media)
    assert data is not None
    return Image.open(io.BytesIO(data))


async def test_progress_counts_the_week_against_the_reminder_days(sandbox: Sandbox) -> None:
    sandbox.clock.set(MONDAY_MORNING)
    user = sandbox.user()
    await subscribe_on(sandbox, user, ("Mon", "Wed", "Fri"))
    await play_session(sandbox, user)  # Monday: done
    await sandbox.advance(timedelta(days=1))
    await play_session(sandbox, user, skips=2)  # Tuesday (not planned): all skipped
    await sandbox.advance(timedelta(days=1))
    await play_session(sandbox, user, skips=1)  # Wednesday: partly
    await say(sandbox, user, "/progress")
    figures = user.bot_messages[-2].text or ""
    assert label(sandbox, "progress_week", exercised=2, planned=3) in figures
    assert label(sandbox, "progress_partly", partly=1) in figures
    assert label(sandbox, "progress_streak", streak=2) in figures
    chart = chart_of(sandbox, user)
    assert chart.format == "PNG" and chart.width >= 800
    # Friday missed, so next Monday the streak is gone and a new week begins
    await sandbox.advance_to(datetime(2026, 3, 9, 12, 0, tzinfo=UTC))
    await say(sandbox, user, "/progress")
    figures = user.bot_messages[-2].text or ""
    assert label(sandbox, "progress_week", exercised=0, planned=3) in figures
    assert label(sandbox, "progress_streak_none") in figures


async def test_progress_without_reminder_days_says_there_is_no_plan(sandbox: Sandbox) -> None:
    sandbox.clock.set(MONDAY_MORNING)
    user = sandbox.user()
    await say(sandbox, user, "/progress")
    assert user.bot_messages[-1].text == label(sandbox, "progress_none")
    await onboard(sandbox, user)
    await tap(sandbox, user, "btn_later")
    await play_session(sandbox, user)
    await sandbox.advance(timedelta(days=1))
    await play_session(sandbox, user)
    await say(sandbox, user, "/progress")
    figures = user.bot_messages[-2].text or ""
    assert label(sandbox, "progress_week_no_schedule", exercised=2) in figures
    assert label(sandbox, "progress_streak", streak=2) in figures
    chart_of(sandbox, user)


async def test_a_patient_on_hold_sees_the_hold_advice_with_the_figures(sandbox: Sandbox) -> None:
    sandbox.clock.set(MONDAY_MORNING)
    user = sandbox.user()
    await onboard(sandbox, user)
    await tap(sandbox, user, "btn_later")
    await say(sandbox, user, "/exercise")
    await tap(sandbox, user, "btn_begin")
    await tap(sandbox, user, "btn_hurts")
    await tap(sandbox, user, "btn_warning_no")
    await say(sandbox, user, "/progress")
    figures, hold, _chart = user.bot_messages[-3:]
    assert label(sandbox, "progress_week_no_schedule", exercised=0) in (figures.text or "")
    assert hold.text == hold_text(sandbox)
    assert sandbox.services is not None
    assert sandbox.services.content.clinic.phone_display in (hold.text or "")
