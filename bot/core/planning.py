"""Which daily reminder a patient should get next: one pure decision from the rule and the
facts, never from the previous timer alone.

Every event that could change the answer (settings, zone, pause, resume, stop, hold,
clearance, a session done, a reminder sent, skipped or missed, a restart after downtime)
asks ``next_daily_reminder`` again and stores exactly its answer as the one pending
daily reminder. docs/REMINDERS.md, "The next reminder", describes the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.core.schedule import ReminderRule, fire_instant, get_zone, local_date_of, next_occurrence

FOREVER = datetime(9999, 1, 1, tzinfo=UTC)
"""``paused_until`` for a pause that lasts until the patient resumes."""

_MAX_STEPS = 400  # occurrences to look through (a year of weekly rules, with margin)


@dataclass(frozen=True)
class ReminderFacts:
    """What the decision needs to know about one patient.

    ``wants`` folds the yes/no facts: consented, active (not blocked), reminders turned on,
    not on hold. ``paused_until`` is the first instant reminders may come again (the
    start of the local resume date) or ``FOREVER``. ``last_reminded`` is when the last daily
    reminder went out, ``last_done`` when the last session was finished (done or stopped
    for pain): neither day gets another reminder.
    """

    rule: ReminderRule | None
    wants: bool = True
    paused_until: datetime | None = None
    last_reminded: datetime | None = None
    last_done: datetime | None = None

    @property
    def paused_indefinitely(self) -> bool:
        return self.paused_until is not None and self.paused_until >= FOREVER


def next_daily_reminder(facts: ReminderFacts, after: datetime) -> datetime | None:
    """The first occurrence of the rule strictly after ``after`` that the patient should
    get, or None when none should come (no rule, stopped, on hold, paused until resumed).

    ``after`` is normally now; after downtime the caller passes ``now - grace`` so that
    today's reminder, if it is late by less than the grace period, is still the answer.
    A local date that already had a reminder or a finished session gets none, and nothing
    comes before the end of a pause.
    """
    rule = facts.rule
    if rule is None or not facts.wants or facts.paused_indefinitely:
        return None
    start = after
    if facts.paused_until is not None and facts.paused_until > start:
        start = facts.paused_until - timedelta(microseconds=1)  # an occurrence at the resume
    taken = [local_date_of(x, rule.zone) for x in (facts.last_reminded, facts.last_done) if x]
    last_taken = max(taken) if taken else None
    candidate = next_occurrence(rule, start)
    for _ in range(_MAX_STEPS):
        if last_taken is None or local_date_of(candidate, rule.zone) > last_taken:
            return candidate
        candidate = next_occurrence(rule, candidate)
    raise ValueError("no occurrence found")  # cannot happen: a weekly rule fires every week


def resume_instant(today: date, days: int, zone: str) -> datetime:
    """A pause of ``days`` local calendar days from ``today``: reminders may come again from
    the first instant of the local date ``today + days`` (DST or not)."""
    if days < 1:
        raise ValueError("a pause lasts at least one day")
    tz = get_zone(zone)
    day = today + timedelta(days=days)
    for offset in range(3):  # a skipped date (Apia 2011) moves to the next one
        instant = fire_instant(day + timedelta(days=offset), time(0), tz)
        if instant is not None:
            return instant
    raise ValueError(f"no start of day in {zone} near {day}")


def resume_date(paused_until: datetime, zone: str) -> date:
    """The local date a pause ends on (for telling the patient)."""
    return local_date_of(paused_until, zone)
