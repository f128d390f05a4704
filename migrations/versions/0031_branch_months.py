"""each branch's completed base visits a month, kept by the database as the bookings change (triggers), so that
statistics summing whole months over many branches (by area, the district's summary) read months, not bookings

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 11:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None

COLUMNS = "branch_id, month, batches, person_times, rating_sum, rated"
ADD = ("ON CONFLICT (branch_id, month) DO UPDATE SET batches = branch_months.batches + excluded.batches, "
       "person_times = branch_months.person_times + excluded.person_times, "
       "rating_sum = branch_months.rating_sum + excluded.rating_sum, rated = branch_months.rated + excluded.rated")
# What makes a booking count, and what a change must touch to change its count.
COUNTED = "{row}.status = 'completed' AND {row}.base_id IS NOT NULL"
RELEVANT = ("status", "base_id", "branch_id", "day", "visitor_count", "rating")


def _month(dialect: str, column: str) -> str:
    # SQLite keeps a date as 'YYYY-MM-DD' text.
    return f"to_char({column}, 'YYYY-MM')" if dialect == "postgresql" else f"substr({column}, 1, 7)"


def _changed(distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in RELEVANT)


def _sqlite_part(row: str, sign: str) -> str:
    """The row's visit added to (sign '') or taken from (sign '-') its branch's month, if it counts."""
    return (f"INSERT INTO branch_months ({COLUMNS}) SELECT {row}.branch_id, substr({row}.day, 1, 7), {sign}1, "
            f"{sign}coalesce({row}.visitor_count, 0), {sign}coalesce({row}.rating, 0), "
            f"{sign}({row}.rating IS NOT NULL) WHERE {COUNTED.format(row=row)} {ADD};")


def upgrade():
    op.create_table(
        'branch_months',
        sa.Column('branch_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('batches', sa.Integer(), nullable=False),
        sa.Column('person_times', sa.Integer(), nullable=False),
        sa.Column('rating_sum', sa.Integer(), nullable=False),
        sa.Column('rated', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_branch_months_branch_id_branches')),
        sa.PrimaryKeyConstraint('branch_id', 'month', name=op.f('pk_branch_months')),
    )
    dialect = op.get_bind().dialect.name
    month = _month(dialect, "day")
    op.execute(f"INSERT INTO branch_months ({COLUMNS}) SELECT branch_id, {month}, count(*), "
               f"coalesce(sum(visitor_count), 0), coalesce(sum(rating), 0), count(rating) FROM bookings "
               f"WHERE {COUNTED.format(row='bookings')} GROUP BY branch_id, {month}")
    if dialect == "postgresql":
        op.execute(f"""
            CREATE FUNCTION branch_months_add(b integer, d date, sign integer, n integer, r integer) RETURNS void
            LANGUAGE sql AS $$
                INSERT INTO branch_months ({COLUMNS})
                VALUES (b, to_char(d, 'YYYY-MM'), sign, sign * coalesce(n, 0), sign * coalesce(r, 0),
                        CASE WHEN r IS NULL THEN 0 ELSE sign END)
                {ADD}
            $$""")
        op.execute(f"""
            CREATE FUNCTION bookings_branch_months() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP <> 'INSERT' AND {COUNTED.format(row='OLD')} THEN
                    PERFORM branch_months_add(OLD.branch_id, OLD.day, -1, OLD.visitor_count, OLD.rating);
                END IF;
                IF TG_OP <> 'DELETE' AND {COUNTED.format(row='NEW')} THEN
                    PERFORM branch_months_add(NEW.branch_id, NEW.day, 1, NEW.visitor_count, NEW.rating);
                END IF;
                RETURN NULL;
            END $$""")
        op.execute("CREATE TRIGGER branch_months_insert AFTER INSERT ON bookings FOR EACH ROW "
                   f"WHEN ({COUNTED.format(row='NEW')}) EXECUTE FUNCTION bookings_branch_months()")
        op.execute("CREATE TRIGGER branch_months_update AFTER UPDATE ON bookings FOR EACH ROW "
                   f"WHEN (({COUNTED.format(row='OLD')} OR {COUNTED.format(row='NEW')}) "
                   f"AND ({_changed('IS DISTINCT FROM')})) EXECUTE FUNCTION bookings_branch_months()")
        op.execute("CREATE TRIGGER branch_months_delete AFTER DELETE ON bookings FOR EACH ROW "
                   f"WHEN ({COUNTED.format(row='OLD')}) EXECUTE FUNCTION bookings_branch_months()")
        return
    op.execute(f"CREATE TRIGGER branch_months_insert AFTER INSERT ON bookings WHEN {COUNTED.format(row='NEW')} "
               f"BEGIN {_sqlite_part('NEW', '')} END")
    op.execute(f"CREATE TRIGGER branch_months_update AFTER UPDATE OF {', '.join(RELEVANT)} ON bookings "
               f"WHEN ({COUNTED.format(row='OLD')} OR {COUNTED.format(row='NEW')}) AND ({_changed('IS NOT')}) "
               f"BEGIN {_sqlite_part('OLD', '-')} {_sqlite_part('NEW', '')} END")
    op.execute(f"CREATE TRIGGER branch_months_delete AFTER DELETE ON bookings WHEN {COUNTED.format(row='OLD')} "
               f"BEGIN {_sqlite_part('OLD', '-')} END")


def downgrade():
    for name in ("branch_months_insert", "branch_months_update", "branch_months_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON bookings" if op.get_bind().dialect.name == "postgresql"
                                                       else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS bookings_branch_months()")
        op.execute("DROP FUNCTION IF EXISTS branch_months_add(integer, date, integer, integer, integer)")
    op.drop_table('branch_months')
