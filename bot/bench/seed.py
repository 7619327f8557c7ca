"""Fast seeding of patients with reminders, for benchmarks and the crash test.

Rows go in with SQLAlchemy Core executemany (or the sqlite3 module for millions of rows),
never one ORM object at a time: the benchmark measures the bot, not the seeding.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from bot.core.timers import Kind, reminder_key
from bot.core.ui.settings import EVERY_DAY
from bot.store.database import Database
from bot.store.models import Patient, Timer

REMINDER = Kind.REMINDER

FIRST_USER_ID = 7_000_001  # clear of the emulator's own ids (100001, ...)
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney")
_SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a naive UTC DateTime in SQLite


def patient_row(index: int, now: datetime, reminder_time: str, zone: str) -> dict[str, Any]:
    """A consenting, active patient with daily reminders (telegram id == chat id)."""
    user_id = FIRST_USER_ID + index
    return {
        "telegram_user_id": user_id,
        "chat_id": user_id,
        "language": "en",
        "code": f"B-{index:09d}",
        "status": "active",
        "consent_at": now,
        "created_at": now,
        "updated_at": now,
        "reminder_time": reminder_time,
        "reminder_days": EVERY_DAY,
        "timezone": zone,
        "reminders_enabled": True,
    }


async def seed_due(db: Database, n: int, due_at: datetime, *, zone: str = "UTC") -> list[int]:
    """n patients, each with one pending ``reminder`` timer due at ``due_at``.

    The reminder time is ``due_at``'s wall minute, so the next occurrence the dispatcher
    schedules is tomorrow (as in production). Returns the chat ids.
    """
    hhmm = f"{due_at.astimezone(ZoneInfo(zone)):%H:%M}"
    async with db.unit_of_work() as uow:
        if n:
            rows = [patient_row(i, due_at, hhmm, zone) for i in range(n)]
            await uow.session.execute(insert(Patient), rows)
        pairs = (await uow.session.execute(select(Patient.id, Patient.chat_id))).all()
        timers = [
            {
                "patient_id": pid,
                "kind": REMINDER,
                "due_at": due_at,
                "idempotency_key": reminder_key(pid, due_at),
                "payload": {},
                "created_at": due_at,
            }
            for pid, _ in pairs
        ]
        if timers:
            await uow.session.execute(insert(Timer), timers)
        await uow.commit()
    return [chat_id for _, chat_id in pairs]


def seed_sqlite_file(path: str, n: int, now: datetime, batch: int = 50_000) -> None:
    """n patients with a reminder due tomorrow, straight through sqlite3 in one transaction.

    The schema must exist (``Database.upgrade``). About 1 s per 100,000 patients.
    """
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        stamp = now.astimezone(UTC).replace(tzinfo=None).strftime(_SQLITE_TS)
        due = (now + timedelta(days=1)).astimezone(UTC).replace(tzinfo=None)
        due_text = due.strftime(_SQLITE_TS)
        day = due.date().isoformat()
        conn.execute("BEGIN")
        for start in range(0, n, batch):
            stop = min(n, start + batch)
            conn.executemany(
                "INSERT INTO patients (id, telegram_user_id, chat_id, language, code, status,"
                " consent_at, created_at, updated_at, reminder_time, reminder_days, timezone,"
                " reminders_enabled) VALUES (?, ?, ?, 'en', ?, 'active', ?, ?, ?, ?, ?, ?, 1)",
                (
                    (
                        i + 1,
                        FIRST_USER_ID + i,
                        FIRST_USER_ID + i,
                        f"B-{i:09d}",
                        stamp,
                        stamp,
                        stamp,
                        f"{7 + i % 12:02d}:{(i * 7) % 60:02d}",
                        EVERY_DAY,
                        ZONES[i % len(ZONES)],
                    )
                    for i in range(start, stop)
                ),
            )
            conn.executemany(
                "INSERT INTO timers (patient_id, kind, due_at, state, idempotency_key,"
                " attempts, payload, created_at, late) VALUES (?, 'reminder', ?, 'pending',"
                " ?, 0, '{}', ?, 0)",
                ((i + 1, due_text, f"reminder:{i + 1}:{day}", stamp) for i in range(start, stop)),
            )
        conn.commit()
    finally:
        conn.close()
