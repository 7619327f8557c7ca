"""Summaries of ``py-spy record --format raw`` output (collapsed stacks).

Three views of the same samples:
- by area: the share of samples with a frame of that area anywhere on the stack
  (inclusive; areas overlap, e.g. a database call made from a handler counts for both);
- by package, self: the innermost frame's package (these add up to 100%);
- our functions (``bot/...``), inclusive: where in our code the samples start.

``bench taps --py-spy DIR`` records with ``--gil`` (only the thread holding the GIL is
sampled): Python's own CPU time. Waiting (epoll, a socket write that wakes another process,
the SQLite busy handler) and C code that releases the GIL (SQLite's engine itself) are not
in it. Without ``--gil`` py-spy counts every thread that is not idle, which on a loaded
machine includes threads waiting for a CPU.

``python -m bot.bench.pyspy FILE [FILE...] [--top N]`` prints the summary of saved profiles.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<path>[^()]*?)(?::\d+)?\)$")


@dataclass(frozen=True)
class Frame:
    function: str
    path: (
        str  # shortened: "sqlalchemy/orm/session.py", "bot/services/sessions.py", "json/decoder.py"
    )
    package: str  # "sqlalchemy", "bot/services", "stdlib:json"

    @property
    def name(self) -> str:
        return f"{self.function} ({self.path})"


def _starts(*prefixes: str) -> Callable[[Frame], bool]:
    return lambda frame: frame.path.startswith(prefixes)


def _in_handler(frames: list[Frame]) -> bool:
    return any(f.path.startswith("bot/telegram/handlers.py") for f in frames)


def _any(test: Callable[[Frame], bool]) -> Callable[[list[Frame]], bool]:
    return lambda frames: any(test(f) for f in frames)


_DATABASE = _starts("sqlalchemy/", "aiosqlite/", "asyncpg/")
_PTB_BOT = _starts("telegram/_bot.py", "telegram/ext/_extbot.py")

# Named areas of a tap's work, inclusive (a sample counts for every area on its stack).
# SQLAlchemy's asyncio layer runs the ORM in greenlets, and py-spy shows a greenlet's
# stack without its caller: those samples count for "database" but not for the handler.
AREAS: tuple[tuple[str, Callable[[list[Frame]], bool]], ...] = (
    ("our handlers (bot/telegram/handlers.py)", _in_handler),
    ("  use cases (bot/services)", _any(_starts("bot/services/"))),
    (
        "  screens + keyboards (bot/core/screens.py, render.markup)",
        _any(
            lambda f: (
                f.path.startswith("bot/core/screens")
                or (f.function == "markup" and f.path.startswith("bot/telegram/render"))
            )
        ),
    ),
    (
        "  Bot API calls from handlers (PTB Bot ... transport)",
        lambda fr: _in_handler(fr) and any(_PTB_BOT(f) for f in fr),
    ),
    ("Bot API calls, anywhere (PTB Bot ... transport)", _any(_PTB_BOT)),
    ("database: SQLAlchemy + driver (anywhere)", _any(_DATABASE)),
    ("  in greenlets (stack cut off from its caller)", lambda fr: _DATABASE(fr[0])),
    (
        "polling: the getUpdates loop (ours: polling.py; PTB's Updater)",
        _any(_starts("bot/telegram/polling.py", "telegram/ext/_updater.py")),
    ),
    ("  Update.de_json", _any(lambda f: f.function == "Update.de_json")),
    ("HTTP client (aiohttp, httpx, httpcore)", _any(_starts("aiohttp/", "httpx/", "httpcore/"))),
    ("PTB objects from JSON (any *.de_json)", _any(lambda f: f.function.endswith(".de_json"))),
    ("JSON (json module)", _any(_starts("json/"))),
    ("logging", _any(_starts("logging/", "bot/logs"))),
)


def short_path(path: str) -> str:
    """site-packages/x/y.py -> x/y.py; .../bot/a/b.py -> bot/a/b.py; stdlib -> its module."""
    for marker in ("site-packages/", "dist-packages/"):
        if marker in path:
            return path.split(marker, 1)[1]
    ours = re.search(r"(?:^|/)(bot/.*)$", path)
    if ours:
        return ours.group(1)
    stdlib = re.search(r"/lib/python3\.\d+/(.*)$", path)
    return stdlib.group(1) if stdlib else path


def package_of(path: str) -> str:
    """A third-party package (``sqlalchemy``), one of our subpackages (``bot/services``),
    or a standard module (``stdlib:asyncio``). py-spy already shortens paths to what
    follows their sys.path entry, so the first part names the package."""
    parts = short_path(path).split("/")
    if parts[0] == "bot" and len(parts) > 1:
        return "bot/" + parts[1].removesuffix(".py")
    top = parts[0].removesuffix(".py")
    return f"stdlib:{top}" if top in sys.stdlib_module_names else top


def parse_frame(text: str) -> Frame | None:
    """One py-spy frame "func (path:line)"; None for a thread or process label."""
    found = _FRAME.match(text.strip())
    if found is None:
        return None
    path = found.group("path")
    return Frame(found.group("func"), short_path(path), package_of(path))


@dataclass
class Profile:
    samples: int = 0
    areas: Counter[str] = field(default_factory=Counter)
    packages_self: Counter[str] = field(default_factory=Counter)
    ours: Counter[str] = field(default_factory=Counter)  # bot/... functions, inclusive
    functions: Counter[str] = field(default_factory=Counter)  # any function, inclusive
    leaves: Counter[str] = field(default_factory=Counter)  # innermost function

    def add(self, other: Profile) -> None:
        self.samples += other.samples
        for mine, theirs in (
            (self.areas, other.areas),
            (self.packages_self, other.packages_self),
            (self.ours, other.ours),
            (self.functions, other.functions),
            (self.leaves, other.leaves),
        ):
            mine.update(theirs)


def summarise(lines: Iterable[str]) -> Profile:
    """Collapsed stacks ("frame;frame;... count", outermost first) -> a Profile."""
    profile = Profile()
    for line in lines:
        stack, _, count_text = line.rstrip("\n").rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in map(parse_frame, stack.split(";")) if f is not None]
        if not frames:
            continue
        profile.samples += count
        for area, belongs in AREAS:
            if belongs(frames):
                profile.areas[area] += count
        profile.packages_self[frames[-1].package] += count
        profile.leaves[frames[-1].name] += count
        for name in {f.name for f in frames}:
            profile.functions[name] += count
        for name in {f.name for f in frames if f.path.startswith("bot/")}:
            profile.ours[name] += count
    return profile


def merge(profiles: Iterable[Profile]) -> Profile:
    total = Profile()
    for profile in profiles:
        total.add(profile)
    return total


def report(profile: Profile, top: int = 20) -> str:
    if profile.samples == 0:
        return "(no samples)"

    def share(count: int) -> str:
        return f"{100 * count / profile.samples:5.1f}%"

    lines = [f"{profile.samples} samples", "", "by area (inclusive: anywhere on the stack)"]
    lines += [f"  {share(profile.areas[name])}  {name}" for name, _ in AREAS]
    lines += ["", "by package (self: the innermost frame; adds up to 100%)"]
    lines += [f"  {share(c)}  {name}" for name, c in profile.packages_self.most_common(top)]
    lines += ["", "our functions (inclusive)"]
    lines += [f"  {share(c)}  {name}" for name, c in profile.ours.most_common(top)]
    lines += ["", "functions (self)"]
    lines += [f"  {share(c)}  {name}" for name, c in profile.leaves.most_common(top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench.pyspy", description=__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args(argv)
    profiles = []
    for path in args.files:
        with path.open(encoding="utf-8", errors="replace") as handle:
            profiles.append(summarise(handle))
    print(report(merge(profiles), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
