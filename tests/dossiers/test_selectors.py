from __future__ import annotations

from datetime import datetime

import pytest

from thuocdo.core.dossier import VN_TZ
from thuocdo.dossiers import selectors

from .factories import document, ingest

pytestmark = pytest.mark.django_db
OCTOBER = (datetime(2025, 10, 1, tzinfo=VN_TZ), datetime(2025, 11, 1, tzinfo=VN_TZ))


def late_step_document(code, officer, agency="H15.66.001"):
    return document(
        code,
        DonViXuLy=agency,
        QuaTrinhXuLy=[
            {
                "NguoiXuLy": officer,
                "PhongBanXuLy": "Văn phòng",
                "NgayBatDau": "20251001080000",
                "NgayKetThucTheoQuyDinh": "20251002170000",
                "ThoiDiemXuLy": "20251003100000",
                "TrangThai": "4",
            },
            {
                "NguoiXuLy": "Đúng Hạn",
                "PhongBanXuLy": "Văn phòng",
                "NgayBatDau": "20251003100000",
                "NgayKetThucTheoQuyDinh": "20251006170000",
                "ThoiDiemXuLy": "20251003120000",
                "TrangThai": "9",
            },
        ],
    )


def test_late_steps_are_counted_per_officer_within_an_agency_subtree():
    ingest(
        late_step_document("A-1", "Nguyễn Văn An"),
        late_step_document("A-2", "Nguyễn Văn An"),
        late_step_document("A-3", "Trần Thị Bình"),
        late_step_document("A-4", "Trần Thị Bình", agency="H15.02"),
    )
    counts = selectors.late_steps_by_officer(start=OCTOBER[0], end=OCTOBER[1], agency_code="H15.66")
    assert [(r["officer"], r["late"]) for r in counts] == [("Nguyễn Văn An", 2), ("Trần Thị Bình", 1)]
    everywhere = selectors.late_steps_by_officer(start=OCTOBER[0], end=OCTOBER[1])
    assert [(r["officer"], r["late"]) for r in everywhere] == [("Nguyễn Văn An", 2), ("Trần Thị Bình", 2)]


def test_completed_dossiers_form_the_sampling_frame_of_a_period():
    ingest(
        document("A-1"),
        document("A-2", TrangThaiHoSo=4, NgayKetThucXuLy=None, NgayTra=None),
        document(
            "A-3",
            NgayTiepNhan="20250901080000",
            NgayHenTra="20250905170000",
            NgayKetThucXuLy="20250903100000",
            NgayTra="20250903150000",
            NgayCapNhat="20250903150000",
        ),
    )
    frame = selectors.completed_dossiers(start=OCTOBER[0], end=OCTOBER[1])
    assert [d.code for d in frame] == ["A-1"]
