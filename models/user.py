"""Accounts: users with one role, API tokens, and failed-login records for throttling."""
from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, LargeBinary, String, Table, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from models import Model
from models.types import UTCDateTime, utcnow

ROLES = {
    "admin": "区委组织部管理员",
    "area_admin": "街道社区管理员",
    "manager": "基地管理员",
    "secretary": "支部书记",
    "lecturer": "讲师",
}

manager_bases = Table(
    "manager_bases",
    Model.metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("base_id", Integer, ForeignKey("bases.id"), primary_key=True, index=True),
)


class User(UserMixin, Model):
    """A person who logs in; exactly one role."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="role"),
        CheckConstraint("role <> 'secretary' OR branch_id IS NOT NULL", name="secretary_has_branch"),
        CheckConstraint("role <> 'lecturer' OR lecturer_id IS NOT NULL", name="lecturer_has_profile"),
        CheckConstraint("role <> 'area_admin' OR area_id IS NOT NULL", name="area_admin_has_area"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(default=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"), index=True)
    lecturer_id: Mapped[int | None] = mapped_column(ForeignKey("lecturers.id"), unique=True)
    # An area administrator's street or community (and everything below it).
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Part of every web session's identity: raising it (logout, password change or reset, deactivation) ends
    # every session the user has, copied cookies included.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set by an administrator's reset and by one-time passwords: the next login must choose a new password.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    branch = relationship("Branch")
    area = relationship("Area")
    lecturer = relationship("Lecturer", back_populates="user")
    bases = relationship("Base", secondary=manager_bases, back_populates="managers", order_by="Base.id")

    def set_password(self, password: str) -> None:
        # Tests choose a cheaper method through PASSWORD_HASH_METHOD; production keeps scrypt.
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """The session's identity of the user: the id and the session version ("12.3")."""
        return f"{self.id}.{self.session_version or 0}"

    def end_sessions(self) -> None:
        """Every web session of this user stops working (at the next commit)."""
        self.session_version = (self.session_version or 0) + 1

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated users cannot log in
        return self.active

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def base_ids(self) -> list[int]:
        return [b.id for b in self.bases]

    @property
    def area_path(self) -> str | None:
        """The materialised path of an area administrator's area (see models.area)."""
        return self.area.path if self.area_id and self.area is not None else None


class ApiToken(Model):
    """A bearer token of the API; only its SHA-256 hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginFailure(Model):
    """One failed login, kept for a while so repeated failures can be throttled across processes."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class CredentialSheet(Model):
    """The one-time passwords of accounts an import created, as the XLSX the administrator downloads once: the
    file is dropped when downloaded (the row stays, saying who made how many accounts when)."""

    __tablename__ = "credential_sheets"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accounts: Mapped[int]
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    downloaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
