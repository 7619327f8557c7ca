"""/progress: this week against the plan, the streak, and the words on the 4-week chart."""

from __future__ import annotations

from datetime import date

from bot.content.model import Content
from bot.core.adherence import Progress
from bot.core.dates import day_month
from bot.core.screens import Screen, text


def progress_screen(content: Content, lang: str, figures: Progress) -> Screen:
    week = figures.week
    if figures.has_schedule and week.planned is not None:
        lines = [
            text(content, lang, "progress_week", exercised=week.exercised, planned=week.planned)
        ]
    else:
        lines = [text(content, lang, "progress_week_no_schedule", exercised=week.exercised)]
    if week.partly:
        lines.append(text(content, lang, "progress_partly", partly=week.partly))
    if figures.streak:
        lines.append(text(content, lang, "progress_streak", streak=figures.streak))
    else:
        lines.append(text(content, lang, "progress_streak_none"))
    return Screen("\n\n".join(lines))


def nothing_yet(content: Content, lang: str) -> Screen:
    return Screen(text(content, lang, "progress_none"))


def week_label(lang: str, monday: date) -> str:
    """A week by its Monday: "2 Mar", "2 mar" (CLDR's month names, bot/core/dates.py)."""
    return day_month(monday, lang)
