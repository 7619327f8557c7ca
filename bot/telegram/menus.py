"""The bot's command menus (setMyCommands): one per language of the content, by
Telegram's language_code, and one chat's own after its patient chose a language with
/language. The commands in the menu are bot/content/texts.py MENU_COMMANDS, in order
(bot/telegram/commands.py answers them)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.content.model import Content
from bot.content.texts import MENU_COMMANDS

log = logging.getLogger(__name__)


def bot_commands(content: Content, lang: str) -> list[BotCommand]:
    """The menu in one language (the descriptions are content: texts menu_<name>)."""
    return [BotCommand(name, content.text(lang, f"menu_{name}")) for name in MENU_COMMANDS]


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


async def set_chat_menu(bot: Bot, content: Content, lang: str, chat_id: int) -> None:
    """One chat's menu in the language its patient chose with /language (Telegram's own
    choice, by the app's language, may differ). Best effort: a failure is logged."""
    try:
        await bot.set_my_commands(bot_commands(content, lang), scope=BotCommandScopeChat(chat_id))
    except TelegramError as error:
        log.warning("menu.chat_failed", extra={"error": type(error).__name__})


async def set_menus(bot: Bot, content: Content, default_language: str) -> None:
    """The menu in every language of the content, by Telegram's language_code; users of any
    other language see the clinic's default language. Sent together: start-up waits on it."""
    calls = [bot.set_my_commands(bot_commands(content, default_language))]
    calls += [
        bot.set_my_commands(bot_commands(content, lang), language_code=code)
        for code, lang in menu_languages(content.languages, default_language).items()
    ]
    await asyncio.gather(*calls)
