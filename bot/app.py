"""Wiring, in one place: content, database, use cases, the PTB Application and its handlers.

Handler order matters in PTB (the first matching handler of a group wins), so it is written
down here, top to bottom:
1. /start, /help, /exercise, /cancel, /settings, /next, /pause, /resume, /stop, /history,
   /progress, /patient and /adherence (staff chat only), /mydata, /forget - commands the bot knows
2. button taps (every callback query)
3. any other command                 - "unknown command"
4. anything else a patient sends      - typed time/zone or a location for the settings
                                        dialogue; otherwise "please use the buttons" and
                                        the screen again
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.config import Settings
from bot.content.loader import load_content
from bot.core.clock import Clock, SystemClock
from bot.core.screens import Screen
from bot.core.timers import STAFF_CHAT_KINDS, Kind
from bot.core.zones import load_gazetteer
from bot.reminders.dispatcher import (
    Dispatcher,
    DispatchHealth,
    Proceed,
    Report,
    Result,
    default_worker_id,
)
from bot.services import digest, reminders, safety, sessions
from bot.services.context import Services
from bot.services.replies import Reply
from bot.store.database import Database, schema_message
from bot.store.errors import is_outage
from bot.store.locks import acquire_dispatch_lock, release_dispatch_lock
from bot.store.models import Timer
from bot.telegram import handlers
from bot.telegram.commands import COMMANDS
from bot.telegram.media import MediaLibrary
from bot.telegram.menus import set_menus
from bot.telegram.polling import Poller
from bot.telegram.ratelimit import ChatRateLimiter
from bot.telegram.render import deliver, send, send_bulk
from bot.telegram.transport import aiohttp_requests
from bot.telegram.updates import UpdateRunner

log = logging.getLogger(__name__)


# New messages only: an edited message ("/start" corrected to "/stop") is not a new request,
# and channel posts have no patient behind them.
NEW_MESSAGES = filters.UpdateType.MESSAGE


class SchemaProblem(RuntimeError):
    """The schema is one the bot cannot start on; the message is one line for the operator."""


async def prepare_database(settings: Settings, db: Database) -> None:
    """Migrate (or refuse to start) so handlers never meet an old schema."""
    state = await db.schema_state()
    if state.status == "current":
        return
    problem = schema_message(state, auto_migrate=settings.auto_migrate)
    if problem is not None:
        raise SchemaProblem(problem)
    await db.upgrade()
    log.info("db.migrated", extra={"from": state.status})


def open_database(settings: Settings, clock: Clock | None = None) -> Database:
    """The bot's database; on PostgreSQL a connection kept for each update handled at once,
    and for the dispatcher (docs/DEPLOY.md counts them)."""
    return Database(
        settings.database_url,
        clock=clock,
        pool_size=max(5, settings.update_concurrency + 2),
    )


async def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    content = load_content(settings.content_dir)  # raises ContentError, naming file and field
    clock = clock or SystemClock()
    db = open_database(settings, clock)
    try:
        await prepare_database(settings, db)
    except BaseException:
        await db.dispose()
        raise
    return Services.build(db, content, clock, settings)


@dataclass
class BotApp:
    application: Application  # type: ignore[type-arg]
    services: Services
    dispatcher: Dispatcher
    runner: UpdateRunner
    dispatch_health: DispatchHealth


def build_application(
    services: Services,
    *,
    token: str,
    base_url: str | None = None,
    base_file_url: str | None = None,
    dispatch_interval: float | None = None,
) -> BotApp:
    # Updates come from our own Poller or webhook endpoint (bot/telegram/polling.py,
    # bot/web/server.py) through the UpdateRunner, never from PTB's Updater.
    builder = ApplicationBuilder().token(token).updater(None)
    settings = services.settings
    read_timeout = settings.telegram_read_timeout_seconds
    if settings.telegram_transport == "aiohttp":  # else PTB builds its HTTPXRequests
        calls, updates = aiohttp_requests(read_timeout=read_timeout)
        builder = builder.request(calls).get_updates_request(updates)
    else:
        builder = builder.read_timeout(read_timeout).get_updates_read_timeout(read_timeout)
    if base_url:
        builder = builder.base_url(base_url)
    if base_file_url:
        builder = builder.base_file_url(base_file_url)
    # Honours 429 retry_after (retrying up to 3 times), 30 messages/s, ~1/s per chat.
    metrics = services.metrics
    limiter = ChatRateLimiter(
        overall_max_rate=settings.rate_limit_per_second,
        per_chat_rate=settings.rate_limit_per_chat_per_second,
        on_error=metrics.telegram_error,  # every failed Bot API call but getUpdates
    )
    # PTB's builder is typed for a limiter without per-call arguments; ours takes an int.
    builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]
    application = builder.post_init(_post_init).build()
    application.bot_data["services"] = services
    media = MediaLibrary(services.db, settings.content_dir, services.clock)
    application.bot_data[handlers.MEDIA_KEY] = media
    runner = UpdateRunner(
        handle_until_stored(application),
        concurrency=settings.update_concurrency,
        backlog_per_chat=settings.update_backlog_per_chat,
        metrics=metrics,
    )

    # taps first: the most frequent update is not checked against every command (a
    # callback query matches no message handler, nor a message this one, so order is free)
    application.add_handler(CallbackQueryHandler(handlers.on_callback))
    for command in COMMANDS:
        application.add_handler(CommandHandler(command.name, command.handler, filters=NEW_MESSAGES))
    application.add_handler(
        MessageHandler(NEW_MESSAGES & filters.COMMAND, handlers.on_unknown_command)
    )
    application.add_handler(MessageHandler(NEW_MESSAGES & ~filters.COMMAND, handlers.on_free_input))
    application.add_error_handler(handlers.on_error)

    async def count_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        kind = "database_unavailable" if is_outage(context.error) else "error"
        metrics.handler_errors.labels(kind).inc()

    application.add_error_handler(count_error)  # PTB calls every error handler, in order

    async def on_blocked(patient_id: int) -> None:
        await reminders.patient_blocked(services, patient_id)

    interval = (
        services.settings.dispatch_interval_seconds
        if dispatch_interval is None
        else dispatch_interval
    )
    worker_id = default_worker_id()
    health = DispatchHealth(interval)

    async def turn() -> bool:
        allowed = await take_dispatch_turn(services, worker_id, interval)
        health.beat(standing_by=not allowed)
        return allowed

    dispatcher = Dispatcher(
        services.db,
        services.clock,
        timer_handlers(services, application, media),
        batch_handlers=batch_handlers(services, application),
        on_blocked=on_blocked,
        worker_id=worker_id,
        lease=timedelta(seconds=services.settings.dispatch_lease_seconds),
        batch_size=services.settings.dispatch_batch_size,
        send_window=services.settings.dispatch_send_window,
        resend_on_timeout=frozenset({safety.ADVICE}),
        staff_chat_kinds=STAFF_CHAT_KINDS,
        turn=turn,
        metrics=metrics,
    )
    if interval > 0 and application.job_queue is not None:
        outage: dict[str, datetime | None] = {"since": None}

        async def dispatch_job(context: ContextTypes.DEFAULT_TYPE) -> None:
            try:
                sent = await dispatcher.run_until_idle()  # turn() beats the health check
                if sent >= services.settings.dispatch_batch_size:
                    await warn_if_behind(services)
            except Exception as error:
                if not is_outage(error):
                    raise
                if outage["since"] is None:  # once per outage, not every interval
                    outage["since"] = services.clock.now()
                    log.warning("dispatch.database_unavailable")
                return
            if outage["since"] is not None:
                log.info("dispatch.database_back")
                outage["since"] = None

        application.job_queue.run_repeating(
            dispatch_job,
            interval=timedelta(seconds=interval),
            first=timedelta(seconds=1),
            name="dispatch",
        )
    return BotApp(application, services, dispatcher, runner, health)


OUTAGE_RETRY_SECONDS = (1, 2, 5, 10, 15, 30, 30, 30, 30, 30, 60, 60, 60, 60)  # ~8 minutes


def handle_until_stored(application: Application) -> Callable[[Update], Awaitable[None]]:  # type: ignore[type-arg]
    """Handle an update; while the database is unreachable, handle it again later.

    Handlers read and write the database before they answer, so one that failed for an
    outage changed nothing and sent nothing: trying again is safe, and the patient's tap
    is not lost. The chat's later updates wait behind it, in order. After ~8 minutes the
    patient gets the usual apology and the update is given up.
    """
    marked: set[int] = application.bot_data.setdefault(handlers.OUTAGE_KEY, set())

    async def handle(update: Update) -> None:
        for delay in (*OUTAGE_RETRY_SECONDS, None):
            await application.process_update(update)
            if update.update_id not in marked:
                return
            marked.discard(update.update_id)
            if delay is None:
                break
            await asyncio.sleep(delay)
        log.error("update.given_up_database", extra={"update_id": update.update_id})
        await handlers.apologise(application.bot, application.bot_data["services"], update)

    return handle


def make_poller(bot: BotApp, *, timeout: int = 10, backoff_scale: float = 1.0) -> Poller:
    return Poller(
        bot.application.bot,
        bot.runner,
        allowed_updates=allowed_updates(),
        timeout=timeout,
        window=bot.services.settings.poll_window,
        backoff_scale=backoff_scale,
        metrics=bot.services.metrics,
    )


def timer_handlers(services: Services, application: Application, media: MediaLibrary | None = None):  # type: ignore[no-untyped-def,type-arg]
    async def deliver_to(chat_id: int, reply: Reply) -> None:
        sent = await deliver(application.bot, chat_id, reply, media=media)
        if reply.shows_session is not None and sent:
            await sessions.screen_moved(services, reply.shows_session, sent[-1])

    async def step_timer(timer: Timer) -> Result:
        sent = await sessions.timer_elapsed(services, timer, deliver_to)
        return Result.SENT if sent else Result.CANCELLED

    async def screen_timer(found: tuple[int, Screen] | None) -> Result:
        if found is None:
            return Result.CANCELLED
        await send(application.bot, found[0], found[1])
        return Result.SENT

    async def checkin(timer: Timer) -> Result:
        return await screen_timer(await safety.due_checkin(services, timer.owner_id))

    async def sore_followup(timer: Timer) -> Result:
        return await screen_timer(await safety.due_sore_followup(services, timer.owner_id))

    async def advice(timer: Timer) -> Result:
        found = await safety.due_advice(services, timer.payload, timer.owner_id)
        if found is None:
            return Result.CANCELLED
        chat_id, shown = found
        for screen in shown:
            await send(application.bot, chat_id, screen, must_arrive=True)
        return Result.SENT

    async def staff_alert(timer: Timer) -> Result:
        chat = services.settings.staff_chat_id
        if chat is None:
            return Result.CANCELLED
        message = await send(
            application.bot, chat, Screen(html.escape(str(timer.payload.get("text"))))
        )
        await safety.alert_sent(services, timer.id, chat, message.message_id)
        return Result.SENT

    async def staff_digest(timer: Timer) -> Result:
        due = await digest.due_digest(services, timer)  # plans the next one first
        if due.reply is None:
            return Result.MISSED if due.outcome == "missed" else Result.CANCELLED
        # the list, then the CSV (a failure of either: the dispatcher retries the digest),
        # then the chart (best effort)
        await deliver(application.bot, due.chat_id, due.reply)
        return Result.SENT_LATE if due.late else Result.SENT

    return {
        Kind.STAFF_DIGEST: staff_digest,
        safety.CHECKIN: checkin,
        safety.SORE_FOLLOWUP: sore_followup,
        safety.STAFF_ALERT: staff_alert,
        safety.ADVICE: advice,
        sessions.STEP_TIMER: step_timer,
    }


def batch_handlers(services: Services, application: Application):  # type: ignore[no-untyped-def,type-arg]
    """Daily reminders, snoozes and nudges: decided together in one transaction, then sent
    concurrently in the claim order, at most ``DISPATCH_SEND_WINDOW`` in flight or not yet
    recorded, under the rate limiter (see Dispatcher._process_batch)."""

    paid = services.settings.telegram_paid_broadcast

    async def one(timer: Timer, decision: reminders.Decision, report: Report) -> None:
        assert decision.chat_id is not None and decision.screen is not None
        try:
            await send_bulk(application.bot, decision.chat_id, decision.screen, paid_broadcast=paid)
        except Exception as error:  # classified by the dispatcher (429, 403, 5xx...)
            await report(timer, error)
        else:
            late = decision.outcome == "late"
            await report(timer, Result.SENT_LATE if late else Result.SENT)

    async def daily(timers: list[Timer], report: Report, proceed: Proceed) -> None:
        decisions = await reminders.due_reminders(services, timers)
        sending: list[asyncio.Task[None]] = []
        try:
            for timer, decision in zip(timers, decisions, strict=True):
                if decision.outcome in ("cancelled", "missed"):
                    missed = decision.outcome == "missed"
                    await report(timer, Result.MISSED if missed else Result.CANCELLED)
                    continue
                if not await proceed(timer):  # waits for a place in the send window
                    break  # lost the claim or stopping: the rest is someone else's now
                sending.append(asyncio.create_task(one(timer, decision, report)))
        finally:
            # every send started is finished and reported, whatever ended the loop
            outcomes = await asyncio.gather(*sending, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    return {Kind.REMINDER: daily, Kind.SNOOZE: daily, Kind.NUDGE: daily}


async def warn_if_behind(services: Services) -> None:
    """More due than Telegram lets us send within the grace period: some reminders will be
    missed (not sent late). Say so, once a run, with what is waiting (docs/REMINDERS.md)."""
    settings = services.settings
    async with services.db.unit_of_work(read_only=True) as uow:
        backlog = await uow.timers.count_due(services.clock.now())
    rate = 1000.0 if settings.telegram_paid_broadcast else settings.rate_limit_per_second
    needed = backlog / max(rate, 1.0)
    if needed > settings.reminder_grace_minutes * 60:
        log.warning(
            "dispatch.behind",
            extra={"due": backlog, "seconds_to_send": round(needed), "rate": rate},
        )


async def take_dispatch_turn(services: Services, worker_id: str, interval: float) -> bool:
    """One process at a time sends timers, on SQLite and on PostgreSQL alike.

    Telegram's limit (30 messages/s, 1,000 with paid broadcasts) is per bot, so processes
    that each sent at that rate would together exceed it; one process easily sends at it.
    The others handle updates and stand by. The turn is renewed before every batch and
    while a long batch runs, so it can be short: a process that dies (SIGKILL) is replaced
    within ``DISPATCH_TURN_SECONDS``; a clean stop hands it over at once."""
    ttl = max(services.settings.dispatch_turn_seconds, interval * 3)
    return await acquire_dispatch_lock(
        services.db, worker_id, services.clock.now(), timedelta(seconds=ttl)
    )


async def release_dispatching(services: Services, worker_id: str) -> None:
    await release_dispatch_lock(services.db, worker_id)


async def _post_init(application: Application) -> None:  # type: ignore[type-arg]
    # The places a patient may type (0.4 s to read): read now, off the event loop, so the
    # first typed city answers as fast as the rest.
    application.bot_data["gazetteer"] = asyncio.create_task(asyncio.to_thread(load_gazetteer))
    services: Services = application.bot_data["services"]
    await set_menus(application.bot, services.content, services.settings.default_language)
    try:  # the staff digest, when there is a staff chat: the first one, if none is planned
        await digest.ensure_planned(services)
    except Exception as error:  # a database outage: the bot still starts; next start plans it
        log.warning("digest.plan_failed", extra={"error": type(error).__name__})


def allowed_updates() -> list[str]:
    return [Update.MESSAGE, Update.CALLBACK_QUERY]
