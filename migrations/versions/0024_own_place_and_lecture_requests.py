"""activities at the branch's own place (bookings without a base: source own or request, with an address) and
lecture requests (点单) with their history

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 21:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

TYPES = ('theme_day', 'party_lecture', 'member_meeting', 'committee_meeting', 'group_meeting', 'study', 'other')
STATUSES = ('submitted', 'dispatched', 'accepted', 'completed', 'rejected', 'cancelled')
ACTIONS = ('submitted', 'dispatched', 'accepted', 'declined', 'rejected', 'cancelled', 'completed', 'changed')
PLACE = ("(source IN ('own', 'request') AND base_id IS NULL AND venue_id IS NULL AND menu_item_id IS NULL"
         " AND address IS NOT NULL) OR (source IN ('online', 'offline') AND base_id IS NOT NULL"
         " AND venue_id IS NOT NULL AND menu_item_id IS NOT NULL)")
DISPATCHED = sa.text("lecturer_id IS NOT NULL")


def _in(values):
    return f"({', '.join(repr(v) for v in values)})"


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=200), nullable=True))
        batch_op.alter_column('base_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('venue_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('menu_item_id', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint(op.f('ck_bookings_source'), type_='check')
        batch_op.create_check_constraint('source', "source IN ('online', 'offline', 'own', 'request')")
        batch_op.create_check_constraint('place', PLACE)
    op.create_table(
        'lecture_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('topic', sa.String(length=200), nullable=False),
        sa.Column('category', sa.String(length=16), nullable=True),
        sa.Column('content_topic', sa.String(length=60), nullable=True),
        sa.Column('from_date', sa.Date(), nullable=False),
        sa.Column('to_date', sa.Date(), nullable=False),
        sa.Column('address', sa.String(length=200), nullable=False),
        sa.Column('headcount', sa.Integer(), nullable=False),
        sa.Column('contact_name', sa.String(length=60), nullable=False),
        sa.Column('contact_phone', sa.String(length=30), nullable=False),
        sa.Column('activity_type', sa.String(length=24), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('lecturer_id', sa.Integer(), nullable=True),
        sa.Column('starts_at', sa.DateTime(), nullable=True),
        sa.Column('ends_at', sa.DateTime(), nullable=True),
        sa.Column('booking_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint(f"status IN {_in(STATUSES)}", name=op.f('ck_lecture_requests_status')),
        sa.CheckConstraint(f"activity_type IN {_in(TYPES)}", name=op.f('ck_lecture_requests_activity_type')),
        sa.CheckConstraint('to_date >= from_date', name=op.f('ck_lecture_requests_window')),
        sa.CheckConstraint('headcount > 0', name=op.f('ck_lecture_requests_headcount')),
        sa.CheckConstraint('(starts_at IS NULL) = (ends_at IS NULL) AND (ends_at IS NULL OR ends_at > starts_at)',
                           name=op.f('ck_lecture_requests_times')),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_lecture_requests_booking_id_bookings')),
        sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_lecture_requests_branch_id_branches')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_lecture_requests_created_by_id_users')),
        sa.ForeignKeyConstraint(['lecturer_id'], ['lecturers.id'],
                                name=op.f('fk_lecture_requests_lecturer_id_lecturers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lecture_requests')),
        sa.UniqueConstraint('booking_id', name=op.f('uq_lecture_requests_booking_id')),
    )
    with op.batch_alter_table('lecture_requests', schema=None) as batch_op:
        batch_op.create_index('ix_lecture_requests_branch_created', ['branch_id', 'created_at'], unique=False)
        batch_op.create_index('ix_lecture_requests_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_lecture_requests_lecturer_start', ['lecturer_id', 'starts_at'], unique=False,
                              sqlite_where=DISPATCHED, postgresql_where=DISPATCHED)
    op.create_table(
        'lecture_request_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('from_status', sa.String(length=12), nullable=True),
        sa.Column('to_status', sa.String(length=12), nullable=True),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.Column('lecturer_id', sa.Integer(), nullable=True),
        sa.CheckConstraint(f"action IN {_in(ACTIONS)}", name=op.f('ck_lecture_request_events_action')),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_lecture_request_events_actor_id_users')),
        sa.ForeignKeyConstraint(['lecturer_id'], ['lecturers.id'],
                                name=op.f('fk_lecture_request_events_lecturer_id_lecturers')),
        sa.ForeignKeyConstraint(['request_id'], ['lecture_requests.id'],
                                name=op.f('fk_lecture_request_events_request_id_lecture_requests')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lecture_request_events')),
    )
    with op.batch_alter_table('lecture_request_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lecture_request_events_request_id'), ['request_id'], unique=False)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_notifications_request_id_lecture_requests', 'lecture_requests',
                                    ['request_id'], ['id'])


def downgrade():
    # Nothing recorded is thrown away: a database that holds activities at a branch's own place stays on 0024.
    if op.get_bind().execute(sa.text("SELECT count(*) FROM bookings WHERE source IN ('own', 'request')")).scalar():
        raise RuntimeError("bookings at a branch's own place exist; downgrading would lose them")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint('fk_notifications_request_id_lecture_requests', type_='foreignkey')
        batch_op.drop_column('request_id')
    op.drop_table('lecture_request_events')
    op.drop_table('lecture_requests')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_bookings_place'), type_='check')
        batch_op.drop_constraint(op.f('ck_bookings_source'), type_='check')
        batch_op.create_check_constraint('source', "source IN ('online', 'offline')")
        batch_op.alter_column('menu_item_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('venue_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('base_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('address')
