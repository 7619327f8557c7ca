"""Issue 16 with the real `exercise-bot run`: a clinic whose default language is Spanish,
and the command menus, which reach Telegram before the first update is asked for (the
sandbox harness keeps the same order, so what the e2e tests see is what production does)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content import default_content_dir
from bot.content.loader import load_content
from bot.sandbox.emulator import Emulator
from bot.telegram.menus import bot_commands
from tests.e2e.journeys import last_text, say
from tests.reliability.processes import TOKEN, BotProcess, Remote

pytestmark = pytest.mark.timeout(240)


def menu(lang: str) -> list[dict[str, str]]:
    content = load_content(default_content_dir())
    commands = bot_commands(content, lang)
    return [{"command": c.command, "description": c.description} for c in commands]


async def test_a_spanish_clinic_sets_its_menus_first_and_greets_others_in_spanish(
    tmp_path: Path, sqlite_url: str
) -> None:
    async with Emulator(token=TOKEN) as emulator:
        bot = BotProcess(emulator, sqlite_url, tmp_path / "bot.log", DEFAULT_LANGUAGE="es")
        remote = Remote(emulator, sqlite_url, bot)
        try:
            # An update waits before the bot starts, and Telegram is slow to take the
            # menus: had the poller started first, its first getUpdates would come back
            # (with the waiting update) before the menus were set.
            french, english = remote.user("Amélie", "fr"), remote.user("Ann", "en-GB")
            french.send_text("/start")
            emulator.faults.delay_next(2, 1.5, "setMyCommands")
            bot.start()
            await bot.wait_started()
            await remote.settle()
            await say(remote, english, "/start")  # type: ignore[arg-type]
            assert last_text(french).startswith("¡Hola!")  # no French: the clinic's Spanish
            assert last_text(english).startswith("Hello!")  # Telegram's language, served

            methods = [call.method for call in emulator.calls if call.ok]
            first_poll = methods.index("getUpdates")
            assert methods.count("setMyCommands") == 2
            assert all(i < first_poll for i, m in enumerate(methods) if m == "setMyCommands")
            default = str(sorted({"type": "default"}.items()))
            assert emulator.commands == {(default, ""): menu("es"), (default, "en"): menu("en")}
        finally:
            bot.stop_now()
            await remote.close()
