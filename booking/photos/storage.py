"""Where the activity records' photos are kept (setting PHOTO_STORAGE).

- `database` (the default): in the database itself (`photo_blobs`), written in the same transaction as the photo's
  row. Every app server reading that database reads the same photos, a backup of the database holds them, and no
  other service is needed.
- `filesystem`: files in UPLOAD_FOLDER (default instance/uploads); for several servers it must be a shared mount.

Photos uploaded while the files were the store are still read from UPLOAD_FOLDER when the database has no copy.
"""
import os

from flask import current_app
from sqlalchemy import delete, select

from models import PhotoBlob, db

BACKENDS = ("database", "filesystem")


def folder() -> str:
    """The folder of the filesystem store (and of photos kept there before)."""
    return current_app.config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path, "uploads")


def _backend() -> str:
    return current_app.config.get("PHOTO_STORAGE") or "database"


def put(stored_name: str, data: bytes) -> None:
    """Keep a photo's bytes under its stored name; in the database store, inside the caller's transaction."""
    if _backend() == "database":
        db.session.add(PhotoBlob(stored_name=stored_name, data=data))
        return
    os.makedirs(folder(), mode=0o750, exist_ok=True)
    # Readable by the service's own user only (and its group), never world-readable.
    with os.fdopen(os.open(os.path.join(folder(), stored_name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640), "wb") as f:
        f.write(data)


def get(stored_name: str) -> bytes | None:
    """A photo's bytes, or None when no store has it."""
    if _backend() == "database":
        data = db.session.scalar(select(PhotoBlob.data).where(PhotoBlob.stored_name == stored_name))
        if data is not None:
            return bytes(data)
    try:
        with open(os.path.join(folder(), os.path.basename(stored_name)), "rb") as f:
            return f.read()
    except OSError:
        return None


def discard(stored_names: list[str]) -> None:
    """Forget photos whose row was not written after all (files written before a failed commit)."""
    if _backend() == "filesystem":
        for name in stored_names:
            try:
                os.remove(os.path.join(folder(), name))
            except FileNotFoundError:
                pass


def remove(stored_name: str) -> None:
    """Delete a removed photo's bytes (its row stays, saying who removed it when). The caller commits."""
    db.session.execute(delete(PhotoBlob).where(PhotoBlob.stored_name == stored_name))
    try:
        os.remove(os.path.join(folder(), os.path.basename(stored_name)))
    except FileNotFoundError:
        pass
