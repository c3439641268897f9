"""index_for_many: one grouped read for many scopes, equal to index_for scope by scope."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from thuocdo.core.dossier import VN_TZ
from thuocdo.indices import selectors
from thuocdo.indices.models import DossierFact, ReportedFigure
from thuocdo.units.models import Agency, ComparisonBlock

from .conftest import NOW

PERIODS = ["2025-10", "2025-Q4", "2025-09-10..2025-11-20", "2025-W44", "2026-01"]
AS_OF = [None, datetime(2025, 10, 17, 14, 30, tzinfo=VN_TZ), datetime(2025, 11, 1, 0, 0, tzinfo=VN_TZ)]


@pytest.fixture
def figures(dossiers):  # type: ignore[no-untyped-def]
    """Reported 1.4 counts and 4.6 copies for two agencies, so the entered tallies differ between scopes."""
    dept, commune = Agency.objects.get(code="H66.01"), Agency.objects.get(code="H66.101")
    for agency, reported in ((dept, 15), (commune, 9)):
        ReportedFigure.objects.create(
            agency=agency, indicator="1.4", month=date(2025, 10, 1), numerator=reported
        )
    ReportedFigure.objects.create(
        agency=commune, indicator="4.6", month=date(2025, 10, 1), numerator=3, denominator=4
    )
    block = ComparisonBlock.objects.create(code="SO", name="Khối sở")
    Agency.objects.filter(code__in=["H66.01", "H66.101"]).update(block=block)
    return dossiers


def _scopes() -> list[selectors.Scope]:
    province = selectors.resolve_scope("province:66")
    scopes = [province, *selectors.child_scopes(province), *selectors.block_scopes("SO")]
    scopes.append(selectors.resolve_scope("national"))
    procedures = sorted(set(DossierFact.objects.values_list("procedure_code", flat=True)))
    for base in (province, selectors.resolve_scope("agency:H66.01"), selectors.resolve_scope("national")):
        scopes += [base.narrowed(procedure=p) for p in procedures[:6]]
    return scopes


@pytest.mark.parametrize("as_of", AS_OF)
@pytest.mark.parametrize("period", PERIODS)
def test_many_equals_one_by_one(figures, period, as_of):  # type: ignore[no-untyped-def]
    scopes = _scopes()
    assert len(scopes) > 10
    many = selectors.index_for_many(scopes, period, as_of or NOW)
    assert set(many) == set(scopes)
    for scope in scopes:
        one = selectors.index_for(scope, period, as_of or NOW)
        assert many[scope] == one, scope


def test_children_differ_and_carry_their_own_entered_figures(figures):  # type: ignore[no-untyped-def]
    province = selectors.resolve_scope("province:66")
    children = selectors.child_scopes(province)
    many = selectors.index_for_many(children, "2025-10", NOW)
    by_key = {s.key: v for s, v in many.items()}
    # 1.4 of the department is its own synced dossiers against its own reported 15.
    assert by_key["agency:H66.01"].tallies["1.4"].denominator >= 15
    assert "4.6" in by_key["commune:24133"].tallies and "4.6" not in by_key["agency:H66.01"].tallies
    received = {k: v.tallies["3.3"].denominator for k, v in by_key.items() if "3.3" in v.tallies}
    assert sum(received.values()) == selectors.index_for(province, "2025-10", NOW).tallies["3.3"].denominator


def test_many_reads_each_table_once_not_once_per_scope(figures):  # type: ignore[no-untyped-def]
    province = selectors.resolve_scope("province:66")
    many = [province, *selectors.child_scopes(province), *selectors.block_scopes("SO")]
    one = [selectors.resolve_scope("agency:H66.01")]
    selectors.index_for_many(one, "2025-Q4", NOW, with_feedback=False)  # warm the calendar cache
    with CaptureQueriesContext(connection) as alone:
        selectors.index_for_many(one, "2025-Q4", NOW, with_feedback=False)
    with CaptureQueriesContext(connection) as batched:
        selectors.index_for_many(many, "2025-Q4", NOW, with_feedback=False)
    with CaptureQueriesContext(connection) as one_by_one:
        for s in many:
            selectors.index_for(s, "2025-Q4", NOW, with_feedback=False)
    assert len(batched) == len(alone) < len(one_by_one)
