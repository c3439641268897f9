"""Vietnamese figures in templates: 83,94%, 1.234.567, dd/mm/yyyy, rating bands and the shared partials."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.paginator import Paginator
from django.template import Context, RequestContext, Template
from django.test import RequestFactory
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from thuocdo.web.presentation import format_number


def render(source: str, **context: object) -> str:
    return Template("{% load thuocdo %}" + source).render(Context(context)).strip()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (83.944, "83,94%"),
        (Decimal("83.945"), "83,95%"),  # half-up, as in published reports
        ("90", "90,00%"),
        (100, "100,00%"),
        (0, "0,00%"),
        (None, "—"),
        ("", "—"),
        ("không rõ", "—"),
        (float("nan"), "—"),
    ],
)
def test_percent(value, expected):
    assert render("{{ v|percent }}", v=value) == expected


def test_percent_with_one_decimal():
    assert render("{{ v|percent:1 }}", v=83.94) == "83,9%"


@pytest.mark.parametrize(
    ("source", "value", "expected"),
    [
        ("{{ v|vi_number }}", 1234567, "1.234.567"),
        ("{{ v|vi_number }}", 999, "999"),
        ("{{ v|vi_number:1 }}", 1234.56, "1.234,6"),
        ("{{ v|vi_number:2 }}", Decimal("-1234.5"), "-1.234,50"),
        ("{{ v|vi_number }}", -0.4, "0"),
        ("{{ v|vi_number }}", None, "—"),
    ],
)
def test_vi_number(source, value, expected):
    assert render(source, v=value) == expected


def test_vi_date_shows_day_month_year_in_the_province_time_zone():
    assert render("{{ v|vi_date }}", v=date(2025, 9, 5)) == "05/09/2025"
    # 18:30 UTC on 31 December is already New Year's Day in Asia/Ho_Chi_Minh (UTC+7).
    assert render("{{ v|vi_date }}", v=datetime(2025, 12, 31, 18, 30, tzinfo=UTC)) == "01/01/2026"
    assert render("{{ v|vi_date }}", v=None) == "—"


def test_figures_stay_vietnamese_on_english_pages():
    with translation.override("en"):
        assert render(
            "{{ a|percent }} {{ b|vi_number }} {{ c|vi_date }}", a=83.94, b=1234567, c=date(2025, 9, 5)
        ) == ("83,94% 1.234.567 05/09/2025")


@pytest.mark.parametrize(
    ("band", "css"),
    [
        ("Xuất sắc", "band-excellent"),
        ("xuất sắc", "band-excellent"),
        ("Tốt", "band-good"),
        ("Khá", "band-fair"),
        ("Trung bình", "band-average"),
        ("Yếu", "band-weak"),
        ("weak", "band-weak"),
        ("Không xếp loại", "band-unknown"),
        (None, "band-unknown"),
    ],
)
def test_band_class(band, css):
    assert render("{{ b|band_class }}", b=band) == css


def test_band_badge_names_the_band_in_the_page_language():
    source = '{% include "web/partials/band_badge.html" with band=b %}'
    assert render(source, b="good") == '<span class="badge band band-good">Tốt</span>'
    with translation.override("en"):
        assert render(source, b="Trung bình") == '<span class="badge band band-average">Average</span>'


def test_interval_shows_estimate_and_margin():
    html = render('{% include "web/partials/interval.html" with value=v margin=m %}', v=83.94, m=1.2)
    assert '>83,9%</span> <span class="interval-margin">(±1,2)</span>' in html
    assert "sai số ±1,2 điểm phần trăm" in html

    without_margin = render(
        '{% include "web/partials/interval.html" with value=v margin=m %}', v=83.94, m=None
    )
    assert "83,9%" in without_margin and "±" not in without_margin


def test_empty_state_has_a_default_message():
    assert "Chưa có dữ liệu." in render('{% include "web/partials/empty_state.html" %}')
    custom = render(
        '{% include "web/partials/empty_state.html" with message=m hint=h %}', m="Chưa có kỳ nào.", h="Gợi ý"
    )
    assert "Chưa có kỳ nào." in custom and "Gợi ý" in custom


def test_pagination_keeps_filters_and_marks_the_current_page():
    request = RequestFactory().get("/don-vi/", {"q": "Buôn Ma Thuột", "page": "3"})
    page = Paginator(list(range(100)), 10).page(3)
    html = Template('{% include "web/partials/pagination.html" %}').render(
        RequestContext(request, {"page_obj": page})
    )

    assert 'aria-current="page">3<' in html
    assert "?q=Bu%C3%B4n+Ma+Thu%E1%BB%99t&amp;page=4" in html
    assert 'rel="prev"' in html and 'rel="next"' in html
    assert "Trang 3 / 10" in html


def test_pagination_is_absent_for_a_single_page():
    page = Paginator([1, 2], 10).page(1)
    html = Template('{% include "web/partials/pagination.html" %}').render(
        RequestContext(RequestFactory().get("/"), {"page_obj": page})
    )
    assert html.strip() == ""


@given(
    st.decimals(min_value=-(10**12), max_value=10**12, allow_nan=False, allow_infinity=False, places=4),
    st.integers(min_value=0, max_value=3),
)
def test_vi_number_reads_back_as_the_rounded_value(value, decimals):
    text = format_number(value, decimals)
    integer_part = text.split(",")[0].lstrip("-")
    groups = integer_part.split(".")

    assert all(len(group) == 3 for group in groups[1:]) and 1 <= len(groups[0]) <= 3
    expected = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    assert Decimal(text.replace(".", "").replace(",", ".")) == expected
