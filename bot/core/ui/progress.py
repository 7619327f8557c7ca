"""/progress: this week against the plan, the streak, and the words on the 4-week chart."""

from __future__ import annotations

from datetime import date

from bot.content.model import Content
from bot.core.adherence import Progress, WeekSummary
from bot.core.dates import day_month
from bot.core.screens import Screen, text


def progress_screen(
    content: Content, lang: str, figures: Progress, weekly: bool | None = None
) -> Screen:
    """The figures; ``weekly`` (the patient's weekly summary setting, None: not offered,
    without reminder days) adds a last line about the weekly summary."""
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
    if weekly is not None and figures.has_schedule:
        lines.append(text(content, lang, "progress_weekly_on" if weekly else "progress_weekly_off"))
    return Screen("\n\n".join(lines))


def weekly_summary_text(content: Content, lang: str, summary: WeekSummary, lapse: bool) -> str:
    """Last week against its plan and the streak (the words of /progress), and a gentle word
    when the week was missed (left out when the lapse note says it already)."""
    week = summary.week
    if week.planned:
        lines = [
            text(content, lang, "weekly_summary", exercised=week.exercised, planned=week.planned)
        ]
    else:
        lines = [text(content, lang, "weekly_summary_no_plan", exercised=week.exercised)]
    if summary.streak:
        lines.append(text(content, lang, "progress_streak", streak=summary.streak))
    if summary.missed and not lapse:
        lines.append(text(content, lang, "weekly_summary_missed"))
    return "\n".join(lines)


def nothing_yet(content: Content, lang: str) -> Screen:
    return Screen(text(content, lang, "progress_none"))


def week_label(lang: str, monday: date) -> str:
    """A week by its Monday: "2 Mar", "2 mar" (CLDR's month names, bot/core/dates.py)."""
    return day_month(monday, lang)
