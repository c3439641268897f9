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
    DossierTallies,
    tallies_from_sums,
)
from thuocdo.indices.openstate import CELL_METRICS

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


_OPEN_NAIVE = datetime(9999, 1, 1, tzinfo=UTC).replace(tzinfo=None)  # facts.OPEN_UNTIL as naive UTC


def _open_values(t: Any) -> dict[str, Any]:
    """The open-state counters that start at reception (indices.openstate), for rows with received < settle."""
    cp = t.closed & t.paper
    return {
        "o_dk": t.due_known,
        "o_dkf": t.due_known & t.flagged,
        "k33": cp & t.online & ~t.e_result,
        "k41": cp,
        "k41n": cp & t.result_file,
        "k42": cp & t.has_files & ~t.result_file,
    }


def _late_values(t: Any) -> dict[str, Any]:
    return {"l_dk": t.due_known, "l_ndk": ~t.due_known, "l_ndkf": ~t.due_known & t.flagged}


# Several counters share one 64-bit sum, `bits` each: the hash aggregation into millions of day cells
# costs per aggregate state, and four to a sum instead of three cut DuckDB's CPU time for day_cells
# by ≈ 11 % (docs/benchmarks.md). Exact while no cell holds 2**bits dossiers (no counter exceeds its
# cell's row count): every part carries its row count (`_rows`); run_cells checks it and recomputes
# with WIDE_BITS when a cell is too large.
FAST_BITS = 15  # four counters a sum, cells of up to 32,767 dossiers
WIDE_BITS = 21  # three a sum, up to 2,097,151 (the default, for callers that do not check `_rows`)
MAX_CELL_ROWS = (1 << WIDE_BITS) - 1


def cell_limit(bits: int) -> int:
    """The most dossiers a day cell may hold for counters packed `bits` to a slot."""
    return (1 << bits) - 1


def _engine(t: Any) -> str:
    return str(t._find_backend().name)


def _bigint(flag: Any, engine: str) -> Any:
    # PostgreSQL casts boolean to integer but not to bigint; the others cast straight to bigint.
    return flag.cast("int32").cast("int64") if engine == "postgres" else flag.cast("int64")


def _packed_aggregate(
    grouped: Any, flags: dict[str, Any], *, bits: int, engine: str, **plain: Any
) -> tuple[Any, dict[str, tuple[str, int]]]:
    names = list(flags)
    per = 63 // bits
    packs: dict[str, Any] = {}
    where: dict[str, tuple[str, int]] = {}
    for j in range(0, len(names), per):
        pack = f"_p{j // per}"
        expr = None
        for k, name in enumerate(names[j : j + per]):
            term = _bigint(flags[name], engine)
            term = term * (1 << (bits * k)) if k else term
            expr = term if expr is None else expr + term
            where[name] = (pack, k)
        packs[pack] = expr.sum().cast("int64")  # type: ignore[union-attr]
    return grouped.aggregate(**packs, **plain), where


def _unpacked(
    agg: Any,
    where: dict[str, tuple[str, int]],
    *,
    bits: int,
    engine: str,
    negative: Sequence[str] = (),
    **extra: Any,
) -> Any:
    # PostgreSQL sums bigints as numeric and ibis drops a cast to the type it assumes: go through decimal there.
    mask = cell_limit(bits)
    packs = {
        p: agg[p].cast("decimal(19, 0)").cast("int64") if engine == "postgres" else agg[p]
        for p, _k in where.values()
    }

    def field(name: str) -> Any:
        pack, k = where[name]
        value = (packs[pack] >> (bits * k)) & mask if k else packs[pack] & mask
        return -value if name in negative else value

    return agg.select(
        "agency_code",
        "procedure_code",
        "field_code",
        "day",
        "_rows",
        **{n: extra[n](agg) if n in extra else field(n) for n in (*extra, *where)},
    )


