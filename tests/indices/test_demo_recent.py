"""The demo's recent dossiers look like a live register at "now": mostly settled on time, few open and late."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from thuocdo.core.dossier import VN_TZ, parse_document, parse_timestamp
from thuocdo.dossiers.synthetic import make_document
from thuocdo.indices.demo import _recent, _tune

HORIZON = datetime(2026, 11, 20, 17, 0, tzinfo=VN_TZ)
STAMPS = ("NgayTiepNhan", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi")


def _recent_documents(n: int) -> list[dict]:
    rng = random.Random(4)
    start = datetime.combine(HORIZON.date() - timedelta(days=44), time(0), tzinfo=VN_TZ)
    out = []
    for seq in range(n):
        doc = make_document(rng, seq=seq, start=start, days=45)
        out.append(_recent(_tune(doc, rng, start), rng, HORIZON))
    return out


def test_recent_dossiers_happen_before_now_and_settle_mostly_on_time():
    docs = _recent_documents(3000)
    for doc in docs:
        parse_document(doc, record=doc["MaHoSo"])  # still a valid document
        for name in STAMPS:
            assert not doc.get(name) or parse_timestamp(doc[name]) <= HORIZON, (doc["MaHoSo"], name)
        for step in doc["QuaTrinhXuLy"]:
            assert parse_timestamp(step["ThoiDiemXuLy"]) <= HORIZON, doc["MaHoSo"]
    handled = [d for d in docs if d["TrangThaiHoSo"] not in (3, 7, 8)]
    settled = [d for d in handled if d["NgayKetThucXuLy"]]
    late = [d for d in settled if d["NgayKetThucXuLy"] > d["NgayHenTra"]]
    still_open = [d for d in handled if not d["NgayKetThucXuLy"]]
    overdue = [d for d in still_open if parse_timestamp(d["NgayHenTra"]) < HORIZON]
    assert 0.03 <= len(late) / len(settled) <= 0.10
    # Open dossiers are those received in the last days (limits run up to 20 days), a few of them overdue.
    assert 0.05 <= len(still_open) / len(handled) <= 0.30
    assert len(overdue) <= 0.1 * len(still_open)
    assert all(parse_timestamp(d["NgayTiepNhan"]) > HORIZON - timedelta(days=30) for d in still_open)
    # Receipts continue up to "now": the last three days hold their share of the 45.
    last_days = [d for d in docs if parse_timestamp(d["NgayTiepNhan"]) > HORIZON - timedelta(days=3)]
    assert len(last_days) >= 0.04 * len(docs)
