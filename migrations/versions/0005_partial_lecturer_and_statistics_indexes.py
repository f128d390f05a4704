"""the lecturer and statistics indexes of bookings become partial

A booking enters the lecturer index once it has a lecturer and the statistics index once its visit is
completed; every query of either says as much, and making a booking no longer writes to them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 05:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

HAS_LECTURER = sa.text("lecturer_id IS NOT NULL")
COMPLETED = sa.text("status = 'completed'")
STATS_COLUMNS = ['status', 'day', 'visitor_count', 'rating', 'base_id', 'branch_id']


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_lecturer_start')
        batch_op.drop_index('ix_bookings_stats')
        batch_op.create_index('ix_bookings_lecturer_start', ['lecturer_id', 'starts_at'], unique=False,
                              sqlite_where=HAS_LECTURER, postgresql_where=HAS_LECTURER)
        batch_op.create_index('ix_bookings_stats', STATS_COLUMNS, unique=False,
                              sqlite_where=COMPLETED, postgresql_where=COMPLETED)


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_stats')
        batch_op.drop_index('ix_bookings_lecturer_start')
        batch_op.create_index('ix_bookings_stats', STATS_COLUMNS, unique=False)
        batch_op.create_index('ix_bookings_lecturer_start', ['lecturer_id', 'starts_at'], unique=False)
