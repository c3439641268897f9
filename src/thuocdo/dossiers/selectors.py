"""Reading dossiers, source systems and the quarantine."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.db.models import QuerySet

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
