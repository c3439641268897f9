"""What-if arithmetic of the 766 index: a worked example and properties checked by hypothesis."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from thuocdo.core.index766 import Tally, compute
from thuocdo.core.rulesets import parse_ruleset
from thuocdo.core.whatif import Changes, apply_changes, full_points_rate, numerator_for, rank_of, what_if

RULESET_FILE = Path(__file__).resolve().parents[2] / "src/thuocdo/indices/data/rulesets/766-2022.json"
RULESET = parse_ruleset(json.loads(RULESET_FILE.read_text(encoding="utf-8")), source="766-2022.json")
IDS = [ind.id for ind in RULESET.indicators]


def test_worked_example_clear_ten_overdue_and_reach_80_percent_digitisation():
    # 100 dossiers counted for 2.1, 20 late of which 10 still open and overdue; 4.2 digitised 50 of 100.
    today = {"2.1": Tally(80, 100), "4.2": Tally(50, 100)}
    got = what_if(
        today,
        RULESET,
        Changes(cleared_overdue=10, rates={"4.2": Decimal(80)}),
        overdue=10,
        others=[Decimal(70), Decimal(66), Decimal(60)],
    )
    # 2.1 is linear over 20 points: 80% → 16, 90% → 18. 4.2 is a threshold at 80% over 4 points: 50% → 2.5, 80% → 4,
    # and as the only applicable digitisation indicator it carries the group's 22 points pro rata.
    assert got.before.indicators["2.1"].points == Decimal("16.00")
    assert got.after.indicators["2.1"].points == Decimal("18.00")
    assert got.before.groups["digitisation"].points == Decimal("13.75")
    assert got.after.groups["digitisation"].points == Decimal("22.00")
    # Transparency and satisfaction are full by their N/A policies (18 each); online and payment have no data.
    assert got.before.total == Decimal("65.75")
    assert got.after.total == Decimal("76.00")
    assert (got.before.band.name_vi, got.after.band.name_vi) == ("Trung bình", "Khá")
    assert (got.rank_before, got.rank_after, got.ranked_among) == (3, 1, 4)
    assert got.cleared == 10
    assert got.gain == Decimal("10.25")


def test_clearing_more_than_are_overdue_clears_only_the_overdue():
    changed, cleared = apply_changes({"2.1": Tally(80, 100)}, Changes(cleared_overdue=50), overdue=7)
    assert cleared == 7 and changed["2.1"] == Tally(87, 100)


def test_a_rate_is_never_lowered_and_not_applicable_indicators_stay_so():
    changed, _ = apply_changes(
        {"4.2": Tally(90, 100)}, Changes(rates={"4.2": Decimal(80), "3.3": Decimal(60)}), overdue=0
    )
    assert changed["4.2"] == Tally(90, 100)
    assert "3.3" not in changed


def test_numerator_for_reaches_the_rate_with_the_fewest_dossiers():
    assert numerator_for(Decimal(80), 7) == 6  # 5/7 = 71.43% is short, 6/7 = 85.71%
    assert numerator_for(Decimal("33.33"), 3) == 1
    assert numerator_for(Decimal(120), 10) == 10
    assert rank_of(Decimal(80), [Decimal(80), Decimal(90)]) == 2  # ties share the better rank


tallies = st.dictionaries(
    st.sampled_from(IDS),
    st.integers(0, 300)
    .flatmap(lambda d: st.tuples(st.integers(0, d), st.just(d)))
    .map(lambda nd: Tally(*nd)),
)


@given(tallies)
def test_no_change_gives_the_same_score(today):
    got = what_if(today, RULESET, Changes(), overdue=5)
    assert got.after == got.before == compute(today, RULESET)


@given(tallies, st.integers(0, 400), st.integers(0, 400))
def test_clearing_overdue_never_lowers_any_figure(today, n, overdue):
    got = what_if(today, RULESET, Changes(cleared_overdue=n), overdue=overdue)
    assert got.after.total >= got.before.total
    for gid, group in got.after.groups.items():
        assert group.points >= got.before.groups[gid].points
    assert got.cleared <= min(n, overdue)


@given(tallies, st.sampled_from(IDS), st.integers(0, 20))
def test_raising_a_rate_to_its_full_points_rate_gives_full_points(today, ind_id, above):
    ind = RULESET.indicator(ind_id)
    target = full_points_rate(ind)
    got = what_if(today, RULESET, Changes(rates={ind_id: min(Decimal(100), target + above)}))
    after = got.after.indicators[ind_id]
    if after.denominator:
        assert after.points == ind.max_points
    assert got.after.total >= got.before.total
