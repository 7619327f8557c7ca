"""Telegram entry points: check who and where, decode, call one use case, deliver.

Handlers decide nothing that a patient's safety depends on; that lives in bot/core and
bot/services. They are registered in ``bot/app.py`` in a written-down order.

Patient features answer only in the patient's private chat with the bot: in a group a
command gets one line saying so and nothing else, so no health data is ever posted
where others read it, and a group is never stored as a patient's chat. The clinic's
staff chat (``STAFF_CHAT_ID``) has its own commands.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from functools import wraps
from typing import Any

from telegram import Bot, CallbackQuery, Chat, MaybeInaccessibleMessage, Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.core import screens
from bot.core.callbacks import Action, Callback, InvalidCallback, decode
from bot.core.screens import Screen
from bot.services import (
    adherence,
    clinic,
    free_text,
    invites,
    language,
    onboarding,
    plans,
    privacy,
    progress,
    reminders,
    safety,
    sessions,
    settings,
)
from bot.services.context import Patron, Services
from bot.services.replies import Reply
from bot.store.errors import is_outage
from bot.telegram.media import MediaLibrary
from bot.telegram.menus import set_chat_menu
from bot.telegram.notices import NoticeThrottle
from bot.telegram.render import answer, deliver, send

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
PatientHandler = Callable[[Services, Patron, Update, Context], Awaitable[Reply | None]]
StaffUseCase = Callable[[Services, Patron, list[str]], Awaitable[Reply]]


def services(context: Context) -> Services:
    return context.application.bot_data["services"]  # type: ignore[no-any-return]


MEDIA_KEY = "media"


def media_library(context: Context) -> MediaLibrary | None:
    """Sends screens' pictures (set in bot/app.py); without it they are text."""
    return context.application.bot_data.get(MEDIA_KEY)


def _has_media(message: MaybeInaccessibleMessage) -> bool:
    """A picture message: a screen with a picture may replace it in place."""
    if not isinstance(message, Message):
        return False
    return bool(message.photo or message.animation or message.video or message.document)


def patron(update: Update) -> Patron | None:
    """Who is talking and in which chat; None for updates without a person (channels...)."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    # the whole code ("es-mx"): Services.language finds the content language serving it
    return Patron(user.id, chat.id, (user.language_code or "").lower())


def _is_private_with(chat: Chat | None, who: Patron) -> bool:
    return chat is not None and chat.type == ChatType.PRIVATE and chat.id == who.user_id


def _one_line(svc: Services, who: Patron, key: str) -> Reply:
    return Reply(send=(Screen(screens.text(svc.content, svc.language(who.language), key)),))


async def _private_only_notice(context: Context, svc: Services, who: Patron) -> None:
    throttle: NoticeThrottle = context.application.bot_data.setdefault(
        "group_notices", NoticeThrottle()
    )
    if throttle.allow(who.chat_id):
        await deliver(context.bot, who.chat_id, _one_line(svc, who, "private_only"))


def patient_only(handler: PatientHandler) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """A patient command: answered in the private chat, one line anywhere else."""

    @wraps(handler)
    async def wrapper(update: Update, context: Context) -> None:
        who = patron(update)
        if who is None:
            return
        svc = services(context)
        if not _is_private_with(update.effective_chat, who):
            await _private_only_notice(context, svc, who)
            return
        await settings.end_question(svc, who)  # a command never answers a typed question
        reply = await handler(svc, who, update, context)
        if reply is not None:
            await _deliver(context, svc, who.chat_id, reply)

    return wrapper


@patient_only
async def on_start(svc: Services, who: Patron, update: Update, context: Context) -> Reply:
    # /start <token>: an invite link (t.me/<bot>?start=<token>)
    token = context.args[0] if context.args else None
    return await onboarding.start(svc, who, token)


async def on_help(update: Update, context: Context) -> None:
    """/help: the patient's help in private; the staff usage in the staff chat."""
    who = patron(update)
    if who is None:
        return
    svc = services(context)
    if clinic.is_staff_chat(svc, who.chat_id):
        await deliver(context.bot, who.chat_id, _one_line(svc, who, "staff_usage"))
        return
    await _patient_help(update, context)


