"""Rule sets in the database, entered figures, merged units, levels and periods."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from thuocdo.audit.models import AuditEntry
from thuocdo.core.index766 import Tally
from thuocdo.indices import selectors, services
from thuocdo.indices.models import RuleSet
from thuocdo.units.models import Agency

from .conftest import NOW, documents, load

pytestmark = pytest.mark.django_db


def test_the_shipped_rule_set_is_in_the_database_and_in_force():
    stored = RuleSet.objects.get(code="766-2022")
    assert stored.effective_from == date(2022, 8, 1)
    assert selectors.ruleset_for(date(2025, 10, 1)).id == "766-2022"


def test_a_new_rule_set_version_takes_over_from_its_effective_date_and_is_audited():
    doc = dict(RuleSet.objects.get(code="766-2022").document)
    doc.update(id="766-2026", name="Bộ chỉ số 766 (2026)", effective_from="2026-01-01")
    doc["bands"] = [
        dict(b, min_points=85 if b["name_vi"] == "Xuất sắc" else b["min_points"]) for b in doc["bands"]
    ]
    services.save_ruleset(document=doc, actor=None)
    assert selectors.ruleset_for(date(2025, 12, 31)).id == "766-2022"
    assert selectors.ruleset_for(date(2026, 1, 1)).id == "766-2026"
    entry = AuditEntry.objects.filter(action="indices.ruleset.create").latest("id")
    assert "766-2026" in entry.summary


def test_an_invalid_rule_set_is_refused_naming_the_problem():
    doc = json.loads(json.dumps(RuleSet.objects.get(code="766-2022").document))
    doc["id"] = "hong"
    doc["indicators"][0]["max_points"] = 7
    with pytest.raises(ValidationError) as err:
        services.save_ruleset(document=doc)
    assert "transparency" in str(err.value)
    assert not RuleSet.objects.filter(code="hong").exists()


def test_dossiers_of_a_merged_commune_count_under_its_successor(province):
    docs = documents(60, agencies=("H66.101", "H66.900"))
    load(docs)
    scope = selectors.resolve_scope("commune:24133")
    assert set(scope.agency_codes) == {"H66.101", "H66.900"}
    old = selectors.Scope("x", "", ("H66.900",))
    new = selectors.Scope("y", "", ("H66.101",))
    period = selectors.parse_period("2025-10")
    merged = selectors.dossier_tallies(scope, period.start_at, period.end_at)
    parts = [selectors.dossier_tallies(s, period.start_at, period.end_at) for s in (old, new)]
    # Counts add up (re-aggregated from dossiers), they are not an average of the two rates.
    for key, (num, den) in merged.counts.items():
        if key == "5.4":
            continue
        assert (num, den) == tuple(map(sum, zip(*(p.counts[key] for p in parts), strict=True))), key


def test_levels_and_periods(province):
    load(documents(80))
    national = selectors.index_for("national", "2025-Q4", NOW)
    province_view = selectors.index_for("province:66", "2025-Q4", NOW)
    dept = selectors.index_for("agency:H66.01", "2025-Q4", NOW)
    # Every dossier belongs to an agency of the province, so national and province counts agree.
    assert national.tallies["3.3"] == province_view.tallies["3.3"]
    assert national.tallies["2.1"] == province_view.tallies["2.1"]
    assert dept.tallies["3.3"].denominator < province_view.tallies["3.3"].denominator
    months = [
        selectors.index_for("province:66", f"2025-{m}", NOW).tallies.get("3.3", Tally(0, 0)).denominator
        for m in ("10", "11", "12")
    ]
    assert sum(months) == province_view.tallies["3.3"].denominator
    week = selectors.index_for("province:66", "2025-W44", NOW)
    span = selectors.index_for("province:66", "2025-10-27..2025-11-02", NOW)
    assert week.tallies == span.tallies
    by_procedure = selectors.index_for(
        selectors.resolve_scope("province:66").narrowed(procedure=documents(1)[0]["MaTTHC"]), "2025-Q4", NOW
    )
    assert by_procedure.tallies["3.3"].denominator <= province_view.tallies["3.3"].denominator


def test_reported_count_gives_indicator_1_4_and_is_audited(province):
    load(documents(40, agencies=("H66.01", "H66.101")))
    period = selectors.parse_period("2025-10")
    dept = selectors.resolve_scope("agency:H66.01")
    synced = selectors.dossier_tallies(dept, period.start_at, period.end_at).received
    agency = Agency.objects.get(code="H66.01")
    services.set_reported_figure(
        agency=agency, indicator="1.4", month=date(2025, 10, 1), numerator=synced + 10
    )
    # The province is judged on the agencies that reported, not on all its dossiers.
    for key in ("province:66", "agency:H66.01"):
        view = selectors.index_for(key, "2025-10", NOW)
        assert (view.tallies["1.4"].numerator, view.tallies["1.4"].denominator) == (synced, synced + 10)
    assert "1.4" not in selectors.index_for("commune:24133", "2025-10", NOW).tallies
    assert AuditEntry.objects.filter(action="indices.figure.set").exists()
    with pytest.raises(ValidationError):
        services.set_reported_figure(agency=agency, indicator="4.6", month=date(2025, 10, 1), numerator=5)
