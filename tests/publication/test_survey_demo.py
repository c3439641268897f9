"""Demo: after the surveys demo, the publication demo publishes its campaign as real estimates with intervals."""

from __future__ import annotations

from datetime import date

import pytest

from thuocdo.publication import demo, selectors
from thuocdo.publication.models import PublishedFigure
from thuocdo.surveys import demo as surveys_demo
from thuocdo.surveys.models import Campaign
from thuocdo.web.demo import DemoContext

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_demo_publishes_the_surveys_demo_campaign(vn_map):
    for agency in vn_map.agencies:
        agency.path = f"/{agency.pk}/"
        agency.save(update_fields=["path"])
    said: list[str] = []
    ctx = DemoContext(today=date(2026, 11, 2), say=said.append, scale=0.1)
    surveys_demo.build(ctx)
    campaign = Campaign.objects.get(slug="sipas-demo")
    demo.build(ctx)
    latest = selectors.series(unit=vn_map.dak_lak)[-1]
    assert latest.year == 2026 and latest.campaign == campaign.slug and latest.is_demo
    assert latest.ci_low < latest.value < latest.ci_high and latest.n > 100
    year, agencies = selectors.agency_table(vn_map.dak_lak)
    assert year == 2026 and agencies and all(p.campaign == campaign.slug for p in agencies)
    assert PublishedFigure.objects.filter(campaign=campaign, measure__startswith="sipas_criterion:").exists()
    assert any("Công bố kết quả đợt" in line for line in said)
