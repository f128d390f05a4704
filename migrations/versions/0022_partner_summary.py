"""a partner branch of a joint visit keeps its own activity record (summary) rather than the host's

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 18:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('booking_partners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activity_summary', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('booking_partners', schema=None) as batch_op:
        batch_op.drop_column('activity_summary')
