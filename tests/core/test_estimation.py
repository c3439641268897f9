"""Design-based estimates checked against R `survey` 4.1-1 (code and output in docs/surveys/estimation.md)."""

import csv
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thuocdo.core.estimation import Design, EstimationError, estimate_indices, estimate_mean
from thuocdo.core.instruments import parse_instrument_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures/survey"
INSTRUMENTS = Path(__file__).resolve().parents[2] / "src/thuocdo/surveys/data/instruments"
STRAT = Design(stratum="stype", weight="pw", fpc="fpc")
CLUS = Design(psu="dnum", weight="pw", fpc="fpc")
STYPE = {"E": 4421, "H": 755, "M": 1018}
RAKE = {"stype": STYPE, "sch.wide": {"No": 1072, "Yes": 5122}}


def rows(name):
    with open(FIXTURES / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def instrument(code):
    return parse_instrument_text((INSTRUMENTS / f"{code}.v1.json").read_text(encoding="utf-8"), source=code)


def same(actual, expected):
    """Equal to 4 significant digits."""
    return actual == pytest.approx(expected, rel=5e-5)


def api00(r):
    return float(r["api00"])


def high_api(r):
    return float(float(r["api00"]) >= 700)


def low_meals(r):
    return float(r["meals"]) < 50


def test_apistrat_mean_with_strata_and_fpc_matches_r():
    est = estimate_mean(rows("apistrat.csv"), api00, design=STRAT)
    assert same(est.estimate, 662.28736) and same(est.se, 9.40894) and est.n == 200


def test_apistrat_proportion_matches_r():
    est = estimate_mean(rows("apistrat.csv"), lambda r: float(r["sch.wide"] == "Yes"), design=STRAT)
    assert same(est.estimate, 0.82794801) and same(est.se, 0.02434478)


def test_proportion_within_a_subpopulation_matches_r_svyratio():
    # Our criterion shape: a share among those in a sub-population (R: svyratio and svymean on subset agree).
    est = estimate_mean(rows("apistrat.csv"), high_api, design=STRAT, domain=low_meals)
    assert same(est.estimate, 0.6692850758) and same(est.se, 0.04261140792) and est.n == 119


def test_domain_means_by_school_type_match_r_svyby():
    data = rows("apistrat.csv")
    for stype, mean, se in [
        ("E", 674.43, 12.38247979),
        ("H", 625.82, 14.93712919),
        ("M", 636.60, 16.21470731),
    ]:
        est = estimate_mean(data, api00, design=STRAT, domain=lambda r, s=stype: r["stype"] == s)
        assert same(est.estimate, mean) and same(est.se, se)


def test_cluster_sample_matches_r():
    est = estimate_mean(rows("apiclus1.csv"), api00, design=CLUS)
    assert same(est.estimate, 644.1694) and same(est.se, 23.54224)


def test_post_stratified_and_raked_estimates_carry_calibration_aware_ses_like_r():
    data = rows("apiclus1.csv")
    post = estimate_mean(data, api00, design=CLUS, margins={"stype": STYPE})
    assert same(post.estimate, 642.31079) and same(post.se, 23.92049)
    raked = estimate_mean(data, api00, design=CLUS, margins=RAKE)
    assert same(raked.estimate, 641.23025) and same(raked.se, 23.70364)
    share = estimate_mean(data, high_api, design=CLUS, domain=low_meals, margins=RAKE)
    assert same(share.estimate, 0.5604347103) and same(share.se, 0.07953440984)


# R: svyratio(~s_A1+…, ~a_A1+…, design, covmat=TRUE) then linear combinations of the diagonal ratios.
STRAT_ITEMS = {
    "A1": (66.81852696, 2.953839535, 212),
    "C4": (52.22487088, 3.308052066, 203),
    "E3": (33.08115543, 5.676361987, 60),
}
STRAT_FACTORS = {"A": (67.77937626, 1.551969475), "B": (79.46098526, 1.198648401), "C": (51.11331745, 1.397590121),
                 "D": (80.08252818, 1.636602809), "E": (39.12593112, 3.407216192)}  # fmt: skip


def test_sipas_indices_under_strata_and_fpc_match_r():
    result = estimate_indices(
        instrument("sipas-2017"), rows("sipas_strat.csv"), design=Design(stratum="stratum", fpc="fpc")
    )
    for code, (est, se, n) in STRAT_ITEMS.items():
        item = result.all.items[code]
        assert same(item.estimate, est) and same(item.se, se) and item.n == n
    for code, (est, se) in STRAT_FACTORS.items():
        assert same(result.all.factors[code].estimate, est) and same(result.all.factors[code].se, se)
    overall = result.all.overall
    assert same(overall.estimate, 63.51242766) and same(overall.se, 0.9132453349) and overall.n == 220
    assert result.df == 217
    # 95% CI with the design df, as R's confint(svyratio(~s_A1, ~a_A1, d), df = degf(d)).
    assert same(result.all.items["A1"].ci_low, 60.99663831) and same(
        result.all.items["A1"].ci_high, 72.6404156
    )


def test_group_estimates_are_domain_estimates_on_the_full_design_like_r_subset():
    result = estimate_indices(
        instrument("sipas-2017"),
        rows("sipas_strat.csv"),
        design=Design(stratum="stratum", fpc="fpc"),
        by="unit",
    )
    group = result.groups["Sở Tư pháp"]
    assert same(group.items["E1"].estimate, 50.0) and same(group.items["E1"].se, 15.292099745)
    assert same(group.factors["C"].estimate, 54.64128973) and same(group.factors["C"].se, 3.159249168)
    assert same(group.overall.estimate, 66.96837013) and same(group.overall.se, 2.580035912)
    assert group.n == 44 and not group.suppressed


def test_small_groups_and_cells_are_suppressed():
    result = estimate_indices(
        instrument("sipas-2017"),
        rows("sipas_strat.csv"),
        design=Design(stratum="stratum", fpc="fpc"),
        by="unit",
        min_n=5,
    )
    tiny = result.groups["Xã Hòa Phú"]
    assert tiny.suppressed and tiny.n == 3
    assert tiny.overall.estimate is None and tiny.overall.as_dict()["suppressed"] is True
    big = estimate_indices(
        instrument("sipas-2017"),
        rows("sipas_strat.csv"),
        design=Design(stratum="stratum", fpc="fpc"),
        by="unit",
        min_n=11,
    ).groups["Sở Tư pháp"]
    assert big.items["E1"].suppressed and big.items["E1"].estimate is None and big.items["E1"].n == 10
    assert big.items["A1"].estimate is not None


def test_cluster_design_with_weights_matches_r():
    result = estimate_indices(
        instrument("sipas-2017"),
        rows("sipas_clus.csv"),
        design=Design(stratum="stratum", psu="psu", weight="weight"),
    )
    assert same(result.all.items["C3"].estimate, 47.15424648) and same(result.all.items["C3"].se, 8.0714065)
    assert same(result.all.factors["E"].estimate, 43.29315757) and same(
        result.all.factors["E"].se, 4.780946331
    )
    assert same(result.all.overall.estimate, 67.38567243) and same(result.all.overall.se, 2.27963596)
    assert result.df == 10


def test_aspect_level_sits_between_factors_and_overall():
    data = rows("sipas_strat.csv")
    sipas21 = estimate_indices(
        instrument("sipas-2021"), [{k: v for k, v in r.items() if k != "C6"} for r in data]
    )
    aspect = sipas21.all.aspects["DVHCC"]
    factors = [f.estimate for f in sipas21.all.factors.values()]
    assert aspect.estimate == pytest.approx(sum(factors) / len(factors))
    assert sipas21.all.overall.estimate == pytest.approx(aspect.estimate)


def test_dossier_points_are_summed_to_a_total_out_of_18():
    answers = [{f"K{i}": 2 for i in range(1, 10)}, {**{f"K{i}": 1 for i in range(1, 10)}, "K9": None}]
    result = estimate_indices(instrument("dossier-01-2018"), answers, min_n=1)
    assert result.all.items["K1"].estimate == pytest.approx(1.5)
    assert result.all.items["K9"].estimate == pytest.approx(2.0)
    assert result.all.overall.estimate == pytest.approx(8 * 1.5 + 2.0)


def test_bad_design_columns_are_reported():
    data = rows("sipas_strat.csv")
    data[4]["fpc"] = "abc"
    with pytest.raises(EstimationError, match="phiếu thứ 5: cột «fpc» phải là số"):
        estimate_indices(instrument("sipas-2017"), data, design=Design(stratum="stratum", fpc="fpc"))
    data = rows("sipas_strat.csv")
    data[0]["fpc"] = "5"
    with pytest.raises(EstimationError, match="phải giống nhau trong cùng tầng"):
        estimate_indices(instrument("sipas-2017"), data, design=Design(stratum="stratum", fpc="fpc"))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=5), min_size=6, max_size=60))
def test_simple_random_sample_se_is_the_textbook_one(answers):
    result = estimate_indices(instrument("counter-faces"), [{"R1": a} for a in answers], min_n=1)
    n = len(answers)
    p = sum(a >= 4 for a in answers) / n
    item = result.all.items["R1"]
    assert item.estimate == pytest.approx(100 * p)
    assert item.se == pytest.approx(100 * math.sqrt(p * (1 - p) / (n - 1)), abs=1e-9)
    assert 0 <= item.ci_low <= item.estimate <= item.ci_high <= 100
