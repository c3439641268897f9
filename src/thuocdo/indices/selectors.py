"""Reading the 766 index: scopes, rule sets, the index of a unit and period, rankings, explanations, late lists.

A figure for a period [S, E) judged at J = min(E, as_of) is the sum of
1. the month and day cells over the whole days before J (received-day counts as if each dossier
   had already settled, settle-day counts from final verdicts), plus the part of J's own day
   before J, read from the facts;
2. an as-of part over the dossiers still open at J (`open_until >= J`, an indexed range): their
   open verdict (late when `late_at <= J`), and the correction of the received-day counts that
   assumed they had closed.
recompute.py computes the same numbers straight from the facts; the tests check both against
core.index766.tally_dossiers.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from thuocdo.core.dossier import VN_TZ
from thuocdo.core.index766 import IndexResult, Period, Procedure, Tally, compute, parse_period, tally_dossiers
from thuocdo.core.rulesets import Parameters, RuleSetError, parse_ruleset, ruleset_in_force
from thuocdo.core.rulesets import RuleSet as CoreRuleSet
from thuocdo.indices import openstate
from thuocdo.indices.facts import (
    FACT_COLUMNS,
    METRICS,
    RECEIVED_METRICS,
    DossierTallies,
    Facts,
    tallies_from_sums,
    vn_day,
    vn_midnight,
)
from thuocdo.indices.models import (
    CellAgencyDay,
    CellAgencyMonth,
    CellDay,
    CellMonth,
    CellProcedureMonth,
    DossierFact,
    ReportedFigure,
    RuleSet,
)
from thuocdo.indices.openstate import OPEN_METRICS

SHIPPED = Path(__file__).resolve().parent / "data" / "rulesets"
DOSSIER_INDICATORS = ("2.1", "3.3", "3.6", "4.1", "4.2", "4.3", "4.4", "4.5b", "5.4")
PROCEDURE_INDICATORS = ("1.1", "1.2", "1.3", "3.1", "3.2", "3.5", "3.5b", "4.5a")


# ----------------------------------------------------------------------------------------------
# Reads shared by one batch of scopes

_memo: ContextVar[dict[str, Any] | None] = ContextVar("thuocdo_indices_memo", default=None)


@contextmanager
def reading_once() -> Iterator[None]:
    """Inside the block, the agency code map and the rule sets are read once.

    Scoped to one page, command or job (never across requests), so an edit of agencies or rule sets
    is seen by the next one without any invalidation.
    """
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _memoised(name: str, read: Any) -> Any:
    memo = _memo.get()
    if memo is None:
        return read()
    if name not in memo:
        memo[name] = read()
    return memo[name]


# ----------------------------------------------------------------------------------------------
# Rule sets


def rulesets() -> list[CoreRuleSet]:
    """Active rule sets from the database (the shipped files if the table is empty)."""
    return list(_memoised("rulesets", _read_rulesets))


def _read_rulesets() -> list[CoreRuleSet]:
    stored = [r.parsed() for r in RuleSet.objects.filter(active=True)]
    if stored:
        return stored
    return [
        parse_ruleset(json.loads(p.read_text(encoding="utf-8")), source=p.name)
        for p in sorted(SHIPPED.glob("*.json"))
    ]


def ruleset_for(day: date) -> CoreRuleSet:
    """The rule set in force on a day."""
    return ruleset_in_force(rulesets(), day)


def current_parameters() -> Parameters:
    """Tallying parameters of the rule set in force today (they shape the stored facts)."""
    try:
        return ruleset_for(datetime.now(UTC).astimezone(VN_TZ).date()).parameters
    except (LookupError, RuleSetError):
        return Parameters()


def paper_results() -> dict[str, bool]:
    """Procedure code → whether it issues a paper result, from the catalogue."""
    from thuocdo.catalog.models import Procedure as CatalogProcedure

    return dict(CatalogProcedure.objects.values_list("code", "issues_paper_result"))


def default_period(now: datetime | None = None) -> str:
    """The current month, as YYYY-MM in Vietnam time."""
    return (now or datetime.now(UTC)).astimezone(VN_TZ).strftime("%Y-%m")


def allowed(user: Any, scope: Scope) -> bool:
    """Whether the user may see non-public figures of every agency in the scope."""
    from thuocdo.accounts.selectors import VIEW_NONPUBLIC, visible_agencies

    if getattr(user, "is_superuser", False):
        return True
    visible = set(visible_agencies(user, VIEW_NONPUBLIC).values_list("id", flat=True))
    if scope.agency_codes is None:
        from thuocdo.units.models import Agency

        return bool(visible) and len(visible) >= Agency.objects.count()
    return bool(scope.agency_ids) and set(scope.agency_ids) <= visible


def allowed_many(user: Any, scopes: Iterable[Scope]) -> list[bool]:
    """`allowed(user, scope)` of each scope, from one read of the user's visible agencies."""
    from thuocdo.accounts.selectors import VIEW_NONPUBLIC, visible_agencies

    scopes = list(scopes)
    if getattr(user, "is_superuser", False):
        return [True] * len(scopes)
    if not scopes:
        return []
    visible = set(visible_agencies(user, VIEW_NONPUBLIC).values_list("id", flat=True))
    everything: bool | None = None
    out = []
    for scope in scopes:
        if scope.agency_codes is None:
            if everything is None:
                from thuocdo.units.models import Agency

                everything = bool(visible) and len(visible) >= Agency.objects.count()
            out.append(everything)
        else:
            out.append(bool(scope.agency_ids) and set(scope.agency_ids) <= visible)
    return out


# ----------------------------------------------------------------------------------------------
# Scopes: which agency codes a unit, level or block covers


@dataclass(frozen=True)
class Scope:
    """A level of aggregation: its key in URLs, its label, the raw agency codes it covers (None = all)."""

    key: str
    label: str
    agency_codes: tuple[str, ...] | None
    procedure_code: str = ""
    field_code: str = ""
    agency_ids: tuple[int, ...] = ()

    def narrowed(self, *, procedure: str = "", field: str = "") -> Scope:
        """The same scope restricted to one procedure or field."""
        return Scope(self.key, self.label, self.agency_codes, procedure, field, self.agency_ids)


class ScopeError(ValueError):
    """An unknown unit, agency or level."""


def agency_code_map() -> dict[str, int]:
    """Every agency code seen in dossiers → the id of the agency that carries it today.

    Agencies of units merged in 2025 map through UnitLineage to the agency of the same kind at the
    primary successor unit, so their dossiers are re-aggregated under the new unit (counts, never
    averages of old rates).
    """
    return dict(_memoised("agency_code_map", _read_agency_code_map))


def _read_agency_code_map() -> dict[str, int]:
    from thuocdo.units.models import Agency, UnitLineage

    agencies = list(Agency.objects.values("id", "code", "kind", "admin_unit_id", "valid_to"))
    by_unit_kind = {(a["admin_unit_id"], a["kind"]): a["id"] for a in agencies if a["valid_to"] is None}
    successor: dict[int, int] = {}
    for pred, succ, primary in UnitLineage.objects.values_list(
        "predecessor_id", "successor_id", "is_primary"
    ):
        if primary or pred not in successor:
            successor[pred] = succ
    out: dict[str, int] = {}
    for a in agencies:
        target = a["id"]
        if a["valid_to"] is not None and a["admin_unit_id"] is not None:
            unit, seen = a["admin_unit_id"], set()
            while unit in successor and unit not in seen:
                seen.add(unit)
                unit = successor[unit]
            target = by_unit_kind.get((unit, a["kind"]), target)
        out[a["code"]] = target
    return out


