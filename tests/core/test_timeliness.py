"""The worked examples of docs/indices/766.md §3, one test per rule."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thuocdo.core.dossier import VN_TZ, format_timestamp, parse_document, scan_document
from thuocdo.core.timeliness import Category, classify, scan_verdict, stored_verdict
from thuocdo.core.workcalendar import WorkCalendar

PERIOD_END = datetime(2025, 11, 1, tzinfo=VN_TZ)


def dossier(**fields: Any):
    doc = {
        "MaHoSo": "D",
        "MaTTHC": "1.001",
        "KenhThucHien": 1,
        "TrangThaiHoSo": 9,
        "DonViXuLy": "H66.01",
        "NgayTiepNhan": "20251001080000",
    }
    doc.update(fields)
    return parse_document({k: v for k, v in doc.items() if v is not None}, record="test")


def judge(d, **kwargs: Any):
    return classify(d, as_of=kwargs.pop("as_of", PERIOD_END), **kwargs)


def test_rule_1_rejected_at_reception_is_not_counted():
    t = judge(dossier(TrangThaiHoSo=3, NgayTiepNhan="20251003080000"))
    assert t.category is Category.NOT_COUNTED
    assert not t.counted
    assert t.reason_vi == "Không tính: hồ sơ không được tiếp nhận"


def test_rule_1_received_after_the_evaluation_moment_is_not_counted():
    t = judge(dossier(TrangThaiHoSo=4, NgayTiepNhan="20251103080000", NgayHenTra="20251110170000"))
    assert t.category is Category.NOT_COUNTED


def test_rules_2_and_3_end_is_processing_finished_and_before_the_due_day_is_early():
    d = dossier(
        TrangThaiHoSo=10,
        NgayHenTra="20251008170000",
        NgayKetThucXuLy="20251006100000",
        NgayTra="20251007090000",
    )
    t = judge(d)
    assert t.category is Category.EARLY
    assert t.judged_at == datetime(2025, 10, 6, 10, tzinfo=VN_TZ)
    assert t.reason_vi == "Trước hạn: kết thúc xử lý 06/10/2025 10:00, hạn 08/10/2025 17:00"
    assert t.reason_en == "Early: finished 06/10/2025 10:00, due 08/10/2025 17:00"


def test_rule_4_same_day_before_the_due_time_is_on_time():
    t = judge(
        dossier(NgayTiepNhan="20251002080000", NgayHenTra="20251009170000", NgayKetThucXuLy="20251009160000")
    )
    assert t.category is Category.ON_TIME
    assert t.within_time


def test_rule_5_after_the_due_time_is_late():
    t = judge(
        dossier(NgayTiepNhan="20251002080000", NgayHenTra="20251007170000", NgayKetThucXuLy="20251008090000")
    )
    assert t.category is Category.LATE
    assert t.reason_vi.startswith("Trễ hạn: kết thúc xử lý 08/10/2025 09:00")


def test_rule_5_granularity_decides_a_same_day_overrun():
    d = dossier(NgayTiepNhan="20251014080000", NgayHenTra="20251021100000", NgayKetThucXuLy="20251021150000")
    assert judge(d).category is Category.LATE
    assert judge(d, granularity="date").category is Category.ON_TIME


def test_rule_6_supplement_waiting_time_is_not_counted():
    d = dossier(
        NgayTiepNhan="20251006080000",
        NgayHenTra="20251010170000",
        NgayKetThucXuLy="20251012100000",
        DanhSachHoSoBoSung=[{"NgayBoSung": "20251007080000", "NgayTiepNhanBoSung": "20251009080000"}],
    )
    t = judge(d)
    assert t.category is Category.ON_TIME
    assert (
        t.reason_vi
        == "Đúng hạn: kết thúc xử lý 12/10/2025 10:00, hạn 10/10/2025 17:00 (đã trừ 2 ngày chờ bổ sung)"
    )


def test_rule_6b_overlapping_supplement_waits_pause_the_clock_once():
    # Two requests (allowed by the rule set) whose waits overlap on 08/10 08:00-09/10 08:00: the clock
    # stands still from 07/10 08:00 to 09/10 20:00, 2 days 12 hours, not 2 days + 1 day 12 hours.
    d = dossier(
        NgayTiepNhan="20251006080000",
        NgayHenTra="20251010170000",
        NgayKetThucXuLy="20251012180000",
        DanhSachHoSoBoSung=[
            {"NgayBoSung": "20251007080000", "NgayTiepNhanBoSung": "20251009080000"},
            {"NgayBoSung": "20251008080000", "NgayTiepNhanBoSung": "20251009200000"},
        ],
    )
    t = judge(d, supplements_allowed=2)
    assert t.paused == timedelta(days=2, hours=12)
    assert t.category is Category.ON_TIME  # compared as 10/10 06:00; counting the overlap twice said "early"
    assert t.reason_vi == (
        "Đúng hạn: kết thúc xử lý 12/10/2025 18:00, hạn 10/10/2025 17:00 (đã trừ 2 ngày 12 giờ chờ bổ sung)"
    )


def test_rule_7_a_second_supplement_request_is_late():
    d = dossier(
        TrangThaiHoSo=10,
        NgayTiepNhan="20251006080000",
        NgayHenTra="20251020170000",
        NgayKetThucXuLy="20251013100000",
        DanhSachHoSoBoSung=[
            {"NgayBoSung": "20251007080000", "NgayTiepNhanBoSung": "20251008080000"},
            {"NgayBoSung": "20251009080000", "NgayTiepNhanBoSung": "20251010080000"},
        ],
    )
    t = judge(d)
    assert t.category is Category.LATE
    assert t.reason_vi == "Trễ hạn: yêu cầu bổ sung 2 lần"
    assert t.reason_en == "Late: supplement requested 2 times"
    assert judge(d, supplements_allowed=2).category is Category.EARLY


@pytest.mark.parametrize(
    ("due", "requested", "expected"),
    [
        ("20251024170000", "20251022100000", Category.IN_PROGRESS),
        ("20251015170000", "20251016090000", Category.LATE),
    ],
)
def test_rule_8_waiting_for_the_citizen_is_judged_at_the_request(due, requested, expected):
    d = dossier(
        TrangThaiHoSo=5,
        NgayTiepNhan="20251013080000",
        NgayHenTra=due,
        DanhSachHoSoBoSung=[{"NgayBoSung": requested}],
    )
    t = judge(d)
    assert t.category is expected
    assert t.judged_at == datetime.fromisoformat(requested[:8] + "T" + requested[8:] + "+07:00")
    assert "đang chờ công dân bổ sung" in t.reason_vi


@pytest.mark.parametrize(
    ("received", "due", "expected"),
    [
        ("20251029080000", "20251105170000", Category.IN_PROGRESS),
        ("20251020080000", "20251027170000", Category.LATE),
    ],
)
def test_rule_9_open_dossier_is_late_only_once_the_due_time_has_passed(received, due, expected):
    t = judge(dossier(TrangThaiHoSo=4, NgayTiepNhan=received, NgayHenTra=due))
    assert t.category is expected
    assert t.judged_at == PERIOD_END


def test_rule_9_an_end_after_the_evaluation_moment_means_still_open():
    d = dossier(NgayTiepNhan="20251020080000", NgayHenTra="20251027170000", NgayKetThucXuLy="20251026100000")
    assert judge(d, as_of=datetime(2025, 10, 25, 12, tzinfo=VN_TZ)).category is Category.IN_PROGRESS


@pytest.mark.parametrize(
    ("status", "due", "stopped", "expected", "words"),
    [
        (7, "20251010170000", "20251006090000", Category.EARLY, "rút hồ sơ"),
        (8, "20251006170000", "20251008090000", Category.LATE, "dừng xử lý"),
    ],
)
def test_rule_10_stopped_or_withdrawn_end_at_the_refusal_date(status, due, stopped, expected, words):
    t = judge(
        dossier(TrangThaiHoSo=status, NgayTiepNhan="20251003080000", NgayHenTra=due, NgayTuChoi=stopped)
    )
    assert t.category is expected
    assert words in t.reason_vi


def test_rule_11_missing_due_date_falls_back_to_the_catalogue_time_limit():
    calendar = WorkCalendar()

    def due_from(received_at, code):
        return calendar.add_working_days(received_at, 3) if code == "1.002" else None

    d = dossier(MaTTHC="1.002", NgayTiepNhan="20251013080000", NgayKetThucXuLy="20251015150000")
    t = judge(d, due_from=due_from)
    assert t.due_at == datetime(2025, 10, 16, 8, tzinfo=VN_TZ)
    assert t.category is Category.EARLY
    assert "hạn tính theo thời hạn giải quyết của thủ tục" in t.reason_vi
    unknown = judge(
        dossier(MaTTHC="9.999", TrangThaiHoSo=4, NgayTiepNhan="20251014080000"), due_from=due_from
    )
    assert unknown.category is Category.NOT_COUNTED


def test_rule_12_the_first_promise_counts_when_a_supplement_moved_the_due_date():
    d = dossier(
        NgayTiepNhan="20251010080000",
        NgayHenTra="20251017170000",
        NgayKetThucXuLy="20251015120000",
        DanhSachHoSoBoSung=[
            {
                "NgayBoSung": "20251013080000",
                "NgayTiepNhanBoSung": "20251014080000",
                "NgayHenTraTruoc": "20251014170000",
                "NgayHenTraMoi": "20251017170000",
            }
        ],
    )
    t = judge(d)
    assert t.due_at == datetime(2025, 10, 14, 17, tzinfo=VN_TZ)
    assert t.category is Category.ON_TIME


ORIGIN = datetime(2025, 10, 6, 8, tzinfo=VN_TZ)


@st.composite
def _supplemented(draw: Any) -> tuple[Any, list[tuple[int, int | None]]]:
    """An open dossier with 1-4 supplement requests (minutes after reception), often overlapping."""
    waits = []
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, 6000))
        length = draw(st.one_of(st.none(), st.integers(0, 4000)))
        waits.append((start, None if length is None else start + length))
    due = draw(st.integers(60, 9000))

    def stamp(minutes: int) -> str:
        return format_timestamp(ORIGIN + timedelta(minutes=minutes))

    d = dossier(
        TrangThaiHoSo=4,
        NgayTiepNhan=stamp(0),
        NgayHenTra=stamp(due),
        DanhSachHoSoBoSung=[
            {"NgayBoSung": stamp(a), "NgayTiepNhanBoSung": None if b is None else stamp(b)} for a, b in waits
        ],
    )
    return d, waits


@settings(max_examples=200, deadline=None)
@given(_supplemented(), st.lists(st.integers(0, 15000), min_size=2, max_size=8))
def test_paused_time_is_the_union_of_the_waits_and_an_open_verdict_never_flips_back(case, moments):
    d, waits = case
    verdicts = []
    for minutes in sorted(moments):
        t = judge(d, as_of=ORIGIN + timedelta(minutes=minutes), supplements_allowed=9)
        point = int((t.judged_at - ORIGIN).total_seconds() // 60)
        # Brute force: the minutes before the judged moment during which some request was pending.
        covered = {m for a, b in waits if a < point for m in range(a, min(point if b is None else b, point))}
        assert t.paused == timedelta(minutes=len(covered))
        assert t.paused <= t.judged_at - d.received_at
        verdicts.append(t.category is Category.LATE)
    # Once late, an open dossier stays late at every later moment (the index's late_at relies on it).
    assert verdicts == sorted(verdicts)


@settings(max_examples=200, deadline=None)
@given(_supplemented(), st.integers(0, 15000), st.sampled_from([9, 10, 8]))
def test_the_ingestion_fast_path_agrees_on_overlapping_waits(case, end, status):
    d, _ = case
    doc = {
        "MaHoSo": "D",
        "MaTTHC": "1.001",
        "KenhThucHien": 1,
        "TrangThaiHoSo": status,
        "DonViXuLy": "H66.01",
        "NgayTiepNhan": format_timestamp(d.received_at),
        "NgayHenTra": format_timestamp(d.due_at),
        "NgayKetThucXuLy" if status == 9 else "NgayTra" if status == 10 else "NgayTuChoi": format_timestamp(
            ORIGIN + timedelta(minutes=end)
        ),
        "DanhSachHoSoBoSung": [
            {
                "NgayBoSung": format_timestamp(s.requested_at),
                "NgayTiepNhanBoSung": s.completed_at and format_timestamp(s.completed_at),
            }
            for s in d.supplements
        ],
    }
    scan = scan_document(doc)
    assert scan is not None
    parsed = parse_document(doc, record="x")
    assert scan_verdict(scan, supplements_allowed=9) == _verdict_allowing(parsed, 9)
    assert scan_verdict(scan) == stored_verdict(parsed)


def _verdict_allowing(d: Any, allowed: int) -> str:
    category = classify(d, as_of=d.version_at, supplements_allowed=allowed).category
    return "open" if category is Category.IN_PROGRESS else str(category)
