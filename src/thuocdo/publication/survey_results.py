"""Survey campaign results as they are published: design-based estimates for the whole scope, each agency,
commune and block, with small cells and their complements withheld; key drivers for one domain.

This is the read side shared by the publishing service and the officials' dashboard, so what an official
previews is exactly what gets published. Responses are read here (publication may import surveys; surveys
never imports publication), the campaign's flag policy is applied, and core.estimation does the statistics
under the campaign's design: strata with their population sizes (fpc, weights N_h/n_h).

Estimation of a provincial round takes a second or two, so results are cached under a digest of their
inputs (the rows, the instrument and k): the same responses always give the same figures, and any new
response or policy change produces a new key.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.utils.translation import get_language

from thuocdo.core.drivers import DriverAnalysis, DriversError, drivers_from_responses
from thuocdo.core.estimation import Design, Estimate, EstimationError, IndexResult, estimate_indices
from thuocdo.core.instruments import Instrument, Text
from thuocdo.publication import suppression
from thuocdo.surveys.models import Campaign
from thuocdo.units.models import AdminUnit, Agency, ComparisonBlock
from thuocdo.units.sources import COMMUNE, PROVINCE

SCOPE, AGENCY, COMMUNE_KIND, BLOCK = "scope", "agency", "commune", "block"
_AGENCY, _COMMUNE, _BLOCK, _WEIGHT = "_agency", "_commune", "_block", "_w"
_BLANK = "(trống)"  # core.estimation's label for a blank group value
COSTS = {"item": 1.0, "factor": 3.0, "aspect": 6.0, "overall": 100.0}
CACHE_SECONDS = 600


class ResultsError(ValueError):
    """The campaign cannot be estimated (no responses, or an unusable design); the message says why."""


@dataclass(frozen=True)
class Cell:
    """One index of one domain as it may be shown: a withheld cell has no figures, only n and the reason."""

    level: str  # "overall", "aspect", "factor", "item"
    code: str
    title_vi: str
    title_en: str
    parent: str  # the factor of a criterion, the aspect of a factor, "" otherwise
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    suppression: str = ""  # "", "small" (n < k), "complementary", "empty" (no answers)

    @property
    def label(self) -> str:
        """The title in the current language (Vietnamese first)."""
        return self.title_en if (get_language() or "vi").startswith("en") and self.title_en else self.title_vi

    @property
    def shown(self) -> bool:
        """Whether the figures may be shown."""
        return self.estimate is not None

    @property
    def margin(self) -> float | None:
        """Half the width of the 95% interval."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return (self.ci_high - self.ci_low) / 2


@dataclass(frozen=True)
class Domain:
    """Every index of one domain (the whole scope, an agency, a commune or a block)."""

    kind: str
    code: str
    name: str
    n: int
    small: bool  # fewer than k respondents: nothing but n is shown
    overall: Cell
    aspects: tuple[Cell, ...]
    factors: tuple[Cell, ...]
    items: tuple[Cell, ...]

    @property
    def key(self) -> str:
        """ "kind:code", as used in URLs."""
        return f"{self.kind}:{self.code}"

    @property
    def cells(self) -> tuple[Cell, ...]:
        """Overall, aspects, factors, criteria."""
        return (self.overall, *self.aspects, *self.factors, *self.items)

    def weakest(self, count: int = 5) -> list[Cell]:
        """The criteria with the lowest index among those shown (never a withheld one)."""
        return sorted((c for c in self.items if c.shown), key=lambda c: (c.estimate, c.code))[:count]

    def items_of(self, factor: str) -> list[Cell]:
        """The criteria of one factor."""
        return [c for c in self.items if c.parent == factor]


@dataclass(frozen=True)
class Computed:
    """What is cached: the statistics, without database objects."""

    df: int
    designed: bool
    scope: Domain
    agencies: Mapping[str, Domain]
    communes: Mapping[str, Domain]
    blocks: Mapping[str, Domain]
    warnings: tuple[str, ...] = ()


