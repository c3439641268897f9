"""Writing to the audit log. Call inside the caller's transaction; the entry commits with the change it records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection, models
from django.utils import timezone

from thuocdo.audit.chain import GENESIS, canonical_payload, entry_hash, jsonable
from thuocdo.audit.models import AuditEntry

# Re-exported: callers and verification use the chain's primitives from here.
__all__ = ["GENESIS", "canonical_payload", "entry_hash", "jsonable", "record_change"]


def record_change(
    *,
    actor: Any = None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    summary: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry, chained to the previous one. `actor` is a user, a system name, or None."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        summary = summary or str(obj)[:500]
    actor_id = getattr(actor, "pk", None) if actor is not None and not isinstance(actor, str) else None
    actor_name = (
        actor if isinstance(actor, str) else (getattr(actor, "get_username", lambda: "")() if actor else "")
    )
    actor_name = actor_name[:150]
    # Round-trip the data through JSON so the stored value is exactly what was hashed.
    clean_data = jsonable(data or {})
    # Cut to the column widths before hashing: PostgreSQL would refuse longer values, SQLite would keep them.
    action, object_type, object_id, summary = action[:80], object_type[:80], object_id[:80], summary[:500]
    when = at or timezone.now()
    _lock_chain()
    last = AuditEntry.objects.order_by("-seq").only("seq", "hash").first()
    seq = (last.seq + 1) if last else 1
    prev = last.hash if last else GENESIS
    payload = canonical_payload(
        seq=seq,
        at=when,
        actor_id=actor_id,
        actor=actor_name,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary[:500],
        data=clean_data,
        prev_hash=prev,
    )
    return AuditEntry.objects.create(
        seq=seq,
        at=when,
        actor_id=actor_id,
        actor=actor_name,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary[:500],
        data=clean_data,
        prev_hash=prev,
        hash=entry_hash(payload),
    )


def _lock_chain() -> None:
    # One writer at a time extends the chain. SQLite's IMMEDIATE transactions already serialise writers;
    # on PostgreSQL a transaction-scoped advisory lock does (released at commit).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(766001)")
