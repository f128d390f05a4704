"""drop the unused index of bookings by menu item

No query looks bookings up by menu item alone (menu items are never deleted, only taken off), and every
booking written paid for keeping it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 05:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_menu_item_id')


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_menu_item_id', ['menu_item_id'], unique=False)