def _codes_for(agency_ids: Iterable[int]) -> tuple[str, ...]:
    wanted = set(agency_ids)
    return tuple(sorted(code for code, target in agency_code_map().items() if target in wanted))


def resolve_scope(text: str) -> Scope:
    """Parse a scope key: national, province:CODE, commune:CODE, agency:CODE, ministry:CODE, block:CODE."""
    from thuocdo.units.models import AdminUnit, Agency, ComparisonBlock

    key = (text or "national").strip()
    kind, _sep, code = key.partition(":")
    if kind == "national":
        return Scope("national", _("Toàn quốc"), None)
    if kind in ("province", "commune"):
        unit = AdminUnit.objects.filter(structure="2025", level=kind, code=code).first()
        if unit is None:
            raise ScopeError(_("Không có đơn vị hành chính «%(code)s».") % {"code": code})
        ids = tuple(
            Agency.objects.filter(admin_unit__path__startswith=unit.path).values_list("id", flat=True)
        )
        return Scope(key, unit.name, _codes_for(ids), agency_ids=ids)
    if kind in ("agency", "ministry"):
        agency = Agency.objects.filter(code=code).first()
        if agency is None:
            raise ScopeError(_("Không có cơ quan «%(code)s».") % {"code": code})
        ids = tuple(Agency.objects.filter(path__startswith=agency.path).values_list("id", flat=True))
        return Scope(key, agency.name, _codes_for(ids), agency_ids=ids)
    if kind == "block":
        block = ComparisonBlock.objects.filter(code=code).first()
        if block is None:
            raise ScopeError(_("Không có khối «%(code)s».") % {"code": code})
        ids = tuple(Agency.objects.filter(block=block).values_list("id", flat=True))
        return Scope(key, block.name, _codes_for(ids), agency_ids=ids)
    raise ScopeError(_("Cấp tổng hợp «%(key)s» không hợp lệ.") % {"key": key})


def scope_of_agency(agency: Any) -> Scope:
    """The scope of one agency and the agencies under it."""
    return resolve_scope(f"agency:{agency.code}")


def child_scopes(scope: Scope) -> list[Scope]:
    """The scopes one level down, for drill-down: provinces, communes and agencies of a unit, sub-agencies."""
    with reading_once():
        return _child_scopes(scope)


def _child_scopes(scope: Scope) -> list[Scope]:
    from thuocdo.units.models import AdminUnit, Agency

    kind, _sep, code = scope.key.partition(":")
    if kind == "national":
        units = AdminUnit.objects.filter(structure="2025", level="province").order_by("code")
        return _unit_scopes("province", list(units))
    if kind in ("province", "commune"):
        unit = AdminUnit.objects.get(structure="2025", level=kind, code=code)
        # Departments and other leaf agencies of the unit; a committee's subtree would repeat the communes.
        leaves = Agency.objects.filter(admin_unit=unit, valid_to__isnull=True, children__isnull=True)
        out = _agency_scopes(list(leaves.order_by("path")))
        return out + _unit_scopes(
            "commune", list(AdminUnit.objects.filter(parent=unit, structure="2025").order_by("code"))
        )
    if kind in ("agency", "ministry"):
        agency = Agency.objects.get(code=code)
        return _agency_scopes(list(agency.children.filter(valid_to__isnull=True)))
    if kind == "block":
        return _agency_scopes(list(Agency.objects.filter(pk__in=scope.agency_ids).order_by("path")))
    return []


def _codes_by_target() -> dict[int, list[str]]:
    by_target: dict[int, list[str]] = defaultdict(list)
    for code, target in agency_code_map().items():
        by_target[target].append(code)
    return by_target


def _scopes_by_prefix(
    heads: list[tuple[str, str, str]], rows: Iterable[tuple[int, str]], by_target: dict[int, list[str]]
) -> list[Scope]:
    """Scopes (key, label, path) from (agency id, path) rows in the database's order: an agency
    belongs to every head whose path starts its own, as `path__startswith` decides in `resolve_scope`."""
    ids: dict[str, list[int]] = {path: [] for _k, _l, path in heads}
    for agency_id, path in rows:
        # Paths are "/1/10/26/": the prefixes ending in "/" are the ancestors, the path itself included.
        for cut in range(1, len(path) + 1):
            if path[cut - 1] == "/" and path[:cut] in ids:
                ids[path[:cut]].append(agency_id)
    out = []
    for key, label, path in heads:
        mine = tuple(ids[path])
        codes = tuple(sorted(c for i in set(mine) for c in by_target.get(i, ())))
        out.append(Scope(key, label, codes, agency_ids=mine))
    return out


def _agency_scopes(agencies: list[Any]) -> list[Scope]:
    """`resolve_scope(f"agency:{code}")` of each agency, from one read of their subtrees."""
    from thuocdo.units.models import Agency

    if not agencies:
        return []
    if any(not a.path.endswith("/") for a in agencies):
        return [resolve_scope(f"agency:{a.code}") for a in agencies]
    within = Q()
    for a in agencies:
        within |= Q(path__startswith=a.path)
    rows = Agency.objects.filter(within).values_list("id", "path")
    heads = [(f"agency:{a.code}", a.name, a.path) for a in agencies]
    return _scopes_by_prefix(heads, rows, _codes_by_target())


def _unit_scopes(kind: str, units: list[Any]) -> list[Scope]:
    """`resolve_scope(f"{kind}:{code}")` of each unit, from one read of their agencies."""
    from thuocdo.units.models import Agency

    if not units:
        return []
    # A unit of another level would not be the one the key names: `resolve_scope` decides those.
    if any(u.level != kind or u.structure != "2025" or not u.path.endswith("/") for u in units):
        return [resolve_scope(f"{kind}:{u.code}") for u in units]
    within = Q()
    for u in units:
        within |= Q(admin_unit__path__startswith=u.path)
    rows = Agency.objects.filter(within).values_list("id", "admin_unit__path")
    heads = [(f"{kind}:{u.code}", u.name, u.path) for u in units]
    return _scopes_by_prefix(heads, rows, _codes_by_target())


def within_scope(qs: QuerySet[Any], scope: Scope) -> QuerySet[Any]:
    """Rows keyed by agency, procedure and field codes (dossiers, facts, cells) that lie inside the scope."""
    if scope.agency_codes is not None:
        qs = qs.filter(agency_code__in=scope.agency_codes)
    if scope.procedure_code:
        qs = qs.filter(procedure_code=scope.procedure_code)
    if scope.field_code:
        qs = qs.filter(field_code=scope.field_code)
    return qs


# ----------------------------------------------------------------------------------------------
# Dossier-based tallies: cells + as-of part


def _month_split(first: date, stop: date) -> tuple[list[tuple[date, date]], list[date]]:
    """Whole months and day ranges covering [first, stop): ([month starts...], day ranges)."""
    months: list[date] = []
    ranges: list[tuple[date, date]] = []
    d = first
    while d < stop:
        nxt = date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)
        if d.day == 1 and nxt <= stop:
            months.append(d)
            d = nxt
        else:
            end = min(nxt, stop)
            ranges.append((d, end))
            d = end
    return ranges, months


