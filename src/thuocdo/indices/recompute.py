"""Batch recompute of the 766 index with ibis: one set of definitions, run on DuckDB, PostgreSQL or Spark.

The definitions read the per-dossier fact table (indices.facts, one row per stored dossier) and
produce (a) the day cells the incremental path keeps and (b) the dossier-based tallies of a scope
and period judged at a moment. They restate `indices.facts.tally_facts` in ibis expressions; the
tests require the incremental cells and queries to give exactly the same numbers on every engine.

Timestamps are handed to the engines as naive UTC; Vietnam days are UTC + 7 hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from thuocdo.indices.facts import (
    METRICS,
    RECEIVED_METRICS,
    SETTLED_METRICS,
    DossierTallies,
    tallies_from_sums,
)

COUNTED = ("early", "on_time", "late")
FACT_SCHEMA = {
    "code": "string",
    "agency_code": "string",
    "procedure_code": "string",
    "field_code": "string",
    "excluded": "boolean",
    "received_at": "timestamp",
    "open_until": "timestamp",
    "final": "string",
    "closed": "boolean",
    "paper": "boolean",
    "online": "boolean",
    "e_result": "boolean",
    "result_file": "boolean",
    "has_files": "boolean",
    "fee": "boolean",
    "paid": "boolean",
    "reused": "boolean",
    "store": "boolean",
    "pop": "boolean",
    "flagged": "boolean",
    "due_known": "boolean",
    "late_at": "timestamp",
}


def naive_utc(ts: datetime) -> datetime:
    """An aware moment as naive UTC, the form the engines compare."""
    return ts.astimezone(UTC).replace(tzinfo=None) if ts.tzinfo else ts


def _n(expr: Any) -> Any:
    # int32 first: PostgreSQL casts boolean to integer but not to bigint.
    return expr.cast("int32").sum().cast("int64")


def _vn_day(ts: Any) -> Any:
    import ibis

    return (ts + ibis.interval(hours=7)).date()


def received_values(t: Any, *, closed: Any) -> dict[str, Any]:
    """Per-row received-day counts (as integers) given what 'closed' means for this computation."""
    closed_paper = closed & t.paper
    exprs = {
        "r_n": t.excluded == False,  # noqa: E712 - an ibis expression, not a Python comparison
        "r_online": t.online,
        "r_ok33": t.online & (~closed_paper | t.e_result),
        "r_fee": t.fee,
        "r_paid": t.fee & t.paid,
        "r_den41": closed_paper,
        "r_num41": closed_paper & t.result_file,
        "r_ok42": t.has_files & (~closed_paper | t.result_file),
        "r_reused": t.reused,
        "r_store": t.store,
        "r_pop": t.pop,
    }
    assert tuple(exprs) == RECEIVED_METRICS
    return exprs


def day_cells(t: Any) -> tuple[Any, Any]:
    """The received-day and the settle-day parts of the cells: (agency, procedure, field, day, counts...)."""
    live = t.filter(~t.excluded)
    received = live.group_by(
        agency_code=live.agency_code,
        procedure_code=live.procedure_code,
        field_code=live.field_code,
        day=_vn_day(live.received_at),
    ).aggregate(**{k: _n(v) for k, v in received_values(live, closed=live.closed).items()})
    done = live.filter(live.final.isin(COUNTED))
    late = done.final == "late"
    settled = done.group_by(
        agency_code=done.agency_code,
        procedure_code=done.procedure_code,
        field_code=done.field_code,
        day=_vn_day(done.open_until),
    ).aggregate(s_counted=done.count(), s_within=_n(~late), s_late=_n(late), s_flagged=_n(done.flagged))
    return received, settled


def period_tallies(
    t: Any,
    start: datetime,
    judge: datetime,
    *,
    agency_codes: Sequence[str] | None = None,
    procedure_code: str = "",
    field_code: str = "",
) -> tuple[Any, Any]:
    """Two expressions: the summed metrics (one row) and, per procedure, whether it had online/fee/paid/population dossiers."""
    import ibis

    s, j = ibis.literal(naive_utc(start)), ibis.literal(naive_utc(judge))
    base = t.filter(~t.excluded, t.received_at < j, t.open_until >= s)
    if agency_codes is not None:
        base = base.filter(base.agency_code.isin(list(agency_codes)))
    if procedure_code:
        base = base.filter(base.procedure_code == procedure_code)
    if field_code:
        base = base.filter(base.field_code == field_code)
    settled = base.open_until <= j
    late_open = base.late_at.notnull() & (base.late_at <= j)
    counted = ibis.ifelse(settled, base.final.isin(COUNTED), base.due_known | late_open)
    late = ibis.ifelse(settled, base.final == "late", late_open)
    rec = base.received_at >= s
    received = received_values(base, closed=base.closed & settled)
    sums = base.aggregate(
        **{k: _n(rec & v) for k, v in received.items()},
        s_counted=_n(counted),
        s_within=_n(counted & ~late),
        s_late=_n(late),
        s_flagged=_n(counted & base.flagged),
    )
    got = base.filter(rec)
    procs = got.group_by("procedure_code").aggregate(
        online=_n(got.online), fee=_n(got.fee), paid=_n(got.fee & got.paid), pop=_n(got.pop)
    )
    return sums, procs


def run_period(
    t: Any,
    start: datetime,
    judge: datetime,
    *,
    agency_codes: Sequence[str] | None = None,
    procedure_code: str = "",
    field_code: str = "",
) -> DossierTallies:
    """Execute period_tallies on the table's engine and return the tallies."""
    sums_expr, procs_expr = period_tallies(
        t, start, judge, agency_codes=agency_codes, procedure_code=procedure_code, field_code=field_code
    )
    row = sums_expr.to_pyarrow().to_pylist()[0]
    sums = {m: int(row[m] or 0) for m in METRICS}
    procs = procs_expr.to_pyarrow().to_pylist()
    return tallies_from_sums(
        sums,
        online={p["procedure_code"] for p in procs if p["online"]},
        fee={p["procedure_code"] for p in procs if p["fee"]},
        paid={p["procedure_code"] for p in procs if p["paid"]},
        population={p["procedure_code"] for p in procs if p["pop"]},
    )


