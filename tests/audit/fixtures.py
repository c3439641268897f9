"""A fixture for transactional tests (live_server, transaction=True) that write audit entries on SQLite.

Django empties tables after such tests with DELETE on SQLite, which the append-only trigger refuses.
Request `erasable_audit_log` in those tests; it empties the log itself with the triggers briefly off.
PostgreSQL needs nothing: Django empties tables there with TRUNCATE, which the row triggers do not see.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from django.db import connection

_triggers = importlib.import_module("thuocdo.audit.migrations.0002_append_only_triggers")


@pytest.fixture
def erasable_audit_log(transactional_db: None) -> Iterator[None]:
    yield
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for statement in _triggers.SQLITE_DOWN:
            cursor.execute(statement)
        cursor.execute("DELETE FROM audit_auditentry")
        for statement in _triggers.SQLITE_UP:
            cursor.execute(statement)
