"""The first minute with the bot (bot/core/ui/onboarding.py): one question per screen, and
never a screen without a way on."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import pytest

from bot.content import default_content_dir
from bot.content.loader import load_content
from bot.content.model import Content
from bot.core.callbacks import Action
from bot.core.screens import Screen
from bot.core.ui import onboarding, safety

LANG = "en"


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(default_content_dir())


def actions(screen: Screen) -> list[Action]:
    return [b.callback.action for row in screen.buttons for b in row]


SCREENS: dict[str, Callable[[Content], Screen]] = {
    "consent": lambda c: onboarding.consent_screen(c, LANG),
    "declined": lambda c: onboarding.declined_screen(c, LANG),
    "start_hint": lambda c: onboarding.start_hint_screen(c, LANG),
    "consent_needed": lambda c: onboarding.consent_needed_screen(c, LANG),
    "start_question": lambda c: onboarding.start_question(c, LANG, ""),
    "start_question_after_program": lambda c: onboarding.start_question(
        c, LANG, onboarding.program_chosen(c, LANG, c.default_program.title)
    ),
    "welcome_back": lambda c: onboarding.welcome_back_screen(c, LANG, c.default_program.title),
    "reminders_offer": lambda c: onboarding.reminders_offer_screen(c, LANG),
    "reminders_offer_after_later": lambda c: onboarding.reminders_offer_screen(
        c, LANG, escape(c.text(LANG, "later_ok"), quote=False)
    ),
    # the alerts question follows the program's name on the same screen (services)
    "alerts_after_program": lambda c: Screen(
        onboarding.program_chosen(c, LANG, c.default_program.title)
        + "\n\n"
        + safety.alerts_question(c, LANG, "P-7K3Q9M").text,
        safety.alerts_question(c, LANG, "P-7K3Q9M").buttons,
    ),
}


@pytest.mark.parametrize("name", SCREENS)
def test_one_question_per_screen(content: Content, name: str) -> None:
    """Issue 11, item 10: onboarding asked two or three questions in one message."""
    screen = SCREENS[name](content)
    assert screen.text.count("?") <= 1, screen.text


@pytest.mark.parametrize("name", SCREENS)
def test_every_screen_has_a_way_on(content: Content, name: str) -> None:
    """Issue 11, item 15: no dead ends; every onboarding screen has buttons."""
    screen = SCREENS[name](content)
    assert screen.buttons and all(screen.buttons)


@pytest.mark.parametrize("name", ["declined", "start_hint", "consent_needed"])
def test_the_screens_before_consent_carry_the_start_button(content: Content, name: str) -> None:
    screen = SCREENS[name](content)
    assert actions(screen) == [Action.WELCOME]
    assert screen.buttons[0][0].label == content.text(LANG, "btn_start")


def test_consent_names_the_clinic_advises_first_and_asks_last(content: Content) -> None:
    screen = onboarding.consent_screen(content, LANG)
    assert escape(content.clinic.name, quote=False) in screen.text
    advice = escape(content.text(LANG, "advice_before_start"), quote=False)
    prompt = escape(content.text(LANG, "consent_prompt"), quote=False)
    assert screen.text.index(advice) < screen.text.index(prompt)
    assert screen.text.endswith(prompt)
    assert screen.text.endswith("?")
    assert actions(screen) == [Action.AGREE, Action.DECLINE, Action.LANGUAGE]  # + Español


def test_the_start_question_puts_what_happened_first(content: Content) -> None:
    lead = onboarding.program_chosen(content, LANG, "Lower back")
    screen = onboarding.start_question(content, LANG, lead)
    assert screen.text.startswith(lead + "\n\n")
    assert screen.text.endswith(escape(content.text(LANG, "start_question"), quote=False))
    assert actions(screen) == [Action.START_NOW, Action.LATER]
    plain = onboarding.start_question(content, LANG, "")
    assert not plain.text.startswith("\n")


def test_welcome_back_asks_now_or_later(content: Content) -> None:
    """Issue 11, item 15: /start for a known patient showed buttons but asked nothing."""
    screen = onboarding.welcome_back_screen(content, LANG, "Lower back")
    assert "Lower back" in screen.text
    assert screen.text.count("?") == 1
    assert actions(screen) == [Action.START_NOW, Action.LATER]


def test_the_reminders_offer_has_a_yes_and_a_no(content: Content) -> None:
    screen = onboarding.reminders_offer_screen(content, LANG, "Lead.")
    assert screen.text.startswith("Lead.\n\n")
    assert screen.text.count("?") == 1
    assert actions(screen) == [Action.SETUP_REMINDERS, Action.NO_REMINDERS]


def test_titles_are_escaped(content: Content) -> None:
    assert "&lt;b&gt;" in onboarding.program_chosen(content, LANG, "<b>")
    assert "&lt;b&gt;" in onboarding.welcome_back_screen(content, LANG, "<b>").text
