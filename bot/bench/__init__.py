"""Benchmarks: `python -m bot.bench reminders [--quick]`, `python -m bot.bench sendpath [N]`
and `python -m bot.bench taps [--quick]` (figures, never pass/fail)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench", description="Print performance figures.")
    sub = parser.add_subparsers(dest="name", required=True)
    rem = sub.add_parser("reminders", help="the reminder engine against the local Telegram")
    rem.add_argument("--quick", action="store_true", help="small sizes, well under a minute")
    rem.add_argument("--no-postgres", action="store_true", help="SQLite only")
    rem.add_argument("--profile", action="store_true", help="cProfile the SQLite fan-out")
    rem.add_argument("--skip-startup", action="store_true", help="leave out start-up/RSS")
    rem.add_argument("--fanout", type=int, default=None, help="reminders per fan-out run")
    rem.add_argument("--skip-limited", action="store_true", help="leave out the 30/s run")
    rem.add_argument(
        "--window",
        type=int,
        default=None,
        help="DISPATCH_SEND_WINDOW for the fan-out and the 30/s run (default: the setting)",
    )
    sub.add_parser(
        "crowd",
        help="a crowd due at one minute at 30/s: on time, late, missed, fairness",
        add_help=False,
    )
    sub.add_parser(
        "sendpath",
        help="sendMessage through PTB on httpx, on aiohttp, and raw aiohttp",
        add_help=False,
    )
    sub.add_parser(
        "taps",
        help="taps/s, latency and CPU per tap: our bot against a bare PTB bot",
        add_help=False,
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; `exercise-bot bench ...` can call this with its remaining arguments."""
    import sys

    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["_child"]:  # a start-up measurement's child process
        from bot.bench.startup import child_main

        return child_main(args_list[1:])
    if args_list[:1] == ["crowd"]:  # its own arguments: see bot/bench/crowd.py
        from bot.bench.crowd import main as crowd_main

        logging.basicConfig(level=logging.ERROR)
        return crowd_main(args_list[1:])
    if args_list[:1] == ["sendpath"]:  # its own arguments: see bot/bench/sendpath.py
        from bot.bench.sendpath import main as sendpath_main

        return sendpath_main(args_list[1:])
    if args_list[:1] == ["taps"]:  # its own arguments: see bot/bench/taps.py
        from bot.bench.taps import main as taps_main

        return taps_main(args_list[1:])
    args = build_parser().parse_args(args_list)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    logging.basicConfig(level=logging.ERROR)
    from bot.bench.reminders import run

    asyncio.run(
        run(
            quick=args.quick,
            postgres=not args.no_postgres,
            profile=args.profile,
            skip_startup=args.skip_startup,
            window=args.window,
            fanout=args.fanout,
            skip_limited=args.skip_limited,
        )
    )
    return 0
