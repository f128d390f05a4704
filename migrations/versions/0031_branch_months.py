"""each branch's completed base visits a month, and each area's (its organisations' branches'), kept by the
database as the bookings change (triggers), so that statistics summing whole months read months, not bookings

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

MEASURES = "batches, person_times, rating_sum, rated"


def _add(table: str, key: str) -> str:
    """Upsert clause: the row's measures added to what the key already has."""
    sums = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in MEASURES.split(", "))
    return f"ON CONFLICT ({key}, month) DO UPDATE SET {sums}"


BRANCH_ADD = _add("branch_months", "branch_id")
AREA_ADD = _add("area_months", "area_id")
# What makes a booking count, and what a change must touch to change its count.
COUNTED = "{row}.status = 'completed' AND {row}.base_id IS NOT NULL"
RELEVANT = ("status", "base_id", "branch_id", "day", "visitor_count", "rating")
# A branch's organisation's area: where its visits count by area.
AREA_OF = "FROM branches b JOIN organizations o ON o.id = b.organization_id WHERE b.id = {branch}"


def _month(dialect: str, column: str) -> str:
    # SQLite keeps a date as 'YYYY-MM-DD' text.
    return f"to_char({column}, 'YYYY-MM')" if dialect == "postgresql" else f"substr({column}, 1, 7)"


def _changed(distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in RELEVANT)


def _measures(row: str, sign: str) -> str:
    return (f"{sign}1, {sign}coalesce({row}.visitor_count, 0), {sign}coalesce({row}.rating, 0), "
            f"{sign}({row}.rating IS NOT NULL)")


def _sqlite_part(row: str, sign: str) -> str:
    """The row's visit added to (sign '') or taken from (sign '-') its branch's month and its area's, if it counts."""
    counted = COUNTED.format(row=row)
    return (f"INSERT INTO branch_months (branch_id, month, {MEASURES}) SELECT {row}.branch_id, "
            f"substr({row}.day, 1, 7), {_measures(row, sign)} WHERE {counted} {BRANCH_ADD}; "
            f"INSERT INTO area_months (area_id, month, {MEASURES}) SELECT o.area_id, substr({row}.day, 1, 7), "
            f"{_measures(row, sign)} {AREA_OF.format(branch=f'{row}.branch_id')} AND {counted} {AREA_ADD};")


def _sqlite_moved(area: str, sign: str, branches: str) -> str:
    """The months of some branches added to (sign '') or taken from (sign '-') an area."""
    sums = ", ".join(f"{sign}sum(bm.{m})" for m in MEASURES.split(", "))
    return (f"INSERT INTO area_months (area_id, month, {MEASURES}) SELECT {area}, bm.month, {sums} "
            f"FROM branch_months bm WHERE bm.branch_id IN ({branches}) GROUP BY bm.month {AREA_ADD};")


