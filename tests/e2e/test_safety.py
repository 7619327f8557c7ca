"""Safety follow-through end to end: holds, check-ins, clearance, soreness, warning signs,
clinic alerts and staff commands."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from bot.core.screens import clinic_values
from bot.sandbox.harness import Sandbox
from bot.sandbox.models import ChatMessage
from bot.sandbox.world import SimUser
from tests.e2e.journeys import (
    button_data,
    hold_text,
    label,
    last_shown,
    last_text,
    onboard,
    say,
    sessions_of,
    tap,
    tap_newest,
    tap_next_until_question,
    texts_since,
)
from tests.e2e.test_reminders import patient_of, reminders_received, subscribe, timers_of

STAFF_ID = 990_001
MONDAY_MORNING = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # 06:00 in New York


@pytest.fixture
async def clinic_sandbox(database_url: str) -> AsyncIterator[Sandbox]:
    async with Sandbox(database_url=database_url, staff_chat_id=STAFF_ID) as running:
        yield running


def events(sandbox: Sandbox, user: SimUser, text_key: str) -> list[datetime]:
    start = label(sandbox, text_key)[:20]
    return [
        e.at
        for e in sandbox.world.events
        if e.kind == "bot_message"
        and e.user_id == user.chat_id
        and (e.text or "").startswith(start)
    ]


async def hurt_during_second_exercise(sandbox: Sandbox, user: SimUser) -> None:
    await say(sandbox, user, "/exercise")
    await tap(sandbox, user, "btn_begin")
    await tap(sandbox, user, "btn_skip")
    await tap(sandbox, user, "btn_hurts")


async def test_pain_holds_reminders_and_checks_in_at_most_every_two_days(
    sandbox: Sandbox,
) -> None:
    sandbox.clock.set(MONDAY_MORNING)
    user = sandbox.user()
    await subscribe(sandbox, user, at="18:00")
    await hurt_during_second_exercise(sandbox, user)
    assert (await patient_of(sandbox, user)).hold_since is not None
    pending = [t.kind for t in await timers_of(sandbox, user) if t.state == "pending"]
    assert pending == ["checkin"]  # the daily reminder was cancelled, not hidden
    await sandbox.advance(timedelta(days=7))
    assert reminders_received(sandbox, user) == []
    checkins = events(sandbox, user, "checkin_question")
    assert 3 <= len(checkins) <= 4
    assert checkins[0] == datetime(2026, 3, 3, 23, 0, tzinfo=UTC)  # next day, 18:00 local
    gaps = [b - a for a, b in pairwise(checkins)]
    assert all(gap >= timedelta(days=2) for gap in gaps)
    # "the same" gets the advice again, with the phone
    await tap(sandbox, user, "btn_checkin_same")
    assert sandbox.services is not None
    assert sandbox.services.content.clinic.phone_display in last_text(user)
    # /resume never resumes silently, and shows the advice with the clinic's contact again
    await say(sandbox, user, "/resume")
    assert hold_text(sandbox) in texts_since(user, 2)
    await tap_newest(sandbox, user, "btn_cleared")
    await tap_newest(sandbox, user, "btn_resume_all")
    assert last_shown(sandbox, user).startswith(label(sandbox, "resumed_all"))
    assert label(sandbox, "next_reminder", when="Mon 9 Mar, 18:00") in last_shown(sandbox, user)
    await sandbox.advance(timedelta(days=1))
    assert len(reminders_received(sandbox, user)) == 1
    kinds = [r.kind for r in await _reports(sandbox, user)]
    assert "checkin_same" in kinds and "cleared" in kinds


async def _reports(sandbox: Sandbox, user: SimUser):  # type: ignore[no-untyped-def]
    from tests.e2e.journeys import reports_of

    return await reports_of(sandbox, user)


async def test_no_session_while_on_hold(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    await hurt_during_second_exercise(sandbox, user)
    await say(sandbox, user, "/exercise")
    # the advice with the clinic's phone every time, and the unanswered warning question
    assert texts_since(user, 2)[0] == hold_text(sandbox)
    assert last_text(user).startswith(label(sandbox, "warning_question", signs="")[:20])
    await tap_newest(sandbox, user, "btn_not_yet")
    assert last_shown(sandbox, user) == label(sandbox, "not_yet")
    assert (await patient_of(sandbox, user)).hold_since is not None


@pytest.mark.parametrize(
    ("choice", "expect_alternative"),
    [("btn_resume_without", False), ("btn_resume_without_keep_alt", True)],
)
async def test_resume_without_the_exercise_that_hurt(
    sandbox: Sandbox, choice: str, expect_alternative: bool
) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    await hurt_during_second_exercise(sandbox, user)
    [hurt_session] = await sessions_of(sandbox, user)
    assert sandbox.services is not None
    content = sandbox.services.content
    hurt = content.exercises[hurt_session.exercises[1]]
    assert hurt.alternative is not None
    alternative = content.exercises[hurt.alternative]
    await say(sandbox, user, "/exercise")
    await tap_newest(sandbox, user, "btn_cleared")
    values = (
        {"exercise_title": hurt.short_title}
        if choice == "btn_resume_without"
        else {"alternative_title": alternative.short_title}
    )
    await tap_newest(sandbox, user, choice, **values)
    await say(sandbox, user, "/exercise")
    intro = last_text(user)
    assert hurt.title in intro  # "left out for now: ..."
    session = (await sessions_of(sandbox, user))[-1]
    assert hurt.id not in session.exercises
    assert (alternative.id in session.exercises) is expect_alternative
    patient = await patient_of(sandbox, user)
    assert hurt.id in patient.held_exercises
    assert (alternative.id in patient.held_exercises) is not expect_alternative


async def test_sore_gets_a_follow_up_two_days_later(sandbox: Sandbox) -> None:
    sandbox.clock.set(MONDAY_MORNING)
    user = sandbox.user()
    await onboard(sandbox, user)
    await say(sandbox, user, "/exercise")
    await tap(sandbox, user, "btn_begin")
    await tap_next_until_question(sandbox, user)
    await tap(sandbox, user, "btn_feel_sore")
    await sandbox.advance(timedelta(days=1))
    assert events(sandbox, user, "sore_followup_question") == []
    await sandbox.advance(timedelta(days=1, hours=6))
    [asked] = events(sandbox, user, "sore_followup_question")
    # no zone chosen yet: 10:00 in the clinic's zone (Boston), not 10:00 UTC (05:00 there)
    assert asked == datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    await tap(sandbox, user, "btn_sore_still")
    assert sandbox.services is not None
    assert sandbox.services.content.clinic.phone_display in last_text(user)
    values = clinic_values(sandbox.services.content, "en")
    assert label(sandbox, "advice_sore_persisting", **values) in last_text(user)


async def test_three_sore_answers_in_a_row_prompt_the_advice(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    persisting = label(
        sandbox,
        "advice_sore_persisting",
        clinic_name="",
        clinic_phone="",
        clinic_credentials="",
        clinic_address="",
        clinic_hours="",
        clinic_website="",
    )[:30]
    for round_number in range(3):
        await say(sandbox, user, "/exercise")
        await tap(sandbox, user, "btn_begin")
        await tap_next_until_question(sandbox, user)
        before = len(user.bot_messages)
        await tap(sandbox, user, "btn_feel_sore")
        # the closing is the tapped question, edited; the first also offers reminders
        closing = "\n".join(texts_since(user, len(user.bot_messages) - before + 1))
        assert label(sandbox, "advice_sore") in closing
        assert (persisting in closing) is (round_number == 2)


async def test_a_session_all_skipped_is_no_soreness_and_no_praise(sandbox: Sandbox) -> None:
    """Issue 11, 8: nothing done is not "well done", and its answer is not a feeling."""
    user = sandbox.user()
    await onboard(sandbox, user)
    await say(sandbox, user, "/exercise")
    await tap(sandbox, user, "btn_begin")
    await tap(sandbox, user, "btn_skip")
    await tap(sandbox, user, "btn_skip")
    await tap(sandbox, user, "btn_feel_sore")
    closing, offer = texts_since(user, 2)
    assert closing == label(sandbox, "all_skipped")
    assert offer == label(sandbox, "reminders_offer")
    assert [r.kind for r in await _reports(sandbox, user)] == []
    assert (await patient_of(sandbox, user)).sore_streak == 0
    assert events(sandbox, user, "sore_followup_question") == []
    await sandbox.advance(timedelta(days=3))
    assert events(sandbox, user, "sore_followup_question") == []


async def test_warning_sign_yes_shows_urgent_care_first(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    await hurt_during_second_exercise(sandbox, user)
    await tap(sandbox, user, "btn_warning_yes")
    assert sandbox.services is not None
    clinic = sandbox.services.content.clinic
    text = last_text(user)
    urgent = label(sandbox, "advice_urgent", emergency_number=clinic.emergency_number)
    assert text.startswith(urgent)  # first, and in full
    assert text.index(urgent) < text.index(clinic.phone_display)
    assert clinic.emergency_number in text
    reports = await _reports(sandbox, user)
    assert [(r.kind, r.detail) for r in reports if r.kind == "warning_sign"] == [
        ("warning_sign", "yes")
    ]
    # answering again from the same message changes nothing
    message = next(m for m in user.bot_messages if m.text == text)
    user.tap_data(message.message_id, "1:wa:" + format(reports[0].session_id, "x") + ":0:y")
    await sandbox.settle()
    assert len([r for r in await _reports(sandbox, user) if r.kind == "warning_sign"]) == 1


async def test_warning_sign_no(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    await hurt_during_second_exercise(sandbox, user)
    await tap(sandbox, user, "btn_warning_no")
    assert last_text(user) == label(sandbox, "warning_none")


def staff_messages(sandbox: Sandbox) -> list[str]:
    return [
        e.text or ""
        for e in sandbox.world.events
        if e.kind == "bot_message" and e.user_id == STAFF_ID
    ]


async def test_alert_needs_both_setting_and_opt_in(clinic_sandbox: Sandbox) -> None:
    sandbox = clinic_sandbox
    sandbox.world.create_user(user_id=STAFF_ID, first_name="Staff")
    yes, no = sandbox.user("Yes"), sandbox.user("No")
    for user, answer in ((yes, "btn_alerts_yes"), (no, "btn_alerts_no")):
        await say(sandbox, user, "/start")
        await tap(sandbox, user, "btn_agree")
        await tap(sandbox, user, answer)
        await hurt_during_second_exercise(sandbox, user)
        await tap(sandbox, user, "btn_warning_yes")
    await sandbox.advance(timedelta(seconds=1))
    messages = staff_messages(sandbox)
    code = (await patient_of(sandbox, yes)).code
    other = (await patient_of(sandbox, no)).code
    assert len(messages) == 2  # the pain report and the warning-sign answer
    assert all(code in m for m in messages)
    assert not any(other in m for m in messages)
    assert all("Alex" not in m and "Yes" not in m.split(":")[0] for m in messages)


async def test_no_alerts_and_no_question_without_a_staff_chat(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await say(sandbox, user, "/start")
    await tap(sandbox, user, "btn_agree")
    assert all(
        label(sandbox, "btn_alerts_yes") not in [b for row in m.labels for b in row]
        for m in user.bot_messages
    )
    await hurt_during_second_exercise(sandbox, user)
    await sandbox.advance(timedelta(seconds=1))
    assert [t for t in await timers_of(sandbox, user) if t.kind == "staff_alert"] == []


async def test_staff_can_look_up_and_clear_a_patient(clinic_sandbox: Sandbox) -> None:
    sandbox = clinic_sandbox
    staff = sandbox.world.create_user(user_id=STAFF_ID, first_name="Staff")
    user = sandbox.user()
    await say(sandbox, user, "/start")
    await tap(sandbox, user, "btn_agree")
    await tap(sandbox, user, "btn_alerts_yes")
    await hurt_during_second_exercise(sandbox, user)
    code = (await patient_of(sandbox, user)).code
    # anyone else gets the ordinary unknown-command answer
    await say(sandbox, user, f"/patient {code}")
    assert last_text(user) == label(sandbox, "unknown_command")
    await say(sandbox, staff, f"/patient {code}")
    assert code in last_text(staff)
    assert "pain" in last_text(staff)
    await say(sandbox, staff, "/patient P-NOPE")
    assert last_text(staff) == label(sandbox, "staff_no_patient", code="P-NOPE")
    await say(sandbox, staff, f"/patient {code}")
    await tap(sandbox, staff, "btn_staff_clear")
    assert last_text(staff) == label(sandbox, "staff_cleared", code=code)
    assert last_text(user).startswith(label(sandbox, "cleared_by_clinic"))
    assert (await patient_of(sandbox, user)).hold_since is None


async def test_history_lists_the_last_14_days(sandbox: Sandbox) -> None:
    """Each day by what was done (issue 11, 8); an open session is not a day yet."""
    sandbox.clock.set(MONDAY_MORNING)
    user = sandbox.user()
    await onboard(sandbox, user)
    for skips in (0, 2, 1):
        await say(sandbox, user, "/exercise")
        await tap(sandbox, user, "btn_begin")
        for _ in range(skips):
            await tap(sandbox, user, "btn_skip")
        await tap_next_until_question(sandbox, user)
        await tap_newest(sandbox, user, "btn_feel_fine")
        await sandbox.advance(timedelta(days=1))
    await hurt_during_second_exercise(sandbox, user)
    await sandbox.advance(timedelta(days=1))
    await say(sandbox, user, "/exercise")  # on hold now: no session opens
    await say(sandbox, user, "/history")
    text = last_text(user)
    assert f"Mon 2 Mar: {label(sandbox, 'history_done')}" in text
    assert f"Tue 3 Mar: {label(sandbox, 'history_skipped')}" in text
    assert f"Wed 4 Mar: {label(sandbox, 'history_partly')}" in text
    assert f"Thu 5 Mar: {label(sandbox, 'history_pain')}" in text
    assert "Fri 6 Mar" not in text


async def test_it_hurts_on_an_old_screen_after_clearance_is_never_ignored(
    sandbox: Sandbox,
) -> None:
    """Found by the state machine: pain, cleared, then "It hurts" on an older screen of the
    session that had ended in pain. The advice must come again, and the hold too."""
    user = sandbox.user()
    await onboard(sandbox, user)
    await say(sandbox, user, "/exercise")
    await tap(sandbox, user, "btn_begin")
    await tap(sandbox, user, "btn_next")
    old_screen = user.last_bot_message(with_buttons=True)
    assert old_screen is not None
    hurts = button_data(sandbox, old_screen, "btn_hurts")
    await say(sandbox, user, "/exercise")
    await tap(sandbox, user, "btn_continue")
    assert old_screen.buttons == []  # "Go on" leaves no second live keyboard behind
    await tap(sandbox, user, "btn_hurts")
    await tap(sandbox, user, "btn_warning_no")
    await say(sandbox, user, "/resume")
    await tap_newest(sandbox, user, "btn_cleared")
    await tap_newest(sandbox, user, "btn_resume_all")
    assert (await patient_of(sandbox, user)).hold_since is None
    assert hurts is not None
    user.tap_data(old_screen.message_id, hurts)  # a client that still shows the old keyboard
    await sandbox.settle()
    advice, question = user.bot_messages[-2:]
    assert sandbox.services is not None
    assert sandbox.services.content.clinic.phone_display in (advice.text or "")
    assert question.labels == [
        [label(sandbox, "btn_warning_yes"), label(sandbox, "btn_warning_no")]
    ]
    assert (await patient_of(sandbox, user)).hold_since is not None
    assert [r.kind for r in await _reports(sandbox, user)].count("pain") == 2


async def _at_the_feeling_question(sandbox: Sandbox, user: SimUser) -> tuple[ChatMessage, str]:
    """A whole session up to "How did it feel?": that message and its "It hurt" data."""
    await onboard(sandbox, user)
    await say(sandbox, user, "/exercise")
    await tap(sandbox, user, "btn_begin")
    await tap_next_until_question(sandbox, user)
    question = user.last_bot_message(with_buttons=True)
    assert question is not None
    return question, button_data(sandbox, question, "btn_feel_pain")


async def test_it_hurt_on_an_answered_feeling_question_is_never_ignored(
    sandbox: Sandbox,
) -> None:
    """Found by the state machine: "It hurt" tapped on the end-of-session question of a
    session that had already ended ("Fine" answered, or ended another way) was answered
    with "already ended". A patient who says it hurt gets the advice and the hold; a second
    tap on the same message while held does not count the pain twice."""
    user = sandbox.user()
    question, hurt = await _at_the_feeling_question(sandbox, user)
    await tap(sandbox, user, "btn_feel_fine")
    assert (await patient_of(sandbox, user)).hold_since is None
    user.tap_data(question.message_id, hurt)  # a client that still shows the old keyboard
    await sandbox.settle()
    advice, warning = user.bot_messages[-2:]
    assert sandbox.services is not None
    assert sandbox.services.content.clinic.phone_display in (advice.text or "")
    assert warning.labels == [[label(sandbox, "btn_warning_yes"), label(sandbox, "btn_warning_no")]]
    assert (await patient_of(sandbox, user)).hold_since is not None
    user.tap_data(question.message_id, hurt)  # again, still on hold
    await sandbox.settle()
    assert [r.kind for r in await _reports(sandbox, user)].count("pain") == 1


async def test_it_hurt_on_an_older_screen_of_the_open_feeling_question_is_a_report(
    sandbox: Sandbox,
) -> None:
    """The question "How did it feel?" shown again (/exercise, "Go on"): "It hurt" tapped on
    the older copy still reports the pain, holds and advises (not "this button is old")."""
    user = sandbox.user()
    question, hurt = await _at_the_feeling_question(sandbox, user)
    await say(sandbox, user, "/exercise")
    await tap(sandbox, user, "btn_continue")
    assert user.last_bot_message(with_buttons=True) is not question
    user.tap_data(question.message_id, hurt)
    await sandbox.settle()
    assert (await patient_of(sandbox, user)).hold_since is not None
    assert [r.kind for r in await _reports(sandbox, user)].count("pain") == 1
    assert sandbox.services is not None
    phone = sandbox.services.content.clinic.phone_display
    [tapped] = [m for m in user.bot_messages if m.message_id == question.message_id]
    assert phone in (tapped.text or "")  # the tapped screen became the advice


async def test_clearance_says_truthfully_whether_reminders_come(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)  # no reminders set up
    await hurt_during_second_exercise(sandbox, user)
    await say(sandbox, user, "/resume")
    await tap_newest(sandbox, user, "btn_cleared")
    await tap_newest(sandbox, user, "btn_resume_all")
    assert last_shown(sandbox, user).endswith(label(sandbox, "no_reminders"))
