"""notifications carry their email: written with the change they tell of, sent by a job with retries

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 11:20:00

"""
from alembic import op
import sqlalchemy as sa

import models.types

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

DUE = sa.text("email_to IS NOT NULL AND emailed_at IS NULL")


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_to', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('email_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('email_next_at', models.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('email_error', sa.String(length=500), nullable=True))
        batch_op.create_index('ix_notifications_mail_due', ['email_next_at'], unique=False,
                              sqlite_where=DUE, postgresql_where=DUE)


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_mail_due')
        batch_op.drop_column('email_error')
        batch_op.drop_column('email_next_at')
        batch_op.drop_column('email_attempts')
        batch_op.drop_column('email_to')