def upgrade():
    for table, key, parent in (("branch_months", "branch_id", "branches"), ("area_months", "area_id", "areas")):
        op.create_table(
            table,
            sa.Column(key, sa.Integer(), nullable=False),
            sa.Column('month', sa.String(length=7), nullable=False),
            sa.Column('batches', sa.Integer(), nullable=False),
            sa.Column('person_times', sa.Integer(), nullable=False),
            sa.Column('rating_sum', sa.Integer(), nullable=False),
            sa.Column('rated', sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint([key], [f'{parent}.id'], name=op.f(f'fk_{table}_{key}_{parent}')),
            sa.PrimaryKeyConstraint(key, 'month', name=op.f(f'pk_{table}')),
        )
    dialect = op.get_bind().dialect.name
    month = _month(dialect, "day")
    op.execute(f"INSERT INTO branch_months (branch_id, month, {MEASURES}) SELECT branch_id, {month}, count(*), "
               f"coalesce(sum(visitor_count), 0), coalesce(sum(rating), 0), count(rating) FROM bookings "
               f"WHERE {COUNTED.format(row='bookings')} GROUP BY branch_id, {month}")
    op.execute(f"INSERT INTO area_months (area_id, month, {MEASURES}) SELECT o.area_id, bm.month, sum(bm.batches), "
               f"sum(bm.person_times), sum(bm.rating_sum), sum(bm.rated) FROM branch_months bm "
               f"JOIN branches b ON b.id = bm.branch_id JOIN organizations o ON o.id = b.organization_id "
               f"GROUP BY o.area_id, bm.month")
    if dialect == "postgresql":
        _postgresql_triggers()
        return
    op.execute(f"CREATE TRIGGER branch_months_insert AFTER INSERT ON bookings WHEN {COUNTED.format(row='NEW')} "
               f"BEGIN {_sqlite_part('NEW', '')} END")
    op.execute(f"CREATE TRIGGER branch_months_update AFTER UPDATE OF {', '.join(RELEVANT)} ON bookings "
               f"WHEN ({COUNTED.format(row='OLD')} OR {COUNTED.format(row='NEW')}) AND ({_changed('IS NOT')}) "
               f"BEGIN {_sqlite_part('OLD', '-')} {_sqlite_part('NEW', '')} END")
    op.execute(f"CREATE TRIGGER branch_months_delete AFTER DELETE ON bookings WHEN {COUNTED.format(row='OLD')} "
               f"BEGIN {_sqlite_part('OLD', '-')} END")
    # An organisation moved to another area takes its branches' months along; a branch moved to another
    # organisation takes its own to that organisation's area.
    of_org = "SELECT id FROM branches WHERE organization_id = NEW.id"
    op.execute("CREATE TRIGGER area_months_organization AFTER UPDATE OF area_id ON organizations "
               "WHEN OLD.area_id IS NOT NEW.area_id "
               f"BEGIN {_sqlite_moved('OLD.area_id', '-', of_org)} {_sqlite_moved('NEW.area_id', '', of_org)} END")
    op.execute("CREATE TRIGGER area_months_branch AFTER UPDATE OF organization_id ON branches "
               "WHEN OLD.organization_id IS NOT NEW.organization_id BEGIN "
               f"{_sqlite_moved('(SELECT area_id FROM organizations WHERE id = OLD.organization_id)', '-', 'NEW.id')} "
               f"{_sqlite_moved('(SELECT area_id FROM organizations WHERE id = NEW.organization_id)', '', 'NEW.id')} "
               "END")


def _postgresql_triggers():
    op.execute(f"""
        CREATE FUNCTION branch_months_add(b integer, a integer, d date, sign integer, n integer, r integer)
        RETURNS void LANGUAGE sql AS $$
            INSERT INTO branch_months (branch_id, month, {MEASURES})
            VALUES (b, to_char(d, 'YYYY-MM'), sign, sign * coalesce(n, 0), sign * coalesce(r, 0),
                    CASE WHEN r IS NULL THEN 0 ELSE sign END)
            {BRANCH_ADD};
            INSERT INTO area_months (area_id, month, {MEASURES})
            VALUES (a, to_char(d, 'YYYY-MM'), sign, sign * coalesce(n, 0), sign * coalesce(r, 0),
                    CASE WHEN r IS NULL THEN 0 ELSE sign END)
            {AREA_ADD};
        $$""")
    # The branch's and its organisation's rows are read FOR SHARE: an organisation (or a branch) being moved to
    # another area waits for the visits being counted under its old one, and those counted after it read the new.
    op.execute(f"""
        CREATE FUNCTION bookings_branch_months() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE a integer;
        BEGIN
            IF TG_OP <> 'INSERT' AND {COUNTED.format(row='OLD')} THEN
                SELECT o.area_id INTO a {AREA_OF.format(branch='OLD.branch_id')} FOR SHARE;
                PERFORM branch_months_add(OLD.branch_id, a, OLD.day, -1, OLD.visitor_count, OLD.rating);
            END IF;
            IF TG_OP <> 'DELETE' AND {COUNTED.format(row='NEW')} THEN
                SELECT o.area_id INTO a {AREA_OF.format(branch='NEW.branch_id')} FOR SHARE;
                PERFORM branch_months_add(NEW.branch_id, a, NEW.day, 1, NEW.visitor_count, NEW.rating);
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
    op.execute(f"""
        CREATE FUNCTION area_months_move(branch_ids integer[], from_area integer, to_area integer) RETURNS void
        LANGUAGE sql AS $$
            INSERT INTO area_months (area_id, month, {MEASURES})
            SELECT area, bm.month, sign * sum(bm.batches), sign * sum(bm.person_times), sign * sum(bm.rating_sum),
                   sign * sum(bm.rated)
            FROM branch_months bm, (VALUES (from_area, -1), (to_area, 1)) AS side (area, sign)
            WHERE bm.branch_id = ANY (branch_ids) AND from_area IS DISTINCT FROM to_area
            GROUP BY area, sign, bm.month
            {AREA_ADD};
        $$""")
    op.execute("""
        CREATE FUNCTION organizations_area_months() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM area_months_move(ARRAY(SELECT id FROM branches WHERE organization_id = NEW.id),
                                     OLD.area_id, NEW.area_id);
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE FUNCTION branches_area_months() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM area_months_move(ARRAY[NEW.id],
                                     (SELECT area_id FROM organizations WHERE id = OLD.organization_id),
                                     (SELECT area_id FROM organizations WHERE id = NEW.organization_id));
            RETURN NULL;
        END $$""")
    op.execute("CREATE TRIGGER area_months_organization AFTER UPDATE ON organizations FOR EACH ROW "
               "WHEN (OLD.area_id IS DISTINCT FROM NEW.area_id) EXECUTE FUNCTION organizations_area_months()")
    op.execute("CREATE TRIGGER area_months_branch AFTER UPDATE ON branches FOR EACH ROW "
               "WHEN (OLD.organization_id IS DISTINCT FROM NEW.organization_id) "
               "EXECUTE FUNCTION branches_area_months()")


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, table in (("branch_months_insert", "bookings"), ("branch_months_update", "bookings"),
                        ("branch_months_delete", "bookings"), ("area_months_organization", "organizations"),
                        ("area_months_branch", "branches")):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        for function in ("bookings_branch_months()", "organizations_area_months()", "branches_area_months()",
                         "branch_months_add(integer, integer, date, integer, integer, integer)",
                         "area_months_move(integer[], integer, integer)"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.drop_table('area_months')
    op.drop_table('branch_months')
