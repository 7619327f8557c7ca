"""The clinic's figures per patient over a period: one row each, for the staff digest,
``/adherence`` and ``exercise-bot report`` (the CSV columns are documented in
docs/CLINIC.md; ``tests/unit/test_clinic_report.py`` keeps the two in step).

Pure: the use case hands in each patient's local days and answers; nothing here reads a
database. A patient is named by their pseudonymous code, or by the clinic's own reference
when an invite link gave one (``PatientRow.name``), never a name or a text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.core.adherence import EXERCISED, planned_in
from bot.core.session import Category

PAIN_KINDS = frozenset({"pain"})
SORE_KINDS = frozenset({"sore", "sore_still"})  # after a session, and still sore two days on
CLEARED_KINDS = frozenset({"cleared"})


@dataclass(frozen=True)
class PatientFacts:
    """What the figures are made from, in the patient's local dates."""

    code: str
    status: str
    agreed: date
    weekdays: frozenset[int] | None  # reminder days while reminders are on; None: no plan
    days: Mapping[date, Category]  # each day's best counted session
    answers: Sequence[tuple[date, str]]  # (day, report kind)
    on_hold_since: date | None
    # --- pain ratings (issue 15) ---
    # (day of the pain report, its 0-10 rating), in the order reported; rated reports only
    ratings: Sequence[tuple[date, int]] = ()
    clinic_ref: str | None = None  # the clinic's own reference (invite link), if any
    lapsed: bool = False  # today, by bot.core.adherence.is_lapsed (LAPSE_DAYS)


@dataclass(frozen=True)
class PatientRow:
    code: str
    status: str
    planned_days: int | None
    planned_days_exercised: int | None
    adherence_percent: int | None
    days_exercised: int
    days_done: int
    days_partly: int
    days_skipped: int
    days_pain: int
    days_stopped: int
    pain_reports: int
    soreness_reports: int
    clearances: int
    on_hold_since: date | None
    # --- pain ratings (issue 15) ---
    # the period's 0-10 ratings of pain reports, (report day, rating), in the order reported
    ratings: tuple[tuple[date, int], ...] = ()

    @property
    def rating_values(self) -> tuple[int, ...]:
        return tuple(value for _, value in self.ratings)

    @property
    def rating_mean(self) -> float | None:
        """The mean rating to one decimal; None without ratings."""
        values = self.rating_values
        return round(sum(values) / len(values), 1) if values else None

    @property
    def rating_max(self) -> int | None:
        return max(self.rating_values, default=None)

    @property
    def rating_first(self) -> int | None:
        return self.rating_values[0] if self.ratings else None

    @property
    def rating_last(self) -> int | None:
        return self.rating_values[-1] if self.ratings else None

    clinic_ref: str | None = None
    lapsed: bool = False

    @property
    def name(self) -> str:
        """How the clinic's views name the patient: the clinic's own reference when an
        invite link gave one, else the code."""
        return self.clinic_ref or self.code


COLUMNS = (
    "patient_code",
    "period_from",
    "period_to",
    "status",
    "planned_days",
    "planned_days_exercised",
    "adherence_percent",
    "days_exercised",
    "days_done",
    "days_partly",
    "days_skipped",
    "days_pain",
    "days_stopped",
    "pain_reports",
    "soreness_reports",
    "clearances",
    "on_hold",
    "on_hold_since",
    # pain ratings (issue 15): new columns go at the end, so older readers keep working
    "pain_ratings",
    "pain_rating_mean",
    "pain_rating_max",
    "pain_rating_first",
    "pain_rating_last",
    "clinic_ref",
    "lapsed",
)


def patient_row(facts: PatientFacts, first: date, last: date, today: date) -> PatientRow:
    """The figures of ``first``..``last`` (both included). Planned days are counted up to
    today at most (a day to come is not missed yet) and from the day the patient agreed."""
    days = {d: k for d, k in facts.days.items() if first <= d <= last}
    kinds = list(days.values())
    exercised = {d for d, k in days.items() if k in EXERCISED}
    planned = planned_days = planned_exercised = percent = None
    if facts.weekdays:
        planned = planned_in(facts.weekdays, first, min(last, today), since=facts.agreed)
        planned_days = len(planned)
        planned_exercised = sum(1 for d in planned if d in exercised)
        percent = round(100 * planned_exercised / planned_days) if planned_days else None
    answers = [kind for d, kind in facts.answers if first <= d <= last]
    return PatientRow(
        code=facts.code,
        status=facts.status,
        planned_days=planned_days,
        planned_days_exercised=planned_exercised,
        adherence_percent=percent,
        days_exercised=len(exercised),
        days_done=kinds.count(Category.DONE),
        days_partly=kinds.count(Category.PARTLY),
        days_skipped=kinds.count(Category.SKIPPED),
        days_pain=kinds.count(Category.PAIN),
        days_stopped=kinds.count(Category.STOPPED),
        pain_reports=sum(1 for k in answers if k in PAIN_KINDS),
        soreness_reports=sum(1 for k in answers if k in SORE_KINDS),
        clearances=sum(1 for k in answers if k in CLEARED_KINDS),
        on_hold_since=facts.on_hold_since,
        ratings=tuple((d, r) for d, r in facts.ratings if first <= d <= last),
        clinic_ref=facts.clinic_ref,
        lapsed=facts.lapsed,
    )


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def csv_row(row: PatientRow, first: date, last: date) -> list[str]:
    values: tuple[object, ...] = (
        row.code,
        first.isoformat(),
        last.isoformat(),
        row.status,
        row.planned_days,
        row.planned_days_exercised,
        row.adherence_percent,
        row.days_exercised,
        row.days_done,
        row.days_partly,
        row.days_skipped,
        row.days_pain,
        row.days_stopped,
        row.pain_reports,
        row.soreness_reports,
        row.clearances,
        row.on_hold_since is not None,
        row.on_hold_since.isoformat() if row.on_hold_since else None,
        len(row.ratings),
        row.rating_mean,
        row.rating_max,
        row.rating_first,
        row.rating_last,
        row.clinic_ref,
        row.lapsed,
    )
    return [_cell(v) for v in values]


def csv_text(rows: Iterable[PatientRow], first: date, last: date) -> str:
    """UTF-8 CSV with a header row, one line per patient (``\\r\\n``, as RFC 4180 says)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(csv_row(row, first, last))
    return out.getvalue()


def last_week(today: date) -> tuple[date, date]:
    """The last full week, Monday to Sunday, before the week of ``today``."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(days=7), monday - timedelta(days=1)
