"""bookings by start (starts_at, id): a list's first page read off an index in its order (an area administrator's
bookings, over its branches and bases, no longer sort the whole scope)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 04:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_bookings_start', 'bookings', ['starts_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_bookings_start', table_name='bookings')
