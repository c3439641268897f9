from __future__ import annotations

from datetime import datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thuocdo.core.dossier import VN_TZ
from thuocdo.dossiers import services
from thuocdo.dossiers.models import Dossier, DossierTally, Quarantine

from .factories import NOW, document, ingest, state

pytestmark = pytest.mark.django_db


def test_a_new_batch_is_stored_with_steps_timeliness_and_tallies():
    report = ingest(document("A-1"), document("A-2", TrangThaiHoSo=4, NgayKetThucXuLy=None, NgayTra=None))
    assert (report.accepted, report.duplicates, report.stale, report.rejected) == (2, 0, 0, [])
    done = Dossier.objects.get(code="A-1")
    assert done.procedure_code == "1.001234"
    assert done.agency_code == "H15.01"
    assert done.received_at == datetime(2025, 10, 1, 8, 0, tzinfo=VN_TZ)
    assert done.timeliness == "early"
    assert done.fee_vnd == 8000 and done.online_payment == 1 and done.has_e_result and done.digitised
    assert [s.officer for s in done.steps.order_by("seq")] == ["Trần Thị Bình", "Lê Văn Cường"]
    assert Dossier.objects.get(code="A-2").timeliness == "open"
    tally = DossierTally.objects.get(agency_code="H15.01", procedure_code="1.001234")
    assert tally.month.isoformat() == "2025-10-01"
    assert (tally.received, tally.online, tally.finished, tally.early, tally.online_paid) == (2, 2, 1, 1, 2)


def test_the_same_batch_twice_changes_nothing():
    batch = [document("A-1"), document("A-2", MaTTHC="2.000001")]
    ingest(*batch)
    before = state()
    report = ingest(*batch)
    assert (report.accepted, report.duplicates, report.stale) == (0, 2, 0)
    assert state() == before


def test_an_older_version_arriving_after_a_newer_one_is_ignored():
    newer = document("A-1", TrangThaiHoSo=10, NgayCapNhat="20251003150000")
    older = document(
        "A-1",
        TrangThaiHoSo=4,
        NgayKetThucXuLy=None,
        NgayTra=None,
        NgayCapNhat="20251002090000",
        DanhSachGiayToKetQua=[],
    )
    ingest(newer)
    after_newer = state()
    report = ingest(older)
    assert (report.accepted, report.stale) == (0, 1)
    assert state() == after_newer
    assert Dossier.objects.get(code="A-1").status == 10


def test_a_newer_version_replaces_the_row_its_steps_and_its_tally_contribution():
    ingest(document("A-1", TrangThaiHoSo=4, NgayKetThucXuLy=None, NgayTra=None, NgayCapNhat="20251002090000"))
    report = ingest(document("A-1", DonViXuLy="H15.02"))
    assert report.accepted == 1
    assert Dossier.objects.get(code="A-1").agency_code == "H15.02"
    assert Dossier.objects.get(code="A-1").steps.count() == 2
    counts = {t.agency_code: t.received for t in DossierTally.objects.all()}
    assert counts == {"H15.01": 0, "H15.02": 1}


def test_within_one_batch_only_the_newest_version_counts():
    old = document("A-1", TrangThaiHoSo=4, NgayKetThucXuLy=None, NgayTra=None, NgayCapNhat="20251002090000")
    new = document("A-1")
    report = ingest(new, old, new)
    assert (report.accepted, report.duplicates, report.stale) == (1, 1, 1)
    assert Dossier.objects.get(code="A-1").status == 10


def test_an_apology_letter_keeps_the_first_promised_date():
    ingest(
        document(
            "A-1",
            NgayHenTra="20251010170000",
            DanhSachHoSoBoSung=[
                {
                    "NgayBoSung": "20251005090000",
                    "NgayTiepNhanBoSung": "20251005090000",
                    "NgayHenTraTruoc": "20251006170000",
                    "NgayHenTraMoi": "20251010170000",
                    "TrangThaiBoSung": "1",
                }
            ],
        )
    )
    stored = Dossier.objects.get(code="A-1")
    assert stored.due_at == datetime(2025, 10, 10, 17, tzinfo=VN_TZ)
    assert stored.original_due_at == datetime(2025, 10, 6, 17, tzinfo=VN_TZ)


