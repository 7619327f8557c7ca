"""The send path alone: N sendMessage calls, no database, no rate limiter, through
(a) PTB's Bot on HTTPXRequest (PTB's default), (b) PTB's Bot on our AiohttpRequest, (c) our
lean call path for reminders and taps (``bot/telegram/calls.post`` on AiohttpRequest), and
(d) raw aiohttp POSTs of bodies encoded beforehand (the floor: no PTB, no JSON parsing).

The emulator runs in another process (``exercise-bot emulator``), so the CPU seconds are
the sender's alone. Each variant runs one call at a time and with a window of calls in
flight; variants are interleaved over rounds, in a rotating order, so a busy moment on a
shared machine does not fall on one variant only. Figures, never pass/fail:
``python -m bot.bench.sendpath [N] [--window W] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import date
from importlib.metadata import version
from urllib.parse import urlencode

import aiohttp
import telegram
from telegram.request import BaseRequest, HTTPXRequest

from bot.bench.machine import speed_line
from bot.sandbox.control import SandboxClient
from bot.telegram import calls
from bot.telegram.transport import AiohttpRequest

Send = Callable[[int], Awaitable[None]]
Variant = Callable[["Target"], AbstractAsyncContextManager[Send]]

TOKEN = "123456:BENCH-TOKEN"
USERS = 50
WARM_UP = 50
TEXT = "<b>Exercise</b> 3 of 8: knee to chest. Hold for 20 seconds, then lower slowly."
MARKUP = {"inline_keyboard": [[{"text": "Done", "callback_data": "1:d:a1:3:0"}]]}
BASELINE = "ptb-httpx"


@dataclass(frozen=True)
class Target:
    """Where to send: the emulator's Bot API and the chats of its simulated users."""

    base_url: str
    token: str
    chats: tuple[int, ...]


@dataclass(frozen=True)
class Run:
    variant: str
    window: int
    messages: int
    seconds: float
    cpu_seconds: float


# --- the emulator, in another process -------------------------------------------------


@asynccontextmanager
async def emulator_process() -> AsyncIterator[str]:
    """Start ``exercise-bot emulator`` on a free port; yield its URL; stop it (SIGINT)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "emulator",
        "--port",
        "0",
        "--token",
        TOKEN,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        found = re.search(r"base_url=(\S+)/bot ", line)
        if found is None:
            raise RuntimeError(f"the emulator did not start: {line!r}")
        yield found.group(1)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def create_users(url: str, n: int) -> tuple[int, ...]:
    async with SandboxClient(url) as sandbox:
        return tuple([(await sandbox.create_user(first_name=f"U{i}"))["id"] for i in range(n)])


async def calls_received(url: str) -> int:
    async with SandboxClient(url) as sandbox:
        return int((await sandbox.status())["calls"])


# --- the variants -------------------------------------------------------------------


def _bot(target: Target, request: BaseRequest) -> telegram.Bot:
    base_url = f"{target.base_url}/bot"
    return telegram.Bot(target.token, base_url, request=request, get_updates_request=request)


def _ptb(make_request: Callable[[], BaseRequest]) -> Variant:
    @asynccontextmanager
    async def sender(target: Target) -> AsyncIterator[Send]:
        bot = _bot(target, make_request())
        markup = telegram.InlineKeyboardMarkup.de_json(MARKUP, None)
        chats = target.chats

        async def send(index: int) -> None:
            await bot.send_message(
                chats[index % len(chats)], TEXT, parse_mode="HTML", reply_markup=markup
            )

        async with bot:
            yield send

    return sender


@asynccontextmanager
async def lean_aiohttp(target: Target) -> AsyncIterator[Send]:
    """Our reminders' path (``bot/telegram/calls.post``): PTB's BaseRequest and its error
    mapping on our transport, one JSON body per call, the answer not made into a Message."""
    bot = _bot(target, AiohttpRequest())
    chats = target.chats

    async def send(index: int) -> None:
        values = {
            "chat_id": chats[index % len(chats)],
            "text": TEXT,
            "parse_mode": "HTML",
            "reply_markup": MARKUP,
        }
        await calls.post(bot, "sendMessage", values)

    async with bot:
        yield send


@asynccontextmanager
async def raw_aiohttp(target: Target) -> AsyncIterator[Send]:
    """What PTB's machinery costs, left out: bodies encoded once, answers not parsed."""
    url = f"{target.base_url}/bot{target.token}/sendMessage"
    fields = {"text": TEXT, "parse_mode": "HTML", "reply_markup": json.dumps(MARKUP)}
    bodies = [urlencode({"chat_id": str(chat), **fields}).encode() for chat in target.chats]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    async with aiohttp.ClientSession() as session:

        async def send(index: int) -> None:
            body = bodies[index % len(bodies)]
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"sendMessage answered {response.status}")

        yield send


