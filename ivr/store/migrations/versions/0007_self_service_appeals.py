"""self-service appeals: the appeal's account, address and details; linked outage reports
(appeal_links), the appeals' status history (appeal_events) and meter readings

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appeals") as batch:
        batch.add_column(sa.Column("account_number", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("address", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("address_key", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("street_key", sa.String(length=300), nullable=True))
        batch.add_column(
            sa.Column("details", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    op.create_index("ix_appeals_kind_address", "appeals", ["kind", "address_key", "registered_at"])
    op.create_index("ix_appeals_kind_street", "appeals", ["kind", "street_key", "registered_at"])
    op.create_index("ix_appeals_account", "appeals", ["account_number"])
    op.create_table(
        "appeal_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("appeal_number", sa.String(length=20), nullable=False),
        sa.Column("call_uid", sa.String(length=32), nullable=False),
        sa.Column("caller_number", sa.String(length=16), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("test", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["call_uid"], ["calls.call_uid"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_appeal_links_appeal", "appeal_links", ["appeal_number"])
    op.create_index("ix_appeal_links_call_uid", "appeal_links", ["call_uid"])
    op.create_table(
        "appeal_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("appeal_number", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_appeal_events_appeal", "appeal_events", ["appeal_number", "id"])
    op.create_table(
        "meter_readings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_number", sa.String(length=20), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("appeal_number", sa.String(length=20), nullable=True),
        sa.Column("call_uid", sa.String(length=32), nullable=True),
        sa.Column("test", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["call_uid"], ["calls.call_uid"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_meter_readings_account", "meter_readings", ["account_number", "read_at"])


def downgrade() -> None:
    op.drop_table("meter_readings")
    op.drop_table("appeal_events")
    op.drop_table("appeal_links")
    op.drop_index("ix_appeals_account", "appeals")
    op.drop_index("ix_appeals_kind_street", "appeals")
    op.drop_index("ix_appeals_kind_address", "appeals")
    with op.batch_alter_table("appeals") as batch:
        for column in ("details", "street_key", "address_key", "address", "account_number"):
            batch.drop_column(column)
