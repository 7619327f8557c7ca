"""The clinic's weekly digest: when it goes out and which days it covers (docs/CLINIC.md).

Pure: the settings' words (``DIGEST_WEEKDAY``, ``DIGEST_TIME``) into a plan, the plan
and an instant into the next due instant (UTC), the clinic's local date into the period.
The digest is due on the clinic's weekday at its local time in the clinic's time zone,
with the reminders' rules for DST (``bot.core.schedule``): a time inside a gap moves to
the end of the gap, a time that happens twice fires at the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.core.adherence import week_start
from bot.core.schedule import ReminderRule, get_zone, local_date_of, next_occurrence
from bot.core.timers import digest_key

OFF = "off"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
PERIOD_DAYS = 7


def weekday_number(name: str) -> int | None:
    """0 (Monday) .. 6 (Sunday) for a weekday's English name or its first three letters."""
    word = name.strip().lower()
    for number, day in enumerate(WEEKDAYS):
        if word in (day, day[:3]):
            return number
    return None


def parse_clock(value: str) -> time | None:
    """``HH:MM`` (24 h, whole minutes) or None."""
    hours, sep, minutes = value.strip().partition(":")
    if not sep or not (hours.isascii() and hours.isdigit() and minutes.isascii()):
        return None
    if not minutes.isdigit() or len(minutes) != 2 or len(hours) > 2:
        return None
    h, m = int(hours), int(minutes)
    return time(h, m) if h < 24 and m < 60 else None


@dataclass(frozen=True)
class DigestPlan:
    """The digest goes out on ``weekday`` (0=Mon) at ``at`` local time in ``zone``."""

    weekday: int
    at: time
    zone: str

    def signature(self) -> str:
        """Stored with each planned digest: a changed setting is noticed at start-up."""
        return f"{self.weekday} {self.at:%H:%M} {self.zone}"

    def rule(self) -> ReminderRule:
        return ReminderRule(self.at, frozenset({self.weekday}), self.zone)


def plan_of(weekday: str, at: str, zone: str, *, staff_chat: bool) -> DigestPlan | None:
    """The plan the settings give; None when the digest is off or there is no staff chat."""
    number = weekday_number(weekday)
    clock = parse_clock(at)
    if not staff_chat or number is None or clock is None:
        return None
    get_zone(zone)  # ValueError for an unknown zone
    return DigestPlan(number, clock, zone)


@dataclass(frozen=True)
class Planned:
    """One digest to plan: when it is due, its key and the dates it covers."""

    due_at: datetime
    key: str
    first: date
    last: date

    def payload(self, plan: DigestPlan) -> dict[str, str]:
        return {
            "due": self.due_at.isoformat(),
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "plan": plan.signature(),
        }


def period_before(day: date) -> tuple[date, date]:
    """The 7 days before ``day`` (the clinic's local date the digest is sent on)."""
    return day - timedelta(days=PERIOD_DAYS), day - timedelta(days=1)


def next_digest(plan: DigestPlan, after: datetime) -> Planned:
    """The first digest due strictly after ``after``."""
    due = next_occurrence(plan.rule(), after)
    day = local_date_of(due, plan.zone)
    first, last = period_before(day)
    return Planned(due.astimezone(UTC), digest_key(week_start(day)), first, last)


def digest_after(plan: DigestPlan, after: datetime, taken: set[str]) -> Planned:
    """The first digest due after ``after`` whose week has none yet (``taken``: the keys
    of digests already planned or sent)."""
    found = next_digest(plan, after)
    for _ in range(3):  # a week at most is taken: the one just sent, or sent before a change
        if found.key not in taken:
            return found
        found = next_digest(plan, found.due_at)
    return found


def following(plan: DigestPlan, last: date, now: datetime) -> datetime:
    """Where to look for the next digest once the one covering up to ``last`` goes out:
    after the day it was due (the day after ``last``), and not in the past."""
    tz = get_zone(plan.zone)
    day_after = datetime.combine(last + timedelta(days=2), time(), tzinfo=tz).astimezone(UTC)
    return max(day_after - timedelta(seconds=1), now)


def too_late(due_at: datetime, now: datetime) -> bool:
    """A digest a week late (the bot was down): the next one is due, so this one is
    recorded as missed rather than sent about a stale week."""
    return now - due_at >= timedelta(days=PERIOD_DAYS)
