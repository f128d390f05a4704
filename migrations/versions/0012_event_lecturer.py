"""a booking's history names the lecturer its invitation, acceptance or decline concerned

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 14:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lecturer_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_booking_events_lecturer_id_lecturers'), 'lecturers',
                                    ['lecturer_id'], ['id'])
    # Answers given until now were the lecturers' own: their account names them.
    op.execute("UPDATE booking_events SET lecturer_id = (SELECT users.lecturer_id FROM users "
               "WHERE users.id = booking_events.actor_id) "
               "WHERE action IN ('lecturer_accepted', 'lecturer_declined')")


def downgrade():
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_booking_events_lecturer_id_lecturers'), type_='foreignkey')
        batch_op.drop_column('lecturer_id')
