"""/adherence in the staff chat: every patient's figures by code, a chart and the CSV,
after sessions played through the real bot (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import pytest

from bot.sandbox.harness import Sandbox
from tests.e2e.journeys import label, say
from tests.e2e.test_report import play_two_weeks

STAFF_ID = 990_002


@pytest.fixture
async def clinic_sandbox(database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(database_url=database_url, staff_chat_id=STAFF_ID) as running:
        yield running


async def test_adherence_lists_every_patient_by_code_with_chart_and_csv(
    clinic_sandbox: Sandbox,
) -> None:
    sandbox = clinic_sandbox
    kept, free = await play_two_weeks(sandbox)
    staff = sandbox.world.create_user(user_id=STAFF_ID, first_name="Staff")
    await say(sandbox, staff, "/adherence 14")  # Wed 11 Mar back to Thu 26 Feb
    listing, document, chart = staff.bot_messages[-3:]
    text = listing.text or ""
    assert f"{kept}: 2/5 planned days (40%), partly 1, pain 1, sore 1" in text
    assert label(sandbox, "staff_adherence_hold", since="2026-03-11") in text
    assert f"{free}: 1 days, no reminder days, partly 1, pain 0, sore 0" in text
    assert "Kim" not in text and "Lee" not in text
    assert document.media is not None and document.media.kind == "document"
    data = sandbox.world.files.content(document.media)
    assert data is not None
    rows = {r["patient_code"]: r for r in csv.DictReader(io.StringIO(data.decode()))}
    assert rows[kept]["planned_days"] == "5" and rows[kept]["days_pain"] == "1"
    assert chart.photo and chart.text == label(sandbox, "chart_patients_title")


async def test_adherence_is_for_the_staff_chat_only(clinic_sandbox: Sandbox) -> None:
    user = clinic_sandbox.user()
    await say(clinic_sandbox, user, "/adherence")
    assert user.bot_messages[-1].text == label(clinic_sandbox, "unknown_command")
    staff = clinic_sandbox.world.create_user(user_id=STAFF_ID, first_name="Staff")
    await say(clinic_sandbox, staff, "/adherence lots")
    assert staff.bot_messages[-1].text == label(clinic_sandbox, "staff_usage")
