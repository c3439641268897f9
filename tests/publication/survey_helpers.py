"""A closed SIPAS campaign over the hand-made map: three departments (one with too few answers) and two
commune People's Committees, with stratum populations, and answers drawn from a seeded generator."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from thuocdo.accounts.models import RoleAssignment, User
from thuocdo.core.estimation import Design, estimate_indices
from thuocdo.surveys import services as survey_services
from thuocdo.surveys.models import Campaign, Response, Stratum
from thuocdo.units.models import Agency, ComparisonBlock

# agency code → (population N_h, responses n_h, chance of a satisfied answer)
PLAN = {
    "H15.02": (900, 40, 0.85),  # Sở Nội vụ
    "H15.03": (600, 30, 0.70),  # Sở Tư pháp
    "H15.04": (300, 3, 0.90),  # Sở Tài chính: below k = 5
    "X.24121": (500, 25, 0.80),  # UBND phường Buôn Ma Thuột
    "X.22015": (400, 20, 0.75),  # UBND phường Tuy Hòa
}


@dataclass
class SurveyWorld:
    campaign: Campaign
    agencies: dict[str, Agency]
    map: Any


def _sheet(rng: random.Random, instrument: Any, p: float, *, feedback: bool) -> dict[str, int]:
    answers: dict[str, int] = {"F1": 1 if feedback else 2}
    for c in instrument.criteria:
        if c.asked_if is not None and not feedback:
            continue
        answers[c.code] = rng.choice([4, 5]) if rng.random() < p else rng.choice([1, 2, 3])
    return answers


def build_survey_world(vn_map: Any, *, slug: str = "sipas-2026", seed: int = 14) -> SurveyWorld:
    """The campaign, closed, with responses stored as the collection app stores them."""
    versions = {v.code: v for v in survey_services.sync_builtin_instruments(actor="test")}
    version = versions["sipas-2017"]
    instrument = version.instrument
    for agency in vn_map.agencies:
        if not agency.path:
            agency.path = f"/{agency.pk}/"
            agency.save(update_fields=["path"])
    xa, _ = ComparisonBlock.objects.get_or_create(code="xa-phuong", defaults={"name": "Khối xã, phường"})
    agencies = {a.code: a for a in vn_map.agencies}
    for commune, code in ((vn_map.communes[0], "X.24121"), (vn_map.communes[1], "X.22015")):
        agency = Agency.objects.filter(code=code).first() or Agency.objects.create(
            code=code, name=f"UBND {commune.name}", kind="commune_committee", admin_unit=commune, block=xa
        )
        agency.path = f"/{agency.pk}/"
        agency.save(update_fields=["path"])
        agencies[code] = agency
    campaign = Campaign.objects.create(
        slug=slug,
        name="Khảo sát SIPAS 2026",
        instrument=version,
        starts_on=date(2026, 6, 1),
        ends_on=date(2026, 9, 30),
        status=Campaign.Status.CLOSED,
    )
    campaign.agencies.set(agencies.values())
    rng = random.Random(seed)
    for code, (population, n, p) in PLAN.items():
        agency = agencies[code]
        Stratum.objects.create(
            campaign=campaign, code=code, name=agency.name, agency=agency, population=population
        )
        for i in range(n):
            # Sở Nội vụ: 8 gave feedback but only 3 answered E1, so E1 is a small cell inside a large agency.
            feedback = i < 8 if code == "H15.02" else rng.random() < 0.25
            answers = _sheet(rng, instrument, p, feedback=feedback)
            if code == "H15.02" and feedback and i >= 3:
                answers.pop("E1")
            Response.objects.create(
                campaign=campaign,
                instrument=version,
                channel="web",
                stratum=code,
                agency=agency,
                answers=answers,
                flags=["fast"] if code == "H15.03" and i < 4 else [],
                submitted_on=date(2026, 7, 1),
            )
    return SurveyWorld(campaign, agencies, vn_map)


def direct_estimation(campaign: Campaign, *, by: str | None = None, min_n: int = 5) -> Any:
    """core.estimation run straight on the stored responses (minus excluded flags), independent of publication."""
    population = dict(campaign.strata.values_list("code", "population"))
    rows = []
    for r in Response.objects.filter(campaign=campaign).select_related("agency__block", "agency__admin_unit"):
        if set(r.flags) & set(campaign.excluded_flags):
            continue
        rows.append(
            {
                **r.answers,
                "stratum": r.stratum,
                "fpc": population[r.stratum],
                "agency": r.agency.code,
                "block": r.agency.block.code,
                "commune": r.agency.admin_unit.code if r.agency.admin_unit.level == "commune" else "",
            }
        )
    return estimate_indices(
        campaign.instrument.instrument, rows, design=Design(stratum="stratum", fpc="fpc"), by=by, min_n=min_n
    )


def official(username: str, role: str, *, agency: Any = None, unit: Any = None) -> User:
    user = User.objects.create_user(username=username, password="mật-khẩu-dài-1234")
    RoleAssignment.objects.create(user=user, role=role, agency=agency, unit=unit)
    return user


@pytest.fixture
def survey_world(vn_map) -> SurveyWorld:  # type: ignore[no-untyped-def]
    return build_survey_world(vn_map)