_FINAL_COUNTED = ("early", "on_time", "late")
_PROC_FLAGS = ("r_online", "r_fee", "r_paid", "r_pop")
ProcFlags = list[tuple[str, int, int, int, int]]


def _next_month(d: date) -> date:
    return date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)


def _in_ranges(ranges: Sequence[tuple[date, date]], name: str) -> Q | None:
    if not ranges:
        return None
    q = Q()
    for a, b in ranges:
        q |= Q(**{f"{name}__gte": a, f"{name}__lt": b})
    return q


def _sums_with(period: Q | None, prefix: Q | None) -> dict[str, Any]:
    """Period metrics summed where `period` holds, open-state counters where `prefix` holds (None: nowhere)."""
    out: dict[str, Any] = {}
    for names, q in ((METRICS, period), (OPEN_METRICS, prefix)):
        if q is not None:
            out.update({m: Sum(m, filter=q) if q else Sum(m) for m in names})
    return out


def _add(total: dict[str, int], got: dict[str, Any]) -> None:
    for m, v in got.items():
        if m in total:
            total[m] += int(v or 0)


def _flags(qs: QuerySet[Any]) -> ProcFlags:
    return [
        (p, int(o or 0), int(f or 0), int(pd or 0), int(pp or 0))
        for p, o, f, pd, pp in qs.filter(r_n__gt=0)
        .values("procedure_code")
        .annotate(o=Sum("r_online"), f=Sum("r_fee"), pd=Sum("r_paid"), pp=Sum("r_pop"))
        .values_list("procedure_code", "o", "f", "pd", "pp")
    ]


def _cell_sums(scope: Scope, first: date, last: date) -> tuple[dict[str, int], ProcFlags, dict[str, int]]:
    """Period metrics and per-procedure (online, fee, paid, pop) over whole days [first, last), and the
    open-state counters summed over every day before `last` (their value at its midnight)."""
    sums = dict.fromkeys(METRICS, 0)
    opened = dict.fromkeys(OPEN_METRICS, 0)
    per_proc: ProcFlags = []
    ranges, months = _month_split(first, last) if first < last else ([], [])
    mp = last.replace(day=1)
    national = scope.agency_codes is None
    filtered = bool(scope.procedure_code or scope.field_code)

    # Whole months: the period's (a contiguous run) and every earlier one for the open-state prefix.
    in_period = Q(month__gte=months[0], month__lt=_next_month(months[-1])) if months else None
    if national:
        # Summed over agencies already: a national total is a few hundred rows a month, flags included.
        by_proc = CellProcedureMonth.objects.filter(month__lt=mp)
        if scope.procedure_code:
            by_proc = by_proc.filter(procedure_code=scope.procedure_code)
        if scope.field_code:
            by_proc = by_proc.filter(field_code=scope.field_code)
        exprs = _sums_with(in_period, Q())
        names = list(exprs)
        rows = by_proc.values("procedure_code").annotate(**exprs).values_list("procedure_code", *names)
        for code, *values in rows:
            got = dict(zip(names, values, strict=True))
            _add(sums, got)
            _add(opened, got)
            if in_period is not None and (got["r_n"] or 0) > 0:
                o, f, pd, pp = (int(got[m] or 0) for m in _PROC_FLAGS)
                per_proc.append((code, o, f, pd, pp))
    else:
        base = CellMonth.objects.all() if filtered else CellAgencyMonth.objects.all()
        totals = within_scope(base, scope) if filtered else base.filter(agency_code__in=scope.agency_codes)
        got = totals.filter(month__lt=mp).aggregate(**_sums_with(in_period, Q()))
        _add(sums, got)
        _add(opened, got)
        if months:
            per_proc += _flags(within_scope(CellMonth.objects.filter(month__in=months), scope))

    # Days: the period's partial months, and the days of J's month before J's day for the prefix.
    prefix_days = Q(day__gte=mp, day__lt=last) if mp < last else None
    period_days = _in_ranges(ranges, "day")
    if prefix_days is not None or period_days is not None:
        where = (period_days or Q()) | (prefix_days or Q())
        if filtered:
            days = within_scope(CellDay.objects.filter(where), scope)
        else:
            days = CellAgencyDay.objects.filter(where)
            if not national:
                days = days.filter(agency_code__in=scope.agency_codes)
        got = days.aggregate(**_sums_with(period_days, prefix_days))
        _add(sums, got)
        _add(opened, got)
        if period_days is not None:
            per_proc += _flags(within_scope(CellDay.objects.filter(period_days), scope))
    return sums, per_proc, opened


def _tail_facts(scope: Scope, midnight: datetime, judge: datetime) -> list[Facts]:
    """Facts with something happening in J's own day up to J: received, settled, or turning late."""
    touched = Q(open_until__gte=midnight, open_until__lte=judge)
    if judge > midnight:
        touched |= Q(received_at__gte=midnight, received_at__lt=judge)
        touched |= Q(late_at__gt=midnight, late_at__lte=judge, received_at__lt=judge, open_until__gt=midnight)
    qs = within_scope(DossierFact.objects.filter(touched, excluded=False), scope)
    return [Facts(*row) for row in qs.values_list(*FACT_COLUMNS)]


def _spanning(scope: Scope, start: datetime, judge: datetime) -> dict[str, int]:
    """Closed paper-result dossiers received before S and settling after J (open through the whole period).

    They are open at J but outside the period's received-day counts. A dossier settling after J
    and received before S lasted longer than J - S, and one of span bucket b lasted under 2**b
    seconds, so it was received after J - 2**b: each bucket is one narrow range of an index.
    """
    zero = {"k33": 0, "k41": 0, "k41n": 0, "k42": 0}
    if judge <= start:
        return zero
    low = int((judge - start).total_seconds()).bit_length()
    q = Q(span_bucket__gte=max(low, _WIDEST), received_at__lt=start)
    for b in range(low, _WIDEST):
        q |= Q(span_bucket=b, received_at__gt=judge - timedelta(seconds=2**b), received_at__lt=start)
    facts = within_scope(DossierFact.objects.filter(q, open_until__gt=judge), scope)
    got = facts.aggregate(
        k33=Count("received_at", filter=Q(online=True, e_result=False)),
        k41=Count("received_at"),
        k41n=Count("received_at", filter=Q(result_file=True)),
        k42=Count("received_at", filter=Q(has_files=True, result_file=False)),
    )
    return {k: int(v or 0) for k, v in got.items()}


# Buckets from here on (2**34 s, about 540 years) are read as one range without a lower bound on reception.
_WIDEST = 34


def dossier_tallies(scope: Scope, start: datetime, judge: datetime) -> DossierTallies:
    """Dossier-based tallies of a scope for [start, judge), from the incremental cells and J's own day."""
    if judge <= start:
        return tallies_from_sums(
            dict.fromkeys(METRICS, 0), online=set(), fee=set(), paid=set(), population=set()
        )
    first, last = vn_day(start), vn_day(judge)
    sums, per_proc, opened = _cell_sums(scope, first, last)
    tail = _tail_facts(scope, vn_midnight(last), judge)
    return _finish(sums, per_proc, opened, tail, _spanning(scope, start, judge), start, judge)


