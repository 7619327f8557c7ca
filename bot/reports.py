"""``exercise-bot report``: the clinic's figures as CSV or as one self-contained HTML page.

The HTML page needs nothing else: its style is inline and its chart is an inline SVG, so it
can be mailed, archived or opened offline. Patients appear by code only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from html import escape

from bot import charts
from bot.core.clinic_report import COLUMNS, PatientRow, csv_row, csv_text

__all__ = ["csv_text", "html_report", "patient_bars"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border: 1px solid #bbb; padding: 0.3rem 0.5rem; text-align: right; }
th { background: #eee; } td:first-child, th:first-child { text-align: left; }
.chart svg { max-width: 100%; height: auto; }
.note { color: #555; font-size: 0.9rem; max-width: 50rem; }
"""


LABEL_CHARS = 16
"""A bar's label at most (a clinic's reference may be longer): the chart stays readable."""


def short(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"


def patient_bars(rows: Sequence[PatientRow]) -> list[charts.Bar]:
    return [
        charts.Bar(
            short(r.name), r.days_done, r.days_partly, r.days_pain, r.days_skipped, r.planned_days
        )
        for r in rows
    ]


def html_report(
    rows: Sequence[PatientRow],
    first: date,
    last: date,
    *,
    clinic: str,
    labels: charts.ChartLabels,
    made_at: datetime,
) -> str:
    period = f"{first.isoformat()} to {last.isoformat()}"
    if rows:
        svg = charts.bar_chart(patient_bars(rows), labels, "svg", horizontal=True).decode()
        svg = svg[svg.index("<svg") :]  # inline: without the XML declaration and doctype
        chart = f'<div class="chart" id="chart">{svg}</div>'
    else:
        chart = '<p id="chart">No patients yet.</p>'
    head = "".join(f"<th>{escape(c)}</th>" for c in COLUMNS)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{escape(v)}</td>" for v in csv_row(r, first, last)) + "</tr>"
        for r in rows
    )
    total_planned = sum(r.planned_days or 0 for r in rows)
    total_kept = sum(r.planned_days_exercised or 0 for r in rows)
    overall = f"{round(100 * total_kept / total_planned)}%" if total_planned else "-"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Adherence {escape(period)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>Adherence: {escape(clinic)}</h1>
<p>{escape(period)} (days in each patient's own time zone). Made {made_at:%Y-%m-%d %H:%M} UTC.
Patients: {len(rows)}. Planned days exercised, all patients: {overall}.</p>
<h2>Days exercised against days planned</h2>
{chart}
<h2>Per patient</h2>
<table id="patients">
<thead><tr>{head}</tr></thead>
<tbody>
{body}
</tbody>
</table>
<p class="note">Patients are named by their code only. What each column means:
docs/CLINIC.md of the exercise bot ("The CSV columns"). An empty planned_days means the
patient has no reminder days, so there is no plan to count against.</p>
</body>
</html>
"""
