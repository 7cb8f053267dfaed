"""appeal lifecycle: linked outage reports by time (the dispatcher's reports per street)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_appeal_links_linked_at", "appeal_links", ["linked_at"])


def downgrade() -> None:
    op.drop_index("ix_appeal_links_linked_at", "appeal_links")
