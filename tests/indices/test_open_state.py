"""Open-state counters and the query path on facts whose moments coincide: midnights, equal timestamps, ±1 µs.

Facts are drawn on an hour grid (so receptions, settles and late thresholds often fall exactly on a
midnight, on each other or on the judging moment) and written through services.apply_facts, then
replaced in part (the delta path). The query path must equal the direct definition
(`facts.tally_facts`) for every judging moment and period start, and the cells the batch recompute.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thuocdo.core.dossier import VN_TZ
from thuocdo.indices import openstate, recompute, selectors, services
from thuocdo.indices.facts import OPEN_UNTIL, Facts, tally_facts, vn_day, vn_midnight
from thuocdo.indices.models import (
    CellAgencyDay,
    CellAgencyMonth,
    CellDay,
    CellMonth,
    CellProcedureMonth,
    DossierFact,
)

BASE = datetime(2025, 10, 30, 0, 0, tzinfo=VN_TZ)  # two days before a month boundary
TICK = timedelta(microseconds=1)
NATIONAL = selectors.Scope("national", "Toàn quốc", None)
ONE = selectors.Scope("agency:A1", "", ("A1",))


def _hour(k: int) -> datetime:
    return BASE + timedelta(hours=k)


# Hours after a midnight: mostly the midnight itself, so moments coincide.
HOURS = st.sampled_from([0, 0, 0, 1, 9, 23])


def _hours(draw: st.DrawFn, days: int) -> int:
    return 24 * draw(st.integers(0, days)) + draw(HOURS)


@st.composite
def facts(draw: st.DrawFn, code: str) -> Facts:
    received = _hours(draw, 5)
    settles = draw(st.booleans())
    until = _hour(received + _hours(draw, 4) - draw(st.sampled_from([0, 0, 9]))) if settles else OPEN_UNTIL
    late = draw(
        st.none() | st.builds(lambda h, back: h - back, st.just(_hours(draw, 6)), st.sampled_from([0, 24]))
    )
    closed = settles and draw(st.booleans())
    final = draw(st.sampled_from(["early", "on_time", "late", "not_counted"])) if settles else ""
    flags = draw(st.lists(st.booleans(), min_size=11, max_size=11))
    at = _hour(received) + draw(st.sampled_from([timedelta(0), TICK, -TICK]))
    return Facts(
        code=code,
        agency_code=draw(st.sampled_from(["A1", "A2"])),
        procedure_code=draw(st.sampled_from(["P1", "P2"])),
        field_code="F",
        excluded=draw(st.booleans()) and draw(st.booleans()),
        received_at=at,
        open_until=until if until == OPEN_UNTIL else max(until, at),  # as facts_of: never before reception
        final=final,
        closed=closed,
        paper=flags[0],
        online=flags[1],
        e_result=flags[2],
        result_file=flags[3],
        has_files=flags[4],
        fee=flags[5],
        paid=flags[6],
        reused=flags[7],
        store=flags[8],
        pop=flags[9],
        flagged=flags[10],
        due_known=draw(st.booleans()),
        late_at=None if late is None else _hour(received + late),
    )


def _moments(rows: list[Facts]) -> list[datetime]:
    out = {BASE + timedelta(days=d) for d in range(1, 11)}
    for f in rows:
        for ts in (f.received_at, f.open_until, f.late_at):
            if ts is not None and ts != OPEN_UNTIL:
                out.update({ts, ts + TICK, ts - TICK, vn_midnight(vn_day(ts)) + timedelta(days=1)})
    return sorted(out)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.integers(), min_size=1, max_size=12).flatmap(
        lambda xs: st.tuples(*(facts(f"D{i}") for i in range(len(xs))))
    ),
    judge=st.integers(0, 24 * 12),
    shift=st.sampled_from([timedelta(0), TICK, -TICK]),
)
def test_cells_before_the_day_plus_the_day_itself_give_the_state_at_any_moment(rows, judge, shift):
    j = _hour(judge) + shift
    day = vn_day(j)
    total = [0] * len(openstate.OPEN_METRICS)
    for f in rows:
        for d, values in openstate.events(f):
            if d < day:
                for i, v in enumerate(values):
                    total[i] += v
        for i, v in enumerate(openstate.tail_delta(f, vn_midnight(day), j)):
            total[i] += v
    assert tuple(total) == openstate.state_at(rows, j)


def _reset() -> None:
    for model in (DossierFact, CellDay, CellMonth, CellAgencyDay, CellAgencyMonth, CellProcedureMonth):
        model.objects.all().delete()


@pytest.mark.django_db
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    first=st.lists(st.integers(), min_size=1, max_size=14).flatmap(
        lambda xs: st.tuples(*(facts(f"D{i}") for i in range(len(xs))))
    ),
    second=st.lists(st.integers(), max_size=8).flatmap(
        lambda xs: st.tuples(*(facts(f"D{i}") for i in range(len(xs))))
    ),
)
def test_query_path_equals_the_definition_at_coinciding_moments(first, second):
    _reset()
    services.apply_facts(old=[], new=list(first), sources={})
    # A second delivery replaces some dossiers (a later version), by difference.
    known = {f.code: f for f in first}
    replaced = [known[f.code] for f in second if f.code in known]
    services.apply_facts(old=replaced, new=list(second), sources={})
    rows = list({**known, **{f.code: f for f in second}}.values())
    assert {r[0]: services.fact_from_row(r) for r in selectors.fact_rows()} == {f.code: f for f in rows}
    table = recompute.duckdb_table(recompute.snapshot(selectors.fact_rows()))
    assert selectors.stored_cells() == recompute.run_cells(table)
    for judge in _moments(rows):
        day = vn_day(judge)
        for first_day in {day, day - timedelta(days=1), day - timedelta(days=3), day.replace(day=1)}:
            start = vn_midnight(first_day)
            if start >= judge:
                continue
            assert selectors.dossier_tallies(NATIONAL, start, judge) == tally_facts(rows, start, judge), (
                start,
                judge,
            )
            mine = [f for f in rows if f.agency_code == "A1"]
            assert selectors.dossier_tallies(ONE, start, judge) == tally_facts(mine, start, judge)
    assert recompute.run_period(table, BASE, BASE + timedelta(days=4)) == tally_facts(
        rows, BASE, BASE + timedelta(days=4)
    )
