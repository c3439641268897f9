"""The ingestion fast path (scan_document, scan_verdict) agrees with parse_document and classify."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from thuocdo.core.dossier import DossierError, format_timestamp, parse_document, scan_document
from thuocdo.core.timeliness import original_due, scan_verdict, stored_verdict

# Stamps close together, so that received / due / finished / supplements fall in every order,
# including on the same day and across midnight.
STAMPS = [
    "20251001080000",
    "20251001163000",
    "20251001235959",
    "20251002000000",
    "20251002090000",
    "20251003100000",
    "20251003150000",
    "20251006170000",
    "20251006235900",
    "20251007080000",
]
ODD = [
    None,
    "",
    " ",
    "  X  ",
    "20251301080000",  # month 13
    "20251001086000",  # minute 60
    "2025-10-02T09:00:00",  # ISO: valid for the parser, not for the fast path
    "2025-10-02 09:00:00+00:00",
    "202510010800",
    "２０２５１００１０８００００",  # full-width digits
    0,
    1,
    2,
    7,
    -5,
    "1",
    "2",
    True,
    2.0,
    [],
    {},
    [{}],
    "[]",
]

stamp = st.sampled_from(STAMPS)
maybe_stamp = st.one_of(st.none(), stamp)


def odd(base: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the plain value, about one time in twenty something unusual."""
    return st.integers(0, 19).flatmap(lambda k: st.sampled_from(ODD) if k == 0 else base)


supplement = st.fixed_dictionaries(
    {"NgayBoSung": odd(stamp)},
    optional={
        "NgayTiepNhanBoSung": odd(maybe_stamp),
        "NgayHenTraTruoc": odd(maybe_stamp),
        "NgayHenTraMoi": odd(maybe_stamp),
        "TrangThaiBoSung": odd(st.sampled_from(["0", "1"])),
    },
)
submitted = st.fixed_dictionaries(
    {},
    optional={
        "DuocSoHoa": odd(st.sampled_from([0, 1])),
        "DuocTaiSuDung": odd(st.sampled_from([0, 1])),
        "DuocLayTuKhoDMQG": odd(st.sampled_from([0, 1])),
        "DuongDanTaiTepTin": odd(st.sampled_from(["", "/a.pdf"])),
        "MaThanhPhanHoSo": odd(st.just("TP1")),
    },
)
result = st.fixed_dictionaries(
    {},
    optional={
        "DuongDanTepTinKetQua": odd(st.sampled_from(["", " ", "/kq.pdf"])),
        "MaGiayToKetQua": odd(st.sampled_from(["", "KQ1"])),
    },
)
fee = st.fixed_dictionaries(
    {"Gia": odd(st.sampled_from([0, 8000, 50000, "12000", " 300 ", "1.5"]))},
    optional={"TenPhiLePhi": odd(st.just("Lệ phí"))},
)
step = st.fixed_dictionaries(
    {},
    optional={
        "NguoiXuLy": odd(st.sampled_from(["Trần Thị Bình", " Lê Văn Cường "])),
        "ChucDanh": odd(st.just("Chuyên viên")),
        "PhongBanXuLy": odd(st.just("Bộ phận Một cửa")),
        "ThoiDiemXuLy": odd(maybe_stamp),
        "NgayBatDau": odd(maybe_stamp),
        "NgayKetThucTheoQuyDinh": odd(maybe_stamp),
        "TrangThai": odd(st.sampled_from(["2", "9", "x"])),
        "NoiDungXuLy": odd(st.just("Chuyển xử lý")),
    },
)