@patient_only
async def _patient_help(svc: Services, who: Patron, update: Update, context: Context) -> Reply:
    return await onboarding.help_text(svc, who)


@patient_only
async def on_exercise(svc: Services, who: Patron, update: Update, context: Context) -> Reply:
    return await sessions.open_session(svc, who)


@patient_only
async def on_cancel(svc: Services, who: Patron, update: Update, context: Context) -> Reply:
    return await sessions.cancel(svc, who)


@patient_only
async def on_settings(svc: Services, who: Patron, update: Update, context: Context) -> Reply:
    return await settings.open_settings(svc, who)


@patient_only
async def on_next(svc: Services, who: Patron, update: Update, context: Context) -> Reply:
    return await reminders.show_next(svc, who)


@patient_only
async def on_pause(svc: Services, who: Patron, update: Update, context: Context) -> Reply:
    return await reminders.pause_question(svc, who)


@patient_only
async def on_resume(svc: Services, who: Patron, update: Update, context: Context) -> Reply:
    return await reminders.resume(svc, who)


@patient_only
async def on_stop(svc: Services, who: Patron, update: Update, context: Context) -> Reply:
    return await reminders.stop_question(svc, who)


@patient_only
async def on_language(svc: Services, who: Patron, update: Update, context: Context) -> Reply:
    return await language.show(svc, who)


@patient_only
async def on_history(svc: Services, who: Patron, update: Update, context: Context) -> Reply:
    return await clinic.history(svc, who)


@patient_only
async def on_progress(svc: Services, who: Patron, update: Update, context: Context) -> Reply:
    return await progress.progress(svc, who)


@patient_only
async def on_mydata(svc: Services, who: Patron, update: Update, context: Context) -> Reply:
    return await privacy.my_data(svc, who)


@patient_only
async def on_forget(svc: Services, who: Patron, update: Update, context: Context) -> Reply:
    return await privacy.forget_question(svc, who)


def staff_only(
    use_case: StaffUseCase,
) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
    """A staff command: answered in the staff chat, with the command's words as arguments;
    anywhere else it is an unknown command."""

    async def handler(update: Update, context: Context) -> None:
        who = patron(update)
        if who is None:
            return
        svc = services(context)
        if not clinic.is_staff_chat(svc, who.chat_id):
            await on_unknown_command(update, context)
            return
        reply = await use_case(svc, who, list(context.args or []))
        await deliver(context.bot, who.chat_id, reply)

    return handler


# /patient CODE and /adherence [DAYS]
on_patient = staff_only(clinic.patient_lookup)
on_adherence = staff_only(adherence.staff_adherence)
# /program CODE PROGRAM and /dose CODE [exercise.field=N ... | reset]
on_program = staff_only(plans.staff_program)
on_dose = staff_only(plans.staff_dose)


async def on_invite(update: Update, context: Context) -> None:
    """/invite PROGRAM [ref=REF] [exercise.field=N ...]: the link names the bot (getMe)."""
    username = context.bot.username

    async def use_case(svc: Services, who: Patron, args: list[str]) -> Reply:
        return await invites.staff_invite(svc, who, args, username)

    await staff_only(use_case)(update, context)


async def on_unknown_command(update: Update, context: Context) -> None:
    who = patron(update)
    if who is None:
        return
    svc = services(context)
    private = _is_private_with(update.effective_chat, who)
    if not private and not clinic.is_staff_chat(svc, who.chat_id):
        await _private_only_notice(context, svc, who)
        return
    if private:
        await settings.end_question(svc, who)  # any command ends a typed question
    await deliver(context.bot, who.chat_id, _one_line(svc, who, "unknown_command"))


