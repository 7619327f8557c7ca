"""The clinic's per-patient figures and their CSV (bot/core/clinic_report.py)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

from bot.core.clinic_report import COLUMNS, PatientFacts, csv_text, last_week, patient_row
from bot.core.session import Category

DOC = Path(__file__).resolve().parents[2] / "docs" / "CLINIC.md"
MON = date(2026, 3, 2)

RATING_COLUMNS = (
    "pain_ratings",
    "pain_rating_mean",
    "pain_rating_max",
    "pain_rating_first",
    "pain_rating_last",
)


def facts(**changes: object) -> PatientFacts:
    base: dict[str, object] = {
        "code": "P-7K3Q9M",
        "status": "active",
        "agreed": MON,
        "weekdays": frozenset({0, 2, 4}),
        "days": {},
        "answers": (),
        "on_hold_since": None,
    }
    return PatientFacts(**{**base, **changes})  # type: ignore[arg-type]


def test_a_patients_week() -> None:
    days = {
        MON: Category.DONE,
        MON + timedelta(1): Category.DONE,  # an extra day
        MON + timedelta(2): Category.PARTLY,
        MON + timedelta(4): Category.PAIN,
        MON + timedelta(8): Category.DONE,  # next week: outside the period
    }
    answers = [(MON, "none"), (MON + timedelta(2), "sore"), (MON + timedelta(4), "pain")]
    row = patient_row(
        facts(days=days, answers=answers, on_hold_since=MON + timedelta(4)),
        MON,
        MON + timedelta(6),
        today=MON + timedelta(20),
    )
    assert (row.planned_days, row.planned_days_exercised, row.adherence_percent) == (3, 2, 67)
    assert (row.days_exercised, row.days_done, row.days_partly, row.days_pain) == (3, 2, 1, 1)
    assert (row.pain_reports, row.soreness_reports, row.on_hold_since) == (1, 1, MON + timedelta(4))


def test_days_to_come_and_days_before_agreeing_are_not_planned() -> None:
    row = patient_row(
        facts(agreed=MON + timedelta(2)), MON, MON + timedelta(6), today=MON + timedelta(3)
    )
    assert row.planned_days == 1  # Wednesday only: Monday was before, Friday is to come
    assert row.adherence_percent == 0
    none = patient_row(facts(weekdays=None), MON, MON + timedelta(6), today=MON)
    assert (none.planned_days, none.adherence_percent) == (None, None)


def test_the_csv_has_the_documented_columns_in_order() -> None:
    row = patient_row(facts(), MON, MON + timedelta(6), today=MON + timedelta(6))
    parsed = list(csv.reader(io.StringIO(csv_text([row], MON, MON + timedelta(6)))))
    assert tuple(parsed[0]) == COLUMNS
    assert parsed[1][:4] == ["P-7K3Q9M", "2026-03-02", "2026-03-08", "active"]
    section = DOC.read_text(encoding="utf-8").split("## The CSV columns", 1)[1].split("\n## ")[0]
    documented = re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE)
    assert tuple(documented) == COLUMNS


def test_last_week_is_the_full_week_before() -> None:
    assert last_week(MON + timedelta(days=3)) == (MON - timedelta(7), MON - timedelta(1))
    assert last_week(MON) == (MON - timedelta(7), MON - timedelta(1))


# --- pain ratings (issue 15) ---------------------------------------------------------------


def test_pain_ratings_of_the_period_in_order() -> None:
    ratings = [
        (MON - timedelta(1), 9),  # the week before: not in the period
        (MON, 7),
        (MON + timedelta(2), 4),
        (MON + timedelta(2), 6),
        (MON + timedelta(5), 2),
    ]
    row = patient_row(facts(ratings=ratings), MON, MON + timedelta(6), today=MON + timedelta(6))
    assert row.rating_values == (7, 4, 6, 2)
    assert (row.rating_mean, row.rating_max, row.rating_first, row.rating_last) == (4.8, 7, 7, 2)
    parsed = list(csv.reader(io.StringIO(csv_text([row], MON, MON + timedelta(6)))))
    figures = dict(zip(parsed[0], parsed[1], strict=True))
    assert [figures[c] for c in RATING_COLUMNS] == ["4", "4.8", "7", "7", "2"]


def test_no_ratings_are_empty_cells_not_zeros() -> None:
    row = patient_row(facts(), MON, MON + timedelta(6), today=MON + timedelta(6))
    assert row.ratings == () and row.rating_mean is None
    parsed = list(csv.reader(io.StringIO(csv_text([row], MON, MON + timedelta(6)))))
    figures = dict(zip(parsed[0], parsed[1], strict=True))
    assert [figures[c] for c in RATING_COLUMNS] == ["0", "", "", "", ""]


def test_a_single_rating_is_its_own_first_last_and_mean() -> None:
    row = patient_row(facts(ratings=[(MON, 0)]), MON, MON, today=MON)
    assert (row.rating_mean, row.rating_max, row.rating_first, row.rating_last) == (0.0, 0, 0, 0)


def test_the_trend_line_puts_10_at_the_top_and_says_its_values() -> None:
    from bot.reports import rating_trend_svg

    svg = rating_trend_svg([10, 0, 5])
    [points] = re.findall(r'<polyline points="([^"]+)"', svg)
    (x0, y0), (x1, y1), (x2, y2) = (tuple(map(float, p.split(","))) for p in points.split())
    assert x0 < x1 < x2
    assert y0 < y2 < y1  # 10 highest, 0 lowest
    assert 'aria-label="pain ratings in order: 10, 0, 5"' in svg
    assert "<script" not in svg and "http" not in svg
    single = rating_trend_svg([4])
    assert single.count("<circle") == 1
