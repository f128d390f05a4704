"""photos kept in the database (photo_blobs), so that every app server reads the same ones; the photo files of
earlier versions are copied in when they are found in the instance folder

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 20:00:00

"""
import os

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    blobs = op.create_table(
        'photo_blobs',
        sa.Column('stored_name', sa.String(length=80), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('stored_name', name=op.f('pk_photo_blobs')),
    )
    # Photos uploaded before: copied in from the folder they were kept in, when it is on this host.
    try:
        from flask import current_app
        from booking.photos.storage import folder
        with current_app.app_context():
            where = folder()
    except Exception:  # noqa: BLE001 - run outside the app (offline SQL): the files stay readable where they are
        return
    bind = op.get_bind()
    names = [row[0] for row in bind.execute(sa.text("SELECT stored_name FROM booking_photos WHERE removed_at IS NULL"))]
    for name in names:
        path = os.path.join(where, os.path.basename(name))
        if os.path.isfile(path):
            with open(path, "rb") as f:
                op.bulk_insert(blobs, [{"stored_name": name, "data": f.read()}])


def downgrade():
    op.drop_table('photo_blobs')