def run_cells(t: Any) -> dict[tuple[str, str, str, date], tuple[int, ...]]:
    """Execute day_cells and return {(agency, procedure, field, day): metrics} for non-zero cells."""
    received, settled = day_cells(t)
    out: dict[tuple[str, str, str, date], list[int]] = {}
    for expr, names, offset in (
        (received, RECEIVED_METRICS, 0),
        (settled, SETTLED_METRICS, len(RECEIVED_METRICS)),
    ):
        for r in expr.to_pyarrow().to_pylist():
            day = r["day"] if isinstance(r["day"], date) else date.fromisoformat(str(r["day"]))
            bucket = out.setdefault(
                (r["agency_code"], r["procedure_code"], r["field_code"], day), [0] * len(METRICS)
            )
            for i, m in enumerate(names):
                bucket[offset + i] += int(r[m])
    return {k: tuple(v) for k, v in out.items() if any(v)}


# ----------------------------------------------------------------------------------------------
# Engines


@dataclass
class Snapshot:
    """The fact table as an Arrow table (naive UTC timestamps), ready for any engine."""

    table: Any

    @property
    def rows(self) -> int:
        return int(self.table.num_rows)


def snapshot(rows: Iterable[Sequence[Any]]) -> Snapshot:
    """An Arrow snapshot from fact rows in FACT_SCHEMA column order."""
    import pyarrow as pa

    names = list(FACT_SCHEMA)
    cols: list[list[Any]] = [[] for _ in names]
    for row in rows:
        for i, v in enumerate(row):
            cols[i].append(naive_utc(v) if isinstance(v, datetime) else v)
    types = {"string": pa.string(), "boolean": pa.bool_(), "timestamp": pa.timestamp("us")}
    arrays = [pa.array(c, type=types[FACT_SCHEMA[n]]) for n, c in zip(names, cols, strict=True)]
    return Snapshot(pa.Table.from_arrays(arrays, names=names))


def duckdb_table(snap: Snapshot, con: Any = None) -> Any:
    """The snapshot as an ibis table on an in-process DuckDB."""
    import ibis

    con = con or ibis.duckdb.connect()
    con.con.register("facts_arrow", snap.table)
    con.raw_sql("CREATE OR REPLACE TABLE facts AS SELECT * FROM facts_arrow")
    return con.table("facts")


def spark_session() -> Any:
    """A small local Spark session (UTC, no UI), for tests and the occasional batch."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master("local[1]")
        .appName("thuocdo-766")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .getOrCreate()
    )


def spark_table(snap: Snapshot, session: Any = None) -> Any:
    """The snapshot as an ibis table on local Spark."""
    from datetime import UTC

    import ibis

    session = session or spark_session()
    # Aware UTC datetimes: Spark would read naive ones in the process's local zone (Django sets it to Vietnam's).
    names = snap.table.column_names
    rows = [
        tuple(v.replace(tzinfo=UTC) if isinstance(v, datetime) else v for v in (r[n] for n in names))
        for r in snap.table.to_pylist()
    ]
    df = session.createDataFrame(rows, schema=_spark_schema(names))
    df.createOrReplaceTempView("facts")
    return ibis.pyspark.connect(session).table("facts")


def disconnect(table: Any) -> None:
    """Close the engine connection behind an ibis table."""
    table._find_backend().disconnect()


def _spark_schema(names: Sequence[str]) -> Any:
    from pyspark.sql import types as T

    kinds = {"string": T.StringType(), "boolean": T.BooleanType(), "timestamp": T.TimestampType()}
    return T.StructType([T.StructField(n, kinds[FACT_SCHEMA[n]], True) for n in names])


def postgres_table(url: str, table: str = "indices_dossierfact") -> Any:
    """The live fact table on PostgreSQL through ibis (session in UTC, timestamps as naive UTC)."""
    from urllib.parse import urlparse

    import ibis

    u = urlparse(url)
    con = ibis.postgres.connect(
        host=u.hostname or "127.0.0.1",
        port=u.port or 5432,
        user=u.username or "postgres",
        password=u.password or None,
        database=(u.path or "/postgres").lstrip("/"),
        options="-c TimeZone=UTC",
    )
    t = con.table(table)
    return t.mutate(
        received_at=t.received_at.cast("timestamp"),
        open_until=t.open_until.cast("timestamp"),
        late_at=t.late_at.cast("timestamp"),
    )