def _finish(
    sums: dict[str, int],
    per_proc: ProcFlags,
    opened: dict[str, int],
    tail: Iterable[Facts],
    span: dict[str, int],
    start: datetime,
    judge: datetime,
) -> DossierTallies:
    """Tallies from the cell sums of the whole days before J, J's own day's facts and the spanning dossiers."""
    # J's own day: what the day cells would hold for [midnight, J), plus the dossiers settling exactly at J.
    midnight = vn_midnight(vn_day(judge))
    begin = max(start, midnight)
    counters = [opened[m] for m in OPEN_METRICS]
    received = dict.fromkeys(RECEIVED_METRICS, 0)
    for f in tail:
        if begin <= f.received_at < judge:
            for m, v in zip(RECEIVED_METRICS, f.received_values(), strict=True):
                received[m] += v
            per_proc.append((f.procedure_code, int(f.online), int(f.fee), int(f.fee and f.paid), int(f.pop)))
        # (received exactly at J and settled at once: not yet in the period)
        if begin <= f.open_until <= judge and f.received_at < judge and f.final in _FINAL_COUNTED:
            late = f.final == "late"
            sums["s_counted"] += 1
            sums["s_within"] += not late
            sums["s_late"] += late
            sums["s_flagged"] += f.flagged
        for i, v in enumerate(openstate.tail_delta(f, midnight, judge)):
            counters[i] += v
    _add(sums, received)
    o = dict(zip(OPEN_METRICS, counters, strict=True))
    # Open at J: counted when the due date is known or it is already late; late from late_at on.
    sums["s_counted"] += o["o_dk"] + o["l_ndk"]
    sums["s_late"] += o["l_dk"] + o["l_ndk"]
    sums["s_within"] += o["o_dk"] - o["l_dk"]
    sums["s_flagged"] += o["o_dkf"] + o["l_ndkf"]
    # Received in [S, J) but not yet closed at J: the received-day counts assumed it had closed.
    sums["r_ok33"] += o["k33"] - span["k33"]
    sums["r_den41"] -= o["k41"] - span["k41"]
    sums["r_num41"] -= o["k41n"] - span["k41n"]
    sums["r_ok42"] += o["k42"] - span["k42"]
    online = {p for p, o_, _f, _p, _pp in per_proc if o_}
    fee = {p for p, _o, f_, _p, _pp in per_proc if f_}
    paid = {p for p, _o, _f, pd, _pp in per_proc if pd}
    pop = {p for p, _o, _f, _p, pp in per_proc if pp}
    return tallies_from_sums(sums, online=online, fee=fee, paid=paid, population=pop)


# ----------------------------------------------------------------------------------------------
# The index


@dataclass(frozen=True)
class IndexView:
    """The index of one scope and period, with the tallies behind it."""

    scope: Scope
    period: Period
    judged_at: datetime
    result: IndexResult
    tallies: dict[str, Tally]
    ruleset_name: str
    notes: list[str] = field(default_factory=list)


def _core_procedure(p: Any) -> Procedure:
    """The catalogue row as the pure index code sees a procedure."""
    return Procedure(
        code=p.code,
        online_level=p.online_level,  # type: ignore[arg-type]
        fee_bearing=p.fee_bearing,
        issues_paper_result=p.issues_paper_result,
        full_online_eligible=p.full_online_eligible,
        citizen_subject=p.citizen_subject,
        time_limit=p.time_limit,
        time_limit_unit=p.time_limit_unit,
        published_on=p.published_on,
        made_public_on=p.made_public_on,
        legal_effective_on=p.legal_effective_on,
        components_complete=p.components_complete,
    )


def catalogue_for(scope: Scope, dossier_procedures: Iterable[str] = ()) -> list[Procedure]:
    """Catalogue procedures a scope answers for: those assigned to its agencies, plus any it received dossiers for."""
    from thuocdo.catalog.models import Procedure as CatalogProcedure

    qs = CatalogProcedure.objects.all()
    if scope.agency_codes is not None:
        qs = qs.filter(Q(agencies__in=scope.agency_ids) | Q(code__in=list(dossier_procedures))).distinct()
    if scope.procedure_code:
        qs = qs.filter(code=scope.procedure_code)
    if scope.field_code:
        qs = qs.filter(field__code=scope.field_code)
    return [_core_procedure(p) for p in qs]


def _shift() -> Any:
    """The working-day shift of the announced calendar; None (core falls back to weekdays) if it is unusable."""
    # Not cached for the process: work_calendar() notices an edit of the holiday table (row count and
    # latest updated_at), so a holiday added or moved moves the deadlines at once; a page or command
    # inside reading_once() asks once.
    from thuocdo.calendars.selectors import work_calendar

    def read() -> Any:
        try:
            return work_calendar().shift_working_days
        except Exception:  # a calendar problem must not hide the index
            return None

    return _memoised("calendar_shift", read)


def procedure_tallies(
    procedures: Sequence[Procedure], d: DossierTallies, period: Period, judge: datetime, ruleset: CoreRuleSet
) -> dict[str, Tally]:
    """1.1–1.3 and 3.1 from the catalogue (core), 3.2, 3.5, 3.5b and 4.5a from the dossier procedure sets."""
    base = tally_dossiers(
        [], period.start_at, period.end_at, procedures, judge, ruleset=ruleset, shift_working_days=_shift()
    ).counts
    out = {k: v for k, v in base.items() if k in ("1.1", "1.2", "1.3", "3.1")}

    def share(members: list[Procedure], hits: set[str]) -> Tally:
        return Tally(sum(p.code in hits for p in members), len(members))

    out["3.2"] = share([p for p in procedures if p.online_level in ("full", "partial")], d.online_procedures)
    fee = [p for p in procedures if p.fee_bearing]
    out["3.5"] = share(fee, d.fee_procedures)
    out["3.5b"] = share(fee, d.paid_procedures)
    out["4.5a"] = share([p for p in procedures if p.citizen_subject], d.population_procedures)
    return {k: v for k, v in out.items() if v.denominator}


def _months_within(period: Period) -> list[date]:
    _ranges, months = _month_split(period.start, period.end)
    return months


def entered_tallies(scope: Scope, period: Period) -> dict[str, Tally]:
    """1.4 and 4.6 from figures entered for the whole months of the period.

    1.4 = synced / max(reported, synced), counted per agency and month over the agency-months that
    have a reported figure, so a province with a few figures is not compared with all its dossiers.
    """
    qs = ReportedFigure.objects.filter(month__in=_months_within(period))
    if scope.agency_codes is not None:
        qs = qs.filter(agency_id__in=scope.agency_ids)
    out: dict[str, Tally] = {}
    reported = list(qs.filter(indicator="1.4").values_list("agency_id", "month", "numerator"))
    if reported:
        codes_of: dict[int, list[str]] = {}
        for code, target in agency_code_map().items():
            codes_of.setdefault(target, []).append(code)
        synced_total = denominator = 0
        for agency_id, month, count in reported:
            synced = (
                CellMonth.objects.filter(month=month, agency_code__in=codes_of.get(agency_id, [])).aggregate(
                    n=Sum("r_n")
                )["n"]
                or 0
            )
            synced_total += synced
            denominator += max(count, synced)
        out["1.4"] = Tally(synced_total, denominator)
    copies = qs.filter(indicator="4.6").aggregate(n=Sum("numerator"), d=Sum("denominator"), c=Count("id"))
    if copies["c"] and copies["d"]:
        out["4.6"] = Tally(int(copies["n"] or 0), int(copies["d"]))
    return out


