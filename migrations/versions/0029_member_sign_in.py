"""members sign in themselves (扫码签到): when each roster entry's member signed in, and failed sign-ins kept for
throttling

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 08:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('roster_entries') as batch_op:
        batch_op.add_column(sa.Column('signed_in_at', sa.DateTime(), nullable=True))
    op.create_table(
        'sign_in_failures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failures')),
    )
    op.create_index('ix_sign_in_failures_member', 'sign_in_failures', ['member_id', 'at'], unique=False)
    op.create_index('ix_sign_in_failures_address', 'sign_in_failures', ['address', 'at'], unique=False)


def downgrade():
    op.drop_index('ix_sign_in_failures_address', table_name='sign_in_failures')
    op.drop_index('ix_sign_in_failures_member', table_name='sign_in_failures')
    op.drop_table('sign_in_failures')
    with op.batch_alter_table('roster_entries') as batch_op:
        batch_op.drop_column('signed_in_at')
