"""the one-time passwords of accounts made by an import, kept until the administrator downloads them once

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 13:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'credential_sheets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('accounts', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=True),
        sa.Column('downloaded_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_credential_sheets_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_credential_sheets')),
    )
    with op.batch_alter_table('credential_sheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credential_sheets_created_by_id'), ['created_by_id'], unique=False)


def downgrade():
    with op.batch_alter_table('credential_sheets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credential_sheets_created_by_id'))
    op.drop_table('credential_sheets')