def feedback_tallies(scope: Scope, period: Period, judge: datetime) -> dict[str, Tally]:
    """5.1–5.3 from citizen feedback (PAKN) of the scope's agencies."""
    from thuocdo.feedback.selectors import indicator_tallies
    from thuocdo.units.models import Agency

    agencies = (
        Agency.objects.all() if scope.agency_codes is None else Agency.objects.filter(pk__in=scope.agency_ids)
    )
    got = indicator_tallies(agencies=agencies, start=period.start_at, end=period.end_at, as_of=judge)
    return {k: Tally(n, d) for k, (n, d) in got.items() if d}


def index_for(
    scope: Scope | str,
    period: Period | str,
    as_of: datetime | None = None,
    *,
    with_feedback: bool = True,
) -> IndexView:
    """The 766 index of a scope (or scope key) for a period, judged at min(period end, as_of or now)."""
    if isinstance(scope, str):
        scope = resolve_scope(scope)
    if isinstance(period, str):
        period = parse_period(period)
    judge = min(period.end_at, as_of or datetime.now(UTC))
    ruleset = ruleset_for(period.start)
    d = dossier_tallies(scope, period.start_at, judge)
    tallies: dict[str, Tally] = {k: Tally(n, den) for k, (n, den) in d.counts.items() if den}
    seen = d.online_procedures | d.fee_procedures | d.population_procedures
    procedures = catalogue_for(scope, seen)
    tallies.update(procedure_tallies(procedures, d, period, judge, ruleset))
    tallies.update(entered_tallies(scope, period))
    notes: list[str] = []
    if with_feedback:
        tallies.update(feedback_tallies(scope, period, judge))
    if "1.4" not in tallies:
        notes.append(_("Chưa nhập số hồ sơ báo cáo (1.4): chỉ số được loại khỏi nhóm theo bộ quy tắc."))
    return IndexView(scope, period, judge, compute(tallies, ruleset), tallies, ruleset.name, notes)


def ranking(
    scopes: Sequence[Scope], period: Period | str, as_of: datetime | None = None
) -> list[tuple[Scope, IndexView]]:
    """Scopes (a block's agencies, a province's communes...) ordered by total score, best first."""
    many = index_for_many(scopes, period, as_of, with_feedback=True)
    views = [(s, many[s]) for s in scopes]
    return sorted(views, key=lambda sv: (-sv[1].result.total, sv[0].label))


# ----------------------------------------------------------------------------------------------
# Many scopes at once: one grouped read per table instead of one read per scope

# Above this many agency codes a grouped read covers every agency instead of compiling the IN list.
_IN_MAX = 500


@dataclass
class _Parts:
    """What the cells and facts hold for one agency code (or one procedure), before the scopes add them up."""

    sums: dict[str, int] = field(default_factory=lambda: dict.fromkeys(METRICS, 0))
    opened: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OPEN_METRICS, 0))
    month_flags: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    day_flags: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    tail: list[Facts] = field(default_factory=list)
    span: dict[str, int] = field(default_factory=lambda: {"k33": 0, "k41": 0, "k41n": 0, "k42": 0})


def _grouped_parts(
    by: str, keys: Sequence[str], codes: tuple[str, ...] | None, start: datetime, judge: datetime
) -> dict[str, _Parts]:
    """`_cell_sums`, `_tail_facts` and `_spanning` grouped by agency code (`by="agency_code"`, keys are
    codes) or by procedure (`by="procedure_code"`, keys are procedures, `codes` the agencies, None = all).
    A scope's figures are then sums over its keys of the very rows its own queries would have summed."""
    parts: dict[str, _Parts] = defaultdict(_Parts)
    by_agency = by == "agency_code"

    def restrict(qs: QuerySet[Any], *, has_agency: bool = True) -> QuerySet[Any]:
        if by_agency:
            return qs.filter(agency_code__in=list(keys)) if len(keys) <= _IN_MAX else qs
        qs = qs.filter(procedure_code__in=list(keys))
        return qs.filter(agency_code__in=codes) if codes is not None and has_agency else qs

    def flags(qs: QuerySet[Any], into: str) -> None:
        rows = (
            restrict(qs.filter(r_n__gt=0))
            .values(by, "procedure_code")
            .annotate(o=Sum("r_online"), f=Sum("r_fee"), pd=Sum("r_paid"), pp=Sum("r_pop"))
            .values_list(by, "procedure_code", "o", "f", "pd", "pp")
        )
        for key, proc, o, f, pd, pp in rows:
            getattr(parts[key], into)[proc] = (int(o or 0), int(f or 0), int(pd or 0), int(pp or 0))

    def totals(qs: QuerySet[Any], exprs: dict[str, Any], **kw: bool) -> list[tuple[str, dict[str, Any]]]:
        names = list(exprs)
        out = []
        for key, *values in restrict(qs, **kw).values(by).annotate(**exprs).values_list(by, *names):
            got = dict(zip(names, values, strict=True))
            _add(parts[key].sums, got)
            _add(parts[key].opened, got)
            out.append((key, got))
        return out

    first, last = vn_day(start), vn_day(judge)
    ranges, months = _month_split(first, last) if first < last else ([], [])
    mp = last.replace(day=1)
    in_period = Q(month__gte=months[0], month__lt=_next_month(months[-1])) if months else None
    if not by_agency and codes is None:
        exprs = _sums_with(in_period, Q())
        for key, got in totals(CellProcedureMonth.objects.filter(month__lt=mp), exprs, has_agency=False):
            if in_period is not None and (got["r_n"] or 0) > 0:
                o, f, pd, pp = (int(got[m] or 0) for m in _PROC_FLAGS)
                parts[key].month_flags[key] = (o, f, pd, pp)
    else:
        base = CellAgencyMonth.objects.all() if by_agency else CellMonth.objects.all()
        totals(base.filter(month__lt=mp), _sums_with(in_period, Q()))
        if months:
            flags(CellMonth.objects.filter(month__in=months), "month_flags")
    prefix_days = Q(day__gte=mp, day__lt=last) if mp < last else None
    period_days = _in_ranges(ranges, "day")
    if prefix_days is not None or period_days is not None:
        where = (period_days or Q()) | (prefix_days or Q())
        days: QuerySet[Any] = CellAgencyDay.objects.all() if by_agency else CellDay.objects.all()
        totals(days.filter(where), _sums_with(period_days, prefix_days))
        if period_days is not None:
            flags(CellDay.objects.filter(period_days), "day_flags")

    midnight = vn_midnight(last)
    touched = Q(open_until__gte=midnight, open_until__lte=judge)
    if judge > midnight:
        touched |= Q(received_at__gte=midnight, received_at__lt=judge)
        touched |= Q(late_at__gt=midnight, late_at__lte=judge, received_at__lt=judge, open_until__gt=midnight)
    for row in restrict(DossierFact.objects.filter(touched, excluded=False)).values_list(*FACT_COLUMNS):
        fact = Facts(*row)
        parts[getattr(fact, by)].tail.append(fact)

    if judge > start:
        low = int((judge - start).total_seconds()).bit_length()
        q = Q(span_bucket__gte=max(low, _WIDEST), received_at__lt=start)
        for b in range(low, _WIDEST):
            q |= Q(span_bucket=b, received_at__gt=judge - timedelta(seconds=2**b), received_at__lt=start)
        rows = (
            restrict(DossierFact.objects.filter(q, open_until__gt=judge))
            .values(by)
            .annotate(
                k33=Count("received_at", filter=Q(online=True, e_result=False)),
                k41=Count("received_at"),
                k41n=Count("received_at", filter=Q(result_file=True)),
                k42=Count("received_at", filter=Q(has_files=True, result_file=False)),
            )
            .values_list(by, "k33", "k41", "k41n", "k42")
        )
        for key, *values in rows:
            parts[key].span = {
                k: int(v or 0) for k, v in zip(("k33", "k41", "k41n", "k42"), values, strict=True)
            }
    return parts


