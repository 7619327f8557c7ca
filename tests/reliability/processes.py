"""The real ``exercise-bot run`` as a child process, against a local Telegram in this one.

The test drives simulated people in the emulator's world as usual; the bot is a separate
process on the other core, with its own logs (JSON lines, scanned by the tests), and can
be stopped with SIGTERM or killed with SIGKILL.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp

from bot.content.loader import load_content
from bot.core.clock import SystemClock
from bot.sandbox.emulator import Emulator
from bot.store.database import Database

TOKEN = "515151:RELIABILITY-SECRET-TOKEN"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def exercise_bot() -> list[str]:
    script = Path(sys.executable).with_name("exercise-bot")
    if script.exists():
        return [str(script)]
    found = shutil.which("exercise-bot")
    return [found] if found else [sys.executable, "-m", "bot.cli"]


class BotProcess:
    """One ``exercise-bot run``; a new ``start`` after a stop is a restart (same log file)."""

    def __init__(self, emulator: Emulator, database_url: str, log: Path, **env: str) -> None:
        self.log = log
        self.ops_port = free_port()
        self.env = {
            **os.environ,
            "NO_PROXY": "127.0.0.1,localhost",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": emulator.base_url,
            "TELEGRAM_API_FILE_URL": emulator.base_file_url,
            "DATABASE_URL": database_url,
            "OPS_PORT": str(self.ops_port),
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "json",
            "ALLOW_EXAMPLE_CONTENT": "true",
            "RATE_LIMIT_PER_CHAT_PER_SECOND": "0",
            # shorter waits than production's, so failures recover within a test
            "POLL_RETRY_SECONDS": "0.5",
            "POLL_TIMEOUT_SECONDS": "2",
            "POLLER_LOCK_SECONDS": "3",
            "DISPATCH_TURN_SECONDS": "2",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *options: str) -> None:
        """``exercise-bot run`` with ``options`` (``--worker``, ``--webhook``)."""
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [*exercise_bot(), "run", *options],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    async def wait_started(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Until the operations endpoint answers (the bot is up, whatever the log level)."""
        url = f"http://127.0.0.1:{self.ops_port}/healthz"
        async with asyncio.timeout(timeout), aiohttp.ClientSession() as http:
            while True:
                assert self.proc is not None and self.proc.poll() is None, self.text()
                try:
                    async with http.get(url) as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    async def wait_exit(self, timeout: float = 20.0) -> int:  # noqa: ASYNC109
        assert self.proc is not None
        async with asyncio.timeout(timeout):
            while self.proc.poll() is None:  # noqa: ASYNC110 (a child process has no event)
                await asyncio.sleep(0.02)
        return int(self.proc.returncode)

    def stop_now(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def rss_kb(self) -> int:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def cpu_seconds(self) -> float:
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def records(self) -> list[dict[str, Any]]:
        found = []
        for line in self.text().splitlines():
            try:
                found.append(json.loads(line))
            except ValueError:
                found.append({"level": "raw", "event": line})
        return found

    def errors(self) -> list[dict[str, Any]]:
        return [r for r in self.records() if r.get("level") in ("error", "critical", "raw")]


class Remote:
    """What tests/e2e/journeys.py needs of a Sandbox, for a bot in another process."""

    def __init__(self, emulator: Emulator, database_url: str, bot: BotProcess) -> None:
        self.emulator = emulator
        self.world = emulator.world
        self.bot_process = bot
        self.services = SimpleNamespace(
            content=load_content(Path(__file__).resolve().parents[2] / "content"),
            db=Database(database_url),
            clock=SystemClock(),
        )

    def user(self, first_name: str = "Alex", language_code: str = "en"):  # type: ignore[no-untyped-def]
        return self.world.create_user(first_name=first_name, language_code=language_code)

    async def settle(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Every update so far confirmed, i.e. handled (the bot confirms after handling)."""
        await self.world.wait_delivered(timeout=timeout)

    async def close(self) -> None:
        await self.services.db.dispose()


def stop_signal_names() -> dict[str, signal.Signals]:
    return {"SIGTERM": signal.SIGTERM, "SIGKILL": signal.SIGKILL}
