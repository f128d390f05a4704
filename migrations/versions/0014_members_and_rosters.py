"""the branch's organisational life: members (党员名册), each booking's activity type and roster (参加人员) with
who attended, and their history

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 15:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

BEFORE = ('created', 'approved', 'rejected', 'cancelled', 'expired', 'checked_in', 'attendance_recorded', 'no_show',
          'lecturer_invited', 'lecturer_accepted', 'lecturer_declined', 'feedback_given', 'changed')
AFTER = BEFORE + ('roster_set', 'members_attended')
TYPES = ('theme_day', 'party_lecture', 'member_meeting', 'committee_meeting', 'group_meeting', 'study', 'other')


def _allow(actions):
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_booking_events_action'), type_='check')
        batch_op.create_check_constraint('action', f"action IN ({', '.join(repr(a) for a in actions)})")


def upgrade():
    op.create_table(
        'members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('phone', sa.String(length=30), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("role IN ('secretary', 'deputy', 'committee', 'member')", name=op.f('ck_members_role')),
        sa.CheckConstraint("status IN ('full', 'probationary')", name=op.f('ck_members_status')),
        sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_members_branch_id_branches')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_branch_id'), ['branch_id'], unique=False)
    op.create_table(
        'roster_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('booking_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=False),
        sa.Column('attendance', sa.String(length=8), nullable=True),
        sa.Column('absence_reason', sa.String(length=200), nullable=True),
        sa.CheckConstraint("attendance IS NULL OR attendance IN ('present', 'absent')",
                           name=op.f('ck_roster_entries_attendance')),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_roster_entries_booking_id_bookings')),
        sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_roster_entries_branch_id_branches')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_roster_entries_member_id_members')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_entries')),
        sa.UniqueConstraint('booking_id', 'member_id', name='uq_roster_entries_booking_member'),
    )
    with op.batch_alter_table('roster_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_entries_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index('ix_roster_entries_member', ['member_id', 'attendance'], unique=False)
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activity_type', sa.String(length=24), server_default='theme_day', nullable=False))
        batch_op.create_check_constraint('activity_type', f"activity_type IN ({', '.join(repr(t) for t in TYPES)})")
    _allow(AFTER)


def downgrade():
    op.execute("DELETE FROM booking_events WHERE action IN ('roster_set', 'members_attended')")
    _allow(BEFORE)
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_bookings_activity_type'), type_='check')
        batch_op.drop_column('activity_type')
    with op.batch_alter_table('roster_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_roster_entries_member')
        batch_op.drop_index(batch_op.f('ix_roster_entries_booking_id'))
    op.drop_table('roster_entries')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_branch_id'))
    op.drop_table('members')
