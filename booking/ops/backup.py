"""Backup and restore of the whole system: the database (SQLite or PostgreSQL) and the activity photos, as one
archive file.

SQLite is copied with its online backup API, which gives a consistent copy of a live WAL database (a plain
file copy can miss committed data still in the WAL). PostgreSQL is dumped with pg_dump in its custom format and
restored with pg_restore --clean into the existing database, in one transaction.
"""
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from booking import clock
from models import PhotoBlob, db
from booking.photos.storage import folder

FORMAT = 1


class BackupError(Exception):
    """A backup or restore could not be done; the message says why, in Chinese."""


def _uploads() -> str:
    """The photo folder: the filesystem store, and photos kept there before the database held them."""
    return folder()


def _pg_args(uri: str) -> tuple[list[str], dict]:
    """pg_dump/pg_restore connection arguments from the app's URL (never the operating system user's)."""
    url = make_url(uri)
    args = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432), "--username", url.username or "",
            "--dbname", url.database or ""]
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def _run(command: list[str], env: dict) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError:
        raise BackupError(f"找不到 {command[0]}，请安装 PostgreSQL 客户端（postgresql-client）。") from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} 失败：{done.stderr.strip()[-1500:]}")


def _revision() -> str | None:
    try:
        return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        db.session.rollback()


def _quiet(step: str) -> None:
    pass


def create(destination: str, now: datetime | None = None, progress=_quiet) -> dict:
    """Write the archive (database and photos) to `destination`; returns its manifest. `progress(step)` is told
    of each step as it begins (the CLI prints them: a large database takes minutes)."""
    now = now or clock.now()
    engine = db.engine
    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    manifest = {"format": FORMAT, "created_at": clock.iso(now), "dialect": engine.dialect.name,
                "revision": _revision(), "photos": 0}
    with tempfile.TemporaryDirectory() as work:
        progress("正在复制数据库……")
        if engine.dialect.name == "sqlite":
            dump = os.path.join(work, "database.sqlite3")
            source = sqlite3.connect(engine.url.database)
            target = sqlite3.connect(dump)
            try:
                source.backup(target)  # consistent, whatever the WAL holds; writers go on meanwhile
            finally:
                target.close()
                source.close()
        else:
            dump = os.path.join(work, "database.pgdump")
            args, env = _pg_args(uri)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", dump, *args], env)
        folder = _uploads()
        # Photos in the database store are in the dump; photo files (the filesystem store, or kept there before) too.
        manifest["photos"] = db.session.scalar(select(func.count()).select_from(PhotoBlob)) or 0
        progress("正在打包数据库和活动照片……")
        partial = destination + ".part"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(dump, arcname=os.path.basename(dump))
            if os.path.isdir(folder):
                for name in sorted(os.listdir(folder)):
                    path = os.path.join(folder, name)
                    if os.path.isfile(path):
                        archive.add(path, arcname=f"uploads/{name}")
                        manifest["photos"] += 1
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime = len(data), int(now.timestamp())
            archive.addfile(info, io.BytesIO(data))
        os.chmod(partial, 0o600)  # it holds everyone's data
        os.replace(partial, destination)  # never a half-written archive under the final name
    return manifest


def read_manifest(source: str) -> dict:
    """The manifest of an archive; BackupError when it is not one of ours."""
    try:
        with tarfile.open(source, "r:gz") as archive:
            return json.load(archive.extractfile("manifest.json"))
    except (OSError, KeyError, tarfile.TarError, json.JSONDecodeError, AttributeError):
        raise BackupError("这不是本系统的备份文件，或文件已损坏。") from None


def restore(source: str, progress=_quiet) -> dict:
    """Replace the database and the photos with the archive's; returns its manifest. `progress` as for create."""
    manifest = read_manifest(source)
    engine = db.engine
    if manifest.get("format") != FORMAT or manifest.get("dialect") != engine.dialect.name:
        raise BackupError(f"备份来自 {manifest.get('dialect')} 数据库，当前是 {engine.dialect.name}，不能直接恢复。")
    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    with tempfile.TemporaryDirectory() as work, tarfile.open(source, "r:gz") as archive:
        members = [m for m in archive.getmembers() if m.isfile()]
        for member in members:  # only plain files with plain names: nothing may land outside the folder
            if member.name.startswith(("/", "..")) or ".." in member.name.split("/"):
                raise BackupError("备份文件中有不安全的路径。")
        progress("正在解开备份文件……")
        archive.extractall(work, members=members, filter="data")
        db.session.remove()
        engine.dispose()  # nothing of ours holds the database while it is replaced
        progress("正在恢复数据库……")
        if engine.dialect.name == "sqlite":
            source_db = sqlite3.connect(os.path.join(work, "database.sqlite3"))
            target_db = sqlite3.connect(engine.url.database)
            try:
                source_db.backup(target_db)
            finally:
                target_db.close()
                source_db.close()
        else:
            args, env = _pg_args(uri)
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                  "--exit-on-error", *args, os.path.join(work, "database.pgdump")], env)
        progress("正在恢复活动照片……")
        folder = _uploads()
        staged = os.path.join(work, "uploads")
        if os.path.isdir(folder):
            shutil.rmtree(folder)
        os.makedirs(folder, mode=0o750, exist_ok=True)
        if os.path.isdir(staged):
            for name in os.listdir(staged):
                shutil.copy2(os.path.join(staged, name), os.path.join(folder, name))
                os.chmod(os.path.join(folder, name), 0o640)
    return manifest
