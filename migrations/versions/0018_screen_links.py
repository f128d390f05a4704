"""the big screen's read-only link (数据大屏): only its hash is kept

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 19:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'screen_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_screen_links_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_screen_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_screen_links_token_hash')),
    )


def downgrade():
    op.drop_table('screen_links')
