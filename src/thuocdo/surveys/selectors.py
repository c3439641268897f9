"""Reads for survey collection: instruments, campaigns, frames, response rates and aggregate results.

Nothing here returns an individual answer to an official of an evaluated unit: results are aggregates
with n, suppressed below the campaign's k; `microdata_rows` is only for users `can_view_microdata` allows.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext

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
from thuocdo.surveys import fastpath
from thuocdo.surveys.models import (
    Campaign,
    DossierRating,
    InstrumentVersion,
    Invitation,
    Kiosk,
    PaperSheet,
    PopulationMargin,
    Response,
    SeenKey,
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
        .defer("document")
        .order_by("-version")
        .first()
    )


# `InstrumentVersion.instrument` is parsed once per process and content hash, so the 20 KB document is
# left in the database unless a worker has not parsed that version yet (then it is read on first use).
NO_DOCUMENT = "instrument__document"


def campaign_by_slug(slug: str) -> Campaign | None:
    """The campaign with this slug."""
    return Campaign.objects.select_related("instrument").defer(NO_DOCUMENT).filter(slug=slug).first()


def campaign_by_enumerator_key(key: str) -> Campaign | None:
    """The open campaign whose enumerator key this is."""
    if not key:
        return None
    return (
        Campaign.objects.select_related("instrument")
        .defer(NO_DOCUMENT)
        .filter(enumerator_key_hash=sha256(key), status=Campaign.Status.OPEN)
        .first()
    )


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a token belongs to (used or not)."""
    return (
        Invitation.objects.select_related("campaign", "campaign__instrument", "stratum", "stratum__agency")
        .defer("campaign__instrument__document")
        .filter(token_hash=sha256(token.strip()))
        .first()
    )


