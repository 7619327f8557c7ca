"""Rows the store tests start from, made through the repositories."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.store import Database, ExerciseSession, Patient


async def add_patient_with_session(
    db: Database,
    telegram_user_id: int,
    started_at: datetime,
    *,
    patient: Mapping[str, Any],
    session: Mapping[str, Any],
) -> tuple[int, int]:
    """A patient (chat = user id, plus ``patient``'s columns) in a session of two exercises,
    at a step (plus ``session``'s columns): (patient id, session id)."""
    async with db.unit_of_work() as uow:
        added = await uow.patients.add(
            Patient(telegram_user_id=telegram_user_id, chat_id=telegram_user_id, **patient)
        )
        running = await uow.sessions.add(
            ExerciseSession(
                patient_id=added.id,
                program_id="back-basic",
                content_version="v1",
                exercises=["pelvic_tilt", "cat_cow"],
                phase="step",
                started_at=started_at,
                updated_at=started_at,
                **session,
            )
        )
        await uow.commit()
        return added.id, running.id
