import itertools
from datetime import date
from decimal import Decimal

from thuocdo.publication import demo, selectors
from thuocdo.publication.models import PublishedFigure
from thuocdo.web.demo import DemoContext


def test_demo_builds_history_with_back_casts_targets_and_a_snapshot(vn_map):
    said: list[str] = []
    demo.build(DemoContext(today=date(2026, 1, 15), say=said.append))
    series = selectors.series(unit=vn_map.dak_lak)
    assert [p.year for p in series] == [*range(2014, 2026)]
    assert all(p.is_estimate and p.is_demo for p in series[:-1]) and not series[-1].is_estimate
    values = [p.value for p in series[:10]]
    dips = [2014 + i + 1 for i, (a, b) in enumerate(itertools.pairwise(values)) if b < a]
    assert dips == [2016]  # the one dip the article describes
    old = {p.year: p.value for p in selectors.series(unit=vn_map.old_dak_lak)}
    assert old[2018] == Decimal("80.600") and old[2023] == Decimal("85.710")
    assert [t.threshold for t in selectors.targets_in_force("sipas", on=date(2026, 1, 1))] == [
        Decimal(90),
        Decimal(95),
    ]
    assert PublishedFigure.objects.filter(agency__isnull=False).count() == 3
    assert selectors.latest_snapshot_rows("sipas", "commune:66")
    assert any("ảnh chụp xếp hạng" in line for line in said)
