"""What a batch of dossier facts adds to each cell table: the incremental path's arithmetic, without a database.

services.apply_facts writes these sums; the recompute benchmark and the packing test fold facts through the
same function rather than a copy of it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from thuocdo.indices import openstate
from thuocdo.indices.facts import METRICS, Facts
from thuocdo.indices.openstate import CELL_METRICS

CellDeltas = dict[tuple[Any, ...], tuple[int, ...]]


def cell_deltas(old: Sequence[Facts], new: Sequence[Facts]) -> tuple[CellDeltas, ...]:
    """What replacing `old` facts by `new` ones adds to each cell table (day, month, agency-day, agency-month, procedure-month)."""
    # Every delta of the batch is summed per cell key in Python first, so each table gets one
    # statement per chunk, whatever the number of dossiers that touch a cell.
    pad = (0,) * len(METRICS)  # before the open-state counters of an event
    tail = (0,) * (len(CELL_METRICS) - len(METRICS))  # after the counts of a contribution
    parts: dict[tuple[Any, ...], list[tuple[int, ...]]] = defaultdict(list)
    for negate, facts in ((True, old), (False, new)):
        for f in facts:
            if f.excluded:  # counts for nothing (contributions and events are empty)
                continue
            for key, values in f.contributions():
                parts[key].append((tuple(-v for v in values) if negate else values) + tail)
            cell = (f.agency_code, f.procedure_code, f.field_code)
            for d, values in openstate.events(f):
                parts[(*cell, d)].append(pad + (tuple(-v for v in values) if negate else values))
    day = _fold(parts)
    rollups: tuple[dict[tuple[Any, ...], list[tuple[int, ...]]], ...] = tuple(
        defaultdict(list) for _ in range(4)
    )
    month, by_agency_day, by_agency, by_procedure = rollups
    for key, counts in day.items():
        a, p, fc, d = key
        m = d.replace(day=1)
        month[(a, p, fc, m)].append(counts)
        by_agency_day[(a, d)].append(counts)
        by_agency[(a, m)].append(counts)
        by_procedure[(p, fc, m)].append(counts)
    return (day, _fold(month), _fold(by_agency_day), _fold(by_agency), _fold(by_procedure))


def _fold(parts: Mapping[tuple[Any, ...], list[tuple[int, ...]]]) -> dict[tuple[Any, ...], tuple[int, ...]]:
    # Column sums per key; keys whose deltas cancel out are dropped (nothing to write).
    out: dict[tuple[Any, ...], tuple[int, ...]] = {}
    for key, values in parts.items():
        counts = values[0] if len(values) == 1 else tuple(map(sum, zip(*values, strict=True)))
        if any(counts):
            out[key] = counts
    return out
