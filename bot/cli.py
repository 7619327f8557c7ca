"""``exercise-bot``: run, demo, emulator, check-content, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from pathlib import Path

from bot import logs


def _settings():  # type: ignore[no-untyped-def]
    from bot.config import Settings

    return Settings()


def cmd_check_content(args: argparse.Namespace) -> int:
    from bot.content.check import check_content

    directory = Path(args.dir) if args.dir else _settings().content_dir
    code, output = check_content(directory)
    print(output)
    return code


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.store.database import Database

    settings = _settings()
    _ensure_sqlite_dir(settings.database_url)

    async def upgrade() -> str:
        db = Database(settings.database_url)
        try:
            before = await db.schema_status()
            await db.upgrade()
            return before
        finally:
            await db.dispose()

    before = asyncio.run(upgrade())
    print(f"database upgraded (was {before}, now current)")
    return 0


def _ensure_sqlite_dir(url: str) -> None:
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and url != prefix + ":memory:":
        Path(url[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)


def cmd_run(args: argparse.Namespace) -> int:
    from bot.run import run_bot

    settings = _settings()
    if not settings.telegram_bot_token:
        print(
            "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and set it "
            "(or try `exercise-bot demo`, which needs none).",
            file=sys.stderr,
        )
        return 2
    logs.configure(
        settings.log_level,
        settings.log_format,
        secrets=logs.secrets_of(settings.telegram_bot_token, settings.webhook_secret),
    )
    _ensure_sqlite_dir(settings.database_url)
    return asyncio.run(run_bot(settings, webhook=args.webhook))


def cmd_emulator(args: argparse.Namespace) -> int:
    from bot.sandbox.emulator import serve_forever

    logs.configure("WARNING", "text")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(host=args.host, port=args.port, token=args.token))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    logs.configure("WARNING" if not args.verbose else "INFO", "text")
    if args.script:
        from bot.sandbox.script import ScriptError, run_script

        try:
            asyncio.run(run_script(Path(args.script), as_json=args.json))
        except ScriptError as error:
            print(f"{args.script}: {error}", file=sys.stderr)
            return 1
        except FileNotFoundError:
            print(f"{args.script}: no such file", file=sys.stderr)
            return 1
        return 0
    from bot.sandbox.console import run_console

    settings = _settings()
    url = os.environ.get("DATABASE_URL") or "sqlite+aiosqlite:///data/demo.db"
    _ensure_sqlite_dir(url)
    with contextlib.suppress(KeyboardInterrupt, EOFError):
        asyncio.run(run_console(database_url=url, content_dir=settings.content_dir))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from bot.bench import main as bench_main

    return bench_main(args.bench_args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="exercise-bot", description="Home exercise programs on Telegram."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the bot (polling, or --webhook)")
    run.add_argument(
        "--webhook", action="store_true", help="receive updates on WEBHOOK_URL instead of polling"
    )
    run.set_defaults(func=cmd_run)

    demo = sub.add_parser("demo", help="chat with the bot in this terminal, no token needed")
    demo.add_argument("--script", metavar="FILE", help="replay a chat script and print it")
    demo.add_argument("--json", action="store_true", help="with --script: JSON lines")
    demo.add_argument("--verbose", action="store_true", help="show the bot's logs")
    demo.set_defaults(func=cmd_demo)

    emu = sub.add_parser("emulator", help="run the local Telegram (Bot API emulator) alone")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=8081)
    emu.add_argument("--token", default="123456:LOCAL-TOKEN")
    emu.set_defaults(func=cmd_emulator)

    check = sub.add_parser("check-content", help="validate a content directory")
    check.add_argument("dir", nargs="?", help="default: CONTENT_DIR or the bundled content")
    check.set_defaults(func=cmd_check_content)

    bench = sub.add_parser(
        "bench", help="benchmarks: `bench reminders [--quick]` (see docs/BENCHMARKS.md)"
    )
    bench.add_argument("bench_args", nargs=argparse.REMAINDER)
    bench.set_defaults(func=cmd_bench)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply migrations")
    upgrade.set_defaults(func=cmd_db_upgrade)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
