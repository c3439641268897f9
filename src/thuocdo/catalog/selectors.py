"""Reading the procedure catalogue: search, per agency, per field, counts per online level."""

from __future__ import annotations

import re

from django.db.models import Count, Q, QuerySet

from thuocdo.catalog.models import Procedure, ProcedureField
from thuocdo.core.text import fold
from thuocdo.units.models import Agency

_CODE_LIKE = re.compile(r"^[\d.]+[\dA-Za-z.]*$")


def search_procedures(
    *,
    q: str = "",
    field_code: str = "",
    level: str = "",
    online_level: str = "",
    agency: Agency | None = None,
) -> QuerySet[Procedure]:
    """Procedures whose code starts with `q` or whose name holds every word of `q`, accents ignored."""
    procedures = Procedure.objects.select_related("field").order_by("code")
    q = q.strip()
    if q:
        by_code = Q(code__istartswith=q) if _CODE_LIKE.match(q) else Q(pk__in=[])
        by_name = Q()
        for word in fold(q).split():
            by_name &= Q(search_name__contains=word)
        procedures = procedures.filter(by_code | by_name)
    if field_code:
        procedures = procedures.filter(field__code=field_code)
    if level:
        # levels is a JSON list; matching its quoted element in the JSON text works on SQLite and PostgreSQL alike.
        procedures = procedures.filter(levels__icontains=f'"{level}"')
    if online_level:
        procedures = procedures.filter(online_level=online_level)
    if agency is not None:
        procedures = procedures.filter(agencies=agency)
    return procedures


def procedure_by_code(code: str) -> Procedure | None:
    """One procedure with its field, or None."""
    return Procedure.objects.select_related("field").filter(code=code).first()


def procedures_for_agency(agency: Agency) -> QuerySet[Procedure]:
    """The procedures an agency carries out."""
    return Procedure.objects.filter(agencies=agency).select_related("field").order_by("code")


def procedures_in_field(field_code: str) -> QuerySet[Procedure]:
    """The procedures of one field (lĩnh vực)."""
    return Procedure.objects.filter(field__code=field_code).select_related("field").order_by("code")


def online_level_counts(procedures: QuerySet[Procedure] | None = None) -> dict[str, int]:
    """How many procedures offer each online level, every level present (zero when none)."""
    procedures = Procedure.objects.all() if procedures is None else procedures
    counts = dict.fromkeys(Procedure.OnlineLevel.values, 0)
    for row in procedures.order_by().values("online_level").annotate(n=Count("id")):
        counts[row["online_level"]] = row["n"]
    return counts


def fields_with_counts() -> QuerySet[ProcedureField]:
    """Fields that have procedures, each annotated with `procedure_count`, by name."""
    return (
        ProcedureField.objects.annotate(procedure_count=Count("procedures"))
        .filter(procedure_count__gt=0)
        .order_by("name")
    )


def agencies_of(procedure: Procedure, *, limit: int = 20) -> tuple[list[Agency], int]:
    """Up to `limit` implementing agencies (departments before communes) and how many there are in all."""
    agencies = procedure.agencies.order_by("code")  # national-style codes put departments before communes
    return list(agencies[:limit]), agencies.count()
