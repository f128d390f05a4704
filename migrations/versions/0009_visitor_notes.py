"""bases carry visitor notes (预约须知): arrival, transport, parking, what to bring

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 12:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visitor_notes', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('bases', schema=None) as batch_op:
        batch_op.drop_column('visitor_notes')
