"""a photo of an activity record can be removed by its branch: the file goes, the row stays as history

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 14:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('booking_photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('removed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_booking_photos_removed_by_id_users'), 'users',
                                    ['removed_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('booking_photos', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_booking_photos_removed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('removed_by_id')
        batch_op.drop_column('removed_at')
