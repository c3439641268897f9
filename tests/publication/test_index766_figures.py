"""The 766 part of a public unit page writes indicator points the Vietnamese way, whatever was stored."""

from __future__ import annotations

import re

import pytest

from tests.publication.index766_helpers import NOW
from thuocdo.publication import services
from thuocdo.publication.models import PublishedFigure

pytestmark = pytest.mark.django_db


def test_indicator_points_are_written_with_a_decimal_comma_and_two_decimals(client, world766):
    services.publish_index766_month(month="2025-10", actor="test", now=NOW)
    commune = world766.communes[1]
    figure = PublishedFigure.objects.filter(
        measure__startswith="index766_indicator:", period="M10", unit=commune
    ).first()
    assert figure is not None
    # A figure published by an earlier version kept the unrounded points.
    figure.components = {**figure.components, "points": "17.3333333333", "max_points": "20"}
    figure.save(update_fields=["components"])
    html = client.get(f"/don-vi-cong-khai/{commune.code}/").content.decode()
    assert "17,33 / 20</td>" in html
    assert "17.3333333333" not in html
    indicators = re.search(r"<details class=\"factor-details\">.*?</details>", html, re.S)
    assert indicators and not re.search(r"<td[^>]*>[^<]*\d\.\d", indicators.group(0))


def test_the_english_unit_page_names_groups_and_indicators_in_english(client, world766):
    services.publish_index766_month(month="2025-10", actor="test", now=NOW)
    commune = world766.communes[1]
    figure = PublishedFigure.objects.filter(
        measure__startswith="index766_indicator:", period="M10", unit=commune
    ).first()
    group = PublishedFigure.objects.filter(
        measure__startswith="index766_group:", period="M10", unit=commune
    ).first()
    assert figure is not None and group is not None
    vi_name, en_name = figure.components["label"], figure.components["label_en"]
    assert vi_name != en_name
    en = client.get(f"/en/don-vi-cong-khai/{commune.code}/").content.decode()
    vi = client.get(f"/don-vi-cong-khai/{commune.code}/").content.decode()
    assert en_name in en and vi_name not in en
    assert group.components["label_en"] in en and group.components["label"] not in en
    assert vi_name in vi and group.components["label"] in vi
    # Figures published before English names were stored keep their Vietnamese name rather than none.
    del figure.components["label_en"]
    figure.save(update_fields=["components"])
    assert vi_name in client.get(f"/en/don-vi-cong-khai/{commune.code}/").content.decode()
