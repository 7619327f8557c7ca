"""Bookkeeping timestamps (created_at, started_at, updated_at...) from the bot's clock.

A unit of work puts its clock's ``now`` in ``session.info[NOW]``; before each flush, new
rows without a timestamp get it, and changed rows get ``updated_at`` unless the use case
set one itself. The wall clock (``models.utcnow``) is only a fallback for rows written
outside a unit of work (bulk seeding in benchmarks). With a fake clock in the tests and
the sandbox, every stored time is on that clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

NOW = "now"
_ON_INSERT = ("created_at", "started_at", "uploaded_at", "updated_at")


def now_of(session: Session) -> datetime | None:
    clock: Callable[[], datetime] | None = session.info.get(NOW)
    return clock() if clock is not None else None


@event.listens_for(Session, "before_flush")
def _stamp(session: Session, _context: Any, _instances: Any) -> None:
    now = now_of(session)
    if now is None:
        return
    for row in session.new:
        for name in _ON_INSERT:
            if hasattr(row, name) and getattr(row, name) is None:
                setattr(row, name, now)
    for row in session.dirty:
        if not hasattr(row, "updated_at") or not session.is_modified(row):
            continue
        if not inspect(row).attrs.updated_at.history.has_changes():
            row.updated_at = now
