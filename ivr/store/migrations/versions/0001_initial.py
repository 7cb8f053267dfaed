"""initial schema: calls, appeals, topics

Revision ID: 0001
Revises: -
Create Date: 2026-11-28 04:50:24.786169
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_uid", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("caller_raw", sa.String(length=128), nullable=False),
        sa.Column("caller_number", sa.String(length=16), nullable=True),
        sa.Column("caller_name", sa.String(length=128), nullable=False),
        sa.Column("dialled_number", sa.String(length=64), nullable=False),
        sa.Column("unique_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=128), nullable=False),
        sa.Column("transport", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("topic_code", sa.String(length=16), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.Column("transfer_to", sa.String(length=64), nullable=True),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("call_uid"),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index("ix_calls_caller_number", ["caller_number"], unique=False)
        batch_op.create_index("ix_calls_started_at", ["started_at"], unique=False)
        batch_op.create_index(
            "ix_calls_started_duration", ["started_at", "duration_ms"], unique=False
        )
        batch_op.create_index("ix_calls_started_outcome", ["started_at", "outcome"], unique=False)
        batch_op.create_index("ix_calls_started_topic", ["started_at", "topic_code"], unique=False)
        batch_op.create_index("ix_calls_unique_id", ["unique_id"], unique=False)

    op.create_table(
        "topics",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("role", "code", "valid_from", name="uq_topics_role_code_from"),
    )
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.create_index("ix_topics_role_code", ["role", "code"], unique=False)

    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("appeal_number", sa.String(length=20), nullable=False),
        sa.Column("call_uid", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("topic_code", sa.String(length=16), nullable=True),
        sa.Column("topic_label", sa.String(length=300), nullable=True),
        sa.Column("caller_number", sa.String(length=16), nullable=True),
        sa.Column("caller_raw", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["call_uid"], ["calls.call_uid"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("appeal_number"),
    )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index("ix_appeals_call_uid", ["call_uid"], unique=False)
        batch_op.create_index(
            "ix_appeals_registered_topic", ["registered_at", "topic_code"], unique=False
        )
        batch_op.create_index("ix_appeals_status_due", ["status", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index("ix_appeals_status_due")
        batch_op.drop_index("ix_appeals_registered_topic")
        batch_op.drop_index("ix_appeals_call_uid")

    op.drop_table("appeals")
    with op.batch_alter_table("topics", schema=None) as batch_op:
        batch_op.drop_index("ix_topics_role_code")

    op.drop_table("topics")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_unique_id")
        batch_op.drop_index("ix_calls_started_topic")
        batch_op.drop_index("ix_calls_started_outcome")
        batch_op.drop_index("ix_calls_started_duration")
        batch_op.drop_index("ix_calls_started_at")
        batch_op.drop_index("ix_calls_caller_number")

    op.drop_table("calls")
