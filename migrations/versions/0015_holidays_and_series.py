"""the public-holiday calendar (the years chinese-calendar knows loaded at once), whether a base opens on public
holidays, and standing monthly bookings (booking series) with their occurrences

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 16:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    holidays = op.create_table(
        'holidays',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('source', sa.String(length=8), nullable=False),
        sa.CheckConstraint("kind IN ('holiday', 'workday')", name=op.f('ck_holidays_kind')),
        sa.CheckConstraint("source IN ('library', 'admin')", name=op.f('ck_holidays_source')),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_holidays')),
    )
    from booking.catalog.holidays import library_rows
    rows = [row for row in library_rows() if row["source"] == "library"]  # 0023 adds the days standing in
    if rows:
        op.bulk_insert(holidays, rows)
    with op.batch_alter_table('bases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opens_on_holidays', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.create_table(
        'booking_series',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=False),
        sa.Column('menu_item_id', sa.Integer(), nullable=False),
        sa.Column('weekday', sa.Integer(), nullable=False),
        sa.Column('week_of_month', sa.Integer(), nullable=False),
        sa.Column('start_time', sa.Time(), nullable=False),
        sa.Column('from_date', sa.Date(), nullable=False),
        sa.Column('until_date', sa.Date(), nullable=False),
        sa.Column('headcount', sa.Integer(), nullable=False),
        sa.Column('contact_name', sa.String(length=60), nullable=False),
        sa.Column('contact_phone', sa.String(length=30), nullable=False),
        sa.Column('topic', sa.String(length=200), nullable=False),
        sa.Column('activity_type', sa.String(length=24), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_booking_series_weekday')),
        sa.CheckConstraint('week_of_month IN (1, 2, 3, 4, -1)', name=op.f('ck_booking_series_week_of_month')),
        sa.CheckConstraint("status IN ('active', 'ended')", name=op.f('ck_booking_series_status')),
        sa.CheckConstraint('until_date >= from_date', name=op.f('ck_booking_series_period')),
        sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_booking_series_branch_id_branches')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_booking_series_created_by_id_users')),
        sa.ForeignKeyConstraint(['menu_item_id'], ['menu_items.id'], name=op.f('fk_booking_series_menu_item_id_menu_items')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_series')),
    )
    with op.batch_alter_table('booking_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_series_branch_id'), ['branch_id'], unique=False)
    op.create_table(
        'series_occurrences',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('series_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('reason', sa.String(length=16), nullable=True),
        sa.Column('booking_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('booked', 'planned', 'skipped', 'cancelled')",
                           name=op.f('ck_series_occurrences_status')),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_series_occurrences_booking_id_bookings')),
        sa.ForeignKeyConstraint(['series_id'], ['booking_series.id'], name=op.f('fk_series_occurrences_series_id_booking_series')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_series_occurrences')),
        sa.UniqueConstraint('series_id', 'day', name='uq_series_occurrences_series_day'),
    )
    with op.batch_alter_table('series_occurrences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_series_occurrences_series_id'), ['series_id'], unique=False)
        batch_op.create_index('ix_series_occurrences_planned', ['status', 'day'], unique=False)
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_bookings_series_id'), ['series_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_bookings_series_id_booking_series'), 'booking_series',
                                    ['series_id'], ['id'])


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_bookings_series_id_booking_series'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_bookings_series_id'))
        batch_op.drop_column('series_id')
    with op.batch_alter_table('series_occurrences', schema=None) as batch_op:
        batch_op.drop_index('ix_series_occurrences_planned')
        batch_op.drop_index(batch_op.f('ix_series_occurrences_series_id'))
    op.drop_table('series_occurrences')
    with op.batch_alter_table('booking_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_series_branch_id'))
    op.drop_table('booking_series')
    with op.batch_alter_table('bases', schema=None) as batch_op:
        batch_op.drop_column('opens_on_holidays')
    op.drop_table('holidays')
