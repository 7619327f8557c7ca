"""Telegram entry points: decode the update, call one use case, deliver the reply.

Handlers decide nothing that a patient's safety depends on; that lives in bot/core and
bot/services. They are registered in ``bot/app.py`` in a written-down order.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.core import screens
from bot.core.callbacks import Action, InvalidCallback, decode
from bot.core.screens import Screen
from bot.services import clinic, onboarding, privacy, reminders, safety, sessions
from bot.services.context import Patron, Services
from bot.services.replies import Reply
from bot.telegram.render import deliver, send

log = logging.getLogger(__name__)


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]  # type: ignore[no-any-return]


def patron(update: Update) -> Patron:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    return Patron(user.id, chat.id, (user.language_code or "en").split("-")[0])


async def _reply(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply) -> None:
    chat = update.effective_chat
    assert chat is not None
    await deliver(context.bot, chat.id, reply)


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, context, await onboarding.start(services(context), patron(update)))


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, context, onboarding.help_text(services(context), patron(update)))


async def on_exercise(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, context, await sessions.open_session(services(context), patron(update)))


async def on_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, context, await sessions.cancel(services(context), patron(update)))


async def on_settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, context, await reminders.open_settings(services(context), patron(update)))


async def on_next(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, context, await reminders.show_next(services(context), patron(update)))


async def on_pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, context, reminders.pause_question(services(context), patron(update)))


async def on_resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, context, await reminders.resume(services(context), patron(update)))


async def on_stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, context, reminders.stop_question(services(context), patron(update)))


async def on_history(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, context, await clinic.history(services(context), patron(update)))


async def on_patient(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/patient CODE, for staff, only in the staff chat; elsewhere an unknown command."""
    svc = services(context)
    who = patron(update)
    if not clinic.is_staff_chat(svc, who.chat_id):
        await on_unknown_command(update, context)
        return
    await _reply(update, context, await clinic.patient_lookup(svc, who, list(context.args or [])))


async def on_mydata(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, context, await privacy.my_data(services(context), patron(update)))


async def on_forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, context, privacy.forget_question(services(context), patron(update)))


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    who = patron(update)
    await _reply(
        update,
        context,
        Reply(
            send=(Screen(screens.text(svc.content, svc.language(who.language), "unknown_command")),)
        ),
    )


async def on_free_input(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Text, stickers, photos... where the bot expects a tap: a friendly hint, screen again."""
    svc = services(context)
    who = patron(update)
    message = update.effective_message
    location = message.location if message is not None else None
    typed = await reminders.typed_input(
        svc,
        who,
        message.text if message is not None else None,
        (location.latitude, location.longitude) if location is not None else None,
    )
    if typed is not None:
        await _reply(update, context, typed)
        return
    lang = svc.language(who.language)
    current = await sessions.open_screen_for(svc, who)
    hint = Screen(screens.text(svc.content, lang, "expect_button"))
    await _reply(update, context, Reply(send=(hint, current) if current else (hint,)))


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every button tap. The query is answered exactly once, whatever happens."""
    query = update.callback_query
    assert query is not None
    svc = services(context)
    who = patron(update)
    message = query.message
    message_id = message.message_id if message is not None else None
    try:
        callback = decode(query.data)
    except InvalidCallback as error:
        log.warning("callback.invalid", extra={"reason": str(error)})
        await query.answer(svc.content.text(svc.language(who.language), "toast_invalid"))
        return
    answered = False
    try:
        reply = await _route(svc, who, callback, message_id)
        await query.answer(reply.toast)
        answered = True
        await deliver(context.bot, who.chat_id, reply, tapped_message_id=message_id)
    finally:
        if not answered:
            await query.answer()


_SETTINGS = frozenset(
    {
        Action.SETUP_REMINDERS,
        Action.DAYS_TOGGLE,
        Action.DAYS_DONE,
        Action.SET_TIME,
        Action.OTHER_TIME,
        Action.SET_ZONE,
        Action.OTHER_ZONE,
    }
)


_HOLD = frozenset(
    {Action.CLEARED, Action.NOT_YET, Action.RESUME_ALL, Action.RESUME_WITHOUT, Action.CHECKIN}
)


async def _route(svc: Services, who: Patron, callback, message_id: int | None) -> Reply:  # type: ignore[no-untyped-def]
    action = callback.action
    if action is Action.AGREE:
        return await onboarding.agree(svc, who)
    if action is Action.DECLINE:
        return onboarding.decline(svc, who)
    if action is Action.LATER:
        return onboarding.later(svc, who)
    if action in (Action.FORGET_YES, Action.FORGET_NO):
        return await privacy.forget(svc, who, confirmed=action is Action.FORGET_YES)
    if action in _SETTINGS:
        return await reminders.settings_tap(svc, who, callback)
    if action in (Action.SNOOZE, Action.SNOOZE_FOR, Action.SKIP_TODAY):
        return await reminders.reminder_tap(svc, who, callback)
    if action in _HOLD:
        return await safety.on_hold_tap(svc, who.user_id, callback)
    if action is Action.WARNING:
        return await safety.warning_answer(svc, who.user_id, callback)
    if action is Action.SORE_FOLLOWUP:
        return await safety.sore_followup_answer(svc, who.user_id, callback)
    if action is Action.ALERTS:
        return await safety.set_alerts(svc, who.user_id, callback)
    if action is Action.STAFF_CLEAR:
        return await clinic.staff_clear(svc, who, callback)
    if action is Action.NUDGE_SETTING:
        return await reminders.nudge_setting(svc, who, callback)
    if action is Action.PAUSE_FOR:
        return await reminders.pause(svc, who, callback.arg)
    if action in (Action.STOP_YES, Action.STOP_NO):
        return await reminders.stop(svc, who, confirmed=action is Action.STOP_YES)
    if action in (Action.START_NOW, Action.REMINDER_START):
        reply = await sessions.open_session(svc, who)
        # The session screen replaces the offer the patient tapped.
        if len(reply.send) == 1 and reply.edit is None:
            return Reply(edit=reply.send[0])
        return reply
    return await sessions.tap(svc, who, callback, message_id)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what an operator needs (never message texts or tokens) and apologise."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    log.error(
        "handler.error",
        extra={"update_id": update_id, "error": type(error).__name__},
        exc_info=error,
    )
    if isinstance(update, Update) and update.effective_chat is not None:
        svc = services(context)
        lang = svc.language(patron(update).language if update.effective_user else None)
        try:
            await send(
                context.bot,
                update.effective_chat.id,
                Screen(screens.text(svc.content, lang, "error_generic")),
            )
        except Exception as send_error:
            log.warning("handler.error_reply_failed", extra={"error": type(send_error).__name__})
