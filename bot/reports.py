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
from bot.core.ui.safety import RATING_MAX

__all__ = ["csv_text", "html_report", "patient_bars", "rating_trend_svg"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border: 1px solid #bbb; padding: 0.3rem 0.5rem; text-align: right; }
th { background: #eee; } td:first-child, th:first-child { text-align: left; }
.chart svg { max-width: 100%; height: auto; }
.note { color: #555; font-size: 0.9rem; max-width: 50rem; }
.trend svg { display: block; }
"""
_TREND_WIDTH, _TREND_HEIGHT, _TREND_PAD = 160, 40, 5


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


def rating_trend_svg(values: Sequence[int]) -> str:
    """A small inline line of 0-10 pain ratings in the order reported (higher is worse),
    with its values in words for screen readers. Plain SVG: no script, no link."""
    inner_w = _TREND_WIDTH - 2 * _TREND_PAD
    inner_h = _TREND_HEIGHT - 2 * _TREND_PAD

    def point(i: int, value: int) -> tuple[float, float]:
        x = _TREND_PAD + (inner_w * i / (len(values) - 1) if len(values) > 1 else inner_w / 2)
        y = _TREND_PAD + inner_h * (RATING_MAX - value) / RATING_MAX
        return round(x, 1), round(y, 1)

    points = [point(i, v) for i, v in enumerate(values)]
    said = ", ".join(str(v) for v in values)
    line = " ".join(f"{x},{y}" for x, y in points)
    dots = "".join(f'<circle cx="{x}" cy="{y}" r="3" fill="{charts.PAIN}"/>' for x, y in points)
    top = _TREND_PAD
    return (
        f'<svg width="{_TREND_WIDTH}" '
        f'height="{_TREND_HEIGHT}" viewBox="0 0 {_TREND_WIDTH} {_TREND_HEIGHT}" role="img" '
        f'aria-label="pain ratings in order: {said}">'
        f"<title>Pain ratings in order (0-10): {said}</title>"
        f'<line x1="{_TREND_PAD}" y1="{top}" x2="{_TREND_WIDTH - _TREND_PAD}" y2="{top}" '
        'stroke="#ddd" stroke-dasharray="3,3"/>'
        f'<line x1="{_TREND_PAD}" y1="{_TREND_HEIGHT - _TREND_PAD}" '
        f'x2="{_TREND_WIDTH - _TREND_PAD}" y2="{_TREND_HEIGHT - _TREND_PAD}" stroke="#bbb"/>'
        f'<polyline points="{line}" fill="none" stroke="{charts.PAIN}" stroke-width="2"/>'
        f"{dots}</svg>"
    )


def _ratings_section(rows: Sequence[PatientRow]) -> str:
    rated = [r for r in rows if r.ratings]
    if not rated:
        return (
            '<p id="ratings">No pain ratings in this period (the bot asks for one only when '
            "content/safety.yaml turns <code>pain_rating</code> on).</p>"
        )
    body = "\n".join(
        "<tr>"
        f"<td>{escape(r.name)}</td>"
        f"<td>{escape(', '.join(str(v) for v in r.rating_values))}</td>"
        f"<td>{r.rating_mean}</td><td>{r.rating_max}</td>"
        f'<td class="trend">{rating_trend_svg(r.rating_values)}</td>'
        "</tr>"
        for r in rated
    )
    return f"""<table id="ratings">
<thead><tr><th>patient</th><th>ratings, in order</th><th>mean</th><th>max</th>
<th>trend</th></tr></thead>
<tbody>
{body}
</tbody>
</table>"""


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
<h2>Pain ratings (0 no pain - 10 the worst)</h2>
{_ratings_section(rows)}
<p class="note">Patients are named by their code (or the clinic's own reference, when an
invite link gave one). What each column means:
docs/CLINIC.md of the exercise bot ("The CSV columns"). An empty planned_days means the
patient has no reminder days, so there is no plan to count against.</p>
</body>
</html>
"""
