"""Reads for survey collection: instruments, campaigns, frames, response rates and aggregate results.

Nothing here returns an individual answer to an official of an evaluated unit: results are aggregates
with n, suppressed below the campaign's k; `microdata_rows` is only for users `can_view_microdata` allows.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from thuocdo.accounts.selectors import (
    ENTER_DATA,
    VIEW_NONPUBLIC,
    VIEW_SURVEY_ANSWERS,
    assignments_of,
    scope_for,
)
from thuocdo.core.estimation import Design, Estimation, EstimationError, estimate_indices
from thuocdo.core.instruments import Instrument, parse_instrument_text
from thuocdo.dossiers.models import Dossier, Status
from thuocdo.surveys.models import (
    Campaign,
    DossierRating,
    InstrumentVersion,
    Invitation,
    Kiosk,
    PaperSheet,
    Response,
    Stratum,
)
from thuocdo.units.models import Agency

INSTRUMENTS_DIR = Path(__file__).resolve().parent / "data" / "instruments"


def sha256(text: str) -> str:
    """Hex SHA-256 of a text (tokens, keys and dedupe keys are stored this way only)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def builtin_instruments() -> list[Instrument]:
    """Every instrument version shipped in data/instruments (errors name the file and JSON path)."""
    return [
        parse_instrument_text(p.read_text(encoding="utf-8"), source=p.name)
        for p in sorted(INSTRUMENTS_DIR.glob("*.json"))
    ]


def instrument_versions() -> QuerySet[InstrumentVersion]:
    """All stored instrument versions, newest version first within a code."""
    return InstrumentVersion.objects.all().order_by("code", "-version")


def latest_instrument(code: str) -> InstrumentVersion | None:
    """The highest published version of an instrument code, or None."""
    return (
        InstrumentVersion.objects.filter(code=code, status=InstrumentVersion.Status.PUBLISHED)
        .order_by("-version")
        .first()
    )


def campaign_by_slug(slug: str) -> Campaign | None:
    """The campaign with this slug."""
    return Campaign.objects.select_related("instrument").filter(slug=slug).first()


