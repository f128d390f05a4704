"""areas (属地) as a tree with materialised paths; every organisation and base in one (the root on upgrade);
area administrators; a big-screen link per area

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 04:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

ROLES = ('admin', 'area_admin', 'manager', 'secretary', 'lecturer')


def upgrade():
    op.create_table(
        'areas',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('parent_id', sa.Integer(), nullable=True),
        sa.Column('path', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('city', 'district', 'street', 'community')", name=op.f('ck_areas_kind')),
        sa.ForeignKeyConstraint(['parent_id'], ['areas.id'], name=op.f('fk_areas_parent_id_areas')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_areas')),
        sa.UniqueConstraint('parent_id', 'name', name='uq_areas_parent_name'),
    )
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_areas_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_areas_path'), ['path'], unique=False)
    # The root: the district this deployment serves, renamed on the areas page.
    op.execute("INSERT INTO areas (name, kind, parent_id, path, created_at) "
               "VALUES ('本区', 'district', NULL, '', CURRENT_TIMESTAMP)")
    op.execute("UPDATE areas SET path = '/' || CAST(id AS VARCHAR(20)) || '/'")
    root = op.get_bind().execute(sa.text("SELECT id FROM areas")).scalar()

    for table in ('organizations', 'bases'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('area_id', sa.Integer(), nullable=True))
        op.execute(f"UPDATE {table} SET area_id = {int(root)}")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('area_id', existing_type=sa.Integer(), nullable=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_area_id'), ['area_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_area_id_areas'), 'areas', ['area_id'], ['id'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('area_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_area_id'), ['area_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_area_id_areas'), 'areas', ['area_id'], ['id'])
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint('role', f"role IN {ROLES}")
        batch_op.create_check_constraint('area_admin_has_area', "role <> 'area_admin' OR area_id IS NOT NULL")

    with op.batch_alter_table('screen_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('area_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_screen_links_area_id'), ['area_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_screen_links_area_id_areas'), 'areas', ['area_id'], ['id'])


def downgrade():
    with op.batch_alter_table('screen_links', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_screen_links_area_id_areas'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_screen_links_area_id'))
        batch_op.drop_column('area_id')
    op.execute("DELETE FROM users WHERE role = 'area_admin'")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_area_admin_has_area'), type_='check')
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint('role', "role IN ('admin', 'manager', 'secretary', 'lecturer')")
        batch_op.drop_constraint(batch_op.f('fk_users_area_id_areas'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_area_id'))
        batch_op.drop_column('area_id')
    for table in ('bases', 'organizations'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_area_id_areas'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_area_id'))
            batch_op.drop_column('area_id')
    op.drop_table('areas')