def test_bad_records_are_rejected_by_field_and_quarantined_while_the_rest_is_stored():
    bad = document("A-2")
    del bad["MaTTHC"]
    report = ingest(document("A-1"), bad, document("A-3", NgayTiepNhan="2025-13-45"))
    assert report.accepted == 1
    assert [(r.index, r.record, r.field) for r in report.rejected] == [
        (1, "A-2", "MaTTHC"),
        (2, "A-3", "NgayTiepNhan"),
    ]
    assert "documents[1]" in report.rejected[0].location
    quarantined = Quarantine.objects.order_by("id")
    assert [(q.record, q.errors[0]["field"], q.state) for q in quarantined] == [
        ("A-2", "MaTTHC", "open"),
        ("A-3", "NgayTiepNhan", "open"),
    ]
    assert "bắt buộc" in quarantined[0].errors[0]["message"]


def test_a_fixed_quarantined_record_replays_into_the_store():
    bad = document("A-2")
    del bad["MaTTHC"]
    ingest(bad)
    item = Quarantine.objects.get()
    report = services.replay_quarantined(items=[item], now=NOW)
    assert (
        len(report.rejected) == 1 and Quarantine.objects.get().state == "open"
    )  # still wrong: nothing stored
    assert not Dossier.objects.filter(code="A-2").exists()
    services.fix_quarantined(item=item, raw=services._ENCODE(document("A-2")).decode())
    report = services.replay_quarantined(items=[Quarantine.objects.get()], now=NOW)
    assert report.accepted == 1 and report.rejected == []
    assert Quarantine.objects.get().state == "replayed"
    assert Dossier.objects.filter(code="A-2").exists()


def test_unknown_agencies_are_accepted_and_reported_unless_strict(settings):
    report = ingest(document("A-1", DonViXuLy="X99"))
    assert report.accepted == 1 and report.unknown_agencies == {"X99"}
    settings.THUOCDO = {**settings.THUOCDO, "DOSSIERS_STRICT_AGENCIES": True}
    report = ingest(document("A-2", DonViXuLy="X99"))
    assert report.accepted == 0
    assert [(r.field, r.record) for r in report.rejected] == [("DonViXuLy", "A-2")]


def test_status_events_move_a_dossier_on_once_and_in_time_order():
    ingest(document("A-1", TrangThaiHoSo=4, NgayKetThucXuLy=None, NgayTra=None, NgayCapNhat="20251002090000"))
    finished = {"MaHoSo": "A-1", "TrangThai": 9, "ThoiDiem": "20251003100000"}
    returned = {"MaHoSo": "A-1", "TrangThai": 10, "ThoiDiem": "20251003150000"}
    report = services.ingest_events(
        records=[("e0", returned), ("e1", finished)], source=None, batch="t", now=NOW
    )
    assert report.accepted == 2
    stored = Dossier.objects.get(code="A-1")
    assert stored.status == 10
    assert stored.finished_at == datetime(2025, 10, 3, 10, tzinfo=VN_TZ)
    assert stored.returned_at == datetime(2025, 10, 3, 15, tzinfo=VN_TZ)
    assert stored.timeliness == "early"
    before = state()
    again = services.ingest_events(records=[("e0", finished)], source=None, batch="t", now=NOW)
    assert (again.accepted, again.duplicates) == (0, 1)
    assert state() == before
    tally = DossierTally.objects.get()
    assert (tally.received, tally.finished, tally.early) == (1, 1, 1)


def test_an_event_that_arrives_before_its_dossier_applies_when_the_dossier_lands():
    services.ingest_events(
        records=[("e0", {"MaHoSo": "A-1", "TrangThai": 9, "ThoiDiem": "20251003100000"})],
        source=None,
        batch="t",
        now=NOW,
    )
    ingest(document("A-1", TrangThaiHoSo=4, NgayKetThucXuLy=None, NgayTra=None, NgayCapNhat="20251002090000"))
    assert Dossier.objects.get(code="A-1").status == 9


