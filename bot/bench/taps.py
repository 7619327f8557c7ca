"""Taps per second, latency and CPU per tap: our bot against a bare PTB bot (issue 13).

Every configuration gets its own emulator process (``exercise-bot emulator``) and its own
bot process; this process is the load: simulated patients tapping through a session via
the emulator's control API, and one long poll on its events
(``GET /_sandbox/events/wait``) per emulator to see each tap, its answer and the edit.

- ``bare-httpx`` / ``bare-aiohttp``: ``python -m bot.bench.barebot`` (PTB 22, its default
  Updater, answer + edit per tap, no database) on PTB's httpx transport / on ours;
- ``ours-sqlite`` / ``ours-postgres``: a real ``exercise-bot run`` (its defaults, so
  aiohttp and ``UPDATE_CONCURRENCY=16``), with ``RATE_LIMIT_PER_CHAT_PER_SECOND=0``.

Warm-up, not measured: each patient sends /start (our bot: agrees, "Start now",
"Let's begin"), so every patient has a session screen. Then, per load, each configuration
in turn (the order rotates per load and round, so a busy moment of the shared machine does
not always fall on the same bot): a warm-up of the load itself, then a measured window.

- closed loop at N patients: each taps as soon as the screen of the previous tap arrived;
- open loop: N patients tapping at a fixed total rate, evenly spaced (each patient every
  N / rate seconds); a tap that could not go at its time (the previous one not answered
  yet) is counted as late.

A tap is "Next" (bare bot: always; ours: "Next" to the last step of the session, then
"Back" to the first, and so on: the same session-step path as "Next", without ending the
session). Latency: from the tap to the edit of the tapped message, both as the emulator
recorded them (its clock), so the load generator's own delays are not in it. CPU per tap:
the bot process's utime + stime (``/proc/<pid>/stat``) over the window / taps completed in
it. Figures, never pass/fail: ``exercise-bot bench taps [--quick] [--rounds N]
[--postgres URL] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, TextIO

from bot.bench.databases import fresh_postgres, postgres_admin_url, postgres_available
from bot.bench.machine import speed_line
from bot.sandbox.control import SandboxClient

TOKEN = "424242:TAPS-BENCH-TOKEN"
BARE = ("bare-httpx", "bare-aiohttp")
OURS = ("ours-sqlite", "ours-postgres")
CONFIGS = (*BARE, *OURS)
TITLES = {
    "bare-httpx": "bare PTB 22, httpx (PTB's default)",
    "bare-aiohttp": "bare PTB 22, our aiohttp transport",
    "ours-sqlite": "exercise-bot run, SQLite file",
    "ours-postgres": "exercise-bot run, PostgreSQL",
}
SAME_TRANSPORT = "bare-aiohttp"  # our bot's default transport is aiohttp
KINDS = ("user_tap", "bot_toast", "bot_edit", "bot_message", "bot_photo", "bot_animation")
STEP_TIMEOUT = 60.0  # one screen (warm-up: bots start and onboard meanwhile)
TAP_TIMEOUT = 30.0
TARGET_RATE = 0.7  # ours / bare, taps/s, at 1 and at the most patients (closed loop)
TARGET_CPU = 1.5  # ours / bare, bot CPU per tap
TARGET_P99 = 1.3  # ours / bare, p99 in the open loop


class BenchError(RuntimeError):
    """The benchmark could not measure (a bot died, a tap was not answered...)."""


# --- sizes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    patients: int
    rate: float | None = None  # taps/s in total: an open loop; None: a closed loop

    @property
    def name(self) -> str:
        if self.rate is None:
            return f"closed-{self.patients}"
        return f"open-{self.patients}@{self.rate:g}"

    @property
    def title(self) -> str:
        who = f"{self.patients} patient{'s' if self.patients != 1 else ''}"
        if self.rate is None:
            return f"closed loop, {who}"
        return f"open loop, {who}, {self.rate:g} taps/s in total"


@dataclass(frozen=True)
class Sizes:
    loads: tuple[Load, ...]
    warm_up: float  # seconds of the load before each measured window
    closed_seconds: float
    open_seconds: float

    @property
    def patients(self) -> int:
        return max(load.patients for load in self.loads)

    def seconds(self, load: Load) -> float:
        return self.closed_seconds if load.rate is None else self.open_seconds


FULL = Sizes(
    loads=(Load(1), Load(10), Load(100), Load(100, 20.0)),
    warm_up=2.0,
    closed_seconds=10.0,
    open_seconds=20.0,
)
QUICK = Sizes(
    loads=(Load(1), Load(3), Load(6), Load(6, 10.0)),
    warm_up=0.2,
    closed_seconds=0.5,
    open_seconds=1.0,
)


# --- processes ----------------------------------------------------------------------------


def cpu_times(pid: int) -> tuple[float, float]:
    """(utime, stime) of a process in seconds, all its threads (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / ticks, int(fields[12]) / ticks


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, all its threads."""
    return sum(cpu_times(pid))


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


@dataclass
class Child:
    """A process this benchmark started, with its log."""

    name: str
    proc: asyncio.subprocess.Process
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def check(self) -> None:
        if self.proc.returncode is not None:
            raise BenchError(f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    async def stop(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 20)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


@asynccontextmanager
async def child(
    name: str, args: Sequence[str], log: Path, env: dict[str, str] | None = None
) -> AsyncIterator[Child]:
    with log.open("ab") as out:
        proc = await asyncio.create_subprocess_exec(
            *args,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=log.parent,  # no developer's .env is read from here
        )
    started = Child(name, proc, log)
    try:
        yield started
    finally:
        await started.stop()


async def emulator_url(emulator: Child) -> str:
    """The URL ``exercise-bot emulator`` prints once it listens."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        emulator.check()
        found = re.search(r"base_url=(\S+)/bot ", emulator.tail(5))
        if found:
            return found.group(1)
        await asyncio.sleep(0.05)
    raise BenchError(f"the emulator did not start:\n{emulator.tail()}")


# --- simulated patients -------------------------------------------------------------------


def _at(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(event["at"]).timestamp()


@dataclass
class Patient:
    """One simulated patient: their private chat's newest screen and their pending wait."""

    id: int
    message_id: int | None = None
    labels: tuple[str, ...] = ()
    forward: bool = True
    tap_at: float | None = None  # the emulator's time of the pending tap
    waiter: tuple[asyncio.Future[float], Callable[[dict[str, Any]], bool]] | None = None


@dataclass
class Labels:
    """Button labels, from the bundled content's English texts."""

    agree: str
    start_now: str
    begin: str
    next: str
    back: str

    @classmethod
    def load(cls) -> Labels:
        from bot.content.loader import bundled_content_dir, load_content

        content = load_content(bundled_content_dir())

        def text(key: str) -> str:
            return content.text("en", key)

        return cls(
            text("btn_agree"),
            text("btn_start_now"),
            text("btn_begin"),
            text("btn_next"),
            text("btn_back"),
        )


@dataclass
class Target:
    """One configuration: its emulator, its bot, its patients and the event watcher."""

    config: str
    url: str
    emulator: Child
    bot: Child
    control: SandboxClient  # taps and messages
    watch: SandboxClient  # the long poll on events
    labels: Labels
    patients: dict[int, Patient] = field(default_factory=dict)
    taps_sent: int = 0
    answers: int = 0
    toasts: list[str] = field(default_factory=list)  # answers with a text: unexpected
    _watcher: asyncio.Task[None] | None = None
    _all_answered: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def ours(self) -> bool:
        return self.config in OURS

    @property
    def ordered(self) -> list[Patient]:
        return list(self.patients.values())

    # --- events ---------------------------------------------------------------------------

    def start_watching(self) -> None:
        self._watcher = asyncio.create_task(self._watch(), name=f"watch {self.config}")

    async def stop_watching(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher

    async def _watch(self) -> None:
        since = 0
        while True:
            events, since = await self.watch.wait_events(since, seconds=10.0, kinds=KINDS)
            for event in events:
                self._route(event)

    def _route(self, event: dict[str, Any]) -> None:
        patient = self.patients.get(event.get("chat_id") or 0)
        if patient is None:
            return
        kind = event["kind"]
        if kind == "user_tap":
            patient.tap_at = _at(event)
        elif kind == "bot_toast":
            self.answers += 1
            if self.answers >= self.taps_sent:
                self._all_answered.set()
            if event.get("text"):
                self.toasts.append(str(event["text"]))
        else:  # bot_edit, bot_message, bot_photo, bot_animation: a new screen
            if patient.waiter is not None and patient.waiter[1](event):
                future, _ = patient.waiter
                patient.waiter = None
                if event.get("buttons"):
                    patient.labels = tuple(label for row in event["buttons"] for label in row)
                    patient.message_id = int(event["message_id"])
                if not future.done():
                    future.set_result(_at(event))

    async def _await_screen(
        self,
        patient: Patient,
        action: Callable[[], Awaitable[object]],
        wanted: Callable[[dict[str, Any]], bool],
        timeout: float,  # noqa: ASYNC109
        *,
        watchful: bool = False,
    ) -> float:
        """Do `action`, then wait for the screen event `wanted` accepts; its time.
        `watchful`: look every second whether the bot or the emulator died (warm-up)."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        patient.waiter = (future, wanted)
        patient.tap_at = None
        await action()
        try:
            async with asyncio.timeout(timeout):
                while watchful:
                    done, _ = await asyncio.wait({future}, timeout=1.0)
                    if done:
                        break
                    self.bot.check()
                    self.emulator.check()
                return await future
        except TimeoutError:
            raise BenchError(
                f"{self.config}: patient {patient.id} saw no answer within {timeout:g} s;"
                f" bot log:\n{self.bot.tail()}"
            ) from None
        finally:
            patient.waiter = None

    # --- what patients do -----------------------------------------------------------------

    async def onboard(self, patient: Patient) -> None:
        """Until the patient has a session screen with "Next" (not measured)."""
        labels = self.labels

        def showing(label: str) -> Callable[[dict[str, Any]], bool]:
            return lambda event: any(label in row for row in event.get("buttons") or [])

        await self._await_screen(
            patient,
            lambda: self.control.send_text(patient.id, "/start"),
            showing(labels.agree if self.ours else labels.next),
            STEP_TIMEOUT,
            watchful=True,
        )
        if self.ours:
            for tapped, shown in (
                (labels.agree, labels.start_now),
                (labels.start_now, labels.begin),
                (labels.begin, labels.next),
            ):
                await self._await_screen(
                    patient,
                    self._tap_action(patient, tapped),
                    showing(shown),
                    STEP_TIMEOUT,
                    watchful=True,
                )
                self.taps_sent += 1

    def _tap_action(self, patient: Patient, label: str) -> Callable[[], Awaitable[object]]:
        return lambda: self.control.tap(patient.id, label, message_id=patient.message_id)

    def _choose(self, patient: Patient) -> str:
        """Bare bot: "Next". Ours: "Next" to the session's last step, "Back" to its first."""
        nxt, back = self.labels.next, self.labels.back
        if not self.ours:
            return nxt
        if patient.forward:
            if nxt in patient.labels:
                return nxt
            patient.forward = False
        if back in patient.labels:
            return back
        patient.forward = True
        return nxt

    async def tap(self, patient: Patient) -> float:
        """One tap and the edit of the tapped message; the latency in ms (emulator's clock)."""
        message_id = patient.message_id
        label = self._choose(patient)
        if label not in patient.labels:
            raise BenchError(f"{self.config}: no {label!r} among {patient.labels}")

        def edited(event: dict[str, Any]) -> bool:
            return event["kind"] == "bot_edit" and event.get("message_id") == message_id

        self.taps_sent += 1
        shown_at = await self._await_screen(
            patient, self._tap_action(patient, label), edited, TAP_TIMEOUT
        )
        if patient.tap_at is None:
            raise BenchError(f"{self.config}: the edit came before the tap was seen")
        return (shown_at - patient.tap_at) * 1000

    async def check_answers(self, within: float = 5.0) -> None:
        """Every tap was answered once, without a text (a text means stale, invalid...).
        Our bot answers a tap side by side with its edit, so the last answers may come
        after the last screens: they are waited for, ``within`` seconds at most."""
        if self.answers < self.taps_sent:
            self._all_answered.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_answered.wait(), within)
        if self.toasts:
            raise BenchError(f"{self.config}: unexpected answers to taps: {self.toasts[:5]}")
        if self.answers != self.taps_sent:
            raise BenchError(
                f"{self.config}: {self.taps_sent} taps but {self.answers} callback answers"
            )


# --- starting a configuration -------------------------------------------------------------


@asynccontextmanager
async def target(
    config: str,
    workdir: Path,
    patients: int,
    postgres_url: str | None,
    bot_env: dict[str, str] | None = None,
) -> AsyncIterator[Target]:
    """The emulator and the bot of one configuration, running, with patients created."""
    folder = workdir / config
    folder.mkdir()
    async with AsyncExitStack() as stack:
        emulator = await stack.enter_async_context(
            child(
                f"{config} emulator",
                [sys.executable, "-m", "bot.cli", "emulator", "--port", "0", "--token", TOKEN],
                folder / "emulator.log",
            )
        )
        url = await emulator_url(emulator)
        if config in BARE:
            args = [
                *(sys.executable, "-m", "bot.bench.barebot", "--base-url", f"{url}/bot"),
                *("--token", TOKEN, "--transport", config.removeprefix("bare-")),
            ]
            env = dict(os.environ)
        else:
            if config == "ours-postgres":
                assert postgres_url is not None
                database = await stack.enter_async_context(fresh_postgres(postgres_url))
            else:
                database = f"sqlite+aiosqlite:///{folder / 'bot.db'}"
            args = [*exercise_bot(), "run"]
            env = {
                **os.environ,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": f"{url}/bot",
                "TELEGRAM_API_FILE_URL": f"{url}/file/bot",
                "DATABASE_URL": database,
                "OPS_PORT": str(free_port()),
                "ALLOW_EXAMPLE_CONTENT": "true",
                "RATE_LIMIT_PER_CHAT_PER_SECOND": "0",
                **(bot_env or {}),
            }
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
        bot = await stack.enter_async_context(child(f"{config} bot", args, folder / "bot.log", env))
        control = await stack.enter_async_context(SandboxClient(url))
        watch = await stack.enter_async_context(SandboxClient(url))
        found = Target(config, url, emulator, bot, control, watch, Labels.load())
        for index in range(patients):
            user = await control.create_user(first_name=f"P{index}")
            found.patients[int(user["id"])] = Patient(int(user["id"]))
        found.start_watching()
        try:
            yield found
        finally:
            await found.stop_watching()


# --- measuring ----------------------------------------------------------------------------


@dataclass
class Run:
    """One measured window: one load on one configuration in one round."""

    config: str
    load: str
    round: int
    patients: int
    rate: float | None
    taps: int
    seconds: float
    bot_cpu: float  # utime + stime
    bot_sys_cpu: float  # of which stime (the kernel: sockets, thread wake-ups)
    emulator_cpu: float
    generator_cpu: float
    late: int
    latencies_ms: list[float] = field(repr=False)
    api_calls: int = 0  # Bot API calls the emulator received in the window
    polls: int = 0  # of which getUpdates

    @property
    def per_second(self) -> float:
        return self.taps / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        del data["latencies_ms"]
        data |= {
            "taps_per_second": self.per_second,
            "bot_cpu_ms_per_tap": 1000 * self.bot_cpu / self.taps if self.taps else None,
            **{f"p{q}_ms": percentile(self.latencies_ms, q) for q in (50, 95, 99)},
        }
        return data


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest rank; nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class _Window:
    """Counts kept while a load runs; the window's start and end are snapshots of them."""

    done: int = 0
    late: int = 0
    samples: list[tuple[int, float]] = field(default_factory=list)  # (done index, ms)


async def measure(
    tgt: Target, load: Load, sizes: Sizes, round_index: int, profile: Path | None
) -> Run:
    """Warm-up of the load, then the measured window, then the taps in flight finish."""
    patients = tgt.ordered[: load.patients]
    stop = asyncio.Event()
    window = _Window()

    async def tap(patient: Patient) -> None:
        latency = await tgt.tap(patient)
        window.done += 1
        window.samples.append((window.done, latency))

    async def closed(patient: Patient) -> None:
        while not stop.is_set():
            await tap(patient)

    loop = asyncio.get_running_loop()
    begin = loop.time() + 0.05

    async def opened(index: int, patient: Patient) -> None:
        assert load.rate is not None
        interval = load.patients / load.rate
        due = begin + index / load.rate
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, due - loop.time())):
                    await stop.wait()
            if stop.is_set():
                return
            if loop.time() - due > 0.01:
                window.late += 1
            await tap(patient)
            due += interval

    if load.rate is None:
        workers = [asyncio.create_task(closed(p)) for p in patients]
    else:
        workers = [asyncio.create_task(opened(i, p)) for i, p in enumerate(patients)]
    spy: asyncio.subprocess.Process | None = None
    try:
        await asyncio.sleep(sizes.warm_up)
        seconds = sizes.seconds(load)
        if profile is not None:
            spy = await start_py_spy(tgt.bot.pid, profile, seconds)
        calls0 = int((await tgt.control.status())["calls"])
        done0, late0 = window.done, window.late
        bot0, emu0, gen0 = cpu_times(tgt.bot.pid), tgt.emulator.cpu(), time.process_time()
        started = time.perf_counter()
        await asyncio.sleep(seconds)
        elapsed = time.perf_counter() - started
        bot1, emu1, gen1 = cpu_times(tgt.bot.pid), tgt.emulator.cpu(), time.process_time()
        done1, late1 = window.done, window.late
        calls1 = int((await tgt.control.status())["calls"])
    finally:
        stop.set()
        results = await asyncio.gather(*workers, return_exceptions=True)
    if spy is not None:
        await spy.wait()
    for result in results:
        if isinstance(result, BaseException):
            raise result
    await tgt.check_answers()
    calls = (await tgt.control.calls(since=calls0))[: calls1 - calls0]
    latencies = [ms for index, ms in window.samples if done0 < index <= done1]
    return Run(
        tgt.config,
        load.name,
        round_index,
        load.patients,
        load.rate,
        done1 - done0,
        elapsed,
        sum(bot1) - sum(bot0),
        bot1[1] - bot0[1],
        emu1 - emu0,
        gen1 - gen0,
        late1 - late0,
        latencies,
        len(calls),
        sum(1 for call in calls if call["method"] == "getUpdates"),
    )


