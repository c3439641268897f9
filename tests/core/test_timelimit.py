from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thuocdo.core.timelimit import (
    SAME_DAY,
    TimeLimit,
    TimeLimitError,
    TimeUnit,
    format_time_limit,
    parse_time_limit,
    parse_unit,
)

WD = TimeUnit.WORKING_DAYS
CD = TimeUnit.CALENDAR_DAYS
WH = TimeUnit.WORKING_HOURS


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("05 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ", "5", WD),
        ("05 ngày làm việc", "5", WD),
        ("5 ngày làm việc.", "5", WD),
        ("15 ngày", "15", CD),
        ("30 ngày kể từ ngày nhận đủ hồ sơ theo quy định", "30", CD),
        ("03 giờ làm việc", "3", WH),
        ("Trong 08 giờ làm việc kể từ khi nhận hồ sơ", "8", WH),
        ("Không quá 10 ngày làm việc", "10", WD),
        ("Tối đa 20 ngày làm việc", "20", WD),
        ("Trong thời hạn 07 ngày làm việc, kể từ ngày nhận đủ hồ sơ hợp lệ", "7", WD),
        ("Kể từ ngày nhận đủ hồ sơ hợp lệ, trong 12 ngày làm việc", "12", WD),
        ("10 ngày làm việc (trường hợp cần xác minh thì không quá 15 ngày làm việc)", "10", WD),
        ("05 (năm) ngày làm việc", "5", WD),
        ("1,5 ngày làm việc", "1.5", WD),
        ("0.5 ngày làm việc", "0.5", WD),
        ("02 ngay lam viec", "2", WD),
        ("04 NGÀY LÀM VIỆC", "4", WD),
        ("3 ngày LV", "3", WD),
        ("năm ngày làm việc", "5", WD),
        ("mười lăm ngày", "15", CD),
        ("hai mươi ngày làm việc", "20", WD),
        ("ba mươi ngày", "30", CD),
        ("hai mươi lăm ngày làm việc", "25", WD),
    ],
)
def test_reads_time_limits_as_the_national_database_writes_them(text, value, unit):
    assert parse_time_limit(text) == TimeLimit(Decimal(value), unit)


@pytest.mark.parametrize(
    "text",
    [
        "Trong ngày làm việc",
        "Trong ngày",
        "trong ngay",
        "Ngay trong ngày",
        "Giải quyết trong cùng ngày",
        "Trong ngày cơ quan, tổ chức tiếp nhận yêu cầu hoặc trong ngày làm việc tiếp theo nếu tiếp nhận yêu cầu sau 15 giờ",
    ],
)
def test_same_day_is_half_a_working_day(text):
    assert parse_time_limit(text) == SAME_DAY == TimeLimit(Decimal("0.5"), WD)


def test_the_first_stated_limit_wins_over_later_mentions():
    assert parse_time_limit("Trong 05 ngày làm việc; trường hợp phức tạp không quá 03 tháng").value == 5


def test_kể_từ_is_not_read_as_the_number_four():
    # Folded, "từ" (from) would be "tu", which also spells "tư" (four).
    assert parse_time_limit("Kể từ ngày nhận hồ sơ: 06 ngày làm việc") == TimeLimit(Decimal(6), WD)
    assert parse_time_limit("Trả kết quả sau 03 ngày") == TimeLimit(Decimal(3), CD)


@pytest.mark.parametrize(
    ("text", "unit", "expected"), [("5", None, WD), ("5", CD, CD), ("0,5", WH, WH), ("07", WD, WD)]
)
def test_a_bare_number_takes_the_declared_unit_or_working_days(text, unit, expected):
    assert parse_time_limit(text, unit=unit).unit == expected


@pytest.mark.parametrize("text", ["", "  ", "-", "Không", "Không quy định", "không quy định."])
def test_no_time_limit(text):
    assert parse_time_limit(text) is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("03 tháng", "tháng"),
        ("02 tuần", "tuần"),
        ("01 năm", "năm"),
        ("24 giờ", "giờ"),
        ("Theo quy định của pháp luật", "không hiểu thời hạn"),
        ("kể từ ngày nhận hồ sơ", "không hiểu thời hạn"),
        ("0 ngày làm việc", "lớn hơn 0"),
        ("1,255 ngày", "2 chữ số thập phân"),
        ("05 ngày làm việc", "khác với đơn vị"),
    ],
)
def test_unusable_text_gets_a_clear_error(text, fragment):
    unit = CD if text == "05 ngày làm việc" else None
    with pytest.raises(TimeLimitError, match=fragment):
        parse_time_limit(text, unit=unit)


def test_error_quotes_the_text():
    with pytest.raises(TimeLimitError) as excinfo:
        parse_time_limit("tùy trường hợp")
    assert "«tùy trường hợp»" in str(excinfo.value)


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("working_days", WD),
        ("Ngày làm việc", WD),
        ("ngay lam viec", WD),
        ("calendar_days", CD),
        ("Ngày", CD),
        ("ngày theo lịch", CD),
        ("working_hours", WH),
        ("Giờ làm việc", WH),
    ],
)
def test_units_in_code_or_vietnamese(text, unit):
    assert parse_unit(text) == unit


def test_unknown_unit():
    with pytest.raises(TimeLimitError, match="đơn vị"):
        parse_unit("tháng")


def test_formatting_is_vietnamese():
    assert format_time_limit(TimeLimit(Decimal("5.00"), WD)) == "5 ngày làm việc"
    assert format_time_limit(TimeLimit(Decimal("1.5"), CD)) == "1,5 ngày"
    assert format_time_limit(TimeLimit(Decimal("3"), WH)) == "3 giờ làm việc"
    assert format_time_limit(SAME_DAY) == "Trong ngày làm việc"


limits = st.builds(
    TimeLimit,
    value=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2),
    unit=st.sampled_from(list(TimeUnit)),
)


@given(limits)
def test_formatted_limits_read_back(limit):
    assert parse_time_limit(format_time_limit(limit)) == limit


@given(
    limits,
    st.sampled_from(["", "Trong ", "Không quá ", "Tối đa "]),
    st.sampled_from(["", " kể từ ngày nhận đủ hồ sơ hợp lệ"]),
)
def test_formatted_limits_read_back_inside_sentences(limit, before, after):
    assert parse_time_limit(before + format_time_limit(limit) + after) == limit


@given(st.text(max_size=60))
def test_any_text_either_parses_or_fails_cleanly(text):
    try:
        result = parse_time_limit(text)
    except TimeLimitError:
        return
    assert result is None or result.value > 0
