"""The statements of a survey submission, run as cheaply as the database allows.

A submission is one write, or one read and one write when the worker does not hold its campaign yet
(docs/surveys/collection.md, "Speed"). Through the ORM, compiling those statements cost more than running
them, so they are written once as SQL with the models' table names. On PostgreSQL they also go through a
server-binding cursor that prepares them: each worker's connection plans them once instead of on every
request (planning took longer than executing). Everything else keeps Django's own cursor; transactions
stay the caller's, and where statements are logged (debug, tests) they run unprepared through Django's
cursor, so the log keeps their SQL.

Prepared statements need a session-level connection to PostgreSQL (direct, as deployed, or a pooler in
session mode / PgBouncer ≥ 1.21 with max_prepared_statements): behind a pooler in transaction mode set
settings.THUOCDO["PREPARED_STATEMENTS"] to False.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Sequence
from typing import Any

import msgspec
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


# Django opens psycopg connections with prepare_threshold=None, which turns psycopg's automatic preparation
# off and with it `prepare=True`: our statements were parsed and planned on every request (more than half
# of a submission's PostgreSQL CPU). A threshold no query reaches lets ours be prepared and still prepares
# nothing else automatically (Django's own cursors bind on the client and never prepare anyway).
_NEVER = 2**31 - 1


def _allow_prepare(connection: Any) -> None:
    if connection.prepare_threshold is None:
        connection.prepare_threshold = _NEVER


def _use_prepared(vendor: str) -> bool:
    return vendor == "postgresql" and bool(getattr(settings, "THUOCDO", {}).get("PREPARED_STATEMENTS", True))


def run(sql: str, params: Sequence[Any]) -> tuple[tuple[Any, ...] | None, int]:
    """Run one statement of the submission path: (its first row or None, the number of rows it touched)."""
    db = connections[DEFAULT_DB_ALIAS]
    if _use_prepared(db.vendor) and not db.queries_logged and not db.execute_wrappers:
        # What Django's cursor wrapper would check, without its layers; one cursor per connection.
        db.close_if_health_check_failed()
        db.ensure_connection()
        db.validate_thread_sharing()
        db.validate_no_broken_transaction()
        held = db.__dict__.get("_thuocdo_cursor")
        if held is None or held[0] is not db.connection:
            _allow_prepare(db.connection)
            with db.wrap_database_errors:
                held = db.__dict__["_thuocdo_cursor"] = (
                    db.connection,
                    _prepared_cursor_class()(db.connection),
                )
        raw = held[1]
        with db.wrap_database_errors:
            raw.execute(sql, params)
            # nfields, not `description`: that builds a Column object per field on every call.
            result = raw.pgresult
            row = raw.fetchone() if result is not None and result.nfields else None
            return (tuple(row) if row is not None else None), raw.rowcount
    # Logged (debug, tests) or wrapped statements go through Django's cursor unprepared: a prepared one
    # would be logged without its SQL (psycopg keeps no query text for it).
    cursor = db.cursor()
    with cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone() if cursor.description else None
        return (tuple(row) if row is not None else None), cursor.rowcount


@functools.cache
def _jsonb() -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb


_ENCODE = msgspec.json.encode


def json_param(value: Any, field: Any, db: Any) -> Any:
    """A JSON field's value as a statement parameter: as Django prepares it, except that on PostgreSQL the
    document is encoded by msgspec (a tenth of json.dumps' time; jsonb keeps the same document)."""
    if db.vendor != "postgresql" or value is None:
        return field.get_db_prep_save(value, db)
    return _jsonb()(value, dumps=_ENCODE)


def quote(name: str) -> str:
    """A table or column name quoted for the database in use."""
    return str(connections[DEFAULT_DB_ALIAS].ops.quote_name(name))


# INCR, and EXPIRE on the window's first event, in one command: a count is one round trip and one reply.
_COUNT_SCRIPT = (
    "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end return n"
)
_COUNT_SHA = hashlib.sha1(_COUNT_SCRIPT.encode(), usedforsecurity=False).hexdigest()
_held = threading.local()


def _redis_connection(backend: Any) -> Any:
    """A Redis connection of this thread's own, to the cache's server.

    Through redis-py's client a count cost ≈ 200 µs of CPU (a client or pipeline object, a pool checkout
    and its lock, Django's key validation): a fifth of an OpenRosa submission. One connection held per
    thread (and process: a forked worker opens its own) answers the same command in a sixth of that.
    """
    pool = backend._cache._get_connection_pool(write=True)
    held = getattr(_held, "redis", None)
    if held is not None and held[0] == os.getpid() and held[1] is pool:
        return held[2]
    connection = pool.connection_class(**pool.connection_kwargs)
    _held.redis = (os.getpid(), pool, connection)
    return connection


def _redis_count(backend: Any, key: str, seconds: int) -> int:
    connection = _redis_connection(backend)
    try:
        return _evalsha(connection, key, seconds)
    except (OSError, redis_errors().ConnectionError, redis_errors().TimeoutError):
        # The server restarted or the socket went stale: one more try on a new socket.
        connection.disconnect()
        return _evalsha(connection, key, seconds)


def _evalsha(connection: Any, key: str, seconds: int) -> int:
    # By digest: EVAL with the text makes Redis hash the script on every call (11 µs against 3 µs there).
    try:
        connection.send_command("EVALSHA", _COUNT_SHA, 1, key, seconds)
        return int(connection.read_response())
    except redis_errors().NoScriptError:  # a new or flushed server: EVAL loads it for the next ones
        connection.send_command("EVAL", _COUNT_SCRIPT, 1, key, seconds)
        return int(connection.read_response())


@functools.cache
def redis_errors() -> Any:
    import redis.exceptions

    return redis.exceptions


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
        return _redis_count(backend, backend.make_key(name), seconds * 2)  # our names need no validation
    try:
        return int(cache.incr(name))
    except ValueError:  # the window's first event (or its key expired)
        if cache.add(name, 1, timeout=seconds * 2):
            return 1
        try:
            return int(cache.incr(name))
        except ValueError:
            return 0
