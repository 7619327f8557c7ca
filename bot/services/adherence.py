"""The clinic's adherence figures: one row per patient over a period (docs/CLINIC.md).

Read only, one unit of work. Used by ``exercise-bot report``, the weekly digest and
``/adherence``. Rows name patients by code only.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from bot.core import adherence
from bot.core.clinic_report import PatientFacts, PatientRow, patient_row
from bot.core.session import Category
from bot.services.context import Services
from bot.services.progress import planned_weekdays


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
    now = svc.clock.now()
    by_patient: dict[int, list[tuple[date, Category]]] = defaultdict(list)
    answers: dict[int, list[tuple[date, str]]] = defaultdict(list)
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
            answers[r.patient_id].append(
                (adherence.local_day(r.created_at, zones[r.patient_id]), r.kind)
            )
    rows = []
    for p in patients:
        zone = zones[p.id]
        assert p.consent_at is not None
        facts = PatientFacts(
            code=p.code,
            status=p.status,
            agreed=adherence.local_day(p.consent_at, zone),
            weekdays=planned_weekdays(p),
            days=adherence.day_results(by_patient[p.id]),
            answers=answers[p.id],
            on_hold_since=adherence.local_day(p.hold_since, zone) if p.hold_since else None,
        )
        rows.append(patient_row(facts, first, last, adherence.local_day(now, zone)))
    return rows
