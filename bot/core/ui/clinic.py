"""What the clinic's staff see: a patient looked up by code, with "clear" while on hold;
every patient's adherence figures (/adherence)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Self

from bot.content.model import Content
from bot.content.texts import TEXTS
from bot.core.callbacks import Action, Callback, InvalidCallback
from bot.core.clinic_report import PatientRow
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
    plan: str = ""  # the program, the clinic's reference and the dose (staff_patient_plan)


def status_label(content: Content, lang: str, status: str) -> str:
    """A patient's standing (``patients.status``) in the staff's words; unknown: as stored.
    Plain text: ``staff_patient`` escapes it with the rest."""
    key = f"staff_status_{status}"
    return content.text(lang, key) if key in TEXTS else status


def patient_screen(content: Content, lang: str, summary: PatientSummary) -> Screen:
    body = text(
        content,
        lang,
        "staff_patient",
        code=summary.code,
        status=status_label(content, lang, summary.status),
        since=summary.on_hold_since or "-",
        sessions="\n".join(summary.sessions) or "-",
        reports="\n".join(summary.reports) or "-",
    )
    if summary.plan:
        body = f"{body}\n\n{summary.plan}"
    if summary.on_hold_since is None:
        return Screen(body)
    clear = Button(
        content.text(lang, "btn_staff_clear"),
        Callback(Action.STAFF_CLEAR, arg=StaffClear(summary.code).arg()),
    )
    return Screen(body, ((clear,),))


def report_label(content: Content, lang: str, kind: str, detail: str | None) -> str:
    """What a stored answer was, in the staff's words: "pain reported", "warning signs:
    YES", "cleared (by the patient): all but Bird dog". A kind this code does not know
    is shown as stored. Plain text: ``staff_patient`` escapes it with the rest."""
    if kind == "warning_sign" and detail in ("yes", "no"):
        return content.text(lang, f"staff_report_warning_{detail}")
    if kind == "cleared":
        if detail == "staff":
            return content.text(lang, "staff_report_cleared_staff")
        if detail and detail.startswith("without:"):
            ids = [i for i in detail.removeprefix("without:").split("+") if i in content.exercises]
            titles = ", ".join(content.exercise(i, lang).title for i in ids)
            return content.text(lang, "staff_report_cleared_without", exercises=titles or "-")
        return content.text(lang, "staff_report_cleared_all")
    key = f"staff_report_{kind}"
    return content.text(lang, key) if key in TEXTS else kind


ADHERENCE_LINES = 40
"""Patients listed in the message (and drawn in the chart) at most: a message holds 4,096
characters and a picture stays readable; the CSV beside it always has every one."""


MESSAGE_LIMIT = 4096
"""Telegram's limit for one message, in UTF-16 code units (counted here with the HTML
escapes, which is on the safe side)."""


def adherence_line(content: Content, lang: str, row: PatientRow, lapse_days: int) -> str:
    """One patient's figures, unescaped: named by the clinic's reference, else the code."""
    common = {"code": row.name, "pain": row.pain_reports, "sore": row.soreness_reports}
    if row.planned_days:
        line = content.text(
            lang,
            "staff_adherence_line",
            exercised=row.planned_days_exercised,
            planned=row.planned_days,
            percent=row.adherence_percent,
            partly=row.days_partly,
            **common,
        )
    else:
        line = content.text(
            lang,
            "staff_adherence_line_no_plan",
            exercised=row.days_exercised,
            partly=row.days_partly,
            **common,
        )
    marks = []
    if row.on_hold_since is not None:
        marks.append(
            content.text(lang, "staff_adherence_hold", since=row.on_hold_since.isoformat())
        )
    if row.lapsed:
        marks.append(content.text(lang, "staff_adherence_lapsed", days=lapse_days))
    return " ".join([line, *marks])


def adherence_screen(
    content: Content,
    lang: str,
    rows: Sequence[PatientRow],
    first: date,
    last: date,
    *,
    lapse_days: int,
    title_key: str = "staff_adherence",
) -> Screen:
    """Every patient's figures for the staff chat, never a name or a text: ``/adherence``
    (``staff_adherence``) and the weekly digest (``staff_digest``) differ only in the
    title."""
    if not rows:
        return Screen(text(content, lang, "staff_adherence_none"))
    lines = [adherence_line(content, lang, row, lapse_days) for row in rows[:ADHERENCE_LINES]]
    while True:  # as many lines as fit in one message (long references, many marks)
        shown = list(lines)
        if len(rows) > len(lines):
            shown.append(content.text(lang, "staff_adherence_more", more=len(rows) - len(lines)))
        body = content.text(
            lang,
            title_key,
            first=first.isoformat(),
            last=last.isoformat(),
            count=len(rows),
            patients="\n".join(shown),
        )
        escaped = escape(body, quote=False)
        if len(escaped.encode("utf-16-le")) // 2 <= MESSAGE_LIMIT or len(lines) <= 1:
            return Screen(escaped)
        lines.pop()
