"""The weekly digest to the staff chat (issue 15), played through the real bot over
simulated weeks with the fake clock, on SQLite and PostgreSQL: it arrives on the clinic's
weekday and time in the clinic's zone (across DST changes), once a week whatever restarts,
with the week's figures, the chart and the CSV; it equals `/adherence` for the same days;
nothing is sent or planned without a staff chat; failed sends are retried; a staff chat
that refuses the bot is logged and blocks no patient."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.clock import FakeClock
from bot.core.timers import Kind
from bot.sandbox.harness import Sandbox
from bot.sandbox.models import ChatMessage
from bot.sandbox.world import SimChat, SimUser
from bot.store.models import Timer
from tests.content_edits import content_dir as content_dir  # the fixture
from tests.content_edits import edit
from tests.e2e.journeys import (
    label,
    onboard,
    patient_of,
    play_session,
    say,
    subscribe_on,
    tap,
)
from tests.e2e.test_report import MONDAY_MORNING, play_two_weeks

STAFF_GROUP = -4_000_000_915
STAFF_ID = 990_015
MONDAY_0800_EST = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)  # New York, before DST
MONDAY_0800_EDT = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)  # after Sunday 8 March
NEXT_MONDAY_0800 = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)
WEDNESDAY = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


class Clinic:
    """The sandbox with a staff group (the staff chat) and one member of staff in it."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.staff: SimUser = sandbox.world.create_user(user_id=STAFF_ID, first_name="Staff")
        self.group: SimChat = sandbox.world.create_group(
            "Clinic staff", [self.staff], chat_id=STAFF_GROUP
        )

    def digests(self) -> list[ChatMessage]:
        assert self.sandbox.services is not None
        title = self.sandbox.services.content.raw_text("en", "staff_digest").split("{")[0]
        return [m for m in self.group.bot_messages if (m.text or "").startswith(title)]

    def after(self, message: ChatMessage, count: int) -> list[ChatMessage]:
        """``message`` and the ``count - 1`` bot messages that followed it in the group."""
        messages = self.group.bot_messages
        index = messages.index(message)
        return messages[index : index + count]

    async def ask(self, text: str) -> None:
        self.staff.send_text(text, chat=self.group)
        await self.sandbox.settle()


async def clinic_timers(sandbox: Sandbox) -> list[Timer]:
    assert sandbox.services is not None
    async with sandbox.services.db.unit_of_work() as uow:
        found = await uow.session.scalars(
            select(Timer).where(Timer.kind == Kind.STAFF_DIGEST).order_by(Timer.id)
        )
        return list(found)


def csv_of(sandbox: Sandbox, message: ChatMessage) -> dict[str, dict[str, str]]:
    assert message.media is not None and message.media.kind == "document"
    data = sandbox.world.files.content(message.media)
    assert data is not None
    return {r["patient_code"]: r for r in csv.DictReader(io.StringIO(data.decode()))}


def file_bytes(sandbox: Sandbox, message: ChatMessage) -> bytes:
    assert message.media is not None
    data = sandbox.world.files.content(message.media)
    assert data is not None
    return data


@pytest.fixture
async def clinic(database_url: str) -> AsyncIterator[Clinic]:
    """Started on Monday 2 March 2026, 06:00 in New York (the clinic's zone)."""
    clock = FakeClock(MONDAY_MORNING)
    async with Sandbox(
        database_url=database_url, staff_chat_id=STAFF_GROUP, clock=clock
    ) as running:
        yield Clinic(running)