def campaign_by_enumerator_key(key: str) -> Campaign | None:
    """The open campaign whose enumerator key this is."""
    if not key:
        return None
    return (
        Campaign.objects.select_related("instrument")
        .filter(enumerator_key_hash=sha256(key), status=Campaign.Status.OPEN)
        .first()
    )


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a token belongs to (used or not)."""
    return (
        Invitation.objects.select_related("campaign", "campaign__instrument", "stratum", "stratum__agency")
        .filter(token_hash=sha256(token.strip()))
        .first()
    )


def kiosk_for_key(key: str) -> Kiosk | None:
    """The active kiosk with this URL key."""
    return (
        Kiosk.objects.select_related("agency", "campaign", "campaign__instrument")
        .filter(key_hash=sha256(key), active=True)
        .first()
    )


def dossier_by_code(code: str) -> Dossier | None:
    """A dossier by its code (MaHoSo)."""
    return Dossier.objects.select_related("agency").filter(code=code.strip()).first()


def agency_by_code(code: str) -> Agency | None:
    """An agency by its code."""
    return Agency.objects.filter(code=code).first()


def campaign_strata(campaign: Campaign) -> list[tuple[str, str]]:
    """(code, name) of the strata an answer can belong to: the frame's strata, else the campaign's agencies."""
    strata = list(campaign.strata.order_by("code").values_list("code", "name"))
    if strata:
        return strata
    return list(campaign.agencies.order_by("code").values_list("code", "name"))


# Sampling frames -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FrameEntry:
    """One unit of the sampling frame: an id (dossier code or list id), its stratum and optional phone."""

    id: str
    stratum: str
    stratum_name: str
    agency_id: int | None = None
    phone: str = ""


def frame_from_dossiers(campaign: Campaign) -> list[FrameEntry]:
    """Dossiers finished or returned in the campaign period, in its scope, stratified by agency or block."""
    qs = Dossier.objects.filter(
        status__in=[Status.FINISHED, Status.RETURNED],
        finished_at__date__gte=campaign.starts_on,
        finished_at__date__lte=campaign.ends_on,
        agency__isnull=False,
    )
    agency_ids = list(campaign.agencies.values_list("id", flat=True))
    if agency_ids:
        qs = qs.filter(agency_id__in=agency_ids)
    if campaign.procedure_codes:
        qs = qs.filter(procedure_code__in=campaign.procedure_codes)
    rows = qs.values_list(
        "code", "agency_id", "agency__code", "agency__name", "agency__block__code", "agency__block__name"
    )
    out = []
    for code, agency_id, agency_code, agency_name, block_code, block_name in rows.iterator():
        if campaign.stratify_by == Campaign.StratifyBy.BLOCK:
            out.append(FrameEntry(code, block_code or "khac", block_name or "Khác", None))
        else:
            out.append(FrameEntry(code, agency_code, agency_name, agency_id))
    return out


# Monitoring and results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StratumRate:
    code: str
    name: str
    population: int
    allocated: int
    invited: int
    used: int
    responses: int

    @property
    def rate(self) -> float | None:
        """Share of invitations answered, in percent."""
        return 100.0 * self.used / self.invited if self.invited else None


def response_rates(campaign: Campaign) -> list[StratumRate]:
    """Per stratum: population, allocation, invitations sent and answered, responses by any channel."""
    responses = Counter(
        dict(campaign.responses.values_list("stratum").annotate(n=Count("pk")).values_list("stratum", "n"))
    )
    invites = {
        row["stratum_id"]: row
        for row in Invitation.objects.filter(campaign=campaign)
        .values("stratum_id")
        .annotate(invited=Count("pk"), used=Count("pk", filter=Q(used=True)))
    }
    out = []
    seen = set()
    for s in Stratum.objects.filter(campaign=campaign).order_by("code"):
        inv = invites.get(s.pk, {"invited": 0, "used": 0})
        out.append(
            StratumRate(
                s.code, s.name, s.population, s.allocated, inv["invited"], inv["used"], responses[s.code]
            )
        )
        seen.add(s.code)
    for code, n in sorted(responses.items()):
        if code not in seen:
            out.append(StratumRate(code, code, 0, 0, 0, 0, n))
    return out


def flag_counts(campaign: Campaign) -> dict[str, int]:
    """How many responses carry each integrity flag."""
    counts: Counter[str] = Counter()
    for flags in campaign.responses.exclude(flags=[]).values_list("flags", flat=True).iterator():
        counts.update(flags or [])
    return dict(counts)


def estimation_rows(campaign: Campaign) -> tuple[list[dict[str, Any]], Design]:
    """Rows for the estimator (answers + stratum + fpc) without excluded flags, and the design to use."""
    excluded = set(campaign.excluded_flags or [])
    population = dict(campaign.strata.values_list("code", "population"))
    rows = []
    for stratum, answers, flags in campaign.responses.values_list("stratum", "answers", "flags").iterator():
        if excluded and excluded & set(flags or []):
            continue
        rows.append({**answers, "stratum": stratum or "(trống)", "fpc": population.get(stratum, 0)})
    by_stratum = Counter(r["stratum"] for r in rows)
    designed = bool(rows) and all(r["fpc"] >= by_stratum[r["stratum"]] > 1 for r in rows)
    if designed:
        return rows, Design(stratum="stratum", fpc="fpc")
    for r in rows:
        r.pop("fpc")
    return rows, Design()


def campaign_results(campaign: Campaign) -> tuple[Estimation | None, str]:
    """Design-based indices for the whole campaign and each stratum (cells below k suppressed), or why not."""
    rows, design = estimation_rows(campaign)
    if not rows:
        return None, "Chưa có phiếu trả lời nào."
    try:
        return (
            estimate_indices(
                campaign.instrument.instrument, rows, design=design, by="stratum", min_n=campaign.min_cell
            ),
            "",
        )
    except EstimationError as exc:
        return None, str(exc)


def min_cell_default() -> int:
    """The platform-wide k for small-cell suppression."""
    return int(settings.THUOCDO.get("ANONYMITY_MIN_CELL", 5))


# Who may see what ------------------------------------------------------------------------------------


def visible_campaigns(user: Any) -> QuerySet[Campaign]:
    """Campaigns an official may follow: national scope sees all, others those touching their agencies."""
    scope = scope_for(user, VIEW_NONPUBLIC)
    qs = Campaign.objects.select_related("instrument").order_by("-starts_on", "slug")
    if scope.is_empty:
        return qs.none()
    if scope.national:
        return qs
    agencies = scope.agencies(Agency.objects.all())
    return qs.filter(Q(agencies__in=agencies) | Q(agencies__isnull=True)).distinct()


def can_view_microdata(user: Any, campaign: Campaign) -> bool:
    """Individual anonymous answers: only for answer-viewing roles with a unit or national scope covering
    every evaluated agency, and never for anyone assigned to an evaluated agency, its parents or children."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    scope = scope_for(user, VIEW_SURVEY_ANSWERS)
    if scope.is_empty:
        return False
    evaluated = list(campaign.agencies.all())
    for assignment in assignments_of(user):
        if assignment.agency_id is None:
            continue
        own = assignment.agency.path
        if not evaluated or any(a.path.startswith(own) or own.startswith(a.path) for a in evaluated):
            return False
    if not evaluated:
        return scope.national
    return all(scope.contains_agency(a) for a in evaluated) and not scope.agency_paths


