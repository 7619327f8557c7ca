"""/progress: the patient's own adherence, this week and the last four (docs/CLINIC.md).

Read only. The chart is drawn in a thread (bot/charts.py), so a slow drawing never holds
up another chat's update; a patient on hold sees the hold advice after the figures, as on
every way into the exercises.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta

from bot import charts
from bot.core import adherence, screens
from bot.core.session import Category
from bot.core.ui import progress as ui
from bot.core.ui import safety as safety_ui
from bot.services.context import Patron, Services
from bot.services.replies import Photo, Reply, say
from bot.store.models import ExerciseSession, Patient

log = logging.getLogger(__name__)


def planned_weekdays(patient: Patient) -> frozenset[int] | None:
    """The reminder days, when the patient has reminders on; otherwise no plan."""
    if not (patient.reminders_enabled and patient.reminder_days):
        return None
    return screens.mask_to_days(patient.reminder_days)


def results_of(sessions: list[ExerciseSession], zone: str) -> dict[date, Category]:
    """Each local day with a counted session, by its best one."""
    days = []
    for s in sessions:
        kind = adherence.session_category(
            s.outcome, s.exercises or (), s.completed or (), s.finished_at is not None
        )
        if kind is not None:
            days.append((adherence.local_day(s.started_at, zone), kind))
    return adherence.day_results(days)


def chart_labels(svc: Services, lang: str, title_key: str) -> charts.ChartLabels:
    text = svc.content.text
    return charts.ChartLabels(
        title=text(lang, title_key),
        done=text(lang, "history_done"),
        partly=text(lang, "history_partly"),
        pain=text(lang, "history_pain"),
        skipped=text(lang, "history_skipped"),
        planned=text(lang, "chart_planned"),
        days=text(lang, "chart_days"),
    )


async def progress(svc: Services, who: Patron) -> Reply:
    now = svc.clock.now()
    async with svc.db.unit_of_work(read_only=True) as uow:
        patient = await uow.patients.by_telegram_id(who.user_id)
        if patient is None or patient.consent_at is None:
            return say(ui.nothing_yet(svc.content, svc.language(who.language)))
        since = now - timedelta(days=adherence.STREAK_LOOKBACK_DAYS + 1)
        sessions = await uow.sessions.recent_for_patient(patient.id, since)
    lang = patient.language
    zone = patient.timezone or svc.content.clinic.timezone
    today = adherence.local_day(now, zone)
    figures = adherence.progress(
        results_of(sessions, zone),
        today,
        planned_weekdays(patient),
        since=adherence.local_day(patient.consent_at, zone),
    )
    shown = [ui.progress_screen(svc.content, lang, figures, patient.weekly_summary)]
    if patient.hold_since is not None:
        shown.append(safety_ui.hold_screen(svc.content, lang))
    labels = [ui.week_label(lang, w.start) for w in figures.weeks]
    try:
        png = await asyncio.to_thread(
            charts.bar_chart,
            charts.week_bars(figures.weeks, labels),
            chart_labels(svc, lang, "chart_weeks_title"),
        )
    except Exception as error:  # the figures above stand without their picture
        log.warning("progress.chart_failed", extra={"error": type(error).__name__})
        return say(*shown)
    caption = svc.content.text(lang, "chart_weeks_title")
    return Reply(send=tuple(shown), photo=Photo("progress.png", png, caption))
