"""The /mydata export: readable fields, no machinery, and every field in docs/PRIVACY.md.

The rows below have the shape ``PatientRepository.export`` returns (every column of each
row, datetimes as ISO 8601 strings), internal columns included, so the test shows that
they are left out rather than never given.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.core.export import FORMAT, field_names, patient_export, weekdays
from bot.core.session import category

ROOT = Path(__file__).resolve().parents[2]
PRIVACY = ROOT / "docs" / "PRIVACY.md"

# Columns that are machinery, not information about the patient.
INTERNAL = (
    "claimed_by",
    "claimed_until",
    "idempotency_key",
    "attempts",
    "rev",
    "message_id",
    "payload",
    "last_error",
    "settings_step",
    "patient_id",
    "content_version",
    "exercise_index",
    "set_index",
)


def _patient(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": 7,
        "telegram_user_id": 123456789,
        "chat_id": 123456789,
        "language": "en",
        "code": "P-7K3Q9M",
        "status": "active",
        "consent_at": "2026-03-02T14:05:11+00:00",
        "program_id": "lower-back",
        "created_at": "2026-03-02T14:05:11+00:00",
        "updated_at": "2026-03-09T08:12:40+00:00",
        "reminder_time": "07:30",
        "reminder_days": 0b0010101,  # Monday, Wednesday, Friday
        "timezone": "Europe/Berlin",
        "reminders_enabled": True,
        "paused_until": None,
        "nudge_minutes": 60,
        "settings_step": None,
        "hold_since": "2026-03-09T08:12:40+00:00",
        "held_exercises": ["hook-lying-march"],
        "alerts_opt_in": True,
        "blocked_at": None,
        "sore_streak": 0,
        "lapse_notified_at": "2026-03-06T12:30:00+00:00",
        "weekly_summary": True,
    }
    return row | changes


def _session(sid: int, started: str, finished: str | None, **changes: Any) -> dict[str, Any]:
    exercises = ["hook-lying-march", "arm-leg-raises", "bird-dog"]
    row: dict[str, Any] = {
        "id": sid,
        "patient_id": 7,
        "program_id": "lower-back",
        "content_version": "3f2a9c",
        "exercises": exercises,
        "completed": list(exercises),
        "phase": "done" if finished else "step",
        "exercise_index": 2 if finished else 0,
        "step_index": 0,
        "set_index": 0,
        "rev": 23,
        "message_id": 4711,
        "timer_due_at": None,
        "started_at": started,
        "updated_at": finished or started,
        "finished_at": finished,
        "outcome": "completed" if finished else None,
        "feeling": "none" if finished else None,
    }
    return row | changes


def _report(rid: int, kind: str, source: str, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": rid,
        "patient_id": 7,
        "session_id": None,
        "exercise_id": None,
        "step_index": None,
        "kind": kind,
        "source": source,
        "detail": None,
        "rating": None,
        "created_at": "2026-03-09T08:12:40+00:00",
    }
    return row | changes


def _timer(
    tid: int, kind: str, due_at: str, state: str, key: str, **changes: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": tid,
        "patient_id": 7,
        "kind": kind,
        "due_at": due_at,
        "state": state,
        "idempotency_key": key,
        "attempts": 1,
        "claimed_by": "host-1:4242",
        "claimed_until": None,
        "payload": {},
        "created_at": "2026-03-02T14:06:00+00:00",
        "finished_at": None,
        "late": False,
        "last_error": None,
    }
    return row | changes


def _rows() -> dict[str, Any]:
    """A patient of two weeks: sessions done, partly done, skipped, stopped for pain and
    one open; pain, warning-sign and feeling answers; reminders sent and a check-in due."""
    all_three = ["hook-lying-march", "arm-leg-raises", "bird-dog"]
    return {
        "patient": _patient(),
        "sessions": [
            _session(1, "2026-03-02T06:30:04+00:00", "2026-03-02T06:52:19+00:00"),
            _session(
                2,
                "2026-03-04T06:31:00+00:00",
                "2026-03-04T06:44:10+00:00",
                completed=["hook-lying-march"],
                feeling="sore",
            ),
            _session(3, "2026-03-06T06:30:40+00:00", "2026-03-06T06:33:02+00:00", completed=[]),
            _session(
                4,
                "2026-03-09T08:02:13+00:00",
                "2026-03-09T08:12:40+00:00",
                completed=[],
                outcome="pain",
                feeling="pain",
                exercises=all_three,
            ),
            _session(5, "2026-03-09T09:00:00+00:00", None),
        ],
        "reports": [
            _report(1, "none", "feeling", session_id=1, created_at="2026-03-02T06:52:19+00:00"),
            _report(2, "sore", "feeling", session_id=2, created_at="2026-03-04T06:44:10+00:00"),
            _report(
                3,
                "pain",
                "hurts_button",
                session_id=4,
                exercise_id="hook-lying-march",
                step_index=2,
                rating=6,
            ),
            _report(4, "warning_sign", "warning_question", session_id=4, detail="no"),
            _report(5, "sore_gone", "followup", created_at="2026-03-06T09:00:00+00:00"),
        ],
        "timers": [
            _timer(
                1,
                "reminder",
                "2026-03-02T06:30:00+00:00",
                "sent",
                "reminder:7:20260302T0630Z",
            ),
            _timer(2, "staff_alert", "2026-03-09T08:12:40+00:00", "sent", "alert:pain:7:x"),
            _timer(3, "checkin", "2026-03-10T06:30:00+00:00", "pending", "checkin:7:2026-03-10"),
        ],
    }


def _export() -> dict[str, Any]:
    rows = _rows()
    # as bot/services/privacy.py computes them
    results = {
        s["id"]: category(s["outcome"], s["exercises"] or (), s["completed"] or ()).value
        for s in rows["sessions"]
        if s["finished_at"] is not None
    }
    return patient_export(rows, datetime(2026, 3, 9, 10, 0, tzinfo=UTC), results)


def _keys(value: object) -> set[str]:
    """Every key at any depth."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def documented_fields() -> set[str]:
    """The field paths in the first column of docs/PRIVACY.md's field table(s)."""
    found = set()
    for line in PRIVACY.read_text(encoding="utf-8").splitlines():
        cell = re.match(r"\|\s*`([a-z_\[\].]+)`\s*\|", line)
        if cell:
            found.add(cell.group(1))
    return found


