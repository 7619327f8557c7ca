"""Issue 15 from end to end: a clinic invites a patient, who exercises over three simulated
weeks with a partly done day, soreness, a lapse, a skipped day and a pain hold; the patient
sees their own dose, the weekly summary, the lapse note and /progress; the staff chat gets
the weekly digest with its CSV; and `exercise-bot report` gives figures that match the
sessions played. The real bot on the local Telegram emulator, SQLite and PostgreSQL.

The calendar (Boston, the clinic's zone too; reminders Mon/Wed/Fri at 18:00):

    week 1, 2-8 March    Mon done, Wed partly and sore, Fri done
    week 2, 9-15 March   nothing: lapsed from Tue 10, the note with Wed 11's reminder
    week 3, 16-22 March  Mon all skipped, Wed "It hurt" (on hold), Fri no reminder
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.core.clock import FakeClock
from bot.sandbox.harness import Sandbox
from bot.sandbox.models import ChatMessage
from bot.sandbox.world import SimUser
from tests.e2e.journeys import (
    hold_text,
    label,
    patient_of,
    play_session,
    say,
    tap,
    tap_newest,
    tap_next_until_question,
)
from tests.e2e.test_invites import invite, start_with
from tests.e2e.test_session_media import shown

BOSTON = ZoneInfo("America/New_York")
STAFF_ID = 990_015
REF = "MRN-0042"
MONDAY_0600 = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # EST; DST begins Sunday 8 March


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A Boston wall-clock time in March 2026, as UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=BOSTON).astimezone(UTC)


@pytest.fixture
async def clinic(database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(
        database_url=database_url, staff_chat_id=STAFF_ID, clock=FakeClock(MONDAY_0600)
    ) as running:
        yield running


def reminders(sandbox: Sandbox, user: SimUser) -> dict[date, str]:
    """The text of each daily reminder the patient got, by its Boston date."""
    start = label(sandbox, "reminder", minutes=7).split("!")[0]
    return {
        m.date.astimezone(BOSTON).date(): m.text or ""
        for m in user.bot_messages
        if start in (m.text or "")
    }


def digests(sandbox: Sandbox, staff: SimUser) -> dict[date, list[ChatMessage]]:
    """Each weekly digest by its Boston date: the list, then the CSV and the chart."""
    assert sandbox.services is not None
    title = sandbox.services.content.raw_text("en", "staff_digest").split("{")[0]
    messages = staff.bot_messages
    return {
        m.date.astimezone(BOSTON).date(): messages[i : i + 3]
        for i, m in enumerate(messages)
        if (m.text or "").startswith(title)
    }


def csv_rows(sandbox: Sandbox, message: ChatMessage) -> dict[str, dict[str, str]]:
    assert message.media is not None and message.media.kind == "document"
    data = sandbox.world.files.content(message.media)
    assert data is not None
    return {r["patient_code"]: r for r in csv.DictReader(io.StringIO(data.decode()))}


def line(sandbox: Sandbox, exercised: int, planned: int, partly: int, pain: int, sore: int) -> str:
    return label(
        sandbox,
        "staff_adherence_line",
        code=REF,
        exercised=exercised,
        planned=planned,
        percent=round(100 * exercised / planned),
        partly=partly,
        pain=pain,
        sore=sore,
    )


def run_report(url: str, out: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("DATABASE_URL", url)
    argv = ["report", "--from", "2026-03-02", "--to", "2026-03-22", "--format", "csv"]
    return main([*argv, "--out", str(out)])


async def test_three_weeks_from_invite_to_report(
    clinic: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = clinic
    staff = sandbox.world.create_user(user_id=STAFF_ID, first_name="Staff")
    own_dose = "30 seconds each time, 3 rounds"

    # --- the invite: program, own dose and the clinic's reference ---------------------------
    token = await invite(sandbox, staff, f"lower-back ref={REF} hook-lying-march.sets=3")
    user = sandbox.user("Rosa")
    await start_with(sandbox, user, token)
    patient = await patient_of(sandbox, user)
    assert (patient.program_id, patient.clinic_ref) == ("lower-back", REF)
    assert patient.dose == {"hook-lying-march": {"sets": 3}}
    await tap(sandbox, user, "btn_later")
    await tap(sandbox, user, "btn_set_reminders")
    for day in ("Mon", "Wed", "Fri"):
        await tap(sandbox, user, day)
    await tap(sandbox, user, "btn_weekly_summary")
    assert user.toasts[-1] == label(sandbox, "toast_weekly_on")
    await tap(sandbox, user, "btn_days_done")
    await tap(sandbox, user, "btn_other_time")
    await say(sandbox, user, "18:00")
    await say(sandbox, user, "Boston")

    # --- week 1: done (the steps show the patient's own dose), partly and sore, done -------
    await say(sandbox, user, "/exercise")
    await tap(sandbox, user, "btn_begin")
    assert label(sandbox, "dose_line", dose=own_dose) in (shown(sandbox, user).text or "")
    await tap_next_until_question(sandbox, user)
    await tap_newest(sandbox, user, "btn_feel_fine")
    await sandbox.advance_to(at(4, 12))
    await play_session(sandbox, user, skips=1, feeling="btn_feel_sore")
    await sandbox.advance_to(at(6, 12))
    await play_session(sandbox, user)

    # --- week 2: nothing; Monday's reminder sums up week 1, Wednesday's has the lapse note --
    await sandbox.advance_to(at(15, 20))
    sent = reminders(sandbox, user)
    assert {date(2026, 3, d) for d in (9, 11, 13)} <= set(sent)
    assert sent[date(2026, 3, 9)].startswith(
        label(sandbox, "weekly_summary", exercised=3, planned=3)
    )
    assert label(sandbox, "progress_streak", streak=3) in sent[date(2026, 3, 9)]
    note = label(sandbox, "lapse_note")
    assert [d for d, text in sent.items() if note in text] == [date(2026, 3, 11)]

    # --- week 3: the summary of a missed week, all skipped, then "It hurt" -----------------
    await sandbox.advance_to(at(16, 18, 1))
    monday = reminders(sandbox, user)[date(2026, 3, 16)]
    assert monday.startswith(label(sandbox, "weekly_summary", exercised=0, planned=3))
    assert label(sandbox, "weekly_summary_missed") in monday
    assert note not in monday  # one note per lapse
    await play_session(sandbox, user, skips=2)
    await sandbox.advance_to(at(18, 12))
    await play_session(sandbox, user, feeling="btn_feel_pain")
    await tap_newest(sandbox, user, "btn_warning_no")
    assert (await patient_of(sandbox, user)).hold_since is not None
    await sandbox.advance_to(at(22, 12))
    sent = reminders(sandbox, user)
    assert date(2026, 3, 20) not in sent  # on hold: no reminder
    assert [d for d, text in sent.items() if note in text] == [date(2026, 3, 11)]

    # --- /progress on Sunday: this week, the hold advice first, the chart ------------------
    await say(sandbox, user, "/progress")
    figures, hold, chart = user.bot_messages[-3:]
    assert label(sandbox, "progress_week", exercised=0, planned=3) in (figures.text or "")
    assert hold.text == hold_text(sandbox)
    assert chart.media is not None and chart.media.kind == "photo"

    # --- the weekly digests: Monday 08:00 in Boston, by the clinic's reference -------------
    await sandbox.advance_to(at(23, 8, 1))
    by_day = digests(sandbox, staff)
    assert {date(2026, 3, d) for d in (9, 16, 23)} <= set(by_day)
    for day in (9, 16, 23):
        assert by_day[date(2026, 3, day)][0].date == at(day, 8)
    week1, week2, week3 = (by_day[date(2026, 3, d)][0].text or "" for d in (9, 16, 23))
    assert line(sandbox, 3, 3, partly=1, pain=0, sore=1) in week1
    assert line(sandbox, 0, 3, partly=0, pain=0, sore=0) in week2
    assert label(sandbox, "staff_adherence_lapsed", days=sandbox.settings.lapse_days) in week2
    assert line(sandbox, 0, 3, partly=0, pain=1, sore=0) in week3
    assert label(sandbox, "staff_adherence_hold", since="2026-03-18") in week3
    assert patient.code not in week1 + week2 + week3  # the reference stands in for it
    _, document, photo = by_day[date(2026, 3, 23)]
    assert photo.media is not None and photo.media.kind == "photo"
    row = csv_rows(sandbox, document)[patient.code]
    assert (row["clinic_ref"], row["pain_reports"], row["on_hold"]) == (REF, "1", "yes")

    # --- the report over the three weeks matches what was played ---------------------------
    out = tmp_path / "report.csv"
    url = sandbox.settings.database_url
    assert await asyncio.to_thread(run_report, url, out, monkeypatch) == 0
    [report] = list(csv.DictReader(io.StringIO(out.read_text())))
    figures_of = {k: report[k] for k in report if k != "period_from"}
    expected = {
        "patient_code": patient.code,
        "clinic_ref": REF,
        "planned_days": "9",  # 3 weeks of Mon/Wed/Fri
        "planned_days_exercised": "3",  # 2, 4 and 6 March
        "adherence_percent": "33",
        "days_done": "2",
        "days_partly": "1",
        "days_skipped": "1",  # 16 March
        "days_pain": "1",  # 18 March
        "pain_reports": "1",
        "soreness_reports": "1",
        "on_hold": "yes",
        "on_hold_since": "2026-03-18",
    }
    assert {k: figures_of[k] for k in expected} == expected
