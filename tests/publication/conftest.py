"""A small hand-made map: Đắk Lắk (66) formed from former Đắk Lắk (66) and Phú Yên (54), three communes,
and Hà Nội (01), unchanged by the merger. Built directly (milliseconds) instead of loading the unit catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from thuocdo.core.text import fold
from thuocdo.units.models import AdminUnit, Agency, ComparisonBlock, UnitLineage

MERGER = date(2025, 7, 1)


@dataclass
class Map:
    dak_lak: AdminUnit
    old_dak_lak: AdminUnit
    phu_yen: AdminUnit
    ha_noi: AdminUnit
    old_ha_noi: AdminUnit
    communes: list[AdminUnit]
    old_commune: AdminUnit
    agencies: list[Agency]


def _unit(code, name, short, level, structure, parent=None, lat=None, lon=None):  # type: ignore[no-untyped-def]
    current = structure == "2025"
    unit = AdminUnit.objects.create(
        code=code,
        name=name,
        short_name=short,
        level=level,
        structure=structure,
        parent=parent,
        valid_from=MERGER if current else None,
        valid_to=None if current else MERGER,
        search_name=fold(name),
        search_short=fold(short),
        latitude=lat,
        longitude=lon,
    )
    unit.path = (parent.path if parent else "/") + f"{unit.pk}/"
    unit.save(update_fields=["path"])
    return unit


@pytest.fixture
def vn_map(db) -> Map:  # type: ignore[no-untyped-def]
    dak_lak = _unit("66", "Tỉnh Đắk Lắk", "Đắk Lắk", "province", "2025", lat=12.7, lon=108.5)
    old_dak_lak = _unit("66", "Tỉnh Đắk Lắk", "Đắk Lắk", "province", "legacy", lat=12.7, lon=108.2)
    phu_yen = _unit("54", "Tỉnh Phú Yên", "Phú Yên", "province", "legacy", lat=13.1, lon=109.1)
    ha_noi = _unit("01", "Thành phố Hà Nội", "Hà Nội", "province", "2025", lat=21.0, lon=105.8)
    old_ha_noi = _unit("01", "Thành phố Hà Nội", "Hà Nội", "province", "legacy", lat=21.0, lon=105.8)
    communes = [
        _unit("24121", "Phường Buôn Ma Thuột", "Buôn Ma Thuột", "commune", "2025", dak_lak, 12.67, 108.04),
        _unit("22015", "Phường Tuy Hòa", "Tuy Hòa", "commune", "2025", dak_lak, 13.08, 109.29),
        _unit("24400", "Xã Ea Kar", "Ea Kar", "commune", "2025", dak_lak, 12.8, 108.45),
    ]
    old_commune = _unit("24122", "Phường Tân Lập", "Tân Lập", "commune", "legacy", old_dak_lak, 12.68, 108.05)
    for old, new in (
        (old_dak_lak, dak_lak),
        (phu_yen, dak_lak),
        (old_ha_noi, ha_noi),
        (old_commune, communes[0]),
    ):
        UnitLineage.objects.create(predecessor=old, successor=new, effective_on=MERGER, is_primary=True)
    block, _ = ComparisonBlock.objects.get_or_create(code="so-nganh", defaults={"name": "Khối sở, ngành"})
    agencies = [
        Agency.objects.create(
            code=f"H15.{i:02d}", name=name, kind="department", admin_unit=dak_lak, block=block
        )
        for i, name in ((2, "Sở Nội vụ"), (3, "Sở Tư pháp"), (4, "Sở Tài chính"))
    ]
    return Map(dak_lak, old_dak_lak, phu_yen, ha_noi, old_ha_noi, communes, old_commune, agencies)


from tests.publication.index766_helpers import world766  # noqa: E402, F401 - a fixture for the 766 tests
from tests.publication.survey_helpers import survey_world  # noqa: E402, F401 - a fixture for the survey tests
