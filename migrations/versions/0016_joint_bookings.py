"""joint bookings (联合 / 共建): partner branches of a booking with their own places, answers and split counts

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 17:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

BEFORE = ('created', 'approved', 'rejected', 'cancelled', 'expired', 'checked_in', 'attendance_recorded', 'no_show',
          'lecturer_invited', 'lecturer_accepted', 'lecturer_declined', 'feedback_given', 'changed', 'roster_set',
          'members_attended')
AFTER = BEFORE + ('partner_invited', 'partner_accepted', 'partner_declined')


def _allow(actions):
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_booking_events_action'), type_='check')
        batch_op.create_check_constraint('action', f"action IN ({', '.join(repr(a) for a in actions)})")


def upgrade():
    op.create_table(
        'booking_partners',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('booking_id', sa.Integer(), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=False),
        sa.Column('headcount', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('visitor_count', sa.Integer(), nullable=True),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('invited_at', sa.DateTime(), nullable=False),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('invited', 'accepted', 'declined', 'withdrawn')",
                           name=op.f('ck_booking_partners_status')),
        sa.CheckConstraint('headcount > 0', name=op.f('ck_booking_partners_headcount')),
        sa.CheckConstraint('visitor_count IS NULL OR visitor_count >= 0', name=op.f('ck_booking_partners_visitor_count')),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_booking_partners_booking_id_bookings')),
        sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_booking_partners_branch_id_branches')),
        sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_booking_partners_invited_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_partners')),
        sa.UniqueConstraint('booking_id', 'branch_id', name='uq_booking_partners_booking_branch'),
    )
    with op.batch_alter_table('booking_partners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_partners_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index('ix_booking_partners_branch', ['branch_id', 'status'], unique=False)
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('partner_headcount', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint('partner_headcount', 'partner_headcount >= 0')
    _allow(AFTER)


def downgrade():
    op.execute("DELETE FROM booking_events WHERE action IN ('partner_invited', 'partner_accepted', 'partner_declined')")
    _allow(BEFORE)
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_bookings_partner_headcount'), type_='check')
        batch_op.drop_column('partner_headcount')
    with op.batch_alter_table('booking_partners', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_partners_branch')
        batch_op.drop_index(batch_op.f('ix_booking_partners_booking_id'))
    op.drop_table('booking_partners')
