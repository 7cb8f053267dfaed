"""the identified account on the call record: calls.account_number

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 12:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_number", sa.String(length=20), nullable=True))
        batch_op.create_index("ix_calls_account_number", ["account_number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_account_number")
        batch_op.drop_column("account_number")
