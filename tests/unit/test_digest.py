"""The weekly digest's plan (bot/core/digest.py) and its list (the lapse rule itself is
tested in tests/unit/test_lapses.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.core.digest import (
    DigestPlan,
    digest_after,
    following,
    next_digest,
    parse_clock,
    period_before,
    plan_of,
    weekday_number,
)
from bot.core.schedule import local_date_of

BERLIN = "Europe/Berlin"
MONDAY_8 = DigestPlan(0, time(8, 0), BERLIN)


def test_weekdays_and_times_as_the_settings_give_them() -> None:
    assert [weekday_number(w) for w in ("monday", "Mon", " SUNDAY ", "sun")] == [0, 0, 6, 6]
    assert weekday_number("off") is None and weekday_number("mo") is None
    assert parse_clock("08:00") == time(8, 0) and parse_clock("7:05") == time(7, 5)
    for bad in ("8", "24:00", "08:60", "08:0", "08:000", "８:00", "-1:00", "ab:cd"):
        assert parse_clock(bad) is None, bad


def test_no_plan_when_off_or_without_a_staff_chat() -> None:
    assert plan_of("monday", "08:00", BERLIN, staff_chat=True) == MONDAY_8
    assert plan_of("off", "08:00", BERLIN, staff_chat=True) is None
    assert plan_of("monday", "08:00", BERLIN, staff_chat=False) is None


def test_settings_refuse_a_weekday_or_time_that_means_nothing() -> None:
    assert Settings(digest_weekday="Sun", digest_time="07:30").digest_weekday == "sun"
    assert Settings(digest_weekday="OFF").digest_weekday == "off"
    with pytest.raises(ValueError, match="digest_weekday"):
        Settings(digest_weekday="someday")
    with pytest.raises(ValueError, match="digest_time"):
        Settings(digest_time="8 am")


def test_monday_0800_in_berlin_across_the_october_change() -> None:
    """CEST (UTC+2) until Sunday 25 October 2026 03:00, CET (UTC+1) after: 08:00 local
    stays 08:00 local."""
    first = next_digest(MONDAY_8, datetime(2026, 10, 14, tzinfo=UTC))
    assert first.due_at == datetime(2026, 10, 19, 6, 0, tzinfo=UTC)
    assert (first.first, first.last) == (date(2026, 10, 12), date(2026, 10, 18))
    assert first.key == "digest:2026-10-19"
    second = next_digest(MONDAY_8, first.due_at)
    assert second.due_at == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)
    assert (second.first, second.last) == (date(2026, 10, 19), date(2026, 10, 25))


def test_a_time_that_happens_twice_fires_once_and_a_missing_one_at_the_end_of_the_gap() -> None:
    fold = DigestPlan(6, time(2, 30), BERLIN)  # Sunday 25 Oct: 02:30 comes twice
    found = next_digest(fold, datetime(2026, 10, 24, tzinfo=UTC))
    assert found.due_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first, CEST
    assert next_digest(fold, found.due_at).due_at == datetime(2026, 11, 1, 1, 30, tzinfo=UTC)
    gap = DigestPlan(6, time(2, 30), BERLIN)  # Sunday 29 March 2026: 02:00-03:00 missing
    found = next_digest(gap, datetime(2026, 3, 28, tzinfo=UTC))
    assert found.due_at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST


def test_a_week_already_sent_is_not_planned_again() -> None:
    now = datetime(2026, 10, 14, tzinfo=UTC)
    found = digest_after(MONDAY_8, now, {"digest:2026-10-19"})
    assert found.key == "digest:2026-10-26"
    # a weekday moved to Wednesday in a week whose Monday digest went out: the next week
    wednesday = DigestPlan(2, time(8, 0), BERLIN)
    after_monday = datetime(2026, 10, 19, 7, 0, tzinfo=UTC)
    assert digest_after(wednesday, after_monday, set()).key == "digest:2026-10-19"
    assert digest_after(wednesday, after_monday, {"digest:2026-10-19"}).key == "digest:2026-10-26"


def test_the_next_digest_is_a_week_on_or_after_a_late_send() -> None:
    sent = next_digest(MONDAY_8, datetime(2026, 10, 14, tzinfo=UTC))
    on_time = following(MONDAY_8, sent.last, sent.due_at)
    assert next_digest(MONDAY_8, on_time).due_at == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)
    three_weeks_late = sent.due_at + timedelta(days=21, hours=3)
    later = next_digest(MONDAY_8, following(MONDAY_8, sent.last, three_weeks_late))
    assert later.due_at == datetime(2026, 11, 16, 7, 0, tzinfo=UTC)  # not a burst


@settings(max_examples=200, deadline=None)
@given(
    weekday=st.integers(0, 6),
    at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    zone=st.sampled_from([BERLIN, "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]),
    start=st.datetimes(datetime(2025, 1, 1), datetime(2028, 1, 1), timezones=st.just(UTC)),
)
def test_one_digest_a_week_on_its_weekday_for_the_seven_days_before(
    weekday: int, at: time, zone: str, start: datetime
) -> None:
    plan = DigestPlan(weekday, at, zone)
    found = next_digest(plan, start)
    keys = set()
    for _ in range(6):
        day = local_date_of(found.due_at, zone)
        assert day.weekday() == weekday and found.due_at > start
        assert (found.first, found.last) == period_before(day)
        assert found.key not in keys
        keys.add(found.key)
        nxt = next_digest(plan, following(plan, found.last, found.due_at))
        assert nxt.first == found.last + timedelta(days=1)  # no day left out, none twice
        start, found = found.due_at, nxt


WED = date(2026, 3, 4)


def test_the_list_names_the_clinics_reference_escaped_once_with_hold_and_lapse() -> None:
    from bot.content.loader import bundled_content_dir, load_content
    from bot.core.clinic_report import PatientFacts, patient_row
    from bot.core.session import Category
    from bot.core.ui.clinic import adherence_screen
    from bot.reports import patient_bars

    content = load_content(bundled_content_dir())
    first, last = date(2026, 11, 23), date(2026, 11, 29)
    facts = PatientFacts(
        code="P-7K3Q9M",
        status="active",
        agreed=date(2026, 10, 1),
        weekdays=frozenset({0, 2, 4}),
        days={first: Category.PARTLY, first + timedelta(days=2): Category.DONE},
        answers=[(first, "sore")],
        on_hold_since=date(2026, 11, 26),
        clinic_ref="R&D <1042> with a very long reference",
        lapsed=True,
    )
    row = patient_row(facts, first, last, last + timedelta(days=1))
    screen = adherence_screen(
        content, "en", [row], first, last, lapse_days=7, title_key="staff_digest"
    )
    assert screen.text.startswith("Weekly digest, 2026-11-23 to 2026-11-29, 1 patients")
    line = screen.text.split("\n\n", 1)[1]
    assert line == (
        "R&amp;D &lt;1042&gt; with a very long reference: 2/3 planned days (67%), partly 1, "
        "pain 0, sore 1 - ON HOLD since 2026-11-26 - LAPSED: no session for 7 days or more"
    )
    assert "P-7K3Q9M" not in screen.text
    assert [b.label for b in patient_bars([row])] == ["R&D <1042> with…"]


def test_the_list_fits_one_message_whatever_the_references() -> None:
    from bot.content.loader import bundled_content_dir, load_content
    from bot.core.clinic_report import PatientFacts, patient_row
    from bot.core.ui.clinic import MESSAGE_LIMIT, adherence_screen

    content = load_content(bundled_content_dir())
    first, last = date(2026, 11, 23), date(2026, 11, 29)
    rows = [
        patient_row(
            PatientFacts(
                code=f"P-{n:06d}",
                status="active",
                agreed=date(2026, 10, 1),
                weekdays=frozenset({0, 2, 4}),
                days={},
                answers=[],
                on_hold_since=date(2026, 11, 26),
                clinic_ref=f"<&> {n} " + "x" * 60,
                lapsed=True,
            ),
            first,
            last,
            last,
        )
        for n in range(60)
    ]
    screen = adherence_screen(content, "en", rows, first, last, lapse_days=7)
    assert len(screen.text) <= MESSAGE_LIMIT
    listed = screen.text.count("LAPSED")
    assert 10 < listed < 40
    assert screen.text.endswith(f"... and {60 - listed} more: see the CSV.")
