"""Issue 11 through the real bot: what a patient types, the questions left unanswered, the
screens that must always lead somewhere, and the advice that must always come."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.screens import pain_advice
from bot.sandbox.harness import Sandbox
from bot.sandbox.world import SimUser
from tests.e2e.journeys import (
    label,
    last_text,
    onboard,
    open_session,
    patient_of,
    reports_of,
    say,
    sessions_of,
    tap,
    tap_newest,
    texts_since,
)
from tests.e2e.test_reminders import subscribe
from tests.e2e.test_safety import STAFF_ID, hurt_during_second_exercise
from tests.e2e.test_safety import clinic_sandbox as clinic_sandbox  # the fixture


def phone(sandbox: Sandbox) -> str:
    assert sandbox.services is not None
    return sandbox.services.content.clinic.phone_display


def buttons(user: SimUser) -> list[str]:
    message = user.last_bot_message(with_buttons=True)
    return [b for row in message.labels for b in row] if message else []


def keyboards(user: SimUser) -> int:
    """How many of the bot's messages in this chat still have buttons."""
    return sum(1 for m in user.bot_messages if m.buttons)


async def ask_for_a_typed_time(sandbox: Sandbox, user: SimUser) -> None:
    await say(sandbox, user, "/settings")
    await tap(sandbox, user, "btn_every_day")
    await tap(sandbox, user, "btn_days_done")
    await tap(sandbox, user, "btn_other_time")
    assert last_text(user) == label(sandbox, "ask_time")


def zone_question(sandbox: Sandbox) -> str:
    return label(sandbox, "settings_zone")[:20]


# --- 2. a question waiting for typed text ends -------------------------------------------


@pytest.mark.parametrize("ended_by", ["/cancel", "/next", "/help", "/frobnicate", "session"])
async def test_a_typed_question_ends_with_a_command_or_a_session(
    sandbox: Sandbox, ended_by: str
) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    await ask_for_a_typed_time(sandbox, user)
    if ended_by == "session":
        await say(sandbox, user, "/exercise")
        await tap_newest(sandbox, user, "btn_begin")
    else:
        await say(sandbox, user, ended_by)
    assert (await patient_of(sandbox, user)).settings_step is None
    await say(sandbox, user, "7pm")
    # not read as a time any more: no zone question, no time saved
    assert not any(t.startswith(zone_question(sandbox)) for t in texts_since(user, 2))
    assert label(sandbox, "expect_button") in texts_since(user, 2)
    assert (await patient_of(sandbox, user)).reminder_time is None


