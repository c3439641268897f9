"""Reading dossiers, source systems and the quarantine."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from thuocdo.dossiers.models import Dossier, DossierStep, Quarantine, SourceSystem


def hash_key(key: str) -> str:
    """The SHA-256 of an API key, as stored."""
    return hashlib.sha256(key.encode()).hexdigest()


def source_for_key(*, key: str) -> SourceSystem | None:
    """The active source system an API key belongs to, or None."""
    if not key:
        return None
    return SourceSystem.objects.filter(key_hash=hash_key(key), active=True).first()


def source_named(*, name: str) -> SourceSystem | None:
    """A source system by name, or None."""
    return SourceSystem.objects.filter(name=name).first()


def sources() -> QuerySet[SourceSystem]:
    """All source systems by name."""
    return SourceSystem.objects.order_by("name")


def dossier_for_source(*, code: str, source: SourceSystem | None) -> Dossier | None:
    """One dossier by MaHoSo, only if it came from this source."""
    return Dossier.objects.filter(code=code, source=source).first()


def steps_of(*, dossier: Dossier) -> list[DossierStep]:
    """The processing steps of a dossier in order."""
    return list(dossier.steps.order_by("seq"))


def quarantined(*, states: Iterable[str] | None = None, batch: str | None = None) -> QuerySet[Quarantine]:
    """Quarantined records, newest first, optionally only in some states or one batch."""
    qs = Quarantine.objects.select_related("source")
    if states:
        qs = qs.filter(state__in=list(states))
    if batch:
        qs = qs.filter(batch=batch)
    return qs.order_by("-id")


def late_steps(*, start: datetime, end: datetime, agency_code: str | None = None) -> QuerySet[DossierStep]:
    """Processing steps due in [start, end) and done after their deadline (or not done by `end`), per officer."""
    qs = DossierStep.objects.filter(due_at__gte=start, due_at__lt=end).filter(
        Q(acted_at__gt=F("due_at")) | Q(acted_at__isnull=True, due_at__lt=end)
    )
    if agency_code:
        # Agency codes are hierarchical: "H15.66" covers "H15.66.001".
        qs = qs.filter(
            Q(dossier__agency_code=agency_code) | Q(dossier__agency_code__startswith=agency_code + ".")
        )
    return qs.select_related("dossier").order_by("officer", "due_at")


def late_steps_by_officer(
    *, start: datetime, end: datetime, agency_code: str | None = None
) -> list[dict[str, Any]]:
    """How many steps each officer finished late (or left open past the deadline) in the period, most first."""
    rows = (
        late_steps(start=start, end=end, agency_code=agency_code)
        .order_by()
        .values("officer", "department")
        .annotate(late=Count("id"))
        .order_by("-late", "officer")
    )
    return list(rows)


def completed_dossiers(
    *, start: datetime, end: datetime, agency_code: str | None = None
) -> QuerySet[Dossier]:
    """Dossiers whose result was returned (or processing finished) in [start, end): a survey sampling frame."""
    qs = Dossier.objects.filter(status__in=(9, 10)).filter(
        Q(returned_at__gte=start, returned_at__lt=end)
        | Q(returned_at__isnull=True, finished_at__gte=start, finished_at__lt=end)
    )
    if agency_code:
        qs = qs.filter(Q(agency_code=agency_code) | Q(agency_code__startswith=agency_code + "."))
    return qs.order_by("code")
