"""`exercise-bot report` after sessions played through the real bot: the figures match
what was played, on SQLite and PostgreSQL; the HTML report renders in headless Chromium."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.charts import DONE, PAIN
from bot.cli import main
from bot.sandbox.harness import Sandbox
from tests.e2e.journeys import (
    answer_alerts_if_asked,
    patient_of,
    play_session,
    say,
    subscribe_on,
    tap,
)

MONDAY_MORNING = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # 06:00 in Boston
FIRST, LAST = date(2026, 3, 2), date(2026, 3, 15)


async def play_two_weeks(sandbox: Sandbox) -> tuple[str, str]:
    """Two patients: one on Mon/Wed/Fri with a skip, soreness and then pain (on hold), one
    without reminder days."""
    sandbox.clock.set(MONDAY_MORNING)
    kept, free = sandbox.user("Kim"), sandbox.user("Lee")
    await subscribe_on(sandbox, kept, ("Mon", "Wed", "Fri"))
    await say(sandbox, free, "/start")
    await tap(sandbox, free, "btn_agree")
    await answer_alerts_if_asked(sandbox, free)
    await tap(sandbox, free, "btn_later")
    await play_session(sandbox, kept)  # Mon 2: done
    await play_session(sandbox, free, skips=1)  # Mon 2: partly
    await sandbox.advance(timedelta(days=2))
    await play_session(sandbox, kept, skips=1, feeling="btn_feel_sore")  # Wed 4: partly, sore
    await sandbox.advance(timedelta(days=5))  # Fri 6 missed
    await play_session(sandbox, kept, skips=2)  # Mon 9: skipped
    await sandbox.advance(timedelta(days=2))
    await play_session(sandbox, kept, feeling="btn_feel_pain")  # Wed 11: it hurt
    return (await patient_of(sandbox, kept)).code, (await patient_of(sandbox, free)).code


def run_report(url: str, out: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("DATABASE_URL", url)
    return main(
        ["report", "--from", str(FIRST), "--to", str(LAST), "--format", fmt, "--out", str(out)]
    )


def chromium(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=True).stdout


async def test_report_csv_matches_the_sessions_played(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept, free = await play_two_weeks(sandbox)
    out = tmp_path / "report.csv"
    url = sandbox.settings.database_url
    assert await asyncio.to_thread(run_report, url, out, "csv", monkeypatch) == 0
    rows = {r["patient_code"]: r for r in csv.DictReader(io.StringIO(out.read_text()))}
    assert set(rows) == {kept, free}
    k = rows[kept]
    assert (k["planned_days"], k["planned_days_exercised"], k["adherence_percent"]) == (
        "6",
        "2",
        "33",
    )
    assert (k["days_done"], k["days_partly"], k["days_skipped"], k["days_pain"]) == (
        "1",
        "1",
        "1",
        "1",
    )
    assert (k["pain_reports"], k["soreness_reports"], k["on_hold"]) == ("1", "1", "yes")
    assert k["on_hold_since"] == "2026-03-11"
    f = rows[free]
    assert (f["planned_days"], f["adherence_percent"], f["days_partly"], f["on_hold"]) == (
        "",
        "",
        "1",
        "no",
    )
    text = out.read_text()
    assert "Kim" not in text and "Lee" not in text  # codes only


async def test_report_html_renders_tables_and_chart_in_chromium(
    sqlite_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip(
            "chromium is not installed (Debian: apt-get install chromium); .ci/run installs it"
        )
    kept, free = await play_two_weeks(sqlite_sandbox)
    out = tmp_path / "report.html"
    url = sqlite_sandbox.settings.database_url
    assert await asyncio.to_thread(run_report, url, out, "html", monkeypatch) == 0
    html = out.read_text()
    assert "<script" not in html and "http" not in html.split("<svg", 1)[0]  # self-contained
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = await asyncio.to_thread(chromium, browser, *flags, "--dump-dom", out.as_uri())
    assert dom.count("<tr>") == 3  # the header and two patients
    assert kept in dom and free in dom and "<svg" in dom
    shot = tmp_path / "shot.png"
    await asyncio.to_thread(
        chromium, browser, *flags, f"--screenshot={shot}", "--window-size=1400,1400", out.as_uri()
    )
    image = Image.open(shot).convert("RGB")
    colours = {c for _, c in image.getcolors(maxcolors=10_000_000) or []}
    assert len(colours) > 20  # not blank

    def rgb(hex_colour: str) -> tuple[int, int, int]:
        return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]

    assert rgb(DONE) in colours and rgb(PAIN) in colours  # the chart's bars were drawn