def kiosk_for_key(key: str) -> Kiosk | None:
    """The active kiosk with this URL key."""
    return (
        Kiosk.objects.select_related("agency", "campaign", "campaign__instrument")
        .defer("campaign__instrument__document")
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


# Taking answers: what the submission endpoints need, cheaply ------------------------------------------
#
# A submission must cost a few indexed statements, not the instrument's 20 KB JSON and a handful of
# lookups each time (docs/surveys/collection.md, "Speed"). What changes while a campaign runs (its status,
# an invitation's `used` flag, the enumerator key) is read live in ONE narrow query per request; what does
# not (the parsed instrument, the strata and their agencies, the OpenRosa form version) is built once per
# worker process and kept under a stamp read by that same query: the campaign's `updated_at` and the
# instrument's content hash. Any change to either builds it again, in every worker, at its next request.


@dataclass(frozen=True)
class CampaignSnapshot:
    """What taking an answer needs from a campaign: instrument, strata, agencies and form version."""

    id: int
    slug: str
    name: str
    instrument_id: int
    instrument: Instrument
    open_link: bool
    strata: tuple[tuple[str, str], ...]  # (code, name) as in `campaign_strata`
    agency_of: Mapping[str, int | None]  # stratum code → evaluated agency; its keys are the strata codes
    stratum_of: Mapping[int, str]  # Stratum pk → code (invitations point at strata by pk)
    form_version: str

    def agency_for(self, stratum: str) -> int | None:
        """The agency an answer in this stratum evaluates (a code outside the strata is looked up)."""
        if stratum in self.agency_of:
            return self.agency_of[stratum]
        agency = agency_by_code(stratum) if stratum else None
        return agency.pk if agency is not None else None


Stamp = tuple[Any, str]
_SNAPSHOTS: dict[int, tuple[Stamp, CampaignSnapshot]] = {}


def _build_snapshot(campaign_id: int) -> CampaignSnapshot:
    campaign = Campaign.objects.select_related("instrument").get(pk=campaign_id)
    rows = list(campaign.strata.order_by("code").values_list("pk", "code", "name", "agency_id"))
    agency_of: dict[str, int | None]
    if rows:
        strata = tuple((code, name) for _pk, code, name, _a in rows)
        agency_of = {code: agency for _pk, code, _n, agency in rows}
    else:
        agencies = list(campaign.agencies.order_by("code").values_list("code", "name", "pk"))
        strata = tuple((code, name) for code, name, _pk in agencies)
        agency_of = {code: pk for code, _n, pk in agencies}
    missing = [code for code, agency in agency_of.items() if agency is None]
    if missing:  # a frame stratum named like an agency code answers for that agency
        agency_of.update(Agency.objects.filter(code__in=missing).values_list("code", "pk"))
    seed = campaign.instrument.content_hash + "|" + "|".join(f"{c}={n}" for c, n in strata)
    return CampaignSnapshot(
        id=campaign.pk,
        slug=campaign.slug,
        name=campaign.name,
        instrument_id=campaign.instrument_id,
        instrument=campaign.instrument.instrument,
        open_link=campaign.open_link,
        strata=strata,
        agency_of=agency_of,
        stratum_of={pk: code for pk, code, _n, _a in rows},
        form_version=hashlib.sha256(seed.encode()).hexdigest()[:10],
    )


def campaign_snapshot(campaign_id: int, stamp: Stamp) -> CampaignSnapshot:
    """The campaign's snapshot for this stamp (updated_at, instrument content hash), built at most once."""
    held = _SNAPSHOTS.get(campaign_id)
    if held is not None and held[0] == stamp:
        return held[1]
    snapshot = _build_snapshot(campaign_id)
    _SNAPSHOTS[campaign_id] = (stamp, snapshot)
    return snapshot


def snapshot_of(campaign: Campaign) -> CampaignSnapshot:
    """The current snapshot of a campaign row in hand (its stamp is read again: the row may be old)."""
    row = _one(submission_sql(_ID_SQL), [campaign.pk])
    if row is None:
        raise Campaign.DoesNotExist(campaign.pk)
    pk, _status, updated_at, content_hash = row
    return campaign_snapshot(pk, (updated_at, content_hash))


@dataclass(frozen=True)
class InvitationState:
    """An invitation as the form needs it: used or not, its stratum, its campaign's status and stamp."""

    id: int
    used: bool
    stratum_id: int
    campaign_id: int
    campaign_open: bool
    stamp: Stamp


def _one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    return fastpath.run(sql, params)[0]


# The stamp's time is read as text: loading a timestamptz through Django's psycopg loader costs ~0.1 ms,
# and text compares just as well (it is only ever compared with itself).
_INVITATION_SQL = (
    "SELECT i.id, i.used, i.stratum_id, i.campaign_id, c.status, CAST(c.updated_at AS TEXT), v.content_hash "
    "FROM {invitation} i JOIN {campaign} c ON c.id = i.campaign_id "
    "JOIN {instrument} v ON v.id = c.instrument_id WHERE i.token_hash = %s"
)
_KEY_SQL = (
    "SELECT c.id, CAST(c.updated_at AS TEXT), v.content_hash FROM {campaign} c "
    "JOIN {instrument} v ON v.id = c.instrument_id WHERE c.enumerator_key_hash = %s AND c.status = %s"
)
_SLUG_SQL = (
    "SELECT c.id, c.status, CAST(c.updated_at AS TEXT), v.content_hash FROM {campaign} c "
    "JOIN {instrument} v ON v.id = c.instrument_id WHERE c.slug = %s"
)
_ID_SQL = (
    "SELECT c.id, c.status, CAST(c.updated_at AS TEXT), v.content_hash FROM {campaign} c "
    "JOIN {instrument} v ON v.id = c.instrument_id WHERE c.id = %s"
)


def _tables() -> dict[str, str]:
    return {
        "invitation": fastpath.quote(Invitation._meta.db_table),
        "campaign": fastpath.quote(Campaign._meta.db_table),
        "instrument": fastpath.quote(InstrumentVersion._meta.db_table),
    }


_FORMATTED: dict[str, str] = {}


def submission_sql(template: str) -> str:
    """A statement of the submission path with the models' table names, formatted once per process
    (quoting three names on every request cost more than a tenth of the read)."""
    sql = _FORMATTED.get(template)
    if sql is None:
        sql = _FORMATTED[template] = template.format(**_tables())
    return sql


def invitation_state(token: str) -> InvitationState | None:
    """The invitation a token belongs to, with its campaign's status and stamp, in one indexed query."""
    row = _one(submission_sql(_INVITATION_SQL), [sha256(token.strip())])
    if row is None:
        return None
    pk, used, stratum_id, campaign_id, status, updated_at, content_hash = row
    return InvitationState(
        pk, bool(used), stratum_id, campaign_id, status == Campaign.Status.OPEN, (updated_at, content_hash)
    )


def campaign_state(slug: str) -> tuple[CampaignSnapshot, bool] | None:
    """A campaign's snapshot and whether it is open now, by slug (one indexed query)."""
    row = _one(submission_sql(_SLUG_SQL), [slug])
    if row is None:
        return None
    pk, status, updated_at, content_hash = row
    return campaign_snapshot(pk, (updated_at, content_hash)), status == Campaign.Status.OPEN


def open_campaign_for_key(key: str) -> CampaignSnapshot | None:
    """The open campaign of an enumerator key, as a snapshot (one indexed query, then the worker's copy)."""
    if not key:
        return None
    key_hash = sha256(key)
    row = _one(submission_sql(_KEY_SQL), [key_hash, Campaign.Status.OPEN.value])
    if row is None:
        _KEY_CAMPAIGNS.pop(key_hash, None)
        return None
    pk, updated_at, content_hash = row
    _KEY_CAMPAIGNS[key_hash] = pk
    return campaign_snapshot(pk, (updated_at, content_hash))


# Submissions without the read ------------------------------------------------------------------------
# A worker that has just answered for a campaign may skip the read on the next submission: it writes
# with the campaign as it last saw it, and the write itself confirms that the campaign is still open and
# unchanged (services._guard_sql). Only a stored answer is taken from that attempt; anything else (a used
# token, a changed campaign, invalid answers judged by an old snapshot) is asked again with the read.


@dataclass(frozen=True)
class Held:
    """A campaign as this worker last read it: its snapshot and the stamp the write must still find."""

    snapshot: CampaignSnapshot
    stamp: Stamp
    key_hash: str = ""  # the enumerator key it was reached by, which the write checks too


_KEY_CAMPAIGNS: dict[str, int] = {}  # enumerator key hash → the campaign it opened last time


def held_campaign(campaign_id: int) -> Held | None:
    """The worker's snapshot of a campaign, if it has read one; no query."""
    held = _SNAPSHOTS.get(campaign_id)
    return Held(held[1], held[0]) if held is not None else None


def held_campaign_for_key(key: str) -> Held | None:
    """The campaign an enumerator key opened last time in this worker, if any; no query."""
    key_hash = sha256(key)
    campaign_id = _KEY_CAMPAIGNS.get(key_hash)
    held = _SNAPSHOTS.get(campaign_id) if campaign_id is not None else None
    return Held(held[1], held[0], key_hash) if held is not None else None


def key_seen(campaign_id: int, kind: str, key: str) -> bool:
    """Whether a duplicate guard (e.g. an ODK instanceID) was already claimed in this campaign."""
    return SeenKey.objects.filter(campaign_id=campaign_id, kind=kind, key_hash=sha256(key)).exists()


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


def estimation_rows(campaign: Campaign, *, demographics: bool = False) -> tuple[list[dict[str, Any]], Design]:
    """Rows for the estimator (answers + stratum + fpc) without excluded flags, and the design to use.

    With `demographics`, each row also carries the respondent's demographic answers (as text), which
    raking needs and the plain estimates do not.
    """
    excluded = set(campaign.excluded_flags or [])
    population = dict(campaign.strata.values_list("code", "population"))
    rows = []
    fields = (
        ("stratum", "answers", "flags", "demographics") if demographics else ("stratum", "answers", "flags")
    )
    for stratum, answers, flags, *demo in campaign.responses.values_list(*fields).iterator():
        if excluded and excluded & set(flags or []):
            continue
        extra = {k: str(v) for k, v in (demo[0] or {}).items()} if demo else {}
        rows.append({**extra, **answers, "stratum": stratum or "(trống)", "fpc": population.get(stratum, 0)})
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


# Calibration to population margins -----------------------------------------------------------------------

STRATUM_VARIABLE = "stratum"


@dataclass(frozen=True)
class MarginVariable:
    """A variable the estimates can be raked on, with the categories a respondent can fall in."""

    code: str
    label: str
    categories: tuple[tuple[str, str], ...]  # (value as stored, label)


def margin_variables(campaign: Campaign) -> list[MarginVariable]:
    """The stratum and every demographic or filter question with options, in the instrument's order."""
    out = [
        MarginVariable(
            STRATUM_VARIABLE, gettext("Tầng (cơ quan được đánh giá)"), tuple(campaign_strata(campaign))
        )
    ]
    out.extend(
        MarginVariable(q.code, q.text.vi, tuple((str(o.value), o.label.vi) for o in q.options))
        for q in campaign.instrument.instrument.questions
        if q.options and q.kind == "single" and q.role in ("demographic", "filter")
    )
    return out


def campaign_margins(campaign: Campaign) -> dict[str, dict[str, float]]:
    """The campaign's population margins as {variable: {category: count}}."""
    out: dict[str, dict[str, float]] = {}
    for m in PopulationMargin.objects.filter(campaign=campaign).order_by("variable", "category"):
        out.setdefault(m.variable, {})[m.category] = float(m.population)
    return out


def labelled_margins(
    margins: Mapping[str, Mapping[str, float]], variables: Sequence[MarginVariable]
) -> list[tuple[str, str, str, str, float]]:
    """(variable, its label, category, its label, population) rows: margins read back in the questionnaire's words."""
    known = {v.code: (v.label, dict(v.categories)) for v in variables}
    rows = []
    for variable, controls in margins.items():
        label, categories = known.get(variable, (variable, {}))
        for category, count in controls.items():
            rows.append((variable, label, category, categories.get(category, category), count))
    return rows


def margin_problem(
    rows: Sequence[Mapping[str, Any]],
    margins: Mapping[str, Mapping[str, float]],
    variables: Sequence[MarginVariable] = (),
) -> str:
    """Why the rows cannot be raked to these margins (empty when they can), in words an analyst can act on.

    Raking needs every respondent in a category of every variable, and respondents in every category:
    a category with a population but no respondent cannot be given any weight.
    """
    labels = {v.code: dict(v.categories) for v in variables}
    names = {v.code: v.label for v in variables}
    for variable, controls in margins.items():
        name = names.get(variable, variable)
        values = [str(r.get(variable) or "").strip() for r in rows]
        blank = sum(1 for v in values if not v)
        if blank:
            return gettext(
                "Biến «%(v)s»: %(n)d phiếu không trả lời câu này; phương pháp hiệu chỉnh cần mọi phiếu "
                "thuộc một nhóm của biến. Hãy bỏ biến này khỏi tổng thể biên."
            ) % {"v": name, "n": blank}
        counts = Counter(values)
        unknown = sorted(set(counts) - set(controls))
        if unknown:
            return gettext(
                "Biến «%(v)s»: nhóm «%(c)s» có %(n)d phiếu nhưng không có trong tổng thể biên; "
                "hãy thêm số người của nhóm này."
            ) % {
                "v": name,
                "c": labels.get(variable, {}).get(unknown[0], unknown[0]),
                "n": counts[unknown[0]],
            }
        empty = [c for c in controls if not counts.get(c)]
        if empty:
            return gettext(
                "Biến «%(v)s», nhóm «%(c)s»: không có phiếu trả lời nào nên không thể hiệu chỉnh về số "
                "người của nhóm này. Hãy gộp nhóm này với một nhóm gần nó (cả trong tổng thể biên) hoặc "
                "bỏ biến."
            ) % {"v": name, "c": labels.get(variable, {}).get(empty[0], empty[0])}
    return ""


@dataclass(frozen=True)
class CalibratedResults:
    """The whole campaign estimated three ways: unweighted, design-weighted and raked to the margins."""

    unweighted: Estimation | None
    weighted: Estimation | None
    raked: Estimation | None
    designed: bool  # False: no usable stratum sizes, so design-weighted equals unweighted
    problem: str  # why the unweighted/weighted estimates could not be computed
    raking_problem: str  # why the raked ones could not (no margins, a category without respondents, …)


def calibrated_results(campaign: Campaign) -> CalibratedResults:
    """Estimates of the whole campaign without weights, with the design weights, and raked to the margins."""
    rows, design = estimation_rows(campaign, demographics=True)
    margins = campaign_margins(campaign)
    instrument = campaign.instrument.instrument
    k = campaign.min_cell
    designed = design != Design()
    if not rows:
        return CalibratedResults(None, None, None, designed, gettext("Chưa có phiếu trả lời nào."), "")
    try:
        unweighted = estimate_indices(instrument, rows, min_n=k)
        weighted = estimate_indices(instrument, rows, design=design, min_n=k) if designed else unweighted
    except EstimationError as exc:
        return CalibratedResults(None, None, None, designed, str(exc), "")
    if not margins:
        return CalibratedResults(unweighted, weighted, None, designed, "", "")
    problem = margin_problem(rows, margins, margin_variables(campaign))
    if problem:
        return CalibratedResults(unweighted, weighted, None, designed, "", problem)
    try:
        raked = estimate_indices(instrument, rows, design=design, min_n=k, margins=margins)
    except EstimationError as exc:
        return CalibratedResults(unweighted, weighted, None, designed, "", str(exc))
    return CalibratedResults(unweighted, weighted, raked, designed, "", "")


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
