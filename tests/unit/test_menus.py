"""Telegram's command menu per language (setMyCommands): which language_code gets which
content language's menu. Telegram takes two-letter codes only (ISO 639-1)."""

from __future__ import annotations

from bot.content import default_content_dir
from bot.content.loader import load_content
from bot.content.texts import MENU_COMMANDS
from bot.telegram.commands import COMMANDS
from bot.telegram.menus import bot_commands, menu_languages


def test_each_other_language_gets_its_menu_by_its_code() -> None:
    assert menu_languages(["en", "es"], "en") == {"es": "es"}
    assert menu_languages(["en", "es"], "es") == {"en": "en"}  # a Spanish clinic
    assert menu_languages(["en"], "en") == {}


def test_a_regional_language_serves_its_two_letters() -> None:
    assert menu_languages(["en", "pt-br"], "en") == {"pt": "pt-br"}
    assert menu_languages(["en", "pt-br", "pt"], "en") == {"pt": "pt"}  # the plain one wins
    assert menu_languages(["en", "pt-br", "pt-pt"], "en") == {"pt": "pt-br"}
    assert menu_languages(["en", "en-gb", "es"], "en") == {"es": "es"}  # the default's own
    assert menu_languages(["en", "es", "es-mx"], "es-mx") == {"en": "en"}


def test_the_menus_are_the_content_in_each_language() -> None:
    content = load_content(default_content_dir())
    english, spanish = bot_commands(content, "en"), bot_commands(content, "es")
    assert [c.command for c in english] == [c.command for c in spanish]
    assert all(1 <= len(c.description) <= 256 for c in (*english, *spanish))
    assert {c.command: c.description for c in spanish}["language"] == "Cambiar el idioma"
    assert {c.command for c in english}.isdisjoint({"patient", "adherence"})  # staff only


def test_the_menu_lists_exactly_the_commands_answered_for_it() -> None:
    """The menu comes from MENU_COMMANDS; every one is answered, and every answered command
    marked for the menu is in it, in the same order."""
    assert [c.name for c in COMMANDS if c.in_menu] == list(MENU_COMMANDS)
