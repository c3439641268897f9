"""Read the administrative-unit dataset shipped offline by the `vietnamadminunits` package (MIT).

The package holds a SQLite file with the two-tier structure in force from 1 July 2025 (`admin_units`),
the three-tier structure before it (`admin_units_legacy`) and `converter_2025.json`, which maps every
legacy commune to its new commune(s). This module turns them into plain records; it touches no database
of ours, so the loader (services.load_units) can diff them against what is stored.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from thuocdo.core.text import fold

CURRENT = "2025"
LEGACY = "legacy"
PROVINCE, DISTRICT, COMMUNE = "province", "district", "commune"
REORGANISED_ON = date(2025, 7, 1)
PROVINCE_RESOLUTION = "Nghị quyết 202/2025/QH15"

UnitKey = tuple[str, str, str]  # (structure, level, code)


@dataclass(frozen=True)
class UnitRecord:
    structure: str
    level: str
    code: str
    name: str
    short_name: str
    division_type: str
    parent: UnitKey | None
    latitude: float | None
    longitude: float | None
    area_km2: float | None

    @property
    def key(self) -> UnitKey:
        return (self.structure, self.level, self.code)


@dataclass(frozen=True)
class LineageRecord:
    predecessor: UnitKey
    successor: UnitKey
    is_primary: bool
    note: str


@dataclass
class Dataset:
    units: list[UnitRecord]
    lineage: list[LineageRecord]


def data_dir() -> Path:
    """Where the installed package keeps dataset.db and converter_2025.json."""
    return Path(str(resources.files("vietnamadminunits") / "data"))


def _division_type(full: str, short: str) -> str:
    # "Thành phố Hà Nội" / "Hà Nội" -> "Thành phố"; the package has no province-type column.
    return full[: -len(short)].strip() if short and full.endswith(short) else ""


def loose_key(text: str) -> str:
    """Folded text without punctuation: "Bà Rịa - Vũng Tàu" → "ba ria vung tau", "M'Drắk" → "mdrak"."""
    return " ".join(re.sub(r"[^\w\s]", " ", fold(text).replace("'", "").replace("’", "")).split())


def _float(value: object) -> float | None:
    return None if value in (None, "") else float(value)  # type: ignore[arg-type]


_CURRENT_SQL = (
    "SELECT province, provinceShort, provinceCode, provinceKey, provinceLat, provinceLon,"
    " ward, wardShort, wardType, wardCode, wardKey, wardLat, wardLon, wardAreaKm2"
    " FROM admin_units ORDER BY provinceCode, wardCode"
)
_LEGACY_SQL = (
    "SELECT province, provinceShort, provinceCode, provinceKey, provinceLat, provinceLon,"
    " district, districtShort, districtType, districtCode, districtKey, districtLat, districtLon,"
    " ward, wardShort, wardType, wardCode, wardKey, wardLat, wardLon"
    " FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode"
)


@lru_cache(maxsize=1)
def _raw_data() -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    # The package's files never change while the process runs; parse them once.
    folder = data_dir()
    connection = sqlite3.connect(f"file:{folder / 'dataset.db'}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        current = connection.execute(_CURRENT_SQL).fetchall()
        legacy = connection.execute(_LEGACY_SQL).fetchall()
    finally:
        connection.close()
    converter = json.loads((folder / "converter_2025.json").read_text(encoding="utf-8"))
    return [dict(r) for r in current], [dict(r) for r in legacy], converter


def read_dataset(provinces: Iterable[str] | None = None) -> Dataset:
    """Both structures and their lineage; `provinces` (current codes, e.g. ["66"]) restricts to those provinces."""
    wanted = {p.zfill(2) for p in provinces} if provinces is not None else None
    current_rows, legacy_rows, converter = _raw_data()

    new_province_by_key: dict[str, str] = {}
    new_ward_by_key: dict[tuple[str, str], str] = {}
    units: list[UnitRecord] = []
    provinces_seen: dict[str, list[dict[str, Any]]] = {}
    for row in current_rows:
        if wanted is not None and row["provinceCode"] not in wanted:
            continue
        provinces_seen.setdefault(row["provinceCode"], []).append(row)
        new_province_by_key[row["provinceKey"]] = row["provinceCode"]
        new_ward_by_key[(row["provinceKey"], row["wardKey"])] = row["wardCode"]
    for code, rows in provinces_seen.items():
        first = rows[0]
        # A province's area is the sum of its communes' areas: the new communes partition the province.
        area = sum(r["wardAreaKm2"] or 0.0 for r in rows)
        units.append(
            UnitRecord(
                CURRENT,
                PROVINCE,
                code,
                first["province"],
                first["provinceShort"],
                _division_type(first["province"], first["provinceShort"]),
                None,
                _float(first["provinceLat"]),
                _float(first["provinceLon"]),
                round(area, 2) if area else None,
            )
        )
    units.extend(
        UnitRecord(
            CURRENT,
            COMMUNE,
            row["wardCode"],
            row["ward"],
            row["wardShort"],
            row["wardType"] or "",
            (CURRENT, PROVINCE, row["provinceCode"]),
            _float(row["wardLat"]),
            _float(row["wardLon"]),
            _float(row["wardAreaKm2"]),
        )
        for rows in provinces_seen.values()
        for row in rows
    )

    # Legacy provinces that became part of a wanted current province.
    legacy_to_new_province: dict[str, str] = {}
    for new_key, old_keys in converter["DICT_PROVINCE"].items():
        for old_key in old_keys:
            if new_key in new_province_by_key:
                legacy_to_new_province[old_key] = new_province_by_key[new_key]
    legacy_provinces: dict[str, dict[str, Any]] = {}
    legacy_districts: dict[str, dict[str, Any]] = {}
    legacy_key_to_unit: dict[str, UnitKey] = {}
    legacy_communes: list[UnitRecord] = []
    for row in legacy_rows:
        if row["provinceKey"] not in legacy_to_new_province:
            continue
        legacy_provinces.setdefault(row["provinceCode"], row)
        legacy_districts.setdefault(row["districtCode"], row)
        district_key = (LEGACY, DISTRICT, row["districtCode"])
        if not row["wardCode"]:
            # Island districts without communes (Côn Đảo, Lý Sơn, ...) became special zones directly.
            legacy_key_to_unit[f"{row['provinceKey']}_{row['districtKey']}_"] = district_key
            continue
        legacy_key_to_unit[f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey']}"] = (
            LEGACY,
            COMMUNE,
            row["wardCode"],
        )
        legacy_communes.append(
            UnitRecord(
                LEGACY,
                COMMUNE,
                row["wardCode"],
                row["ward"],
                row["wardShort"],
                row["wardType"] or "",
                district_key,
                _float(row["wardLat"]),
                _float(row["wardLon"]),
                None,
            )
        )
    for code, row in legacy_provinces.items():
        units.append(
            UnitRecord(
                LEGACY,
                PROVINCE,
                code,
                row["province"],
                row["provinceShort"],
                _division_type(row["province"], row["provinceShort"]),
                None,
                _float(row["provinceLat"]),
                _float(row["provinceLon"]),
                None,
            )
        )
    for code, row in legacy_districts.items():
        units.append(
            UnitRecord(
                LEGACY,
                DISTRICT,
                code,
                row["district"],
                row["districtShort"],
                row["districtType"] or "",
                (LEGACY, PROVINCE, row["provinceCode"]),
                _float(row["districtLat"]),
                _float(row["districtLon"]),
                None,
            )
        )
    units.extend(legacy_communes)

    lineage: list[LineageRecord] = []
    for old_key, new_code in legacy_to_new_province.items():
        old_code = next((c for c, r in legacy_provinces.items() if r["provinceKey"] == old_key), None)
        if old_code is not None:
            lineage.append(
                LineageRecord(
                    (LEGACY, PROVINCE, old_code), (CURRENT, PROVINCE, new_code), True, PROVINCE_RESOLUTION
                )
            )
    for province_key, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, old_keys in wards.items():
            new_ward = new_ward_by_key.get((province_key, ward_key))
            if new_ward is None:
                continue
            note = "sáp nhập" if len(old_keys) > 1 else "giữ nguyên địa giới"
            for old_key in old_keys:
                old_unit = legacy_key_to_unit.get(old_key)
                if old_unit is not None:
                    lineage.append(LineageRecord(old_unit, (CURRENT, COMMUNE, new_ward), True, note))
    for province_key, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, parts in olds.items():
            old_unit = legacy_key_to_unit.get(old_key)
            if old_unit is None:
                continue
            for part in parts:
                new_ward = new_ward_by_key.get((province_key, part["newWardKey"]))
                if new_ward is not None:
                    primary = bool(part["isDefaultNewWard"])
                    note = "chia tách (phần chính)" if primary else "chia tách"
                    lineage.append(LineageRecord(old_unit, (CURRENT, COMMUNE, new_ward), primary, note))
    return Dataset(units=units, lineage=lineage)
