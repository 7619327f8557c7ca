"""Issue 15 through the real bot, the fake clock driving simulated weeks (SQLite and
PostgreSQL): one gentle note per lapse with a reminder, none for a patient on hold,
paused, stopped or without a schedule; the weekly summary on the patient's own local
Monday with the missed-week word; the settings toggle; Spanish; the staff list's flag."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox.harness import Sandbox
from bot.sandbox.world import SimUser
from tests.e2e.journeys import (
    answer_alerts_if_asked,
    label,
    last_text,
    onboard,
    patient_of,
    play_session,
    say,
    subscribe_on,
    tap,
    tap_newest,
)

NY = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # 06:00 in Boston
STAFF_ID = 990_015


def reminders(sandbox: Sandbox, user: SimUser, lang: str = "en") -> list[tuple[datetime, str]]:
    """(when, text) of every reminder message the user got, in order."""
    start = label(sandbox, "reminder", lang, minutes=7).split("!")[0]
    return [
        (e.at, e.text or "")
        for e in sandbox.world.events
        if e.kind == "bot_message" and e.user_id == user.chat_id and start in (e.text or "")
    ]


def noted_days(
    sandbox: Sandbox, user: SimUser, zone: ZoneInfo = NY, lang: str = "en"
) -> list[date]:
    """The local dates of the reminders that carried the lapse note."""
    note = label(sandbox, "lapse_note", lang)
    return [
        at.astimezone(zone).date() for at, text in reminders(sandbox, user, lang) if note in text
    ]


async def subscribe_every_day(sandbox: Sandbox, user: SimUser, at: str = "7:30") -> None:
    """Agree, then reminders every day at ``at`` in Boston (any language: keys are tapped)."""
    await onboard(sandbox, user)
    await answer_alerts_if_asked(sandbox, user)
    await tap(sandbox, user, "btn_later")
    await tap(sandbox, user, "btn_set_reminders")
    await tap(sandbox, user, "btn_every_day")
    await tap(sandbox, user, "btn_days_done")
    await tap(sandbox, user, "btn_other_time")
    await say(sandbox, user, at)
    await say(sandbox, user, "Boston")


async def weekly_on(sandbox: Sandbox, user: SimUser, lang: str = "en") -> None:
    await say(sandbox, user, "/settings")
    await tap(sandbox, user, "btn_weekly_summary")
    assert user.toasts[-1] == label(sandbox, "toast_weekly_on", lang)


# --- the lapse note ----------------------------------------------------------------------------


async def test_one_lapse_note_per_lapse_and_a_new_one_after_a_session(sandbox: Sandbox) -> None:
    sandbox.clock.set(MONDAY)
    user = sandbox.user()
    await subscribe_every_day(sandbox, user)
    await play_session(sandbox, user)  # Mon 2 (before the 07:30 reminder)
    await sandbox.advance(timedelta(days=9))  # to Wed 11, 07:00: reminders Tue 3 .. Tue 10
    assert len(reminders(sandbox, user)) == 8
    # Fri 6 is 4 days after the last session: one note, and never again in this lapse
    assert noted_days(sandbox, user) == [date(2026, 3, 6)]
    noted = (await patient_of(sandbox, user)).lapse_notified_at
    assert noted is not None and noted.astimezone(NY).date() == date(2026, 3, 6)
    await sandbox.restart_bot()  # nothing in memory: the next days still get none
    await sandbox.advance(timedelta(hours=6))  # Wed 11's reminder
    assert noted_days(sandbox, user) == [date(2026, 3, 6)]
    await play_session(sandbox, user)  # Wed 11: the lapse is over
    await sandbox.advance(timedelta(days=6))  # to Tue 17
    assert noted_days(sandbox, user) == [date(2026, 3, 6), date(2026, 3, 15)]


async def test_the_lapse_note_offers_a_change_of_days_and_a_week_off(sandbox: Sandbox) -> None:
    sandbox.clock.set(MONDAY)
    user = sandbox.user()
    await subscribe_every_day(sandbox, user)
    await sandbox.advance(timedelta(days=4, hours=2))  # Fri 6, 07:30: 4 days since agreeing
    assert label(sandbox, "lapse_note") in last_text(user)
    await tap(sandbox, user, "btn_lapse_change")
    assert last_text(user) == label(sandbox, "settings_days")
    await sandbox.advance(timedelta(days=1))  # Sat 7: the plain reminder again
    assert label(sandbox, "lapse_note") not in last_text(user)
    await tap(sandbox, user, "btn_rem_start")  # a session begun ends the lapse
    await sandbox.advance(timedelta(days=4))  # Wed 11: 4 days later, a new lapse
    assert label(sandbox, "lapse_note") in last_text(user)
    await tap(sandbox, user, "btn_lapse_pause")
    assert (await patient_of(sandbox, user)).paused_until is not None
    assert label(sandbox, "paused_until", when="x")[:10] in last_text(user)


async def test_a_failed_send_is_retried_with_its_note_and_sent_once(sandbox: Sandbox) -> None:
    sandbox.clock.set(MONDAY)
    user = sandbox.user()
    await subscribe_every_day(sandbox, user)
    await sandbox.advance(timedelta(days=3, hours=7))  # Thu 5, 13:00: its reminder sent
    sandbox.emulator.faults.fail_next(2, status=502, method="sendMessage")
    await sandbox.advance(timedelta(days=1))  # Fri 6: refused twice, then delivered
    statuses = [c.status for c in sandbox.emulator.calls if c.method.lower() == "sendmessage"]
    assert statuses[-3:] == [502, 502, 200]
    assert noted_days(sandbox, user) == [date(2026, 3, 6)]
    await sandbox.advance(timedelta(days=3))
    assert noted_days(sandbox, user) == [date(2026, 3, 6)]


async def test_a_week_off_counts_the_lapse_from_the_end_of_the_pause(sandbox: Sandbox) -> None:
    sandbox.clock.set(MONDAY)
    user = sandbox.user()
    await subscribe_every_day(sandbox, user)
    await play_session(sandbox, user)  # Mon 2
    await say(sandbox, user, "/pause")
    await tap(sandbox, user, "btn_pause_week")  # back on Mon 9
    await sandbox.advance(timedelta(days=14))
    # not on Mon 9 (the pause was the patient's choice): 4 days after it ended
    assert noted_days(sandbox, user) == [date(2026, 3, 13)]


async def test_a_hold_cleared_counts_the_lapse_from_the_clearance(sandbox: Sandbox) -> None:
    sandbox.clock.set(MONDAY)
    user = sandbox.user()
    await subscribe_every_day(sandbox, user)
    await play_session(sandbox, user, feeling="btn_feel_pain")  # Mon 2: on hold, no reminders
    await sandbox.advance(timedelta(days=6))  # Sun 8: the doctor said go on
    await say(sandbox, user, "/exercise")
    await tap_newest(sandbox, user, "btn_cleared")
    await tap_newest(sandbox, user, "btn_resume_all")
    assert (await patient_of(sandbox, user)).hold_since is None
    await sandbox.advance(timedelta(days=6))  # to Sat 14, 07:00
    # not on Mon 9, the first reminder after the hold: 4 days after the clearance
    assert noted_days(sandbox, user) == [date(2026, 3, 12)]


@pytest.mark.parametrize("state", ["held", "paused", "stopped", "no schedule", "lapses off"])
async def test_no_note_on_hold_paused_stopped_or_without_a_schedule(
    database_url: str, state: str
) -> None:
    lapse_days = 0 if state == "lapses off" else 4
    async with Sandbox(
        database_url=database_url, staff_chat_id=STAFF_ID, lapse_days=lapse_days
    ) as sandbox:
        sandbox.clock.set(MONDAY)
        user = sandbox.user()
        if state == "no schedule":
            await onboard(sandbox, user)
            await answer_alerts_if_asked(sandbox, user)
            await tap(sandbox, user, "btn_later")
        else:
            await subscribe_every_day(sandbox, user)
        if state == "held":
            await play_session(sandbox, user, feeling="btn_feel_pain")
        elif state == "paused":
            await say(sandbox, user, "/pause")
            await tap(sandbox, user, "btn_pause_open")
        elif state == "stopped":
            await say(sandbox, user, "/stop")
            await tap(sandbox, user, "btn_stop_yes")
        await sandbox.advance(timedelta(days=12))
        note = label(sandbox, "lapse_note")
        assert not any(note in (m.text or "") for m in user.bot_messages)
        assert (await patient_of(sandbox, user)).lapse_notified_at is None
        if state == "lapses off":
            assert len(reminders(sandbox, user)) == 12  # reminders go on, without a note
        staff = sandbox.world.create_user(user_id=STAFF_ID, first_name="Staff")
        await say(sandbox, staff, "/adherence")
        mark = label(sandbox, "staff_adherence_lapsed", days=lapse_days)
        assert not any(mark in (m.text or "") for m in staff.bot_messages)


async def test_the_staff_list_and_csv_flag_a_lapsed_patient(database_url: str) -> None:
    async with Sandbox(database_url=database_url, staff_chat_id=STAFF_ID) as sandbox:
        sandbox.clock.set(MONDAY)
        away, kept = sandbox.user("Kim"), sandbox.user("Lee")
        for user in (away, kept):
            await subscribe_on(sandbox, user, ("Mon", "Wed", "Fri"))
            await play_session(sandbox, user)
        await sandbox.advance(timedelta(days=4))  # Fri 6
        await play_session(sandbox, kept)
        staff = sandbox.world.create_user(user_id=STAFF_ID, first_name="Staff")
        await say(sandbox, staff, "/adherence")
        listing, document = staff.bot_messages[-3:-1]
        lines = {line.split(":")[0]: line for line in (listing.text or "").splitlines()}
        away_code, kept_code = (
            (await patient_of(sandbox, away)).code,
            (await patient_of(sandbox, kept)).code,
        )
        mark = label(sandbox, "staff_adherence_lapsed", days=4)
        assert lines[away_code].endswith(mark) and mark not in lines[kept_code]
        assert document.media is not None
        data = sandbox.world.files.content(document.media)
        assert data is not None
        rows = {r["patient_code"]: r for r in csv.DictReader(io.StringIO(data.decode()))}
        assert (rows[away_code]["lapsed"], rows[kept_code]["lapsed"]) == ("yes", "no")


# --- the weekly summary -----------------------------------------------------------------------


async def test_the_weekly_summary_comes_on_the_patients_own_monday(sandbox: Sandbox) -> None:
    sandbox.clock.set(datetime(2026, 3, 2, 0, 0, tzinfo=UTC))  # Mon 2, 09:00 in Tokyo
    user = sandbox.user()
    await subscribe_on(sandbox, user, ("Mon", "Wed", "Fri"), at="7:00", zone="Tokyo")
    await weekly_on(sandbox, user)
    await play_session(sandbox, user)  # Mon 2
    await sandbox.advance(timedelta(days=2))  # Wed 4, 09:00: the week's first reminder
    await play_session(sandbox, user)
    await sandbox.advance(timedelta(days=2))  # Fri 6
    await play_session(sandbox, user)
    summary = label(sandbox, "weekly_summary", exercised=3, planned=3)
    assert not any(summary in text for _, text in reminders(sandbox, user))
    await sandbox.advance(timedelta(days=3, hours=-1))  # Sun 8, 23:00 UTC: Mon 9, 08:00 Tokyo
    at, text = reminders(sandbox, user)[-1]
    assert at == datetime(2026, 3, 8, 22, 0, tzinfo=UTC)
    assert text.startswith(summary)  # before the reminder, in the same message
    assert label(sandbox, "progress_streak", streak=3) in text
    assert label(sandbox, "weekly_summary_missed") not in text
    # a missed week: the note of its lapse on Wed 11, the gentle word with Mon 16's summary
    await sandbox.advance(timedelta(days=7, hours=1))
    sent = reminders(sandbox, user)
    with_summary = [at.astimezone(TOKYO).date() for at, t in sent if t.startswith("Your week")]
    assert with_summary == [date(2026, 3, 9), date(2026, 3, 16)]
    assert noted_days(sandbox, user, TOKYO) == [date(2026, 3, 11)]
    last = sent[-1][1]
    assert last.startswith(label(sandbox, "weekly_summary", exercised=0, planned=3))
    assert label(sandbox, "weekly_summary_missed") in last


async def test_the_weekly_summary_is_off_until_turned_on_and_off_again(sandbox: Sandbox) -> None:
    sandbox.clock.set(MONDAY)
    user = sandbox.user()
    await subscribe_on(sandbox, user, ("Mon", "Wed", "Fri"))
    await say(sandbox, user, "/progress")
    assert label(sandbox, "progress_weekly_off") in (user.bot_messages[-2].text or "")
    await sandbox.advance(timedelta(days=8))  # to Tue 10: Mon 9 without a summary
    assert not any(t.startswith("Your week") for _, t in reminders(sandbox, user))
    await weekly_on(sandbox, user)
    assert (await patient_of(sandbox, user)).weekly_summary is True
    assert "✓ " + label(sandbox, "btn_weekly_summary") in [
        b.text for row in user.bot_messages[-1].buttons for b in row
    ]
    await say(sandbox, user, "/progress")
    assert label(sandbox, "progress_weekly_on") in (user.bot_messages[-2].text or "")
    await tap(sandbox, user, "✓ " + label(sandbox, "btn_weekly_summary"))
    assert user.toasts[-1] == label(sandbox, "toast_weekly_off")
    assert (await patient_of(sandbox, user)).weekly_summary is False
    await sandbox.advance(timedelta(days=7))  # Mon 16: still none
    assert not any(t.startswith("Your week") for _, t in reminders(sandbox, user))


async def test_a_spanish_patient_gets_the_note_and_the_summary_in_spanish(
    sandbox: Sandbox,
) -> None:
    sandbox.clock.set(datetime(2026, 3, 4, 11, 0, tzinfo=UTC))  # Wed 4, 06:00 in Boston
    user = sandbox.user("Lucía", language_code="es")
    await subscribe_every_day(sandbox, user)
    await weekly_on(sandbox, user, "es")
    await sandbox.advance(timedelta(days=5, hours=2))  # to Mon 9, 08:00
    assert noted_days(sandbox, user, lang="es") == [date(2026, 3, 8)]  # 4 days after Wed 4
    last = reminders(sandbox, user, "es")[-1][1]
    # Wed 4 to Sun 8 planned (from the day of agreeing), none done: the gentle word
    assert last.startswith(label(sandbox, "weekly_summary", "es", exercised=0, planned=5))
    assert label(sandbox, "weekly_summary_missed", "es") in last
