"""The few statements of a survey submission, run as cheaply as the database allows.

A submission is one read and two writes (docs/surveys/collection.md, "Speed"). Through the ORM, compiling
those statements cost more than running them, so they are written once as SQL with the models' table
names. On PostgreSQL they also go through a server-binding cursor that prepares them: each worker's
connection plans them once instead of on every request (planning the read's three-table join took longer
than executing it). Everything else keeps Django's own cursor; transactions stay the caller's (the
request's ATOMIC_REQUESTS), and the statements are logged like any other in debug and tests.

Prepared statements need a session-level connection to PostgreSQL (direct, as deployed, or a pooler in
session mode / PgBouncer ≥ 1.21 with max_prepared_statements): behind a pooler in transaction mode set
settings.THUOCDO["PREPARED_STATEMENTS"] to False.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections


@functools.cache
def _prepared_cursor_class() -> type:
    # Imported on PostgreSQL only: the module needs psycopg.
    from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]

    class PreparedCursor(ServerBindingCursor):  # type: ignore[misc]
        def execute(
            self, query: Any, params: Any = None, *, prepare: bool | None = True, binary: Any = None
        ) -> Any:
            return super().execute(query, params, prepare=prepare, binary=binary)

    return PreparedCursor


def _use_prepared(vendor: str) -> bool:
    return vendor == "postgresql" and bool(getattr(settings, "THUOCDO", {}).get("PREPARED_STATEMENTS", True))


def run(sql: str, params: Sequence[Any]) -> tuple[tuple[Any, ...] | None, int]:
    """Run one statement of the submission path: (its first row or None, the number of rows it touched)."""
    db = connections[DEFAULT_DB_ALIAS]
    if _use_prepared(db.vendor):
        db.close_if_health_check_failed()
        db.ensure_connection()
        db.validate_thread_sharing()
        if not db.queries_logged and not db.execute_wrappers:
            # What Django's cursor wrapper would check, without its layers; one cursor per connection.
            db.validate_no_broken_transaction()
            held = db.__dict__.get("_thuocdo_cursor")
            if held is None or held[0] is not db.connection:
                with db.wrap_database_errors:
                    held = db.__dict__["_thuocdo_cursor"] = (
                        db.connection,
                        _prepared_cursor_class()(db.connection),
                    )
            raw = held[1]
            with db.wrap_database_errors:
                raw.execute(sql, params)
                row = raw.fetchone() if raw.description else None
                return (tuple(row) if row is not None else None), raw.rowcount
        with db.wrap_database_errors:
            raw = _prepared_cursor_class()(db.connection)
        cursor = db.make_debug_cursor(raw) if db.queries_logged else db.make_cursor(raw)
    else:
        cursor = db.cursor()
    with cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone() if cursor.description else None
        return (tuple(row) if row is not None else None), cursor.rowcount


def quote(name: str) -> str:
    """A table or column name quoted for the database in use."""
    return str(connections[DEFAULT_DB_ALIAS].ops.quote_name(name))


def _redis_client(backend: Any) -> Any:
    # Django's RedisCache builds a new redis.Redis (≈ 170 response callbacks) on every call and answers
    # incr() with EXISTS + INCR: two round trips and most of a rate-limited submission's cache cost.
    # One client per backend instance (caches are per thread) shares the backend's connection pool.
    client = getattr(backend, "_thuocdo_client", None)
    if client is None:
        client = backend._cache.get_client(None, write=True)
        backend._thuocdo_client = client
    return client


def count_event(name: str, seconds: int) -> int:
    """Count one event under a cache key that lives at least `seconds`: the count so far, this one included.

    Every process sharing the cache counts against the same key. On Redis it is one round trip (INCR and
    EXPIRE pipelined; the key is the cache's own, so `cache.get` reads the same number); elsewhere the
    cache's incr, and add when the key does not exist yet.
    """
    from django.core.cache import cache, caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if isinstance(backend, RedisCache):
        key = backend.make_and_validate_key(name)
        pipe = _redis_client(backend).pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, seconds * 2)
        return int(pipe.execute()[0])
    try:
        return int(cache.incr(name))
    except ValueError:  # the window's first event (or its key expired)
        if cache.add(name, 1, timeout=seconds * 2):
            return 1
        try:
            return int(cache.incr(name))
        except ValueError:
            return 0
