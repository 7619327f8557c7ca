"""The real bot against the local Telegram: webhook mode, and Telegram's errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.sandbox.harness import Sandbox
from tests.e2e.journeys import label, last_text, open_session, say, tap


@pytest.fixture
async def webhook_sandbox(sqlite_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(database_url=sqlite_url, mode="webhook") as running:
        yield running


async def test_webhook_mode_runs_a_whole_session_start(webhook_sandbox: Sandbox) -> None:
    sandbox = webhook_sandbox
    user = sandbox.user()
    await open_session(sandbox, user)
    await tap(sandbox, user, "btn_next")
    assert "2" in last_text(user)
    calls = [c.method.lower() for c in sandbox.emulator.calls]
    assert "setwebhook" in calls and "getupdates" not in calls


async def test_429_is_retried_after_retry_after(sqlite_sandbox: Sandbox) -> None:
    sandbox = sqlite_sandbox
    user = sandbox.user()
    sandbox.emulator.faults.fail_next(1, status=429, method="sendMessage", retry_after=1)
    await say(sandbox, user, "/start")
    sends = [c for c in sandbox.emulator.calls if c.method.lower() == "sendmessage"]
    assert [c.status for c in sends] == [429, 200]
    assert last_text(user).startswith(
        label(sandbox, "welcome_new", clinic_name=sandbox.services.content.clinic.name)[:20]
    )  # type: ignore[union-attr]


async def test_403_blocked_user_does_not_crash_the_bot(sqlite_sandbox: Sandbox) -> None:
    sandbox = sqlite_sandbox
    user, other = sandbox.user("Blocker"), sandbox.user("Other")
    user.block()
    await say(sandbox, user, "/start")
    sends = [c for c in sandbox.emulator.calls if c.method.lower() == "sendmessage"]
    assert sends and all(c.status == 403 for c in sends)
    await say(sandbox, other, "/start")  # the bot is still serving others
    assert other.last_bot_message(with_buttons=True) is not None


async def test_a_5xx_on_an_edit_is_retried_and_the_patient_sees_the_next_step(
    sqlite_sandbox: Sandbox,
) -> None:
    sandbox = sqlite_sandbox
    user = sandbox.user()
    await open_session(sandbox, user)
    sandbox.emulator.faults.fail_next(1, status=502, method="editMessageMedia")
    await tap(sandbox, user, "btn_next")
    edits = [c.status for c in sandbox.emulator.calls if c.method == "editMessageMedia"]
    assert edits[-2:] == [502, 200]
    assert "2" in last_text(user)
    assert label(sandbox, "error_generic") not in [m.text for m in user.bot_messages]


async def test_an_edit_telegram_refuses_becomes_a_new_message(sqlite_sandbox: Sandbox) -> None:
    sandbox = sqlite_sandbox
    user = sandbox.user()
    await open_session(sandbox, user)
    before = len(user.bot_messages)
    sandbox.emulator.faults.fail_next(
        1,
        status=400,
        method="editMessageMedia",
        description="Bad Request: message to edit not found",
    )
    await tap(sandbox, user, "btn_next")
    assert len(user.bot_messages) == before + 1
    assert "2" in last_text(user)


async def test_an_edit_that_keeps_failing_is_reported_politely(sqlite_sandbox: Sandbox) -> None:
    sandbox = sqlite_sandbox
    user = sandbox.user()
    await say(sandbox, user, "/start")
    sandbox.emulator.faults.fail_next(3, status=502, method="editMessageText")
    await tap(sandbox, user, "btn_agree")
    assert last_text(user) == label(sandbox, "error_generic")
    # the tap was recorded: /start greets a patient who has agreed
    await say(sandbox, user, "/start")
    assert label(sandbox, "btn_agree") not in [
        b for row in user.bot_messages[-1].labels for b in row
    ]
    assert user.last_bot_message(with_buttons=True) is not None


async def test_a_picture_edit_that_keeps_failing_shows_the_step_as_text(
    sqlite_sandbox: Sandbox,
) -> None:
    sandbox = sqlite_sandbox
    user = sandbox.user()
    await open_session(sandbox, user)
    sandbox.emulator.faults.fail_next(3, status=502, method="editMessageMedia")
    await tap(sandbox, user, "btn_next")
    screen = user.last_bot_message(with_buttons=True)
    assert screen is not None and screen.media is None
    assert "step 2" in (screen.text or "")
    assert label(sandbox, "error_generic") not in [m.text for m in user.bot_messages]
