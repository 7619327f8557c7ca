"""Every command the bot answers, once: its handler and whether it is in the menu
(setMyCommands), in menu order. The descriptions are content (texts menu_<name>, in each
language; bot/content/texts.py MENU_COMMANDS lists them in this order, and
bot/telegram/menus.py sets the menus). The staff's /patient, /adherence, /invite, /program
and /dose are answered but not in the menu."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import Update

from bot.telegram import handlers

Handler = Callable[[Update, handlers.Context], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    in_menu: bool = True  # its description is the content's text menu_<name>


COMMANDS: tuple[Command, ...] = (
    Command("exercise", handlers.on_exercise),
    Command("cancel", handlers.on_cancel),
    Command("settings", handlers.on_settings),
    Command("next", handlers.on_next),
    Command("pause", handlers.on_pause),
    Command("resume", handlers.on_resume),
    Command("stop", handlers.on_stop),
    Command("history", handlers.on_history),
    Command("progress", handlers.on_progress),
    Command("language", handlers.on_language),
    Command("help", handlers.on_help),
    Command("start", handlers.on_start),
    Command("mydata", handlers.on_mydata),
    Command("forget", handlers.on_forget),
    # staff only: answered as an unknown command outside the staff chat
    Command("patient", handlers.on_patient, in_menu=False),
    Command("adherence", handlers.on_adherence, in_menu=False),
    Command("invite", handlers.on_invite, in_menu=False),
    Command("program", handlers.on_program, in_menu=False),
    Command("dose", handlers.on_dose, in_menu=False),
)
