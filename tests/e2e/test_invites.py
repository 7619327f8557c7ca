"""Invite links, several programs and a patient's own dose, through the real bot on both
databases: the staff's /invite, a patient's /start <token>, used, expired and forged
links, INVITE_ONLY, and /program and /dose keeping a patient's history."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.sandbox.harness import Sandbox
from bot.sandbox.world import SimUser
from bot.store.models import Invite, Patient
from tests.e2e.journeys import (
    answer_alerts_if_asked,
    label,
    last_text,
    onboard,
    patient_of,
    play_session,
    say,
    sessions_of,
    tap,
)
from tests.e2e.test_session_media import shown

STAFF_ID = 990_015
LINK = re.compile(r"https://t\.me/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]{22})")


@pytest.fixture
async def clinic(database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(database_url=database_url, staff_chat_id=STAFF_ID) as running:
        yield running


def staff_of(sandbox: Sandbox) -> SimUser:
    users = sandbox.world.users
    if STAFF_ID in users:
        return users[STAFF_ID]  # type: ignore[no-any-return]
    return sandbox.world.create_user(user_id=STAFF_ID, first_name="Staff")


async def invite(sandbox: Sandbox, staff: SimUser, args: str) -> str:
    """The staff's /invite: the token of the link it answers with."""
    await say(sandbox, staff, f"/invite {args}")
    found = LINK.search(last_text(staff))
    assert found is not None, last_text(staff)
    assert sandbox.bot is not None
    assert found.group(1) == sandbox.bot.application.bot.username
    return found.group(2)


async def find_patient(sandbox: Sandbox, user: SimUser) -> Patient | None:
    assert sandbox.services is not None
    async with sandbox.services.db.unit_of_work(read_only=True) as uow:
        return await uow.patients.by_telegram_id(user.id)


async def invites_in_store(sandbox: Sandbox) -> list[Invite]:
    assert sandbox.services is not None
    async with sandbox.services.db.unit_of_work(read_only=True) as uow:
        return list(await uow.session.scalars(select(Invite).order_by(Invite.id)))


async def start_with(sandbox: Sandbox, user: SimUser, token: str) -> None:
    await say(sandbox, user, f"/start {token}")
    await tap(sandbox, user, "btn_agree")
    await answer_alerts_if_asked(sandbox, user)


async def test_invite_gives_program_dose_and_reference_seen_in_steps_and_reminder(
    clinic: Sandbox,
) -> None:
    sandbox = clinic
    staff = staff_of(sandbox)
    token = await invite(
        sandbox,
        staff,
        "gentle-start ref=H-1234 hook-lying-march.sets=4 hook-lying-march.duration_seconds=45",
    )
    assert "45 seconds each time, 4 rounds *" in last_text(staff)
    # only the hash is stored
    (stored,) = await invites_in_store(sandbox)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(vars(stored))

    user = sandbox.user()
    await say(sandbox, user, f"/start {token}")
    title = label(sandbox, "invite_welcome", program_title="Gentle start: one easy exercise")
    assert title in last_text(user)
    await tap(sandbox, user, "btn_agree")
    await answer_alerts_if_asked(sandbox, user)
    patient = await patient_of(sandbox, user)
    assert patient.program_id == "gentle-start"
    assert patient.clinic_ref == "H-1234"
    assert patient.dose == {"hook-lying-march": {"sets": 4, "duration_seconds": 45}}
    (stored,) = await invites_in_store(sandbox)
    assert stored.used_by == patient.id and stored.used_at is not None

    await tap(sandbox, user, "btn_start_now")
    await tap(sandbox, user, "btn_begin")
    step = shown(sandbox, user).text or ""
    assert label(sandbox, "dose_line", dose="45 seconds each time, 4 rounds") in step
    (session,) = await sessions_of(sandbox, user)
    assert session.program_id == "gentle-start" and session.exercises == ["hook-lying-march"]
    await tap(sandbox, user, "btn_next")
    await tap(sandbox, user, "btn_next")
    step = shown(sandbox, user).text or ""
    assert label(sandbox, "timer_ready", seconds=45, min_sets=4, max_sets=4) in step
    await tap(sandbox, user, "btn_start_timer", seconds=45)

    # the reminder lists the patient's own dose
    await say(sandbox, user, "/cancel")
    await say(sandbox, user, "/settings")
    await tap(sandbox, user, "btn_every_day")
    await tap(sandbox, user, "btn_days_done")
    await tap(sandbox, user, "btn_other_time")
    await say(sandbox, user, "7:30")
    await say(sandbox, user, "Boston")
    await sandbox.advance(timedelta(days=1))
    doses = "• Marching on your back: 45 seconds each time, 4 rounds"
    reminders = [
        m.text or ""
        for m in user.bot_messages
        if (m.text or "").startswith(label(sandbox, "reminder", minutes=3))
    ]
    assert reminders and label(sandbox, "reminder_dose", doses=doses) in reminders[-1]

    # the clinic's reference stands in for the code in /adherence
    await say(sandbox, staff, "/adherence")
    assert "H-1234:" in staff.bot_messages[-3].text  # type: ignore[operator]


