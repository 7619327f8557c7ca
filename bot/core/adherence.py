"""Adherence figures: which days a patient exercised, against the days they planned.

Pure functions over plain values (local dates, weekday sets, session categories), shared by
the patient's /progress, the staff digest and the ``report`` command, so every figure means
the same everywhere (docs/CLINIC.md).

- A session counts once it was begun and has ended, exactly as /history shows it: open
  sessions and those never begun (or replaced by a new start) are not a day's session.
  Its category is ``bot.core.session.category``: done, partly, skipped, pain, stopped.
- A **day** is a local date in the patient's time zone. A day with several sessions counts
  by its best one (done > partly > pain > skipped > stopped).
- A day is **exercised** when its best session was done or partly done.
- **Planned days** are the patient's reminder weekdays, from the day they agreed (never
  before); without reminder days there is no plan, and figures say so (``None``).
- A **week** runs Monday to Sunday.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.session import Category, Outcome, category

ALL_DAYS: frozenset[int] = frozenset(range(7))
STREAK_LOOKBACK_DAYS = 366
"""A streak is counted back at most this far (one patient's sessions of a year)."""

_RANK = {
    Category.DONE: 4,
    Category.PARTLY: 3,
    Category.PAIN: 2,
    Category.SKIPPED: 1,
    Category.STOPPED: 0,
}
EXERCISED = frozenset({Category.DONE, Category.PARTLY})


def counted(outcome: str | None, finished: bool) -> bool:
    """Whether a session is a day's session (the rule /history follows)."""
    return finished and outcome not in (Outcome.NOT_STARTED, Outcome.RESTARTED)


def session_category(
    outcome: str | None, exercises: Iterable[str], completed: Iterable[str], finished: bool
) -> Category | None:
    """The session's category, or None when it does not count (open, never begun)."""
    if not counted(outcome, finished):
        return None
    return category(outcome, list(exercises), list(completed))


def local_day(instant: datetime, zone: str) -> date:
    """The patient's local date of an instant."""
    return instant.astimezone(ZoneInfo(zone)).date()


def day_results(sessions: Iterable[tuple[date, Category]]) -> dict[date, Category]:
    """Each local date with a counted session, by its best session."""
    best: dict[date, Category] = {}
    for day, kind in sessions:
        if day not in best or _RANK[kind] > _RANK[best[day]]:
            best[day] = kind
    return best


def week_start(day: date) -> date:
    """The Monday of the week the day is in."""
    return day - timedelta(days=day.weekday())


def planned_in(
    weekdays: frozenset[int], first: date, last: date, since: date | None = None
) -> list[date]:
    """The planned dates from ``first`` to ``last`` (both included), none before ``since``."""
    start = max(first, since) if since is not None else first
    return [
        start + timedelta(days=i)
        for i in range((last - start).days + 1)
        if (start + timedelta(days=i)).weekday() in weekdays
    ]


@dataclass(frozen=True)
class WeekFigures:
    """One week, Monday to Sunday: how many days of each kind, and how many were planned."""

    start: date
    planned: int | None  # None: no reminder days, so no plan
    done: int = 0
    partly: int = 0
    skipped: int = 0
    pain: int = 0
    stopped: int = 0

    @property
    def exercised(self) -> int:
        return self.done + self.partly


def week_figures(
    results: Mapping[date, Category],
    start: date,
    weekdays: frozenset[int] | None,
    since: date | None = None,
) -> WeekFigures:
    """The figures of the week that begins on ``start`` (a Monday)."""
    days = [start + timedelta(days=i) for i in range(7)]
    kinds = [results[d] for d in days if d in results]
    planned = len(planned_in(weekdays, days[0], days[-1], since)) if weekdays else None
    return WeekFigures(
        start=start,
        planned=planned,
        done=kinds.count(Category.DONE),
        partly=kinds.count(Category.PARTLY),
        skipped=kinds.count(Category.SKIPPED),
        pain=kinds.count(Category.PAIN),
        stopped=kinds.count(Category.STOPPED),
    )


def last_weeks(
    results: Mapping[date, Category],
    today: date,
    weekdays: frozenset[int] | None,
    since: date | None = None,
    count: int = 4,
) -> tuple[WeekFigures, ...]:
    """This week and the ``count - 1`` before it, oldest first."""
    this_week = week_start(today)
    return tuple(
        week_figures(results, this_week - timedelta(weeks=back), weekdays, since)
        for back in range(count - 1, -1, -1)
    )


def streak(
    results: Mapping[date, Category],
    today: date,
    weekdays: frozenset[int] | None,
    since: date | None = None,
) -> int:
    """Days exercised since the last planned day that was missed.

    Walking back from today: an exercised day adds one; a planned day without exercise ends
    the streak, except today (the day is not over). Without reminder days every day counts
    as planned, so the streak is the run of days in a row. Days before ``since`` (when the
    patient agreed) are not walked.
    """
    planned = weekdays or ALL_DAYS
    count = 0
    for back in range(STREAK_LOOKBACK_DAYS):
        day = today - timedelta(days=back)
        if since is not None and day < since:
            break
        if results.get(day) in EXERCISED:
            count += 1
        elif day.weekday() in planned and day != today:
            break
    return count


@dataclass(frozen=True)
class Progress:
    """What /progress shows."""

    week: WeekFigures  # this week, its planned days counted over the whole week
    streak: int
    weeks: tuple[WeekFigures, ...]  # the last 4, oldest first (the chart)
    has_schedule: bool


def progress(
    results: Mapping[date, Category],
    today: date,
    weekdays: frozenset[int] | None,
    since: date | None = None,
) -> Progress:
    weeks = last_weeks(results, today, weekdays, since)
    return Progress(
        week=weeks[-1],
        streak=streak(results, today, weekdays, since),
        weeks=weeks,
        has_schedule=bool(weekdays),
    )


# --- lapses (issue 15) ---------------------------------------------------------------------


def lapse_reference(
    last_started: datetime | None,
    agreed: datetime,
    pause_ended: datetime | None = None,
    cleared: datetime | None = None,
) -> datetime:
    """The last time the patient was "with us": their last session begun, or with none
    their subscription (consent). The end of a pause and a clearance after a hold count
    too: nobody is told they lapsed for a break they chose or a hold the bot imposed."""
    return max(x for x in (last_started, agreed, pause_ended, cleared) if x is not None)


def is_lapsed(
    *,
    today: date,
    reference_day: date,
    lapse_days: int,
    has_schedule: bool,
    active: bool = True,
    paused: bool = False,
    on_hold: bool = False,
) -> bool:
    """A lapse: reminder days on, reminders wanted (``active``: consented, not stopped, not
    blocked), not paused, not on hold (a held patient was told to see a doctor: never nag
    them), and ``lapse_days`` or more local days since the reference day (see
    :func:`lapse_reference`). ``lapse_days`` 0 turns lapses off. Used by the reminder that
    carries the lapse note and by the staff list's "lapsed" flag."""
    if lapse_days <= 0 or not has_schedule or not active or paused or on_hold:
        return False
    return (today - reference_day).days >= lapse_days


def lapse_note_due(lapsed: bool, reference: datetime, notified_at: datetime | None) -> bool:
    """One note per lapse: due when lapsed and not already noted since the reference (a
    session begun after the note starts a new reference, so the next lapse gets one)."""
    return lapsed and (notified_at is None or notified_at < reference)


# --- the patient's weekly summary (issue 15) --------------------------------------------------


@dataclass(frozen=True)
class WeekSummary:
    """Last week's figures and the streak, with the first reminder of a new week."""

    week: WeekFigures  # last week, Monday to Sunday
    streak: int
    missed: bool  # planned days last week and no session at all


def weekly_summary(
    results: Mapping[date, Category],
    today: date,
    weekdays: frozenset[int] | None,
    last_reminded: date | None,
    since: date | None = None,
) -> WeekSummary | None:
    """The summary that goes with today's reminder, or None.

    Only the first reminder of a local week (Monday to Sunday) carries one: the previous
    reminder (``last_reminded``, its local date) was in an earlier week. It covers last
    week, and only when there is something to tell: a reminder came last week or a
    session counted (a week fully paused, on hold or before the patient agreed has none).
    A week is **missed** when it had planned days and no session at all (of any kind).
    """
    this_week = week_start(today)
    if last_reminded is not None and week_start(last_reminded) >= this_week:
        return None
    previous = this_week - timedelta(weeks=1)
    figures = week_figures(results, previous, weekdays, since)
    sessions = figures.exercised + figures.skipped + figures.pain + figures.stopped
    reminded_last_week = last_reminded is not None and week_start(last_reminded) == previous
    if not reminded_last_week and sessions == 0:
        return None
    missed = bool(figures.planned) and sessions == 0
    return WeekSummary(figures, streak(results, today, weekdays, since), missed)
