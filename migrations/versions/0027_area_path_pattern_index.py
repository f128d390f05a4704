"""areas' path indexed for prefixes on PostgreSQL (varchar_pattern_ops): a subtree's LIKE '/1/4/%' reads the index
whatever the database's collation

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 04:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_areas_path', table_name='areas')
    op.create_index('ix_areas_path', 'areas', ['path'], unique=False, postgresql_ops={'path': 'varchar_pattern_ops'})


def downgrade():
    op.drop_index('ix_areas_path', table_name='areas')
    op.create_index('ix_areas_path', 'areas', ['path'], unique=False)