def test_an_event_older_than_the_document_does_not_change_it():
    ingest(document("A-1"))
    before = state()
    services.ingest_events(
        records=[("e0", {"MaHoSo": "A-1", "TrangThai": 4, "ThoiDiem": "20251002080000"})],
        source=None,
        batch="t",
        now=NOW,
    )
    assert state()["dossiers"] == before["dossiers"]


def test_bad_events_are_quarantined_naming_the_field():
    report = services.ingest_events(
        records=[("events[0]", {"MaHoSo": "A-1", "TrangThai": 42, "ThoiDiem": "20251003100000"})],
        source=None,
        batch="t",
        now=NOW,
    )
    assert [(r.field, r.record) for r in report.rejected] == [("TrangThai", "A-1")]
    assert Quarantine.objects.get().kind == "event"


def _versions(code: str, n: int) -> list[dict]:
    # Successive states of one dossier: received, processing, then finished; each a newer NgayCapNhat.
    out = []
    for k in range(n):
        day = 2 + k
        if k == n - 1:
            out.append(
                document(
                    code,
                    NgayCapNhat=f"202510{day:02d}180000",
                    NgayKetThucXuLy=f"202510{day:02d}170000",
                    NgayTra=f"202510{day:02d}175000",
                    NgayHenTra="20251020170000",
                )
            )
        else:
            out.append(
                document(
                    code,
                    TrangThaiHoSo=4,
                    NgayKetThucXuLy=None,
                    NgayTra=None,
                    NgayHenTra="20251020170000",
                    NgayCapNhat=f"202510{day:02d}090000",
                    DonViXuLy=f"H15.0{k + 1}",
                )
            )
    return out


STREAM = [d for code in ("A-1", "A-2", "A-3") for d in _versions(code, 3)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    order=st.permutations(list(range(len(STREAM)))),
    repeats=st.lists(st.integers(0, len(STREAM) - 1), max_size=6),
    batch=st.integers(1, 5),
)
def test_any_order_and_repetition_ends_as_the_newest_versions_alone(order, repeats, batch):
    stream = [STREAM[i] for i in [*order, *repeats]]
    newest = [vs[-1] for vs in (_versions(c, 3) for c in ("A-1", "A-2", "A-3"))]
    with transaction.atomic():
        mark = transaction.savepoint()
        ingest(*newest)
        expected = state()
        transaction.savepoint_rollback(mark)
        for start in range(0, len(stream), batch):
            ingest(*stream[start : start + batch])
        assert state() == expected
        transaction.savepoint_rollback(mark)


def test_the_fast_path_stores_exactly_what_the_full_parser_would(monkeypatch):
    from thuocdo.dossiers.synthetic import generate

    docs = list(generate(150, seed=12))
    docs += [document("A-1"), document("A-2", DanhSachHoSoBoSung=STREAM[0]["DanhSachHoSoBoSung"])]
    with transaction.atomic():
        mark = transaction.savepoint()
        fast = ingest(*docs)
        assert fast.accepted == len(docs)
        expected = state()
        transaction.savepoint_rollback(mark)
        # Every document through parse_document and classify instead.
        monkeypatch.setattr(services, "scan_document", lambda obj: None)
        slow = ingest(*docs)
        assert (slow.accepted, slow.rejected) == (fast.accepted, fast.rejected)
        assert state() == expected
        transaction.savepoint_rollback(mark)


@pytest.mark.django_db(transaction=True)
def test_a_write_outside_a_transaction_is_refused_and_stores_nothing():
    # In autocommit PostgreSQL would end the staging table and the lock at each statement and the batch
    # could vanish; the service refuses instead of acknowledging what it did not store.
    with pytest.raises(services.TransactionRequired):
        services.ingest_documents(records=[("r1", document("AUTO-1"))], source=None, batch="t", now=NOW)
    assert not Dossier.objects.filter(code="AUTO-1").exists()