def items(of: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return odd(st.lists(odd(of), max_size=3))


documents = st.fixed_dictionaries(
    {
        "MaHoSo": odd(st.just("H15.01-251001-0001")),
        "MaTTHC": odd(st.just("1.001234")),
        "DonViXuLy": odd(st.just("H15.01")),
        "NgayTiepNhan": odd(st.sampled_from(STAMPS[:3])),
        "TrangThaiHoSo": odd(st.integers(1, 10)),
        "KenhThucHien": odd(st.integers(1, 3)),
    },
    optional={
        "TenTTHC": odd(st.just("Đăng ký khai sinh")),
        "MaLinhVuc": odd(st.just(" HT ")),
        "NgayHenTra": odd(maybe_stamp),
        "NgayKetThucXuLy": odd(maybe_stamp),
        "NgayTra": odd(maybe_stamp),
        "NgayTuChoi": odd(maybe_stamp),
        "NgayCapNhat": odd(maybe_stamp),
        "DanhSachHoSoBoSung": items(supplement),
        "TaiLieuNop": items(submitted),
        "DanhSachGiayToKetQua": items(result),
        "DanhSachLePhi": items(fee),
        "DSKetNoiCSDL": items(st.fixed_dictionaries({"MaCSDL": odd(st.just("CSDLQGDC"))})),
        "QuaTrinhXuLy": items(step),
        "DuocThanhToanTrucTuyen": odd(st.sampled_from([0, 1, 2])),
        "HoSoCoThanhPhanSoHoa": odd(st.sampled_from([0, 1])),
        "TaiKhoanDuocXacThucVoiVNeID": odd(st.sampled_from([0, 1])),
        "KhongHaiLong": odd(st.sampled_from([0, 1])),
        "CoPAKN": odd(st.sampled_from([0, 1])),
        "ChuHoSo": st.just("Hồ Văn Minh"),  # not read by the parser: ignored by both
    },
)


def _ts(value: Any) -> str | None:
    return None if value is None else format_timestamp(value)


@settings(max_examples=1500, deadline=None)
@given(documents)
def test_the_fast_path_accepts_only_valid_documents_and_agrees_with_the_parser(doc):
    try:
        d = parse_document(doc, record="r")
    except DossierError:
        d = None
    s = scan_document(doc)
    if s is None:
        return
    assert d is not None, "the fast path accepted a document the parser rejects"
    assert (s.code, s.procedure_code, s.field_code, s.agency_code) == (
        d.code,
        d.procedure_code,
        d.field_code,
        d.agency_code,
    )
    assert (s.channel, s.status, s.online_payment) == (int(d.channel), int(d.status), d.online_payment)
    assert [s.received, s.due, s.finished, s.returned, s.rejected] == [
        _ts(t) for t in (d.received_at, d.due_at, d.finished_at, d.returned_at, d.rejected_at)
    ]
    assert s.original_due == _ts(original_due(d, None)[0])
    assert s.version_at == format_timestamp(d.version_at)
    assert s.supplement_wait_s == sum(
        int((x.completed_at - x.requested_at).total_seconds())
        for x in d.supplements
        if x.completed_at is not None
    )
    assert s.fee == int(d.fee_total)
    assert s.e_result == d.has_electronic_result
    assert s.digitised == (d.has_digitised_component or any(t.digitised for t in d.documents))
    assert s.reused == any(t.reused for t in d.documents)
    assert s.from_personal_store == any(t.from_personal_store for t in d.documents)
    assert (s.vneid, s.population) == (d.vneid_verified, d.vneid_verified or bool(d.databases))
    assert s.steps == tuple(
        (x.handler, x.title, x.department, x.status, _ts(x.started_at), _ts(x.due_at), _ts(x.at))
        for x in d.steps
    )
    assert scan_verdict(s) == stored_verdict(d)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "MaHoSo": st.just("A-1"),
            "MaTTHC": st.just("1.001"),
            "DonViXuLy": st.just("H15.01"),
            "NgayTiepNhan": st.sampled_from(STAMPS[:4]),
            "TrangThaiHoSo": st.integers(1, 10),
            "KenhThucHien": st.integers(1, 3),
            "NgayHenTra": maybe_stamp,
            "NgayKetThucXuLy": stamp,
            "NgayCapNhat": maybe_stamp,
            "DanhSachHoSoBoSung": st.lists(
                st.fixed_dictionaries(
                    {"NgayBoSung": stamp, "NgayTiepNhanBoSung": maybe_stamp, "NgayHenTraTruoc": maybe_stamp}
                ),
                max_size=3,
            ),
        }
    )
)
def test_the_stored_verdict_agrees_with_classify_whenever_the_fast_path_applies(doc):
    try:
        d = parse_document(doc, record="r")
    except DossierError:
        return
    s = scan_document(doc)
    assert s is not None  # every valid document of this shape takes the fast path
    assert scan_verdict(s) == stored_verdict(d)


def test_plain_documents_take_the_fast_path_and_unusual_ones_do_not():
    doc = {
        "MaHoSo": "A-1",
        "MaTTHC": "1.001",
        "DonViXuLy": "H15.01",
        "NgayTiepNhan": "20251001080000",
        "NgayHenTra": "20251006170000",
        "NgayKetThucXuLy": "20251003100000",
        "TrangThaiHoSo": 9,
        "KenhThucHien": 2,
        "Unknown": {"kept": "in raw, ignored here"},
    }
    s = scan_document(doc)
    assert s is not None and s.version_at == "20251003100000" and scan_verdict(s) == "early"
    # Valid for the parser, but the fast path leaves them to it.
    assert scan_document({**doc, "KenhThucHien": "2"}) is None
    assert scan_document({**doc, "NgayTiepNhan": "2025-10-01T08:00:00"}) is None
    assert scan_document({**doc, "NgayTiepNhan": "20251301080000"}) is None  # and the parser rejects it
