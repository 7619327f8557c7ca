"""What the clinic's staff see: a patient looked up by code, with "clear" while on hold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from bot.content.model import Content
from bot.core.callbacks import Action, Callback, InvalidCallback
from bot.core.codes import is_patient_code
from bot.core.screens import Button, Screen, text


@dataclass(frozen=True)
class StaffClear:
    """The patient a "clear" button is about, by code (never a database id)."""

    code: str

    def arg(self) -> str:
        return self.code

    @classmethod
    def parse(cls, arg: str) -> Self:
        if not is_patient_code(arg):
            raise InvalidCallback("not a patient code")
        return cls(arg)


@dataclass(frozen=True)
class PatientSummary:
    """What a lookup found, as lines already in the clinic's time."""

    code: str
    status: str
    on_hold_since: str | None
    sessions: tuple[str, ...]
    reports: tuple[str, ...]


def patient_screen(content: Content, lang: str, summary: PatientSummary) -> Screen:
    body = text(
        content,
        lang,
        "staff_patient",
        code=summary.code,
        status=summary.status,
        since=summary.on_hold_since or "-",
        sessions="\n".join(summary.sessions) or "-",
        reports="\n".join(summary.reports) or "-",
    )
    if summary.on_hold_since is None:
        return Screen(body)
    clear = Button(
        content.text(lang, "btn_staff_clear"),
        Callback(Action.STAFF_CLEAR, arg=StaffClear(summary.code).arg()),
    )
    return Screen(body, ((clear,),))
