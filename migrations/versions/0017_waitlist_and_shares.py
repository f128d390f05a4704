"""the waitlist (候补) of full slots, and fair shares (配额) of one branch's online bookings at a base

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 18:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

BEFORE = ('created', 'approved', 'rejected', 'cancelled', 'expired', 'checked_in', 'attendance_recorded', 'no_show',
          'lecturer_invited', 'lecturer_accepted', 'lecturer_declined', 'feedback_given', 'changed', 'roster_set',
          'members_attended', 'partner_invited', 'partner_accepted', 'partner_declined')
AFTER = BEFORE + ('promoted_from_waitlist',)


def _allow(actions):
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_booking_events_action'), type_='check')
        batch_op.create_check_constraint('action', f"action IN ({', '.join(repr(a) for a in actions)})")


def upgrade():
    op.create_table(
        'waitlist_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('base_id', sa.Integer(), nullable=False),
        sa.Column('venue_id', sa.Integer(), nullable=False),
        sa.Column('menu_item_id', sa.Integer(), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('headcount', sa.Integer(), nullable=False),
        sa.Column('contact_name', sa.String(length=60), nullable=False),
        sa.Column('contact_phone', sa.String(length=30), nullable=False),
        sa.Column('topic', sa.String(length=200), nullable=False),
        sa.Column('activity_type', sa.String(length=24), nullable=False),
        sa.Column('booking_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('waiting', 'promoted', 'cancelled', 'expired')",
                           name=op.f('ck_waitlist_entries_status')),
        sa.CheckConstraint('headcount > 0', name=op.f('ck_waitlist_entries_headcount')),
        sa.ForeignKeyConstraint(['base_id'], ['bases.id'], name=op.f('fk_waitlist_entries_base_id_bases')),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_waitlist_entries_booking_id_bookings')),
        sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_waitlist_entries_branch_id_branches')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_waitlist_entries_created_by_id_users')),
        sa.ForeignKeyConstraint(['menu_item_id'], ['menu_items.id'],
                                name=op.f('fk_waitlist_entries_menu_item_id_menu_items')),
        sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_waitlist_entries_venue_id_venues')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_entries')),
    )
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.create_index('ix_waitlist_branch', ['branch_id', 'status'], unique=False)
        batch_op.create_index('ix_waitlist_slot_queue', ['venue_id', 'starts_at', 'status', 'id'], unique=False)
        batch_op.create_index('uq_waitlist_waiting_branch_slot', ['branch_id', 'venue_id', 'starts_at'], unique=True,
                              sqlite_where=sa.text("status = 'waiting'"), postgresql_where=sa.text("status = 'waiting'"))
    op.create_table(
        'share_locks',
        sa.Column('branch_id', sa.Integer(), nullable=False),
        sa.Column('base_id', sa.Integer(), nullable=False),
        sa.Column('uses', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['base_id'], ['bases.id'], name=op.f('fk_share_locks_base_id_bases')),
        sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_share_locks_branch_id_branches')),
        sa.PrimaryKeyConstraint('branch_id', 'base_id', name=op.f('pk_share_locks')),
    )
    with op.batch_alter_table('bases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('max_live_per_branch', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('max_per_branch_per_month', sa.Integer(), nullable=True))
    _allow(AFTER)


def downgrade():
    op.execute("DELETE FROM booking_events WHERE action = 'promoted_from_waitlist'")
    _allow(BEFORE)
    with op.batch_alter_table('bases', schema=None) as batch_op:
        batch_op.drop_column('max_per_branch_per_month')
        batch_op.drop_column('max_live_per_branch')
    op.drop_table('share_locks')
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.drop_index('uq_waitlist_waiting_branch_slot', sqlite_where=sa.text("status = 'waiting'"),
                            postgresql_where=sa.text("status = 'waiting'"))
        batch_op.drop_index('ix_waitlist_slot_queue')
        batch_op.drop_index('ix_waitlist_branch')
    op.drop_table('waitlist_entries')
