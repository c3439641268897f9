from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from tests.publication.helpers import csv_file
from thuocdo.audit.models import AuditEntry
from thuocdo.publication import selectors, services
from thuocdo.publication.models import Snapshot


def test_a_new_target_version_replaces_the_old_one_from_its_date(vn_map):
    services.set_target(
        measure="sipas",
        threshold=Decimal(90),
        target_year=2025,
        label="≥ 90% năm 2025",
        effective_from=date(2021, 7, 15),
    )
    services.set_target(
        measure="sipas",
        threshold=Decimal(92),
        target_year=2025,
        label="≥ 92% năm 2025",
        effective_from=date(2024, 1, 1),
    )
    assert [t.threshold for t in selectors.targets_in_force("sipas", on=date(2023, 6, 1))] == [Decimal(90)]
    assert [t.threshold for t in selectors.targets_in_force("sipas", on=date(2024, 6, 1))] == [Decimal(92)]
    assert AuditEntry.objects.filter(action="publication.set_target").count() == 2


def test_a_unit_target_overrides_the_general_one(vn_map):
    services.set_target(
        measure="sipas",
        threshold=Decimal(90),
        target_year=2025,
        label="chung",
        effective_from=date(2021, 1, 1),
    )
    services.set_target(
        measure="sipas",
        threshold=Decimal(88),
        target_year=2025,
        label="Đắk Lắk",
        effective_from=date(2021, 1, 1),
        unit=vn_map.dak_lak,
    )
    assert [
        t.label for t in selectors.targets_in_force("sipas", on=date(2025, 1, 1), unit=vn_map.dak_lak)
    ] == ["Đắk Lắk"]
    assert [
        t.label for t in selectors.targets_in_force("sipas", on=date(2025, 1, 1), unit=vn_map.ha_noi)
    ] == ["chung"]


def test_targets_must_be_valid():
    with pytest.raises(ValueError, match="không hợp lệ"):
        services.set_target(
            measure="hai_long",
            threshold=Decimal(90),
            target_year=2025,
            label="x",
            effective_from=date(2021, 1, 1),
        )


def _communes(values):
    rows = [[code, 2025, "sipas", value, n] for code, (value, n) in values.items()]
    services.import_history(source=csv_file(["unit_code", "year", "measure", "value", "n"], *rows))


def test_snapshots_rank_within_groups_skip_small_samples_and_track_changes(vn_map):
    _communes({"24121": (90, 50), "22015": (85, 40), "24400": (99, 2)})
    services.take_snapshot(on=date(2026, 1, 1))
    rows = selectors.latest_snapshot_rows("sipas", "commune:66")
    assert [(r.code, r.rank) for r in rows] == [("24121", 1), ("22015", 2), ("24400", None)]
    _communes({"24121": (80, 50), "22015": (86, 40), "24400": (99, 2)})
    call_command("publication", "snapshot", "--date", "2026-01-02")
    rows = selectors.latest_snapshot_rows("sipas", "commune:66")
    assert [(r.code, r.rank, r.previous_rank, r.rank_change) for r in rows] == [
        ("22015", 1, 2, 1),
        ("24121", 2, 1, -1),
        ("24400", None, None, None),
    ]
    assert Snapshot.objects.filter(group="commune:66").count() == 2
    assert AuditEntry.objects.filter(action="publication.snapshot").count() == 2


def test_a_year_covered_by_one_province_alone_is_not_a_national_ranking(vn_map):
    services.import_history(
        source=csv_file(
            ["unit_code", "year", "measure", "value"],
            ["1", 2024, "sipas", "83.5"],
            ["66", 2024, "sipas", 83],
            ["54", 2024, "sipas", 85],
            ["66", 2025, "sipas", 88],
        )
    )
    year, points = selectors.province_table("sipas")
    assert year == 2024
    assert [p.name for p in points] == ["Tỉnh Đắk Lắk", "Thành phố Hà Nội"]
