"""The reminder message and the reminder commands (/next, /pause, /resume, /stop): what
each says in every state, and their button data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Self

from bot.content.model import Content
from bot.core.callbacks import Action, Callback, InvalidCallback, canonical_number
from bot.core.screens import Button, Screen, rows, text

SNOOZE_CHOICES = (15, 30, 60)
PAUSE_CHOICES = (1, 3, 7, 0)  # days; 0 = until resumed
MAX_SNOOZES = 3


class Standing(StrEnum):
    """Where a patient's reminders stand, for telling them the truth."""

    NONE = "none"  # never set up (or no consent)
    STOPPED = "stopped"  # /stop
    HELD = "held"  # after a pain report, until a clinician clears them
    PAUSED_OPEN = "paused_open"  # /pause until resumed
    PAUSED = "paused"  # /pause for some days (a next reminder exists)
    ACTIVE = "active"


def _day(arg: str) -> date:
    if len(arg) != 8 or not arg.isascii() or not arg.isdigit():
        raise InvalidCallback("bad day")
    try:
        return date(int(arg[:4]), int(arg[4:6]), int(arg[6:]))
    except ValueError as error:
        raise InvalidCallback("bad day") from error


@dataclass(frozen=True)
class ForDay:
    """A reminder's buttons name the local day it was for: a tap on an older one is stale."""

    day: date

    def arg(self) -> str:
        return self.day.strftime("%Y%m%d")

    @classmethod
    def parse(cls, arg: str) -> Self:
        return cls(_day(arg))


@dataclass(frozen=True)
class SnoozeFor:
    day: date
    minutes: int

    def arg(self) -> str:
        return f"{self.day:%Y%m%d}-{self.minutes}"

    @classmethod
    def parse(cls, arg: str) -> Self:
        day, _, minutes = arg.partition("-")
        number = canonical_number(minutes)
        if number not in SNOOZE_CHOICES:
            raise InvalidCallback("bad snooze")
        return cls(_day(day), number)


@dataclass(frozen=True)
class PauseFor:
    days: int  # 0 = until resumed

    def arg(self) -> str:
        return str(self.days)

    @classmethod
    def parse(cls, arg: str) -> Self:
        days = canonical_number(arg)
        if days not in PAUSE_CHOICES:
            raise InvalidCallback("bad pause")
        return cls(days)


def reminder_screen(
    content: Content,
    lang: str,
    day: date,
    minutes: int,
    *,
    late: bool,
    nudge: bool = False,
    doses: str = "",
    lapse: bool = False,
    summary: str | None = None,
) -> Screen:
    """The reminder. ``doses``: the patient's own dose per exercise (bullet lines), when
    they have one; ``lapse``: the one gentle note of a lapse follows it, with a way to
    change the days or take a week off; ``summary``: last week's, above it."""
    body = text(content, lang, "nudge" if nudge else "reminder", minutes=minutes)
    if doses:
        body += "\n\n" + text(content, lang, "reminder_dose", doses=doses)
    if late:
        body += "\n\n" + text(content, lang, "reminder_late")
    if lapse:
        body += "\n\n" + text(content, lang, "lapse_note")
    if summary:
        body = summary + "\n\n" + body
    for_day = ForDay(day).arg()
    buttons: tuple[tuple[Button, ...], ...] = (
        (
            Button(
                content.text(lang, "btn_rem_start"),
                Callback(Action.REMINDER_START, arg=for_day),
            ),
            Button(content.text(lang, "btn_snooze"), Callback(Action.SNOOZE, arg=for_day)),
            Button(
                content.text(lang, "btn_skip_today"),
                Callback(Action.SKIP_TODAY, arg=for_day),
            ),
        ),
    )
    if lapse:
        buttons += (
            (
                Button(content.text(lang, "btn_lapse_change"), Callback(Action.SETUP_REMINDERS)),
                Button(
                    content.text(lang, "btn_lapse_pause"),
                    Callback(Action.PAUSE_FOR, arg=PauseFor(7).arg()),
                ),
            ),
        )
    return Screen(body, buttons)


def snooze_screen(content: Content, lang: str, day: date) -> Screen:
    choices = [
        Button(
            content.text(lang, "btn_snooze_minutes", minutes=m)
            if m < 60
            else content.text(lang, "btn_snooze_hour"),
            Callback(Action.SNOOZE_FOR, arg=SnoozeFor(day, m).arg()),
        )
        for m in SNOOZE_CHOICES
    ]
    return Screen(text(content, lang, "snooze_choose"), (tuple(choices),))


def next_text(content: Content, lang: str, standing: Standing, when: str | None) -> str:
    """/next: the next reminder, or the truth about why none will come."""
    if standing is Standing.HELD:
        return text(content, lang, "next_on_hold")
    if standing is Standing.STOPPED:
        return text(content, lang, "next_stopped")
    if standing is Standing.PAUSED_OPEN:
        return text(content, lang, "paused_open")
    if when is None:
        return text(content, lang, "no_reminders")
    return text(content, lang, "next_reminder", when=when)


def pause_question(content: Content, lang: str) -> Screen:
    labels = {
        1: content.text(lang, "btn_pause_day"),
        3: content.text(lang, "btn_pause_days", days=3),
        7: content.text(lang, "btn_pause_week"),
        0: content.text(lang, "btn_pause_open"),
    }
    buttons = [
        Button(labels[d], Callback(Action.PAUSE_FOR, arg=PauseFor(d).arg())) for d in PAUSE_CHOICES
    ]
    return Screen(text(content, lang, "pause_choose"), rows(buttons, 2))


def cannot_pause_text(content: Content, lang: str, standing: Standing) -> str:
    """/pause when there is nothing to pause."""
    if standing is Standing.HELD:
        return text(content, lang, "pause_on_hold")
    if standing is Standing.STOPPED:
        return text(content, lang, "next_stopped")
    return text(content, lang, "no_reminders")


def paused_text(content: Content, lang: str, when: str | None) -> str:
    if when is None:
        return text(content, lang, "paused_open")
    return text(content, lang, "paused_until", when=when)


def stop_question(content: Content, lang: str) -> Screen:
    return Screen(
        text(content, lang, "stop_confirm"),
        (
            (
                Button(content.text(lang, "btn_stop_yes"), Callback(Action.STOP_YES)),
                Button(content.text(lang, "btn_stop_no"), Callback(Action.STOP_NO)),
            ),
        ),
    )


def kept_text(content: Content, lang: str, standing: Standing) -> str:
    """ "No, keep them": what really stays."""
    if standing is Standing.HELD:
        return text(content, lang, "stop_kept_on_hold")
    if standing in (Standing.NONE, Standing.STOPPED):
        return text(content, lang, "no_reminders")
    if standing is Standing.PAUSED_OPEN:
        return text(content, lang, "paused_open")
    return text(content, lang, "stop_kept")
