"""The hash chain's arithmetic: the exact bytes an entry's hash covers, and the hash itself.

Shared by writing (audit.services) and verification (audit.selectors); change nothing here without a
migration plan, since every stored hash depends on it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

GENESIS = "0" * 64


def canonical_payload(
    *,
    seq: int,
    at: datetime,
    actor_id: int | None,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    summary: str,
    data: Any,
    prev_hash: str,
) -> bytes:
    """The exact bytes an entry's hash covers (also used by verification)."""
    body = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "summary": summary,
        "data": data,
        "prev_hash": prev_hash,
    }
    return json.dumps(
        body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder
    ).encode()


def entry_hash(payload: bytes) -> str:
    """SHA-256 of a canonical payload, in hex."""
    return hashlib.sha256(payload).hexdigest()


def jsonable(data: Any) -> Any:
    """`data` as the plain JSON value the database will hand back, so that what is hashed is what is stored."""
    return _normalise(json.loads(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)))


def _normalise(value: Any) -> Any:
    # PostgreSQL's jsonb stores numbers as numerics: 1e+20 comes back as the integer 100000000000000000000.
    # Storing such floats as integers up front keeps the hash stable on every engine.
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1e16:
        return int(value)
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value
