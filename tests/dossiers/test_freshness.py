"""Real time: every path that writes dossiers updates the 766 index in the same transaction (issue #3 item 6)."""

from __future__ import annotations

import json
from datetime import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from ninja.testing import TestClient

from thuocdo.core.dossier import parse_document
from thuocdo.core.index766 import parse_period
from thuocdo.dossiers import services
from thuocdo.dossiers.api import router
from thuocdo.dossiers.models import Dossier, Quarantine
from thuocdo.dossiers.signals import dossiers_stored
from thuocdo.indices import selectors
from thuocdo.indices.facts import facts_of
from thuocdo.indices.models import DossierFact
from thuocdo.indices.services import fact_from_row, stored_state, sync_facts

from .factories import NOW, document

pytestmark = pytest.mark.django_db
client = TestClient(router)
NATIONAL = selectors.Scope("national", "Toàn quốc", None)


def index_2_1(period: str = "2025-10") -> tuple[int, int]:
    """Indicator 2.1 (within time, counted) for the whole country, as the index pages read it."""
    p = parse_period(period)
    return selectors.dossier_tallies(NATIONAL, p.start_at, p.end_at).counts["2.1"]


def post(path: str, body: dict, key: str):
    return client.post(
        path, data=json.dumps(body), content_type="application/json", headers={"X-API-Key": key}
    )


def assert_index_matches_a_full_rebuild() -> None:
    """The facts the hook wrote equal those derived again from the stored rows; a sync finds nothing to do."""
    params = selectors.current_parameters()
    stored = {r[0]: fact_from_row(r) for r in selectors.fact_rows()}
    rebuilt = {}
    for code, raw, status, finished, returned in Dossier.objects.values_list(
        "code", "raw", "status", "finished_at", "returned_at"
    ):
        parsed = stored_state(
            parse_document(json.loads(raw), record=code),
            status=status,
            finished_at=finished,
            returned_at=returned,
        )
        rebuilt[code] = facts_of(parsed, paper=True, params=params)
    assert stored == rebuilt
    assert sync_facts(codes=list(rebuilt), now=datetime.now(NOW.tzinfo)).changed == 0


def test_an_accepted_http_batch_is_in_the_index_when_the_answer_arrives(source_and_key):
    _, key = source_and_key
    assert index_2_1() == (0, 0)
    late = document(
        "A-2", NgayKetThucXuLy="20251008100000", NgayTra="20251008150000", NgayCapNhat="20251008150000"
    )
    body = post("/batch", {"documents": [document("A-1"), late]}, key).json()
    assert body["accepted"] == 2
    assert index_2_1() == (1, 2)  # no sync, no follower: one early, one late
    again = post("/batch", {"documents": [document("A-1"), late]}, key).json()
    assert again["duplicates"] == 2 and index_2_1() == (1, 2)
    assert_index_matches_a_full_rebuild()


def test_a_file_import_is_in_the_index_as_each_batch_commits(tmp_path):
    path = tmp_path / "hoso.jsonl"
    docs = [document(f"B-{i}", MaTTHC=f"1.00{i % 3}") for i in range(7)]
    path.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs) + "\n", encoding="utf-8")
    call_command("dossiers", "import", str(path), "--no-progress", "--batch-size", "3", stdout=StringIO())
    assert index_2_1() == (7, 7)
    assert DossierFact.objects.count() == 7
    assert_index_matches_a_full_rebuild()


def test_a_status_event_moves_the_index_at_once():
    open_doc = document(
        "C-1",
        TrangThaiHoSo=4,
        NgayKetThucXuLy=None,
        NgayTra=None,
        DanhSachGiayToKetQua=[],
        NgayCapNhat="20251002090000",
    )
    services.ingest_documents(records=[("r", open_doc)], source=None, batch="b", now=NOW)
    assert index_2_1() == (0, 1)  # still open at the end of October and past its due date: late
    report = services.ingest_events(
        records=[("e", {"MaHoSo": "C-1", "TrangThai": 10, "ThoiDiem": "20251004100000"})],
        source=None,
        batch="e",
        now=NOW,
    )
    assert report.accepted == 1
    assert index_2_1() == (1, 1)  # returned on 04/10, before the due day 06/10: early
    assert_index_matches_a_full_rebuild()


def test_a_replayed_quarantine_record_reaches_the_index():
    bad = document("D-1")
    del bad["MaTTHC"]
    services.ingest_documents(records=[("r", bad)], source=None, batch="b", now=NOW)
    item = Quarantine.objects.get()
    assert index_2_1() == (0, 0)
    services.fix_quarantined(item=item, raw=json.dumps(document("D-1")))
    services.replay_quarantined(items=[item], now=NOW)
    assert index_2_1() == (1, 1)
    assert_index_matches_a_full_rebuild()


def test_a_failing_receiver_leaves_nothing_half_written(source_and_key):
    _, key = source_and_key

    def broken(**kwargs):
        raise RuntimeError("index unavailable")

    dossiers_stored.connect(broken, dispatch_uid="test.broken")
    try:
        with pytest.raises(RuntimeError):
            post("/batch", {"documents": [document("E-1")]}, key)
    finally:
        dossiers_stored.disconnect(dispatch_uid="test.broken")
    assert not Dossier.objects.exists() and not DossierFact.objects.exists()


def test_an_apology_letter_tells_the_index_and_leaves_the_first_promise_in_force():
    from thuocdo.dossiers import apology

    doc = document("F-1", TrangThaiHoSo=4, NgayKetThucXuLy=None, NgayTra=None, NgayCapNhat="20251002090000")
    services.ingest_documents(records=[("r", doc)], source=None, batch="b", now=NOW)
    heard: list[list[str]] = []

    def listen(**kwargs):
        heard.append(list(kwargs["codes"]))

    dossiers_stored.connect(listen, dispatch_uid="test.listen")
    try:
        apology.issue_apology_letter(
            dossier=Dossier.objects.get(code="F-1"),
            reason="Cần xác minh thông tin với cơ quan liên quan.",
            new_due_at=datetime(2025, 11, 20, 16, 0, tzinfo=NOW.tzinfo),
            signer_title="Giám đốc",
            signer_name="Trần Thị Hoa",
            actor="test",
            now=NOW,
        )
    finally:
        dossiers_stored.disconnect(dispatch_uid="test.listen")
    assert heard == [["F-1"]]
    assert index_2_1() == (0, 1)  # still judged against 06/10 17:00 (766 rule 12), so late at the month's end
    assert_index_matches_a_full_rebuild()
