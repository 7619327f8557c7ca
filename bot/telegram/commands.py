"""The commands shown in Telegram's menu (setMyCommands), in menu order."""

from __future__ import annotations

from telegram import BotCommand

MENU: tuple[tuple[str, str], ...] = (
    ("exercise", "Start today's exercises"),
    ("cancel", "Stop the session in progress"),
    ("help", "What this bot can do"),
    ("start", "Welcome and safety note"),
    ("mydata", "See what is stored about you"),
    ("forget", "Delete everything about you"),
)


def bot_commands() -> list[BotCommand]:
    return [BotCommand(name, description) for name, description in MENU]
