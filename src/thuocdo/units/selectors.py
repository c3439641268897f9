"""Reads for administrative units and agencies: search, history ("which unit was this then, what is it now"), trees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from thuocdo.core.text import fold
from thuocdo.units.models import AdminUnit, Agency, UnitLineage
from thuocdo.units.sources import COMMUNE, CURRENT, DISTRICT, LEGACY, PROVINCE, loose_key

LEVEL_RANK = Case(
    When(level=PROVINCE, then=Value(0)),
    When(level=DISTRICT, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


@dataclass(frozen=True)
class Successor:
    unit: AdminUnit
    is_primary: bool


@dataclass(frozen=True)
class WhichAnswer:
    code: str
    on: date
    unit: AdminUnit | None  # the unit that carried the code on that date
    now: list[Successor]  # what it is today (several when it was split)


def search_units(
    query: str, *, structure: str | None = None, level: str | None = None, limit: int = 20
) -> list[AdminUnit]:
    """Accent-insensitive name search: exact names first, then prefixes, then word starts, then substrings."""
    folded = fold(query)
    if not folded:
        return []
    units = AdminUnit.objects.select_related("parent")
    if structure:
        units = units.filter(structure=structure)
    if level:
        units = units.filter(level=level)
    if folded.isdigit():
        return list(units.filter(code__startswith=folded).order_by("structure", LEVEL_RANK, "code")[:limit])
    loose = loose_key(query) or folded
    rank = Case(
        When(Q(search_short=loose) | Q(search_name=folded), then=Value(0)),
        When(Q(search_short__startswith=loose) | Q(search_name__startswith=folded), then=Value(1)),
        When(Q(search_short__contains=" " + loose) | Q(search_name__contains=" " + folded), then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    # Current units before legacy ones: "2025" sorts before "legacy".
    # search_short drops punctuation, so "ba ria vung tau" finds "Bà Rịa - Vũng Tàu" and "mdrak" finds "M'Drắk".
    matches = units.filter(Q(search_name__contains=folded) | Q(search_short__contains=loose)).annotate(
        rank=rank
    )
    return list(matches.order_by("rank", "structure", LEVEL_RANK, "search_short", "code")[:limit])


def get_unit(structure: str, level: str, code: str) -> AdminUnit | None:
    """The unit with this code in one structure, or None."""
    return (
        AdminUnit.objects.select_related("parent").filter(structure=structure, level=level, code=code).first()
    )


def guess_level(code: str) -> str | None:
    """GSO codes have 2 digits for provinces, 3 for districts, 5 for communes."""
    return {2: PROVINCE, 3: DISTRICT, 5: COMMUNE}.get(len(code))


def unit_on(code: str, on: date, level: str | None = None) -> AdminUnit | None:
    """The unit that carried `code` on date `on` (validity is [valid_from, valid_to))."""
    level = level or guess_level(code)
    units = AdminUnit.objects.select_related("parent").filter(code=code)
    if level:
        units = units.filter(level=level)
    units = units.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on)).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=on)
    )
    return units.first()


def successors(unit: AdminUnit) -> list[Successor]:
    """Direct successors of a unit (one reorganisation step)."""
    links = UnitLineage.objects.filter(predecessor=unit).select_related("successor", "successor__parent")
    return [
        Successor(link.successor, link.is_primary)
        for link in links.order_by("-is_primary", "successor__code")
    ]


def predecessors(unit: AdminUnit) -> list[Successor]:
    """Units that became (part of) this one; `is_primary` tells whether this unit received their history."""
    links = UnitLineage.objects.filter(successor=unit).select_related("predecessor", "predecessor__parent")
    return [Successor(link.predecessor, link.is_primary) for link in links.order_by("predecessor__code")]


def current_successors(unit: AdminUnit, *, on: date | None = None) -> list[Successor]:
    """What the unit is now (or on `on`), following lineage through every reorganisation.

    A unit still in force is its own successor. An abolished district has no edge of its own; its
    successors are those of its communes (none of them primary: a district's history is not one commune's).
    """
    result: dict[int, Successor] = {}
    frontier: list[Successor] = [Successor(unit, True)]
    seen: set[int] = set()
    while frontier:
        item = frontier.pop()
        if item.unit.pk in seen:
            continue
        seen.add(item.unit.pk)
        if _in_force(item.unit, on):
            _merge(result, item)
            continue
        nexts = successors(item.unit)
        if not nexts and item.unit.level == DISTRICT:
            children = AdminUnit.objects.filter(parent=item.unit)
            links = UnitLineage.objects.filter(predecessor__in=children, is_primary=True).select_related(
                "successor", "successor__parent"
            )
            nexts = [Successor(link.successor, False) for link in links]
        frontier.extend(Successor(n.unit, item.is_primary and n.is_primary) for n in nexts)
    return sorted(result.values(), key=lambda s: (not s.is_primary, s.unit.code))


def _in_force(unit: AdminUnit, on: date | None) -> bool:
    if on is None:
        return unit.valid_to is None
    return (unit.valid_from is None or unit.valid_from <= on) and (
        unit.valid_to is None or on < unit.valid_to
    )


def _merge(result: dict[int, Successor], item: Successor) -> None:
    known = result.get(item.unit.pk)
    if known is None or (item.is_primary and not known.is_primary):
        result[item.unit.pk] = item


def which(code: str, on: date, level: str | None = None) -> WhichAnswer:
    """Which unit carried `code` on date `on`, and what it is now."""
    code = code.strip()
    unit = unit_on(code, on, level)
    return WhichAnswer(code=code, on=on, unit=unit, now=current_successors(unit) if unit else [])


def ancestors(unit: AdminUnit) -> list[AdminUnit]:
    """From the province down to the unit's parent, read from the materialised path."""
    ids = [int(p) for p in unit.path.strip("/").split("/") if p][:-1]
    found = {u.pk: u for u in AdminUnit.objects.filter(pk__in=ids)}
    return [found[i] for i in ids if i in found]


