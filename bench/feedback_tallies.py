"""766 indicators 5.1–5.3 from citizen feedback at national scale: aggregate tallies beside replaying histories.

PostgreSQL, database THUOCDO_BENCH_FEEDBACK_PG (default .../thuocdo_bench_feedback, dropped and
recreated), in a child process.

* Load (not timed as a query): N submissions (default 200,000; 20,000 with --quick) over 2025,
  130 agencies in 34 provinces (three office-hour variants, so calendars differ), 8 categories.
  Each history is a random walk through `core.feedback` (refused, asked for information, transferred
  to another agency — 8 %, which restarts the clock on the new agency's calendar —, answered on time
  or late, published, rated, re-raised and reopened), written with bulk inserts; 3 % are then marked
  duplicates and 1 % spam. The loader derives each submission's late spans with
  `core.feedback.late_spans` on its agency's calendar, as the services do; then
  `feedback.services.refresh_late_spans` (what `thuocdo feedback refresh-facts` runs) recomputes
  the first 2,000 from the stored histories — timed as a rate, and it must reproduce the same spans.
* Cells: the loader writes tables directly, so `feedback.services.refresh_monthly_cells()` builds the
  monthly cells afterwards (timed: what `refresh-facts` and the data migration cost), and 30
  single (agency, month) rebuilds are timed (what every service call adds).
* Measured: `feedback.selectors.indicator_tallies` for one province × one month and national × 2025
  (as of the period end, as `indices.index_for` calls it), national × 2025 as of mid-December (the
  day rows and spans of `as_of`'s own day are read), and a period with partial months at both ends
  (those go through the aggregate query without cells), p50 and p95 over 30 runs after a warm-up,
  with the time of each SQL statement and the client's CPU time, beside the same call through the
  aggregate query without cells (which must return the same numbers).
* Baseline: the previous implementation, which replays every history through
  `core.feedback.timeliness` (`feedback.selectors._indicator_tallies_by_replay`, kept as the test
  reference). Province-month is run in full; national-year would take minutes per call, so it is run
  on the first 2 % of the year (national, 1–8 January: ~4,000 submissions) and scaled by the
  number of submissions — the note says so. Both must return the same numbers ("same numbers").
Figures are rates (1 / p95) so the runner's "higher is better" check applies; target p95 ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import Figure, child_env

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get(
    "THUOCDO_BENCH_FEEDBACK_PG", "postgres://postgres@127.0.0.1:5432/thuocdo_bench_feedback"
)
# Loading takes 10-15 minutes on a shared machine; with THUOCDO_BENCH_FEEDBACK_REUSE=1 a database that
# already holds the N submissions is migrated and measured again instead of being dropped and reloaded.
REUSE = os.environ.get("THUOCDO_BENCH_FEEDBACK_REUSE", "") == "1"
AGENCIES, PROVINCES = 130, 34
SAMPLE = 2000  # submissions refreshed through the service (the rest get their spans from the loader)


def run(*, quick: bool) -> list[Figure]:
    """Tally latency beside the replaying baseline, and the rate at which late spans are derived."""
    n = 20_000 if quick else 200_000
    got = _child(PG_URL, n=n)
    if got is None:
        return [Figure("postgresql: skipped (database not reachable)", 0, "queries/s")]
    figures = []
    labels = (
        ("province", "one province × 2025-10"),
        ("national", "national × 2025"),
        ("national_mid", "national × 2025 as of 16 Dec 2025 12:00"),
        ("national_ragged", "national × 10 Jan–20 Dec 2025 (partial months at both ends)"),
    )
    for key, label in labels:
        r = got[key]
        extrapolated = (
            f"; baseline run on {r['sample']:,} submissions (national, 1–8 Jan) and scaled ×{r['scale']:.1f}"
            if r.get("sample")
            else ""
        )
        sql = " + ".join(f"{ms:.1f}" for ms in r["sql_ms"])
        common = (
            f"p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms (SQL {sql} ms, client CPU {r['cpu_ms']:.1f} ms); "
            f"one query without cells p50 {r['rows_p50']:.0f} ms, p95 {r['rows_p95']:.0f} ms, "
            f"same numbers: {r['same_as_rows']}"
        )
        if "base_p95" in r:
            figures.append(
                Figure(
                    f"indicator_tallies {label}, {r['rows']:,} of {n:,} submissions",
                    1000 / r["p95"],
                    "queries/s (1/p95)",
                    baseline=1000 / r["base_p95"],
                    baseline_name="replaying every history (previous code)",
                    target=20,
                    note=(
                        f"{common}; replay p50 {r['base_p50']:,.0f} ms, p95 {r['base_p95']:,.0f} ms"
                        f"{extrapolated}; same numbers: {r['same']}"
                    ),
                )
            )
        else:
            figures.append(
                Figure(
                    f"indicator_tallies {label}, {r['rows']:,} of {n:,} submissions",
                    1000 / r["p95"],
                    "queries/s (1/p95)",
                    baseline=1000 / r["rows_p95"],
                    baseline_name="one aggregate query without cells",
                    target=20,
                    note=common,
                )
            )
    m = got["maintenance"]
    figures.append(
        Figure(
            f"refresh_late_spans on {SAMPLE:,} submissions ({got['spans']:,} spans stored for {n:,})",
            got["refresh_rate"],
            "submissions/s",
            note=f"same spans as the loader derived: {got['refresh_same']}; load: {got['load']}",
        )
    )
    figures.append(
        Figure(
            f"refresh_monthly_cells for one (agency, month), as every change does ({m['rows']})",
            1000 / m["one_p95"],
            "rebuilds/s (1/p95)",
            note=f"p50 {m['one_p50']:.1f} ms, p95 {m['one_p95']:.1f} ms; all cells rebuilt in {m['full_s']:.1f} s",
        )
    )
    return figures


def _fresh_database(url: str) -> bool:
    import psycopg

    base, _, name = url.rpartition("/")
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if REUSE and exists:
                return True
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        return False
    return True


def _child(url: str, *, n: int) -> dict[str, Any] | None:
    if not _fresh_database(url):
        return None
    env = child_env(database_url=url)
    args = [sys.executable, "-m", "bench.feedback_tallies", "--child", f"--n={n}"]
    out = subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True, text=True)  # noqa: S603
    return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------------------
# The child: load, derive, measure


def _load(n: int) -> str:
    import hashlib
    import random
    from datetime import UTC, datetime, timedelta

    from django.db import connection

    from thuocdo.calendars.selectors import work_calendar
    from thuocdo.core import feedback as rules
    from thuocdo.feedback.models import FeedbackCategory, LateSpan, Submission, SubmissionEvent
    from thuocdo.units.models import AdminUnit, Agency

    began = time.perf_counter()
    rng = random.Random(766)
    provinces = []
    for p in range(PROVINCES):
        unit = AdminUnit.objects.create(
            code=f"{p + 1:02d}", name=f"Tỉnh {p + 1}", level="province", structure="2025"
        )
        unit.path = f"/{unit.pk}/"
        unit.save(update_fields=["path"])
        provinces.append(unit)
    hours = [[], [["07:00", "11:00"], ["13:30", "17:00"]], [["07:30", "11:30"], ["13:00", "16:30"]]]
    agencies = [
        Agency.objects.create(
            code=f"B{i:03d}", name=f"Cơ quan {i}", kind="department", admin_unit=provinces[i % PROVINCES],
            office_hours=hours[i % 3], path=f"/{i}/",
        )
        for i in range(AGENCIES)
    ]  # fmt: skip
    categories = [
        FeedbackCategory.objects.create(code=f"c{i}", name=f"Lĩnh vực {i}", classification=c)
        for i, c in enumerate(["regulation"] * 4 + ["conduct"] * 2 + ["other"] * 2)
    ]
    calendars = {a.pk: work_calendar(a).add_working_days for a in agencies}
    feedback_rules = rules.FeedbackRules()
    year = datetime(2024, 12, 31, 17, 0, tzinfo=UTC)  # 2025-01-01 00:00 in Vietnam
    end_of_data = datetime(2026, 2, 1, tzinfo=UTC)
    rows: list[Submission] = []
    histories: list[list[tuple[rules.Step, Any, Any]]] = []
    spans: list[Any] = []

    def flush() -> None:
        Submission.objects.bulk_create(rows, batch_size=5000)
        SubmissionEvent.objects.bulk_create(
            (
                SubmissionEvent(
                    submission_id=s.pk, event=step.event.value, at=step.at, from_state=before.value,
                    to_state=step.state_after.value, from_agency_id=src, to_agency_id=dst,
                )
                for s, steps in zip(rows, histories, strict=True)
                for step, before, (src, dst) in steps
            ),
            batch_size=10000,
        )  # fmt: skip
        # The spans as the services would store them (core.feedback.late_spans on the same calendar).
        LateSpan.objects.bulk_create(
            (
                LateSpan(submission_id=s.pk, starts_at=lo, ends_at=hi)
                for s, of in zip(rows, spans, strict=True)
                for lo, hi in of
            ),
            batch_size=10000,
        )
        rows.clear()
        histories.clear()
        spans.clear()

    for i in range(n):
        submitted = year + timedelta(seconds=rng.uniform(0, 365 * 86400))
        timeline, steps, agency = _history(rng, submitted, rng.choice(agencies), agencies, end_of_data)
        known: dict[Any, Any] = {}
        calendar = calendars[agency.pk]

        def add(start: Any, days: int, known: dict[Any, Any] = known, calendar: Any = calendar) -> Any:
            if (start, days) not in known:
                known[(start, days)] = calendar(start, days)
            return known[(start, days)]

        due = rules.deadlines(timeline, feedback_rules, add)
        spans.append(rules.late_spans(timeline, rules=feedback_rules, add_working_days=add))
        answered = timeline.first(rules.Event.ANSWER)
        published = timeline.first(rules.Event.PUBLISH) is not None
        rows.append(
            Submission(
                tracking_code=f"PA{i:010d}", title="Phản ánh", body="Nội dung phản ánh.",
                category=rng.choice(categories), agency=agency, admin_unit_id=agency.admin_unit_id,
                state=timeline.state.value, submitted_at=submitted, clock_started_at=timeline.clock_start(),
                refuse_by=due.refuse_by, request_info_by=due.request_info_by, handle_by=due.handle_by,
                publish_by=due.publish_by, answered_at=answered,
                likes=rng.randint(0, 3) if published else 0, dislikes=rng.randint(0, 2) if published else 0,
                reraised=any(s.event is rules.Event.RERAISE for s in timeline.steps),
                content_hash=hashlib.sha256(str(i).encode()).hexdigest(),
            )
        )  # fmt: skip
        histories.append(steps)
        if len(rows) >= 5000:
            flush()
    flush()
    with connection.cursor() as c:
        # 3 % duplicates of the submission before them, 1 % spam (as staff would mark them).
        c.execute(
            "UPDATE feedback_submission s SET duplicate_of_id = s.id - 1 WHERE s.id % 33 = 0 AND s.id > 1"
        )
        c.execute("UPDATE feedback_submission SET is_spam = true WHERE id % 97 = 5")
    return f"{n:,} submissions, {SubmissionEvent.objects.count():,} events in {time.perf_counter() - began:.0f} s"


def _history(
    rng: Any, submitted: Any, agency: Any, agencies: list[Any], end: Any
) -> tuple[Any, list[Any], Any]:
    """A random history: the timeline, its steps with the state before and the agencies moved, the last agency."""
    from datetime import timedelta

    from thuocdo.core import feedback as rules

    timeline = rules.Timeline(submitted)
    steps: list[Any] = []
    t = submitted

    def step(event: rules.Event, days: float, to: Any = None) -> bool:
        nonlocal t, timeline, agency
        t = t + timedelta(days=days)
        if t > end:
            return False
        before = timeline.state
        timeline = timeline.apply(event, t)
        moved = (agency.pk, to.pk if to is not None else None)
        if to is not None:
            agency = to
        steps.append((timeline.steps[-1], before, moved))
        return True

    _walk(rng, step, agencies, lambda: agency)
    return timeline, steps, agency


def _walk(rng: Any, step: Any, agencies: list[Any], current: Any) -> None:
    """One plausible path (as the demo walks it), stopped at the end of the data."""
    from thuocdo.core.feedback import Event

    fate = rng.random()
    if fate < 0.04:
        step(Event.REFUSE, rng.uniform(0.2, 4))
        return
    if fate < 0.10 and step(Event.REQUEST_INFO, rng.uniform(0.5, 8)):
        if rng.random() < 0.5:
            step(Event.INFO_RECEIVED, rng.uniform(1, 6))
        else:
            return
    if fate < 0.18:
        target = rng.choice([a for a in agencies[:8] if a.pk != current().pk])
        if not step(Event.TRANSFER, rng.uniform(0.5, 25), to=target):
            return
    if not step(Event.ACCEPT, rng.uniform(0.1, 2)):
        return
    if not step(Event.ANSWER, rng.uniform(3, 40) if rng.random() < 0.17 else rng.uniform(1, 16)):
        return
    if not step(Event.PUBLISH, rng.uniform(0.1, 4)):
        return
    if rng.random() < 0.05 and step(Event.RERAISE, rng.uniform(0.5, 10)):
        if step(Event.ACCEPT, rng.uniform(0.2, 3)) and step(Event.ANSWER, rng.uniform(1, 20)):
            step(Event.PUBLISH, rng.uniform(0.1, 3))
    elif rng.random() < 0.5:
        step(Event.CLOSE, rng.uniform(1, 30))


def _timed(fn: Any, repeat: int) -> tuple[float, float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, result


class _SqlClock:
    """Wall time spent in each SQL statement of a call (Django's execute wrapper), for the breakdown."""

    def __init__(self) -> None:
        self.spent: list[float] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.spent.append((time.perf_counter() - t) * 1000)


def _breakdown(fn: Any, repeat: int = 10) -> dict[str, Any]:
    """Median ms per SQL statement, and client CPU ms (process time) per call."""
    from django.db import connection

    per_query: list[list[float]] = []
    cpu: list[float] = []
    for _ in range(repeat):
        clock = _SqlClock()
        c = time.process_time()
        with connection.execute_wrapper(clock):
            fn()
        cpu.append((time.process_time() - c) * 1000)
        per_query.append(clock.spent)
    width = max(len(q) for q in per_query)
    return {
        "sql_ms": [statistics.median(q[i] for q in per_query if len(q) > i) for i in range(width)],
        "cpu_ms": statistics.median(cpu),
    }


def _measure(n: int) -> dict[str, Any]:
    from datetime import UTC, datetime, timedelta

    from thuocdo.feedback.selectors import (
        _indicator_tallies_by_replay,
        _tally_rows,
        counted_submissions,
        indicator_tallies,
    )
    from thuocdo.units.models import Agency

    out: dict[str, Any] = {}
    ict = timedelta(hours=7)
    october = (datetime(2025, 10, 1, tzinfo=UTC) - ict, datetime(2025, 11, 1, tzinfo=UTC) - ict)
    year = (datetime(2025, 1, 1, tzinfo=UTC) - ict, datetime(2026, 1, 1, tzinfo=UTC) - ict)
    mid_december = datetime(2025, 12, 16, 5, tzinfo=UTC)  # half of as_of's month counted row by row
    ragged = (datetime(2025, 1, 10, tzinfo=UTC), datetime(2025, 12, 20, tzinfo=UTC))  # partial months
    province = Agency.objects.filter(admin_unit__code="05")
    everyone = Agency.objects.all()
    cases = (
        ("province", province, october, None),
        ("national", everyone, year, None),
        ("national_mid", everyone, year, mid_december),
        ("national_ragged", everyone, ragged, None),
    )
    for key, agencies, (start, end), judged in cases:
        as_of = judged or end

        def fast(a: Any = agencies, s: datetime = start, e: datetime = end, j: datetime = as_of) -> Any:
            return indicator_tallies(agencies=a, start=s, end=e, as_of=j)

        def by_rows(a: Any = agencies, s: datetime = start, e: datetime = end, j: datetime = as_of) -> Any:
            t = _tally_rows(agencies=a, periods=[(s, e)], as_of=j)
            return {
                "5.1": (t.classified, t.total),
                "5.2": (t.total - t.late, t.total),
                "5.3": (t.total - t.unsatisfied, t.total),
            }

        fast()  # warm caches, as a running server would be
        p50, p95, got = _timed(fast, 30)
        rows = counted_submissions(agencies=agencies, start=start, end=end).count()
        r50, r95, plain = _timed(by_rows, 5)
        r: dict[str, Any] = {
            "p50": p50, "p95": p95, "rows": rows, "rows_p50": r50, "rows_p95": r95, "same_as_rows": plain == got,
            **_breakdown(fast),
        }  # fmt: skip
        if key == "province":
            b50, b95, slow = _timed(lambda a=agencies, s=start, e=end: _indicator_tallies_by_replay(
                agencies=a, start=s, end=e, as_of=e), 5)  # fmt: skip
            r.update(base_p50=b50, base_p95=b95, same=slow == got)
        elif key == "national":
            cut = start + (end - start) / 50
            sample = counted_submissions(agencies=agencies, start=start, end=cut).count()
            b50, b95, slow = _timed(lambda a=agencies, s=start, c=cut, e=end: _indicator_tallies_by_replay(
                agencies=a, start=s, end=c, as_of=e), 3)  # fmt: skip
            scale = rows / max(sample, 1)
            check = indicator_tallies(agencies=agencies, start=start, end=cut, as_of=end)
            r.update(
                base_p50=b50 * scale, base_p95=b95 * scale, same=slow == check, sample=sample, scale=scale
            )
        out[key] = r
    return out


def _maintenance() -> dict[str, Any]:
    """What keeping the cells costs: a full rebuild (refresh-facts), and one (agency, month) rebuild per change."""
    import random

    from django.db import transaction

    from thuocdo.feedback.models import LateDayCell, MonthlyCell, Submission
    from thuocdo.feedback.services import cell_keys, refresh_monthly_cells

    began = time.perf_counter()
    with transaction.atomic():
        cells = refresh_monthly_cells()
    full = time.perf_counter() - began
    rng = random.Random(5)
    picks = rng.sample(list(Submission.objects.values_list("pk", flat=True)), 30)
    keys = [cell_keys(s) for s in Submission.objects.filter(pk__in=picks)]

    def one() -> None:
        with transaction.atomic():
            refresh_monthly_cells(keys=keys.pop())

    p50, p95, _ = _timed(one, 30)
    return {
        "cells": cells,
        "rows": f"{MonthlyCell.objects.count():,} monthly and {LateDayCell.objects.count():,} day cells",
        "full_s": full,
        "one_p50": p50,
        "one_p95": p95,
    }


def _child_main(n: int, *, load_only: bool = False) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thuocdo.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from thuocdo.feedback.models import LateSpan, Submission
    from thuocdo.feedback.services import refresh_late_spans

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - began
    if Submission.objects.count() == n:
        load = f"reused the loaded database ({n:,} submissions; migrations {migrated:.0f} s)"
    else:
        with transaction.atomic():
            load = _load(n)
    if load_only:
        print(json.dumps({"load": load}))
        return
    # What the data migration and `thuocdo feedback refresh-facts` do, on a sample: it must reproduce
    # the loader's spans exactly, and its rate says how long a refresh of everything takes.
    sample = list(Submission.objects.order_by("pk")[:SAMPLE])
    before = sorted(
        LateSpan.objects.filter(submission__in=sample).values_list("submission_id", "starts_at", "ends_at")
    )
    began = time.perf_counter()
    with transaction.atomic():
        refreshed = refresh_late_spans(submissions=sample)
    rate = refreshed / (time.perf_counter() - began)
    after = sorted(
        LateSpan.objects.filter(submission__in=sample).values_list("submission_id", "starts_at", "ends_at")
    )
    maintenance = _maintenance()
    with connection.cursor() as c:
        c.execute("VACUUM ANALYZE")
    result = {
        "load": load, "refresh_rate": rate, "refresh_same": before == after, "spans": LateSpan.objects.count(),
        "maintenance": maintenance, **_measure(n),
    }  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true", required=True)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument(
        "--load-only", action="store_true", help="load (or reuse) the database, measure nothing"
    )
    parsed = parser.parse_args()
    _child_main(parsed.n, load_only=parsed.load_only)
