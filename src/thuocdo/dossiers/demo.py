"""Demo step: a year of synthetic dossiers for the demo province's agencies, ingested the way a one-stop system sends them.

Agencies and the procedures assigned to them come from the units and catalogue demo steps, so the
dossiers line up with the catalogue. Receipt dates end a month before `ctx.today`, so every promised
date and processing step lies in the past. A source system "motcua-demo" is created; its API key is
printed so the batch API can be tried locally.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from thuocdo.catalog.models import Procedure
from thuocdo.core.dossier import VN_TZ
from thuocdo.dossiers import selectors, services
from thuocdo.dossiers.synthetic import make_document

PER_YEAR = 6000


def build(ctx: Any) -> None:
    """Ingest about 6,000 × scale dossiers spread over the last year."""
    pairs = Procedure.agencies.through.objects.values_list("agency__code", "procedure__code")
    assignments: dict[str, list[str]] = defaultdict(list)
    for agency, procedure in pairs:
        assignments[agency].append(procedure)
    if not assignments:
        ctx.say("  (bỏ qua hồ sơ: chưa có thủ tục gán cho cơ quan)")
        return
    source = selectors.source_named(name="motcua-demo")
    if source is None:
        source, key = services.create_source(name="motcua-demo", actor="demo")
        ctx.say(f"  khóa API của hệ thống nguồn motcua-demo: {key}")
    start = datetime.combine(ctx.today - timedelta(days=395), time(0), tzinfo=VN_TZ)
    agencies = sorted(assignments)
    count = max(1, int(PER_YEAR * ctx.scale))
    lookups = services.load_lookups()
    total = services.IngestReport()
    batch: list[tuple[str, Any]] = []
    for seq in range(1, count + 1):
        doc = make_document(
            ctx.rng, seq=seq, start=start, days=365, agencies=agencies, assignments=assignments
        )
        batch.append((f"demo {seq}", doc))
        if len(batch) == 5000 or seq == count:
            total.add(
                services.ingest_documents(
                    records=batch, source=source, batch="demo", now=timezone.now(), lookups=lookups
                )
            )
            batch = []
    ctx.say(f"  {total.accepted:,} hồ sơ")
