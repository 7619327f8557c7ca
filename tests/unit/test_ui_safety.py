"""What a patient sees about pain and safety (bot/core/ui/safety.py): every advice in
full, with the clinic's contact after it; the warning signs as content lists them; the
emergency number given."""

from __future__ import annotations

from html import escape

import pytest

from bot.content import default_content_dir
from bot.content.loader import load_content
from bot.content.model import Content
from bot.core.callbacks import Action
from bot.core.screens import Button, Screen, clinic_values
from bot.core.ui import safety
from bot.core.ui.safety import CheckinAnswer, PainRating, ResumeWithout, SoreAnswer, YesNo

LANG = "en"


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(default_content_dir())


def t(content: Content, key: str, **values: object) -> str:
    return escape(content.text(LANG, key, **(clinic_values(content, LANG) | values)), quote=False)


def buttons(screen: Screen) -> list[Button]:
    return [b for row in screen.buttons for b in row]


def advice_then_contact(content: Content, text: str, key: str, **values: object) -> None:
    """``key``'s advice in full, then the clinic's whole contact block, with its phone."""
    advice, contact = t(content, key, **values), t(content, "clinic_contact")
    assert advice in text, f"{key} not in full"
    assert contact in text
    assert text.index(advice) < text.index(contact)
    assert content.clinic.phone_display in contact
    assert content.clinic.address in contact


def test_the_pain_advice_names_the_clinics_phone(content: Content) -> None:
    assert content.clinic.phone_display in t(content, "advice_pain")


def test_pain_closing_is_the_pain_advice_then_the_hold(content: Content) -> None:
    text = safety.pain_closing(content, LANG)
    advice_then_contact(content, text, "advice_pain")
    assert text.endswith(t(content, "hold_notice"))


def test_warning_signs_question_lists_every_sign_from_content(content: Content) -> None:
    screen = safety.warning_screen(content, LANG, 12)
    assert content.warning_signs
    for sign in content.warning_signs:
        assert f"• {escape(sign.label, quote=False)}" in screen.text
    assert screen.text.count("•") == len(content.warning_signs)
    assert screen.text.count("?") == 1
    (row,) = screen.buttons
    assert [YesNo.parse(b.callback.arg) for b in row] == [YesNo(True), YesNo(False)]
    assert {(b.callback.action, b.callback.session_id) for b in row} == {(Action.WARNING, 12)}


def test_the_warning_signs_include_pain_that_gets_worse(content: Content) -> None:
    """Issue 11, item 5: a worse check-in asks this question again because of this sign."""
    assert any("worse" in sign.label.lower() for sign in content.warning_signs)


@pytest.mark.parametrize("number", ["911", "112", "999", "000"])
def test_urgent_advice_gives_the_emergency_number_then_the_clinic(
    content: Content, number: str
) -> None:
    text = safety.urgent_advice(content, LANG, number)
    assert f"call {number} now" in text
    advice_then_contact(content, text, "advice_urgent", emergency_number=number)
    others = {"911", "112", "999", "000"} - {number}
    assert not any(f"call {o}" in text for o in others)


@pytest.mark.parametrize(
    ("zone", "number"),
    [
        ("Europe/Berlin", "112"),
        ("Europe/London", "999"),  # the longer prefix wins
        ("America/New_York", "911"),
        ("Australia/Sydney", "000"),
        (None, "911"),  # no zone chosen: the clinic's country
        ("Asia/Kolkata", "911"),  # not mapped: the clinic's
    ],
)
def test_the_emergency_number_follows_the_patients_zone(
    content: Content, zone: str | None, number: str
) -> None:
    """Issue 11, item 7: a patient in Berlin was told to call 911."""
    assert content.clinic.emergency_number_for(zone) == number


def test_typed_pain_gives_the_advice_at_once_then_asks(content: Content) -> None:
    screen = safety.typed_pain_screen(content, LANG, 7, 3)
    advice_then_contact(content, screen.text, "advice_pain")
    question = t(content, "typed_pain_question")
    assert screen.text.endswith(question)
    assert screen.text.count("?") == 1
    (row,) = screen.buttons
    assert [(b.callback.action, b.callback.session_id, b.callback.rev) for b in row] == [
        (Action.TYPED_PAIN, 7, 3)
    ] * 2
    assert [YesNo.parse(b.callback.arg) for b in row] == [YesNo(True), YesNo(False)]


def test_the_hold_screen_says_why_with_the_clinics_contact_every_time(content: Content) -> None:
    screen = safety.hold_screen(content, LANG)
    advice_then_contact(content, screen.text, "on_hold")
    assert [b.callback.action for b in buttons(screen)] == [Action.CLEARED, Action.NOT_YET]


def test_the_check_in_offers_three_answers_and_the_clearance(content: Content) -> None:
    screen = safety.checkin_screen(content, LANG)
    assert screen.text == t(content, "checkin_question")
    answers = [b for b in buttons(screen) if b.callback.action is Action.CHECKIN]
    assert [CheckinAnswer.parse(b.callback.arg).how for b in answers] == [
        "better",
        "same",
        "worse",
    ]
    assert buttons(screen)[-1].callback.action is Action.CLEARED


def test_a_check_in_the_same_repeats_the_pain_advice(content: Content) -> None:
    screen = safety.checkin_reply(content, LANG, "same")
    advice_then_contact(content, screen.text, "advice_pain")
    assert [b.callback.action for b in buttons(screen)] == [Action.CLEARED]


