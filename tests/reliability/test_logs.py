"""The logs of a real ``exercise-bot run`` never hold the token, a name or a message text,
at any log level (issue 9), including a start with a token Telegram rejects."""

from __future__ import annotations

import asyncio
from asyncio.subprocess import PIPE
from pathlib import Path

import pytest

from bot.sandbox.emulator import Emulator
from tests.e2e.journeys import onboard, say, tap
from tests.reliability.processes import TOKEN, BotProcess, Remote, exercise_bot

NAME = "Zebedee"
TYPED = "my lower back feels odd today"
SECRET = TOKEN.split(":")[1]


@pytest.mark.parametrize("level", ["DEBUG", "INFO", "WARNING"])
@pytest.mark.parametrize("fmt", ["json", "text"])
async def test_no_token_name_or_text_at_any_level(
    tmp_path: Path, sqlite_url: str, level: str, fmt: str
) -> None:
    emulator = Emulator(token=TOKEN)
    await emulator.start()
    bot = BotProcess(emulator, sqlite_url, tmp_path / "bot.log", LOG_LEVEL=level, LOG_FORMAT=fmt)
    remote = Remote(emulator, sqlite_url, bot)
    try:
        bot.start()
        await bot.wait_started()
        user = emulator.world.create_user(first_name=NAME)
        await onboard(remote, user)  # type: ignore[arg-type]
        await say(remote, user, TYPED)  # type: ignore[arg-type]
        await tap(remote, user, "btn_start_now")  # type: ignore[arg-type]
        await tap(remote, user, "btn_begin")  # type: ignore[arg-type]
        await tap(remote, user, "btn_hurts")  # type: ignore[arg-type]
        await say(remote, user, "/mydata")  # type: ignore[arg-type]
        emulator.faults.fail_next(3, status=500, method="sendMessage")  # an error, traceback too
        await say(remote, user, "/help")  # type: ignore[arg-type]
    finally:
        bot.stop_now()
        await remote.close()
        await emulator.stop()
    logs = bot.text()
    assert logs.strip(), "the bot logged nothing at all"
    for forbidden in (SECRET, NAME, TYPED, "lower back"):
        assert forbidden not in logs, f"{forbidden!r} in the {level} logs"
    if level == "DEBUG":
        assert "DEBUG" in logs.upper()  # the level was really on


async def test_a_rejected_token_is_one_line_without_the_token(
    tmp_path: Path, sqlite_url: str
) -> None:
    emulator = Emulator(token="111:THE-RIGHT-ONE")
    await emulator.start()
    try:
        bot = BotProcess(emulator, sqlite_url, tmp_path / "bot.log", LOG_LEVEL="DEBUG")
        proc = await asyncio.create_subprocess_exec(
            *exercise_bot(), "run", env=bot.env, stdout=PIPE, stderr=PIPE
        )
        stdout, stderr = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        await emulator.stop()
    output = (stdout + stderr).decode()
    assert proc.returncode == 2
    assert SECRET not in output
    assert "TELEGRAM_BOT_TOKEN" in output
    assert "Traceback" not in output