def microdata_rows(campaign: Campaign) -> list[dict[str, Any]]:
    """Anonymous answer sheets (no identity exists to export), in a shuffled but stable order (by UUID)."""
    rows = []
    for stratum, channel, submitted_on, answers, flags in (
        campaign.responses.order_by("id")
        .values_list("stratum", "channel", "submitted_on", "answers", "flags")
        .iterator()
    ):
        rows.append(
            {
                "stratum": stratum,
                "channel": channel,
                "submitted_on": submitted_on,
                "flags": ";".join(flags or []),
                **answers,
            }
        )
    return rows


def can_enter_paper(user: Any, campaign: Campaign) -> bool:
    """Staff with the data-entry right on at least one evaluated agency (or anywhere for province-wide rounds)."""
    scope = scope_for(user, ENTER_DATA)
    if scope.is_empty:
        return False
    evaluated = list(campaign.agencies.all())
    return scope.national or not evaluated or any(scope.contains_agency(a) for a in evaluated)


def paper_sheets(campaign: Campaign) -> QuerySet[PaperSheet]:
    """Paper sheets of a campaign, conflicts first."""
    return campaign.paper_sheets.select_related("first_by", "second_by").order_by(
        "-status", "batch", "sheet_no"
    )


def ratings_visible_to(user: Any, *, since: date | None = None) -> QuerySet[DossierRating]:
    """Per-dossier ratings of agencies in the user's scope."""
    scope = scope_for(user, VIEW_NONPUBLIC)
    qs = DossierRating.objects.select_related("agency").order_by("-rated_at")
    if scope.is_empty:
        return qs.none()
    if since:
        qs = qs.filter(rated_at__date__gte=since)
    if scope.national:
        return qs
    return qs.filter(agency__in=scope.agencies(Agency.objects.all()))


def rating_summary(ratings: Sequence[DossierRating] | QuerySet[DossierRating]) -> dict[str, Any]:
    """Count, satisfied share and recovery cases of a set of ratings."""
    total = len(ratings) if isinstance(ratings, Sequence) else ratings.count()
    satisfied = (
        sum(1 for r in ratings if r.satisfied)
        if isinstance(ratings, Sequence)
        else ratings.filter(satisfied=True).count()
    )
    return {"n": total, "satisfied": satisfied, "share": (100.0 * satisfied / total) if total else None}


def response_count(campaign: Campaign) -> int:
    """Number of responses stored for a campaign."""
    return Response.objects.filter(campaign=campaign).count()