async def test_the_digest_comes_monday_0800_clinic_time_with_the_weeks_figures(
    clinic: Clinic,
) -> None:
    sandbox = clinic.sandbox
    kept, free = await play_two_weeks(sandbox)  # Mon 2 - Wed 11 March, New York
    await sandbox.advance_to(NEXT_MONDAY_0800 + timedelta(minutes=1))
    digests = clinic.digests()
    # Monday 08:00 in New York each week: 13:00 UTC before DST began (Sunday 8 March),
    # 12:00 UTC after
    assert [m.date for m in digests] == [MONDAY_0800_EST, MONDAY_0800_EDT, NEXT_MONDAY_0800]
    second, third = digests[1].text or "", digests[2].text or ""
    assert second.startswith(
        label(sandbox, "staff_digest", first="2026-03-02", last="2026-03-08", count=2, patients="")
    )
    # Mon 2 done, Wed 4 partly done and sore, Fri 6 missed
    assert f"{kept}: 2/3 planned days (67%), partly 1, pain 0, sore 1" in second
    assert f"{free}: 1 days, no reminder days, partly 1, pain 0, sore 0" in second
    # Mon 9 every exercise skipped, Wed 11 it hurt: on hold since, so not "lapsed"
    hold = label(sandbox, "staff_adherence_hold", since="2026-03-11")
    assert f"{kept}: 0/3 planned days (0%), partly 0, pain 1, sore 0 {hold}\n" in third + "\n"
    assert "Kim" not in second + third and "Lee" not in second + third
    _, document, chart = clinic.after(digests[2], 3)
    rows = csv_of(sandbox, document)
    assert rows[kept]["period_from"] == "2026-03-09" and rows[kept]["period_to"] == "2026-03-15"
    assert (rows[kept]["days_skipped"], rows[kept]["days_pain"], rows[kept]["on_hold"]) == (
        "1",
        "1",
        "yes",
    )
    assert rows[kept]["lapsed"] == "no" and rows[free]["planned_days"] == ""
    assert chart.photo and chart.text == label(sandbox, "chart_patients_title")
    assert chart.media is not None and chart.media.width >= 600  # readable, not a thumbnail
    # one clinic timer a week, none of them any patient's; the next one waits
    timers = await clinic_timers(sandbox)
    assert [(t.idempotency_key, t.state, t.patient_id) for t in timers] == [
        ("digest:2026-03-02", "sent", None),
        ("digest:2026-03-09", "sent", None),
        ("digest:2026-03-16", "sent", None),
        ("digest:2026-03-23", "pending", None),
    ]


async def test_adherence_on_sunday_night_equals_mondays_digest(clinic: Clinic) -> None:
    sandbox = clinic.sandbox
    await play_two_weeks(sandbox)
    await sandbox.advance_to(datetime(2026, 3, 16, 3, 30, tzinfo=UTC))  # Sun 15, 23:30 EDT
    await clinic.ask("/adherence 7")
    asked = clinic.group.bot_messages[-3:]
    await sandbox.advance_to(NEXT_MONDAY_0800 + timedelta(minutes=1))
    digest = clinic.after(clinic.digests()[-1], 3)
    lines = [(m.text or "").split("\n\n", 1) for m in (asked[0], digest[0])]
    assert lines[0][0] == label(
        sandbox, "staff_adherence", first="2026-03-09", last="2026-03-15", count=2, patients=""
    ).rstrip("\n")
    assert lines[0][1] == lines[1][1]  # the same patients, the same figures
    assert file_bytes(sandbox, asked[1]) == file_bytes(sandbox, digest[1])  # the same CSV
    assert file_bytes(sandbox, asked[2]) == file_bytes(sandbox, digest[2])  # the same chart


async def test_once_a_week_across_restarts_and_a_crash_before_the_send(clinic: Clinic) -> None:
    sandbox = clinic.sandbox
    assert sandbox.services is not None
    await sandbox.advance_to(WEDNESDAY)  # Monday's digest: no patient yet, none sent
    await onboard(sandbox, sandbox.user("Kim"))
    await sandbox.restart_bot()  # planning again at start-up adds nothing
    await sandbox.advance_to(MONDAY_0800_EDT - timedelta(minutes=5))
    await sandbox.restart_bot()
    await sandbox.advance_to(MONDAY_0800_EDT + timedelta(hours=1))
    assert len(clinic.digests()) == 1
    # down over the next Monday 08:00: the digest comes once when the bot is back
    await sandbox.stop_bot()
    sandbox.clock.set(NEXT_MONDAY_0800 + timedelta(hours=2))
    await sandbox.start_bot()
    await sandbox.advance(timedelta(minutes=1))
    assert [m.date for m in clinic.digests()] == [
        MONDAY_0800_EDT,
        NEXT_MONDAY_0800 + timedelta(hours=2),
    ]
    # a process claims the next one and dies before sending: another sends it, once
    due = NEXT_MONDAY_0800 + timedelta(days=7)
    sandbox.clock.set(due)
    async with sandbox.services.db.unit_of_work() as uow:
        claimed = await uow.timers.claim_due(
            due, limit=10, worker_id="dead:1", lease=timedelta(minutes=2)
        )
        await uow.commit()
    assert [t.kind for t in claimed] == [Kind.STAFF_DIGEST]
    await sandbox.restart_bot()
    await sandbox.advance(timedelta(minutes=3))
    await sandbox.restart_bot()
    await sandbox.advance(timedelta(days=1))
    assert len(clinic.digests()) == 3
    keys = [(t.idempotency_key, t.state, t.late) for t in await clinic_timers(sandbox)]
    assert keys == [
        ("digest:2026-03-02", "cancelled", False),
        ("digest:2026-03-09", "sent", False),
        ("digest:2026-03-16", "sent", True),  # two hours late, after the downtime
        ("digest:2026-03-23", "sent", True),  # after the dead process's lease
        ("digest:2026-03-30", "pending", False),
    ]


