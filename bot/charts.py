"""The adherence charts, drawn with matplotlib (Agg, no display): PNG for Telegram, SVG
for the HTML report.

Figures come in as plain values (``bot.core.adherence``) and labels in the reader's
language; nothing here reads the database or Telegram. Drawing takes tens of milliseconds
(the first call in a process longer: matplotlib loads its fonts), so callers in the bot run
it in a thread (``asyncio.to_thread``), never on the event loop where it would hold up
other chats' updates. matplotlib's Figure API (not pyplot) keeps no global state; the lock
makes one drawing at a time all the same.

Made to be read on a phone: few, large elements, a legend in words, the figures written on
the bars, and colours that stay apart for colour-blind readers (Okabe-Ito).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.core.adherence import WeekFigures

Format = Literal["png", "svg"]

DONE = "#009E73"  # bluish green
PARTLY = "#56B4E9"  # sky blue
PAIN = "#D55E00"  # vermillion
SKIPPED = "#B0B0B0"  # grey
PLANNED = "#222222"

_LOCK = threading.Lock()


@dataclass(frozen=True)
class ChartLabels:
    """The words on a chart, in the reader's language."""

    title: str
    done: str
    partly: str
    pain: str
    skipped: str
    planned: str
    days: str  # the value axis


@dataclass(frozen=True)
class Bar:
    """One bar: a week (the patient's chart) or a patient (the clinic's)."""

    label: str
    done: int
    partly: int
    pain: int
    skipped: int
    planned: int | None


def week_bars(weeks: Sequence[WeekFigures], labels: Sequence[str]) -> list[Bar]:
    return [
        Bar(label, w.done, w.partly, w.pain, w.skipped, w.planned)
        for w, label in zip(weeks, labels, strict=True)
    ]


def bar_chart(
    bars: Sequence[Bar],
    labels: ChartLabels,
    fmt: Format = "png",
    *,
    horizontal: bool = False,
) -> bytes:
    """Stacked bars of days (done, partly, it hurt, skipped), each with its planned days as
    an outline and "exercised/planned" written beside it.

    Vertical bars suit a few weeks; ``horizontal`` suits a list of patients (one row each,
    so a long list grows downwards and stays readable)."""
    with _LOCK:
        return _draw(bars, labels, fmt, horizontal)


def _draw(bars: Sequence[Bar], labels: ChartLabels, fmt: Format, horizontal: bool) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    count = max(len(bars), 1)
    size = (8.0, max(3.5, 1.2 + 0.55 * count)) if horizontal else (8.0, 6.0)
    fig = Figure(figsize=size, dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    positions = list(range(len(bars)))
    top = max([1] + [max(b.planned or 0, b.done + b.partly + b.pain + b.skipped) for b in bars])
    stacks = (
        ("done", DONE, labels.done),
        ("partly", PARTLY, labels.partly),
        ("pain", PAIN, labels.pain),
        ("skipped", SKIPPED, labels.skipped),
    )
    base = [0] * len(bars)
    width = 0.6
    for attr, colour, _ in stacks:
        values = [getattr(b, attr) for b in bars]
        if horizontal:
            ax.barh(positions, values, height=width, left=base, color=colour)
        else:
            ax.bar(positions, values, width=width, bottom=base, color=colour)
        base = [x + v for x, v in zip(base, values, strict=True)]
    for i, bar in enumerate(bars):
        if bar.planned:  # the plan as an outline around the bar's place
            if horizontal:
                ax.barh(
                    i, bar.planned, height=width + 0.16, fill=False,
                    edgecolor=PLANNED, linewidth=2, linestyle="--",
                )  # fmt: skip
            else:
                ax.bar(
                    i, bar.planned, width=width + 0.16, fill=False,
                    edgecolor=PLANNED, linewidth=2, linestyle="--",
                )  # fmt: skip
        exercised = bar.done + bar.partly
        note = f"{exercised}/{bar.planned}" if bar.planned is not None else str(exercised)
        end = max(base[i], bar.planned or 0)
        if horizontal:
            ax.text(end + 0.15, i, note, va="center", ha="left", fontsize=15, weight="bold")
        else:
            ax.text(i, end + 0.12, note, ha="center", va="bottom", fontsize=16, weight="bold")
    names = [b.label for b in bars]
    if horizontal:
        ax.set_yticks(positions, names, fontsize=14)
        ax.invert_yaxis()  # the first patient on top
        ax.set_xlim(0, top + 1.2)
        ax.set_xlabel(labels.days, fontsize=14)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(axis="x", labelsize=13)
    else:
        ax.set_xticks(positions, names, fontsize=15)
        ax.set_ylim(0, top + 1.2)
        ax.set_ylabel(labels.days, fontsize=15)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(axis="y", labelsize=14)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(labels.title, fontsize=18, weight="bold", pad=14)
    legend = [Patch(color=colour, label=label) for _, colour, label in stacks]
    legend.append(
        Patch(fill=False, edgecolor=PLANNED, linewidth=2, linestyle="--", label=labels.planned)
    )
    fig.legend(
        handles=legend, loc="lower center", ncol=3, fontsize=13, frameon=False,
        bbox_to_anchor=(0.5, 0.0),
    )  # fmt: skip
    legend_rows = 0.16 if not horizontal else min(0.3, 0.9 / size[1])
    fig.tight_layout(rect=(0, legend_rows, 1, 1))
    out = io.BytesIO()
    if fmt == "svg":
        fig.savefig(out, format="svg", metadata={"Date": None})
    else:
        fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
