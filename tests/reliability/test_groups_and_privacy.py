"""Health data stays private: groups get one line, a group is never a patient's chat, the
staff chat is a real group with its own commands, and /forget removes the alerts there."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.core.callbacks import Action, Callback, encode
from bot.sandbox.harness import Sandbox
from tests.e2e.journeys import label, last_text, onboard, say, tap
from tests.e2e.test_reminders import patient_of


def _group_texts(sandbox: Sandbox, chat_id: int) -> list[str]:
    return [m.text or "" for m in sandbox.world.sent_by_chat().get(chat_id, [])]


async def test_patient_commands_in_a_group_get_one_line_and_no_data(
    sqlite_sandbox: Sandbox,
) -> None:
    sandbox = sqlite_sandbox
    patient, friend = sandbox.user("Pat"), sandbox.user("Friend")
    await onboard(sandbox, patient)
    await say(sandbox, patient, "/exercise")
    await tap(sandbox, patient, "btn_begin")
    await tap(sandbox, patient, "btn_hurts")
    code = (await patient_of(sandbox, patient)).code
    group = sandbox.world.create_group("Family", [patient, friend])
    for command in ("/mydata", "/history", "/start", "/exercise", "/settings", "/forget"):
        patient.send_text(command, chat=group)
    await sandbox.settle()
    said = _group_texts(sandbox, group.chat_id)
    assert said == [label(sandbox, "private_only")]  # once, not once per command
    assert not any(code in text for text in said)
    assert (await patient_of(sandbox, patient)).hold_since is not None  # nothing changed


async def test_agreeing_from_a_group_stores_nothing(sqlite_sandbox: Sandbox) -> None:
    sandbox = sqlite_sandbox
    user = sandbox.user()
    group = sandbox.world.create_group("Family", [user])
    user.send_text("/start", chat=group)
    await sandbox.settle()
    said = group.last_bot_message()
    assert said is not None and said.text == label(sandbox, "private_only")
    # a client that sends the "I agree" callback from the group anyway
    user.tap_data(said.message_id, encode(Callback(Action.AGREE)), chat=group)
    await sandbox.settle()
    assert user.toasts[-1] == label(sandbox, "private_only")
    assert sandbox.services is not None
    async with sandbox.services.db.unit_of_work() as uow:
        assert await uow.patients.by_telegram_id(user.id) is None
    # in the private chat the same person starts normally, and it is stored as their chat
    await onboard(sandbox, user)
    assert (await patient_of(sandbox, user)).chat_id == user.chat_id


async def test_free_text_in_a_group_is_ignored(sqlite_sandbox: Sandbox) -> None:
    sandbox = sqlite_sandbox
    user = sandbox.user()
    group = sandbox.world.create_group("Family", [user])
    user.send_text("my back hurts", chat=group)
    user.send_sticker(chat=group)
    await sandbox.settle()
    assert _group_texts(sandbox, group.chat_id) == []


@pytest.fixture
async def clinic(sqlite_url: str):  # type: ignore[no-untyped-def]
    async with Sandbox(database_url=sqlite_url, staff_chat_id=-4_999_000_001) as sandbox:
        staff = sandbox.user("Nurse")
        group = sandbox.world.create_group("Clinic staff", [staff], chat_id=-4_999_000_001)
        yield sandbox, staff, group


async def _hurting_patient_with_alerts(sandbox: Sandbox) -> tuple[object, str]:
    user = sandbox.user("Pat")
    await say(sandbox, user, "/start")
    await tap(sandbox, user, "btn_agree")
    await tap(sandbox, user, "btn_alerts_yes")
    await say(sandbox, user, "/exercise")
    await tap(sandbox, user, "btn_begin")
    await tap(sandbox, user, "btn_hurts")
    await tap(sandbox, user, "btn_warning_no")
    await sandbox.advance(timedelta(seconds=1))  # the alerts are durable timers
    return user, (await patient_of(sandbox, user)).code


async def test_the_staff_group_keeps_its_commands(clinic, caplog) -> None:  # type: ignore[no-untyped-def]
    sandbox, staff, group = clinic
    caplog.set_level(logging.INFO)
    user, code = await _hurting_patient_with_alerts(sandbox)
    staff.send_text(f"/patient {code}", chat=group)
    await sandbox.settle()
    lookup = group.last_bot_message(with_buttons=True)
    assert lookup is not None and code in (lookup.text or "")
    staff.tap(label(sandbox, "btn_staff_clear"), message_id=lookup.message_id, chat=group)
    await sandbox.settle()
    assert (await patient_of(sandbox, user)).hold_since is None  # type: ignore[attr-defined]
    # patient commands are not answered with data in the staff group either
    staff.send_text("/mydata", chat=group)
    await sandbox.settle()
    assert _group_texts(sandbox, group.chat_id)[-1] == label(sandbox, "private_only")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_forget_removes_the_alerts_from_the_staff_chat(clinic) -> None:  # type: ignore[no-untyped-def]
    sandbox, _, group = clinic
    user, code = await _hurting_patient_with_alerts(sandbox)
    assert sum(code in t for t in _group_texts(sandbox, group.chat_id)) == 2
    await say(sandbox, user, "/forget")  # type: ignore[arg-type]
    await tap(sandbox, user, "btn_forget_yes")  # type: ignore[arg-type]
    # on hold: the goodbye repeats the advice to see the doctor
    assert last_text(user).startswith(label(sandbox, "forgotten"))  # type: ignore[arg-type]
    shown = [m.text or "" for m in group.bot_messages]
    assert not any(code in text for text in shown)
    assert shown.count(label(sandbox, "alert_removed")) == 2
