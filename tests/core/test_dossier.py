"""Parsing synced dossier documents: fields, errors naming record and field, round trips."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thuocdo.core.dossier import (
    VN_TZ,
    Channel,
    Dossier,
    DossierError,
    Status,
    flatten,
    parse_document,
    parse_row,
    parse_timestamp,
    to_document,
    unit_matches,
)

BASE = {
    "MaHoSo": "H66.01-251003-0001",
    "MaTTHC": "1.001",
    "KenhThucHien": 2,
    "TrangThaiHoSo": 10,
    "DonViXuLy": "H66.01",
    "NgayTiepNhan": "20251003083015",
    "NgayHenTra": "20251008170000",
    "NgayKetThucXuLy": "20251007100000",
    "DanhSachLePhi": [{"Gia": 50000, "TenPhiLePhi": "Lệ phí"}],
    "TaiLieuNop": [{"DuocSoHoa": 1, "DuocTaiSuDung": "1", "DuongDanTaiTepTin": "/a.pdf"}],
    "DanhSachGiayToKetQua": [{"DuongDanTepTinKetQua": "/kq.pdf", "MaGiayToKetQua": "KQ"}],
    "DanhSachHoSoBoSung": [{"NgayBoSung": "20251004090000", "NgayTiepNhanBoSung": "20251005090000"}],
    "QuaTrinhXuLy": [{"NguoiXuLy": "Nguyễn Văn A", "ThoiDiemXuLy": "20251009090000"}],
}


def test_a_document_becomes_typed_values_in_vietnam_time():
    d = parse_document(BASE, record="dòng 1")
    assert d.received_at == datetime(2025, 10, 3, 8, 30, 15, tzinfo=VN_TZ)
    assert d.received_at.utcoffset() == timedelta(hours=7)
    assert d.channel is Channel.ONLINE and d.status is Status.RETURNED
    assert d.fee_total == Decimal(50000)
    assert d.documents[0].digitised and d.documents[0].reused and not d.documents[0].from_personal_store
    assert d.has_electronic_result
    assert d.supplements[0].completed_at == datetime(2025, 10, 5, 9, tzinfo=VN_TZ)
    assert d.steps[0].handler == "Nguyễn Văn A"
    # Without NgayCapNhat, the latest timestamp orders updates.
    assert d.version_at == datetime(2025, 10, 9, 9, tzinfo=VN_TZ)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"MaHoSo": ""}, "MaHoSo", "bắt buộc"),
        ({"MaTTHC": None}, "MaTTHC", "bắt buộc"),
        ({"DonViXuLy": " "}, "DonViXuLy", "bắt buộc"),
        ({"NgayTiepNhan": None}, "NgayTiepNhan", "bắt buộc"),
        ({"NgayTiepNhan": "2025-13-01"}, "NgayTiepNhan", "không hợp lệ"),
        ({"NgayTiepNhan": "20251032083015"}, "NgayTiepNhan", "không hợp lệ"),
        ({"NgayHenTra": "20251002170000"}, "NgayHenTra", "trước ngày tiếp nhận"),
        ({"TrangThaiHoSo": 11}, "TrangThaiHoSo", "không hợp lệ"),
        ({"KenhThucHien": "4"}, "KenhThucHien", "không hợp lệ"),
        ({"DuocThanhToanTrucTuyen": 3}, "DuocThanhToanTrucTuyen", "không hợp lệ"),
        ({"NgayKetThucXuLy": None}, "NgayKetThucXuLy", "trạng thái 10"),
        ({"DanhSachLePhi": [{"Gia": "-1"}]}, "DanhSachLePhi[0].Gia", "không hợp lệ"),
        (
            {"DanhSachHoSoBoSung": [{"NgayTiepNhanBoSung": "20251005090000"}]},
            "DanhSachHoSoBoSung[0].NgayBoSung",
            "bắt buộc",
        ),
        ({"TaiLieuNop": [{}, {"DuocSoHoa": 2}]}, "TaiLieuNop[1].DuocSoHoa", "không hợp lệ"),
        ({"TaiLieuNop": "{not json"}, "TaiLieuNop", "JSON"),
    ],
)
def test_every_problem_names_record_and_field(change, field, message):
    with pytest.raises(DossierError) as info:
        parse_document({**BASE, **change}, record="dòng 7")
    err = info.value
    assert err.field == field
    assert message in err.message
    assert err.record.startswith("dòng 7")
    assert f"trường «{field}»" in str(err)


def test_the_record_names_the_dossier_code():
    with pytest.raises(DossierError, match=r"dòng 3 \(hồ sơ X-1\)"):
        parse_document({**BASE, "MaHoSo": "X-1", "TrangThaiHoSo": 0}, record="dòng 3")


def test_iso_timestamps_are_accepted_for_hand_edited_files():
    assert parse_timestamp("2025-10-03T08:30:15") == datetime(2025, 10, 3, 8, 30, 15, tzinfo=VN_TZ)
    assert parse_timestamp("2025-10-03T01:30:15+00:00") == datetime(2025, 10, 3, 8, 30, 15, tzinfo=VN_TZ)


def test_units_match_by_code_prefix_with_a_dot():
    assert unit_matches("H66.01", "H66.01")
    assert unit_matches("H66.01.05", "H66.01")
    assert not unit_matches("H66.010", "H66.01")
    assert not unit_matches("H66", "H66.01")


stamps = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)).map(
    lambda t: t.replace(microsecond=0, tzinfo=VN_TZ)
)
flags = st.sampled_from([0, 1])


@st.composite
def documents(draw):
    received = draw(stamps)
    later = st.integers(0, 10**6).map(lambda s: received + timedelta(seconds=s))
    status = draw(st.integers(1, 10))
    doc = {
        "MaHoSo": draw(st.text("ABCH0123456789.-", min_size=1, max_size=20)),
        "MaTTHC": draw(st.sampled_from(["1.001", "2.002"])),
        "TenTTHC": draw(st.text(max_size=10).map(str.strip)),
        "KenhThucHien": draw(st.integers(1, 3)),
        "TrangThaiHoSo": status,
        "DonViXuLy": "H66.01",
        "NgayTiepNhan": received.strftime("%Y%m%d%H%M%S"),
        "NgayHenTra": draw(st.none() | later.map(lambda t: t.strftime("%Y%m%d%H%M%S"))),
        "NgayKetThucXuLy": draw(later).strftime("%Y%m%d%H%M%S"),
        "DuocThanhToanTrucTuyen": draw(st.integers(0, 2)),
        "HoSoCoThanhPhanSoHoa": draw(flags),
        "TaiLieuNop": draw(
            st.lists(
                st.fixed_dictionaries(
                    {"DuocSoHoa": flags, "DuocTaiSuDung": flags, "DuongDanTaiTepTin": st.just("/f")}
                ),
                max_size=3,
            )
        ),
        "DanhSachLePhi": draw(st.lists(st.fixed_dictionaries({"Gia": st.integers(0, 10**6)}), max_size=2)),
        "DanhSachHoSoBoSung": [{"NgayBoSung": draw(later).strftime("%Y%m%d%H%M%S")}],
        "KhongHaiLong": draw(st.sampled_from([None, 0, 1])),
    }
    return {k: v for k, v in doc.items() if v is not None}


@given(documents())
def test_documents_and_csv_rows_round_trip(doc):
    d = parse_document(doc, record="x")
    # The fast builder gives what the dataclass constructor gives.
    assert Dossier(*(getattr(d, f.name) for f in fields(Dossier))) == d
    assert parse_document(to_document(d), record="x") == d
    row = flatten(d)
    assert all(isinstance(v, str) for v in row.values())
    assert parse_row(row, record="x") == d
