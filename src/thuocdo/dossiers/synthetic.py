"""Seeded, realistic HoSoDongBoDVC documents for the demo, the tests and the ingestion benchmark.

Documents look like what a provincial one-stop system syncs: a MaHoSo of the form
`{agency}-{yymmdd}-{sequence}`, a few submitted files, three to six processing steps, a fee on
some procedures, a result file once finished, and now and then a supplement request or an
apology letter with a new promised date. No Django, no clock: `start` and `rng` are parameters.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from thuocdo.core.dossier import VN_TZ, format_timestamp

DEFAULT_AGENCIES = tuple(f"H15.{n:02d}" for n in range(1, 15)) + tuple(
    f"H15.66.{n:03d}" for n in range(1, 103)
)
DEFAULT_PROCEDURES = tuple(f"1.{n:06d}" for n in range(1000, 1120)) + tuple(
    f"2.{n:06d}" for n in range(2000, 2040)
)
OFFICERS = (
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Văn Cường",
    "Phạm Thị Dung",
    "Hoàng Văn Em",
    "Huỳnh Thị Giang",
    "Võ Văn Hải",
    "Đặng Thị Hoa",
    "Bùi Văn Khánh",
    "Đỗ Thị Lan",
    "Hồ Văn Minh",
    "Ngô Thị Ngọc",
)
DEPARTMENTS = ("Bộ phận Một cửa", "Phòng Chuyên môn", "Lãnh đạo đơn vị", "Văn thư")
COMPONENTS = ("Tờ khai", "Giấy tờ tùy thân", "Giấy chứng nhận", "Bản vẽ", "Văn bản ủy quyền")

# (status, weight): most dossiers are returned; a minority are open, refused or withdrawn.
_STATUS_WEIGHTS = ((10, 55), (9, 10), (4, 15), (5, 4), (2, 5), (3, 3), (7, 2), (8, 2), (6, 4))


def _stamp(value: datetime | None) -> str | None:
    return None if value is None else format_timestamp(value)


def _procedure_for(
    rng: random.Random,
    agency: str,
    procedures: Sequence[str],
    assignments: Mapping[str, Sequence[str]] | None,
) -> str:
    # Each agency handles a handful of procedures, a few of them most of the time (as in real registers).
    own = list((assignments or {}).get(agency, ()))[:12]
    if not own:
        offset = sum(map(ord, agency)) % len(procedures)
        own = [procedures[(offset + k * 7) % len(procedures)] for k in range(12)]
    return rng.choices(own, _ZIPF[: len(own)])[0]


_ZIPF = [1 / (k + 1) for k in range(12)]


def make_document(
    rng: random.Random,
    *,
    seq: int,
    start: datetime,
    days: int = 365,
    agencies: Sequence[str] = DEFAULT_AGENCIES,
    procedures: Sequence[str] = DEFAULT_PROCEDURES,
    assignments: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """One document received within `days` after `start` (an aware datetime); `assignments` maps agency → procedures."""
    agency = rng.choice(agencies)
    procedure = _procedure_for(rng, agency, procedures, assignments)
    received = start + timedelta(
        days=rng.randrange(days), hours=rng.randrange(7, 17), minutes=rng.randrange(60)
    )
    received = received.astimezone(VN_TZ)
    limit_days = rng.choice((1, 3, 5, 7, 10, 15, 20))
    due = received + timedelta(days=limit_days)
    status = rng.choices([s for s, _ in _STATUS_WEIGHTS], [w for _, w in _STATUS_WEIGHTS])[0]
    channel = rng.choices((1, 2, 3), (45, 50, 5))[0]
    ended = status in (7, 8, 9, 10)
    finished = received + timedelta(hours=rng.randrange(2, int(limit_days * 24 * 1.3) + 3)) if ended else None
    returned = finished + timedelta(hours=rng.randrange(1, 48)) if status == 10 and finished else None
    supplements: list[dict[str, Any]] = []
    if status == 5 or rng.random() < 0.06:
        asked = received + timedelta(hours=rng.randrange(1, 24))
        done = None if status == 5 else asked + timedelta(hours=rng.randrange(4, 72))
        supplements.append(
            {
                "NgayBoSung": _stamp(asked),
                "NgayTiepNhanBoSung": _stamp(done),
                "TrangThaiBoSung": "1" if done else "0",
                "NoiDungBoSung": "Bổ sung bản sao giấy tờ",
            }
        )
    if finished is not None and finished > due and rng.random() < 0.5:
        new_due = due + timedelta(days=rng.randrange(1, 5))
        supplements.append(
            {
                "NgayBoSung": _stamp(due - timedelta(hours=20)),
                "NgayTiepNhanBoSung": _stamp(due - timedelta(hours=20)),
                "NgayHenTraTruoc": _stamp(due),
                "NgayHenTraMoi": _stamp(new_due),
                "TrangThaiBoSung": "1",
                "NoiDungBoSung": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
            }
        )
    n_steps = rng.randrange(3, 7)
    end = finished or received + timedelta(hours=rng.randrange(1, limit_days * 24))
    span = (end - received) / n_steps
    steps = []
    for i in range(n_steps):
        begin = received + span * i
        steps.append(
            {
                "NguoiXuLy": rng.choice(OFFICERS),
                "ChucDanh": "Chuyên viên" if i else "Cán bộ tiếp nhận",
                "PhongBanXuLy": DEPARTMENTS[min(i, len(DEPARTMENTS) - 1)],
                "ThoiDiemXuLy": _stamp(begin + span),
                "NgayBatDau": _stamp(begin),
                "NgayKetThucTheoQuyDinh": _stamp(begin + timedelta(days=max(1, limit_days // n_steps))),
                "TrangThai": str(min(4 + i, 9)),
                "NoiDungXuLy": "Chuyển xử lý" if i < n_steps - 1 else "Hoàn thành",
            }
        )
    fee = procedure.endswith(("0", "5"))
    online = channel == 2
    return {
        "MaHoSo": f"{agency}-{received:%y%m%d}-{seq:07d}",
        "MaTTHC": procedure,
        "TenTTHC": f"Thủ tục {procedure}",
        "MaLinhVuc": f"LV{procedure[-2:]}",
        "KenhThucHien": channel,
        "ChuHoSo": rng.choice(OFFICERS),
        "NgayTiepNhan": _stamp(received),
        "NgayHenTra": _stamp(due),
        "NgayKetThucXuLy": _stamp(finished),
        "NgayTra": _stamp(returned),
        "NgayTuChoi": _stamp(received + timedelta(hours=2)) if status == 3 else None,
        "TrangThaiHoSo": status,
        "DonViXuLy": agency,
        "DanhSachHoSoBoSung": supplements,
        "TaiLieuNop": [
            {
                "TenTepDinhKem": f"{rng.choice(COMPONENTS)}.pdf",
                "MaThanhPhanHoSo": f"TP{k}",
                "DuongDanTaiTepTin": f"/files/{seq}/{k}.pdf" if online or rng.random() < 0.6 else "",
                "DuocSoHoa": int(online or rng.random() < 0.6),
                "DuocTaiSuDung": int(rng.random() < 0.3),
                "DuocLayTuKhoDMQG": int(rng.random() < 0.15),
            }
            for k in range(rng.randrange(1, 5))
        ],
        "DanhSachGiayToKetQua": (
            [{"TenGiayTo": "Kết quả", "MaGiayToKetQua": f"KQ{seq}", "DuongDanTepTinKetQua": f"/kq/{seq}.pdf"}]
            if finished is not None and rng.random() < 0.7
            else []
        ),
        "DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí", "Gia": rng.choice((10000, 20000, 50000, 100000))}]
        if fee
        else [],
        "DuocThanhToanTrucTuyen": (rng.choice((1, 2)) if online and rng.random() < 0.6 else 0) if fee else 0,
        "HoSoCoThanhPhanSoHoa": int(online or rng.random() < 0.5),
        "TaiKhoanDuocXacThucVoiVNeID": int(online and rng.random() < 0.7),
        "DSKetNoiCSDL": [{"MaCSDL": "CSDLQGDC"}] if rng.random() < 0.4 else [],
        "QuaTrinhXuLy": steps,
    }


def generate(
    n: int, *, seed: int = 766, start: datetime | None = None, days: int = 365, first_seq: int = 1
) -> Iterator[dict[str, Any]]:
    """`n` documents from a seeded generator (the same seed always gives the same documents)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    origin = start or datetime(2025, 7, 1, tzinfo=VN_TZ)
    for i in range(n):
        yield make_document(rng, seq=first_seq + i, start=origin, days=days)