async def on_free_input(update: Update, context: Context) -> None:
    """Text, stickers, photos... (bot/services/free_text.py says what they mean).

    In groups (the bot rarely sees their messages at all) nothing is answered."""
    who = patron(update)
    if who is None or not _is_private_with(update.effective_chat, who):
        return
    svc = services(context)
    message = update.effective_message
    location = message.location if message is not None else None
    reply = await free_text.typed(
        svc,
        who,
        message.text if message is not None else None,
        (location.latitude, location.longitude) if location is not None else None,
    )
    await _deliver(context, svc, who.chat_id, reply)


async def _deliver(
    context: Context,
    svc: Services,
    chat_id: int,
    reply: Reply,
    tapped: MaybeInaccessibleMessage | None = None,
) -> None:
    """Deliver a reply with the screens' pictures; a session screen shown in a new message
    (sent, or an edit that had to become a new message) becomes the session's message, so
    the copy it replaced can lose its buttons."""
    tapped_id = tapped.message_id if tapped is not None else None
    shown = await deliver(
        context.bot,
        chat_id,
        reply,
        tapped_message_id=tapped_id,
        media=media_library(context),
        tapped_has_media=tapped is not None and _has_media(tapped),
    )
    # (a tap edited in place was recorded with the tap itself)
    if reply.shows_session is not None and shown and shown[-1] != tapped_id:
        await sessions.screen_moved(svc, reply.shows_session, shown[-1])
    if reply.menu is not None:
        await set_chat_menu(context.bot, svc.content, reply.menu, chat_id)


async def _answer(query: CallbackQuery, text: str | None = None) -> bool:
    """Answer a tap (the toast); a failure is logged, never raised: the reply matters more."""
    try:
        await answer(query.get_bot(), query.id, text)
    except Exception as error:
        log.warning("callback.answer_failed", extra={"error": type(error).__name__})
        return False
    return True


async def on_callback(update: Update, context: Context) -> None:
    """Every button tap. The query is answered once; the reply is delivered even when the
    answer fails, and safety advice in it is confirmed only once delivered."""
    query = update.callback_query
    if query is None:
        return
    svc = services(context)
    lang = svc.language(query.from_user.language_code if query.from_user else None)
    who = patron(update)
    message = query.message
    if who is None or message is None:  # a tap on an inline message: none of ours
        await _answer(query, svc.content.text(lang, "toast_invalid"))
        return
    try:
        callback = decode(query.data)
    except InvalidCallback as error:
        log.warning("callback.invalid", extra={"reason": str(error)})
        await _answer(query, svc.content.text(lang, "toast_invalid"))
        return
    chat = message.chat
    staff_tap = callback.action is Action.STAFF_CLEAR and clinic.is_staff_chat(svc, chat.id)
    if not staff_tap and not _is_private_with(chat, who):
        await _answer(query, svc.content.text(lang, "private_only"))
        return
    answering: asyncio.Task[bool] | None = None
    try:
        try:
            reply = await _route(svc, who, callback, message.message_id)
        except InvalidCallback as error:  # well-formed, but its argument is not
            log.warning("callback.invalid", extra={"reason": str(error)})
            reply = Reply(toast=svc.content.text(lang, "toast_invalid"))
        # the answer (the toast) and the reply go out side by side: neither waits for
        # the other's round trip to Telegram (docs/BENCHMARKS.md)
        answering = asyncio.create_task(_answer(query, reply.toast))
        await _deliver(context, svc, who.chat_id, reply, tapped=message)
        if reply.advice_keys:
            await safety.advice_delivered(svc, reply.advice_keys)
    finally:
        if answering is None:
            await _answer(query)
        else:
            await answering


_SETTINGS = frozenset(
    {
        Action.SETUP_REMINDERS,
        Action.DAYS_TOGGLE,
        Action.DAYS_DONE,
        Action.SET_TIME,
        Action.OTHER_TIME,
        Action.SET_ZONE,
        Action.OTHER_ZONE,
        Action.WEEKLY_SUMMARY,
    }
)


