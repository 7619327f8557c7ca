"""``exercise-bot``: run, demo, emulator, check-content, report, invite, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from bot import logs

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store.database import Database, SchemaState


class SettingsError(Exception):
    """Settings from the environment that cannot be used; one line per bad setting."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _settings() -> Settings:
    from pydantic import ValidationError

    from bot.config import Settings, settings_problems

    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(settings_problems(error)) from None


def cmd_check_content(args: argparse.Namespace) -> int:
    from bot.content.check import check_content

    directory = Path(args.dir) if args.dir else _settings().content_dir
    code, output = check_content(directory)
    print(output)
    return code


def _db_command(work: Callable[[Database], Awaitable[int]], *, create: bool = False) -> int:
    """Run one `db` subcommand; a database that cannot be used is one line and exit 2.

    ``create``: make a SQLite file's folder first (upgrade); reports never create one.
    """
    from bot.store.database import (
        Database,
        check_database_url,
        describe_database_error,
        sqlite_file,
        sqlite_path_problem,
    )

    url = _settings().database_url
    problem = check_database_url(url) or sqlite_path_problem(sqlite_file(url), create=create)
    if problem:
        print(problem, file=sys.stderr)
        return 2

    async def run() -> int:
        db = Database(url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except Exception as error:
        message = describe_database_error(error, url)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return 2


def _revisions(revisions: tuple[str, ...]) -> str:
    return ",".join(revisions) if revisions else "empty"


def _ahead_line(state: SchemaState) -> str:
    return (
        f"{_revisions(state.current)}: ahead of this code (its newest migration is "
        f"{_revisions(state.heads)}); a newer bot migrated this database: run that version, "
        "or roll back as docs/DEPLOY.md says"
    )


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    async def upgrade(db: Database) -> int:
        before = await db.schema_state()
        if before.status == "ahead":
            print(_ahead_line(before), file=sys.stderr)
            return 2
        await db.upgrade()
        after = await db.schema_state()
        if before.current == after.current:
            print(f"database already current ({_revisions(after.current)})")
        else:
            print(f"database upgraded: {_revisions(before.current)} -> {_revisions(after.current)}")
        return 0

    return _db_command(upgrade, create=True)


def cmd_db_current(args: argparse.Namespace) -> int:
    async def current(db: Database) -> int:
        state = await db.schema_state()
        heads = _revisions(state.heads)
        if state.status == "current":
            print(f"{_revisions(state.current)} (head): current")
            return 0
        if state.status == "empty":
            print(
                "empty: no migration applied yet; run `exercise-bot db upgrade` "
                "(or start the bot, which migrates unless AUTO_MIGRATE=false)"
            )
            return 1
        if state.status == "behind":
            print(
                f"{_revisions(state.current)}: behind this code (head {heads}); "
                "run `exercise-bot db upgrade`"
            )
            return 1
        print(_ahead_line(state))
        return 2

    return _db_command(current)


def cmd_db_history(args: argparse.Namespace) -> int:
    from bot.store.database import shipped_migrations

    # What this code ships; needs no database (`db current` says where one stands).
    for migration in shipped_migrations():
        head = " (head)" if migration.is_head else ""
        print(f"{migration.revision}{head}  {migration.title}".rstrip())
    return 0


def cmd_db_downgrade(args: argparse.Namespace) -> int:
    target: str = args.revision
    if target == "base":
        print(
            "refusing to downgrade to base: that drops every table and all patient data; "
            "name a revision from `exercise-bot db history`",
            file=sys.stderr,
        )
        return 2

    async def downgrade(db: Database) -> int:
        before = await db.schema_state()
        if before.status == "ahead":
            print(_ahead_line(before), file=sys.stderr)
            return 2
        known = {m.revision for m in db.migrations()}
        if target not in known and not target.startswith("-"):
            print(f"{target}: no such migration; see `exercise-bot db history`", file=sys.stderr)
            return 2
        await db.downgrade(target)
        after = await db.schema_state()
        print(f"database downgraded: {_revisions(before.current)} -> {_revisions(after.current)}")
        return 0

    return _db_command(downgrade)


def _ensure_sqlite_dir(url: str) -> None:
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and url != prefix + ":memory:":
        Path(url[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)


def cmd_run(args: argparse.Namespace) -> int:
    import logging

    from bot.readiness import Mode
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
    mode: Mode = "webhook" if args.webhook else "worker" if args.worker else "polling"
    try:
        return asyncio.run(run_bot(settings, mode=mode))
    except Exception as error:  # a bug: one line here, the (redacted) traceback in the log
        logging.getLogger("bot.run").critical(
            "run.crashed", extra={"error": type(error).__name__}, exc_info=error
        )
        print(
            f"exercise-bot run stopped on an unexpected {type(error).__name__}; "
            "its traceback is in the log (event run.crashed)",
            file=sys.stderr,
        )
        return 1


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


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def cmd_report(args: argparse.Namespace) -> int:
    """The clinic's figures per patient (docs/CLINIC.md) as CSV or one HTML file."""
    from bot.content.loader import load_content
    from bot.core.clock import SystemClock
    from bot.reports import csv_text, html_report
    from bot.services.adherence import clinic_rows
    from bot.services.context import Services
    from bot.services.progress import chart_labels

    if args.date_to < args.date_from:
        print("--to is before --from", file=sys.stderr)
        return 2
    settings = _settings()
    content = load_content(settings.content_dir)

    async def work(db: Database) -> int:
        svc = Services.build(db, content, SystemClock(), settings)
        rows = await clinic_rows(svc, args.date_from, args.date_to)
        if args.format == "csv":
            data = csv_text(rows, args.date_from, args.date_to)
        else:
            lang = settings.default_language
            data = await asyncio.to_thread(
                html_report,
                rows,
                args.date_from,
                args.date_to,
                clinic=content.clinic.name,
                labels=chart_labels(svc, lang, "chart_patients_title"),
                made_at=svc.clock.now(),
            )
        made.append((data, len(rows)))
        return 0

    made: list[tuple[str, int]] = []
    code = _db_command(work)
    if code == 0:
        data, count = made[0]
        Path(args.out).write_text(data, encoding="utf-8", newline="")
        print(f"{args.out}: {count} patients, {args.date_from} to {args.date_to}")
    return code


async def _bot_username(settings: Settings) -> str:
    """The bot's username, from Telegram (getMe), for the link."""
    from telegram import Bot

    if not settings.telegram_bot_token:
        raise SettingsError(["TELEGRAM_BOT_TOKEN: needed to ask Telegram the bot's name"])
    token = settings.telegram_bot_token
    base_url = settings.telegram_api_base_url
    bot = Bot(token, base_url=base_url) if base_url else Bot(token)
    async with bot:
        return bot.username


def cmd_invite(args: argparse.Namespace) -> int:
    """An invite link (docs/CLINIC.md), printed once: only its hash is stored."""
    from bot.content.loader import load_content
    from bot.core.clock import SystemClock
    from bot.core.dose import Problem
    from bot.core.invites import link, parse_invite
    from bot.services import invites
    from bot.services.context import Services

    settings = _settings()
    content = load_content(settings.content_dir)
    lang = settings.default_language
    words = [args.program] + ([f"ref={args.ref}"] if args.ref is not None else []) + args.dose
    try:
        request = parse_invite(content, words)
    except Problem as problem:
        values = dict(problem.values)
        values.setdefault("programs", ", ".join(sorted(content.programs)))
        print(content.text(lang, problem.key, **values), file=sys.stderr)
        return 2
    made: list[str] = []

    async def work(db: Database) -> int:
        username = args.username or await _bot_username(settings)
        svc = Services.build(db, content, SystemClock(), settings)
        token, _ = await invites.create(svc, request, "cli")
        # the staff chat's text, as plain text for a terminal
        made.append(html.unescape(invites.made_text(svc, lang, request, link(username, token))))
        return 0

    code = _db_command(work)
    if code == 0:
        print(made[0])
    return code


def cmd_bench(args: argparse.Namespace) -> int:
    from bot.bench import main as bench_main

    return bench_main(args.bench_args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="exercise-bot", description="Home exercise programs on Telegram."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the bot (polling, or --webhook)")
    modes = run.add_mutually_exclusive_group()
    modes.add_argument(
        "--webhook", action="store_true", help="receive updates on WEBHOOK_URL instead of polling"
    )
    modes.add_argument(
        "--worker",
        action="store_true",
        help="send reminders only, no updates (beside a poller or webhook replicas)",
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

    report = sub.add_parser(
        "report", help="adherence per patient, by code, as CSV or HTML (docs/CLINIC.md)"
    )
    report.add_argument("--from", dest="date_from", type=_date, required=True, metavar="DATE")
    report.add_argument("--to", dest="date_to", type=_date, required=True, metavar="DATE")
    report.add_argument("--format", choices=("csv", "html"), default="csv")
    report.add_argument("--out", required=True, metavar="FILE")
    report.set_defaults(func=cmd_report)

    invite = sub.add_parser(
        "invite", help="an invite link: a new patient starts with this program and dose"
    )
    invite.add_argument("program", help="a program id (content/programs/<id>.yaml)")
    invite.add_argument("--ref", help="the clinic's own reference, e.g. its record number")
    invite.add_argument(
        "--dose",
        nargs="*",
        default=[],
        metavar="EXERCISE.FIELD=N",
        help="the patient's own dose, e.g. arm-leg-raises.sets=2",
    )
    invite.add_argument("--username", help="the bot's username (default: ask Telegram, getMe)")
    invite.set_defaults(func=cmd_invite)

    bench = sub.add_parser(
        "bench", help="benchmarks: `bench reminders [--quick]` (see docs/BENCHMARKS.md)"
    )
    bench.add_argument("bench_args", nargs=argparse.REMAINDER)
    bench.set_defaults(func=cmd_bench)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser(
        "upgrade", help="apply migrations (waits if another process is migrating)"
    )
    upgrade.set_defaults(func=cmd_db_upgrade)
    current = db_sub.add_parser(
        "current",
        help="the database's revision; exit 0 current, 1 empty or behind (upgrade due), "
        "2 ahead of this code or unreachable",
    )
    current.set_defaults(func=cmd_db_current)
    history = db_sub.add_parser("history", help="the migrations this code ships, oldest first")
    history.set_defaults(func=cmd_db_history)
    downgrade = db_sub.add_parser(
        "downgrade",
        help="undo migrations down to REVISION, with the version that added them (rollback)",
    )
    downgrade.add_argument("revision", help="a revision from `db history`, or -1 for one step")
    downgrade.set_defaults(func=cmd_db_downgrade)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except SettingsError as error:  # a mistake a restart cannot fix
        for line in error.lines:
            print(line, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
