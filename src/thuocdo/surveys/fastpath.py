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
