"""The demo step builds a completed campaign whose results look like a real SIPAS round."""

from __future__ import annotations

import random
from datetime import date

import pytest

from thuocdo.surveys import demo, selectors
from thuocdo.surveys.models import Campaign, Response

pytestmark = pytest.mark.django_db


class Ctx:
    province_code = "66"
    today = date(2026, 3, 2)
    seed = 766
    scale = 0.1
    rng = random.Random(766)
    said: list[str] = []

    def say(self, text: str) -> None:
        self.said.append(text)


def test_demo_campaign_is_completed_with_realistic_satisfaction(world):
    demo.build(Ctx())
    campaign = Campaign.objects.get(slug="sipas-demo")
    assert campaign.status == "closed" and campaign.seed == 766
    n = Response.objects.filter(campaign=campaign).count()
    assert n > 100
    estimation, problem = selectors.campaign_results(campaign)
    assert problem == "" and 70 < estimation.all.overall.estimate < 95
    assert estimation.all.items["E3"].estimate < estimation.all.items["A1"].estimate + 5
