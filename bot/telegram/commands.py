"""Every command the bot answers, once: its handler and, for the menu (setMyCommands), its
description, in menu order. The staff's /patient and /adherence are answered but not in the
menu."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import BotCommand, Update

from bot.telegram import handlers

Handler = Callable[[Update, handlers.Context], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    menu: str | None  # the description in Telegram's menu; None keeps it out of the menu


COMMANDS: tuple[Command, ...] = (
    Command("exercise", handlers.on_exercise, "Start today's exercises"),
    Command("cancel", handlers.on_cancel, "Stop the session in progress"),
    Command("settings", handlers.on_settings, "Choose reminder days, time and zone"),
    Command("next", handlers.on_next, "When is my next reminder?"),
    Command("pause", handlers.on_pause, "Pause reminders"),
    Command("resume", handlers.on_resume, "Turn reminders back on"),
    Command("stop", handlers.on_stop, "Stop all reminders"),
    Command("history", handlers.on_history, "My last 14 days"),
    Command("progress", handlers.on_progress, "My week, my streak and a chart"),
    Command("help", handlers.on_help, "What this bot can do"),
    Command("start", handlers.on_start, "Welcome and safety note"),
    Command("mydata", handlers.on_mydata, "See what is stored about you"),
    Command("forget", handlers.on_forget, "Delete everything about you"),
    # staff only: answered as an unknown command outside the staff chat
    Command("patient", handlers.on_patient, None),
    Command("adherence", handlers.on_adherence, None),
)


def bot_commands() -> list[BotCommand]:
    return [BotCommand(c.name, c.menu) for c in COMMANDS if c.menu is not None]
