"""open lectures (讲习活动): a lecture hall's lecture in one slot, one lecturer for every branch booking seats in it

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 08:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

PUBLISHED = "status = 'published'"


def upgrade():
    op.create_table(
        'lectures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('base_id', sa.Integer(), nullable=False),
        sa.Column('venue_id', sa.Integer(), nullable=False),
        sa.Column('menu_item_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('topic', sa.String(length=200), nullable=False),
        sa.Column('lecturer_id', sa.Integer(), nullable=False),
        sa.Column('lecturer_status', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('cancel_reason', sa.String(length=500), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('published', 'cancelled')", name=op.f('ck_lectures_status')),
        sa.CheckConstraint("lecturer_status IN ('invited', 'accepted', 'declined')",
                           name=op.f('ck_lectures_lecturer_status')),
        sa.ForeignKeyConstraint(['base_id'], ['bases.id'], name=op.f('fk_lectures_base_id_bases')),
        sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_lectures_venue_id_venues')),
        sa.ForeignKeyConstraint(['menu_item_id'], ['menu_items.id'], name=op.f('fk_lectures_menu_item_id_menu_items')),
        sa.ForeignKeyConstraint(['lecturer_id'], ['lecturers.id'], name=op.f('fk_lectures_lecturer_id_lecturers')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_lectures_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lectures')),
    )
    op.create_index('uq_lectures_slot', 'lectures', ['venue_id', 'starts_at'], unique=True,
                    sqlite_where=sa.text(PUBLISHED), postgresql_where=sa.text(PUBLISHED))
    op.create_index('ix_lectures_start', 'lectures', ['starts_at'], unique=False)
    op.create_index('ix_lectures_lecturer_start', 'lectures', ['lecturer_id', 'starts_at'], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a nullable column with its reference in place. (A batch operation would copy the bookings into
        # a new table and drop the old one, which the other tables' references to it forbid once there are rows.)
        op.execute("ALTER TABLE bookings ADD COLUMN lecture_id INTEGER "
                   "CONSTRAINT fk_bookings_lecture_id_lectures REFERENCES lectures (id)")
    else:
        op.add_column('bookings', sa.Column('lecture_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_bookings_lecture_id_lectures'), 'bookings', 'lectures', ['lecture_id'], ['id'])
    op.create_index(op.f('ix_bookings_lecture_id'), 'bookings', ['lecture_id'], unique=False)


def downgrade():
    # SQLite cannot drop a column that holds a reference: the batch copies the table (with rows referencing the
    # bookings, only on a connection whose foreign keys are off).
    with op.batch_alter_table('bookings') as batch_op:
        batch_op.drop_index(batch_op.f('ix_bookings_lecture_id'))
        batch_op.drop_constraint(batch_op.f('fk_bookings_lecture_id_lectures'), type_='foreignkey')
        batch_op.drop_column('lecture_id')
    op.drop_index('ix_lectures_lecturer_start', table_name='lectures')
    op.drop_index('ix_lectures_start', table_name='lectures')
    op.drop_index('uq_lectures_slot', table_name='lectures')
    op.drop_table('lectures')