async def test_a_failed_send_is_tried_again_and_arrives_once(clinic: Clinic) -> None:
    sandbox = clinic.sandbox
    await sandbox.advance_to(WEDNESDAY)  # Monday's digest: no patient yet, none sent
    await onboard(sandbox, sandbox.user("Kim"))
    await sandbox.advance_to(MONDAY_0800_EDT - timedelta(minutes=1))
    # 429s and 502s beyond what the rate limiter and the send's own retries wait out
    sandbox.emulator.faults.fail_next(5, status=429, method="sendMessage", retry_after=1)
    sandbox.emulator.faults.fail_next(8, status=502, method="sendMessage")
    await sandbox.advance(timedelta(minutes=10))
    assert sandbox.emulator.faults.pending == 0
    assert len(clinic.digests()) == 1
    [timer] = [t for t in await clinic_timers(sandbox) if t.state == "sent"]
    assert timer.attempts >= 3  # handed back by the dispatcher for the 429 and the 502s
    assert clinic.digests()[0].date > MONDAY_0800_EDT


async def test_a_staff_chat_that_refuses_the_bot_is_logged_and_blocks_no_patient(
    clinic: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox = clinic.sandbox
    await sandbox.advance_to(WEDNESDAY)  # Monday's digest: no patient yet, none sent
    patient = sandbox.user("Kim")
    await onboard(sandbox, patient)
    await tap(sandbox, patient, "btn_alerts_yes")
    await sandbox.advance_to(MONDAY_0800_EDT - timedelta(minutes=1))
    sandbox.emulator.faults.fail_next(1, status=403, method="sendMessage")
    with caplog.at_level(logging.INFO):
        await sandbox.advance(timedelta(minutes=2))
    assert clinic.digests() == []
    assert "timer.staff_chat_refused" in caplog.text
    states = [(t.idempotency_key, t.state) for t in await clinic_timers(sandbox)]
    assert states == [
        ("digest:2026-03-02", "cancelled"),
        ("digest:2026-03-09", "failed"),
        ("digest:2026-03-16", "pending"),
    ]
    # an alert the staff chat refuses does not mark the patient blocked either
    await say(sandbox, patient, "/exercise")
    await tap(sandbox, patient, "btn_begin")
    await tap(sandbox, patient, "btn_hurts")  # the alert waits for the dispatcher
    sandbox.emulator.faults.fail_next(1, status=403, method="sendMessage")
    await sandbox.advance(timedelta(minutes=1))
    refused = [
        c.params.get("text", "")
        for c in sandbox.emulator.calls
        if c.status == 403 and str(c.params.get("chat_id")) == str(STAFF_GROUP)
    ]
    assert len(refused) == 2 and "Pain reported" in str(refused[1])  # the digest, the alert
    assert (await patient_of(sandbox, patient)).status == "active"
    await sandbox.advance_to(NEXT_MONDAY_0800 + timedelta(minutes=1))
    assert len(clinic.digests()) == 1  # the next week's comes


async def test_no_digest_planned_or_sent_without_a_staff_chat(sandbox: Sandbox) -> None:
    staff = sandbox.world.create_user(user_id=STAFF_ID, first_name="Staff")
    sandbox.world.create_group("Clinic staff", [staff], chat_id=STAFF_GROUP)
    await sandbox.advance_to(WEDNESDAY)  # Monday's digest: no patient yet, none sent
    await onboard(sandbox, sandbox.user("Kim"))
    await sandbox.advance(timedelta(days=15))
    assert await clinic_timers(sandbox) == []
    sent = {str(c.params.get("chat_id")) for c in sandbox.emulator.calls}
    assert str(STAFF_GROUP) not in sent
    assert not [c for c in sandbox.emulator.calls if c.method in ("sendDocument", "sendPhoto")]


async def test_the_clinic_timer_is_no_patients_data(clinic: Clinic) -> None:
    sandbox = clinic.sandbox
    await sandbox.advance_to(WEDNESDAY)  # Monday's digest: no patient yet, none sent
    patient = sandbox.user("Kim")
    await onboard(sandbox, patient)
    await say(sandbox, patient, "/mydata")
    export = file_bytes(sandbox, patient.bot_messages[-1]).decode()
    assert Kind.STAFF_DIGEST not in export and "digest:" not in export
    await say(sandbox, patient, "/forget")
    await tap(sandbox, patient, "btn_forget_yes")
    assert [t.state for t in await clinic_timers(sandbox)] == ["cancelled", "pending"]


@pytest.mark.parametrize(
    ("weekday", "at", "expected"),
    [
        # Monday 08:00 in Berlin: CEST (UTC+2) before Sunday 25 October 2026, CET after
        (
            "monday",
            "08:00",
            [
                datetime(2026, 10, 19, 6, 0, tzinfo=UTC),
                datetime(2026, 10, 26, 7, 0, tzinfo=UTC),
                datetime(2026, 11, 2, 7, 0, tzinfo=UTC),
            ],
        ),
        # Sunday 02:30: on 25 October it happens twice; the digest comes at the first
        (
            "sun",
            "02:30",
            [
                datetime(2026, 10, 18, 0, 30, tzinfo=UTC),
                datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
                datetime(2026, 11, 1, 1, 30, tzinfo=UTC),
            ],
        ),
    ],
)
async def test_the_clinics_day_and_time_in_berlin_across_the_october_change(
    sqlite_url: str, content_dir: Path, weekday: str, at: str, expected: list[datetime]
) -> None:
    edit(content_dir / "clinic.yaml", 'timezone: "America/New_York"', 'timezone: "Europe/Berlin"')
    async with Sandbox(
        database_url=sqlite_url,
        content_dir=content_dir,
        staff_chat_id=STAFF_GROUP,
        digest_weekday=weekday,
        digest_time=at,
        clock=FakeClock(datetime(2026, 10, 12, 10, 0, tzinfo=UTC)),
    ) as sandbox:
        clinic = Clinic(sandbox)
        await onboard(sandbox, sandbox.user("Kim"))
        await sandbox.advance_to(datetime(2026, 11, 3, tzinfo=UTC))
        assert [m.date for m in clinic.digests()] == expected


async def test_lapsed_patients_are_marked_but_not_the_paused_or_the_active(
    clinic: Clinic,
) -> None:
    """Three patients with reminder days from Monday 2 March: one never exercises (lapsed
    a week later), one pauses "until I resume" (not lapsed: not expected to exercise), one
    exercises on Friday (not lapsed: fewer than LAPSE_DAYS days before Monday)."""
    sandbox = clinic.sandbox
    idle, paused, active = sandbox.user("Ann"), sandbox.user("Bob"), sandbox.user("Cy")
    for user in (idle, paused, active):
        await subscribe_on(sandbox, user, ("Mon", "Wed", "Fri"))
    await say(sandbox, paused, "/pause")
    await tap(sandbox, paused, "btn_pause_open")
    await sandbox.advance(timedelta(days=4))
    await play_session(sandbox, active)
    await sandbox.advance_to(MONDAY_0800_EDT + timedelta(minutes=1))
    listing = clinic.digests()[-1].text or ""
    assert sandbox.settings.lapse_days == 4
    lapsed = label(sandbox, "staff_adherence_lapsed", days=4)
    codes = {u: (await patient_of(sandbox, u)).code for u in (idle, paused, active)}
    lines = {line.split(":")[0]: line for line in listing.split("\n\n", 1)[1].split("\n")}
    assert lines[codes[idle]].endswith(lapsed)
    assert lapsed not in lines[codes[paused]] and lapsed not in lines[codes[active]]
    rows = csv_of(sandbox, clinic.after(clinic.digests()[-1], 2)[1])
    assert [rows[codes[u]]["lapsed"] for u in (idle, paused, active)] == ["yes", "no", "no"]


async def test_a_patient_with_the_clinics_reference_is_named_by_it(clinic: Clinic) -> None:
    sandbox = clinic.sandbox
    assert sandbox.services is not None
    kept, free = await play_two_weeks(sandbox)
    async with sandbox.services.db.unit_of_work() as uow:  # as an invite link leaves it
        patient = await uow.patients.by_code(kept)
        assert patient is not None
        patient.clinic_ref = "R-1042"
        await uow.commit()
    await sandbox.advance_to(NEXT_MONDAY_0800 + timedelta(minutes=1))
    listing, document, chart = clinic.after(clinic.digests()[-1], 3)
    text = listing.text or ""
    assert "\nR-1042: 0/3 planned days (0%)" in text and kept not in text
    assert f"\n{free}: " in text
    rows = csv_of(sandbox, document)
    assert rows[kept]["clinic_ref"] == "R-1042" and rows[free]["clinic_ref"] == ""
    assert chart.photo