async def test_used_expired_and_forged_links_change_nothing(clinic: Sandbox) -> None:
    sandbox = clinic
    staff = staff_of(sandbox)
    token = await invite(sandbox, staff, "gentle-start")
    first, second = sandbox.user("Kim"), sandbox.user("Lee")
    await start_with(sandbox, first, token)
    assert (await patient_of(sandbox, first)).program_id == "gentle-start"

    await say(sandbox, second, f"/start {token}")
    assert last_text(second).startswith(label(sandbox, "invite_used"))
    assert label(sandbox, "invite_start_anyway") in last_text(second)
    await say(sandbox, second, "/start AAAAAAAAAAAAAAAAAAAAAA")  # the right shape, unknown
    assert last_text(second).startswith(label(sandbox, "invite_bad"))
    await say(sandbox, second, "/start not-a-token")
    assert last_text(second).startswith(label(sandbox, "invite_bad"))
    assert await find_patient(sandbox, second) is None

    late = await invite(sandbox, staff, "lower-back")
    await sandbox.advance(timedelta(days=14, minutes=1))
    await say(sandbox, second, f"/start {late}")
    assert last_text(second).startswith(label(sandbox, "invite_expired"))
    assert await find_patient(sandbox, second) is None
    used = [i for i in await invites_in_store(sandbox) if i.used_at is not None]
    assert len(used) == 1

    # a link that expires while its consent screen is open: agreeing creates nobody
    fresh = await invite(sandbox, staff, "gentle-start")
    await say(sandbox, second, f"/start {fresh}")
    await sandbox.advance(timedelta(days=15))
    await tap(sandbox, second, "btn_agree")
    assert (shown(sandbox, second).text or "").startswith(label(sandbox, "invite_expired"))
    assert await find_patient(sandbox, second) is None


async def test_two_patients_open_one_link_and_one_wins(clinic: Sandbox) -> None:
    sandbox = clinic
    token = await invite(sandbox, staff_of(sandbox), "gentle-start ref=R-1")
    first, second = sandbox.user("Kim"), sandbox.user("Lee")
    await say(sandbox, first, f"/start {token}")
    await say(sandbox, second, f"/start {token}")  # both see the consent screen
    first.tap(label(sandbox, "btn_agree"))
    second.tap(label(sandbox, "btn_agree"))
    await sandbox.settle()
    found = [await find_patient(sandbox, u) for u in (first, second)]
    winners = [p for p in found if p is not None]
    assert len(winners) == 1 and winners[0].clinic_ref == "R-1"
    loser = second if found[0] is not None else first
    assert (shown(sandbox, loser).text or "").startswith(label(sandbox, "invite_used"))