async def start_py_spy(pid: int, out: Path, seconds: float) -> asyncio.subprocess.Process:
    """py-spy on the bot for the measured window: raw collapsed stacks, only the thread
    holding the GIL (see bot/bench/pyspy.py)."""
    binary = Path(sys.executable).with_name("py-spy")
    command = str(binary) if binary.exists() else shutil.which("py-spy")
    if command is None:
        raise BenchError("--py-spy needs py-spy: pip install py-spy")
    return await asyncio.create_subprocess_exec(
        *(command, "record", "--format", "raw", "--gil", "--rate", "100"),
        *("--pid", str(pid), "--duration", str(max(1, round(seconds))), "--output", str(out)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def run(
    sizes: Sizes,
    rounds: int,
    configs: Sequence[str],
    postgres_url: str | None,
    profile_dir: Path | None = None,
    profiles: list[Path] | None = None,
    bot_env: dict[str, str] | None = None,
) -> list[Run]:
    """Start every configuration, onboard its patients, then measure every load on every
    configuration, interleaved, ``rounds`` times."""
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="bench-taps-") as tmp:
        async with AsyncExitStack() as stack:
            targets = [
                await stack.enter_async_context(
                    target(config, Path(tmp), sizes.patients, postgres_url, bot_env)
                )
                for config in configs
            ]
            started = time.monotonic()
            await asyncio.gather(*(t.onboard(p) for t in targets for p in t.ordered))
            took = time.monotonic() - started
            say(f"warm-up: {sizes.patients} patients per bot onboarded in {took:.1f} s")
            for round_index in range(rounds):
                for load_index, load in enumerate(sizes.loads):
                    shift = (round_index + load_index) % len(targets)
                    for tgt in targets[shift:] + targets[:shift]:
                        spy = None
                        largest = max(
                            (ld.patients for ld in sizes.loads if ld.rate is None), default=0
                        )
                        if profile_dir and load.rate is None and load.patients == largest:
                            spy = profile_dir / f"{tgt.config}-{load.name}-r{round_index + 1}.txt"
                            if profiles is not None:
                                profiles.append(spy)
                        found = await measure(tgt, load, sizes, round_index + 1, spy)
                        runs.append(found)
                        say(
                            f"round {round_index + 1}/{rounds} {load.name:<13} {tgt.config:<13}"
                            f" {found.per_second:7.1f} taps/s"
                            f" p99 {percentile(found.latencies_ms, 99):6.1f} ms"
                            f" CPU {1000 * found.bot_cpu / max(found.taps, 1):5.2f} ms/tap"
                        )
    return runs


# --- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One configuration at one load, pooled over rounds."""

    config: str
    load: str
    taps: int
    per_second: float
    p50: float
    p95: float
    p99: float
    cpu_ms: float  # bot CPU per tap
    sys_share: float  # of the bot's CPU, the kernel's share
    emulator_ms: float
    generator_ms: float
    late: int
    rounds_per_second: tuple[float, ...]
    calls_per_tap: float = math.nan  # Bot API calls
    polls_per_tap: float = math.nan  # getUpdates


def pooled(runs: Sequence[Run], config: str, load: str) -> Row | None:
    mine = sorted((r for r in runs if r.config == config and r.load == load), key=lambda r: r.round)
    if not mine:
        return None
    taps = sum(r.taps for r in mine)
    latencies = [ms for r in mine for ms in r.latencies_ms]

    def per_tap(seconds: float) -> float:
        return 1000 * seconds / taps if taps else math.nan

    return Row(
        config,
        load,
        taps,
        taps / sum(r.seconds for r in mine),
        percentile(latencies, 50),
        percentile(latencies, 95),
        percentile(latencies, 99),
        per_tap(sum(r.bot_cpu for r in mine)),
        sum(r.bot_sys_cpu for r in mine) / (sum(r.bot_cpu for r in mine) or math.nan),
        per_tap(sum(r.emulator_cpu for r in mine)),
        per_tap(sum(r.generator_cpu for r in mine)),
        sum(r.late for r in mine),
        tuple(r.per_second for r in mine),
        sum(r.api_calls for r in mine) / taps if taps else math.nan,
        sum(r.polls for r in mine) / taps if taps else math.nan,
    )


def _range(values: Sequence[float], fmt: str = "{:.1f}") -> str:
    if not values:
        return "-"
    low, high = min(values), max(values)
    return (
        fmt.format(low)
        if fmt.format(low) == fmt.format(high)
        else f"{fmt.format(low)}-{fmt.format(high)}"
    )


def load_table(rows: Sequence[Row], open_loop: bool) -> str:
    lines = [
        f"{'config':<14}{'taps':>7}{'taps/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'CPU ms/tap':>12}{'sys':>5}{'emu ms/tap':>12}{'load ms/tap':>13}"
        + f"{'calls/tap':>10}{'polls/tap':>10}"
        + (f"{'late':>6}" if open_loop else "")
        + "  taps/s per round"
    ]
    for row in rows:
        lines.append(
            f"{row.config:<14}{row.taps:>7}{row.per_second:>9.1f}{row.p50:>9.1f}{row.p95:>9.1f}"
            f"{row.p99:>9.1f}{row.cpu_ms:>12.2f}{row.sys_share:>5.0%}{row.emulator_ms:>12.2f}"
            f"{row.generator_ms:>13.2f}"
            + f"{row.calls_per_tap:>10.2f}{row.polls_per_tap:>10.2f}"
            + (f"{row.late:>6}" if open_loop else "")
            + f"  {_range(row.rounds_per_second)}"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class Ratio:
    load: str
    figure: str  # "taps/s", "CPU/tap", "p99"
    ours: str
    bare: str
    value: float
    rounds: tuple[float, ...]  # the same ratio within each round


def ratios(runs: Sequence[Run], loads: Sequence[Load], configs: Sequence[str]) -> list[Ratio]:
    found = []
    bares = [c for c in BARE if c in configs]
    for load in loads:
        for ours in (c for c in OURS if c in configs):
            for bare in bares:
                mine, theirs = pooled(runs, ours, load.name), pooled(runs, bare, load.name)
                if mine is None or theirs is None:
                    continue
                by_round = _by_round(runs, ours, bare, load.name)
                found += [
                    Ratio(
                        load.name,
                        "taps/s",
                        ours,
                        bare,
                        mine.per_second / theirs.per_second,
                        tuple(a.per_second / b.per_second for a, b in by_round),
                    ),
                    Ratio(
                        load.name,
                        "CPU/tap",
                        ours,
                        bare,
                        mine.cpu_ms / theirs.cpu_ms,
                        tuple(_cpu(a) / _cpu(b) for a, b in by_round),
                    ),
                    Ratio(
                        load.name,
                        "p99",
                        ours,
                        bare,
                        mine.p99 / theirs.p99,
                        tuple(
                            percentile(a.latencies_ms, 99) / percentile(b.latencies_ms, 99)
                            for a, b in by_round
                        ),
                    ),
                ]
    return found


def _cpu(run: Run) -> float:
    return run.bot_cpu / run.taps if run.taps else math.nan


def _by_round(runs: Sequence[Run], ours: str, bare: str, load: str) -> list[tuple[Run, Run]]:
    pairs = []
    for mine in (r for r in runs if r.config == ours and r.load == load):
        theirs = next(
            (r for r in runs if r.config == bare and r.load == load and r.round == mine.round), None
        )
        if theirs is not None:
            pairs.append((mine, theirs))
    return pairs


def _baselines(found: Sequence[Ratio]) -> list[str]:
    return [b for b in dict.fromkeys((SAME_TRANSPORT, *BARE)) if any(r.bare == b for r in found)]


def ratio_table(found: Sequence[Ratio]) -> str:
    """One line per load, figure and our configuration; a column per bare bot."""
    bares = _baselines(found)
    lines = [
        f"{'load':<14}{'figure':<9}{'ours':<15}"
        + "".join(f"{'vs ' + b:<17}{'per round':<13}" for b in bares).rstrip()
    ]
    keys = list(dict.fromkeys((r.load, r.figure, r.ours) for r in found))
    for load, figure, ours in keys:
        cells = ""
        for bare in bares:
            r = next(
                (
                    r
                    for r in found
                    if (r.load, r.figure, r.ours, r.bare) == (load, figure, ours, bare)
                ),
                None,
            )
            cells += (
                f"{f'{r.value:.2f}x':<17}{_range(r.rounds, '{:.2f}'):<13}" if r else f"{'-':<30}"
            )
        lines.append(f"{load:<14}{figure:<9}{ours:<15}{cells}".rstrip())
    return "\n".join(lines)


@dataclass(frozen=True)
class Goal:
    load: str
    figure: str  # as in Ratio
    limit: float
    at_least: bool  # True: ratio >= limit; False: ratio <= limit

    @property
    def text(self) -> str:
        return f"{self.figure} {'>=' if self.at_least else '<='} {self.limit:g}x at {self.load}"

    def met(self, value: float) -> bool:
        return value >= self.limit if self.at_least else value <= self.limit


def goals(sizes: Sizes) -> list[Goal]:
    """Issue 13: >= 0.7 of the bare rate at 1 and at the most patients (closed loop); CPU
    per tap <= 1.5x (every load); p99 within 1.3x in the open loop."""
    closed = sorted((ld for ld in sizes.loads if ld.rate is None), key=lambda ld: ld.patients)
    ends = list(dict.fromkeys((closed[0], closed[-1]))) if closed else []
    found = [Goal(ld.name, "taps/s", TARGET_RATE, True) for ld in ends]
    found += [Goal(ld.name, "CPU/tap", TARGET_CPU, False) for ld in sizes.loads]
    found += [Goal(ld.name, "p99", TARGET_P99, False) for ld in sizes.loads if ld.rate]
    return found


def goal_table(sizes: Sizes, found: Sequence[Ratio]) -> str:
    bares = _baselines(found)
    lines = [f"{'target':<32}{'ours':<15}" + "".join(f"{'vs ' + b:<19}" for b in bares).rstrip()]
    for goal in goals(sizes):
        for ours in dict.fromkeys(r.ours for r in found):
            cells = ""
            for bare in bares:
                r = next(
                    (
                        r
                        for r in found
                        if (r.load, r.figure, r.ours, r.bare)
                        == (goal.load, goal.figure, ours, bare)
                    ),
                    None,
                )
                verdict = f"{r.value:.2f}x {'yes' if goal.met(r.value) else 'no'}" if r else "-"
                cells += f"{verdict:<19}"
            lines.append(f"{goal.text:<32}{ours:<15}{cells}".rstrip())
    return "\n".join(lines)


def heading(
    sizes: Sizes,
    rounds: int,
    configs: Sequence[str],
    load_before: str,
    bot_env: dict[str, str] | None = None,
) -> str:
    versions = ", ".join(
        f"{p} {version(p)}" for p in ("python-telegram-bot", "httpx", "aiohttp", "SQLAlchemy")
    )
    loads = ", ".join(ld.name for ld in sizes.loads)
    return "\n".join(
        [
            "# taps: simulated patients tapping through a session; every bot and every emulator"
            " in its own process, the load in this one",
            f"{date.today().isoformat()}, {os.cpu_count()} cores, load average {load_before}"
            f" before, {load_average()} after, Python {sys.version.split()[0]}, {versions}",
            speed_line(),
            f"{rounds} round(s), loads {loads}; per load a {sizes.warm_up:g} s warm-up, then"
            f" {sizes.closed_seconds:g} s measured (closed loop) / {sizes.open_seconds:g} s (open"
            " loop); configurations interleaved, the order rotated per load and round",
            "configs: " + "; ".join(f"{c} = {TITLES[c]}" for c in configs),
            "our bot's settings: RATE_LIMIT_PER_CHAT_PER_SECOND=0, the rest its defaults"
            + "".join(f", {k}={v}" for k, v in (bot_env or {}).items()),
            "latency: tap -> edit of the tapped message (the emulator's clock); CPU ms/tap: the"
            " bot process (utime+stime; sys: the stime share); emu: its emulator; load: this"
            " process; calls/tap: Bot API calls (polls: getUpdates) the emulator received",
        ]
    )


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def report(
    runs: Sequence[Run],
    sizes: Sizes,
    rounds: int,
    configs: Sequence[str],
    load_before: str,
    bot_env: dict[str, str] | None = None,
    out: TextIO = sys.stdout,
) -> dict[str, Any]:
    """Print the tables; returns the same figures for --json."""
    title = heading(sizes, rounds, configs, load_before, bot_env)
    print(title, file=out)
    rows: list[Row] = []
    for load in sizes.loads:
        found = [row for c in configs if (row := pooled(runs, c, load.name)) is not None]
        rows += found
        print(f"\n## {load.name}: {load.title}", file=out)
        print(load_table(found, load.rate is not None), file=out)
    found_ratios = ratios(runs, sizes.loads, configs)
    if found_ratios:
        print(
            "\n## ours / bare (pooled over rounds; per round: the ratio within each round)",
            file=out,
        )
        print(ratio_table(found_ratios), file=out)
        print(
            f"\n## targets (issue 13): ours / bare; {SAME_TRANSPORT} is on our bot's transport,"
            " bare-httpx is PTB's default",
            file=out,
        )
        print(goal_table(sizes, found_ratios), file=out)
    return {
        "date": date.today().isoformat(),
        "heading": title,
        "bot_env": bot_env or {},
        "sizes": asdict(sizes),
        "rounds": rounds,
        "configs": list(configs),
        "rows": [asdict(r) for r in rows],
        "ratios": [asdict(r) for r in found_ratios],
        "runs": [r.summary() for r in runs],
    }


def compare(before: dict[str, Any], now: dict[str, Any], name: str) -> str:
    """Figures of an earlier ``--json`` run against this one: each bot's own figures (which
    move with the machine's load) and the ratios ours / bare (which should not)."""
    lines = [f"## compared with {name} ({before.get('date', '?')}): before -> now (now / before)"]
    lines.append(f"{'config':<15}{'load':<14}{'taps/s':<26}{'p99 ms':<26}CPU ms/tap")
    old_rows = {(r["config"], r["load"]): r for r in before.get("rows", [])}

    def change(old: float | None, new: float | None, fmt: str) -> str:
        if old is None or new is None or not old:
            return "-"
        return f"{fmt.format(old)} -> {fmt.format(new)} ({new / old:.2f}x)"

    for row in now["rows"]:
        old = old_rows.get((row["config"], row["load"]))
        if old is None:
            continue
        lines.append(
            f"{row['config']:<15}{row['load']:<14}"
            f"{change(old['per_second'], row['per_second'], '{:.1f}'):<26}"
            f"{change(old['p99'], row['p99'], '{:.1f}'):<26}"
            f"{change(old['cpu_ms'], row['cpu_ms'], '{:.2f}'):<24}".rstrip()
        )
    old_ratios = {
        (r["load"], r["figure"], r["ours"], r["bare"]): r for r in before.get("ratios", [])
    }
    lines += ["", f"{'load':<14}{'figure':<9}{'ours':<15}{'bare':<14}{'ours/bare before -> now'}"]
    for r in now["ratios"]:
        old = old_ratios.get((r["load"], r["figure"], r["ours"], r["bare"]))
        if old is not None:
            lines.append(
                f"{r['load']:<14}{r['figure']:<9}{r['ours']:<15}{r['bare']:<14}"
                f"{change(old['value'], r['value'], '{:.2f}x')}"
            )
    return "\n".join(lines)


# --- command line -------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="exercise-bot bench taps",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, seconds")
    parser.add_argument("--rounds", type=int, default=None, help="rounds (3; --quick 1)")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="PostgreSQL admin URL (else"
        " BENCH_POSTGRES_URL or TEST_POSTGRES_URL; none: SQLite only)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="leave out ours-postgres")
    parser.add_argument("--configs", help=f"comma-separated subset of {','.join(CONFIGS)}")
    parser.add_argument(
        "--loads", help="comma-separated subset of the loads by name, e.g. closed-100"
    )
    parser.add_argument(
        "--seconds",
        type=float,
        help="measured seconds per closed loop (the open loop gets twice as long)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    parser.add_argument(
        "--bot-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for our bot (ours-*), e.g. UPDATE_CONCURRENCY=1; repeatable",
    )
    parser.add_argument(
        "--compare", type=Path, metavar="FILE", help="an earlier --json: print before -> now"
    )
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="DIR",
        dest="py_spy",
        help="py-spy each bot (--gil) in the largest closed loop; raw profiles go here",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    sizes = QUICK if args.quick else FULL
    if args.seconds is not None:
        sizes = Sizes(sizes.loads, sizes.warm_up, args.seconds, 2 * args.seconds)
    if args.loads:
        names = [name.strip() for name in args.loads.split(",")]
        known = {load.name: load for load in sizes.loads}
        if not names or any(name not in known for name in names):
            print(f"--loads: choose from {', '.join(known)}", file=sys.stderr)
            return 2
        sizes = replace(sizes, loads=tuple(known[name] for name in names))
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    configs = [c.strip() for c in args.configs.split(",")] if args.configs else list(CONFIGS)
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown or rounds < 1:
        print(
            f"unknown configuration(s) {unknown}; choose from {CONFIGS}"
            if unknown
            else "--rounds must be at least 1",
            file=sys.stderr,
        )
        return 2
    postgres_url = None if args.no_postgres else (args.postgres or _env_postgres())
    if "ours-postgres" in configs:
        problem = (
            "no PostgreSQL URL given"
            if postgres_url is None
            else asyncio.run(postgres_available(postgres_url))
        )
        if problem is not None:
            say(f"ours-postgres left out: {problem}")
            configs.remove("ours-postgres")
    if args.py_spy is not None:
        args.py_spy.mkdir(parents=True, exist_ok=True)
    try:  # read before the run, not after it: a wrong name should not waste a run
        before = json.loads(args.compare.read_text()) if args.compare is not None else None
    except (OSError, ValueError) as error:
        print(f"--compare {args.compare}: {error}", file=sys.stderr)
        return 2
    load_before = load_average()
    profiles: list[Path] = []
    bot_env = dict(item.split("=", 1) for item in args.bot_env if "=" in item)
    if len(bot_env) != len(args.bot_env):
        print("--bot-env wants NAME=VALUE", file=sys.stderr)
        return 2
    if bot_env:
        say("our bot's settings: " + ", ".join(f"{k}={v}" for k, v in bot_env.items()))
    try:
        runs = asyncio.run(
            run(sizes, rounds, configs, postgres_url, args.py_spy, profiles, bot_env)
        )
    except BenchError as error:
        print(f"bench taps: {error}", file=sys.stderr)
        return 1
    figures = _finite(report(runs, sizes, rounds, configs, load_before, bot_env))
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    if before is not None:
        print()
        print(compare(before, figures, str(args.compare)))
    if args.py_spy is not None:
        from bot.bench.pyspy import merge, summarise
        from bot.bench.pyspy import report as spy_report

        for config in configs:
            mine = [f for f in profiles if f.name.startswith(f"{config}-") and f.exists()]
            if mine:
                print(f"\n## py-spy: {config}, {len(mine)} window(s) ({args.py_spy})")
                print(spy_report(merge(summarise(f.read_text().splitlines()) for f in mine)))
    return 0


def _env_postgres() -> str | None:
    if os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL"):
        return postgres_admin_url()
    return None


def _finite(value: Any) -> Any:
    """JSON has no NaN: a figure that could not be measured is null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


if __name__ == "__main__":
    sys.exit(main())
