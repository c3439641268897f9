"""The audit log is append-only and hash-chained; `thuocdo audit verify` finds any tampering."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from thuocdo.audit.models import AuditEntry
from thuocdo.audit.selectors import iter_entries, verify_chain
from thuocdo.audit.services import GENESIS, record_change

triggers = importlib.import_module("thuocdo.audit.migrations.0002_append_only_triggers")


def _record(n: int) -> list[AuditEntry]:
    return [
        record_change(
            actor="kiem-thu",
            action="ruleset.update",
            object_type="indices.ruleset",
            object_id=str(i),
            summary=f"Sửa bộ quy tắc {i}",
            data={"i": i},
        )
        for i in range(1, n + 1)
    ]


def _verify(*args: str) -> str:
    out = StringIO()
    call_command("audit", "verify", "--no-progress", *args, stdout=out)
    return out.getvalue()


def _broken(*args: str) -> str:
    with pytest.raises(CommandError) as info:
        _verify(*args)
    assert info.value.returncode == 1
    return str(info.value)


@pytest.fixture
def tamperable(db) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Drop the append-only triggers for one test, as an attacker with database access could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER audit_auditentry_no_update ON audit_auditentry")
        else:
            cursor.execute("DROP TRIGGER audit_auditentry_no_update")
            cursor.execute("DROP TRIGGER audit_auditentry_no_delete")
    yield
    with connection.cursor() as cursor:  # put them back; the test transaction's rollback would too
        if connection.vendor == "postgresql":
            cursor.execute(triggers.POSTGRES_UP)
        else:
            for statement in triggers.SQLITE_UP:
                cursor.execute(statement)


@pytest.mark.django_db
def test_entries_chain_from_genesis() -> None:
    first, second, third = _record(3)
    assert (first.seq, second.seq, third.seq) == (1, 2, 3)
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert verify_chain(iter_entries()).ok


@pytest.mark.django_db
def test_stored_data_hashes_the_same_after_the_database_round_trip() -> None:
    record_change(
        action="config.update",
        data={
            "tỷ lệ": 0.1,
            "lớn": 1e20,
            "nhỏ": 1.5e-7,
            "số": Decimal("12.50"),
            "ngày": date(2025, 7, 1),
            "lồng": {"b": [1, 2.0, None, True], "a": "Đắk Lắk"},
            3: "khóa số",
        },
    )
    assert "OK: 1 entries, chain intact" in _verify()


@pytest.mark.django_db
def test_long_fields_are_cut_to_their_columns_before_hashing() -> None:
    record_change(
        action="x" * 200, object_type="t" * 200, object_id="9" * 200, summary="s" * 900, actor="a" * 300
    )
    assert "OK: 1 entries" in _verify()


@pytest.mark.django_db
def test_orm_cannot_update_or_delete_entries() -> None:
    _record(2)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(summary="viết lại lịch sử")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=2).delete()
    entry = AuditEntry.objects.get(seq=1)
    entry.summary = "viết lại"
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.save()
    assert AuditEntry.objects.count() == 2
    assert AuditEntry.objects.get(seq=1).summary == "Sửa bộ quy tắc 1"


@pytest.mark.django_db
def test_verify_on_an_intact_and_an_empty_log() -> None:
    assert "OK: 0 entries, chain intact" in _verify()
    entries = _record(5)
    out = _verify("--batch-size", "2")
    assert "OK: 5 entries, chain intact" in out
    assert f"head: 5:{entries[-1].hash}" in out


@pytest.mark.django_db
def test_verify_detects_edited_content(tamperable: None) -> None:
    _record(4)
    AuditEntry.objects.filter(seq=3).update(data={"i": 999})
    message = _broken()
    assert "seq 3" in message and "edited content" in message


@pytest.mark.django_db
def test_verify_detects_a_deleted_entry(tamperable: None) -> None:
    _record(4)
    AuditEntry.objects.filter(seq=2).delete()
    message = _broken()
    assert "seq 2" in message and "entry missing" in message


@pytest.mark.django_db
def test_verify_detects_a_deleted_first_entry(tamperable: None) -> None:
    _record(3)
    AuditEntry.objects.filter(seq=1).delete()
    assert "seq 1" in _broken()


@pytest.mark.django_db
def test_verify_detects_a_rewritten_entry_with_a_fresh_hash(tamperable: None) -> None:
    # A careful forger recomputes the edited entry's own hash; the next entry's link still gives it away.
    from thuocdo.audit.selectors import recomputed_hash

    _record(4)
    AuditEntry.objects.filter(seq=2).update(summary="giả mạo")
    forged = AuditEntry.objects.get(seq=2)
    AuditEntry.objects.filter(seq=2).update(hash=recomputed_hash(forged))
    message = _broken()
    assert "seq 3" in message and "wrong prev_hash" in message


@pytest.mark.django_db
def test_anchor_catches_a_log_cut_short(tamperable: None) -> None:
    entries = _record(4)
    anchor = f"{entries[3].seq}:{entries[3].hash}"
    assert "OK: 4 entries" in _verify("--anchor", anchor)
    AuditEntry.objects.filter(seq=4).delete()
    assert "OK: 3 entries" in _verify()  # the chain alone cannot see a missing tail ...
    assert "cut short" in _broken("--anchor", anchor)  # ... an anchor noted earlier can


def test_anchor_must_be_seq_and_hash() -> None:
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--anchor", "12:abc")


@pytest.mark.django_db
def test_tail_shows_the_latest_entries() -> None:
    _record(30)
    out = StringIO()
    call_command("audit", "tail", "-n", "3", stdout=out)
    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines[:3]] == ["#28", "#29", "#30"]
    assert "Sửa bộ quy tắc 30" in lines[2]
    assert lines[3].startswith("head: 30:")


@pytest.mark.django_db
def test_tail_on_an_empty_log() -> None:
    out = StringIO()
    call_command("audit", "tail", stdout=out)
    assert "empty" in out.getvalue()


@pytest.mark.django_db
def test_actor_user_is_recorded_by_id_and_name() -> None:
    from thuocdo.accounts.models import User

    user = User.objects.create(username="ghi.nhan")
    entry = record_change(actor=user, action="config.update", obj=user)
    assert (entry.actor_id, entry.actor, entry.object_type, entry.object_id) == (
        user.pk,
        "ghi.nhan",
        "accounts.user",
        str(user.pk),
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the advisory lock exists on PostgreSQL only")
@pytest.mark.django_db
def test_postgres_takes_the_advisory_lock_and_chains_sequential_records() -> None:
    first = record_change(action="a")
    with connection.cursor() as cursor:
        cursor.execute(
            # pg_locks is server-wide: count only this session's lock (parallel test workers hold their own).
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 766001 AND granted"
            " AND pid = pg_backend_pid()"
        )
        assert cursor.fetchone()[0] == 1
    second = record_change(action="b")
    assert second.seq == first.seq + 1 and second.prev_hash == first.hash
    assert verify_chain(iter_entries()).ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need a server database")
@pytest.mark.django_db(transaction=True)
def test_postgres_concurrent_writers_extend_one_chain() -> None:
    import threading

    from django.db import connections

    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            barrier.wait()
            for i in range(5):
                with transaction.atomic():
                    record_change(actor=name, action="concurrent", object_id=str(i))
        except BaseException as exc:  # reported below: a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert AuditEntry.objects.count() == 20
    assert verify_chain(iter_entries()).ok
