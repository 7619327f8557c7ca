"""Has a patient lapsed? One rule, shared by the staff digest and the word to the patient.

A patient has **lapsed** when the bot already said the gentle word about it
(``patients.lapse_notified_at``, until their next session), or when they have reminder
days and no session for ``lapse_days`` days: counted from their last session's local
date, or from the day they agreed if they never had one. Not while reminders are off,
paused, or on hold (a held patient was told to stop and see a doctor: not exercising is
right then).
"""

from __future__ import annotations

from datetime import date


def is_lapsed(
    *,
    notified: bool,
    scheduled: bool,
    last_session: date | None,
    since: date,
    today: date,
    lapse_days: int,
) -> bool:
    """``scheduled``: reminder days on, not paused, not on hold. ``last_session``: the local
    date of the last session that counts (begun and ended); ``since``: the day the patient
    agreed (or got their reminder days)."""
    if notified:
        return True
    if not scheduled:
        return False
    reference = max(last_session, since) if last_session is not None else since
    return (today - reference).days >= lapse_days
