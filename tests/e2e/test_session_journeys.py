"""A patient's whole journey: the real PTB bot, the local Telegram over HTTP, a real DB."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from bot.core.callbacks import Action, Callback, encode
from bot.sandbox.harness import Sandbox
from tests.e2e.journeys import (
    button_data,
    label,
    last_text,
    onboard,
    open_session,
    patient_of,
    reports_of,
    say,
    sessions_of,
    tap,
    tap_next_until_question,
)


def phone(sandbox: Sandbox) -> str:
    assert sandbox.services is not None
    return sandbox.services.content.clinic.phone_display


async def test_start_shows_welcome_and_stores_nothing_before_consent(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await say(sandbox, user, "/start")
    message = user.last_bot_message(with_buttons=True)
    assert message is not None
    assert message.labels == [
        [label(sandbox, "btn_agree"), label(sandbox, "btn_decline")],
        ["Español"],  # the other languages, each named in itself
    ]
    assert sandbox.services is not None
    async with sandbox.services.db.unit_of_work() as uow:
        assert await uow.patients.count() == 0
    commands = [c for c in sandbox.emulator.calls if c.method.lower() == "setmycommands"]
    assert commands and commands[-1].ok


async def test_complete_session_without_pain(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    await tap_next_until_question(sandbox, user)
    assert last_text(user) == label(sandbox, "feeling_question")
    await tap(sandbox, user, "btn_feel_fine")
    closing, offer = user.bot_messages[-2:]
    assert closing.text == label(sandbox, "well_done")
    # the first finished session offers reminders (the patient had chosen "Start now")
    assert offer.text == label(sandbox, "reminders_offer")
    assert offer.labels == [
        [label(sandbox, "btn_set_reminders"), label(sandbox, "btn_no_reminders")]
    ]
    [session] = await sessions_of(sandbox, user)
    assert session.outcome == "completed" and session.feeling == "none"
    assert sandbox.services is not None
    assert session.content_version == sandbox.services.content.version
    assert [r.kind for r in await reports_of(sandbox, user)] == ["none"]


async def test_sore_gets_reassurance(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    await tap_next_until_question(sandbox, user)
    await tap(sandbox, user, "btn_feel_sore")
    text = user.bot_messages[-2].text or ""
    assert label(sandbox, "advice_sore") in text
    assert label(sandbox, "advice_stretch_walk") in text
    assert [r.kind for r in await reports_of(sandbox, user)] == ["sore"]


@pytest.mark.parametrize("which", [0, 1, None])
async def test_pain_at_the_end_asks_which_exercise_then_advises(
    sandbox: Sandbox, which: int | None
) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    await tap_next_until_question(sandbox, user)
    await tap(sandbox, user, "btn_feel_pain")
    # the tap itself records the pain, holds the reminders and gives the advice
    advice, question, which_question = user.bot_messages[-3:]
    assert advice.text is not None and phone(sandbox) in advice.text
    assert label(sandbox, "hold_notice") in advice.text
    assert question.labels == [
        [label(sandbox, "btn_warning_yes"), label(sandbox, "btn_warning_no")]
    ]
    assert which_question.text == label(sandbox, "pain_which")
    [report] = await reports_of(sandbox, user)
    assert report.kind == "pain" and report.source == "feeling" and report.exercise_id is None
    assert (await patient_of(sandbox, user)).hold_since is not None
    [session] = await sessions_of(sandbox, user)
    assert sandbox.services is not None
    content = sandbox.services.content
    choice = (
        content.exercises[session.exercises[which]].short_title
        if which is not None
        else label(sandbox, "btn_not_sure")
    )
    await tap(sandbox, user, choice)
    assert last_text(user) == label(sandbox, "pain_which_thanks")
    [report] = await reports_of(sandbox, user)
    assert report.exercise_id == (session.exercises[which] if which is not None else None)


async def test_it_hurt_left_unanswered_still_holds_and_advises(sandbox: Sandbox) -> None:
    """Issue 11, 1: "It hurt", then /cancel instead of naming the exercise."""
    user = sandbox.user()
    await open_session(sandbox, user)
    await tap_next_until_question(sandbox, user)
    await tap(sandbox, user, "btn_feel_pain")
    await say(sandbox, user, "/cancel")
    [report] = await reports_of(sandbox, user)
    assert report.kind == "pain"
    assert (await patient_of(sandbox, user)).hold_since is not None
    await say(sandbox, user, "/exercise")
    assert any(phone(sandbox) in (m.text or "") for m in user.bot_messages[-2:])


async def test_alternative_replaces_the_exercise(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    [before] = await sessions_of(sandbox, user)
    assert sandbox.services is not None
    content = sandbox.services.content
    index = next(i for i, ex in enumerate(before.exercises) if content.exercises[ex].alternative)
    for _ in range(index):
        await tap(sandbox, user, "btn_skip")
    original = content.exercises[before.exercises[index]]
    assert original.alternative is not None
    alternative = content.exercises[original.alternative]
    await tap(sandbox, user, "btn_alternative", exercise_title=alternative.short_title)
    assert alternative.title in last_text(user)
    [after] = await sessions_of(sandbox, user)
    assert after.exercises[index] == original.alternative
    assert after.exercises[:index] == before.exercises[:index]


async def test_skip_moves_to_the_next_exercise(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    [session] = await sessions_of(sandbox, user)
    await tap(sandbox, user, "btn_skip")
    assert sandbox.services is not None
    assert sandbox.services.content.exercises[session.exercises[1]].title in last_text(user)


async def test_no_back_on_the_first_screen_and_back_works_after(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    first_screen = last_text(user)
    message = user.last_bot_message(with_buttons=True)
    assert message is not None
    assert label(sandbox, "btn_back") not in [b for row in message.labels for b in row]
    await tap(sandbox, user, "btn_next")
    await tap(sandbox, user, "btn_back")
    assert last_text(user) == first_screen


async def test_the_session_edits_one_message_in_place(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    count = len(user.bot_messages)
    await tap(sandbox, user, "btn_next")
    await tap(sandbox, user, "btn_next")
    assert len(user.bot_messages) == count


async def test_stale_tap_after_the_session_ended_changes_nothing(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    old = user.last_bot_message(with_buttons=True)
    assert old is not None
    next_data = button_data(sandbox, old, "btn_next")
    await say(sandbox, user, "/cancel")
    [before] = await sessions_of(sandbox, user)
    user.tap_data(old.message_id, next_data)  # the old screen's button
    await sandbox.settle()
    assert user.toasts[-1] == label(sandbox, "toast_session_over")
    [after] = await sessions_of(sandbox, user)
    assert (after.rev, after.step_index, after.outcome) == (
        before.rev,
        before.step_index,
        "cancelled",
    )


async def test_double_tap_on_the_same_screen_advances_once(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    message = user.last_bot_message(with_buttons=True)
    assert message is not None
    data = button_data(sandbox, message, "btn_next")
    [before] = await sessions_of(sandbox, user)
    user.tap_data(message.message_id, data)
    user.tap_data(message.message_id, data)
    await sandbox.settle()
    [after] = await sessions_of(sandbox, user)
    assert after.rev == before.rev + 1
    assert after.step_index == before.step_index + 1
    assert label(sandbox, "toast_stale") in user.toasts
    answers = [c for c in sandbox.emulator.calls if c.method.lower() == "answercallbackquery"]
    assert len(answers) == len({c.params["callback_query_id"] for c in answers})


async def test_forged_callback_is_answered_and_changes_nothing(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    [before] = await sessions_of(sandbox, user)
    message = user.last_bot_message(with_buttons=True)
    assert message is not None
    user.tap_data(message.message_id, "1:nx:zzzz:0:")  # someone else's session id
    user.tap_data(message.message_id, "DROP TABLE patients")
    await sandbox.settle()
    assert user.toasts[-2:] == [label(sandbox, "toast_invalid")] * 2
    [after] = await sessions_of(sandbox, user)
    assert after.rev == before.rev


async def test_a_tap_on_another_patients_session_is_refused(sandbox: Sandbox) -> None:
    alice, bob = sandbox.user("Alice"), sandbox.user("Bob")
    await open_session(sandbox, alice)
    await onboard(sandbox, bob)
    [session] = await sessions_of(sandbox, alice)
    forged = encode(Callback(Action.HURTS, session.id, session.rev))
    message = bob.last_bot_message()
    assert message is not None
    bob.tap_data(message.message_id, forged)
    await sandbox.settle()
    assert bob.toasts[-1] == label(sandbox, "toast_not_yours")
    [after] = await sessions_of(sandbox, alice)
    assert after.finished_at is None and after.rev == session.rev


async def test_free_text_mid_session_gets_a_hint_and_the_screen_again(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    screen = last_text(user)
    await say(sandbox, user, "what do I do now?")
    texts = [m.text for m in user.bot_messages[-2:]]
    assert texts == [label(sandbox, "expect_button"), screen]
    user.send_sticker()
    await sandbox.settle()
    assert user.bot_messages[-1].text == screen


async def test_unknown_command_gets_a_friendly_answer(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await say(sandbox, user, "/frobnicate")
    assert last_text(user) == label(sandbox, "unknown_command")


async def test_second_exercise_command_offers_continue_or_restart(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    await tap(sandbox, user, "btn_next")
    screen = last_text(user)
    await say(sandbox, user, "/exercise")
    assert last_text(user) == label(sandbox, "session_open_choice")
    await tap(sandbox, user, "btn_continue")
    assert last_text(user) == screen
    await say(sandbox, user, "/exercise")
    await tap(sandbox, user, "btn_restart")
    sessions = await sessions_of(sandbox, user)
    assert [s.outcome for s in sessions] == ["restarted", None]


async def test_restart_mid_session_keeps_the_old_screen_working(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    await tap(sandbox, user, "btn_next")
    await sandbox.restart_bot()
    await tap(sandbox, user, "btn_next")
    [session] = await sessions_of(sandbox, user)
    assert session.step_index == 2


async def test_two_bot_instances_tapping_at_once_advance_once(sandbox: Sandbox) -> None:
    """Two use-case calls for the same screen at the same instant: compare-and-set wins once."""
    from bot.services import sessions as use_cases
    from bot.services.context import Patron

    user = sandbox.user()
    await open_session(sandbox, user)
    [session] = await sessions_of(sandbox, user)
    assert sandbox.services is not None
    who = Patron(user.id, user.id, "en")
    callback = Callback(Action.NEXT, session.id, session.rev)
    replies = await asyncio.gather(
        use_cases.tap(sandbox.services, who, callback, None),
        use_cases.tap(sandbox.services, who, callback, None),
    )
    assert sorted(r.edit is not None for r in replies) == [False, True]
    [after] = await sessions_of(sandbox, user)
    assert after.rev == session.rev + 1


async def test_timer_says_when_the_set_is_done(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    assert sandbox.services is not None
    content = sandbox.services.content
    [session] = await sessions_of(sandbox, user)
    timed_index = next(
        i for i, ex in enumerate(session.exercises) if content.exercises[ex].timed_step is not None
    )
    for _ in range(timed_index):
        await tap(sandbox, user, "btn_skip")
    exercise = content.exercises[session.exercises[timed_index]]
    seconds = exercise.dose.duration_seconds
    assert seconds is not None
    while label(sandbox, "btn_start_timer", seconds=seconds) not in [
        b.text
        for row in user.last_bot_message(with_buttons=True).buttons
        for b in row  # type: ignore[union-attr]
    ]:
        await tap(sandbox, user, "btn_next")
    await tap(sandbox, user, "btn_start_timer", seconds=seconds)
    before = len(user.bot_messages)
    await sandbox.advance(timedelta(seconds=seconds - 1))
    assert len(user.bot_messages) == before  # not yet
    await sandbox.advance(timedelta(seconds=1))
    assert len(user.bot_messages) == before + 1
    sets = exercise.dose.sets_max or exercise.dose.sets
    assert label(sandbox, "timer_set_done", set_number=1, set_count=sets) in last_text(user)
    # the old message lost its buttons, the new one has the next set
    assert user.bot_messages[-2].buttons == []
    await tap(sandbox, user, "btn_next_set", set_number=2)
    await tap(sandbox, user, "btn_stop_timer")
    await sandbox.advance(timedelta(seconds=seconds * 2))
    assert len(user.bot_messages) == before + 1  # a stopped timer never fires


async def test_decline_stores_nothing(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await say(sandbox, user, "/start")
    await tap(sandbox, user, "btn_decline")
    assert last_text(user) == label(sandbox, "declined")
    assert sandbox.services is not None
    async with sandbox.services.db.unit_of_work() as uow:
        assert await uow.patients.count() == 0


async def test_returning_patient_is_greeted_without_consent_again(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    await say(sandbox, user, "/start")
    message = user.last_bot_message(with_buttons=True)
    assert message is not None
    assert label(sandbox, "btn_agree") not in [b for row in message.labels for b in row]


async def test_mydata_shows_and_forget_deletes_everything(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    await tap(sandbox, user, "btn_hurts")
    await say(sandbox, user, "/mydata")
    summary, document = user.bot_messages[-2:]
    patient = await patient_of(sandbox, user)
    assert summary.text is not None and patient.code in summary.text
    assert document.media is not None and document.media.kind == "document"
    assert document.media.name == f"my-data-{patient.code}.json"
    data = sandbox.emulator.world.files.content(document.media)
    assert data is not None
    export = json.loads(data)
    assert export["you"]["telegram_user_id"] == user.id
    assert [a["what"] for a in export["answers"]] == ["pain"]
    assert export["safety"]["on_hold_since"] is not None
    assert "claimed_by" not in data.decode() and "idempotency_key" not in data.decode()
    await say(sandbox, user, "/forget")
    await tap(sandbox, user, "btn_forget_no")
    assert last_text(user) == label(sandbox, "forget_kept")
    await say(sandbox, user, "/forget")
    # on hold: the question warns first, and the goodbye repeats the advice
    assert phone(sandbox) in last_text(user)
    await tap(sandbox, user, "btn_forget_yes")
    assert last_text(user).startswith(label(sandbox, "forgotten"))
    assert phone(sandbox) in last_text(user)
    assert sandbox.services is not None
    async with sandbox.services.db.unit_of_work() as uow:
        assert await uow.patients.count() == 0
    await say(sandbox, user, "/mydata")
    assert last_text(user) == label(sandbox, "mydata_none")


async def test_a_tap_that_waited_for_the_database_is_stamped_when_it_went_in(
    sqlite_sandbox: Sandbox,
) -> None:
    """SQLite writers take turns: a tap that waited for another writer reads the clock in
    its own transaction, not before the wait (its step timer would start early)."""
    sandbox = sqlite_sandbox
    assert sandbox.services is not None
    user = sandbox.user()
    await open_session(sandbox, user)
    (before,) = await sessions_of(sandbox, user)
    holding, release = asyncio.Event(), asyncio.Event()

    async def another_writer() -> None:
        async with sandbox.services.db.unit_of_work() as uow:  # type: ignore[union-attr]
            await uow.patients.count()
            holding.set()
            await release.wait()

    writer = asyncio.create_task(another_writer())
    await holding.wait()
    user.tap(label(sandbox, "btn_next"))
    for _ in range(50):  # the tap is in, waiting for its turn
        await asyncio.sleep(0.01)
    sandbox.clock.advance(timedelta(minutes=3))
    went_in = sandbox.clock.now()
    release.set()
    await writer
    await sandbox.settle()
    (session,) = await sessions_of(sandbox, user)
    assert session.rev == before.rev + 1 and session.updated_at == went_in
