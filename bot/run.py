"""``exercise-bot run``: the bot against real Telegram or any Bot API server.

Start-up checks come in the order a mistake is cheapest to find: the settings (in
``bot.cli``), the content (and whether it is the example clinic), ``DATABASE_URL``, the
database and its schema, then Telegram (``getMe``). A mistake an operator must fix is one
line on stderr and exit code 2, so a supervisor does not restart into the same error; a
database or Telegram that is merely down is one line and exit code 1 (restart later).
A stop signal finishes handlers that are running, within ``SHUTDOWN_GRACE_SECONDS``, well
inside Docker's 10 s.

Modes: ``polling`` (the default), ``webhook`` (``--webhook``) and ``worker`` (``--worker``:
reminders only, no updates; see docs/DEPLOY.md for the topologies).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import importlib.metadata
import logging
import re
import signal
import sys
import time
from datetime import timedelta

from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.app import (
    BotApp,
    SchemaProblem,
    allowed_updates,
    build_application,
    make_poller,
    open_database,
    prepare_database,
    release_dispatching,
)
from bot.config import Settings
from bot.content.errors import ContentError
from bot.content.loader import load_content
from bot.content.model import Content
from bot.core.clock import SystemClock
from bot.metrics import DatabaseFigures, ReadDatabase
from bot.readiness import Mode, readiness
from bot.services.context import Services
from bot.store.database import (
    check_database_url,
    database_problem,
    sqlite_file,
    sqlite_path_problem,
)
from bot.store.locks import POLLER_LOCK, Lease
from bot.store.stats import ops_snapshot
from bot.telegram.polling import Poller
from bot.web.server import HttpListener, WebhookEndpoint, ops_listener, webhook_listener

log = logging.getLogger(__name__)

CONFIG_ERROR = 2  # a mistake a restart cannot fix (systemd: RestartPreventExitStatus=2)
RETRY_LATER = 1  # something is down; a restart may find it up
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as secret_token


def _fail(message: str, code: int = CONFIG_ERROR) -> int:
    print(message, file=sys.stderr)
    return code


def _version() -> str:
    try:
        return importlib.metadata.version("exercise-bot")
    except importlib.metadata.PackageNotFoundError:  # a checkout that was never installed
        return "unknown"


def webhook_problem(settings: Settings) -> str | None:
    if not settings.webhook_url:
        return "WEBHOOK_URL is not set: the public HTTPS URL Telegram should post updates to."
    if not settings.webhook_secret or not _SECRET.fullmatch(settings.webhook_secret):
        return (
            "WEBHOOK_SECRET must be set in webhook mode: 1-256 characters of A-Z, a-z, 0-9, "
            "_ and - (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
        )
    return None


def example_content_problem(settings: Settings) -> str:
    return (
        f"{settings.content_dir} is the bot's example clinic (its clinic.yaml says example: "
        "true): set CONTENT_DIR to your clinic's own content (docs/DEPLOY.md, section 3), "
        "or ALLOW_EXAMPLE_CONTENT=true for a trial"
    )


def default_language_problem(settings: Settings, content: Content) -> str | None:
    """DEFAULT_LANGUAGE names the clinic's language: patients whose Telegram speaks none of
    the content's languages get it, and the staff chat reads it. It must be one of them."""
    if settings.default_language in content.languages:
        return None
    return (
        f"DEFAULT_LANGUAGE={settings.default_language} is not a language of the content "
        f"(it has: {', '.join(sorted(content.languages))}); set one of those, or add the "
        "language's files (docs/CONTENT.md, Languages)"
    )


async def run_bot(settings: Settings, *, mode: Mode = "polling") -> int:
    if mode == "webhook" and (problem := webhook_problem(settings)):
        return _fail(problem)
    try:
        content = load_content(settings.content_dir)
    except ContentError as error:
        for content_problem in error.problems:
            print(content_problem, file=sys.stderr)
        return CONFIG_ERROR
    if content.clinic.example and not settings.allow_example_content:
        return _fail(example_content_problem(settings))
    if problem := default_language_problem(settings, content):
        return _fail(problem)
    url = settings.database_url
    if problem := check_database_url(url) or sqlite_path_problem(sqlite_file(url), create=True):
        return _fail(problem)
    db = open_database(settings)
    try:
        try:
            await prepare_database(settings, db)
        except SchemaProblem as error:
            return _fail(str(error))
        except Exception as error:
            found = database_problem(error, url)
            if found is None:
                raise
            return _fail(found.message, RETRY_LATER if found.transient else CONFIG_ERROR)
        services = Services.build(db, content, SystemClock(), settings)
        assert settings.telegram_bot_token
        bot = build_application(
            services,
            token=settings.telegram_bot_token,
            base_url=settings.telegram_api_base_url,
            base_file_url=settings.telegram_api_file_url,
        )
        return await _serve(bot, settings, mode)
    finally:
        await db.dispose()


