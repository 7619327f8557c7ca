"""/language: the languages of the content, each named in itself, and the choice's data."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Self

from bot.content.model import Content
from bot.core.callbacks import Action, Callback, InvalidCallback
from bot.core.dates import language_name
from bot.core.invites import looks_like_token
from bot.core.screens import Button, Screen, rows, text


@dataclass(frozen=True)
class LanguageChoice:
    """A language of the content, by its code ("es"); on the consent screen of an invite
    link, the link's token too (``es/<token>``), so that choosing a language before
    agreeing keeps the clinic's program."""

    code: str
    token: str | None = None

    def arg(self) -> str:
        return self.code if self.token is None else f"{self.code}/{self.token}"

    @classmethod
    def parse(cls, arg: str, languages: Collection[str]) -> Self:
        code, slash, token = arg.partition("/")
        if code not in languages:
            raise InvalidCallback("no such language")
        if slash and not looks_like_token(token):
            raise InvalidCallback("not a token")
        return cls(code, token if slash else None)


def language_screen(content: Content, lang: str) -> Screen:
    """Each language by its own name ("English", "Español"), the current one ticked, so a
    patient who cannot read the current language still finds theirs."""
    current = content.language_of(lang)
    buttons = [
        Button(
            ("✓ " if code == current else "") + language_name(code),
            Callback(Action.LANGUAGE, arg=LanguageChoice(code).arg()),
        )
        for code in sorted(content.languages)
    ]
    return Screen(
        text(content, lang, "language_choose", language=language_name(current)),
        rows(buttons, per_row=2),
    )


def language_set_screen(content: Content, lang: str) -> Screen:
    return Screen(text(content, lang, "language_set"))
