"""Read-only queries for the officials' drill-down: a scope's procedures, its officials, its peers, its ancestors.

Index figures always come from `selectors.index_for` (a procedure row is the scope narrowed to that
procedure), so a row here equals what the index page shows for the same scope; only the lists of
which procedures, officials and peers to show, and the processing-step counts, are queried here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _

from thuocdo.core.index766 import Period
from thuocdo.indices import selectors
from thuocdo.indices.selectors import IndexView, Scope, ScopeError, allowed

# QuaTrinhXuLy steps count as "overdue now" only while the dossier is still being processed.
OPEN_STATUSES = (2, 4, 5, 6)
FULL_SCORE = Decimal(100)


@dataclass(frozen=True)
class ProcedureRow:
    code: str
    name: str
    dossiers: int  # dossiers of the procedure in the scope and period (received in it, or open during it)
    view: IndexView

    @property
    def points_lost(self) -> Decimal:
        """Points short of the full 100 for this procedure alone."""
        return FULL_SCORE - self.view.result.total

    @property
    def late(self) -> int:
        """Dossiers counted late by 2.1."""
        t = self.view.tallies.get("2.1")
        return t.denominator - t.numerator if t else 0


@dataclass(frozen=True)
class OfficialRow:
    officer: str
    department: str
    agency_code: str
    handled: int  # steps acted on in the period
    on_time: int  # acted on by the step's own deadline
    late: int  # acted on after it
    overdue: int  # still open now and past the deadline

    @property
    def late_rate(self) -> Decimal | None:
        """Share of the steps with a deadline that were acted on late, in percent."""
        timed = self.on_time + self.late
        return (Decimal(self.late) * 100 / timed).quantize(Decimal("0.01")) if timed else None


@dataclass(frozen=True)
class StepRow:
    dossier: str
    procedure_code: str
    seq: int
    title: str
    due_at: datetime | None
    acted_at: datetime | None
    late_by: timedelta


def _dossiers(scope: Scope) -> QuerySet[Any]:
    from thuocdo.dossiers.models import Dossier

    return selectors.within_scope(Dossier.objects.all(), scope)


def procedure_rows(
    scope: Scope, period: Period, as_of: datetime | None = None, *, limit: int = 60
) -> tuple[list[ProcedureRow], int]:
    """The scope's procedures with dossiers in the period, each scored alone, most points lost first.

    Returns the rows (the `limit` busiest procedures) and how many procedures there were in all.
    """
    from thuocdo.catalog.models import Procedure as CatalogProcedure

    judge = min(period.end_at, as_of or period.end_at)
    active = (
        _dossiers(scope)
        .filter(received_at__lt=judge)
        .filter(
            Q(received_at__gte=period.start_at)
            | Q(finished_at__isnull=True)
            | Q(finished_at__gte=period.start_at)
        )
    )
    counts = list(active.values("procedure_code").annotate(n=Count("id")).order_by("-n", "procedure_code"))
    names = dict(
        CatalogProcedure.objects.filter(code__in=[c["procedure_code"] for c in counts[:limit]]).values_list(
            "code", "name"
        )
    )
    narrowed = [scope.narrowed(procedure=c["procedure_code"]) for c in counts[:limit]]
    views = selectors.index_for_many(narrowed, period, as_of, with_feedback=False)
    rows = [
        ProcedureRow(c["procedure_code"], names.get(c["procedure_code"], ""), c["n"], views[s])
        for c, s in zip(counts[:limit], narrowed, strict=True)
    ]
    rows.sort(key=lambda r: (-r.points_lost, -r.late, r.code))
    return rows, len(counts)


def _steps(scope: Scope) -> QuerySet[Any]:
    from thuocdo.dossiers.models import DossierStep

    qs = DossierStep.objects.exclude(officer="")
    if scope.agency_codes is not None:
        qs = qs.filter(dossier__agency_code__in=scope.agency_codes)
    if scope.procedure_code:
        qs = qs.filter(dossier__procedure_code=scope.procedure_code)
    if scope.field_code:
        qs = qs.filter(dossier__field_code=scope.field_code)
    return qs


def _overdue_at(now: datetime) -> Q:
    """Steps past their deadline and not yet acted on at `now` (acted on later, or still pending on an open dossier)."""
    pending = Q(acted_at__isnull=True, dossier__status__in=OPEN_STATUSES)
    return Q(due_at__lt=now) & (pending | Q(acted_at__gt=now))


def official_rows(scope: Scope, period: Period, *, now: datetime) -> list[OfficialRow]:
    """Officials who handled steps of the scope's dossiers: steps in the period by their own deadlines, overdue now."""
    judge = min(period.end_at, now)
    steps = _steps(scope)
    in_period = Q(acted_at__gte=period.start_at, acted_at__lt=judge)
    overdue = _overdue_at(now)
    rows = (
        steps.filter(in_period | overdue)
        .values("officer", "department", "dossier__agency_code")
        .annotate(
            handled=Count("id", filter=in_period),
            on_time=Count("id", filter=in_period & Q(due_at__isnull=False, acted_at__lte=F("due_at"))),
            late=Count("id", filter=in_period & Q(due_at__isnull=False, acted_at__gt=F("due_at"))),
            overdue=Count("id", filter=overdue),
        )
        .order_by()
    )
    out = [
        OfficialRow(
            r["officer"],
            r["department"],
            r["dossier__agency_code"],
            r["handled"],
            r["on_time"],
            r["late"],
            r["overdue"],
        )
        for r in rows
    ]
    out.sort(key=lambda o: (-(o.late + o.overdue), -o.late, o.officer, o.agency_code))
    return out


