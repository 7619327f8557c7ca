"""The charts (bot/charts.py): real PNG and SVG files with something drawn on them."""

from __future__ import annotations

import io
from datetime import date

from PIL import Image

from bot.charts import Bar, ChartLabels, bar_chart, week_bars
from bot.core.adherence import WeekFigures

LABELS = ChartLabels(
    "Your last 4 weeks", "done", "partly done", "it hurt", "skipped", "planned", "days"
)


def _colours(png: bytes) -> set[tuple[int, ...]]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return {colour for _, colour in image.getcolors(maxcolors=1_000_000) or []}


def test_the_weeks_chart_is_a_phone_sized_png_with_every_kind_drawn() -> None:
    weeks = [
        WeekFigures(date(2026, 2, 9), 3, done=2, partly=1),
        WeekFigures(date(2026, 2, 16), 3, done=1, pain=1, skipped=1),
        WeekFigures(date(2026, 2, 23), 3),
        WeekFigures(date(2026, 3, 2), None, done=1),
    ]
    png = bar_chart(week_bars(weeks, ["9 Feb", "16 Feb", "23 Feb", "2 Mar"]), LABELS)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.width >= 800 and image.height >= 500
    colours = _colours(png)
    for wanted in ((0x00, 0x9E, 0x73), (0x56, 0xB4, 0xE9), (0xD5, 0x5E, 0x00), (0xB0, 0xB0, 0xB0)):
        assert wanted in colours


def test_the_patients_chart_grows_with_the_list_and_has_an_svg_twin() -> None:
    bars = [Bar(f"P-{i:06d}", i % 3, 1, 0, 1, 3) for i in range(20)]
    few = Image.open(io.BytesIO(bar_chart(bars[:2], LABELS, horizontal=True)))
    many = Image.open(io.BytesIO(bar_chart(bars, LABELS, horizontal=True)))
    assert many.height > few.height
    svg = bar_chart(bars, LABELS, "svg", horizontal=True).decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert svg.count("<path") > 20  # bars, outlines and the text (drawn as paths)
