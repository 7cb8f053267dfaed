"""outage data: outages, their groups and restoration estimates, schedule day versions

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("outage_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("settlement", sa.String(length=200), nullable=False),
        sa.Column("settlement_key", sa.String(length=200), nullable=False),
        sa.Column("streets", sa.JSON(), nullable=False),
        sa.Column("houses", sa.JSON(), nullable=False),
        sa.Column("feeder", sa.String(length=64), nullable=True),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "outage_id", name="uq_outages_source_id"),
    )
    op.create_index("ix_outages_status_settlement", "outages", ["status", "settlement_key"])
    op.create_index("ix_outages_status_feeder", "outages", ["status", "feeder"])
    op.create_table(
        "outage_groups",
        sa.Column("outage_pk", sa.Integer(), nullable=False),
        sa.Column("grp", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["outage_pk"], ["outages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("outage_pk", "grp"),
    )
    op.create_index("ix_outage_groups_grp", "outage_groups", ["grp"])
    op.create_table(
        "outage_streets",
        sa.Column("outage_pk", sa.Integer(), nullable=False),
        sa.Column("street_key", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["outage_pk"], ["outages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("outage_pk", "street_key"),
    )
    op.create_index("ix_outage_streets_street", "outage_streets", ["street_key"])
    op.create_table(
        "outage_restorations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("outage_pk", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["outage_pk"], ["outages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outage_restorations_outage", "outage_restorations", ["outage_pk"])
    op.create_table(
        "schedule_days",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("grp", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("off", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_schedule_days_grp_day", "schedule_days", ["grp", "day", "id"])


def downgrade() -> None:
    op.drop_table("schedule_days")
    op.drop_table("outage_restorations")
    op.drop_table("outage_streets")
    op.drop_table("outage_groups")
    op.drop_table("outages")
