"""Named cases for the reminder rule: exact UTC instants around DST and calendar changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.schedule import (
    ON_TIME_WINDOW,
    ReminderRule,
    classify_due,
    daytime_followup,
    describe_days,
    local_date_of,
    next_occurrence,
    snooze_until,
)

DAILY = frozenset(range(7))


def occurrences(rule: ReminderRule, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` firing instants after ``after``, each found from the one before."""
    result: list[datetime] = []
    current = after
    for _ in range(count):
        current = next_occurrence(rule, current)
        result.append(current)
    return result


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rule(zone: str, hour: int, minute: int = 0, days: frozenset[int] = DAILY) -> ReminderRule:
    return ReminderRule(time(hour, minute), days, zone)


@pytest.mark.parametrize(
    ("zone", "at", "after", "expected"),
    [
        # New York spring forward 2026-03-08: 02:00-03:00 does not exist -> 03:00 EDT
        (
            "America/New_York",
            time(2, 30),
            utc(2026, 3, 8, 5),
            [utc(2026, 3, 8, 7), utc(2026, 3, 9, 6, 30)],
        ),
        # New York fall back 2026-11-01: 01:30 twice -> the EDT one only, next is the 2nd
        (
            "America/New_York",
            time(1, 30),
            utc(2026, 11, 1, 4),
            [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)],
        ),
        # London 2026-03-29 gap 01:00-02:00 GMT -> 02:00 BST
        (
            "Europe/London",
            time(1, 30),
            utc(2026, 3, 28, 12),
            [utc(2026, 3, 29, 1), utc(2026, 3, 30, 0, 30)],
        ),
        # London 2026-10-25 fold 01:00-02:00 -> 01:30 BST
        (
            "Europe/London",
            time(1, 30),
            utc(2026, 10, 24, 12),
            [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)],
        ),
        # Lord Howe 30-minute shift: 2026-10-04 02:00-02:30 gap -> 02:30 +11
        (
            "Australia/Lord_Howe",
            time(2, 15),
            utc(2026, 10, 3),
            [utc(2026, 10, 3, 15, 30), utc(2026, 10, 4, 15, 15)],
        ),
        (
            "Australia/Lord_Howe",
            time(2, 0),
            utc(2026, 10, 3),
            [utc(2026, 10, 3, 15, 30), utc(2026, 10, 4, 15)],
        ),
        # Lord Howe 2026-04-05 fold 01:30-02:00 -> first 01:45 (+11)
        (
            "Australia/Lord_Howe",
            time(1, 45),
            utc(2026, 4, 4),
            [utc(2026, 4, 4, 14, 45), utc(2026, 4, 5, 15, 15)],
        ),
        # Sao Paulo started DST at midnight (2018-11-04 00:00 -> 01:00) ...
        (
            "America/Sao_Paulo",
            time(0, 30),
            utc(2018, 11, 3, 12),
            [utc(2018, 11, 4, 3), utc(2018, 11, 5, 2, 30)],
        ),
        # ... and ended it at midnight (2019-02-17 00:00 -> 2019-02-16 23:00): 23:30 twice
        (
            "America/Sao_Paulo",
            time(23, 30),
            utc(2019, 2, 16, 12),
            [utc(2019, 2, 17, 1, 30), utc(2019, 2, 18, 2, 30)],
        ),
        # ... and stopped DST in 2019: November 2019 stays at -03
        (
            "America/Sao_Paulo",
            time(0, 30),
            utc(2019, 11, 2, 12),
            [utc(2019, 11, 3, 3, 30), utc(2019, 11, 4, 3, 30)],
        ),
        # Moscow: +03 -> +04 for good on 2011-03-27 (02:00-03:00 gap) ...
        (
            "Europe/Moscow",
            time(2, 30),
            utc(2011, 3, 26),
            [utc(2011, 3, 26, 23), utc(2011, 3, 27, 22, 30)],
        ),
        # ... and back to +03 on 2014-10-26 (01:00-02:00 twice)
        (
            "Europe/Moscow",
            time(1, 30),
            utc(2014, 10, 25),
            [utc(2014, 10, 25, 21, 30), utc(2014, 10, 26, 22, 30)],
        ),
        ("Europe/Moscow", time(7, 0), utc(2012, 7, 1), [utc(2012, 7, 1, 3), utc(2012, 7, 2, 3)]),
        ("Europe/Moscow", time(7, 0), utc(2015, 7, 1), [utc(2015, 7, 1, 4), utc(2015, 7, 2, 4)]),
        # no DST at all
        ("UTC", time(7, 30), utc(2026, 1, 1), [utc(2026, 1, 1, 7, 30), utc(2026, 1, 2, 7, 30)]),
        ("Asia/Kolkata", time(7, 30), utc(2026, 1, 1), [utc(2026, 1, 1, 2), utc(2026, 1, 2, 2)]),
    ],
)
def test_named_transitions(zone: str, at: time, after: datetime, expected: list[datetime]) -> None:
    r = ReminderRule(at, DAILY, zone)
    assert occurrences(r, after, len(expected)) == expected


