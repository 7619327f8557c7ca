"""Every command the bot answers, once: its handler and whether it is in the menu
(setMyCommands), in menu order. The descriptions are content (texts menu_<name>, in each
language; bot/content/texts.py MENU_COMMANDS lists them in this order). The staff's
/patient, /adherence, /invite, /program and /dose are answered but not in the menu."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

from telegram import Bot, BotCommand, Update

from bot.content.model import Content
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


def bot_commands(content: Content, lang: str) -> list[BotCommand]:
    """The menu in one language (the descriptions are content: texts menu_<name>)."""
    return [BotCommand(c.name, content.text(lang, f"menu_{c.name}")) for c in COMMANDS if c.in_menu]


def menu_languages(languages: Iterable[str], default_language: str) -> dict[str, str]:
    """Telegram's language_code (two letters, ISO 639-1: all Telegram takes) -> the content
    language whose menu those users see. The default language's users get the menu without
    a code; a regional language ("pt-br") serves its two letters unless the plain one ("pt")
    exists too."""
    default = default_language.split("-")[0]
    menus: dict[str, str] = {}
    for lang in sorted(languages, key=lambda code: ("-" in code, code)):
        code = lang.split("-")[0]
        if code != default and code not in menus:
            menus[code] = lang
    return menus


async def set_menus(bot: Bot, content: Content, default_language: str) -> None:
    """The menu in every language of the content, by Telegram's language_code; users of any
    other language see the clinic's default language. Sent together: start-up waits on it."""
    calls = [bot.set_my_commands(bot_commands(content, default_language))]
    calls += [
        bot.set_my_commands(bot_commands(content, lang), language_code=code)
        for code, lang in menu_languages(content.languages, default_language).items()
    ]
    await asyncio.gather(*calls)
