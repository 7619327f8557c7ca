"""The first minute with the bot: consent, the program, the alerts question, starting now
or later, and reminders. One question per screen, and never a screen without a way on."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Self

from bot.content.model import Content
from bot.core.callbacks import Action, Callback, InvalidCallback
from bot.core.screens import Button, Screen, text


@dataclass(frozen=True)
class AgreeIn:
    """Agreeing, in the language the consent screen was shown in: it becomes the patient's
    (they may have picked it with /language before agreeing). Older buttons carry none."""

    lang: str

    def arg(self) -> str:
        return self.lang

    @classmethod
    def parse(cls, arg: str, languages: Collection[str]) -> Self:
        if arg and arg not in languages:
            raise InvalidCallback("no such language")
        return cls(arg)


def _button(content: Content, lang: str, key: str, action: Action) -> Button:
    return Button(content.text(lang, key), Callback(action))


def _start_button(content: Content, lang: str) -> tuple[tuple[Button, ...], ...]:
    return ((_button(content, lang, "btn_start", Action.WELCOME),),)


def consent_screen(content: Content, lang: str) -> Screen:
    body = "\n\n".join(
        (
            text(content, lang, "welcome_new", clinic_name=content.clinic_in(lang).name),
            text(content, lang, "advice_before_start"),
            text(content, lang, "consent_prompt"),
        )
    )
    return Screen(
        body,
        (
            (
                Button(
                    content.text(lang, "btn_agree"),
                    Callback(Action.AGREE, arg=AgreeIn(content.language_of(lang)).arg()),
                ),
                _button(content, lang, "btn_decline", Action.DECLINE),
            ),
        ),
    )


def declined_screen(content: Content, lang: str) -> Screen:
    return Screen(text(content, lang, "declined"), _start_button(content, lang))


def start_hint_screen(content: Content, lang: str) -> Screen:
    """Text from someone who has not agreed yet: how to begin, with the button to do so."""
    return Screen(text(content, lang, "start_hint"), _start_button(content, lang))


def consent_needed_screen(content: Content, lang: str) -> Screen:
    return Screen(text(content, lang, "consent_needed"), _start_button(content, lang))


def start_question(content: Content, lang: str, lead: str) -> Screen:
    """``lead`` (what just happened), then: do the exercises now or later?"""
    question = text(content, lang, "start_question")
    return Screen(
        f"{lead}\n\n{question}" if lead else question,
        (
            (
                _button(content, lang, "btn_start_now", Action.START_NOW),
                _button(content, lang, "btn_later", Action.LATER),
            ),
        ),
    )


def program_chosen(content: Content, lang: str, program_title: str) -> str:
    return text(content, lang, "program_chosen", program_title=program_title)


def welcome_back_screen(content: Content, lang: str, program_title: str) -> Screen:
    return Screen(
        text(content, lang, "welcome_back", program_title=program_title),
        (
            (
                _button(content, lang, "btn_start_now", Action.START_NOW),
                _button(content, lang, "btn_later", Action.LATER),
            ),
        ),
    )


def reminders_offer_screen(content: Content, lang: str, lead: str = "") -> Screen:
    offer = text(content, lang, "reminders_offer")
    return Screen(
        f"{lead}\n\n{offer}" if lead else offer,
        (
            (
                _button(content, lang, "btn_set_reminders", Action.SETUP_REMINDERS),
                _button(content, lang, "btn_no_reminders", Action.NO_REMINDERS),
            ),
        ),
    )
