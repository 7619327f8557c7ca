"""Tables as typed declarative models.

No relationships: under asyncio a lazy load is an error waiting to happen, so rows are
joined by id in the repositories instead. Every datetime column is :class:`UTCDateTime`.
Python-side defaults keep new objects complete before a flush; the same defaults exist
on the server (see the migration) so raw SQL inserts behave alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.store.types import BigIntID, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The wall clock, only for rows written outside a unit of work: inside one, the bot's
    clock stamps them (bot/store/stamps.py)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class Patient(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    code: Mapped[str] = mapped_column(String(16), unique=True)
    # a PatientStatus (bot/core/patient.py)
    status: Mapped[str] = mapped_column(String(16), default="new", server_default="new")
    consent_at: Mapped[datetime | None]
    program_id: Mapped[str | None] = mapped_column(String(64))
    # the clinic's own reference (e.g. its record number), from the invite link
    clinic_ref: Mapped[str | None] = mapped_column(String(64))
    # this patient's dose per exercise id, within what content allows: {"id": {"sets": 3}}
    dose: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # reminder settings
    reminder_time: Mapped[str | None] = mapped_column(String(5))
    reminder_days: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    timezone: Mapped[str | None] = mapped_column(String(64))
    reminders_enabled: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    paused_until: Mapped[datetime | None]
    nudge_minutes: Mapped[int | None] = mapped_column(Integer)
    settings_step: Mapped[str | None] = mapped_column(String(32))
    # safety
    hold_since: Mapped[datetime | None]
    held_exercises: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    alerts_opt_in: Mapped[bool | None] = mapped_column(Boolean)
    blocked_at: Mapped[datetime | None]
    sore_streak: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # adherence: the gentle word after a lapse is sent once, until the next session
    lapse_notified_at: Mapped[datetime | None]
    weekly_summary: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )


class ExerciseSession(Base):
    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_patient_id_finished_at", "patient_id", "finished_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    program_id: Mapped[str] = mapped_column(String(64))
    content_version: Mapped[str] = mapped_column(String(64))
    exercises: Mapped[list[str]] = mapped_column(JSON, default=list)
    # exercises finished with Next/Done (not skipped): what "done" and "partly" mean
    completed: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    phase: Mapped[str] = mapped_column(String(16), default="intro", server_default="intro")
    exercise_index: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    step_index: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    set_index: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    rev: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    timer_due_at: Mapped[datetime | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))
    feeling: Mapped[str | None] = mapped_column(String(16))


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(BigIntID, primary_key=True, autoincrement=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="SET NULL"))
    exercise_id: Mapped[str | None] = mapped_column(String(64))
    step_index: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    source: Mapped[str | None] = mapped_column(String(24))
    detail: Mapped[str | None] = mapped_column(String(200))
    # the optional 0-10 pain rating that follows "It hurt"
    rating: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Timer(Base):
    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_state_due_at", "state", "due_at"),)

    id: Mapped[int] = mapped_column(BigIntID, primary_key=True, autoincrement=True)
    # None for the clinic's own timers (the staff digest)
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(24))
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    last_error: Mapped[str | None] = mapped_column(String(200))

    @property
    def owner_id(self) -> int:
        """The patient of a per-patient timer (every kind but the clinic's own)."""
        if self.patient_id is None:
            raise ValueError(f"timer {self.id} ({self.kind}) belongs to no patient")
        return self.patient_id


class Invite(Base):
    """A single-use invite link: only the SHA-256 of its token is stored."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    program_id: Mapped[str] = mapped_column(String(64))
    clinic_ref: Mapped[str | None] = mapped_column(String(64))
    dose: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    created_by: Mapped[str] = mapped_column(String(64))  # "staff:<user id>" or "cli"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("patients.id", ondelete="SET NULL"))


class Lock(Base):
    """A named lease; lets one process on a SQLite file be the dispatcher."""

    __tablename__ = "locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]


class MediaFile(Base):
    """A picture Telegram already has: its file_id for one bot, keyed by the file's bytes.

    A file_id is valid only for the bot that uploaded it, so the bot's id is part of the
    key; the content hash (not the path) makes a changed file a new row, uploaded again.
    """

    __tablename__ = "media_files"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # photo | animation
    file_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))  # the path content gave, for an operator
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
