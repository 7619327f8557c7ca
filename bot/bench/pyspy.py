"""Summaries of ``py-spy record --format raw`` output: where the samples are, by function and
by package, as an inclusive share (a function counts once per sample whose stack holds it).

``python -m bot.bench.pyspy FILE [FILE...] [--top N]`` prints the summary of saved profiles.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<path>[^()]*?)(?::\d+)?\)$")


@dataclass(frozen=True)
class Profile:
    samples: int
    functions: Counter[str]  # "function (short/path.py)" -> samples with it on the stack
    packages: Counter[str]  # "sqlalchemy", "telegram", "bot/services", ... -> samples
    leaves: Counter[str]  # the innermost function -> samples (self time)


def short_path(path: str) -> str:
    """site-packages/x/y.py -> x/y.py; .../bot/a/b.py -> bot/a/b.py; stdlib -> its name."""
    for marker in ("site-packages/", "dist-packages/"):
        if marker in path:
            return path.split(marker, 1)[1]
    found = re.search(r"(?:^|/)(bot/.*)$", path)
    if found:
        return found.group(1)
    stdlib = re.search(r"/lib/python3\.\d+/(.*)$", path)
    return stdlib.group(1) if stdlib else path


def package_of(path: str) -> str:
    """The area a frame belongs to: a third-party package (``sqlalchemy``), one of our
    subpackages (``bot/services``), or a standard module (``stdlib:asyncio``)."""
    for marker in ("site-packages/", "dist-packages/"):
        if marker in path:
            return path.split(marker, 1)[1].split("/", 1)[0].removesuffix(".py")
    ours = re.search(r"(?:^|/)(bot/[^/]+)", path)
    if ours:
        return ours.group(1).removesuffix(".py")
    stdlib = re.search(r"/lib/python3\.\d+/([^/]+)", path)
    return "stdlib:" + stdlib.group(1).removesuffix(".py") if stdlib else path


def parse_frame(frame: str) -> tuple[str, str] | None:
    """("function (short/path.py)", package) for one py-spy frame "func (path:line)";
    None for what is not a code frame (a thread or process label)."""
    found = _FRAME.match(frame.strip())
    if found is None:
        return None
    path = found.group("path")
    return f"{found.group('func')} ({short_path(path)})", package_of(path)


def summarise(lines: Iterable[str]) -> Profile:
    """Collapsed stacks ("frame;frame;... count", outermost first) -> a Profile."""
    samples = 0
    functions: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in map(parse_frame, stack.split(";")) if f is not None]
        if not frames:
            continue
        samples += count
        for name in {name for name, _ in frames}:
            functions[name] += count
        for package in {package for _, package in frames}:
            packages[package] += count
        leaves[frames[-1][0]] += count
    return Profile(samples, functions, packages, leaves)


def merge(profiles: Iterable[Profile]) -> Profile:
    total = Profile(0, Counter(), Counter(), Counter())
    samples = 0
    for profile in profiles:
        samples += profile.samples
        total.functions.update(profile.functions)
        total.packages.update(profile.packages)
        total.leaves.update(profile.leaves)
    return Profile(samples, total.functions, total.packages, total.leaves)


def report(profile: Profile, top: int = 25) -> str:
    if profile.samples == 0:
        return "(no samples)"

    def share(count: int) -> str:
        return f"{100 * count / profile.samples:5.1f}%"

    lines = [f"{profile.samples} samples (busy threads only; inclusive share per frame)", ""]
    lines.append("by package (any frame of it on the stack)")
    lines += [f"  {share(c)}  {name}" for name, c in profile.packages.most_common(top)]
    lines += ["", "by function (inclusive)"]
    lines += [f"  {share(c)}  {name}" for name, c in profile.functions.most_common(top)]
    lines += ["", "by function (self: innermost frame)"]
    lines += [f"  {share(c)}  {name}" for name, c in profile.leaves.most_common(top // 2)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench.pyspy", description=__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    profiles = []
    for path in args.files:
        with path.open(encoding="utf-8", errors="replace") as handle:
            profiles.append(summarise(handle))
    print(report(merge(profiles), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
