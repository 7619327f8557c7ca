"""Property tests for next_occurrence over every IANA zone, 2000..2040.

Half of the examples are aimed at a real UTC-offset change of the sampled zone (found
here by scanning, independently of the code under test), with the reminder's wall time
set near the change, so gaps and folds are hit often, not by luck.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.schedule import ReminderRule, local_date_of, next_occurrence

ZONES = sorted(z for z in available_timezones() if z != "localtime")  # host-dependent
ITERATIONS = 10
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _offset(tz: ZoneInfo, instant: datetime) -> timedelta:
    off = instant.astimezone(tz).utcoffset()
    assert off is not None
    return off


@lru_cache(maxsize=4096)
def transitions(zone: str, year: int) -> tuple[datetime, ...]:
    """UTC instants in ``year`` at which the zone's UTC offset changes (to the second)."""
    tz = ZoneInfo(zone)
    step = timedelta(hours=12)
    found: list[datetime] = []
    t = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    while t < end:
        nxt = t + step
        if _offset(tz, t) != _offset(tz, nxt):
            lo, hi = t, nxt
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if _offset(tz, mid) == _offset(tz, lo):
                    lo = mid
                else:
                    hi = mid
            found.append(hi.replace(microsecond=0))
        t = nxt
    return tuple(found)


def wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None, fold=0)


def instants_showing(target: datetime, tz: ZoneInfo) -> list[datetime]:
    """Every UTC instant whose wall clock shows ``target`` (empty inside a gap)."""
    probe = target.replace(tzinfo=UTC)
    offsets = {_offset(tz, probe + timedelta(hours=h)) for h in range(-48, 49, 6)}
    hits = {(probe - off) for off in offsets}
    return sorted(h for h in hits if wall(h, tz) == target)


@st.composite
def cases(draw: st.DrawFn) -> tuple[ReminderRule, datetime]:
    zone = draw(st.sampled_from(ZONES))
    tz = ZoneInfo(zone)
    weekdays = frozenset(draw(st.sets(st.integers(0, 6), min_size=1)))
    year = draw(st.integers(2000, 2040))
    changes = transitions(zone, year)
    if changes and draw(st.booleans()):
        change = draw(st.sampled_from(changes))
        before = change + _offset(tz, change - timedelta(seconds=1))
        near = before.replace(tzinfo=None) + timedelta(minutes=draw(st.integers(-30, 90)))
        local_time = time(near.hour, near.minute)
        weekdays |= {near.weekday()}  # make the day of the change a chosen day
        after = change - timedelta(minutes=draw(st.integers(0, 36 * 60)))
    else:
        local_time = time(draw(st.integers(0, 23)), draw(st.integers(0, 59)))
        day = draw(st.dates(date(year, 1, 1), date(year, 12, 31)))
        minute = draw(st.integers(0, 24 * 60 - 1))
        after = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=UTC)
    return ReminderRule(local_time, weekdays, zone), after


def check_one(rule: ReminderRule, after: datetime, got: datetime) -> None:
    tz = ZoneInfo(rule.zone)
    assert got.tzinfo is UTC
    assert got > after
    day = local_date_of(got, rule.zone)
    assert day.weekday() in rule.weekdays
    target = datetime.combine(day, rule.local_time)
    showing = instants_showing(target, tz)
    if showing:
        # the chosen wall time exists that day: the first of its occurrences (fold=0)
        assert got == showing[0]
    else:
        # gap: the wall time does not exist; fire at the first valid instant after it,
        # on the same local date
        assert wall(got, tz) > target
        assert wall(got - timedelta(seconds=1), tz) < target
        assert wall(got, tz).date() == day


@SETTINGS
@given(cases())
def test_next_occurrence_properties(case: tuple[ReminderRule, datetime]) -> None:
    rule, after = case
    tz = ZoneInfo(rule.zone)
    results: list[datetime] = []
    current = after
    for _ in range(ITERATIONS):
        got = next_occurrence(rule, current)
        check_one(rule, current, got)
        results.append(got)
        current = got
    days = [local_date_of(r, rule.zone) for r in results]
    assert results == sorted(set(results)), "strictly increasing"
    assert len(set(days)) == len(days), "never twice on one local date"
    assert days == sorted(days)
    # no chosen date in between was dropped unless the chosen wall time did not exist
    for prev, nxt in pairwise(days):
        d = prev + timedelta(days=1)
        while d < nxt:
            if d.weekday() in rule.weekdays:
                assert not instants_showing(datetime.combine(d, rule.local_time), tz), d
            d += timedelta(days=1)


@SETTINGS
@given(cases())
def test_first_result_is_not_before_a_pending_occurrence(
    case: tuple[ReminderRule, datetime],
) -> None:
    """Asking again just before the answer gives the same answer (nothing is skipped)."""
    rule, after = case
    got = next_occurrence(rule, after)
    assert next_occurrence(rule, got - timedelta(seconds=1)) == got
    if got - after > timedelta(minutes=1):
        assert next_occurrence(rule, after + timedelta(seconds=30)) == got


SWEEP_ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "America/Sao_Paulo",
    "Europe/Moscow",
    "America/Santiago",
    "America/Havana",
    "Pacific/Chatham",
    "Asia/Tehran",
]


def test_sweep_every_change_2000_2040_in_tricky_zones() -> None:
    """Every offset change of these zones, wall times every 15 min from -45 to +105."""
    checked = 0
    for zone in SWEEP_ZONES:
        tz = ZoneInfo(zone)
        for year in range(2000, 2041):
            for change in transitions(zone, year):
                before = (change + _offset(tz, change - timedelta(seconds=1))).replace(tzinfo=None)
                for minutes in range(-45, 106, 15):
                    near = before + timedelta(minutes=minutes)
                    rule = ReminderRule(time(near.hour, near.minute), frozenset(range(7)), zone)
                    current = change - timedelta(hours=30)
                    days = []
                    for _ in range(2):
                        got = next_occurrence(rule, current)
                        check_one(rule, current, got)
                        days.append(local_date_of(got, zone))
                        current = got
                        checked += 1
                    assert days == sorted(set(days))
    assert checked > 5_000
