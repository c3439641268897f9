"""A small province with a department, a commune formed by the 2025 merger and its legacy predecessor, and dossiers."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from thuocdo.core.dossier import VN_TZ, format_timestamp
from thuocdo.dossiers.services import ingest_documents
from thuocdo.dossiers.synthetic import make_document
from thuocdo.indices import services
from thuocdo.units.models import AdminUnit, Agency, UnitLineage

NOW = datetime(2026, 1, 10, 9, 0, tzinfo=VN_TZ)


def _unit(**kw):  # type: ignore[no-untyped-def]
    unit = AdminUnit.objects.create(**kw)
    unit.path = f"{unit.parent.path if unit.parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    return unit


def _agency(**kw):  # type: ignore[no-untyped-def]
    agency = Agency.objects.create(**kw)
    agency.path = f"{agency.parent.path if agency.parent else '/'}{agency.pk}/"
    agency.save(update_fields=["path"])
    return agency


@pytest.fixture
def province(db):  # type: ignore[no-untyped-def]
    """Tỉnh Đắk Lắk: Sở Tư pháp (H66.01), Xã Hòa Phú (new, H66.101) and the old Xã Hòa Xuân (H66.900) merged into it."""
    unit = _unit(code="66", name="Tỉnh Đắk Lắk", level="province", structure="2025")
    commune = _unit(code="24133", name="Xã Hòa Phú", level="commune", structure="2025", parent=unit)
    old_province = _unit(
        code="66", name="Tỉnh Đắk Lắk (cũ)", level="province", structure="legacy", valid_to=date(2025, 7, 1)
    )
    old = _unit(
        code="24130",
        name="Xã Hòa Xuân",
        level="commune",
        structure="legacy",
        parent=old_province,
        valid_to=date(2025, 7, 1),
    )
    UnitLineage.objects.create(predecessor=old, successor=commune, effective_on=date(2025, 7, 1))
    committee = _agency(
        code="H66", name="Ủy ban nhân dân tỉnh Đắk Lắk", kind="province_committee", admin_unit=unit
    )
    _agency(code="H66.01", name="Sở Tư pháp", kind="department", admin_unit=unit, parent=committee)
    _agency(
        code="H66.101",
        name="Ủy ban nhân dân xã Hòa Phú",
        kind="commune_committee",
        admin_unit=commune,
        parent=committee,
    )
    _agency(
        code="H66.900",
        name="Ủy ban nhân dân xã Hòa Xuân",
        kind="commune_committee",
        admin_unit=old,
        valid_to=date(2025, 7, 1),
    )
    return unit


def documents(n: int, *, seed: int = 7, agencies=("H66.01", "H66.101", "H66.900")):  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    start = datetime(2025, 9, 1, tzinfo=VN_TZ)
    return [make_document(rng, seq=i, start=start, days=90, agencies=agencies) for i in range(n)]


def load(docs, *, now=NOW) -> None:  # type: ignore[no-untyped-def]
    # The caller commits (live_server tests run in autocommit), as a request or command would.
    with transaction.atomic():
        ingest_documents(records=[(f"r{i}", d) for i, d in enumerate(docs)], source=None, batch="t", now=now)
        services.sync_facts(now=now)


@pytest.fixture
def dossiers(province):  # type: ignore[no-untyped-def]
    docs = documents(120)
    # One dossier certainly late at the department, with a late processing step by a named official.
    late = dict(docs[0], MaHoSo="H66.01-LATE", DonViXuLy="H66.01", TrangThaiHoSo=10)
    late.update(
        NgayTiepNhan="20251001080000",
        NgayHenTra="20251003170000",
        NgayKetThucXuLy="20251008100000",
        NgayTra="20251008150000",
        DanhSachHoSoBoSung=[],
        QuaTrinhXuLy=[
            {
                "NguoiXuLy": "Trần Văn Chậm",
                "ChucDanh": "Chuyên viên",
                "PhongBanXuLy": "Phòng Hành chính tư pháp",
                "NgayBatDau": "20251001080000",
                "NgayKetThucTheoQuyDinh": "20251002170000",
                "ThoiDiemXuLy": "20251007160000",
                "TrangThai": "4",
                "NoiDungXuLy": "Thẩm định",
            }
        ],
    )
    load([*docs, late])
    return docs


@pytest.fixture
def official(db):  # type: ignore[no-untyped-def]
    return get_user_model().objects.create_superuser("quantri", "qt@example.vn", "mat-khau-dai-123")


def stamp(ts: datetime) -> str:
    return format_timestamp(ts)


__all__ = ["NOW", "documents", "load", "stamp", "timedelta"]
