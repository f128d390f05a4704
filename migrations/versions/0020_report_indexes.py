"""indexes for the district's report (the statistics' covering index also holds source and lecturer status) and for
a branch's study hours (roster entries by branch)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 21:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

BEFORE = ['status', 'day', 'visitor_count', 'rating', 'base_id', 'branch_id']


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_stats')
        batch_op.create_index('ix_bookings_stats', BEFORE + ['source', 'lecturer_status'], unique=False)
    with op.batch_alter_table('roster_entries', schema=None) as batch_op:
        batch_op.create_index('ix_roster_entries_branch', ['branch_id', 'attendance'], unique=False)


def downgrade():
    with op.batch_alter_table('roster_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_roster_entries_branch')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_stats')
        batch_op.create_index('ix_bookings_stats', BEFORE, unique=False)
