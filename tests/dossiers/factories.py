"""Hand-made dossier documents and a way to read back everything that is stored."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from django.utils import timezone

from thuocdo.dossiers import services
from thuocdo.dossiers.models import Dossier, DossierStep, DossierTally

NOW = datetime(2025, 11, 3, 9, 0, tzinfo=timezone.get_fixed_timezone(7 * 60))


def document(code: str = "H15.01-251001-0001", **changes: Any) -> dict[str, Any]:
    """A valid, returned-on-time HoSoDongBoDVC document; keyword arguments replace fields."""
    doc: dict[str, Any] = {
        "MaHoSo": code,
        "MaTTHC": "1.001234",
        "TenTTHC": "Đăng ký khai sinh",
        "MaLinhVuc": "HT",
        "KenhThucHien": 2,
        "NgayTiepNhan": "20251001080000",
        "NgayHenTra": "20251006170000",
        "NgayKetThucXuLy": "20251003100000",
        "NgayTra": "20251003150000",
        "TrangThaiHoSo": 10,
        "DonViXuLy": "H15.01",
        "DanhSachHoSoBoSung": [],
        "TaiLieuNop": [{"MaThanhPhanHoSo": "TP1", "DuocSoHoa": 1, "DuocTaiSuDung": 0, "DuocLayTuKhoDMQG": 0}],
        "DanhSachGiayToKetQua": [{"MaGiayToKetQua": "KQ1", "DuongDanTepTinKetQua": "/kq/1.pdf"}],
        "DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí", "Gia": 8000}],
        "DuocThanhToanTrucTuyen": 1,
        "QuaTrinhXuLy": [
            {
                "NguoiXuLy": "Trần Thị Bình",
                "PhongBanXuLy": "Bộ phận Một cửa",
                "NgayBatDau": "20251001080000",
                "NgayKetThucTheoQuyDinh": "20251001170000",
                "ThoiDiemXuLy": "20251001090000",
                "TrangThai": "2",
            },
            {
                "NguoiXuLy": "Lê Văn Cường",
                "PhongBanXuLy": "Phòng Tư pháp",
                "NgayBatDau": "20251001090000",
                "NgayKetThucTheoQuyDinh": "20251003170000",
                "ThoiDiemXuLy": "20251003100000",
                "TrangThai": "9",
            },
        ],
        "NgayCapNhat": "20251003150000",
    }
    doc.update(copy.deepcopy(changes))
    return doc


def ingest(*docs: dict[str, Any], source: Any = None) -> services.IngestReport:
    """Ingest documents as one batch, the way the API does."""
    return services.ingest_documents(
        records=[(f"documents[{i}]", d) for i, d in enumerate(docs)], source=source, batch="test", now=NOW
    )


def state() -> dict[str, Any]:
    """Everything a reader could see of the stored dossiers, steps and tallies (ids and write times left out)."""
    dossiers = {
        row["code"]: row
        for row in Dossier.objects.values(
            *[f.attname for f in Dossier._meta.concrete_fields if f.attname not in ("id", "updated_at")]
        )
    }
    steps = sorted(
        DossierStep.objects.values_list("dossier__code", "seq", "officer", "department", "acted_at")
    )
    tallies = sorted(
        tuple(row)
        for row in DossierTally.objects.values_list(
            *[f.attname for f in DossierTally._meta.concrete_fields if f.attname != "id"]
        )
        if any(row[3:])
    )
    return {"dossiers": dossiers, "steps": steps, "tallies": tallies}