def _tallies_of(
    parts: dict[str, _Parts], keys: Iterable[str], start: datetime, judge: datetime
) -> DossierTallies:
    """One scope's dossier tallies from the parts of its keys, finished exactly like `dossier_tallies`."""
    sums = dict.fromkeys(METRICS, 0)
    opened = dict.fromkeys(OPEN_METRICS, 0)
    span = {"k33": 0, "k41": 0, "k41n": 0, "k42": 0}
    month: dict[str, list[int]] = {}
    day: dict[str, list[int]] = {}
    tail: list[Facts] = []
    for key in keys:
        got = parts.get(key)
        if got is None:
            continue
        _add(sums, got.sums)
        _add(opened, got.opened)
        _add(span, got.span)
        for source, into in ((got.month_flags, month), (got.day_flags, day)):
            for proc, values in source.items():
                acc = into.setdefault(proc, [0, 0, 0, 0])
                for i, v in enumerate(values):
                    acc[i] += v
        tail += got.tail
    # Months and days stay separate tuples, as `_cell_sums` reads them in two queries.
    per_proc: ProcFlags = [(p, v[0], v[1], v[2], v[3]) for into in (month, day) for p, v in into.items()]
    return _finish(sums, per_proc, opened, tail, span, start, judge)


def _catalogue(scopes: Sequence[Scope], seen: dict[Scope, set[str]]) -> dict[Scope, list[Procedure]]:
    """`catalogue_for` of each scope (agencies' assigned procedures plus the procedures seen in its dossiers)."""
    from thuocdo.catalog.models import Procedure as CatalogProcedure

    wanted = {s.procedure_code for s in scopes if s.procedure_code}
    qs = CatalogProcedure.objects.all()
    if wanted and all(s.procedure_code for s in scopes):
        qs = qs.filter(code__in=wanted)
    procs = {p.code: _core_procedure(p) for p in qs}
    ids = {i for s in scopes for i in s.agency_ids}
    assigned: dict[int, set[str]] = defaultdict(set)
    link = CatalogProcedure.agencies.through.objects.filter(agency_id__in=ids)
    for agency_id, code in link.values_list("agency_id", "procedure__code"):
        assigned[agency_id].add(code)
    out: dict[Scope, list[Procedure]] = {}
    for s in scopes:
        if s.agency_codes is None:
            codes = set(procs)
        else:
            codes = set(seen[s]).union(*(assigned.get(i, set()) for i in s.agency_ids))
        if s.procedure_code:
            codes &= {s.procedure_code}
        out[s] = [procs[c] for c in sorted(codes) if c in procs]
    return out


def _entered(scopes: Sequence[Scope], period: Period) -> dict[Scope, dict[str, Tally]]:
    """`entered_tallies` of each agency-set scope from one read of the figures and of the synced counts."""
    months = _months_within(period)
    ids = {i for s in scopes for i in s.agency_ids}
    rows = list(
        ReportedFigure.objects.filter(
            month__in=months, agency_id__in=ids, indicator__in=("1.4", "4.6")
        ).values_list("agency_id", "indicator", "month", "numerator", "denominator")
    )
    synced: dict[tuple[int, date], int] = defaultdict(int)
    reported_months = {m for _a, ind, m, _n, _d in rows if ind == "1.4"}
    if reported_months:
        target = agency_code_map()
        cells = (
            CellMonth.objects.filter(month__in=reported_months)
            .values("agency_code", "month")
            .annotate(n=Sum("r_n"))
            .values_list("agency_code", "month", "n")
        )
        for code, month, n in cells:
            if code in target:
                synced[(target[code], month)] += int(n or 0)
    out: dict[Scope, dict[str, Tally]] = {}
    for s in scopes:
        mine = set(s.agency_ids)
        got: dict[str, Tally] = {}
        reported = [(a, m, n) for a, ind, m, n, _d in rows if ind == "1.4" and a in mine]
        if reported:
            total = denominator = 0
            for agency_id, month, count in reported:
                done = synced.get((agency_id, month), 0)
                total += done
                denominator += max(count, done)
            got["1.4"] = Tally(total, denominator)
        copies = [(n or 0, d or 0) for a, ind, _m, n, d in rows if ind == "4.6" and a in mine]
        den = sum(d for _n, d in copies)
        if copies and den:
            got["4.6"] = Tally(sum(n for n, _d in copies), den)
        out[s] = got
    return out


