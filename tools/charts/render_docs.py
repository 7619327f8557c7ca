"""Draws the example charts in docs/ (docs/CLINIC.md shows them) with the bot's own code.

    .venv/bin/python tools/charts/render_docs.py

The figures are made up (four weeks of one patient; a clinic's week); the drawing, the
words and the colours are exactly what the bot sends.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot import charts
from bot.content.loader import bundled_content_dir, load_content
from bot.core.adherence import WeekFigures
from bot.core.ui.progress import week_label

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
        charts.week_bars(weeks, [week_label(content, "en", w.start) for w in weeks]),
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


if __name__ == "__main__":
    main()
