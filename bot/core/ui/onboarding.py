"""The first minute with the bot: consent, the program, the alerts question, starting now
or later, and reminders. One question per screen, and never a screen without a way on."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Self

from bot.content.model import Content
from bot.core.callbacks import Action, Callback, InvalidCallback
from bot.core.dates import language_name
from bot.core.invites import looks_like_token
from bot.core.screens import Button, Screen, clinic_values, text
from bot.core.ui.language import LanguageChoice


@dataclass(frozen=True)
class AgreeIn:
    """Agreeing, in the language the consent screen was shown in: it becomes the patient's
    (they may have picked it with /language before agreeing). Older buttons carry none.
    After an invite link, the link's token too (``es/<token>``): it is used when the
    patient agrees, in the same transaction that creates them."""

    lang: str
    token: str | None = None

    def arg(self) -> str:
        return self.lang if self.token is None else f"{self.lang}/{self.token}"

    @classmethod
    def parse(cls, arg: str, languages: Collection[str]) -> Self:
        lang, slash, token = arg.partition("/")
        if lang and lang not in languages:
            raise InvalidCallback("no such language")
        if slash and not looks_like_token(token):
            raise InvalidCallback("not a token")
        return cls(lang, token if slash else None)


def _button(content: Content, lang: str, key: str, action: Action) -> Button:
    return Button(content.text(lang, key), Callback(action))


def _start_button(content: Content, lang: str) -> tuple[tuple[Button, ...], ...]:
    return ((_button(content, lang, "btn_start", Action.WELCOME),),)


def consent_screen(
    content: Content, lang: str, *, token: str | None = None, program_title: str | None = None
) -> Screen:
    """The safety note and the consent question; after an invite link, which program the
    clinic chose, and the link's token in the Agree button. The other languages are offered
    below it (each named in itself), carrying the token too."""
    parts = [text(content, lang, "welcome_new", clinic_name=content.clinic_in(lang).name)]
    if program_title is not None:
        parts.append(text(content, lang, "invite_welcome", program_title=program_title))
    parts += [text(content, lang, "advice_before_start"), text(content, lang, "consent_prompt")]
    current = content.language_of(lang)
    agree = AgreeIn(current, token)
    others = tuple(
        Button(
            language_name(code), Callback(Action.LANGUAGE, arg=LanguageChoice(code, token).arg())
        )
        for code in sorted(content.languages)
        if code != current
    )
    answers = (
        Button(content.text(lang, "btn_agree"), Callback(Action.AGREE, arg=agree.arg())),
        _button(content, lang, "btn_decline", Action.DECLINE),
    )
    return Screen("\n\n".join(parts), (answers, others) if others else (answers,))


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


def welcome_back_screen(content: Content, lang: str, program_title: str, lead: str = "") -> Screen:
    """``lead``: what an invite link just did (or why it did nothing)."""
    back = text(content, lang, "welcome_back", program_title=program_title)
    return Screen(
        f"{lead}\n\n{back}" if lead else back,
        (
            (
                _button(content, lang, "btn_start_now", Action.START_NOW),
                _button(content, lang, "btn_later", Action.LATER),
            ),
        ),
    )


def invite_only_screen(content: Content, lang: str) -> Screen:
    """INVITE_ONLY, and no link: how to get one (from the clinic), and nothing stored."""
    return Screen(text(content, lang, "invite_only", **clinic_values(content, lang)))


def invite_problem_screen(content: Content, lang: str, key: str, invite_only: bool) -> Screen:
    """A link that cannot be used (``key``: invite_bad, invite_used, invite_expired); without
    INVITE_ONLY, the patient may also begin with the usual program."""
    problem = text(content, lang, key)
    if invite_only:
        return Screen(problem)
    return Screen(f"{problem}\n\n{text(content, lang, 'invite_start_anyway')}")


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
