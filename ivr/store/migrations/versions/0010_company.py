"""the company a call and its appeals belong to: calls.company, appeals.company (company.id;
one server may answer several companies, by the dialled number)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 17:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: what the rows written before companies had ids belong to (the default ``company.id``)
EARLIER = "main"


def upgrade() -> None:
    for table in ("calls", "appeals"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("company", sa.String(length=32), nullable=False, server_default=EARLIER)
            )


def downgrade() -> None:
    for table in ("calls", "appeals"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("company")
