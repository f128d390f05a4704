"""a booking's history may record a change of its headcount, contact, topic or note

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

BEFORE = ('created', 'approved', 'rejected', 'cancelled', 'expired', 'checked_in', 'attendance_recorded', 'no_show',
          'lecturer_invited', 'lecturer_accepted', 'lecturer_declined', 'feedback_given')
AFTER = BEFORE + ('changed',)


def _allow(actions):
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_booking_events_action'), type_='check')
        batch_op.create_check_constraint('action', f"action IN ({', '.join(repr(a) for a in actions)})")


def upgrade():
    _allow(AFTER)


def downgrade():
    op.execute("DELETE FROM booking_events WHERE action = 'changed'")
    _allow(BEFORE)
