"""The index facts the ingestion hook derives from scanned documents equal those of the full parser."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thuocdo.core.dossier import VN_TZ, format_timestamp, parse_document, scan_document
from thuocdo.core.rulesets import Parameters
from thuocdo.dossiers.synthetic import make_document
from thuocdo.indices.facts import facts_of, facts_of_scan, facts_of_stored

ORIGIN = datetime(2025, 9, 1, tzinfo=VN_TZ)


def _mutate(rng: random.Random, doc: dict) -> dict:
    doc = dict(doc)
    received = parse_document(doc, record="x").received_at
    if rng.random() < 0.3:
        # Supplements, often overlapping, sometimes still pending.
        waits = []
        for _ in range(rng.randint(1, 3)):
            start = received + timedelta(minutes=rng.randrange(0, 8000))
            end = None if rng.random() < 0.3 else start + timedelta(minutes=rng.randrange(0, 5000))
            item = {
                "NgayBoSung": format_timestamp(start),
                "NgayTiepNhanBoSung": end and format_timestamp(end),
            }
            if rng.random() < 0.3:
                item["NgayHenTraTruoc"] = format_timestamp(received + timedelta(days=rng.randrange(1, 9)))
            waits.append(item)
        doc["DanhSachHoSoBoSung"] = waits
    if rng.random() < 0.2:
        doc["NgayHenTra"] = None
    if rng.random() < 0.2:
        doc["TrangThaiHoSo"] = rng.choice([1, 3, 7, 8])
        if rng.random() < 0.5:
            doc["NgayTuChoi"] = format_timestamp(received + timedelta(hours=rng.randrange(1, 400)))
    if rng.random() < 0.2:
        doc["KhongHaiLong"] = 1
    if rng.random() < 0.1:
        doc["CoPAKN"] = 1
    if rng.random() < 0.3:
        doc["DSKetNoiCSDL"] = [{"MaCSDL": rng.choice(["DC", "DN", " DC "])}]
    if rng.random() < 0.2:
        doc["DanhSachGiayToKetQua"] = [{"DuongDanTepTinKetQua": "/kq.pdf", "MaGiayToKetQua": ""}]
    if rng.random() < 0.2:
        doc["TaiLieuNop"] = [{"DuongDanTaiTepTin": "  ", "DuocTaiSuDung": 0}]
    return doc


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    granularity=st.sampled_from(["timestamp", "date"]),
    allowed=st.integers(0, 3),
    population=st.sampled_from([(), ("DC",)]),
    paper=st.booleans(),
)
def test_scanned_facts_equal_parsed_facts(seed, granularity, allowed, population, paper):
    rng = random.Random(seed)
    params = Parameters(
        granularity=granularity, supplement_requests_allowed=allowed, population_database_codes=population
    )
    scanned = 0
    for seq in range(30):
        doc = _mutate(rng, make_document(rng, seq=seq, start=ORIGIN, days=60))
        try:
            parsed = parse_document(doc, record="x")
        except ValueError:
            continue  # the mutation made it invalid (both paths refuse it; tests/core covers that)
        scan = scan_document(doc)
        expected = facts_of(parsed, paper=paper, params=params)
        if scan is not None:
            scanned += 1
            assert facts_of_scan(scan, paper=paper, params=params) == expected, doc
            assert facts_of_stored(scan, paper=paper, params=params) == expected
        assert facts_of_stored(parsed, paper=paper, params=params) == expected
    assert scanned > 10


@pytest.mark.parametrize("granularity", ["timestamp", "date"])
def test_an_open_dossier_turns_late_just_after_its_due_time(granularity):
    doc = {
        "MaHoSo": "H66.01-251001-1",
        "MaTTHC": "1.001",
        "KenhThucHien": 2,
        "TrangThaiHoSo": 4,
        "DonViXuLy": "H66.01",
        "NgayTiepNhan": "20251001080000",
        "NgayHenTra": "20251003170000",
    }
    facts = facts_of_scan(scan_document(doc), paper=True, params=Parameters(granularity=granularity))
    expected = (
        datetime(2025, 10, 3, 17, 0, 0, 1, tzinfo=VN_TZ)
        if granularity == "timestamp"
        else datetime(2025, 10, 4, tzinfo=VN_TZ)
    )
    assert facts.late_at == expected
    assert facts.final == "" and facts.online and facts.due_known
