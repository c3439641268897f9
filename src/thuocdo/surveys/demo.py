"""Demo step: a completed SIPAS-2017 campaign over the demo province and a year of per-dossier ratings.

Everything goes through the services, as real submissions would: invitations are drawn with a recorded
seed, about three in four are answered through their one-time token, and the campaign is then closed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from thuocdo.dossiers.models import Dossier, Status
from thuocdo.surveys import services
from thuocdo.surveys.models import Campaign, Channel, DossierRating, Invitation
from thuocdo.surveys.selectors import FrameEntry
from thuocdo.units.models import AdminUnit, Agency

# Criteria that SIPAS rounds usually find weaker (documents, fees and waiting, feedback handling).
WEAK = {"B2": -0.08, "B4": -0.06, "C3": -0.07, "D2": -0.05, "E3": -0.10, "E4": -0.08}


def build(ctx: Any) -> None:
    """Add the demo campaign and ratings (skipped when the province has no agencies)."""
    versions = {v.code: v for v in services.sync_builtin_instruments(actor="demo")}
    province = AdminUnit.objects.filter(code=ctx.province_code, level="province", structure="2025").first()
    if province is None or Campaign.objects.filter(slug="sipas-demo").exists():
        return
    in_province = Agency.objects.filter(admin_unit__path__startswith=province.path).order_by("code")
    # Departments and a quarter of the communes: about forty strata, as a provincial SIPAS round has.
    agencies = [
        *in_province.filter(kind="department")[:15],
        *in_province.filter(kind="commune_committee")[:25],
    ]
    if not agencies:
        ctx.say("  (không có cơ quan nào: bỏ qua khảo sát)")
        return
    rng = ctx.rng
    year = ctx.today.year - (1 if ctx.today.month < 7 else 0)
    campaign = services.create_campaign(
        slug="sipas-demo", name=f"Khảo sát sự hài lòng SIPAS {year}", instrument=versions["sipas-2017"],
        starts_on=ctx.today - timedelta(days=120), ends_on=ctx.today - timedelta(days=30), agencies=agencies,
        actor="demo", margin=0.03, deff=1.5, response_rate=0.75, open_link=True,
    )  # fmt: skip
    frame = []
    for agency in agencies:
        size = rng.randint(300, 2500) if agency.kind == "department" else rng.randint(150, 900)
        frame.extend(
            FrameEntry(f"{agency.code}-{i:05d}", agency.code, agency.name, agency.pk) for i in range(size)
        )
    draw = services.draw_sample(campaign=campaign, frame=frame, actor="demo", seed=ctx.seed)
    services.set_campaign_status(campaign=campaign, status=Campaign.Status.OPEN, actor="demo")
    instrument = versions["sipas-2017"].instrument
    quality = {a.code: rng.uniform(0.72, 0.93) for a in agencies}
    answered = 0
    for invitation in Invitation.objects.filter(campaign=campaign).select_related("stratum", "campaign"):
        if rng.random() > 0.74:
            continue
        gave_feedback = rng.random() < 0.18
        raw: dict[str, object] = {"F1": 1 if gave_feedback else 2, "gender": rng.choice([1, 2])}
        for c in instrument.criteria:
            if c.asked_if is not None and not gave_feedback:
                continue
            p = quality[invitation.stratum.code] + WEAK.get(c.code, 0.0)
            raw[c.code] = rng.choice([4, 4, 5]) if rng.random() < p else rng.choice([1, 2, 3, 3])
        services.submit_response(
            campaign=campaign, channel=Channel.WEB, raw=raw, token=services.invitation_token(invitation),
            today=campaign.starts_on + timedelta(days=rng.randint(0, 80)), seconds=rng.uniform(120, 900),
        )  # fmt: skip
        answered += 1
    services.set_campaign_status(campaign=campaign, status=Campaign.Status.CLOSED, actor="demo")
    ctx.say(f"  SIPAS: {draw.invitations} lời mời, {answered} phiếu, hạt giống {draw.seed}")
    _ratings(ctx)


def _ratings(ctx: Any) -> None:
    rng = ctx.rng
    now = timezone.now()
    returned = list(
        Dossier.objects.filter(
            status=Status.RETURNED, returned_at__gte=now - timedelta(days=365), agency__isnull=False
        )
        .values_list("code", "returned_at")
        .order_by("code")[: int(4000 * ctx.scale)]
    )
    if not returned:
        ctx.say("  (chưa có hồ sơ: bỏ qua đánh giá theo hồ sơ)")
        return
    done = set(DossierRating.objects.values_list("dossier_code", flat=True))
    count = 0
    for code, returned_at in returned:
        if code in done or rng.random() > 0.35:
            continue
        when = min(now, returned_at + timedelta(minutes=rng.randint(1, 600)))
        kind = rng.random()
        if kind < 0.6:
            form, raw = DossierRating.Form.FACES, {"R1": rng.choices([1, 2, 3, 4, 5], [2, 3, 8, 40, 47])[0]}
        elif kind < 0.8:
            form, raw = DossierRating.Form.LIKE, {"R2": 1 if rng.random() < 0.9 else 0}
        else:
            form, raw = (
                DossierRating.Form.TT01,
                {f"K{i}": rng.choices([0, 1, 2], [3, 17, 80])[0] for i in range(1, 10)},
            )
        services.rate_dossier(
            dossier_code=code, form=form, raw=raw, now=when, consent_share=rng.random() < 0.5
        )
        count += 1
    ctx.say(f"  {count} đánh giá theo hồ sơ")
