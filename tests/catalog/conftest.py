"""Catalogue fixtures: a small province with two departments and two commune committees, and the sample file."""

from __future__ import annotations

from pathlib import Path

import pytest

from thuocdo.units.models import AdminUnit, Agency

SAMPLE = Path(__file__).resolve().parents[2] / "src/thuocdo/catalog/data/sample-procedures.csv"


@pytest.fixture
def sample_file() -> Path:
    return SAMPLE


@pytest.fixture
def province(db):  # type: ignore[no-untyped-def]
    """Tỉnh Đắk Lắk (66) with Sở Tư pháp, Sở Xây dựng and two commune People's Committees."""
    unit = AdminUnit.objects.create(code="66", name="Tỉnh Đắk Lắk", level="province", structure="2025")
    communes = [
        AdminUnit.objects.create(code=code, name=name, level="commune", structure="2025", parent=unit)
        for code, name in [("24121", "Phường Buôn Ma Thuột"), ("24133", "Xã Hòa Phú")]
    ]
    committee = Agency.objects.create(
        code="H15", name="Ủy ban nhân dân tỉnh Đắk Lắk", kind="province_committee", admin_unit=unit
    )
    for code, name in [("H15.03", "Sở Tư pháp"), ("H15.05", "Sở Xây dựng")]:
        Agency.objects.create(code=code, name=name, kind="department", admin_unit=unit, parent=committee)
    for number, commune in enumerate(communes, start=101):
        Agency.objects.create(
            code=f"H15.{number}",
            name=f"Ủy ban nhân dân {commune.name.lower()}",
            kind="commune_committee",
            admin_unit=commune,
            parent=committee,
        )
    return unit
