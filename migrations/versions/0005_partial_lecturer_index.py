"""the lecturer index of bookings becomes partial

A booking enters the lecturer index once it has a lecturer; every query of it names a lecturer, and making a
booking no longer writes to it.

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


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_lecturer_start')
        batch_op.create_index('ix_bookings_lecturer_start', ['lecturer_id', 'starts_at'], unique=False,
                              sqlite_where=HAS_LECTURER, postgresql_where=HAS_LECTURER)


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_lecturer_start')
        batch_op.create_index('ix_bookings_lecturer_start', ['lecturer_id', 'starts_at'], unique=False)