@dataclass
class CampaignResults:
    campaign: Campaign
    instrument: Instrument
    min_n: int
    responses: int  # used in the estimates
    excluded: int  # left out by the campaign's flag policy
    computed: Computed
    province: AdminUnit | None
    agencies: dict[str, Agency] = field(default_factory=dict)
    communes: dict[str, AdminUnit] = field(default_factory=dict)
    blocks: dict[str, ComparisonBlock] = field(default_factory=dict)

    @property
    def scope(self) -> Domain:
        return self.computed.scope

    def domain(self, kind: str, code: str) -> Domain | None:
        """A domain by kind and code."""
        if kind == SCOPE:
            return self.computed.scope
        table = {
            AGENCY: self.computed.agencies,
            COMMUNE_KIND: self.computed.communes,
            BLOCK: self.computed.blocks,
        }.get(kind, {})
        return table.get(code)

    def subject(self, domain: Domain) -> Any:
        """The database object a domain is about (the province, an Agency, a commune, a ComparisonBlock)."""
        if domain.kind == SCOPE:
            return self.province
        table: Mapping[str, Any] = (
            self.agencies
            if domain.kind == AGENCY
            else self.communes
            if domain.kind == COMMUNE_KIND
            else self.blocks
        )
        return table.get(domain.code)

    def agencies_in(self, domain: Domain) -> list[Domain]:
        """The agency domains inside a block or a commune (every agency for the whole scope)."""
        out = []
        for code, agency_domain in self.computed.agencies.items():
            agency = self.agencies[code]
            block = agency.block.code if agency.block is not None else ""
            unit = agency.admin_unit.code if agency.admin_unit is not None else ""
            if (
                domain.kind == SCOPE
                or (domain.kind == BLOCK and block == domain.code)
                or (domain.kind == COMMUNE_KIND and unit == domain.code)
            ):
                out.append(agency_domain)
        return out


@dataclass(frozen=True)
class Rows:
    rows: list[dict[str, Any]]
    design: Design
    excluded: int
    agencies: dict[str, Agency]


def campaign_rows(campaign: Campaign) -> Rows:
    """Responses as estimator rows (answers, stratum, fpc, agency/commune/block codes) under the flag policy.

    The design follows surveys.selectors.estimation_rows: strata with population sizes when every stratum
    has at least two answers and no more answers than its population, otherwise a simple random sample.
    """
    excluded_flags = set(campaign.excluded_flags or [])
    population = dict(campaign.strata.values_list("code", "population"))
    raw = list(campaign.responses.order_by("id").values_list("stratum", "agency_id", "answers", "flags"))
    agencies = {
        a.pk: a
        for a in Agency.objects.filter(pk__in={r[1] for r in raw if r[1]}).select_related(
            "admin_unit", "admin_unit__parent", "block"
        )
    }
    rows: list[dict[str, Any]] = []
    excluded = 0
    for stratum, agency_id, answers, flags in raw:
        if excluded_flags & set(flags or []):
            excluded += 1
            continue
        agency = agencies.get(agency_id)
        unit = agency.admin_unit if agency else None
        rows.append(
            {
                **answers,
                "stratum": stratum or _BLANK,
                "fpc": population.get(stratum, 0),
                _AGENCY: agency.code if agency else "",
                _COMMUNE: unit.code if unit is not None and unit.level == COMMUNE else "",
                _BLOCK: agency.block.code if agency and agency.block else "",
            }
        )
    per_stratum = Counter(r["stratum"] for r in rows)
    designed = bool(rows) and all(r["fpc"] >= per_stratum[r["stratum"]] > 1 for r in rows)
    for r in rows:
        r[_WEIGHT] = r["fpc"] / per_stratum[r["stratum"]] if designed else 1.0
        if not designed:
            r.pop("fpc")
    design = Design(stratum="stratum", fpc="fpc") if designed else Design()
    return Rows(rows, design, excluded, {a.code: a for a in agencies.values()})