async def test_a_typed_question_ends_after_a_while(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    await ask_for_a_typed_time(sandbox, user)
    await sandbox.advance(timedelta(hours=1))
    await say(sandbox, user, "7pm")
    assert label(sandbox, "expect_button") in texts_since(user, 2)
    assert (await patient_of(sandbox, user)).settings_step is None


async def test_pain_typed_while_a_question_waits_is_pain_not_a_time(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    await ask_for_a_typed_time(sandbox, user)
    await say(sandbox, user, "it hurts")
    assert phone(sandbox) in last_text(user)
    assert label(sandbox, "time_invalid") not in texts_since(user, 2)
    assert (await patient_of(sandbox, user)).settings_step is None


# --- 3. held exercises add up ------------------------------------------------------------


async def test_exercises_left_out_accumulate_until_each_is_cleared(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    assert sandbox.services is not None
    content = sandbox.services.content
    # pain on the first exercise, cleared without it
    await say(sandbox, user, "/exercise")
    await tap(sandbox, user, "btn_begin")
    await tap(sandbox, user, "btn_hurts")
    first = (await sessions_of(sandbox, user))[-1].exercises[0]
    await say(sandbox, user, "/exercise")
    await tap_newest(sandbox, user, "btn_cleared")
    await tap_newest(
        sandbox, user, "btn_resume_without", exercise_title=content.exercises[first].short_title
    )
    # pain on the next one, cleared without it too
    await say(sandbox, user, "/exercise")
    await tap_newest(sandbox, user, "btn_begin")
    await tap(sandbox, user, "btn_hurts")
    second = (await sessions_of(sandbox, user))[-1].exercises[0]
    assert second != first
    await say(sandbox, user, "/exercise")
    await tap_newest(sandbox, user, "btn_cleared")
    await tap_newest(
        sandbox, user, "btn_resume_without", exercise_title=content.exercises[second].short_title
    )
    assert {first, second} <= set((await patient_of(sandbox, user)).held_exercises)
    await say(sandbox, user, "/exercise")
    opened = (await sessions_of(sandbox, user))[-1]
    assert first not in opened.exercises and second not in opened.exercises


# --- 4. typed pain -----------------------------------------------------------------------


@pytest.mark.parametrize("said", ["it hurts", "my back hurts, stop", "Ouch, that is painful"])
async def test_typed_pain_in_a_session_stops_it_with_the_advice(
    sandbox: Sandbox, said: str
) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    await say(sandbox, user, said)
    text = last_text(user)
    assert sandbox.services is not None
    for paragraph in pain_advice(sandbox.services.content, "en").split("\n\n"):
        assert paragraph in text  # in full, in one step
    assert buttons(user) == [
        label(sandbox, "btn_typed_pain_yes"),
        label(sandbox, "btn_typed_pain_no"),
    ]
    assert keyboards(user) == 1  # the session's screen cannot be tapped on meanwhile
    question = user.last_bot_message(with_buttons=True)
    assert question is not None
    question_id, yes_data = question.message_id, question.buttons[0][0].callback_data
    await tap(sandbox, user, "btn_typed_pain_yes")
    [report] = await reports_of(sandbox, user)
    assert (report.kind, report.source) == ("pain", "typed")
    [session] = await sessions_of(sandbox, user)
    assert session.outcome == "pain" and session.finished_at is not None
    assert (await patient_of(sandbox, user)).hold_since is not None
    # a second tap on the same answer records nothing twice
    user.tap_data(question_id, yes_data)
    await sandbox.settle()
    assert len(await reports_of(sandbox, user)) == 1


async def test_typed_pain_then_no_carries_on_where_it_was(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    await tap(sandbox, user, "btn_next")
    step = last_text(user).split("\n")[1]
    await say(sandbox, user, "it hurts")
    await tap(sandbox, user, "btn_typed_pain_no")
    assert label(sandbox, "typed_pain_fine") in texts_since(user, 2)
    assert last_text(user).split("\n")[1] == step
    assert label(sandbox, "btn_next") in buttons(user)
    assert await reports_of(sandbox, user) == []
    assert (await patient_of(sandbox, user)).hold_since is None


async def test_typed_pain_outside_a_session_holds_too(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    await say(sandbox, user, "my back hurts")
    assert phone(sandbox) in last_text(user)
    await tap(sandbox, user, "btn_typed_pain_yes")
    [report] = await reports_of(sandbox, user)
    assert report.kind == "pain" and report.session_id is None
    assert (await patient_of(sandbox, user)).hold_since is not None


@pytest.mark.parametrize("said", ["no pain today", "it doesn't hurt", "all good, no pain at all"])
async def test_a_negation_is_not_pain(sandbox: Sandbox, said: str) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    await say(sandbox, user, said)
    assert label(sandbox, "btn_typed_pain_yes") not in buttons(user)
    assert label(sandbox, "expect_button") in texts_since(user, 2)
    assert await reports_of(sandbox, user) == []


async def test_typed_pain_before_agreeing_gets_the_advice_and_a_way_in(
    sandbox: Sandbox,
) -> None:
    user = sandbox.user()
    await say(sandbox, user, "it hurts a lot")
    assert phone(sandbox) in "\n".join(texts_since(user, 2))
    assert buttons(user) == [label(sandbox, "btn_start")]
    assert sandbox.services is not None
    async with sandbox.services.db.unit_of_work() as uow:
        assert await uow.patients.count() == 0  # nothing stored without consent


# --- 5. a check-in that is worse ---------------------------------------------------------


async def test_a_worse_check_in_asks_the_warning_signs_again(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    await hurt_during_second_exercise(sandbox, user)
    await tap_newest(sandbox, user, "btn_warning_no")
    await sandbox.advance(timedelta(days=2, hours=12))
    await tap_newest(sandbox, user, "btn_checkin_worse")
    advice, question = texts_since(user, 2)
    assert phone(sandbox) in advice
    assert not advice.startswith("Please stop now")  # the mid-exercise words do not fit
    assert question.startswith(label(sandbox, "warning_question", signs="")[:20])
    assert buttons(user) == [label(sandbox, "btn_warning_yes"), label(sandbox, "btn_warning_no")]


# --- 7. the emergency number where the patient lives --------------------------------------


@pytest.mark.parametrize(
    ("place", "number"), [("Berlin, Germany", "112"), ("London, UK", "999"), ("Boston", "911")]
)
async def test_the_emergency_number_follows_the_patients_zone(
    sandbox: Sandbox, place: str, number: str
) -> None:
    user = sandbox.user()
    await subscribe(sandbox, user, zone=place)
    await hurt_during_second_exercise(sandbox, user)
    await tap_newest(sandbox, user, "btn_warning_yes")
    text = last_text(user)
    assert label(sandbox, "advice_urgent", emergency_number=number) in text
    if number != "911":
        assert "911" not in text


async def test_staff_alerts_are_in_the_clinics_time_and_a_yes_is_urgent(
    clinic_sandbox: Sandbox,
) -> None:
    sandbox = clinic_sandbox
    sandbox.world.create_user(user_id=STAFF_ID, first_name="Staff")
    user = sandbox.user()
    await say(sandbox, user, "/start")
    await tap(sandbox, user, "btn_agree")
    await tap(sandbox, user, "btn_alerts_yes")
    await tap(sandbox, user, "btn_later")
    await tap(sandbox, user, "btn_set_reminders")
    await tap(sandbox, user, "btn_every_day")
    await tap(sandbox, user, "btn_days_done")
    await tap(sandbox, user, "btn_other_time")
    await say(sandbox, user, "9:00")
    await say(sandbox, user, "Berlin, Germany")
    await hurt_during_second_exercise(sandbox, user)
    await tap_newest(sandbox, user, "btn_warning_yes")
    await sandbox.advance(timedelta(seconds=1))
    staff = [
        e.text or ""
        for e in sandbox.world.events
        if e.kind == "bot_message" and e.user_id == STAFF_ID
    ]
    assert len(staff) == 2
    assert staff[1].startswith("URGENT")
    now = sandbox.clock.now()
    boston = now.astimezone(ZoneInfo("America/New_York"))
    berlin = now.astimezone(ZoneInfo("Europe/Berlin"))
    assert f"{boston:%H:%M}" in staff[0] and f"{berlin:%H:%M}" not in staff[0]


# --- 10. one question per screen ---------------------------------------------------------


async def test_onboarding_asks_one_question_per_screen(clinic_sandbox: Sandbox) -> None:
    sandbox = clinic_sandbox
    user = sandbox.user()
    await say(sandbox, user, "/start")
    await tap(sandbox, user, "btn_agree")
    assert buttons(user) == [label(sandbox, "btn_alerts_yes"), label(sandbox, "btn_alerts_no")]
    assert last_text(user).count("?") == 1
    code = (await patient_of(sandbox, user)).code
    assert code in last_text(user)  # the code the note would carry is the patient's own
    await tap(sandbox, user, "btn_alerts_no")
    assert buttons(user) == [label(sandbox, "btn_start_now"), label(sandbox, "btn_later")]
    assert last_text(user).endswith(label(sandbox, "start_question"))
    await tap(sandbox, user, "btn_later")
    assert buttons(user) == [
        label(sandbox, "btn_set_reminders"),
        label(sandbox, "btn_no_reminders"),
    ]
    await tap(sandbox, user, "btn_no_reminders")
    assert buttons(user) == []
    assert last_text(user) == label(sandbox, "reminders_declined")


# --- 12. typed times ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "hhmm"),
    [("7pm", "19:00"), ("half past seven", "07:30"), ("noon", "12:00"), ("at 7pm", "19:00")],
)
async def test_a_typed_time_is_read_where_time_buttons_are_shown(
    sandbox: Sandbox, typed: str, hhmm: str
) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    await say(sandbox, user, "/settings")
    await tap(sandbox, user, "btn_every_day")
    await tap(sandbox, user, "btn_days_done")  # the time buttons, no typed question asked
    await say(sandbox, user, typed)
    assert last_text(user).startswith(zone_question(sandbox))
    await say(sandbox, user, "Boston")
    assert (await patient_of(sandbox, user)).reminder_time == hhmm


async def test_a_typed_correction_of_the_time_is_a_time_not_a_city(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    await ask_for_a_typed_time(sandbox, user)
    await say(sandbox, user, "7pm")
    await say(sandbox, user, "8pm")
    assert last_text(user).startswith(zone_question(sandbox))
    assert label(sandbox, "zone_invalid") not in texts_since(user, 2)
    await say(sandbox, user, "Boston")
    assert (await patient_of(sandbox, user)).reminder_time == "20:00"


# --- 13, 14. places a patient types, and zones in the patient's language ------------------


@pytest.mark.parametrize(
    "place", ["Cambridge", "Somerville", "Worcester", "Boston MA", "EST", "Eastern"]
)
async def test_places_near_a_boston_clinic(sandbox: Sandbox, place: str) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    await ask_for_a_typed_time(sandbox, user)
    await say(sandbox, user, "7:30")
    await say(sandbox, user, place)
    assert (await patient_of(sandbox, user)).timezone == "America/New_York"


async def test_an_ambiguous_place_is_asked_about_with_the_clinics_country_first(
    sandbox: Sandbox,
) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    await ask_for_a_typed_time(sandbox, user)
    await say(sandbox, user, "7:30")
    await say(sandbox, user, "Quincy")
    assert last_text(user) == label(sandbox, "zone_which")
    choices = buttons(user)
    assert choices[0].startswith("Quincy, Massachusetts")
    assert any("Illinois" in c for c in choices)
    assert choices[-1] == label(sandbox, "btn_other_zone")
    await tap(sandbox, user, choices[1])
    assert (await patient_of(sandbox, user)).timezone == "America/Chicago"


async def test_a_spanish_speaker_is_offered_spanish_speaking_zones(sandbox: Sandbox) -> None:
    user = sandbox.user("Lucía", language_code="es")
    await onboard(sandbox, user)
    await say(sandbox, user, "/settings")
    await tap(sandbox, user, "btn_every_day")
    await tap(sandbox, user, "btn_days_done")
    await tap(sandbox, user, "07:00")
    offered = " ".join(buttons(user))
    assert "Madrid" in offered and "Ciudad de México" in offered  # named in Spanish (CLDR)
    assert "New York" not in offered
    await say(sandbox, user, "Ciudad de México")
    assert (await patient_of(sandbox, user)).timezone == "America/Mexico_City"


# --- 15. no dead ends --------------------------------------------------------------------


async def test_text_before_start_leads_to_the_start(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await say(sandbox, user, "hello")
    assert buttons(user) == [label(sandbox, "btn_start")]
    await tap(sandbox, user, "btn_start")
    # the consent question, and the other language below it
    assert buttons(user) == [label(sandbox, "btn_agree"), label(sandbox, "btn_decline"), "Español"]


async def test_text_after_declining_leads_back_to_the_start(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await say(sandbox, user, "/start")
    await tap(sandbox, user, "btn_decline")
    assert buttons(user) == [label(sandbox, "btn_start")]
    await say(sandbox, user, "hello")
    assert buttons(user) == [label(sandbox, "btn_start")]
    for command in ("/exercise", "/settings"):
        await say(sandbox, user, command)
        assert buttons(user) == [label(sandbox, "btn_start")]


async def test_start_again_asks_what_to_do(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await onboard(sandbox, user)
    await say(sandbox, user, "/start")
    assert buttons(user) == [label(sandbox, "btn_start_now"), label(sandbox, "btn_later")]
    assert last_text(user).rstrip().endswith("?")


# --- 16. the timer's rounds ----------------------------------------------------------------


async def test_the_timer_counts_rounds_without_demanding_three(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    await tap(sandbox, user, "btn_next")
    await tap(sandbox, user, "btn_next")
    ready = last_text(user)
    assert "set 1 of 3" not in ready and "2 or 3 rounds" in ready
    await tap(sandbox, user, "btn_start_timer", seconds=30)
    await sandbox.advance(timedelta(seconds=31))
    assert label(sandbox, "timer_set_done", set_number=1) in last_text(user)
    await tap_newest(sandbox, user, "btn_next_set", set_number=2)
    await tap_newest(sandbox, user, "btn_stop_timer")
    text = last_text(user)
    assert "Round 2 done" in text and "Round 1 done" not in text


# --- 18. an old copy of a screen loses its buttons ----------------------------------------


async def test_a_screen_sent_again_leaves_one_keyboard(sandbox: Sandbox) -> None:
    user = sandbox.user()
    await open_session(sandbox, user)
    assert keyboards(user) == 1
    for typed in ("what now?", "hello", "?"):
        await say(sandbox, user, typed)
        assert keyboards(user) == 1
    await tap(sandbox, user, "btn_next")
    assert "step 2" in last_text(user)