def test_every_field_of_the_export_is_documented() -> None:
    names = field_names(_export())
    assert len(names) == len(set(names))
    missing = sorted(set(names) - documented_fields())
    assert not missing, f"fields of /mydata missing from {PRIVACY.relative_to(ROOT)}: {missing}"


def test_the_documentation_names_no_field_the_export_lacks() -> None:
    stale = sorted(documented_fields() - set(field_names(_export())))
    assert not stale, f"{PRIVACY.relative_to(ROOT)} documents fields /mydata no longer has: {stale}"


def test_every_list_in_the_example_has_rows() -> None:
    """field_names reads a list's fields from its first row: an empty list would hide them."""
    export = _export()
    for name in ("sessions", "answers", "messages"):
        assert export[name], name


def test_no_internal_columns() -> None:
    export = _export()
    assert not _keys(export) & set(INTERNAL)
    for name in field_names(export):
        assert name.split(".")[-1].removesuffix("[]") not in INTERNAL, name
    text = json.dumps(export)
    for secret in ("claimed_by", "idempotency_key", "host-1:4242", "reminder:7:", "4711"):
        assert secret not in text


def test_the_export_is_json_and_names_its_format() -> None:
    export = _export()
    assert json.loads(json.dumps(export, ensure_ascii=False)) == export
    assert export["format"] == FORMAT
    assert export["exported_at"] == "2026-03-09T10:00:00+00:00"
    assert export["you"]["patient_code"] == "P-7K3Q9M"
    assert export["you"]["agreed_at"] == "2026-03-02T14:05:11+00:00"


def test_reminder_days_are_weekday_names_not_a_bitmask() -> None:
    reminders = _export()["reminders"]
    assert reminders["days"] == ["monday", "wednesday", "friday"]
    assert reminders["on"] is True
    assert reminders["time"] == "07:30"
    assert reminders["time_zone"] == "Europe/Berlin"
    assert reminders["second_reminder_after_minutes"] == 60
    assert reminders["weekly_summary"] is True
    assert reminders["lapse_note_sent_at"] == "2026-03-06T12:30:00+00:00"


@pytest.mark.parametrize(
    ("mask", "days"),
    [
        (0, []),
        (None, []),
        (1, ["monday"]),
        (0b1100000, ["saturday", "sunday"]),
        (127, ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]),
    ],
)
def test_weekdays(mask: int | None, days: list[str]) -> None:
    assert weekdays(mask) == days


def test_session_results_say_what_was_done() -> None:
    sessions = _export()["sessions"]
    assert [s["result"] for s in sessions] == ["done", "partly", "skipped", "pain", "open"]
    assert [s["how_it_felt"] for s in sessions] == ["none", "sore", "none", "pain", None]
    assert sessions[1]["exercises_done"] == ["hook-lying-march"]
    assert sessions[4]["finished_at"] is None


def test_a_cancelled_session_is_stopped() -> None:
    rows = _rows()
    rows["sessions"] = [
        _session(9, "2026-03-02T06:30:04+00:00", "2026-03-02T06:35:00+00:00", outcome="cancelled")
    ]
    results = {9: category("cancelled", rows["sessions"][0]["exercises"], []).value}
    export = patient_export(rows, datetime(2026, 3, 9, tzinfo=UTC), results)
    assert export["sessions"][0]["result"] == "stopped"


def test_safety_and_answers_are_readable() -> None:
    export = _export()
    assert export["safety"] == {
        "on_hold_since": "2026-03-09T08:12:40+00:00",
        "exercises_left_out": ["hook-lying-march"],
        "clinic_may_be_told_of_pain": True,
        "sore_sessions_in_a_row": 0,
    }
    pain = export["answers"][2]
    assert pain == {
        "at": "2026-03-09T08:12:40+00:00",
        "what": "pain",
        "asked_by": "hurts_button",
        "exercise": "hook-lying-march",
        "step": 3,  # counted from 1, as the step screen shows it ("step 3 of 4")
        "detail": None,
        "pain_rating": 6,  # the optional 0-10 answer after the advice
    }
    assert export["answers"][3]["detail"] == "no"
    assert export["answers"][3]["pain_rating"] is None
    assert export["messages"][1] == {
        "what": "staff_alert",
        "due_at": "2026-03-09T08:12:40+00:00",
        "state": "sent",
    }


def test_a_patient_without_reminders_or_hold() -> None:
    rows = {
        "patient": _patient(
            reminder_time=None,
            reminder_days=0,
            timezone=None,
            reminders_enabled=False,
            nudge_minutes=None,
            hold_since=None,
            held_exercises=[],
            alerts_opt_in=None,
        )
    }
    export = patient_export(rows, datetime(2026, 3, 9, tzinfo=UTC), {})
    assert export["reminders"]["on"] is False
    assert export["reminders"]["days"] == []
    assert export["safety"]["on_hold_since"] is None
    assert export["safety"]["exercises_left_out"] == []
    assert export["sessions"] == export["answers"] == export["messages"] == []
