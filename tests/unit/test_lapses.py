"""Issue 15's pure rules: when a patient is lapsed, one note per lapse, and the weekly
summary of the first reminder of a week (bot/core/adherence.py), with their screens."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.content import default_content_dir
from bot.content.loader import load_content
from bot.content.model import Content
from bot.core.adherence import (
    WeekSummary,
    is_lapsed,
    lapse_note_due,
    lapse_reference,
    week_figures,
    weekly_summary,
)
from bot.core.callbacks import Action, InvalidCallback
from bot.core.clinic_report import COLUMNS, PatientFacts, csv_text, patient_row
from bot.core.session import Category
from bot.core.ui.progress import weekly_summary_text
from bot.core.ui.reminders import reminder_screen
from bot.core.ui.settings import WeeklyToggle, days_screen

MON = date(2026, 3, 2)
MWF = frozenset({0, 2, 4})
D = Category.DONE


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(default_content_dir())


# --- is_lapsed ---------------------------------------------------------------------------------


def test_lapsed_from_lapse_days_local_days_on() -> None:
    args = {"reference_day": MON, "lapse_days": 4, "has_schedule": True}
    assert not is_lapsed(today=MON + timedelta(days=3), **args)  # type: ignore[arg-type]
    assert is_lapsed(today=MON + timedelta(days=4), **args)  # type: ignore[arg-type]
    assert is_lapsed(today=MON + timedelta(days=40), **args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "why",
    [
        {"lapse_days": 0},  # lapses off
        {"has_schedule": False},
        {"active": False},  # stopped, blocked, no consent
        {"paused": True},
        {"on_hold": True},  # told to see a doctor: never nagged
    ],
)
def test_never_lapsed_off_without_schedule_stopped_paused_or_on_hold(
    why: dict[str, object],
) -> None:
    args: dict[str, object] = {
        "today": MON + timedelta(days=30),
        "reference_day": MON,
        "lapse_days": 4,
        "has_schedule": True,
    }
    assert is_lapsed(**args)  # type: ignore[arg-type]
    assert not is_lapsed(**{**args, **why})  # type: ignore[arg-type]


def test_the_reference_is_the_latest_of_session_agreement_pause_end_and_clearance() -> None:
    agreed = datetime(2026, 3, 1, 9, tzinfo=UTC)
    session = datetime(2026, 3, 3, 9, tzinfo=UTC)
    pause_end = datetime(2026, 3, 9, tzinfo=UTC)
    assert lapse_reference(None, agreed) == agreed
    assert lapse_reference(session, agreed) == session
    assert lapse_reference(session, agreed, pause_end) == pause_end
    cleared = datetime(2026, 3, 12, 9, tzinfo=UTC)  # a hold lifted by the clinician's word
    assert lapse_reference(session, agreed, pause_end, cleared) == cleared


# --- one note per lapse ------------------------------------------------------------------------


def _simulate(sessions: list[bool], lapse_days: int) -> list[int]:
    """Days of notes for a patient reminded every day, who begins a session on the days
    marked True (after that day's reminder), by the rule the reminder follows."""
    start = datetime(2026, 3, 2, 12, tzinfo=UTC)
    begun: datetime | None = None
    noted: datetime | None = None
    notes = []
    for day, session in enumerate(sessions):
        now = start + timedelta(days=day)
        reference = lapse_reference(begun, start)
        lapsed = is_lapsed(
            today=now.date(),
            reference_day=reference.date(),
            lapse_days=lapse_days,
            has_schedule=True,
        )
        if lapse_note_due(lapsed, reference, noted):
            noted = now
            notes.append(day)
        if session:
            begun = now + timedelta(hours=1)
    return notes


@given(st.lists(st.booleans(), max_size=120), st.integers(1, 10))
def test_never_more_than_one_note_per_lapse_and_one_for_each(
    sessions: list[bool], lapse_days: int
) -> None:
    notes = _simulate(sessions, lapse_days)
    begun = [day for day, s in enumerate(sessions) if s]
    # between two sessions begun (and before the first, after the last): at most one note
    bounds = [-1, *begun, len(sessions)]
    for low, high in itertools.pairwise(bounds):
        assert len([n for n in notes if low < n <= high]) <= 1
    # and every gap of lapse_days or more without a session got its note
    for low, high in itertools.pairwise(bounds):
        first_lapsed = max(low, 0) + lapse_days
        if first_lapsed < min(high + 1, len(sessions)):
            assert any(low < n <= high for n in notes)


def test_a_note_again_only_after_a_new_session() -> None:
    assert _simulate([True] + [False] * 10, 4) == [4]
    assert _simulate([True] + [False] * 5 + [True] + [False] * 6, 4) == [4, 10]
    assert _simulate([False] * 10, 0) == []


# --- the weekly summary -----------------------------------------------------------------------


def test_the_first_reminder_of_a_week_sums_up_the_week_before() -> None:
    results = {MON: D, MON + timedelta(days=2): D}
    today = MON + timedelta(days=7)  # the next Monday
    found = weekly_summary(results, today, MWF, last_reminded=MON + timedelta(days=4), since=MON)
    assert found == WeekSummary(week_figures(results, MON, MWF, MON), streak=0, missed=False)
    assert found.week.exercised == 2 and found.week.planned == 3


def test_no_summary_twice_a_week_or_with_nothing_to_tell() -> None:
    today = MON + timedelta(days=9)  # Wednesday of the next week
    results = {MON: D}
    # this week already had a reminder: none
    assert weekly_summary(results, today, MWF, last_reminded=today - timedelta(days=2)) is None
    # no reminder last week and no session: a paused or held week, or before agreeing
    assert weekly_summary({}, today, MWF, last_reminded=MON - timedelta(days=3)) is None
    assert weekly_summary({}, today, MWF, last_reminded=None) is None


def test_a_week_without_any_session_is_missed() -> None:
    today = MON + timedelta(days=7)
    found = weekly_summary({}, today, MWF, last_reminded=MON + timedelta(days=4), since=MON)
    assert found is not None and found.missed and found.week.planned == 3
    skipped = {MON: Category.SKIPPED}  # a session, even all skipped, is not a missed week
    found = weekly_summary(skipped, today, MWF, last_reminded=MON + timedelta(days=4))
    assert found is not None and not found.missed


@given(
    st.dictionaries(
        st.integers(0, 30).map(lambda n: MON + timedelta(days=n)),
        st.sampled_from(list(Category)),
        max_size=20,
    ),
    st.integers(0, 30),
    st.integers(1, 30),
)
def test_at_most_one_summary_per_local_week(
    results: dict[date, Category], first: int, span: int
) -> None:
    """Reminders every day from ``first``: summaries only on the first of each week."""
    last: date | None = None
    weeks: list[date] = []
    for n in range(first, first + span):
        today = MON + timedelta(days=n)
        if weekly_summary(results, today, MWF, last) is not None:
            weeks.append(today - timedelta(days=today.weekday()))
            assert last is None or last < weeks[-1]
        last = today
    assert len(weeks) == len(set(weeks))


# --- screens ------------------------------------------------------------------------------------


def test_the_lapse_reminder_keeps_the_reminder_and_adds_its_way_out(content: Content) -> None:
    plain = reminder_screen(content, "en", MON, 7, late=False)
    noted = reminder_screen(content, "en", MON, 7, late=False, lapse=True)
    assert noted.text.startswith(plain.text)
    assert content.text("en", "lapse_note") in noted.text
    assert noted.buttons[0] == plain.buttons[0]
    actions = [b.callback.action for b in noted.buttons[1]]
    assert actions == [Action.SETUP_REMINDERS, Action.PAUSE_FOR]
    summed = reminder_screen(content, "es", MON, 7, late=False, summary="Resumen")
    assert summed.text.startswith("Resumen\n\n" + content.text("es", "reminder", minutes=7))


def test_the_summary_text_leaves_the_missed_word_to_the_lapse_note(content: Content) -> None:
    week = week_figures({}, MON, MWF)
    summary = WeekSummary(week, streak=0, missed=True)
    missed = content.text("en", "weekly_summary_missed")
    assert missed in weekly_summary_text(content, "en", summary, lapse=False)
    assert missed not in weekly_summary_text(content, "en", summary, lapse=True)
    text = weekly_summary_text(content, "es", WeekSummary(week, 3, False), lapse=False)
    assert text.startswith(content.text("es", "weekly_summary", exercised=0, planned=3))
    assert content.text("es", "progress_streak", streak=3) in text


def test_the_weekly_toggle_round_trips_and_rejects_forgeries(content: Content) -> None:
    for toggle in (WeeklyToggle(0b0010101, True), WeeklyToggle(0, False)):
        assert WeeklyToggle.parse(toggle.arg()) == toggle
    for bad in ("", "5", "5-2", "5-", "200-1", "05-1", "a-1"):
        with pytest.raises(InvalidCallback):
            WeeklyToggle.parse(bad)
    label = content.text("en", "btn_weekly_summary")
    off = days_screen(content, "en", 5, weekly=False)
    on = days_screen(content, "en", 5, weekly=True)
    assert off.buttons[-1][0].label == label and on.buttons[-1][0].label == "✓ " + label
    assert off.buttons[-1][0].callback.arg == WeeklyToggle(5, True).arg()
    assert days_screen(content, "en", 5).buttons == off.buttons[:-1]


def test_the_csv_says_who_is_lapsed() -> None:
    facts = PatientFacts("P-1", "active", MON, MWF, {}, (), None, lapsed=True)
    row = patient_row(facts, MON, MON + timedelta(days=6), MON + timedelta(days=6))
    lines = csv_text([row], MON, MON + timedelta(days=6)).splitlines()
    assert COLUMNS[-1] == "lapsed"
    assert lines[1].endswith(",yes")
