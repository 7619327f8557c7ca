"""Draws the example charts in docs/ (docs/CLINIC.md shows them) with the bot's own code.

    .venv/bin/python tools/charts/render_docs.py

The figures are made up (four weeks of one patient; a clinic's period; a clinic's week for
the digest); the drawing, the words and the colours are exactly what the bot sends.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from bot import charts
from bot.content.loader import bundled_content_dir, load_content
from bot.core.adherence import WeekFigures
from bot.core.clinic_report import PatientFacts, patient_row
from bot.core.session import Category
from bot.core.ui.clinic import ADHERENCE_LINES
from bot.core.ui.progress import week_label
from bot.reports import patient_bars

DOCS = Path(__file__).resolve().parents[2] / "docs"


def labels(content, title_key: str) -> charts.ChartLabels:  # type: ignore[no-untyped-def]
    text = content.text
    return charts.ChartLabels(
        title=text("en", title_key),
        done=text("en", "history_done"),
        partly=text("en", "history_partly"),
        pain=text("en", "history_pain"),
        skipped=text("en", "history_skipped"),
        planned=text("en", "chart_planned"),
        days=text("en", "chart_days"),
    )


def main() -> None:
    content = load_content(bundled_content_dir())
    weeks = [
        WeekFigures(date(2026, 2, 9), 3, done=2, partly=1),
        WeekFigures(date(2026, 2, 16), 3, done=1, skipped=1),
        WeekFigures(date(2026, 2, 23), 3, done=1, pain=1),
        WeekFigures(date(2026, 3, 2), 3, done=1),
    ]
    png = charts.bar_chart(
        charts.week_bars(weeks, [week_label("en", w.start) for w in weeks]),
        labels(content, "chart_weeks_title"),
    )
    (DOCS / "progress-chart.png").write_bytes(png)
    print("docs/progress-chart.png")
    clinic = [
        charts.Bar("P-7K3Q9M", 5, 1, 0, 0, 6),
        charts.Bar("P-AB4CD7", 1, 1, 1, 1, 6),
        charts.Bar("P-H2JK8N", 2, 0, 0, 0, None),
        charts.Bar("P-Q9RS3T", 9, 2, 0, 1, 12),
    ]
    png = charts.bar_chart(clinic, labels(content, "chart_patients_title"), horizontal=True)
    (DOCS / "report-chart.png").write_bytes(png)
    print("docs/report-chart.png")
    digest_chart(content)


def digest_chart(content) -> None:  # type: ignore[no-untyped-def]
    """A clinic's week as the Monday digest draws it: rows made by the bot's own
    ``patient_row`` from a week of made-up days, named as the digest names them."""
    first = date(2026, 11, 23)  # a Monday; the digest of Monday 30 November
    last = first + timedelta(days=6)
    mon_wed_fri = frozenset({0, 2, 4})
    d = Category

    def facts(name: str, ref: str | None, weekdays: frozenset[int] | None, days: dict[int, Category], hold: bool = False) -> PatientFacts:  # noqa: E501
        return PatientFacts(
            code=name,
            status="active",
            agreed=date(2026, 10, 1),
            weekdays=weekdays,
            days={first + timedelta(days=i): kind for i, kind in days.items()},
            answers=[(first + timedelta(days=3), "pain")] if hold else [],
            on_hold_since=first + timedelta(days=3) if hold else None,
            clinic_ref=ref,
        )

    week = [
        facts("P-7K3Q9M", "R-1042", mon_wed_fri, {0: d.DONE, 2: d.DONE, 4: d.DONE}),
        facts("P-AB4CD7", "R-1057", mon_wed_fri, {0: d.PARTLY, 4: d.DONE}),
        facts("P-H2JK8N", None, frozenset(range(7)), {0: d.DONE, 1: d.DONE, 3: d.SKIPPED}),
        facts("P-Q9RS3T", "R-1103", mon_wed_fri, {0: d.DONE, 3: d.PAIN}, hold=True),
        facts("P-M5TV2W", None, mon_wed_fri, {}),
        facts("P-X8YZ4B", None, None, {1: d.DONE, 5: d.PARTLY}),
    ]
    rows = [patient_row(f, first, last, last + timedelta(days=1)) for f in week]
    png = charts.bar_chart(
        patient_bars(rows[:ADHERENCE_LINES]),
        labels(content, "chart_patients_title"),
        horizontal=True,
    )
    (DOCS / "digest-chart.png").write_bytes(png)
    print("docs/digest-chart.png")


if __name__ == "__main__":
    main()