def _digest(campaign: Campaign, rows: Rows, min_n: int) -> str:
    payload = json.dumps(
        [campaign.instrument.content_hash, min_n, rows.design.fpc or "", rows.rows],
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return "publication:survey:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


def campaign_results(campaign: Campaign, *, min_n: int) -> CampaignResults:
    """Estimates of the campaign for the whole scope and each agency, commune and block, suppression applied."""
    rows = campaign_rows(campaign)
    if not rows.rows:
        raise ResultsError("Chưa có phiếu trả lời nào được tính vào ước lượng.")
    instrument = campaign.instrument.instrument
    key = _digest(campaign, rows, min_n)
    computed = cache.get(key)
    if computed is None:
        computed = _compute(instrument, rows, min_n)
        cache.set(key, computed, CACHE_SECONDS)
    agencies = rows.agencies
    communes = {
        a.admin_unit.code: a.admin_unit
        for a in agencies.values()
        if a.admin_unit and a.admin_unit.level == COMMUNE
    }
    blocks = {a.block.code: a.block for a in agencies.values() if a.block}
    return CampaignResults(
        campaign=campaign,
        instrument=instrument,
        min_n=min_n,
        responses=len(rows.rows),
        excluded=rows.excluded,
        computed=computed,
        province=_province_of(agencies.values())
        or _province_of(campaign.agencies.select_related("admin_unit__parent")),
        agencies=agencies,
        communes=communes,
        blocks=blocks,
    )


def _province_of(agencies: Any) -> AdminUnit | None:
    """The one province every agency lies in, else None."""
    found: dict[int, AdminUnit] = {}
    for agency in agencies:
        unit = agency.admin_unit
        while unit is not None and unit.level != PROVINCE:
            unit = unit.parent
        if unit is None:
            return None
        found[unit.pk] = unit
    return next(iter(found.values())) if len(found) == 1 else None


def _compute(instrument: Instrument, rows: Rows, min_n: int) -> Computed:
    names = {code: a.name for code, a in rows.agencies.items()}
    communes = {
        a.admin_unit.code: a.admin_unit.name
        for a in rows.agencies.values()
        if a.admin_unit and a.admin_unit.level == COMMUNE
    }
    blocks = {a.block.code: a.block.name for a in rows.agencies.values() if a.block}
    results: dict[str, dict[str, Domain]] = {}
    scope: Domain | None = None
    df = 0
    warnings: list[str] = []
    for kind, column, labels in (
        (AGENCY, _AGENCY, names),
        (COMMUNE_KIND, _COMMUNE, communes),
        (BLOCK, _BLOCK, blocks),
    ):
        try:
            estimation = estimate_indices(instrument, rows.rows, design=rows.design, by=column, min_n=min_n)
        except EstimationError as exc:
            raise ResultsError(str(exc)) from exc
        warnings.extend(estimation.warnings)
        if scope is None:
            scope = domain_from(instrument, estimation.all, kind=SCOPE, code="", name="", min_n=min_n)
            df = estimation.df
        results[kind] = {
            code: domain_from(
                instrument, result, kind=kind, code=code, name=labels.get(code, code), min_n=min_n
            )
            for code, result in estimation.groups.items()
            if code != _BLANK
        }
    assert scope is not None
    return Computed(
        df=df,
        designed=rows.design.fpc is not None,
        scope=scope,
        agencies=results[AGENCY],
        communes=results[COMMUNE_KIND],
        blocks=results[BLOCK],
        warnings=tuple(dict.fromkeys(warnings)),
    )


def _linear_cells(instrument: Instrument, result: IndexResult) -> list[suppression.LinearCell]:
    """Each index of a domain as a linear function of its criteria, as core.estimation combines them."""
    agg = instrument.aggregation
    present = {code for code, e in result.items.items() if e.n > 0}

    def combine(method: str, parts: Sequence[Mapping[str, float]]) -> dict[str, float]:
        parts = [p for p in parts if p]
        out: dict[str, float] = {}
        for part in parts:
            for k, w in part.items():
                out[k] = out.get(k, 0.0) + (w / len(parts) if method == "mean" else w)
        return out

    def primary(e: Estimate) -> bool:
        return e.suppressed and e.n > 0

    cells = [
        suppression.LinearCell(f"item:{c}", {c: 1.0} if c in present else {}, primary(e))
        for c, e in result.items.items()
    ]
    factor_weights: dict[str, dict[str, float]] = {}
    for factor in instrument.factors:
        factor_weights[factor.code] = combine(
            agg.factor, [{c.code: 1.0} for c in factor.criteria if c.code in present]
        )
        cells.append(
            suppression.LinearCell(
                f"factor:{factor.code}", factor_weights[factor.code], primary(result.factors[factor.code])
            )
        )
    top = factor_weights
    if instrument.aspects:
        assert agg.aspect is not None
        top = {}
        for aspect in instrument.aspects:
            top[aspect.code] = combine(agg.aspect, [factor_weights[f] for f in aspect.factors])
            cells.append(
                suppression.LinearCell(
                    f"aspect:{aspect.code}", top[aspect.code], primary(result.aspects[aspect.code])
                )
            )
    cells.append(
        suppression.LinearCell("overall:", combine(agg.overall, list(top.values())), primary(result.overall))
    )
    return cells


def withheld_cells(instrument: Instrument, result: IndexResult) -> dict[str, str]:
    """Keys ("item:A1", "factor:A", "overall:") to withhold in a domain, with the reason."""
    if result.suppressed:
        return {}
    ns = {f"item:{c}": e.n for c, e in result.items.items()}
    ns.update({f"factor:{c}": e.n for c, e in result.factors.items()})
    ns.update({f"aspect:{c}": e.n for c, e in result.aspects.items()})

    def cost(cell: suppression.LinearCell) -> float:
        # A criterion before a factor, a factor before an aspect; the overall index only as a last resort.
        level = cell.key.split(":", 1)[0]
        return COSTS[level] + ns.get(cell.key, 0) * 1e-6

    members: dict[str, list[str]] = {
        f"factor:{f.code}": [f"item:{c.code}" for c in f.criteria] for f in instrument.factors
    }
    members.update({f"aspect:{a.code}": [f"factor:{f}" for f in a.factors] for a in instrument.aspects})
    return suppression.protect(_linear_cells(instrument, result), cost=cost, members=members)


def domain_from(
    instrument: Instrument, result: IndexResult, *, kind: str, code: str, name: str, min_n: int
) -> Domain:
    """A domain's cells from core.estimation's result, with complementary suppression applied."""
    withheld = withheld_cells(instrument, result)
    factor_aspect = {f: a.code for a in instrument.aspects for f in a.factors}

    def cell(level: str, code_: str, title: Text, parent: str, e: Estimate) -> Cell:
        reason = withheld.get(f"{level}:{code_}", "")
        if result.suppressed:
            reason = suppression.PRIMARY
        elif e.n == 0 or (e.estimate is None and not e.suppressed):
            reason = "empty"
        elif e.suppressed:
            reason = suppression.PRIMARY
        if reason:
            return Cell(level, code_, title.vi, title.en, parent, None, None, None, None, e.n, reason)
        return Cell(level, code_, title.vi, title.en, parent, e.estimate, e.se, e.ci_low, e.ci_high, e.n)

    overall_title = Text("Chỉ số hài lòng chung", "Overall satisfaction index")
    return Domain(
        kind=kind,
        code=code,
        name=name,
        n=result.n,
        small=result.suppressed,
        overall=cell("overall", "", overall_title, "", result.overall),
        aspects=tuple(
            cell("aspect", a.code, a.title, "", result.aspects[a.code]) for a in instrument.aspects
        ),
        factors=tuple(
            cell("factor", f.code, f.title, factor_aspect.get(f.code, ""), result.factors[f.code])
            for f in instrument.factors
        ),
        items=tuple(
            cell("item", c.code, c.text, f.code, result.items[c.code])
            for f in instrument.factors
            for c in f.criteria
        ),
    )


def domain_rows(rows: Rows, kind: str, code: str) -> list[dict[str, Any]]:
    """The estimator rows of one domain (for key drivers, computed on the domain's own respondents)."""
    column = {AGENCY: _AGENCY, COMMUNE_KIND: _COMMUNE, BLOCK: _BLOCK}.get(kind)
    if column is None:
        return rows.rows
    return [r for r in rows.rows if r[column] == code]


def key_drivers(campaign: Campaign, domain: Domain, *, target: float) -> tuple[DriverAnalysis | None, str]:
    """Key drivers of overall satisfaction within a domain, with the priority matrix; or why there are none.

    Only criteria whose index is shown get a priority (a withheld index must not leak through it).
    """
    if domain.small or not domain.overall.shown:
        return None, "Chưa đủ số phiếu để phân tích."
    data = domain_rows(campaign_rows(campaign), domain.kind, domain.code)
    indices = {c.code: c.estimate for c in domain.items if c.estimate is not None}
    try:
        analysis = drivers_from_responses(
            campaign.instrument.instrument, data, weight=_WEIGHT, indices=indices, target=target
        )
    except DriversError as exc:
        return None, str(exc)
    return analysis, ""
