"""The audit trail: one call to record an administrative change."""
from models import AuditEntry, db


def record(actor, action: str, target_type: str, target_id: int | None, detail: str = "") -> None:
    """Add an audit entry to the current transaction."""
    db.session.add(AuditEntry(
        actor_id=getattr(actor, "id", None), action=action,
        target_type=target_type, target_id=target_id, detail=detail[:2000],
    ))