def day_cells(t: Any, *, bits: int = WIDE_BITS) -> list[tuple[Any, tuple[str, ...]]]:
    """The parts of the day cells, each (expression with agency, procedure, field, day, counts and `_rows`, count names).

    Received day (RECEIVED_METRICS, and the open-state counters that start at reception); settle
    day (SETTLED_METRICS from the final verdict, and the end of every open-state interval); the day
    an open dossier turns late (indices.openstate). Counters are packed `bits` to a slot: a part
    row whose `_rows` exceeds cell_limit(bits) is wrong and must be recomputed with WIDE_BITS.
    """
    import ibis

    engine = _engine(t)
    tick = ibis.interval(microseconds=1)
    live = t.filter(~t.excluded)
    spans = live.received_at < live.open_until
    keys = {
        "agency_code": live.agency_code,
        "procedure_code": live.procedure_code,
        "field_code": live.field_code,
    }
    received_flags = {
        **received_values(live, closed=live.closed),
        **{k: spans & v for k, v in _open_values(live).items()},
    }
    # Every live row is received: r_n is the row count, no slot needed.
    del received_flags["r_n"]
    received, rwhere = _packed_aggregate(
        live.group_by(**keys, day=_vn_day(live.received_at)),
        received_flags,
        bits=bits,
        engine=engine,
        _rows=live.count(),
    )
    # Settling: the final verdict, and the end of the intervals (open ones never settle).
    ends = live.filter(live.open_until < ibis.literal(_OPEN_NAIVE))
    counted = ends.final.isin(COUNTED)
    late = ends.final == "late"
    has_late = ends.late_at.notnull() & (
        ibis.greatest(ends.late_at, ends.received_at + tick) < ends.open_until
    )
    ending = {k: (ends.received_at < ends.open_until) & v for k, v in _open_values(ends).items()}
    ending.update({k: has_late & v for k, v in _late_values(ends).items()})
    ekeys = {
        "agency_code": ends.agency_code,
        "procedure_code": ends.procedure_code,
        "field_code": ends.field_code,
    }
    settled, swhere = _packed_aggregate(
        ends.group_by(**ekeys, day=_vn_day(ends.open_until)),
        {
            "s_counted": counted,
            "s_within": counted & ~late,
            "s_late": late,
            "s_flagged": counted & ends.flagged,
            **ending,
        },
        bits=bits,
        engine=engine,
        _rows=ends.count(),
    )
    # Open and late from max(late_at, received + 1 µs) while that is before settling; counted when <= J,
    # so it belongs to the day of that moment - 1 µs.
    lt = live.filter(live.late_at.notnull())
    lt = lt.mutate(_start=ibis.greatest(lt.late_at, lt.received_at + tick))
    lt = lt.filter(lt._start < lt.open_until)
    lkeys = {"agency_code": lt.agency_code, "procedure_code": lt.procedure_code, "field_code": lt.field_code}
    turning, lwhere = _packed_aggregate(
        lt.group_by(**lkeys, day=_vn_day(lt._start - tick)),
        _late_values(lt),
        bits=bits,
        engine=engine,
        _rows=lt.count(),
    )
    return [
        (
            _unpacked(received, rwhere, bits=bits, engine=engine, r_n=lambda a: a._rows),
            ("r_n", *rwhere),
        ),
        (_unpacked(settled, swhere, bits=bits, engine=engine, negative=tuple(ending)), tuple(swhere)),
        (_unpacked(turning, lwhere, bits=bits, engine=engine), tuple(lwhere)),
    ]


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
    # "settled ? a : b" as (settled and a) or (not settled and b): the same for a non-null `settled`
    # (open_until never is), NULLs included, and plain boolean arithmetic instead of a CASE per row.
    counted = (settled & base.final.isin(COUNTED)) | (~settled & (base.due_known | late_open))
    late = (settled & (base.final == "late")) | (~settled & late_open)
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
    """Execute day_cells and return {(agency, procedure, field, day): CELL_METRICS} for non-zero cells."""
    try:
        return _run_cells(t, FAST_BITS)
    except Exception:
        # A cell too large for FAST_BITS: our OverflowError, or the engine's own bigint overflow (from
        # 2**18 dossiers a cell the packed sum itself overflows). WIDE_BITS raises its own errors.
        return _run_cells(t, WIDE_BITS)


def _run_cells(t: Any, bits: int) -> dict[tuple[str, str, str, date], tuple[int, ...]]:
    position = {m: i for i, m in enumerate(CELL_METRICS)}
    out: dict[tuple[str, str, str, date], list[int]] = {}
    for expr, names in day_cells(t, bits=bits):
        for r in expr.to_pyarrow().to_pylist():
            if r["_rows"] > cell_limit(bits):
                raise OverflowError(
                    f"a day cell of {r['agency_code']} {r['day']} holds {r['_rows']:,} dossiers"
                )
            day = r["day"] if isinstance(r["day"], date) else date.fromisoformat(str(r["day"]))
            bucket = out.setdefault(
                (r["agency_code"], r["procedure_code"], r["field_code"], day), [0] * len(CELL_METRICS)
            )
            for m in names:
                bucket[position[m]] += int(r[m])
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
