"""Labels made in code, not templates, follow the page's language: key-driver quadrants, open-data descriptions."""

from __future__ import annotations

import re

import pytest

from tests.publication.survey_helpers import official
from thuocdo.publication import opendata

pytestmark = pytest.mark.django_db
QUADRANTS_EN = {
    "improve_first": "Improve first",
    "keep_strength": "Maintain strength",
    "improve_later": "Improve when resources allow",
    "secondary": "Secondary",
}


def _drivers_table(html: str) -> str:
    section = re.search(r'<section class="section" aria-labelledby="drivers-title">.*?</section>', html, re.S)
    assert section, "no key-driver section"
    return section.group(0)


def test_dashboard_names_the_priority_quadrants_in_english_on_the_english_page(client, survey_world):
    client.force_login(official("tinh", "province_admin", unit=survey_world.map.dak_lak))
    page = client.get("/en/hai-long/quan-ly/")
    drivers = page.context["drivers"]
    codes = {d.quadrant for d, _cell, _share in drivers if d.quadrant}
    assert codes, "the fixture yields a priority matrix"
    table = _drivers_table(page.content.decode())
    for code in codes:
        assert f"<td>{QUADRANTS_EN[code]}</td>" in table
    assert not re.search(r"Ưu tiên cải thiện|Duy trì thế mạnh|Cải thiện khi có nguồn lực|Thứ yếu", table)
    # The chart gets the code for its colours and the translated name for its tooltip.
    chart = page.context["chart"]
    assert {(p["quadrant"], p["quadrantLabel"]) for p in chart["points"]} <= set(QUADRANTS_EN.items())


def test_dashboard_names_the_quadrants_in_vietnamese_on_the_vietnamese_page(client, survey_world):
    client.force_login(official("tinh", "province_admin", unit=survey_world.map.dak_lak))
    table = _drivers_table(client.get("/hai-long/quan-ly/").content.decode())
    assert re.search(
        r"<td>(Ưu tiên cải thiện|Duy trì thế mạnh|Cải thiện khi có nguồn lực|Thứ yếu)</td>", table
    )


def test_open_data_page_describes_datasets_in_the_page_language(client):
    en = client.get("/en/du-lieu-mo/").content.decode()
    vi = client.get("/du-lieu-mo/").content.decode()
    for d in opendata.DATASETS:
        assert d.description_en and d.description_en in en and d.description_vi not in en
        assert d.description_vi in vi