_HOLD = frozenset(
    {Action.CLEARED, Action.NOT_YET, Action.RESUME_ALL, Action.RESUME_WITHOUT, Action.CHECKIN}
)


async def _route(svc: Services, who: Patron, callback: Callback, message_id: int | None) -> Reply:
    action = callback.action
    if action is Action.AGREE:
        return await onboarding.agree(svc, who, callback)
    if action is Action.DECLINE:
        return onboarding.decline(svc, who)
    if action is Action.LATER:
        return await onboarding.later(svc, who)
    if action is Action.WELCOME:
        return await onboarding.welcome(svc, who)
    if action is Action.LANGUAGE:
        return await language.choose(svc, who, callback)
    if action is Action.NO_REMINDERS:
        return await onboarding.no_reminders(svc, who)
    if action is Action.TYPED_PAIN:
        return await sessions.typed_pain_answer(svc, who, callback)
    if action in (Action.FORGET_YES, Action.FORGET_NO):
        return await privacy.forget(svc, who, confirmed=action is Action.FORGET_YES)
    if action in _SETTINGS:
        return await settings.settings_tap(svc, who, callback)
    if action in (Action.SNOOZE, Action.SNOOZE_FOR, Action.SKIP_TODAY):
        return await reminders.reminder_tap(svc, who, callback)
    if action in _HOLD:
        return await safety.on_hold_tap(svc, who.user_id, callback)
    if action is Action.WARNING:
        return await safety.warning_answer(svc, who.user_id, callback)
    if action is Action.PAIN_RATING:
        return await safety.rate_pain(svc, who.user_id, callback)
    if action is Action.SORE_FOLLOWUP:
        return await safety.sore_followup_answer(svc, who.user_id, callback)
    if action is Action.ALERTS:
        return await safety.set_alerts(svc, who.user_id, callback)
    if action is Action.STAFF_CLEAR:
        return await clinic.staff_clear(svc, who, callback)
    if action is Action.NUDGE_SETTING:
        return await settings.nudge_setting(svc, who, callback)
    if action is Action.PAUSE_FOR:
        return await reminders.pause(svc, who, callback)
    if action in (Action.STOP_YES, Action.STOP_NO):
        return await reminders.stop(svc, who, confirmed=action is Action.STOP_YES)
    if action in (Action.START_NOW, Action.REMINDER_START):
        reply = await sessions.open_session(svc, who)
        # The session screen replaces the offer the patient tapped.
        if len(reply.send) == 1 and reply.edit is None:
            return Reply(edit=reply.send[0])
        return reply
    return await sessions.tap(svc, who, callback, message_id)


OUTAGE_KEY = "updates_hit_by_outage"


async def on_error(update: object, context: Context) -> None:
    """Log what an operator needs (never message texts or tokens) and apologise in private.

    An update that failed because the database is unreachable is marked instead: the
    runner handles it again once the database is back (see bot/app.py ``handle``)."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if error is not None and update_id is not None and is_outage(error):
        context.application.bot_data.setdefault(OUTAGE_KEY, set()).add(update_id)
        log.warning("handler.database_unavailable", extra={"update_id": update_id})
        return
    log.error(
        "handler.error",
        extra={"update_id": update_id, "error": type(error).__name__},
        exc_info=error,
    )
    if isinstance(update, Update):
        await apologise(context.bot, services(context), update)


async def apologise(bot: Bot, svc: Services, update: Update) -> None:
    """ "Sorry, something went wrong", in the patient's private chat only."""
    who = patron(update)
    if who is None or not _is_private_with(update.effective_chat, who):
        return
    try:
        await send(
            bot,
            who.chat_id,
            Screen(screens.text(svc.content, svc.language(who.language), "error_generic")),
        )
    except Exception as send_error:
        log.warning("handler.error_reply_failed", extra={"error": type(send_error).__name__})
