"""Officials' 766 pages write figures the Vietnamese way and name indicators in the page's language;
a holiday added to the calendar moves the deadlines the index judges by at once."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from thuocdo.calendars import services as calendar_services
from thuocdo.catalog.models import Procedure, ProcedureField
from thuocdo.units.models import Agency
from thuocdo.web.presentation import format_number, format_percent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dossiers")]
QUERY = {"unit": "province:66", "period": "2025-10"}


def _row(html: str, indicator: str) -> list[str]:
    """The cells of an indicator's row in the index table, tags stripped."""
    row = re.search(rf"<tr>\s*<td>{re.escape(indicator)}</td>(.*?)</tr>", html, re.S)
    assert row, f"no row for {indicator}"
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ]


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_index_page_writes_rates_and_points_with_a_decimal_comma(client, official, prefix):
    client.force_login(official)
    page = client.get(f"{prefix}/chi-so/766/", QUERY)
    html = page.content.decode()
    ind = page.context["view"].result.indicators["2.1"]
    # The fixture's rate has decimals, so a raw Decimal would show its point.
    assert ind.rate is not None and ind.rate != ind.rate.to_integral_value()
    _name, numerator, denominator, rate, points = _row(html, "2.1")
    assert rate == format_percent(ind.rate) and "," in rate and "." not in rate
    assert points == f"{format_number(ind.points, 2)} / {format_number(ind.max_points)}"
    assert (numerator, denominator) == (str(ind.numerator), str(ind.denominator))
    total = page.context["view"].result.total
    assert f"{format_number(total, 2)} / 100" in html
    # No figure of the tables is printed as a raw Python decimal (17.3333333, 87.50).
    tables = "".join(re.findall(r"<table.*?</table>", html, re.S))
    figures = re.findall(r'<td class="text-end[^"]*">(.*?)</td>', tables, re.S)
    assert figures and not [f for f in figures if re.search(r"\d\.\d", f)]


def test_index_page_names_indicators_and_groups_in_english_on_the_english_page(client, official):
    client.force_login(official)
    html = client.get("/en/chi-so/766/", QUERY).content.decode()
    assert "Dossiers handled early or on time" in _row(html, "2.1")[0]
    assert "Progress and results" in html and "Tiến độ, kết quả giải quyết" not in html


def test_explain_page_names_the_indicator_in_the_page_language(client, official):
    client.force_login(official)
    query = {"indicator": "2.1", **QUERY}
    vi = client.get("/chi-so/766/giai-thich/", query).content.decode()
    en = client.get("/en/chi-so/766/giai-thich/", query).content.decode()
    assert "2.1 · Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn" in vi
    assert "2.1 · Dossiers handled early or on time" in en
    assert "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn" not in en


def test_explain_page_writes_counts_with_dot_thousands(client, official):
    client.force_login(official)
    page = client.get("/chi-so/766/giai-thich/", {"indicator": "2.1", **QUERY})
    e = page.context["e"]
    assert f"{format_number(e.numerator)} / " in page.content.decode()


def test_a_holiday_added_to_the_calendar_moves_the_deadline_explained(client, official):
    """1.2: made public within 5 working days of publication. Published Wed 01/10/2025, so due Wed 08/10;
    a day off on Mon 06/10 moves it to Thu 09/10, and the procedure made public on 09/10 becomes on time."""
    client.force_login(official)
    field = ProcedureField.objects.create(code="LV1", name="Tư pháp")
    procedure = Procedure.objects.create(
        code="1.000001",
        name="Chứng thực bản sao",
        field=field,
        published_on=date(2025, 10, 1),
        made_public_on=date(2025, 10, 9),
        time_limit=Decimal(1),
    )
    procedure.agencies.add(Agency.objects.get(code="H66.01"))
    query = {"indicator": "1.2", "unit": "agency:H66.01", "period": "2025-10"}

    before = client.get("/chi-so/766/giai-thich/", query).content.decode()
    assert "quá hạn 08/10/2025" in before

    day = calendar_services.add_calendar_day(
        date=date(2025, 10, 6), kind="extra_off", name_vi="Nghỉ thêm (thử)"
    )
    after = client.get("/chi-so/766/giai-thich/", query).content.decode()
    assert "trong hạn 09/10/2025" in after and "quá hạn 08/10/2025" not in after

    calendar_services.update_calendar_day(day=day, date=date(2025, 10, 13))
    moved_away = client.get("/chi-so/766/giai-thich/", query).content.decode()
    assert "quá hạn 08/10/2025" in moved_away

    calendar_services.delete_calendar_day(
        day=calendar_services.add_calendar_day(
            date=date(2025, 10, 7), kind="extra_off", name_vi="Nghỉ thêm (thử)"
        )
    )
    assert "quá hạn 08/10/2025" in client.get("/chi-so/766/giai-thich/", query).content.decode()
