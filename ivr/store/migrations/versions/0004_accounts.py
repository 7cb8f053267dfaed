"""the customer registry: accounts, their phone numbers and ГПВ groups

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("eic", sa.String(length=16), nullable=True),
        sa.Column("settlement", sa.String(length=100), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("house", sa.String(length=20), nullable=False),
        sa.Column("house_key", sa.String(length=20), nullable=False),
        sa.Column("supplier", sa.String(length=100), nullable=True),
        sa.Column("zones", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("number"),
        sa.UniqueConstraint("eic"),
    )
    op.create_index("ix_accounts_address", "accounts", ["settlement", "street", "house_key"])
    for table, column, length, index in (
        ("account_phones", "phone", 16, "ix_account_phones_phone"),
        ("account_groups", "group_code", 8, "ix_account_groups_group"),
    ):
        op.create_table(
            table,
            sa.Column("account_number", sa.String(length=20), nullable=False),
            sa.Column(column, sa.String(length=length), nullable=False),
            sa.ForeignKeyConstraint(["account_number"], ["accounts.number"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("account_number", column),
        )
        op.create_index(index, table, [column])


def downgrade() -> None:
    op.drop_table("account_groups")
    op.drop_table("account_phones")
    op.drop_index("ix_accounts_address", table_name="accounts")
    op.drop_table("accounts")
