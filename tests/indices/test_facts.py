"""The per-dossier facts: the late threshold of an open dossier agrees with core.timeliness at every moment."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from thuocdo.core.dossier import VN_TZ, Status, Supplement, parse_document
from thuocdo.core.rulesets import Parameters
from thuocdo.core.timeliness import Category, classify
from thuocdo.dossiers.synthetic import make_document
from thuocdo.indices.facts import OPEN_UNTIL, facts_of, late_from

START = datetime(2025, 10, 1, tzinfo=VN_TZ)


def _dossier(seed: int, supplements: list[tuple[int, int | None]]):  # type: ignore[no-untyped-def]
    doc = make_document(random.Random(seed), seq=seed, start=START, days=20)
    d = parse_document(doc, record="x")
    # Requests one after another (core.timeliness would count overlapping waits twice; see docs/indices/engine.md).
    extra, at = [], d.received_at
    for k, (gap, wait) in enumerate(supplements):
        at = max([at, *(s.completed_at or s.requested_at for s in d.supplements)]) + timedelta(hours=gap)
        last = k == len(supplements) - 1
        done = None if wait is None and last else at + timedelta(hours=wait or 1)
        extra.append(Supplement(at, done, None, None, "1"))
        at = done or at
    return replace(d, supplements=d.supplements + tuple(extra))


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    supplements=st.lists(st.tuples(st.integers(0, 400), st.none() | st.integers(0, 200)), max_size=3),
    probes=st.lists(st.integers(0, 60 * 24 * 40), min_size=1, max_size=8),
    granularity=st.sampled_from(["timestamp", "date"]),
    allowed=st.integers(0, 2),
)
def test_an_open_dossier_is_late_exactly_from_late_at(seed, supplements, probes, granularity, allowed):
    params = Parameters(granularity=granularity, supplement_requests_allowed=allowed)
    d = replace(_dossier(seed, supplements), status=Status.PROCESSING)
    threshold = late_from(d, params)
    for minutes in probes:
        judge = d.received_at + timedelta(minutes=minutes, seconds=1)
        verdict = classify(d, as_of=judge, granularity=granularity, supplements_allowed=allowed)
        assert (verdict.category is Category.LATE) == (threshold is not None and threshold <= judge), (
            judge,
            threshold,
        )


def test_a_finished_dossier_has_a_final_verdict_and_an_open_one_none():
    d = parse_document(make_document(random.Random(1), seq=1, start=START), record="x")
    finished = facts_of(
        replace(d, status=Status.FINISHED, finished_at=d.received_at + timedelta(hours=3)),
        paper=True,
        params=Parameters(),
    )
    assert finished.final in ("early", "on_time", "late")
    assert finished.open_until == d.received_at + timedelta(hours=3)
    open_ = facts_of(
        replace(d, status=Status.PROCESSING, finished_at=None, returned_at=None, rejected_at=None),
        paper=True,
        params=Parameters(),
    )
    assert open_.final == "" and open_.open_until == OPEN_UNTIL
    refused = facts_of(replace(d, status=Status.REJECTED_AT_RECEPTION), paper=True, params=Parameters())
    assert refused.excluded and refused.contributions() == []
