"""The commands shown in Telegram's menu (setMyCommands), in menu order."""

from __future__ import annotations

from telegram import BotCommand

MENU: tuple[tuple[str, str], ...] = (
    ("exercise", "Start today's exercises"),
    ("cancel", "Stop the session in progress"),
    ("settings", "Choose reminder days, time and zone"),
    ("next", "When is my next reminder?"),
    ("pause", "Pause reminders"),
    ("resume", "Turn reminders back on"),
    ("stop", "Stop all reminders"),
    ("history", "My last 14 days"),
    ("help", "What this bot can do"),
    ("start", "Welcome and safety note"),
    ("mydata", "See what is stored about you"),
    ("forget", "Delete everything about you"),
)


def bot_commands() -> list[BotCommand]:
    return [BotCommand(name, description) for name, description in MENU]
