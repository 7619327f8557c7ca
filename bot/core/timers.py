"""Every kind of durable timer and its idempotency key, in one place.

A key names what a timer is *for* (a patient's reminder at one instant, the snoozes of
one local day, the check-in of one date...), so scheduling the same thing twice inserts
one row. Statuses of timers and sessions are enums too, so a typo is an error.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum


class Kind(StrEnum):
    REMINDER = "reminder"  # the daily reminder (at most one pending per patient)
    SNOOZE = "snooze"  # "Later": the same day's reminder again
    NUDGE = "nudge"  # the optional second reminder of the day
    STEP = "step_timer"  # a timed exercise step
    CHECKIN = "checkin"  # on hold: how are you, have you seen your doctor
    SORE_FOLLOWUP = "sore_followup"  # two days after "sore"
    STAFF_ALERT = "staff_alert"  # a note to the clinic's staff chat
    ADVICE = "advice"  # safety advice, resent unless its reply was delivered
    # the clinic's weekly digest: the one kind with no patient (patient_id NULL), so it is
    # in no patient's export and /forget leaves it alone
    STAFF_DIGEST = "staff_digest"


DAILY_KINDS = (Kind.REMINDER, Kind.SNOOZE, Kind.NUDGE)
STAFF_CHAT_KINDS = frozenset({Kind.STAFF_ALERT, Kind.STAFF_DIGEST})
"""Timers sent to the staff chat: a 403 there is the clinic's chat refusing the bot, never
the patient blocking it."""


class TimerState(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    MISSED = "missed"
    FAILED = "failed"
    CANCELLED = "cancelled"


def _minute(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def reminder_key(patient_id: int, due_at: datetime) -> str:
    """One daily reminder per patient and instant (the planner allows one per local date)."""
    return f"{Kind.REMINDER}:{patient_id}:{_minute(due_at)}"


def snooze_key(patient_id: int, day: date, number: int) -> str:
    return f"{snooze_prefix(patient_id, day)}{number}"


def snooze_prefix(patient_id: int, day: date) -> str:
    """All snoozes of one local day share it (counted against the daily limit)."""
    return f"{Kind.SNOOZE}:{patient_id}:{day.isoformat()}:"


def nudge_key(patient_id: int, day: date) -> str:
    return f"{Kind.NUDGE}:{patient_id}:{day.isoformat()}"


def step_key(session_id: int, rev: int) -> str:
    return f"step:{session_id}:{rev}"


def checkin_key(patient_id: int, day: date) -> str:
    return f"{Kind.CHECKIN}:{patient_id}:{day.isoformat()}"


def sore_followup_key(patient_id: int, day: date) -> str:
    return f"{Kind.SORE_FOLLOWUP}:{patient_id}:{day.isoformat()}"


def alert_key(what: str, *parts: object) -> str:
    return ":".join(("alert", what, *(str(p) for p in parts)))[:128]


def advice_key(patient_id: int, what: str, nonce: str) -> str:
    return f"{Kind.ADVICE}:{patient_id}:{what}:{nonce}"


def digest_key(week_monday: date) -> str:
    """One digest per week: the Monday of the week (in the clinic's zone) it is sent in."""
    return f"digest:{week_monday.isoformat()}"