async def test_an_existing_patient_gets_the_new_program_and_keeps_the_history(
    clinic: Sandbox,
) -> None:
    sandbox = clinic
    user = sandbox.user()
    await onboard(sandbox, user)
    await answer_alerts_if_asked(sandbox, user)
    await play_session(sandbox, user)
    token = await invite(sandbox, staff_of(sandbox), "gentle-start ref=H-9")
    await say(sandbox, user, f"/start {token}")
    title = "Gentle start: one easy exercise"
    assert last_text(user).startswith(label(sandbox, "invite_applied", program_title=title))
    patient = await patient_of(sandbox, user)
    assert (patient.program_id, patient.clinic_ref) == ("gentle-start", "H-9")
    assert len(await sessions_of(sandbox, user)) == 1  # history kept
    await say(sandbox, user, f"/start {token}")  # their own link again: welcome back
    assert last_text(user).startswith(label(sandbox, "welcome_back", program_title=title))
    taken = await invite(sandbox, staff_of(sandbox), "lower-back")
    await start_with(sandbox, sandbox.user("Lee"), taken)
    await say(sandbox, user, f"/start {taken}")  # someone else's: used, nothing changes
    assert last_text(user).startswith(label(sandbox, "invite_used"))
    assert (await patient_of(sandbox, user)).program_id == "gentle-start"


async def test_a_link_survives_a_restart_between_start_and_agree(clinic: Sandbox) -> None:
    sandbox = clinic
    token = await invite(sandbox, staff_of(sandbox), "gentle-start hook-lying-march.sets=3")
    user = sandbox.user()
    await say(sandbox, user, f"/start {token}")
    await sandbox.restart_bot()  # nothing was kept in memory: the token is in the button
    await tap(sandbox, user, "btn_agree")
    patient = await patient_of(sandbox, user)
    assert patient.program_id == "gentle-start"
    assert patient.dose == {"hook-lying-march": {"sets": 3}}


async def test_choosing_spanish_before_agreeing_keeps_the_link(clinic: Sandbox) -> None:
    """An English Telegram, a Spanish speaker: "Español" on the consent screen of a link
    shows it in Spanish with the clinic's program, and agreeing uses the link."""
    sandbox = clinic
    token = await invite(sandbox, staff_of(sandbox), "gentle-start ref=H-77")
    user = sandbox.user()
    await say(sandbox, user, f"/start {token}")
    await tap(sandbox, user, "Español")
    title = sandbox.services.content.program("gentle-start", "es").title  # type: ignore[union-attr]
    assert label(sandbox, "invite_welcome", "es", program_title=title) in last_text(user)
    assert await find_patient(sandbox, user) is None  # nothing stored before consent
    await tap(sandbox, user, label(sandbox, "btn_agree", "es"))
    patient = await patient_of(sandbox, user)
    assert (patient.language, patient.program_id, patient.clinic_ref) == (
        "es",
        "gentle-start",
        "H-77",
    )
    (stored,) = await invites_in_store(sandbox)
    assert stored.used_by == patient.id
    # an English app: the chat's own menu is in the language chosen
    chat = str(sorted({"type": "chat", "chat_id": user.id}.items()))
    menu = sandbox.emulator.commands[(chat, "")]
    assert menu[0]["description"] == label(sandbox, "menu_exercise", "es")


async def test_invite_only_without_a_link_explains_and_stores_nothing(database_url: str) -> None:
    async with Sandbox(
        database_url=database_url, staff_chat_id=STAFF_ID, invite_only=True
    ) as sandbox:
        user = sandbox.user()
        await say(sandbox, user, "/start")
        assert last_text(user).startswith(
            label(
                sandbox, "invite_only", clinic_name="x", clinic_phone="x", clinic_hours="x"
            ).split("\n")[0]
        )
        assert await find_patient(sandbox, user) is None
        await say(sandbox, user, "/exercise")
        assert await find_patient(sandbox, user) is None
        token = await invite(sandbox, staff_of(sandbox), "lower-back")
        await start_with(sandbox, user, token)
        assert (await patient_of(sandbox, user)).program_id == "lower-back"
        await say(sandbox, user, "/start")  # a patient already here is welcome back
        assert last_text(user).startswith(label(sandbox, "welcome_back", program_title="x")[:12])


