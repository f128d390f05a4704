"""bookings by branch (and by base), status and day: whether a branch or a base had a completed visit in a period,
and its last one, is one index seek (the watch list's idle branches and bases, an area's day); the branch's covers the
statistics by area too

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 04:50:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_bookings_branch_counted', 'bookings',
                    ['branch_id', 'status', 'day', 'base_id', 'visitor_count', 'rating'], unique=False)
    op.create_index('ix_bookings_base_counted', 'bookings', ['base_id', 'status', 'day'], unique=False)


def downgrade():
    op.drop_index('ix_bookings_base_counted', table_name='bookings')
    op.drop_index('ix_bookings_branch_counted', table_name='bookings')