def children(unit: AdminUnit) -> QuerySet[AdminUnit]:
    """Units directly below this one."""
    return AdminUnit.objects.filter(parent=unit).order_by("search_short", "code")


def subtree(unit: AdminUnit, *, include_self: bool = True) -> QuerySet[AdminUnit]:
    """This unit and everything below it (one indexed prefix query on the path)."""
    units = AdminUnit.objects.filter(path__startswith=unit.path)
    return units if include_self else units.exclude(pk=unit.pk)


def count_units(structure: str) -> dict[str, int]:
    """Units per level in one structure, e.g. {"province": 34, "commune": 3321}."""
    from django.db.models import Count

    rows = AdminUnit.objects.filter(structure=structure).values("level").annotate(n=Count("id"))
    return {row["level"]: row["n"] for row in rows}


def search_agencies(
    *, unit_code: str | None = None, block: str | None = None, query: str | None = None, limit: int = 200
) -> QuerySet[Agency]:
    """Agencies located in a current unit (and the units below it), in a block, or matching a name."""
    agencies = Agency.objects.select_related("admin_unit", "block", "parent")
    if unit_code:
        unit = AdminUnit.objects.filter(structure=CURRENT, code=unit_code).first()
        if unit is None:
            return agencies.none()
        agencies = agencies.filter(admin_unit__path__startswith=unit.path)
    if block:
        agencies = agencies.filter(block__code=block)
    if query:
        folded = fold(query)
        agencies = agencies.filter(Q(search_name__contains=folded) | Q(code__istartswith=query.strip()))
    return agencies.order_by("path")[:limit]


def agencies_of_unit(unit: AdminUnit) -> QuerySet[Agency]:
    """Agencies tied directly to this unit."""
    return Agency.objects.filter(admin_unit=unit).select_related("block").order_by("path")


def agency_subtree(agency: Agency) -> QuerySet[Agency]:
    """The agency and every agency below it."""
    return Agency.objects.filter(path__startswith=agency.path)


__all__ = [
    "COMMUNE",
    "CURRENT",
    "DISTRICT",
    "LEGACY",
    "PROVINCE",
    "Successor",
    "WhichAnswer",
    "agencies_of_unit",
    "agency_subtree",
    "ancestors",
    "children",
    "count_units",
    "current_successors",
    "get_unit",
    "predecessors",
    "search_agencies",
    "search_units",
    "subtree",
    "successors",
    "unit_on",
    "which",
]
