"""JSON API: campaign results as aggregates only (cells below the campaign's k carry n and no figures)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.errors import HttpError

from thuocdo.surveys import selectors

router = Router(tags=["surveys"])


@router.get("/campaigns/{slug}/results")
def campaign_results(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Design-based indices (estimate, SE, 95% CI, n) overall and per stratum, suppressed below k."""
    campaign = selectors.visible_campaigns(request.user).filter(slug=slug).first()
    if campaign is None:
        raise HttpError(404, "Không có đợt khảo sát này trong phạm vi của bạn.")
    estimation, problem = selectors.campaign_results(campaign)
    if estimation is None:
        return {
            "campaign": slug,
            "instrument": campaign.instrument.key,
            "min_n": campaign.min_cell,
            "problem": problem,
        }
    return {
        "campaign": slug,
        "instrument": campaign.instrument.key,
        "min_n": campaign.min_cell,
        "all": estimation.all.as_dict(),
        "strata": {k: v.as_dict() for k, v in estimation.groups.items()},
    }
