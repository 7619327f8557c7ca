"""The patient's own export (/mydata): everything stored about them, with field names a
person can read, and none of the machinery (lease owners, idempotency keys, bitmasks).

Every field is explained in docs/PRIVACY.md ("What /mydata sends"); a test keeps the two
in step. The input is the store's plain rows (``PatientRepository.export``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

FORMAT = "exercise-bot patient export, version 1"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

Row = Mapping[str, Any]


def _when(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def weekdays(mask: int | None) -> list[str]:
    return [day for i, day in enumerate(WEEKDAYS) if (mask or 0) >> i & 1]


def patient_export(
    rows: Mapping[str, Any], exported_at: datetime, session_results: Mapping[int, str]
) -> dict[str, Any]:
    """``rows`` as ``PatientRepository.export`` returns them; ``session_results`` the
    result of each finished session (done, partly, skipped, pain, stopped) by id."""
    patient: Row = rows["patient"]
    sessions: Sequence[Row] = rows.get("sessions", ())
    reports: Sequence[Row] = rows.get("reports", ())
    timers: Sequence[Row] = rows.get("timers", ())
    return {
        "format": FORMAT,
        "exported_at": _when(exported_at),
        "you": {
            "patient_code": patient["code"],
            "telegram_user_id": patient["telegram_user_id"],
            "language": patient["language"],
            "agreed_at": _when(patient["consent_at"]),
            "first_seen_at": _when(patient["created_at"]),
            "program": patient["program_id"],
            "own_dose": patient.get("dose") or {},
            "clinic_reference": patient.get("clinic_ref"),
            "status": patient["status"],
        },
        "reminders": {
            "on": bool(patient["reminders_enabled"]),
            "days": weekdays(patient["reminder_days"]),
            "time": patient["reminder_time"],
            "time_zone": patient["timezone"],
            "paused_until": _when(patient["paused_until"]),
            "second_reminder_after_minutes": patient["nudge_minutes"],
            "weekly_summary": bool(patient.get("weekly_summary")),
            "lapse_note_sent_at": _when(patient.get("lapse_notified_at")),
        },
        "safety": {
            "on_hold_since": _when(patient["hold_since"]),
            "exercises_left_out": list(patient["held_exercises"] or []),
            "clinic_may_be_told_of_pain": patient["alerts_opt_in"],
            "sore_sessions_in_a_row": patient["sore_streak"],
        },
        "sessions": [
            {
                "started_at": _when(s["started_at"]),
                "finished_at": _when(s["finished_at"]),
                "program": s["program_id"],
                "exercises": list(s["exercises"] or []),
                "exercises_done": list(s["completed"] or []),
                "result": session_results.get(s["id"], "open"),
                "how_it_felt": s["feeling"],
            }
            for s in sessions
        ],
        "answers": [
            {
                "at": _when(r["created_at"]),
                "what": r["kind"],
                "asked_by": r["source"],
                "exercise": r["exercise_id"],
                "step": None if r["step_index"] is None else r["step_index"] + 1,
                "detail": r["detail"],
                "pain_rating": r["rating"],
            }
            for r in reports
        ],
        "messages": [
            {"what": t["kind"], "due_at": _when(t["due_at"]), "state": t["state"]} for t in timers
        ],
    }


def field_names(export: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Every field path in an export ("reminders.days", "sessions[].result"...)."""
    names: list[str] = []
    for key, value in export.items():
        path = f"{prefix}{key}"
        names.append(path)
        if isinstance(value, Mapping):
            names += field_names(value, f"{path}.")
        elif isinstance(value, list) and value and isinstance(value[0], Mapping):
            names += field_names(value[0], f"{path}[].")
    return names
