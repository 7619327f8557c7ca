"""The reminder settings and reminder screens (bot/core/ui/settings.py, reminders.py):
what each button says and carries, and the typed question kept on the patient."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.content import default_content_dir
from bot.content.loader import load_content
from bot.content.model import Content
from bot.core.callbacks import Action
from bot.core.dates import day_names
from bot.core.screens import Button, Screen
from bot.core.ui import reminders, settings
from bot.core.ui.reminders import ForDay, PauseFor, SnoozeFor, Standing
from bot.core.ui.settings import (
    QUESTION_LIFETIME,
    Days,
    DaysAndTime,
    NudgeChoice,
    PendingQuestion,
    ZoneChoice,
    ZoneName,
)
from bot.core.zones import Place, zone_label

LANG = "en"
WINTER = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)
SUMMER = datetime(2026, 7, 14, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(default_content_dir())


def buttons(screen: Screen) -> list[Button]:
    return [b for row in screen.buttons for b in row]


# --- days ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mask", [0, 0b0000001, 0b0011111, 0b1010101, 0b1111111])
def test_each_day_button_turns_its_own_day_on_or_off(content: Content, mask: int) -> None:
    screen = settings.days_screen(content, LANG, mask)
    names = day_names(LANG)
    toggles = [b for b in buttons(screen)[2:] if b.callback.action is Action.DAYS_TOGGLE]
    assert len(toggles) == 7
    for day, button in enumerate(toggles):
        chosen = bool(mask >> day & 1)
        assert button.label == ("✓ " if chosen else "") + names[day]
        assert Days.parse(button.callback.arg).mask == mask ^ (1 << day)
    done = [b for b in buttons(screen) if b.callback.action is Action.DAYS_DONE]
    assert [Days.parse(b.callback.arg).mask for b in done] == [mask]
    presets = [Days.parse(b.callback.arg).mask for b in screen.buttons[0]]
    assert presets == [settings.EVERY_DAY, settings.WEEKDAYS]


# --- time ------------------------------------------------------------------------------------


def test_the_time_screen_offers_the_preset_times_and_another(content: Content) -> None:
    screen = settings.time_screen(content, LANG, settings.WEEKDAYS)
    assert screen.text.startswith("Monday to Friday. ")
    assert screen.text.count("?") == 1
    timed = [b for b in buttons(screen) if b.callback.action is Action.SET_TIME]
    assert [b.label for b in timed] == list(settings.PRESET_TIMES)
    for button in timed:
        assert DaysAndTime.parse(button.callback.arg) == DaysAndTime(
            settings.WEEKDAYS, button.label
        )
    other = buttons(screen)[-1]
    assert other.callback.action is Action.OTHER_TIME
    assert other.label == content.text(LANG, "btn_other_time")
    assert Days.parse(other.callback.arg) == Days(settings.WEEKDAYS)


def test_the_time_screen_names_the_chosen_days(content: Content) -> None:
    assert settings.time_screen(content, LANG, 0b1111111).text.startswith("Every day. ")
    assert settings.time_screen(content, LANG, 0b0100001).text.startswith("Mon, Sat. ")


# --- zone ------------------------------------------------------------------------------------

DRAFT = DaysAndTime(0b0011111, "07:30")
SUGGESTIONS = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]


def test_the_zone_screen_labels_each_suggestion_with_its_clock(content: Content) -> None:
    screen = settings.zone_screen(content, LANG, DRAFT, None, SUGGESTIONS, WINTER)
    assert all(len(row) == 1 for row in screen.buttons)
    picks = [b for b in buttons(screen) if b.callback.action is Action.SET_ZONE]
    assert [b.label for b in picks] == [
        "New York (EST)",
        "Chicago (CST)",
        "Denver (MST)",
        "Los Angeles (PST)",
    ]
    for index, button in enumerate(picks):
        assert ZoneChoice.parse(button.callback.arg) == ZoneChoice(DRAFT, index)
    other = buttons(screen)[-1]
    assert other.callback.action is Action.OTHER_ZONE
    assert DaysAndTime.parse(other.callback.arg) == DRAFT


def test_the_zone_screen_shows_the_clock_of_the_day(content: Content) -> None:
    screen = settings.zone_screen(content, LANG, DRAFT, None, SUGGESTIONS[:1], SUMMER)
    assert buttons(screen)[0].label == "New York (EDT)"


def test_the_current_zone_is_kept_first_and_not_offered_twice(content: Content) -> None:
    screen = settings.zone_screen(content, LANG, DRAFT, "America/Chicago", SUGGESTIONS, WINTER)
    first, *rest = buttons(screen)
    assert first.label == "Keep Chicago (CST)"
    assert ZoneChoice.parse(first.callback.arg) == ZoneChoice(DRAFT, "keep")
    picks = [ZoneChoice.parse(b.callback.arg).pick for b in rest[:-1]]
    assert picks == [0, 2, 3]  # indexes into the suggestions: Chicago (1) left out
    assert [SUGGESTIONS[p] for p in picks if isinstance(p, int)] == [
        "America/New_York",
        "America/Denver",
        "America/Los_Angeles",
    ]


def test_ambiguous_places_each_with_their_clock(content: Content) -> None:
    """Issue 11, item 13: "Quincy" is asked about, each place with its clock."""
    places = [
        Place("Quincy", "Massachusetts", "US", "United States", "America/New_York"),
        Place("Quincy", "Illinois", "US", "United States", "America/Chicago"),
        Place("Quincy", "", "FR", "France", "Europe/Paris"),
    ]
    screen = settings.zone_candidates_screen(content, LANG, DRAFT, places, WINTER)
    assert screen.text == content.text(LANG, "zone_which")
    picks, other = buttons(screen)[:-1], buttons(screen)[-1]
    assert [b.label for b in picks] == [
        "Quincy, Massachusetts, United States (EST)",
        "Quincy, Illinois, United States (CST)",
        "Quincy, France (CET)",
    ]
    for place, button in zip(places, picks, strict=True):
        assert button.callback.action is Action.SET_ZONE
        assert ZoneChoice.parse(button.callback.arg) == ZoneChoice(DRAFT, ZoneName(place.zone))
    assert other.callback.action is Action.OTHER_ZONE
    assert DaysAndTime.parse(other.callback.arg) == DRAFT


def test_a_candidate_in_a_numeric_zone_shows_its_offset(content: Content) -> None:
    place = Place("Istanbul", "", "TR", "Türkiye", "Europe/Istanbul")
    screen = settings.zone_candidates_screen(content, LANG, DRAFT, [place, place], WINTER)
    assert buttons(screen)[0].label == "Istanbul, Türkiye (UTC+3)"
    assert zone_label("Europe/Istanbul", WINTER) == "Istanbul (UTC+3)"


def test_a_long_place_name_is_cut_to_fit_a_button(content: Content) -> None:
    place = Place("X" * 80, "Y" * 40, "GB", "United Kingdom", "Europe/London")
    screen = settings.zone_candidates_screen(content, LANG, DRAFT, [place, place], WINTER)
    assert len(buttons(screen)[0].label) <= 64


def test_a_long_place_name_keeps_its_clock(content: Content) -> None:
    place = Place(
        "Londonderry County Borough", "Northern Ireland", "GB", "United Kingdom", "Europe/London"
    )
    other = Place("Londonderry", "New Hampshire", "US", "United States", "America/New_York")
    screen = settings.zone_candidates_screen(content, LANG, DRAFT, [place, other], WINTER)
    assert buttons(screen)[0].label.endswith(" (GMT)")


# --- saved and the nudge ---------------------------------------------------------------------


def test_saved_says_what_was_chosen_and_when_the_next_comes(content: Content) -> None:
    screen = settings.saved_screen(content, LANG, 0b0011111, "07:30", "Europe/Berlin", "Thu 15 Jan")
    for part in ("Monday to Friday", "07:30", "Europe/Berlin", "Thu 15 Jan"):
        assert part in screen.text
    assert [b.callback.action for b in buttons(screen)] == [Action.START_NOW, Action.NUDGE_SETTING]
    assert NudgeChoice.parse(buttons(screen)[1].callback.arg) == NudgeChoice(None)


def test_saved_on_hold_promises_no_reminder_and_no_start(content: Content) -> None:
    screen = settings.saved_screen(content, LANG, 0b1111111, "07:30", "UTC", None)
    assert "Next reminder" not in screen.text
    assert screen.text == content.text(
        LANG, "settings_saved_on_hold", days="Every day", time="07:30", zone="UTC"
    )
    assert screen.buttons == ()


def test_the_nudge_question_offers_off_one_hour_two_hours(content: Content) -> None:
    screen = settings.nudge_question_screen(content, LANG)
    assert [NudgeChoice.parse(b.callback.arg).minutes for b in buttons(screen)] == [0, 60, 120]


def test_the_nudge_answer_says_hour_or_hours_not_hour_s(content: Content) -> None:
    """Issue 11, item 17: "1 hour(s)"."""
    texts = {m: settings.nudge_saved_screen(content, LANG, m).text for m in (0, 60, 120)}
    assert "an hour" in texts[60]
    assert "2 hours" in texts[120]
    assert texts[0] == content.text(LANG, "nudge_off")
    assert not any("(s)" in text for text in texts.values())


# --- the typed question ----------------------------------------------------------------------

asked_times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
hhmm = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))


@given(st.integers(0, 127), st.none() | hhmm, asked_times)
def test_a_pending_time_question_is_read_back(mask: int, time: str | None, at: datetime) -> None:
    question = PendingQuestion("time", mask, time, at)
    assert PendingQuestion.decode(question.encode()) == question


@given(st.integers(1, 127), hhmm, asked_times)
def test_a_pending_zone_question_is_read_back(mask: int, time: str, at: datetime) -> None:
    question = PendingQuestion("zone", mask, time, at)
    assert PendingQuestion.decode(question.encode()) == question


@given(st.none() | st.text(max_size=40))
def test_anything_unreadable_is_no_question(stored: str | None) -> None:
    """Decoding a stored question never fails: an old or broken one is forgotten."""
    question = PendingQuestion.decode(stored)
    if question is not None:
        assert stored is not None
        assert PendingQuestion.decode(question.encode()) == question


@pytest.mark.parametrize(
    "stored",
    ["", "time", "zone:127::1700000000", "when:127:0730:1", "time:128::1", "time:1:2400:1"],
)
def test_broken_questions_are_forgotten(stored: str) -> None:
    assert PendingQuestion.decode(stored) is None


def test_a_question_expires_after_its_lifetime() -> None:
    asked = WINTER
    question = PendingQuestion("time", 1, None, asked)
    assert not question.expired(asked + QUESTION_LIFETIME)
    assert question.expired(asked + QUESTION_LIFETIME + timedelta(seconds=1))


def test_the_typed_questions_have_no_buttons_and_ask_for_one_thing(content: Content) -> None:
    for screen in (
        settings.ask_time_screen(content, LANG),
        settings.ask_zone_screen(content, LANG),
    ):
        assert screen.buttons == ()
        assert screen.text.startswith("Please type")


# --- the reminder and its commands -----------------------------------------------------------

DAY = date(2026, 1, 14)


def test_the_reminder_buttons_name_its_day(content: Content) -> None:
    screen = reminders.reminder_screen(content, LANG, DAY, 7, late=False)
    assert "7 minutes" in screen.text
    assert content.text(LANG, "reminder_late") not in screen.text
    assert [b.callback.action for b in buttons(screen)] == [
        Action.REMINDER_START,
        Action.SNOOZE,
        Action.SKIP_TODAY,
    ]
    assert {ForDay.parse(b.callback.arg) for b in buttons(screen)} == {ForDay(DAY)}


def test_a_late_reminder_says_so_and_a_nudge_is_a_nudge(content: Content) -> None:
    late = reminders.reminder_screen(content, LANG, DAY, 7, late=True)
    assert late.text.endswith(content.text(LANG, "reminder_late"))
    nudge = reminders.reminder_screen(content, LANG, DAY, 7, late=False, nudge=True)
    assert nudge.text == content.text(LANG, "nudge")


def test_snooze_offers_each_choice_for_the_day(content: Content) -> None:
    screen = reminders.snooze_screen(content, LANG, DAY)
    assert [b.label for b in buttons(screen)] == ["15 minutes", "30 minutes", "1 hour"]
    assert [SnoozeFor.parse(b.callback.arg) for b in buttons(screen)] == [
        SnoozeFor(DAY, m) for m in reminders.SNOOZE_CHOICES
    ]


def test_pause_offers_each_choice(content: Content) -> None:
    screen = reminders.pause_question(content, LANG)
    assert [PauseFor.parse(b.callback.arg).days for b in buttons(screen)] == [1, 3, 7, 0]
    assert [b.label for b in buttons(screen)] == ["1 day", "3 days", "1 week", "Until I resume"]


@pytest.mark.parametrize(
    ("standing", "when", "key"),
    [
        (Standing.HELD, "Thu 15 Jan, 07:30", "next_on_hold"),  # a stale time is not shown
        (Standing.STOPPED, None, "next_stopped"),
        (Standing.PAUSED_OPEN, None, "paused_open"),
        (Standing.NONE, None, "no_reminders"),
        (Standing.ACTIVE, None, "no_reminders"),
    ],
)
def test_next_tells_the_truth(
    content: Content, standing: Standing, when: str | None, key: str
) -> None:
    assert reminders.next_text(content, LANG, standing, when) == content.text(LANG, key)


def test_next_names_the_next_reminder(content: Content) -> None:
    text = reminders.next_text(content, LANG, Standing.ACTIVE, "Thu 15 Jan, 07:30")
    assert "Thu 15 Jan, 07:30" in text


@pytest.mark.parametrize(
    ("standing", "key"),
    [
        (Standing.HELD, "stop_kept_on_hold"),
        (Standing.NONE, "no_reminders"),
        (Standing.STOPPED, "no_reminders"),
        (Standing.PAUSED_OPEN, "paused_open"),
        (Standing.PAUSED, "stop_kept"),
        (Standing.ACTIVE, "stop_kept"),
    ],
)
def test_keeping_reminders_says_what_really_stays(
    content: Content, standing: Standing, key: str
) -> None:
    assert reminders.kept_text(content, LANG, standing) == content.text(LANG, key)


@pytest.mark.parametrize(
    ("standing", "key"),
    [
        (Standing.HELD, "pause_on_hold"),
        (Standing.STOPPED, "next_stopped"),
        (Standing.NONE, "no_reminders"),
    ],
)
def test_nothing_to_pause_says_why(content: Content, standing: Standing, key: str) -> None:
    assert reminders.cannot_pause_text(content, LANG, standing) == content.text(LANG, key)


def test_paused_says_until_when(content: Content) -> None:
    assert "Mon 19 Jan" in reminders.paused_text(content, LANG, "Mon 19 Jan, 07:30")
    assert reminders.paused_text(content, LANG, None) == content.text(LANG, "paused_open")


def test_stop_asks_once(content: Content) -> None:
    screen = reminders.stop_question(content, LANG)
    assert screen.text.count("?") == 1
    assert [b.callback.action for b in buttons(screen)] == [Action.STOP_YES, Action.STOP_NO]