VARIANTS: dict[str, Variant] = {
    BASELINE: _ptb(HTTPXRequest),
    "ptb-aiohttp": _ptb(AiohttpRequest),
    "lean-aiohttp": lean_aiohttp,
    "raw-aiohttp": raw_aiohttp,
}


# --- measuring ----------------------------------------------------------------------------


async def drive(send: Send, n: int, window: int) -> None:
    """n sends, at most ``window`` in flight (each worker takes the next index)."""
    indexes = iter(range(n))

    async def worker() -> None:
        for index in indexes:
            await send(index)

    await asyncio.gather(*(worker() for _ in range(window)))


async def measure(name: str, target: Target, url: str, n: int, window: int) -> Run:
    """One timed run after a warm-up (connections open, caches filled); checks that the
    emulator received every call."""
    before = await calls_received(url)
    async with VARIANTS[name](target) as send:
        await drive(send, WARM_UP, window)
        gc.collect()
        cpu, started = time.process_time(), time.perf_counter()
        await drive(send, n, window)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    received = await calls_received(url) - before
    expected = n + WARM_UP + (1 if name != "raw-aiohttp" else 0)  # PTB's getMe
    if received != expected:
        raise RuntimeError(f"{name}: the emulator received {received} calls, not {expected}")
    return Run(name, window, n, seconds, cpu)


async def run(n: int, windows: tuple[int, ...], rounds: int) -> list[Run]:
    async with emulator_process() as url:
        target = Target(url, TOKEN, await create_users(url, USERS))
        names = list(VARIANTS)
        runs = []
        for round_index in range(rounds):
            order = names[round_index % len(names) :] + names[: round_index % len(names)]
            for window in windows:
                for name in order:
                    runs.append(await measure(name, target, url, n, window))
        return runs


# --- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    variant: str
    per_cpu_second: float
    per_second: float
    low: float  # the slowest round, messages per CPU-second
    high: float


def summarise(runs: list[Run], window: int) -> list[Row]:
    rows = []
    for name in VARIANTS:
        mine = [r for r in runs if r.variant == name and r.window == window]
        messages = sum(r.messages for r in mine)
        per_round = [r.messages / r.cpu_seconds for r in mine]
        rows.append(
            Row(
                name,
                messages / sum(r.cpu_seconds for r in mine),
                messages / sum(r.seconds for r in mine),
                min(per_round),
                max(per_round),
            )
        )
    return rows


def table(rows: list[Row]) -> str:
    base = next(r for r in rows if r.variant == BASELINE)
    lines = [
        f"{'variant':<12} {'msgs/CPU-s':>10} {'msgs/s':>8} {'CPU ms/msg':>10}"
        f" {'CPU vs (a)':>10} {'wall vs (a)':>11} {'rounds msgs/CPU-s':>18}"
    ]
    for row in rows:
        lines.append(
            f"{row.variant:<12} {row.per_cpu_second:>10,.0f} {row.per_second:>8,.0f}"
            f" {1000 / row.per_cpu_second:>10.3f}"
            f" {row.per_cpu_second / base.per_cpu_second:>9.2f}x"
            f" {row.per_second / base.per_second:>10.2f}x"
            f" {f'{row.low:,.0f}-{row.high:,.0f}':>18}"
        )
    return "\n".join(lines)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def heading(n: int, rounds: int, load_before: str) -> str:
    versions = ", ".join(f"{p} {version(p)}" for p in ("python-telegram-bot", "httpx", "aiohttp"))
    return (
        f"# send path: {n} sendMessage per run, {rounds} round(s), warm-up {WARM_UP},"
        f" emulator in another process\n"
        f"{date.today().isoformat()}, {os.cpu_count()} cores, load average {load_before}"
        f" before, {load_average()} after,"
        f" Python {sys.version.split()[0]}, {versions}\n{speed_line()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench.sendpath", description=__doc__)
    parser.add_argument("n", nargs="?", type=int, default=3000, help="calls per run")
    parser.add_argument("--window", type=int, default=16, help="calls in flight, second table")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    windows = (1, args.window)
    load_before = load_average()
    runs = asyncio.run(run(args.n, windows, args.rounds))
    print(heading(args.n, args.rounds, load_before))
    for window, title in zip(
        windows, ("sequential (1 in flight)", f"{args.window} in flight"), strict=True
    ):
        print(f"\n## {title}")
        print(table(summarise(runs, window)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
