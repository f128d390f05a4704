"""a notification may be about a standing booking (booking series) rather than one booking: opening it goes there

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 18:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_notifications_series_id_booking_series', 'booking_series', ['series_id'], ['id'])


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint('fk_notifications_series_id_booking_series', type_='foreignkey')
        batch_op.drop_column('series_id')
