"""Initial schema: patients, sessions, reports, timers, locks.

Written by hand to match ``bot.store.models`` exactly; a test compares the two.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.types import BigIntID, UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ZERO = sa.text("0")
FALSE = sa.text("false")


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(16), server_default="en", nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), server_default="new", nullable=False),
        sa.Column("consent_at", UTCDateTime(), nullable=True),
        sa.Column("program_id", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("reminder_time", sa.String(5), nullable=True),
        sa.Column("reminder_days", sa.Integer(), server_default=ZERO, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("reminders_enabled", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("paused_until", UTCDateTime(), nullable=True),
        sa.Column("nudge_minutes", sa.Integer(), nullable=True),
        sa.Column("settings_step", sa.String(32), nullable=True),
        sa.Column("hold_since", UTCDateTime(), nullable=True),
        sa.Column("held_exercises", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("alerts_opt_in", sa.Boolean(), nullable=True),
        sa.Column("blocked_at", UTCDateTime(), nullable=True),
        sa.Column("sore_streak", sa.Integer(), server_default=ZERO, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("telegram_user_id", name=op.f("uq_patients_telegram_user_id")),
        sa.UniqueConstraint("code", name=op.f("uq_patients_code")),
    )

    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.String(64), nullable=False),
        sa.Column("content_version", sa.String(64), nullable=False),
        sa.Column("exercises", sa.JSON(), nullable=False),
        sa.Column("phase", sa.String(16), server_default="intro", nullable=False),
        sa.Column("exercise_index", sa.Integer(), server_default=ZERO, nullable=False),
        sa.Column("step_index", sa.Integer(), server_default=ZERO, nullable=False),
        sa.Column("set_index", sa.Integer(), server_default=ZERO, nullable=False),
        sa.Column("rev", sa.Integer(), server_default=ZERO, nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("timer_due_at", UTCDateTime(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("feeling", sa.String(16), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_sessions_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    op.create_index(op.f("ix_sessions_patient_id"), "sessions", ["patient_id"])
    op.create_index(
        op.f("ix_sessions_patient_id_finished_at"), "sessions", ["patient_id", "finished_at"]
    )

    op.create_table(
        "reports",
        sa.Column("id", BigIntID, autoincrement=True, nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("exercise_id", sa.String(64), nullable=True),
        sa.Column("step_index", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("source", sa.String(24), nullable=True),
        sa.Column("detail", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_reports_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_reports_session_id_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    op.create_index(op.f("ix_reports_patient_id"), "reports", ["patient_id"])
    op.create_index(op.f("ix_reports_created_at"), "reports", ["created_at"])

    op.create_table(
        "timers",
        sa.Column("id", BigIntID, autoincrement=True, nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(16), server_default="pending", nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=ZERO, nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("payload", sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("late", sa.Boolean(), server_default=FALSE, nullable=False),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_timers_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timers")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_timers_idempotency_key")),
    )
    op.create_index(op.f("ix_timers_patient_id"), "timers", ["patient_id"])
    op.create_index(op.f("ix_timers_state_due_at"), "timers", ["state", "due_at"])

    op.create_table(
        "locks",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_locks")),
    )


def downgrade() -> None:
    op.drop_table("locks")
    op.drop_index(op.f("ix_timers_state_due_at"), table_name="timers")
    op.drop_index(op.f("ix_timers_patient_id"), table_name="timers")
    op.drop_table("timers")
    op.drop_index(op.f("ix_reports_created_at"), table_name="reports")
    op.drop_index(op.f("ix_reports_patient_id"), table_name="reports")
    op.drop_table("reports")
    op.drop_index(op.f("ix_sessions_patient_id_finished_at"), table_name="sessions")
    op.drop_index(op.f("ix_sessions_patient_id"), table_name="sessions")
    op.drop_table("sessions")
    op.drop_table("patients")