async def _serve(bot: BotApp, settings: Settings, mode: Mode) -> int:
    app = bot.application
    try:
        await app.initialize()  # getMe: the first contact with Telegram
    except (NetworkError, TelegramError) as error:
        await _close_requests(bot)
        if isinstance(error, InvalidToken):
            return _fail(
                "Telegram rejected TELEGRAM_BOT_TOKEN (401/404): copy the token again from "
                "@BotFather, or check TELEGRAM_API_BASE_URL."
            )
        return _fail(
            f"cannot reach the Bot API server ({type(error).__name__}): is the network up, "
            "and TELEGRAM_API_BASE_URL right? Exiting to be restarted.",
            RETRY_LATER,
        )
    lease: Lease | None = None
    if mode == "polling":
        ttl = timedelta(seconds=settings.poller_lock_seconds)
        lease = Lease(bot.services.db, POLLER_LOCK, bot.services.clock.now, ttl=ttl)
        try:
            other = await lease.take()
        except Exception as error:
            found = database_problem(error, settings.database_url)
            if found is None:
                raise
            await app.shutdown()
            return _fail(found.message, RETRY_LATER)
        if other is not None:
            await app.shutdown()
            return _fail(
                f"another exercise-bot is polling this bot's updates on this database "
                f"(holder {other.holder}): run one poller; for more processes use webhook "
                "mode or `run --worker` (docs/DEPLOY.md, section 2)"
            )
    stop = asyncio.Event()
    exit_code = 0
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)

    def lease_lost() -> None:
        nonlocal exit_code
        exit_code = RETRY_LATER  # restarted, it finds the other poller and says so
        stop.set()

    keeper = asyncio.create_task(lease.keep(lease_lost)) if lease is not None else None
    poller: Poller | None = None
    hook: HttpListener | None = None
    metrics = bot.services.metrics
    metrics.info.labels(_version(), bot.services.content.short_version, mode).set(1)
    read_database = _database_reader(bot.services)
    ops = ops_listener(
        lambda: readiness(bot, mode, poller, lease), lambda: metrics.scrape(read_database)
    )
    try:
        if app.post_init:  # as PTB and the sandbox: the menus are set before updates flow
            await app.post_init(app)
        await app.start()
        if problem := await _listen(ops, "OPS", settings.ops_host, settings.ops_port):
            return _fail(*problem)
        if mode == "webhook":
            assert settings.webhook_url and settings.webhook_secret
            hook = webhook_listener(
                WebhookEndpoint(app.bot, bot.runner, settings.webhook_secret, metrics=metrics)
            )
            if problem := await _listen(hook, "WEB", settings.web_host, settings.web_port):
                return _fail(*problem)
            await app.bot.set_webhook(
                settings.webhook_url,
                secret_token=settings.webhook_secret,
                allowed_updates=allowed_updates(),
                max_connections=settings.update_concurrency,
            )
        elif mode == "polling":
            await app.bot.delete_webhook()
            poller = make_poller(
                bot,
                timeout=settings.poll_timeout_seconds,
                backoff_scale=settings.poll_retry_seconds / 5.0,
            )
            poller.start()
        log.info(
            "bot.started",
            extra={"mode": mode, "content_version": bot.services.content.short_version},
        )
        await stop.wait()
    finally:
        if keeper is not None:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await keeper
        await _shut_down(bot, settings, poller, hook, ops, lease)
    if exit_code:
        print(
            "another exercise-bot took the poller lock (this one could not renew it in time); "
            "stopped",
            file=sys.stderr,
        )
    return exit_code


async def _listen(
    listener: HttpListener, prefix: str, host: str, port: int
) -> tuple[str, int] | None:
    """Start a listener; a port that cannot be had is one line: exit 1 when it is in use
    (the previous process may still be stopping), 2 when the address cannot work here."""
    try:
        await listener.start(host, port)
    except OSError as error:
        in_use = error.errno == errno.EADDRINUSE
        return (
            f"cannot listen on {host}:{port} ({error.strerror or error}): "
            + (
                f"another process uses the port; stop it or set {prefix}_PORT"
                if in_use
                else f"check {prefix}_HOST and {prefix}_PORT"
            ),
            RETRY_LATER if in_use else CONFIG_ERROR,
        )
    return None


async def _close_requests(bot: BotApp) -> None:
    """After a failed ``initialize`` PTB leaves its HTTP clients open; close them."""
    for request in {id(r): r for r in bot.application.bot._request}.values():
        with contextlib.suppress(Exception):
            await request.shutdown()


async def _shut_down(
    bot: BotApp,
    settings: Settings,
    poller: Poller | None,
    hook: HttpListener | None,
    ops: HttpListener,
    lease: Lease | None,
) -> None:
    started = time.monotonic()
    log.info("bot.stopping")
    bot.dispatcher.request_stop()
    grace = settings.shutdown_grace_seconds
    if poller is not None:
        await poller.stop(grace)
    if lease is not None:  # after the last confirmation, so the next poller starts clean
        with contextlib.suppress(Exception):  # the lease expires by itself anyway
            await lease.release()
    if hook is not None:
        await hook.stop()
    await bot.runner.stop(grace)
    app = bot.application
    if app.running:
        await app.stop()  # waits for a dispatch run in progress to end
    await app.shutdown()
    with contextlib.suppress(Exception):  # the lock expires by itself anyway
        await release_dispatching(bot.services, bot.dispatcher.worker_id)
    await ops.stop()
    log.info("bot.stopped", extra={"seconds": round(time.monotonic() - started, 2)})


def _database_reader(services: Services) -> ReadDatabase:
    async def read() -> DatabaseFigures:
        now = services.clock.now()
        snapshot = await ops_snapshot(services.db, now)
        lag = (now - snapshot.oldest_due_at).total_seconds() if snapshot.oldest_due_at else 0.0
        return DatabaseFigures(max(0.0, lag), snapshot.pending_by_kind, snapshot.holds_open)

    return read