def official_steps(
    scope: Scope, period: Period, *, now: datetime, officer: str, limit: int = 200
) -> list[StepRow]:
    """One official's steps in the scope that were late in the period or are overdue now, latest deadline first."""
    judge = min(period.end_at, now)
    late = Q(
        acted_at__gte=period.start_at, acted_at__lt=judge, due_at__isnull=False, acted_at__gt=F("due_at")
    )
    overdue = _overdue_at(now)
    qs = (
        _steps(scope)
        .filter(officer=officer)
        .filter(late | overdue)
        .select_related("dossier")
        .order_by("-due_at", "dossier__code", "seq")[:limit]
    )
    return [
        StepRow(
            s.dossier.code,
            s.dossier.procedure_code,
            s.seq,
            s.title,
            s.due_at,
            s.acted_at,
            max(timedelta(0), min(s.acted_at or now, now) - s.due_at) if s.due_at else timedelta(0),
        )
        for s in qs
    ]


def peer_scopes(scope: Scope) -> tuple[list[Scope], str]:
    """The scopes a scope is ranked among (itself included) and the comparison's name; none for national."""
    from thuocdo.units.models import AdminUnit, Agency

    kind, _sep, code = scope.key.partition(":")
    if kind == "agency":
        agency = Agency.objects.select_related("block").filter(code=code).first()
        if agency is not None and agency.block is not None:
            return selectors.block_scopes(agency.block.code), agency.block.name
    if kind == "commune":
        unit = (
            AdminUnit.objects.select_related("parent").filter(structure="2025", level=kind, code=code).first()
        )
        if unit is not None and unit.parent is not None:
            communes = AdminUnit.objects.filter(parent=unit.parent, structure="2025", level="commune")
            return [selectors.resolve_scope(f"commune:{u.code}") for u in communes.order_by("code")], _(
                "Các xã, phường của %(unit)s"
            ) % {"unit": unit.parent.name}
    if kind == "province":
        return selectors.child_scopes(selectors.resolve_scope("national")), _("Các tỉnh, thành phố")
    if kind == "block":
        return [], ""
    return [], ""


def ancestors(user: Any, scope: Scope) -> list[Scope]:
    """The scopes above this one that the user may see, top first (national, province, commune, agency)."""
    from thuocdo.units.models import AdminUnit, Agency

    kind, _sep, code = scope.key.partition(":")
    chain: list[str] = []
    unit = None
    if kind in ("agency", "ministry"):
        agency = Agency.objects.select_related("admin_unit", "parent").filter(code=code).first()
        if agency is not None:
            unit = agency.admin_unit
            parent = agency.parent
            # Sub-agencies (a department's divisions) sit under their agency; committees are the unit itself.
            while parent is not None and parent.kind not in ("province_committee", "commune_committee"):
                chain.insert(0, f"agency:{parent.code}")
                parent = parent.parent
    elif kind == "commune":
        found = (
            AdminUnit.objects.select_related("parent").filter(structure="2025", level=kind, code=code).first()
        )
        unit = found.parent if found is not None else None
    units: list[str] = []
    while unit is not None and unit.structure == "2025":
        units.insert(0, f"{unit.level}:{unit.code}")
        unit = unit.parent
    keys = (["national"] if kind != "national" else []) + units + chain
    out = []
    for key in keys:
        try:
            s = selectors.resolve_scope(key)
        except ScopeError:
            continue
        if allowed(user, s):
            out.append(s)
    return out


def default_scope_key(user: Any) -> str:
    """The scope a user lands on: their first role's unit or agency (the nation for national roles and superusers)."""
    from thuocdo.accounts.selectors import ROLE_ACTIONS, VIEW_NONPUBLIC, assignments_of

    if getattr(user, "is_superuser", False):
        return "national"
    for a in assignments_of(user):
        if VIEW_NONPUBLIC not in ROLE_ACTIONS.get(a.role, frozenset()):
            continue
        if a.agency_id is not None:
            return f"agency:{a.agency.code}"
        if a.unit_id is not None and a.unit.structure == "2025" and a.unit.level in ("province", "commune"):
            return f"{a.unit.level}:{a.unit.code}"
        if a.unit_id is None:
            return "national"
    return "national"