async def test_staff_change_program_and_dose_keeping_history(clinic: Sandbox) -> None:
    sandbox = clinic
    staff = staff_of(sandbox)
    user = sandbox.user()
    await onboard(sandbox, user)
    await answer_alerts_if_asked(sandbox, user)
    await play_session(sandbox, user)
    code = (await patient_of(sandbox, user)).code

    await say(sandbox, staff, f"/program {code} nope")
    assert last_text(staff).startswith(
        label(sandbox, "invite_no_program", program="nope", programs="gentle-start, lower-back")
    )
    await say(sandbox, staff, f"/dose {code} hook-lying-march.reps=3")
    assert last_text(staff) == label(
        sandbox,
        "dose_no_field",
        exercise="hook-lying-march",
        field="reps",
        fields="sets, sets_max, duration_seconds",
    )
    await say(sandbox, staff, f"/dose {code} arm-leg-raises.sets=99")
    assert last_text(staff) == label(
        sandbox, "dose_out_of_range", exercise="arm-leg-raises", field="sets", low=1, high=20
    )
    patient = await patient_of(sandbox, user)
    assert (patient.program_id, patient.dose) == ("lower-back", {})

    await say(sandbox, staff, f"/dose {code} arm-leg-raises.sets=2 arm-leg-raises.reps=8")
    assert "8 times with each arm and each leg, 2 rounds *" in last_text(staff)
    await say(sandbox, staff, f"/program {code} gentle-start")
    assert last_text(staff).startswith(
        label(sandbox, "program_changed", code=code, program_title="x", doses="x")[:20]
    )
    patient = await patient_of(sandbox, user)
    assert patient.program_id == "gentle-start"
    assert patient.dose == {"arm-leg-raises": {"sets": 2, "reps": 8}}
    await play_session(sandbox, user)
    first, second = await sessions_of(sandbox, user)
    assert first.program_id == "lower-back" and first.finished_at is not None  # kept
    assert second.program_id == "gentle-start" and second.exercises == ["hook-lying-march"]

    await say(sandbox, staff, f"/patient {code}")
    assert "Program: Gentle start: one easy exercise; reference: none" in last_text(staff)
    await say(sandbox, staff, f"/dose {code} reset")
    assert (await patient_of(sandbox, user)).dose == {}
    await say(sandbox, user, "/dose")  # not a patient command
    assert last_text(user) == label(sandbox, "unknown_command")


async def test_invites_meet_hold_open_session_groups_and_patients(clinic: Sandbox) -> None:
    """A held patient's hold stays with a new program; an open session keeps its exercises;
    /invite is the staff's only; a link opened in a group is not used."""
    sandbox = clinic
    staff = staff_of(sandbox)
    user = sandbox.user()
    await onboard(sandbox, user)
    await answer_alerts_if_asked(sandbox, user)

    # a patient cannot make links; nothing is stored
    await say(sandbox, user, "/invite gentle-start")
    assert last_text(user) == label(sandbox, "unknown_command")
    assert await invites_in_store(sandbox) == []

    # a link opened in a group: one line, the link stays unused
    token = await invite(sandbox, staff, "gentle-start ref=G-1")
    group = sandbox.world.create_group("Family", [user])
    user.send_text(f"/start {token}", chat=group)
    await sandbox.settle()
    (stored,) = await invites_in_store(sandbox)
    assert stored.used_at is None

    # an open session keeps its exercises when the program changes
    await say(sandbox, user, "/exercise")
    await tap(sandbox, user, "btn_begin")
    await say(sandbox, user, f"/start {token}")
    assert (await patient_of(sandbox, user)).program_id == "gentle-start"
    (session,) = await sessions_of(sandbox, user)
    assert session.finished_at is None
    assert session.exercises == ["hook-lying-march", "arm-leg-raises"]

    # held after "It hurts": a new program does not lift the hold
    await say(sandbox, user, "/exercise")
    await tap(sandbox, user, "btn_continue")
    await tap(sandbox, user, "btn_hurts")
    assert (await patient_of(sandbox, user)).hold_since is not None
    again = await invite(sandbox, staff, "lower-back")
    await say(sandbox, user, f"/start {again}")
    patient = await patient_of(sandbox, user)
    assert patient.program_id == "lower-back" and patient.hold_since is not None
    assert patient.clinic_ref == "G-1"  # a link without ref= keeps the one they had
    await say(sandbox, user, "/exercise")
    assert len(await sessions_of(sandbox, user)) == 1  # still held: no new session
