"""Reminder rules: when the next reminder fires, in the user's own local time.

Pure functions: every instant is a parameter (aware), every result is an aware UTC
datetime. The rules (gaps, folds, skipped dates, grace) are described in
``docs/REMINDERS.md`` and checked by ``tests/unit/test_schedule*.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ALL_DAYS: frozenset[int] = frozenset(range(7))
WORKDAYS: frozenset[int] = frozenset(range(5))
ON_TIME_WINDOW = timedelta(seconds=60)
"""A reminder sent less than this after its due time counts as on time."""

# A weekly rule needs at most 7 dates; one more week covers a skipped calendar date
# (Pacific/Apia dropped 2011-12-30), and one day before the start covers folds at midnight.
_SEARCH_DAYS = 16

Due = Literal["on_time", "late", "missed"]


@lru_cache(maxsize=1024)
def get_zone(zone: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; ValueError (not KeyError) when it is unknown."""
    if not isinstance(zone, str) or not zone or zone != zone.strip() or zone == "localtime":
        # "localtime" is the host's zone: a stored rule must mean the same on every host
        raise ValueError(f"invalid time zone: {zone!r}")
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone: {zone!r}") from exc


def is_valid_zone(zone: str) -> bool:
    try:
        get_zone(zone)
    except ValueError:
        return False
    return True


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


@dataclass(frozen=True)
class ReminderRule:
    """Fire at ``local_time`` on each of ``weekdays`` (0=Mon..6=Sun) in IANA ``zone``."""

    local_time: time
    weekdays: frozenset[int]
    zone: str

    def __post_init__(self) -> None:
        t = self.local_time
        if t.tzinfo is not None or t.second or t.microsecond:
            raise ValueError("local_time must be a naive time with whole minutes")
        days = frozenset(self.weekdays)
        if not days or not days <= ALL_DAYS:
            raise ValueError("weekdays must be a non-empty subset of 0..6")
        object.__setattr__(self, "weekdays", days)
        get_zone(self.zone)


def local_date_of(instant: datetime, zone: str) -> date:
    """The calendar date on the wall clock in ``zone`` at ``instant`` (idempotency keys)."""
    _require_aware("instant", instant)
    return instant.astimezone(get_zone(zone)).date()


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None, fold=0)


def _first_instant_at_or_after(wall: datetime, tz: ZoneInfo) -> datetime:
    """The first UTC instant whose local wall time is ``wall``, or the first one after it.

    For an existing wall time that is its first occurrence (fold=0 is the earlier one).
    Inside a gap zoneinfo maps fold=0 with the offset before the transition and fold=1
    with the offset after it, so the transition (the end of the gap) lies between those
    two instants; it is found by bisection to the second.
    """
    early = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if _wall(early, tz) == wall:
        return early
    late = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = min(early, late), max(early, late)
    lo -= timedelta(seconds=1)
    # invariant: wall time at lo < wall, wall time at hi > wall
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid <= lo:
            mid = lo + timedelta(seconds=1)
        if _wall(mid, tz) < wall:
            lo = mid
        else:
            hi = mid
    return hi


def fire_instant(day: date, at: time, tz: ZoneInfo) -> datetime | None:
    """When a reminder set for ``at`` fires on local date ``day``, or None if it cannot.

    None when no instant of that local date shows ``at`` or a later time: the date is
    skipped by the zone, or a gap runs from ``at`` past midnight.
    """
    wall = datetime.combine(day, at)
    instant = _first_instant_at_or_after(wall, tz)
    return instant if _wall(instant, tz).date() == day else None


def next_occurrence(rule: ReminderRule, after: datetime) -> datetime:
    """The first firing instant (aware, UTC) strictly after ``after``.

    Each chosen local date has at most one firing instant, and those instants grow with
    the date, so iterating ``after = previous`` is strictly increasing and never fires
    twice on one local date.
    """
    _require_aware("after", after)
    tz = get_zone(rule.zone)
    start = after.astimezone(tz).date() - timedelta(days=1)
    for offset in range(_SEARCH_DAYS):
        day = start + timedelta(days=offset)
        if day.weekday() not in rule.weekdays:
            continue
        instant = fire_instant(day, rule.local_time, tz)
        if instant is not None and instant > after:
            return instant
    raise ValueError(f"no occurrence within {_SEARCH_DAYS} days of {after.isoformat()}")


def describe_days(
    weekdays: Iterable[int], day_names: Sequence[str], every_day: str, weekdays_label: str
) -> str:
    """ "every day", "weekdays", or the chosen day names in week order (labels from content)."""
    if len(day_names) != 7:
        raise ValueError("day_names must name the 7 days, Monday first")
    days = frozenset(weekdays)
    if not days or not days <= ALL_DAYS:
        raise ValueError("weekdays must be a non-empty subset of 0..6")
    if days == ALL_DAYS:
        return every_day
    if days == WORKDAYS:
        return weekdays_label
    return ", ".join(day_names[d] for d in sorted(days))


def classify_due(due_at: datetime, now: datetime, grace: timedelta) -> Due:
    """How a due timer is handled when the dispatcher sees it at ``now``.

    lateness = now - due_at. ``on_time`` when lateness < 60 s (also when not yet due);
    otherwise ``missed`` when lateness >= grace, else ``late``. The on-time window wins
    over a grace shorter than 60 s.
    """
    _require_aware("due_at", due_at)
    _require_aware("now", now)
    lateness = now - due_at
    if lateness < ON_TIME_WINDOW:
        return "on_time"
    if lateness >= grace:
        return "missed"
    return "late"


def snooze_until(now: datetime, minutes: int) -> datetime:
    """A snoozed reminder fires ``minutes`` of real (UTC) time later, whatever DST does."""
    _require_aware("now", now)
    if minutes <= 0:
        raise ValueError("minutes must be positive")
    return now.astimezone(UTC) + timedelta(minutes=minutes)


def daytime_followup(after: datetime, zone: str, days: int, hour: int = 10) -> datetime:
    """``hour``:00 local, ``days`` local dates after the local date of ``after``.

    Used for soreness follow-ups. A gap moves it to the first valid instant, a fold
    fires at the first occurrence; a date the zone skips moves it to the next date.
    """
    _require_aware("after", after)
    if days < 1:
        raise ValueError("days must be at least 1")
    if not 0 <= hour <= 23:
        raise ValueError("hour must be within 0..23")
    tz = get_zone(zone)
    day = after.astimezone(tz).date() + timedelta(days=days)
    for offset in range(_SEARCH_DAYS):
        instant = fire_instant(day + timedelta(days=offset), time(hour), tz)
        if instant is not None:
            return instant
    raise ValueError(f"no valid {hour}:00 in {zone} after {day.isoformat()}")
