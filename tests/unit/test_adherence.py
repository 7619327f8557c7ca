"""The adherence figures behind /progress, the digest and the reports (bot/core/adherence)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.core.adherence import (
    ALL_DAYS,
    EXERCISED,
    day_results,
    last_weeks,
    local_day,
    planned_in,
    progress,
    session_category,
    streak,
    week_figures,
    week_start,
)
from bot.core.session import Category, Outcome

D, P, S, H, X = (
    Category.DONE,
    Category.PARTLY,
    Category.SKIPPED,
    Category.PAIN,
    Category.STOPPED,
)
MON = date(2026, 3, 2)  # a Monday
MWF = frozenset({0, 2, 4})

days = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))
kinds = st.sampled_from(list(Category))
weekday_sets = st.frozensets(st.integers(0, 6))
results = st.dictionaries(
    st.integers(0, 60).map(lambda n: MON - timedelta(days=n)), kinds, max_size=40
)


def test_sessions_count_as_history_counts_them() -> None:
    assert session_category(Outcome.COMPLETED, ["a", "b"], ["a", "b"], True) is D
    assert session_category(Outcome.COMPLETED, ["a", "b"], ["a"], True) is P
    assert session_category(Outcome.COMPLETED, ["a", "b"], [], True) is S
    assert session_category(Outcome.PAIN, ["a", "b"], ["a", "b"], True) is H
    assert session_category(Outcome.CANCELLED, ["a"], [], True) is X
    assert session_category(Outcome.NOT_STARTED, ["a"], [], True) is None
    assert session_category(Outcome.RESTARTED, ["a"], [], True) is None
    assert session_category(None, ["a"], [], False) is None  # still open


def test_a_day_counts_by_its_best_session() -> None:
    assert day_results([(MON, S), (MON, P), (MON, X)]) == {MON: P}
    assert day_results([(MON, H), (MON, D)]) == {MON: D}
    assert day_results([(MON, X), (MON, H)]) == {MON: H}


def test_the_local_day_is_the_patients() -> None:
    late = datetime(2026, 3, 3, 3, 30, tzinfo=UTC)  # Monday evening in New York
    assert local_day(late, "America/New_York") == MON
    assert local_day(late, "Europe/Berlin") == MON + timedelta(days=1)


def test_a_week_against_its_plan() -> None:
    week = week_figures({MON: D, MON + timedelta(2): P, MON + timedelta(3): S}, MON, MWF)
    assert (week.planned, week.done, week.partly, week.skipped, week.exercised) == (3, 1, 1, 1, 2)
    assert week_figures({}, MON, None).planned is None  # no reminder days, no plan
    # agreed on Wednesday: Monday was not planned yet
    assert week_figures({}, MON, MWF, since=MON + timedelta(days=2)).planned == 2


def test_the_last_four_weeks_end_with_this_one() -> None:
    weeks = last_weeks({MON - timedelta(days=7): D}, MON + timedelta(days=3), MWF)
    assert [w.start for w in weeks] == [MON - timedelta(weeks=n) for n in (3, 2, 1, 0)]
    assert [w.done for w in weeks] == [0, 0, 1, 0]


def test_streak_counts_planned_days_kept_and_extra_days() -> None:
    # Mon Wed Fri planned; done Fri, Sat (extra) and Mon; a missed Wednesday before
    done = {MON - timedelta(days=3): D, MON - timedelta(days=2): P, MON: D}
    assert streak(done, MON, MWF) == 3
    assert streak(done, MON + timedelta(days=1), MWF) == 3  # Tuesday is not planned
    assert streak(done, MON + timedelta(days=2), MWF) == 3  # Wednesday is not over yet
    assert streak(done, MON + timedelta(days=3), MWF) == 0  # Wednesday was missed
    assert streak({MON: S}, MON, MWF) == 0  # all skipped is not exercise


def test_streak_without_a_schedule_is_days_in_a_row() -> None:
    done = {MON - timedelta(days=2): D, MON - timedelta(days=1): D}
    assert streak(done, MON, None) == 2  # today is not over
    assert streak(done, MON + timedelta(days=1), None) == 0


@given(weekday_sets, st.integers(0, 6), days)
def test_planned_days_are_the_chosen_weekdays(
    weekdays: frozenset[int], span: int, first: date
) -> None:
    found = planned_in(weekdays, first, first + timedelta(days=span))
    assert all(d.weekday() in weekdays for d in found)
    assert len(found) == sum(
        1 for i in range(span + 1) if (first + timedelta(days=i)).weekday() in weekdays
    )


@given(days)
def test_a_week_starts_on_its_monday(day: date) -> None:
    start = week_start(day)
    assert start.weekday() == 0 and 0 <= (day - start).days < 7


@given(results, weekday_sets, st.integers(0, 14))
def test_streak_is_at_most_the_days_exercised(
    found: dict[date, Category], weekdays: frozenset[int], ahead: int
) -> None:
    today = MON + timedelta(days=ahead)
    assert 0 <= streak(found, today, weekdays) <= sum(1 for k in found.values() if k in EXERCISED)


@given(results, weekday_sets, kinds)
def test_exercising_today_never_lowers_the_streak(
    found: dict[date, Category], weekdays: frozenset[int], before: Category
) -> None:
    found = {**found, MON: before}
    exercised = {**found, MON: D}
    assert streak(exercised, MON, weekdays) >= streak(found, MON, weekdays)
    assert streak(exercised, MON, weekdays) >= 1


@given(results)
def test_without_a_schedule_the_streak_is_the_run_of_days(found: dict[date, Category]) -> None:
    run = 0
    day = MON if found.get(MON) in EXERCISED else MON - timedelta(days=1)
    while found.get(day) in EXERCISED:
        run += 1
        day -= timedelta(days=1)
    assert streak(found, MON, None) == streak(found, MON, ALL_DAYS) == run


@given(results, weekday_sets)
def test_weeks_add_up(found: dict[date, Category], weekdays: frozenset[int]) -> None:
    figures = progress(found, MON + timedelta(days=6), weekdays or None)
    in_range = [k for d, k in found.items() if d >= figures.weeks[0].start]
    total = sum(w.done + w.partly + w.skipped + w.pain + w.stopped for w in figures.weeks)
    assert total == len(in_range)
    if weekdays:
        assert all(w.planned == len(weekdays) for w in figures.weeks)
    assert figures.week == figures.weeks[-1]