def index_for_many(
    scopes: Sequence[Scope],
    period: Period | str,
    as_of: datetime | None = None,
    *,
    with_feedback: bool = True,
) -> dict[Scope, IndexView]:
    """`index_for` of many scopes, equal to it scope by scope, reading each table once per batch.

    Batched: scopes of agencies (a province's agencies and communes, a block, the provinces), read
    grouped by agency code; and one set of agencies narrowed to several procedures, read grouped by
    procedure. Any other scope (a field, the nation) goes through `index_for`.
    """
    if isinstance(period, str):
        period = parse_period(period)
    judge = min(period.end_at, as_of or datetime.now(UTC))
    out: dict[Scope, IndexView] = {}
    with reading_once():
        ruleset = ruleset_for(period.start)
        by_agency = [
            s for s in scopes if s.agency_codes is not None and not s.procedure_code and not s.field_code
        ]
        by_procedure: dict[tuple[tuple[str, ...] | None, tuple[int, ...]], list[Scope]] = defaultdict(list)
        for s in scopes:
            if s.procedure_code and not s.field_code:
                by_procedure[(s.agency_codes, s.agency_ids)].append(s)
        tallies: dict[Scope, DossierTallies] = {}
        if judge > period.start_at:
            if by_agency:
                keys = sorted({c for s in by_agency for c in s.agency_codes or ()})
                parts = _grouped_parts("agency_code", keys, None, period.start_at, judge)
                for s in by_agency:
                    tallies[s] = _tallies_of(parts, s.agency_codes or (), period.start_at, judge)
            for (codes, _ids), group in by_procedure.items():
                procs = sorted({s.procedure_code for s in group})
                parts = _grouped_parts("procedure_code", procs, codes, period.start_at, judge)
                for s in group:
                    tallies[s] = _tallies_of(parts, (s.procedure_code,), period.start_at, judge)
        else:
            for s in [*by_agency, *(s for g in by_procedure.values() for s in g)]:
                tallies[s] = dossier_tallies(s, period.start_at, judge)
        batched = list(tallies)
        seen = {
            s: d.online_procedures | d.fee_procedures | d.population_procedures for s, d in tallies.items()
        }
        catalogue = _catalogue(batched, seen)
        entered: dict[Scope, dict[str, Tally]] = {}
        agency_sets = {s.agency_ids: s for s in batched if s.agency_codes is not None}
        entered_of_set = _entered(list(agency_sets.values()), period)
        national_entered: dict[str, Tally] | None = None
        feedback: dict[tuple[tuple[int, ...], bool], dict[str, Tally]] = {}
        for s in batched:
            if s.agency_codes is not None:
                entered[s] = entered_of_set[agency_sets[s.agency_ids]]
            else:
                if national_entered is None:
                    national_entered = entered_tallies(s, period)
                entered[s] = national_entered
        if with_feedback:
            feedback = _feedback_of_sets(batched, period, judge)
        for s in scopes:
            if s in out:
                continue
            if s not in tallies:
                out[s] = index_for(s, period, as_of, with_feedback=with_feedback)
                continue
            d = tallies[s]
            t: dict[str, Tally] = {k: Tally(n, den) for k, (n, den) in d.counts.items() if den}
            t.update(procedure_tallies(catalogue[s], d, period, judge, ruleset))
            t.update(entered[s])
            notes: list[str] = []
            if with_feedback:
                # Feedback depends on the agencies only: narrowed scopes of one unit share it.
                fkey = (s.agency_ids, s.agency_codes is None)
                if fkey not in feedback:
                    feedback[fkey] = feedback_tallies(s, period, judge)
                t.update(feedback[fkey])
            if "1.4" not in t:
                notes.append(
                    _("Chưa nhập số hồ sơ báo cáo (1.4): chỉ số được loại khỏi nhóm theo bộ quy tắc.")
                )
            out[s] = IndexView(s, period, judge, compute(t, ruleset), t, ruleset.name, notes)
    return out


def _feedback_of_sets(
    scopes: Sequence[Scope], period: Period, judge: datetime
) -> dict[tuple[tuple[int, ...], bool], dict[str, Tally]]:
    """`feedback_tallies` of each distinct agency set among the scopes, the sets read in one grouped pass."""
    from thuocdo.feedback.selectors import indicator_tallies_many

    sets = {(s.agency_ids, False): s.agency_ids for s in scopes if s.agency_codes is not None}
    got = indicator_tallies_many(sets, start=period.start_at, end=period.end_at, as_of=judge)
    out = {key: {k: Tally(n, d) for k, (n, d) in tallies.items() if d} for key, tallies in got.items()}
    for s in scopes:
        if s.agency_codes is None and (s.agency_ids, True) not in out:
            out[(s.agency_ids, True)] = feedback_tallies(s, period, judge)
    return out


def block_scopes(block_code: str) -> list[Scope]:
    """The agencies of a comparison block, each as a scope."""
    return child_scopes(resolve_scope(f"block:{block_code}"))


# ----------------------------------------------------------------------------------------------
# Explain this score


@dataclass(frozen=True)
class ExplainRow:
    record: str
    in_numerator: bool
    in_denominator: bool
    reason_vi: str
    reason_en: str
    agency_code: str = ""


@dataclass(frozen=True)
class Explanation:
    indicator: str
    name_vi: str
    numerator: int
    denominator: int
    rows: list[ExplainRow]
    page: int
    pages: int
    total_rows: int
    name_en: str = ""


def _scoped_codes(scope: Scope, start: datetime, judge: datetime, *, received_only: bool) -> QuerySet[Any]:
    facts = DossierFact.objects.filter(excluded=False, received_at__lt=judge)
    facts = facts.filter(received_at__gte=start) if received_only else facts.filter(open_until__gte=start)
    return within_scope(facts, scope).order_by("code").values_list("code", "agency_code")