def test_fold_fires_once_even_when_asked_between_the_two_occurrences() -> None:
    r = rule("America/New_York", 1, 30)
    first = utc(2026, 11, 1, 5, 30)  # 01:30 EDT
    assert next_occurrence(r, first) == utc(2026, 11, 2, 6, 30)
    # 06:10 UTC is 01:10 EST, wall time again before 01:30 on the same date: still no repeat
    assert next_occurrence(r, utc(2026, 11, 1, 6, 10)) == utc(2026, 11, 2, 6, 30)


def test_apia_skipped_date_has_no_occurrence() -> None:
    # Samoa moved across the date line: 2011-12-29 was followed by 2011-12-31.
    daily = rule("Pacific/Apia", 9)
    got = occurrences(daily, utc(2011, 12, 29, 12), 2)  # 02:00 local on the 29th
    assert got == [utc(2011, 12, 29, 19), utc(2011, 12, 30, 19)]
    days = [local_date_of(g, "Pacific/Apia") for g in got]
    assert days == [date(2011, 12, 29), date(2011, 12, 31)]
    # a Friday-only rule: Friday 2011-12-30 did not exist in Apia, next is 2012-01-06
    friday = rule("Pacific/Apia", 9, days=frozenset({4}))
    got = next_occurrence(friday, utc(2011, 12, 24))
    assert local_date_of(got, "Pacific/Apia") == date(2012, 1, 6)
    assert got == utc(2012, 1, 5, 19)


def test_weekdays_are_local_weekdays() -> None:
    # Monday 07:00 in Tokyo is Sunday 22:00 UTC
    r = rule("Asia/Tokyo", 7, days=frozenset({0}))
    got = next_occurrence(r, utc(2026, 1, 1))  # a Thursday
    assert got == utc(2026, 1, 4, 22)
    assert local_date_of(got, "Asia/Tokyo").weekday() == 0


def test_strictly_after() -> None:
    r = rule("Europe/Berlin", 8)
    at = utc(2026, 1, 5, 7)  # 08:00 CET
    assert next_occurrence(r, at - timedelta(seconds=1)) == at
    assert next_occurrence(r, at) == utc(2026, 1, 6, 7)


def test_result_is_utc_for_any_aware_input() -> None:
    r = rule("Europe/Berlin", 8)
    berlin_after = datetime(2026, 1, 5, 6, tzinfo=r_zone("Europe/Berlin"))
    got = next_occurrence(r, berlin_after)
    assert got.tzinfo is UTC
    assert got == utc(2026, 1, 5, 7)


def r_zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"local_time": time(7, 30), "weekdays": frozenset({1}), "zone": "Mars/Olympus"},
        {"local_time": time(7, 30), "weekdays": frozenset({1}), "zone": ""},
        {"local_time": time(7, 30), "weekdays": frozenset({1}), "zone": "localtime"},
        {"local_time": time(7, 30), "weekdays": frozenset({1}), "zone": " UTC"},
        {"local_time": time(7, 30), "weekdays": frozenset({1}), "zone": "../etc/passwd"},
        {"local_time": time(7, 30), "weekdays": frozenset(), "zone": "UTC"},
        {"local_time": time(7, 30), "weekdays": frozenset({7}), "zone": "UTC"},
        {"local_time": time(7, 30, 15), "weekdays": frozenset({1}), "zone": "UTC"},
        {"local_time": time(7, 30, tzinfo=UTC), "weekdays": frozenset({1}), "zone": "UTC"},
    ],
)
def test_invalid_rule_is_value_error(kwargs: dict) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        ReminderRule(**kwargs)


def test_naive_after_is_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_occurrence(rule("UTC", 7), datetime(2026, 1, 1))


