"""A small province for the published 766 index: two block departments, two communes (one formed by the 2025
merger from a legacy commune whose dossiers must count for it), and dossiers from September to November 2025."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from django.db import transaction

from thuocdo.core.dossier import VN_TZ
from thuocdo.core.text import fold
from thuocdo.dossiers.services import ingest_documents
from thuocdo.dossiers.synthetic import make_document
from thuocdo.indices import services as index_services
from thuocdo.units.models import AdminUnit, Agency, ComparisonBlock, UnitLineage

NOW = datetime(2026, 1, 10, 9, 0, tzinfo=VN_TZ)
CODES = ("H66.01", "H66.02", "H66.101", "H66.102", "H66.900")


def _unit(**kw):  # type: ignore[no-untyped-def]
    kw.setdefault("short_name", kw["name"].split(" ", 1)[1])
    unit = AdminUnit.objects.create(**kw, search_name=fold(kw["name"]), search_short=fold(kw["short_name"]))
    unit.path = f"{unit.parent.path if unit.parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    return unit


def _agency(**kw):  # type: ignore[no-untyped-def]
    agency = Agency.objects.create(**kw)
    agency.path = f"{agency.parent.path if agency.parent else '/'}{agency.pk}/"
    agency.save(update_fields=["path"])
    return agency


@dataclass
class World:
    province: AdminUnit
    communes: list[AdminUnit]
    departments: list[Agency]
    legacy_agency: Agency


def load(docs) -> None:  # type: ignore[no-untyped-def]
    # One transaction, as the ingest API and command commit at their edge (browser tests run in autocommit).
    with transaction.atomic():
        ingest_documents(records=[(f"r{i}", d) for i, d in enumerate(docs)], source=None, batch="t", now=NOW)
        index_services.sync_facts(now=NOW)


@pytest.fixture
def world766(db) -> World:  # type: ignore[no-untyped-def]
    province = _unit(code="66", name="Tỉnh Đắk Lắk", short_name="Đắk Lắk", level="province", structure="2025")
    communes = [
        _unit(code="24133", name="Xã Hòa Phú", level="commune", structure="2025", parent=province),
        _unit(code="24140", name="Phường Tân An", level="commune", structure="2025", parent=province),
    ]
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
    UnitLineage.objects.create(predecessor=old, successor=communes[0], effective_on=date(2025, 7, 1))
    block, _ = ComparisonBlock.objects.get_or_create(
        code="so-nganh", defaults={"name": "Khối sở, ban, ngành"}
    )
    communes_block, _ = ComparisonBlock.objects.get_or_create(
        code="xa-phuong", defaults={"name": "Khối xã, phường"}
    )
    committee = _agency(
        code="H66", name="Ủy ban nhân dân tỉnh Đắk Lắk", kind="province_committee", admin_unit=province
    )
    departments = [
        _agency(
            code="H66.01",
            name="Sở Tư pháp",
            kind="department",
            admin_unit=province,
            parent=committee,
            block=block,
        ),
        _agency(
            code="H66.02",
            name="Sở Nội vụ",
            kind="department",
            admin_unit=province,
            parent=committee,
            block=block,
        ),
    ]
    for code, commune in (("H66.101", communes[0]), ("H66.102", communes[1])):
        _agency(
            code=code,
            name=f"Ủy ban nhân dân {commune.name.lower()}",
            kind="commune_committee",
            admin_unit=commune,
            parent=committee,
            block=communes_block,
        )
    legacy_agency = _agency(
        code="H66.900",
        name="Ủy ban nhân dân xã Hòa Xuân",
        kind="commune_committee",
        admin_unit=old,
        valid_to=date(2025, 7, 1),
    )
    rng = random.Random(766)
    start = datetime(2025, 9, 1, tzinfo=VN_TZ)
    load([make_document(rng, seq=i, start=start, days=90, agencies=CODES) for i in range(260)])
    return World(province, communes, departments, legacy_agency)