def explain(
    indicator: str,
    scope: Scope | str,
    period: Period | str,
    *,
    as_of: datetime | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Explanation:
    """The records behind one indicator value, each with the reason it counts as it does (paginated)."""
    from thuocdo.dossiers.models import Dossier

    if isinstance(scope, str):
        scope = resolve_scope(scope)
    if isinstance(period, str):
        period = parse_period(period)
    view = index_for(scope, period, as_of, with_feedback=indicator in ("5.1", "5.2", "5.3"))
    ruleset = ruleset_for(period.start)
    try:
        ind = ruleset.indicator(indicator)
    except KeyError:
        raise ScopeError(_("Không có chỉ số «%(id)s».") % {"id": indicator}) from None
    tally = view.tallies.get(indicator, Tally(0, 0))
    judge = view.judged_at
    rows: list[ExplainRow]
    page = max(1, page)
    if indicator in DOSSIER_INDICATORS:
        codes = _scoped_codes(scope, period.start_at, judge, received_only=indicator not in ("2.1", "5.4"))
        total = codes.count()
        chunk = list(codes[(page - 1) * per_page : page * per_page])
        agency_of = dict(chunk)
        dossiers = _parsed(Dossier.objects.filter(code__in=list(agency_of)))
        got = tally_dossiers(
            dossiers, period.start_at, period.end_at, [], judge, ruleset=ruleset, explain=True
        ).contributions.get(indicator, [])
        by_code = {c.record: c for c in got}
        rows = []
        for code in sorted(agency_of):
            c = by_code.get(code)
            if c is None:
                rows.append(
                    ExplainRow(
                        code,
                        False,
                        False,
                        _("Không thuộc mẫu số của chỉ số này"),
                        "Not in the denominator",
                        agency_of[code],
                    )
                )
            else:
                rows.append(
                    ExplainRow(
                        c.record, c.in_numerator, c.in_denominator, c.reason_vi, c.reason_en, agency_of[code]
                    )
                )
    elif indicator in PROCEDURE_INDICATORS:
        d = dossier_tallies(scope, period.start_at, judge)
        procs = catalogue_for(scope, d.online_procedures | d.fee_procedures | d.population_procedures)
        rows = _procedure_reasons(indicator, procs, d, period, judge, ruleset)
        total = len(rows)
        rows = rows[(page - 1) * per_page : page * per_page]
    else:
        rows = [
            ExplainRow(
                "-",
                True,
                True,
                _("Số liệu tổng hợp: %(n)s / %(d)s (nhập tay hoặc từ phản ánh, kiến nghị)")
                % {"n": tally.numerator, "d": tally.denominator},
                "Aggregate figure",
            )
        ]
        total = 1
    pages = max(1, -(-total // per_page))
    return Explanation(
        indicator,
        ind.name_vi,
        tally.numerator,
        tally.denominator,
        rows,
        page,
        pages,
        total,
        name_en=ind.name_en,
    )


def _parsed(rows: QuerySet[Any]) -> list[Any]:
    import msgspec

    from thuocdo.core.dossier import DossierError, Status, parse_document

    out = []
    for code, raw, status, finished, returned in rows.values_list(
        "code", "raw", "status", "finished_at", "returned_at"
    ):
        try:
            parsed = parse_document(msgspec.json.decode(raw), record=code)
        except DossierError:
            continue
        from dataclasses import replace

        out.append(replace(parsed, status=Status(status), finished_at=finished, returned_at=returned))
    return out


def _procedure_reasons(
    indicator: str,
    procs: Sequence[Procedure],
    d: DossierTallies,
    period: Period,
    judge: datetime,
    ruleset: CoreRuleSet,
) -> list[ExplainRow]:
    if indicator in ("1.1", "1.2", "1.3", "3.1"):
        # The same calendar as the index, so the deadline explained is the one the score used.
        got = tally_dossiers(
            [],
            period.start_at,
            period.end_at,
            procs,
            judge,
            ruleset=ruleset,
            explain=True,
            shift_working_days=_shift(),
        )
        return [
            ExplainRow(c.record, c.in_numerator, c.in_denominator, c.reason_vi, c.reason_en)
            for c in got.contributions.get(indicator, [])
        ]
    members, hits, yes, no = {
        "3.2": (
            [p for p in procs if p.online_level in ("full", "partial")],
            d.online_procedures,
            _("Có hồ sơ trực tuyến trong kỳ"),
            _("Không có hồ sơ trực tuyến trong kỳ"),
        ),
        "3.5": (
            [p for p in procs if p.fee_bearing],
            d.fee_procedures,
            _("Có hồ sơ đồng bộ kèm phí, lệ phí"),
            _("Không có hồ sơ đồng bộ kèm phí, lệ phí"),
        ),
        "3.5b": (
            [p for p in procs if p.fee_bearing],
            d.paid_procedures,
            _("Có giao dịch thanh toán trực tuyến"),
            _("Chưa có giao dịch thanh toán trực tuyến"),
        ),
        "4.5a": (
            [p for p in procs if p.citizen_subject],
            d.population_procedures,
            _("Có hồ sơ dùng dữ liệu dân cư"),
            _("Chưa có hồ sơ dùng dữ liệu dân cư"),
        ),
    }[indicator]
    return [ExplainRow(p.code, p.code in hits, True, yes if p.code in hits else no, "") for p in members]


# ----------------------------------------------------------------------------------------------
# Late lists


@dataclass(frozen=True)
class LateStep:
    dossier: str
    agency_code: str
    procedure_code: str
    officer: str
    department: str
    due_at: datetime | None
    acted_at: datetime | None
    overdue_by: timedelta


def overdue_steps(
    scope: Scope, *, now: datetime, horizon: timedelta = timedelta(0), limit: int = 500
) -> list[LateStep]:
    """Open processing steps (QuaTrinhXuLy) past their own deadline, or due within `horizon` (at risk)."""
    from thuocdo.dossiers.models import DossierStep

    open_statuses = (2, 4, 5, 6)
    qs = DossierStep.objects.filter(
        acted_at__isnull=True,
        due_at__isnull=False,
        due_at__lt=now + horizon,
        dossier__status__in=open_statuses,
    ).select_related("dossier")
    if horizon:
        qs = qs.filter(due_at__gte=now)
    if scope.agency_codes is not None:
        qs = qs.filter(dossier__agency_code__in=scope.agency_codes)
    return [
        LateStep(
            s.dossier.code,
            s.dossier.agency_code,
            s.dossier.procedure_code,
            s.officer,
            s.department,
            s.due_at,
            s.acted_at,
            max(timedelta(0), now - s.due_at) if s.due_at else timedelta(0),
        )
        for s in qs.order_by("due_at")[:limit]
    ]


def overdue_dossiers(
    scope: Scope, *, now: datetime, horizon: timedelta = timedelta(0), limit: int = 500
) -> QuerySet[Any]:
    """Open dossiers already late at `now` (horizon 0) or turning late within `horizon` (at risk)."""
    qs = within_scope(
        DossierFact.objects.filter(excluded=False, open_until__gt=now, received_at__lte=now), scope
    )
    qs = qs.filter(late_at__gt=now, late_at__lte=now + horizon) if horizon else qs.filter(late_at__lte=now)
    return qs.order_by("late_at")[:limit]


@dataclass(frozen=True)
class LateUnit:
    agency_code: str
    agency_name: str
    late: int
    counted: int


@dataclass(frozen=True)
class LateOfficial:
    officer: str
    department: str
    agency_code: str
    late_steps: int
    steps: int


def late_units(scope: Scope, period: Period | str, as_of: datetime | None = None) -> list[LateUnit]:
    """Agencies with late dossiers in the period (settled late, or open and late at its end), most late first."""
    from thuocdo.units.models import Agency

    if isinstance(period, str):
        period = parse_period(period)
    judge = min(period.end_at, as_of or datetime.now(UTC))
    base = within_scope(
        DossierFact.objects.filter(excluded=False, received_at__lt=judge, open_until__gte=period.start_at),
        scope,
    )
    settled = Q(open_until__lte=judge)
    late = (settled & Q(final="late")) | (~settled & Q(late_at__lte=judge))
    counted = (settled & Q(final__in=_FINAL_COUNTED)) | (
        ~settled & (Q(due_known=True) | Q(late_at__lte=judge))
    )
    rows = (
        base.values("agency_code")
        .annotate(late=Count("received_at", filter=late), counted=Count("received_at", filter=counted))
        .filter(late__gt=0)
        .order_by("-late", "agency_code")
    )
    names = dict(Agency.objects.values_list("code", "name"))
    return [
        LateUnit(r["agency_code"], names.get(r["agency_code"], ""), r["late"], r["counted"]) for r in rows
    ]


def late_officials(scope: Scope, period: Period | str) -> list[LateOfficial]:
    """Officials whose processing steps acted in the period were past the step's own deadline, most first."""
    from thuocdo.dossiers.models import DossierStep

    if isinstance(period, str):
        period = parse_period(period)
    qs = DossierStep.objects.filter(
        acted_at__gte=period.start_at, acted_at__lt=period.end_at, due_at__isnull=False
    ).exclude(officer="")
    if scope.agency_codes is not None:
        qs = qs.filter(dossier__agency_code__in=scope.agency_codes)
    from django.db.models import F

    rows = (
        qs.values("officer", "department", "dossier__agency_code")
        .annotate(late=Count("id", filter=Q(acted_at__gt=F("due_at"))), steps=Count("id"))
        .filter(late__gt=0)
        .order_by("-late", "officer")
    )
    return [
        LateOfficial(r["officer"], r["department"], r["dossier__agency_code"], r["late"], r["steps"])
        for r in rows
    ]


def total_as_float(value: Decimal) -> float:
    """Decimal points for JSON."""
    return float(value)


# ----------------------------------------------------------------------------------------------
# Raw reads for the batch recompute and its checks


def fact_rows() -> Iterable[tuple[Any, ...]]:
    """Every fact row in FACT_COLUMNS order (streamed)."""
    from thuocdo.indices.facts import FACT_COLUMNS

    return DossierFact.objects.order_by().values_list(*FACT_COLUMNS).iterator(chunk_size=5000)


def stored_cells() -> dict[tuple[str, str, str, date], tuple[int, ...]]:
    """The incremental day cells with a non-zero count (CELL_METRICS), keyed like recompute.run_cells."""
    out = {}
    for row in CellDay.objects.values_list(
        "agency_code", "procedure_code", "field_code", "day", *METRICS, *OPEN_METRICS
    ):
        values = tuple(row[4:])
        if any(values):
            out[(row[0], row[1], row[2], row[3])] = values
    return out
