"""the days the law fixes by the solar calendar (元旦, 劳动节, 国庆节) stand in for the years nobody has announced

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 20:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def _allow(sources):
    with op.batch_alter_table('holidays', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_holidays_source'), type_='check')
        batch_op.create_check_constraint('source', f"source IN ({', '.join(repr(s) for s in sources)})")


def upgrade():
    _allow(('library', 'statute', 'admin'))
    from booking.catalog.holidays import library_rows
    holidays = sa.table('holidays', sa.column('day', sa.Date()), sa.column('name', sa.String()),
                        sa.column('kind', sa.String()), sa.column('source', sa.String()))
    have = {row[0] for row in op.get_bind().execute(sa.select(holidays.c.day))}
    rows = [row for row in library_rows() if row["source"] == "statute" and row["day"] not in have]
    if rows:
        op.bulk_insert(holidays, rows)


def downgrade():
    op.execute("DELETE FROM holidays WHERE source = 'statute'")
    _allow(('library', 'admin'))