def test_local_date_of() -> None:
    instant = utc(2026, 1, 1, 23, 30)
    assert local_date_of(instant, "UTC") == date(2026, 1, 1)
    assert local_date_of(instant, "Europe/Berlin") == date(2026, 1, 2)
    assert local_date_of(instant, "America/Los_Angeles") == date(2026, 1, 1)
    with pytest.raises(ValueError, match="time zone"):
        local_date_of(instant, "Nowhere/Town")


def test_occurrences_count() -> None:
    assert occurrences(rule("UTC", 7), utc(2026, 1, 1), 0) == []
    got = occurrences(rule("UTC", 7, days=frozenset({0, 2, 4})), utc(2026, 1, 1), 4)
    assert [g.weekday() for g in got] == [4, 0, 2, 4]


NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (set(range(7)), "every day"),
        ({0, 1, 2, 3, 4}, "weekdays"),
        ({4, 0, 2}, "Mon, Wed, Fri"),
        ({6}, "Sun"),
        ({5, 6}, "Sat, Sun"),
        ({0, 1, 2, 3, 4, 5}, "Mon, Tue, Wed, Thu, Fri, Sat"),
    ],
)
def test_describe_days(days: set[int], expected: str) -> None:
    assert describe_days(days, NAMES, "every day", "weekdays") == expected


def test_describe_days_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="7 days"):
        describe_days({0}, NAMES[:6], "every day", "weekdays")
    with pytest.raises(ValueError, match="non-empty"):
        describe_days(set(), NAMES, "every day", "weekdays")


GRACE = timedelta(hours=2)
DUE = utc(2026, 1, 5, 7)


@pytest.mark.parametrize(
    ("late_by", "expected"),
    [
        (timedelta(seconds=-30), "on_time"),
        (timedelta(0), "on_time"),
        (timedelta(seconds=59, microseconds=999999), "on_time"),
        (timedelta(seconds=60), "late"),
        (timedelta(hours=1), "late"),
        (GRACE - timedelta(microseconds=1), "late"),
        (GRACE, "missed"),
        (timedelta(days=3), "missed"),
    ],
)
def test_classify_due_boundaries(late_by: timedelta, expected: str) -> None:
    assert classify_due(DUE, DUE + late_by, GRACE) == expected


def test_classify_due_on_time_window_wins_over_tiny_grace() -> None:
    assert timedelta(seconds=60) == ON_TIME_WINDOW
    assert classify_due(DUE, DUE + timedelta(seconds=30), timedelta(seconds=10)) == "on_time"
    assert classify_due(DUE, DUE + timedelta(seconds=60), timedelta(seconds=10)) == "missed"


def test_snooze_until() -> None:
    now = datetime(2026, 3, 8, 1, 50, tzinfo=r_zone("America/New_York"))
    got = snooze_until(now, 15)
    assert got == utc(2026, 3, 8, 7, 5)  # real minutes, across the DST jump
    assert got.tzinfo is UTC
    with pytest.raises(ValueError, match="positive"):
        snooze_until(now, 0)


@pytest.mark.parametrize(
    ("after", "zone", "days", "hour", "expected"),
    [
        (utc(2026, 1, 5, 20), "Europe/Berlin", 1, 10, utc(2026, 1, 6, 9)),
        (utc(2026, 1, 5, 23, 30), "Europe/Berlin", 1, 10, utc(2026, 1, 7, 9)),  # local 6th
        (utc(2026, 3, 27, 12), "Europe/Berlin", 2, 10, utc(2026, 3, 29, 8)),  # CEST now
        (utc(2026, 3, 7, 12), "America/New_York", 1, 2, utc(2026, 3, 8, 7)),  # gap -> 03:00
        (utc(2026, 10, 31, 12), "America/New_York", 1, 1, utc(2026, 11, 1, 5)),  # fold
        (utc(2011, 12, 29, 12), "Pacific/Apia", 1, 10, utc(2011, 12, 30, 20)),  # 30th skipped
        (utc(2026, 1, 5, 20), "UTC", 3, 0, utc(2026, 1, 8)),
    ],
)
def test_daytime_followup(
    after: datetime, zone: str, days: int, hour: int, expected: datetime
) -> None:
    assert daytime_followup(after, zone, days, hour) == expected


def test_daytime_followup_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="days"):
        daytime_followup(DUE, "UTC", 0)
    with pytest.raises(ValueError, match="hour"):
        daytime_followup(DUE, "UTC", 1, 24)
    with pytest.raises(ValueError, match="time zone"):
        daytime_followup(DUE, "Bad/Zone", 1)
