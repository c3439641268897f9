"""Transactional tests (as live-server tests are) can write audit entries and still be cleaned up."""

from __future__ import annotations

import pytest
from django.db import connection

from thuocdo.audit.models import AuditEntry
from thuocdo.audit.services import record_change


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_may_write_the_log(erasable_audit_log: None) -> None:
    record_change(action="live.test")
    assert AuditEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_triggers_are_back_afterwards(erasable_audit_log: None) -> None:
    assert AuditEntry.objects.count() == 0
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_auditentry'"
            )
            assert cursor.fetchone()[0] == 2
        else:
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_auditentry_no_update'")
            assert cursor.fetchone()[0] == 1
