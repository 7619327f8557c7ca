"""The clinic's view between visits: invite links, a patient's own program dose and
clinic reference, lapse messages, the weekly summary, pain ratings, and timers that
belong to the clinic rather than to one patient (the staff digest).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.store.types import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("patients") as batch:
        batch.add_column(sa.Column("clinic_ref", sa.String(64), nullable=True))
        batch.add_column(
            sa.Column("dose", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch.add_column(sa.Column("lapse_notified_at", UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column(
                "weekly_summary", sa.Boolean(), nullable=False, server_default=sa.text("false")
            )
        )
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("rating", sa.Integer(), nullable=True))
    with op.batch_alter_table("timers") as batch:
        batch.alter_column("patient_id", existing_type=sa.Integer(), nullable=True)
    op.create_table(
        "invites",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("program_id", sa.String(64), nullable=False),
        sa.Column("clinic_ref", sa.String(64), nullable=True),
        sa.Column("dose", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("used_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["used_by"],
            ["patients.id"],
            name=op.f("fk_invites_used_by_patients"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invites_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("invites")
    op.execute("DELETE FROM timers WHERE patient_id IS NULL")
    with op.batch_alter_table("timers") as batch:
        batch.alter_column("patient_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("rating")
    with op.batch_alter_table("patients") as batch:
        batch.drop_column("weekly_summary")
        batch.drop_column("lapse_notified_at")
        batch.drop_column("dose")
        batch.drop_column("clinic_ref")
