"""The clinic's adherence figures: one row per patient over a period (docs/CLINIC.md).

Read only, one unit of work. Used by ``exercise-bot report``, the weekly digest and
``/adherence``. Rows name patients by code (and the clinic's own reference, if any) only.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from bot import charts
from bot.core import adherence, screens
from bot.core.clinic_report import PatientFacts, PatientRow, csv_text, patient_row
from bot.core.screens import Screen
from bot.core.session import Category
from bot.core.ui import clinic as ui
from bot.reports import patient_bars
from bot.services.context import Patron, Services
from bot.services.progress import chart_labels, planned_weekdays
from bot.services.reminders import LapseFacts, lapse_facts, lapse_of
from bot.services.replies import Document, Photo, Reply
from bot.store.models import Patient

log = logging.getLogger(__name__)
DEFAULT_DAYS = 7
MAX_DAYS = 366


def _utc_window(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC instants that hold every local date from first to last in any time zone."""
    start = datetime.combine(first, time(), tzinfo=UTC) - timedelta(days=1)
    end = datetime.combine(last, time(), tzinfo=UTC) + timedelta(days=2)
    return start, end


async def clinic_rows(svc: Services, first: date, last: date) -> list[PatientRow]:
    """Every patient who agreed, by code: their figures from ``first`` to ``last``."""
    start, end = _utc_window(first, last)
    async with svc.db.unit_of_work(read_only=True) as uow:
        patients = await uow.patients.agreed()
        sessions = await uow.sessions.started_between(start, end)
        reports = await uow.reports.between(start, end)
        lapses = await lapse_facts(svc, uow, [p.id for p in patients])
    now = svc.clock.now()
    by_patient: dict[int, list[tuple[date, Category]]] = defaultdict(list)
    answers: dict[int, list[tuple[date, str]]] = defaultdict(list)
    ratings: dict[int, list[tuple[date, int]]] = defaultdict(list)
    zones = {p.id: p.timezone or svc.content.clinic.timezone for p in patients}
    for s in sessions:
        kind = adherence.session_category(
            s.outcome, s.exercises or (), s.completed or (), s.finished_at is not None
        )
        if kind is not None and s.patient_id in zones:
            by_patient[s.patient_id].append(
                (adherence.local_day(s.started_at, zones[s.patient_id]), kind)
            )
    for r in reports:
        if r.patient_id in zones:
            day = adherence.local_day(r.created_at, zones[r.patient_id])
            answers[r.patient_id].append((day, r.kind))
            if r.kind == "pain" and r.rating is not None:
                ratings[r.patient_id].append((day, r.rating))
    rows = []
    for p in patients:
        zone = zones[p.id]
        assert p.consent_at is not None
        agreed = adherence.local_day(p.consent_at, zone)
        today = adherence.local_day(now, zone)
        weekdays = planned_weekdays(p)
        facts = PatientFacts(
            code=p.code,
            status=p.status,
            agreed=agreed,
            weekdays=weekdays,
            days=adherence.day_results(by_patient[p.id]),
            answers=answers[p.id],
            on_hold_since=adherence.local_day(p.hold_since, zone) if p.hold_since else None,
            ratings=ratings[p.id],
            clinic_ref=p.clinic_ref,
            lapsed=_lapsed(svc, p, lapses, now),
        )
        rows.append(patient_row(facts, first, last, today))
    return rows


# --- lapses (issue 15): the "lapsed" flag of the list and the CSV --------------------------


def _lapsed(svc: Services, patient: Patient, facts: LapseFacts, now: datetime) -> bool:
    """Lapsed today, by the rule the reminder's lapse note follows (bot.core.adherence)."""
    return lapse_of(svc.settings.lapse_days, patient, facts, now)[0]


def period_of(args: list[str], today: date) -> tuple[date, date] | None:
    """``/adherence [DAYS]``: the last DAYS days up to today (7 without); None if DAYS is
    not a whole number from 1 to 366."""
    if not args:
        return today - timedelta(days=DEFAULT_DAYS - 1), today
    raw = args[0].strip()
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_DAYS:
        return None
    return today - timedelta(days=int(raw) - 1), today


async def staff_adherence(svc: Services, who: Patron, args: list[str]) -> Reply:
    """/adherence in the staff chat: every patient's figures by code, a chart and the CSV."""
    lang = svc.settings.default_language
    today = adherence.local_day(svc.clock.now(), svc.content.clinic.timezone)
    period = period_of(args, today)
    if period is None:
        return Reply(send=(Screen(screens.text(svc.content, lang, "staff_usage")),))
    return await adherence_reply(svc, *period)


async def adherence_reply(
    svc: Services, first: date, last: date, *, title_key: str = "staff_adherence"
) -> Reply:
    """The figures of ``first``..``last`` as the staff chat gets them: the list, the chart
    (best effort) and the CSV. ``/adherence`` and the weekly digest (``staff_digest``,
    bot/services/digest.py) both come from here."""
    return await figures_reply(
        svc, await clinic_rows(svc, first, last), first, last, title_key=title_key
    )


async def figures_reply(
    svc: Services,
    rows: list[PatientRow],
    first: date,
    last: date,
    *,
    title_key: str = "staff_adherence",
) -> Reply:
    """``rows`` as the staff chat gets them (see ``adherence_reply``)."""
    lang = svc.settings.default_language
    screen = ui.adherence_screen(
        svc.content,
        lang,
        rows,
        first,
        last,
        lapse_days=svc.settings.lapse_days,
        title_key=title_key,
    )
    if not rows:
        return Reply(send=(screen,))
    name = f"adherence-{first.isoformat()}-{last.isoformat()}"
    document = Document(
        f"{name}.csv",
        csv_text(rows, first, last).encode("utf-8"),
        svc.content.text(lang, "staff_adherence_csv"),
    )
    try:
        png = await asyncio.to_thread(
            charts.bar_chart,
            patient_bars(rows[: ui.ADHERENCE_LINES]),
            chart_labels(svc, lang, "chart_patients_title"),
            horizontal=True,
        )
    except Exception as error:  # the list and the CSV carry the figures without it
        log.warning("adherence.chart_failed", extra={"error": type(error).__name__})
        return Reply(send=(screen,), document=document)
    photo = Photo(f"{name}.png", png, svc.content.text(lang, "chart_patients_title"))
    return Reply(send=(screen,), document=document, photo=photo)
