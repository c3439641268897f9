"""Rule sets, scoring and tallies of the 766 index, with properties checked by hypothesis."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thuocdo.core.dossier import VN_TZ, parse_document
from thuocdo.core.index766 import Procedure, Tally, compute, parse_period, tally_dossiers
from thuocdo.core.rulesets import RuleSetError, parse_ruleset, ruleset_in_force

RULESET_FILE = Path(__file__).resolve().parents[2] / "src/thuocdo/indices/data/rulesets/766-2022.json"
RAW = json.loads(RULESET_FILE.read_text(encoding="utf-8"))
RULESET = parse_ruleset(RAW, source="766-2022.json")
START = datetime(2025, 10, 1, tzinfo=VN_TZ)
END = datetime(2025, 11, 1, tzinfo=VN_TZ)


def test_the_shipped_rule_set_has_the_portal_groups():
    assert [(g.id, g.max_points) for g in RULESET.groups] == [
        ("transparency", 18),
        ("progress", 20),
        ("online", 12),
        ("digitisation", 22),
        ("payment", 10),
        ("satisfaction", 18),
    ]
    assert RULESET.indicator("5.4").target == 90
    assert [b.name_vi for b in RULESET.bands] == ["Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"]


def test_invalid_rule_sets_list_every_problem():
    raw = json.loads(json.dumps(RAW))
    raw["groups"][0]["max_points"] = 20
    raw["indicators"][1]["id"] = "1.1"
    raw["indicators"][5]["method"] = "magic"
    raw["indicators"][6]["target"] = None
    raw["indicators"][6]["method"] = "threshold"
    with pytest.raises(RuleSetError) as info:
        parse_ruleset(raw, source="bad.json")
    text = str(info.value)
    assert text.startswith("bad.json: bộ quy tắc không hợp lệ")
    assert "tổng điểm tối đa là 102, cần bằng 100" in text
    assert "mã chỉ số «1.1» bị trùng" in text
    assert "indicators[5] («3.1»).method" in text
    assert "phương pháp «threshold» cần «target»" in text


def test_the_rule_set_in_force_is_picked_by_date():
    newer = parse_ruleset({**RAW, "id": "766-2026", "effective_from": "2026-01-01"}, source="x")
    older = parse_ruleset({**RAW, "effective_to": "2026-01-01"}, source="x")
    assert ruleset_in_force([older, newer], date(2025, 12, 31)).id == "766-2022"
    assert ruleset_in_force([older, newer], date(2026, 1, 1)).id == "766-2026"
    with pytest.raises(LookupError):
        ruleset_in_force([older], date(2022, 7, 1))


def test_threshold_and_linear_scoring_and_rounding():
    result = compute({"3.3": Tally(5, 16), "2.1": Tally(2, 3), "5.4": Tally(19, 20)}, RULESET)
    assert result.indicators["3.3"].rate == Decimal("31.25")
    assert result.indicators["3.3"].points == Decimal("3.75")  # 31.25 × 6 / 50
    assert result.indicators["2.1"].rate == Decimal("66.67")
    assert result.indicators["2.1"].points == Decimal("13.33")  # 66.67 × 20 / 100
    assert result.indicators["5.4"].points == 6  # 95 % ≥ 90 % target


def test_zero_denominators_follow_the_rule_set():
    result = compute({"4.1": Tally(3, 4)}, RULESET)
    assert result.indicators["5.2"].points == 6  # na_full
    assert result.indicators["4.2"].excluded
    # Only 4.1 is measured in digitisation: 75 % of its 6 points, scaled to the group's 22.
    assert result.groups["digitisation"].points == Decimal("22.00") * Decimal("4.50") / 6
    assert result.groups["progress"].not_applicable and result.groups["progress"].points == 0


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2025-10", date(2025, 10, 1), date(2025, 11, 1)),
        ("2025-12", date(2025, 12, 1), date(2026, 1, 1)),
        ("2025-Q4", date(2025, 10, 1), date(2026, 1, 1)),
        ("2025", date(2025, 1, 1), date(2026, 1, 1)),
        ("2025-W01", date(2024, 12, 30), date(2025, 1, 6)),
        ("2025-10-01..2025-10-15", date(2025, 10, 1), date(2025, 10, 16)),
    ],
)
def test_periods(text, start, end):
    p = parse_period(text)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize("text", ["2025-13", "2025-Q5", "2025-W60", "2025-10-15..2025-10-01", "tháng 10"])
def test_bad_periods_are_refused(text):
    with pytest.raises(ValueError, match="kỳ đánh giá không hợp lệ"):
        parse_period(text)


def doc(code: str, received: datetime, due: datetime, end: datetime | None, **extra) -> dict:
    fmt = "%Y%m%d%H%M%S"
    d = {
        "MaHoSo": code,
        "MaTTHC": "1.001",
        "KenhThucHien": 2,
        "TrangThaiHoSo": 9 if end else 4,
        "DonViXuLy": "H66.01",
        "NgayTiepNhan": received.strftime(fmt),
        "NgayHenTra": due.strftime(fmt),
    }
    if end:
        d["NgayKetThucXuLy"] = end.strftime(fmt)
    d.update(extra)
    return parse_document(d, record=code)


def test_rule_13_carried_over_dossiers_count_only_if_not_ended_before_the_period():
    carried = doc(
        "D15",
        datetime(2025, 9, 25, 8, tzinfo=VN_TZ),
        datetime(2025, 10, 2, 17, tzinfo=VN_TZ),
        datetime(2025, 10, 1, 10, tzinfo=VN_TZ),
    )
    finished = doc(
        "D16",
        datetime(2025, 9, 10, 8, tzinfo=VN_TZ),
        datetime(2025, 9, 17, 17, tzinfo=VN_TZ),
        datetime(2025, 9, 16, 10, tzinfo=VN_TZ),
    )
    t = tally_dossiers([carried, finished], START, END, [], END, ruleset=RULESET, explain=True)
    assert t.counts["2.1"] == Tally(1, 1)
    assert [c.record for c in t.contributions["2.1"]] == ["D15"]
    assert "3.3" not in t.counts  # neither was received in October


def test_one_late_publication_makes_1_1_late_for_the_period():
    procs = [
        Procedure(
            "1.001",
            published_on=date(2025, 10, 6),
            made_public_on=date(2025, 10, 9),
            legal_effective_on=date(2025, 10, 15),
        ),
        Procedure(
            "1.002",
            published_on=date(2025, 10, 10),
            made_public_on=date(2025, 10, 24),
            legal_effective_on=date(2025, 10, 13),
        ),
    ]
    t = tally_dossiers([], START, END, procs, END, ruleset=RULESET, explain=True)
    assert t.counts["1.1"] == Tally(0, 2)
    assert t.counts["1.2"] == Tally(1, 2)
    assert [c.in_numerator for c in t.contributions["1.1"]] == [True, False]


# -- properties ----------------------------------------------------------------------------------

hours = st.integers(0, 24 * 45)


@st.composite
def dossiers(draw, code: str):
    received = START - timedelta(days=10) + timedelta(hours=draw(hours))
    due = received + timedelta(hours=draw(st.integers(0, 24 * 15)))
    end = draw(st.none() | st.integers(0, 24 * 30).map(lambda h: received + timedelta(hours=h)))
    extra = {
        "KenhThucHien": draw(st.integers(1, 3)),
        "DuocThanhToanTrucTuyen": draw(st.integers(0, 2)),
        "DanhSachLePhi": [{"Gia": draw(st.sampled_from([0, 20000]))}],
        "KhongHaiLong": draw(st.sampled_from([0, 1])),
    }
    if draw(st.booleans()):
        ask = received + timedelta(hours=draw(st.integers(0, 48)))
        extra["DanhSachHoSoBoSung"] = [
            {
                "NgayBoSung": ask.strftime("%Y%m%d%H%M%S"),
                "NgayTiepNhanBoSung": (ask + timedelta(hours=draw(st.integers(0, 72)))).strftime(
                    "%Y%m%d%H%M%S"
                ),
            }
        ]
    return doc(code, received, due, end, **extra)


dossier_lists = st.lists(st.integers(0, 10**6), min_size=0, max_size=12, unique=True).flatmap(
    lambda ids: st.tuples(*(dossiers(f"D{i}") for i in ids))
)


def score(ds):
    t = tally_dossiers(
        ds, START, END, [Procedure("1.001", online_level="full", fee_bearing=True)], END, ruleset=RULESET
    )
    return t, compute(t.counts, RULESET)


@settings(max_examples=60, deadline=None)
@given(dossier_lists, st.randoms(use_true_random=False))
def test_scores_stay_in_range_and_do_not_depend_on_order(ds, rnd):
    tallies, result = score(list(ds))
    for r in result.indicators.values():
        assert r.rate is None or 0 <= r.rate <= 100
        assert 0 <= r.points <= r.max_points
    for g in result.groups.values():
        assert 0 <= g.points <= g.max_points
    assert result.total == sum(g.points for g in result.groups.values())
    shuffled = list(ds)
    rnd.shuffle(shuffled)
    assert score(shuffled)[0].counts == tallies.counts


@settings(max_examples=60, deadline=None)
@given(dossier_lists, hours, st.integers(1, 24 * 10), st.integers(0, 24 * 10))
def test_adding_an_on_time_dossier_never_lowers_2_1(ds, offset, allowed, used):
    received = START + timedelta(hours=offset % (24 * 25))
    on_time = doc(
        "ON-TIME",
        received,
        received + timedelta(hours=allowed),
        received + timedelta(hours=min(used, allowed)),
    )
    before = score(list(ds))[1].indicators["2.1"]
    after = score([*ds, on_time])[1].indicators["2.1"]
    assert after.rate is not None
    assert before.rate is None or after.rate >= before.rate
    assert before.points <= after.points or before.rate is None