def test_a_worse_check_in_gets_advice_for_a_check_in(content: Content) -> None:
    """Issue 11, item 5: "Worse" got the mid-exercise "Please stop now"."""
    screen = safety.checkin_reply(content, LANG, "worse")
    advice_then_contact(content, screen.text, "advice_checkin_worse")
    assert "stop now" not in screen.text.lower()
    assert t(content, "advice_pain") not in screen.text


def test_a_better_check_in_still_asks_to_see_the_doctor(content: Content) -> None:
    screen = safety.checkin_reply(content, LANG, "better")
    assert screen.text == t(content, "checkin_better")
    assert "doctor" in screen.text
    assert [b.callback.action for b in buttons(screen)] == [Action.CLEARED]


def test_cleared_question_without_an_exercise_offers_all_or_not_yet(content: Content) -> None:
    screen = safety.cleared_question(content, LANG, None, None)
    assert [b.callback.action for b in buttons(screen)] == [Action.RESUME_ALL, Action.NOT_YET]


def test_cleared_question_names_the_exercise_that_hurt(content: Content) -> None:
    screen = safety.cleared_question(content, LANG, "Arm and leg raises", None)
    without = [b for b in buttons(screen) if b.callback.action is Action.RESUME_WITHOUT]
    assert [b.label for b in without] == ["All but Arm and leg raises"]
    assert ResumeWithout.parse(without[0].callback.arg) == ResumeWithout(False)
    assert buttons(screen)[-1].callback.action is Action.NOT_YET


def test_cleared_question_offers_the_switch_only_with_an_alternative(content: Content) -> None:
    screen = safety.cleared_question(content, LANG, "Arm and leg raises", "Bird dog")
    without = [b for b in buttons(screen) if b.callback.action is Action.RESUME_WITHOUT]
    assert [(b.label, ResumeWithout.parse(b.callback.arg)) for b in without] == [
        ("All but Arm and leg raises", ResumeWithout(False)),
        ("Switch to Bird dog", ResumeWithout(True)),
    ]
    # no exercise, no switch, whatever the alternative
    bare = safety.cleared_question(content, LANG, None, "Bird dog")
    assert Action.RESUME_WITHOUT not in {b.callback.action for b in buttons(bare)}


def test_soreness_is_normal_unless_it_persists(content: Content) -> None:
    passing = safety.sore_closing(content, LANG, persisting=False)
    assert t(content, "advice_sore") in passing
    assert t(content, "sore_followup_scheduled") in passing
    assert content.clinic.phone_display not in passing
    persisting = safety.sore_closing(content, LANG, persisting=True)
    advice_then_contact(content, persisting, "advice_sore_persisting")


def test_the_soreness_follow_up_asks_gone_or_still(content: Content) -> None:
    screen = safety.sore_followup_screen(content, LANG)
    assert screen.text.count("?") == 1
    assert [SoreAnswer.parse(b.callback.arg) for b in buttons(screen)] == [
        SoreAnswer(True),
        SoreAnswer(False),
    ]


def test_the_alerts_question_tells_the_patient_their_code(content: Content) -> None:
    """Issue 11, item 17: the question mentioned a code the patient was never told."""
    screen = safety.alerts_question(content, LANG, "P-7K3Q9M")
    assert "P-7K3Q9M" in screen.text
    assert escape(content.clinic.name, quote=False) in screen.text
    assert screen.text.count("?") == 1
    assert [YesNo.parse(b.callback.arg) for b in buttons(screen)] == [YesNo(True), YesNo(False)]
    assert {b.callback.action for b in buttons(screen)} == {Action.ALERTS}


# --- the optional pain rating ------------------------------------------------------------


def test_the_pain_rating_offers_0_to_10_and_skip_for_its_report(content: Content) -> None:
    screen = safety.pain_rating_screen(content, LANG, 31)
    assert screen.text == t(content, "pain_rating_question")
    assert [b.label for b in buttons(screen)] == [
        *(str(n) for n in range(11)),
        content.text(LANG, "btn_pain_rating_skip"),
    ]
    assert {b.callback.action for b in buttons(screen)} == {Action.PAIN_RATING}
    read = [PainRating.parse(b.callback.arg) for b in buttons(screen)]
    assert {r.report_id for r in read} == {31}
    assert [r.value for r in read] == [*range(11), None]
    assert all(len(row) <= 6 for row in screen.buttons)  # big enough to tap on a phone


def test_the_pain_rating_is_a_question_not_advice(content: Content) -> None:
    """The rating never stands in for the advice: it has no contact of its own and says
    the advice above still holds."""
    assert content.clinic.phone_display not in t(content, "pain_rating_question")
    assert (
        content.clinic.phone_display
        not in safety.pain_closing(content, LANG).split(t(content, "hold_notice"))[1]
    )


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_rating_answer_thanks_with_the_number_or_lets_it_be(content: Content, lang: str) -> None:
    rated = safety.pain_rating_answer(content, lang, 7)
    assert rated.text == escape(content.text(lang, "pain_rating_thanks", rating=7), quote=False)
    assert "7" in rated.text and not rated.buttons
    skipped = safety.pain_rating_answer(content, lang, None)
    assert skipped.text == escape(content.text(lang, "pain_rating_skipped"), quote=False)


def test_the_pain_rating_is_in_spanish_for_a_spanish_speaker(content: Content) -> None:
    screen = safety.pain_rating_screen(content, "es", 5)
    assert screen.text == escape(content.text("es", "pain_rating_question"), quote=False)
    assert screen.text != t(content, "pain_rating_question")
    assert buttons(screen)[-1].label == content.text("es", "btn_pain_rating_skip")


def test_the_switch_is_off_in_the_bundled_content(content: Content) -> None:
    assert content.pain_rating is False
