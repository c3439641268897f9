"""Writing the 766 index: keeping dossier facts and cells current, rule sets, entered figures.

`sync_facts` is the incremental path: it reads dossiers that changed since it last looked (or the
codes it is given), derives their facts (indices.facts), and applies to the day and month cells
the difference between what each dossier counted for before and what it counts for now — the
same delta rule the dossiers app uses for its monthly tallies, so repeated or reordered
deliveries cannot make the cells drift. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from operator import attrgetter
from typing import Any

import msgspec
from django.db import connection
from django.db.models import Max

from thuocdo.audit.services import record_change
from thuocdo.core.dossier import DossierError, Status, parse_document
from thuocdo.core.rulesets import Parameters
from thuocdo.indices import openstate, selectors
from thuocdo.indices.deltas import CellDeltas, cell_deltas
from thuocdo.indices.facts import FACT_COLUMNS, OPEN_UNTIL, Facts, facts_of, facts_of_stored
from thuocdo.indices.models import (
    CellAgencyDay,
    CellAgencyMonth,
    CellDay,
    CellMonth,
    CellProcedureMonth,
    DossierFact,
    ReportedFigure,
    RuleSet,
    SyncState,
)
from thuocdo.indices.openstate import CELL_METRICS

# A batch written with a slightly older `now` may commit after a newer one; looking back this far catches it.
LOOKBACK = timedelta(seconds=10)
_CHUNK = 2000


@dataclass
class SyncReport:
    """What one sync did."""

    examined: int = 0
    changed: int = 0
    skipped: int = 0  # rows whose stored document no longer parses (should not happen)


# ----------------------------------------------------------------------------------------------
# Facts and cells


Source = tuple[int, str, int, Any]  # the dossier row's version, content hash, status, status_at
SOURCE_COLUMNS = ("src_version", "src_hash", "src_status", "src_status_at")

_CHANGED_SQL = """
SELECT d.code FROM {dossiers} d LEFT JOIN {facts} f ON f.code = d.code
WHERE {since} (f.code IS NULL OR f.src_version <> d.version OR f.src_hash <> d.content_hash
    OR f.src_status <> d.status OR f.src_status_at <> d.status_at)
"""


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _sources(model: Any, codes: Sequence[str], columns: Sequence[str]) -> dict[str, Source]:
    out: dict[str, Source] = {}
    for chunk in _chunks(codes):
        for row in model.objects.filter(code__in=chunk).values_list("code", *columns):
            out[row[0]] = (row[1], row[2], row[3], row[4])
    return out


def sync_facts(*, codes: Sequence[str] | None = None, full: bool = False, now: datetime) -> SyncReport:
    """Bring facts and cells up to date with the dossier table: given codes, everything, or what changed lately."""
    from thuocdo.dossiers.models import Dossier

    report = SyncReport()
    if codes is not None:
        wanted = list(dict.fromkeys(codes))
        known = _sources(DossierFact, wanted, SOURCE_COLUMNS)
        stored = _sources(Dossier, wanted, ("version", "content_hash", "status", "status_at"))
        report.examined = len(stored)
        changed = [c for c, src in stored.items() if known.get(c) != src]
    else:
        state, _ = SyncState.objects.get_or_create(name="facts")
        since = None if full or state.watermark is None else state.watermark - LOOKBACK
        sql = _CHANGED_SQL.format(
            dossiers=Dossier._meta.db_table,
            facts=DossierFact._meta.db_table,
            since="" if since is None else "d.updated_at >= %s AND",
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [] if since is None else [since])
            changed = [r[0] for r in cursor.fetchall()]
        recent = Dossier.objects.all() if since is None else Dossier.objects.filter(updated_at__gte=since)
        newest = recent.aggregate(m=Max("updated_at"))["m"]
        report.examined = len(changed)
        if newest is not None and (state.watermark is None or newest > state.watermark):
            state.watermark = newest
            state.save(update_fields=["watermark", "updated_at"])
    if changed:
        known_codes: set[str] = set()
        for chunk in _chunks(changed):
            known_codes.update(DossierFact.objects.filter(code__in=chunk).values_list("code", flat=True))
        report.changed, report.skipped = _refresh(changed, replaced=[c for c in changed if c in known_codes])
        report.changed -= report.skipped
    return report


def _refresh(changed: Sequence[str], *, replaced: Sequence[str]) -> tuple[int, int]:
    from thuocdo.dossiers.models import Dossier

    params = selectors.current_parameters()
    paper = selectors.paper_results()
    new: list[Facts] = []
    sources: dict[str, Source] = {}
    skipped = 0
    columns = ("code", "raw", "status", "finished_at", "returned_at", "version", "content_hash", "status_at")
    for chunk in _chunks(list(changed)):
        for code, raw, status, finished, returned, version, digest, status_at in Dossier.objects.filter(
            code__in=chunk
        ).values_list(*columns):
            try:
                parsed = parse_document(msgspec.json.decode(raw), record=code)
            except (DossierError, msgspec.DecodeError):
                skipped += 1
                continue
            parsed = stored_state(parsed, status=status, finished_at=finished, returned_at=returned)
            new.append(facts_of(parsed, paper=paper.get(parsed.procedure_code, True), params=params))
            sources[code] = (version, digest, status, status_at)
    old = [fact_from_row(r) for chunk in _chunks(list(replaced)) for r in _fact_rows(chunk)]
    apply_facts(old=old, new=new, sources=sources)
    return len(changed), skipped


def stored_state(parsed: Any, *, status: int, finished_at: Any, returned_at: Any) -> Any:
    """The parsed document moved on to the stored row's status and end dates (status events apply there)."""
    from dataclasses import replace

    return replace(parsed, status=Status(status), finished_at=finished_at, returned_at=returned_at)


def _fact_rows(codes: Sequence[str]) -> Iterable[tuple[Any, ...]]:
    return DossierFact.objects.filter(code__in=codes).values_list(*FACT_COLUMNS)


def fact_from_row(row: Sequence[Any]) -> Facts:
    """A Facts object from a DossierFact values_list row in FACT_COLUMNS order."""
    return Facts(*row)


# The cell tables in the order of cell_deltas' result, with their key columns.
_CELL_TABLES: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (CellDay, ("agency_code", "procedure_code", "field_code", "day")),
    (CellMonth, ("agency_code", "procedure_code", "field_code", "month")),
    (CellAgencyDay, ("agency_code", "day")),
    (CellAgencyMonth, ("agency_code", "month")),
    (CellProcedureMonth, ("procedure_code", "field_code", "month")),
)


def apply_facts(*, old: Sequence[Facts], new: Sequence[Facts], sources: Mapping[str, Source]) -> None:
    """Replace the facts of some dossiers and move the cells by the difference."""
    cells = cell_deltas(old, new)
    _replace_facts(old, new, sources)
    _write_cells(_cell_rows(_vendor_cells(cells, connection.vendor)))


_FACT_NAMES = (*FACT_COLUMNS, *SOURCE_COLUMNS, "span_bucket")
_fact_values = attrgetter(*FACT_COLUMNS)
# Below this many rows a staging table costs more round trips than it saves (single events, small batches).
STAGE_MIN_ROWS = 200


def _replace_facts(old: Sequence[Facts], new: Sequence[Facts], sources: Mapping[str, Source]) -> None:
    # New facts are upserted, so only dossiers that lose their facts altogether need a DELETE;
    # codes without a fact before (a fresh ingest) cost no DELETE at all.
    renewed = {f.code for f in new}
    gone = sorted({f.code for f in old} - renewed)
    for chunk in _chunks(gone):
        DossierFact.objects.filter(code__in=chunk).delete()
    if not new:
        return
    blank: Source = (0, "", 0, None)
    sqlite = connection.vendor == "sqlite"
    _write_fact_rows([_fact_row(f, sources.get(f.code, blank), sqlite) for f in new])


def _write_fact_rows(rows: Sequence[tuple[Any, ...]]) -> None:
    sets = ", ".join(f"{n} = excluded.{n}" for n in _FACT_NAMES if n != "code")
    _upsert(DossierFact._meta.db_table, ("code",), _FACT_NAMES, rows, sets)


_TEXT_OPEN_UNTIL = OPEN_UNTIL.replace(tzinfo=None).isoformat(" ")


def _sqlite_time(v: Any) -> Any:
    # Django stores SQLite datetimes as naive UTC text; the raw driver cursor does not convert.
    if v.__class__ is not datetime:  # None, or a source's status time already as SQLite text
        return v
    if v is OPEN_UNTIL:
        return _TEXT_OPEN_UNTIL
    return v.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


_TEXT_OPEN_UNTIL_ISO = OPEN_UNTIL.isoformat()


def _iso_time(v: Any) -> Any:
    # PostgreSQL takes ISO text with its offset (COPY and bound parameters alike), and text pickles
    # several times faster than datetime objects when a batch crosses from an import worker.
    if v.__class__ is not datetime:
        return v
    return _TEXT_OPEN_UNTIL_ISO if v is OPEN_UNTIL else v.isoformat()


def _fact_row(f: Facts, source: Sequence[Any], sqlite: bool, *, text: bool = False) -> tuple[Any, ...]:
    """The fact table row of one dossier (FACT_COLUMNS, its source fingerprint, its span bucket)."""
    values = _fact_values(f)
    if sqlite or text:
        t = _sqlite_time if sqlite else _iso_time
        return (
            *values[:5],
            t(values[5]),
            t(values[6]),
            *values[7:21],
            t(values[21]),
            source[0],
            source[1],
            source[2],
            t(source[3]),
            openstate.span_bucket(f),
        )
    return (*values, *source, openstate.span_bucket(f))


def _facts_of_row(row: Sequence[Any]) -> Facts:
    # The inverse of _fact_row, and Facts from the driver's rows: SQLite times are naive UTC (text in
    # prepared rows, naive datetimes from Django's sqlite3 converters).
    values = list(row[: len(FACT_COLUMNS)])
    for i in (5, 6, 21):
        v = values[i]
        if isinstance(v, str):
            v = datetime.fromisoformat(v)
        if v is not None and v.tzinfo is None:
            v = v.replace(tzinfo=UTC)
        values[i] = v
    return Facts(*values)


def _vendor_cells(cells: Sequence[CellDeltas], vendor: str) -> tuple[CellDeltas, ...]:
    """The cell deltas keyed as they are written: on SQLite each key's day or month as ISO text."""
    return _text_cells(cells) if vendor == "sqlite" else tuple(cells)


def _text_cells(cells: Sequence[CellDeltas]) -> tuple[CellDeltas, ...]:
    """The cell deltas with each key's day or month as ISO text (both databases take it)."""
    text: dict[date, str] = {}  # one conversion per distinct date
    out = []
    for deltas in cells:
        keyed: CellDeltas = {}
        for key, v in deltas.items():
            d = key[-1]
            iso = text.get(d)
            if iso is None:
                iso = text[d] = d.isoformat()
            keyed[(*key[:-1], iso)] = v
        out.append(keyed)
    return tuple(out)


def _write_cells(cell_rows: Sequence[Sequence[tuple[Any, ...]]]) -> None:
    for (model, keys), rows in zip(_CELL_TABLES, cell_rows, strict=True):
        if not rows:
            continue
        table = model._meta.db_table
        sets = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in CELL_METRICS)
        _upsert(table, keys, (*keys, *CELL_METRICS), rows, sets)


def _upsert(
    table: str, keys: Sequence[str], names: Sequence[str], rows: Sequence[tuple[Any, ...]], sets: str
) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET sets: executemany, or on PostgreSQL COPY through a staging table."""
    if not rows:
        return
    columns = ", ".join(names)
    conflict = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        if connection.vendor == "sqlite":
            marks = ", ".join("?" * len(names))
            for chunk in _chunks(rows, 5000):
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks}) {conflict}", chunk)  # noqa: S608
        elif len(rows) < STAGE_MIN_ROWS:
            marks = ", ".join(["%s"] * len(names))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks}) {conflict}", rows)  # noqa: S608
        else:
            # A session temporary table, emptied before use: it outlives the caller's transaction
            # (no ON COMMIT surprises) and a rolled-back batch leaves nothing in it that counts.
            stage = f"stage_{table}"
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {stage} AS SELECT {columns} FROM {table} WITH NO DATA"  # noqa: S608
            )
            cursor.execute(f"TRUNCATE {stage}")
            with cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage} "  # noqa: S608
                f"ORDER BY {', '.join(keys)} {conflict}"
            )
    finally:
        cursor.close()


def rebuild_facts(*, now: datetime) -> SyncReport:
    """Derive every fact again (after a catalogue or rule-set parameter change) and rebuild the cells."""
    DossierFact.objects.all().delete()
    for model in (CellDay, CellMonth, CellAgencyDay, CellAgencyMonth, CellProcedureMonth):
        model.objects.all().delete()
    SyncState.objects.filter(name="facts").delete()
    return sync_facts(full=True, now=now)


def rebuild_cells_from_facts() -> int:
    """Recompute every cell (and each fact's span bucket) from the stored facts; returns the facts read."""
    for model in (CellDay, CellMonth, CellAgencyDay, CellAgencyMonth, CellProcedureMonth):
        model.objects.all().delete()
    codes = list(DossierFact.objects.order_by("code").values_list("code", flat=True))
    for chunk in _chunks(codes, 20_000):
        facts = [fact_from_row(r) for r in _fact_rows(chunk)]
        sources = {
            r[0]: (r[1], r[2], r[3], r[4])
            for r in DossierFact.objects.filter(code__in=chunk).values_list("code", *SOURCE_COLUMNS)
        }
        apply_facts(old=[], new=facts, sources=sources)
    return len(codes)


PREPARE_HOOK = "indices"
"""The name of the index's prepare hook in dossiers.signals.prepare_hooks (registered in IndicesConfig.ready)."""

PreparedBatch = tuple[str, list[tuple[Any, ...]], tuple[list[tuple[Any, ...]], ...]]
"""What the prepare hook hands back: the vendor, one fact row per document, each cell table's rows."""


def load_prepare_context() -> tuple[Parameters, dict[str, bool]]:
    """What deriving facts needs from the database, read once per delivery (with dossiers' lookups)."""
    return selectors.current_parameters(), selectors.paper_results()


def prepare_batch(
    items: Sequence[tuple[str, Any, Source]], context: tuple[Parameters, Mapping[str, bool]], vendor: str
) -> PreparedBatch:
    """The prepare hook: facts rows and summed cell rows of a batch, as if every document were new.

    Pure (no database): it runs where the batch is validated, before the writers' lock; the receiver
    corrects it under the lock for the dossiers that existed, were not written or were moved on by
    status events (`on_dossiers_stored`). Rows are plain tuples with times and days as text, which
    both databases take and which pickle several times faster than datetime objects (a batch from an
    import worker is pickled), sorted by key: the B-trees then fill in order.
    """
    params, paper = context
    sqlite = vendor == "sqlite"
    facts = [
        facts_of_stored(doc, paper=paper.get(doc.procedure_code, True), params=params) for _, doc, _ in items
    ]
    rows = sorted(
        _fact_row(f, source, sqlite, text=True) for f, (_, _, source) in zip(facts, items, strict=True)
    )
    return vendor, rows, _cell_rows(_text_cells(cell_deltas((), facts)))


def _cell_rows(cells: Sequence[CellDeltas]) -> tuple[list[tuple[Any, ...]], ...]:
    # Keys are unique within a table, so sorting compares keys only.
    return tuple(sorted((*key, *v) for key, v in deltas.items() if any(v)) for deltas in cells)


def on_dossiers_stored(
    sender: Any = None,
    *,
    codes: Sequence[str] = (),
    documents: Sequence[Any] | None = None,
    sources: Mapping[str, Source] | None = None,
    prepared: Mapping[str, Any] | None = None,
    moved: Iterable[str] | None = None,
    **_: Any,
) -> None:
    """Signal receiver for the dossiers app: refresh the index for a batch just written, in its transaction.

    With what the prepare hook made of the batch before the lock, only the corrections are computed
    here; with the documents alone, facts are derived without re-reading or re-parsing the rows
    (indices.facts.facts_of_stored); otherwise the rows are read again (sync_facts).
    """
    if not codes:
        return
    if documents is None or sources is None:
        sync_facts(codes=codes, now=datetime.now(UTC))
        return
    batch = prepared.get(PREPARE_HOOK) if prepared else None
    if batch is not None and batch[0] == connection.vendor:
        _apply_prepared(batch, codes=codes, documents=documents, sources=sources, moved=set(moved or ()))
        return
    new = _facts_now(documents)
    old = [fact_from_row(r) for chunk in _chunks(list(codes)) for r in _fact_rows(chunk)]
    apply_facts(old=old, new=new, sources=sources)


def _facts_now(documents: Sequence[Any]) -> list[Facts]:
    from thuocdo.catalog.models import Procedure as CatalogProcedure

    params = selectors.current_parameters()
    wanted = sorted({d.procedure_code for d in documents})
    paper: dict[str, bool] = {}
    for chunk in _chunks(wanted):
        paper.update(
            CatalogProcedure.objects.filter(code__in=chunk).values_list("code", "issues_paper_result")
        )
    return [facts_of_stored(d, paper=paper.get(d.procedure_code, True), params=params) for d in documents]


def _apply_prepared(
    batch: PreparedBatch,
    *,
    codes: Sequence[str],
    documents: Sequence[Any],
    sources: Mapping[str, Source],
    moved: set[str],
) -> None:
    """Write a prepared batch's facts and cells, corrected for what the write found (under the lock)."""
    vendor, rows, cell_rows = batch
    written = set(codes)
    # Prepared but not written (not newer than the stored version), or moved on by status events:
    # what the prepared cells counted for them is taken back, and the moved ones are derived again.
    dropped = [row for row in rows if row[0] not in written or row[0] in moved]
    take_back = [_facts_of_row(row) for row in dropped]
    if dropped:
        gone = {row[0] for row in dropped}
        rows = [row for row in rows if row[0] not in gone]
    added: list[Facts] = []
    if moved:
        again = [(code, doc) for code, doc in zip(codes, documents, strict=True) if code in moved]
        added = _facts_now([doc for _, doc in again])
        sqlite = vendor == "sqlite"
        rows = rows + [
            _fact_row(f, sources[code], sqlite, text=True) for f, (code, _) in zip(added, again, strict=True)
        ]
    # Replaced dossiers: what they counted for before (nothing on a fresh ingest).
    take_back.extend(_facts_of_row(row) for row in _stored_fact_rows(codes))
    if take_back or added:
        correction = _text_cells(cell_deltas(take_back, added))
        cell_rows = tuple(
            _merged(table, keys, delta)
            for table, (_, keys), delta in zip(cell_rows, _CELL_TABLES, correction, strict=True)
        )
    _write_fact_rows(rows)
    _write_cells(cell_rows)


def _stored_fact_rows(codes: Sequence[str]) -> list[tuple[Any, ...]]:
    # The driver's cursor: the ORM's per-parameter preparation costs more than the lookup itself here.
    table = DossierFact._meta.db_table
    columns = ", ".join(FACT_COLUMNS)
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    mark = "?" if connection.vendor == "sqlite" else "%s"
    out: list[tuple[Any, ...]] = []
    try:
        for chunk in _chunks(list(codes)):
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE code IN ({', '.join([mark] * len(chunk))})",  # noqa: S608 - names only; values are bound
                list(chunk),
            )
            out.extend(cursor.fetchall())
    finally:
        cursor.close()
    return out


def _merged(
    rows: list[tuple[Any, ...]], keys: Sequence[str], correction: CellDeltas
) -> list[tuple[Any, ...]]:
    if not correction:
        return rows
    width = len(keys)
    table = {row[:width]: row[width:] for row in rows}
    for key, v in correction.items():
        held = table.get(key)
        table[key] = v if held is None else tuple(a + b for a, b in zip(held, v, strict=True))
    return sorted((*key, *v) for key, v in table.items() if any(v))


# ----------------------------------------------------------------------------------------------
# Rule sets and entered figures


def save_ruleset(*, document: Mapping[str, Any], actor: Any = None, active: bool = True) -> RuleSet:
    """Create or replace a rule set from its JSON document (validated by core.rulesets); audited."""
    existing = RuleSet.objects.filter(code=str(document.get("id", ""))).first()
    ruleset = existing or RuleSet()
    before = existing.document if existing else None
    ruleset.document = dict(document)
    ruleset.active = active
    ruleset.save()  # validates; raises ValidationError naming every problem
    record_change(
        actor=actor,
        action="indices.ruleset.update" if existing else "indices.ruleset.create",
        obj=ruleset,
        summary=f"Bộ quy tắc 766 «{ruleset.code}» hiệu lực từ {ruleset.effective_from:%d/%m/%Y}",
        data={"before": before, "after": ruleset.document, "active": active},
    )
    return ruleset


def set_reported_figure(
    *,
    agency: Any,
    indicator: str,
    month: date,
    numerator: int,
    denominator: int | None = None,
    note: str = "",
    actor: Any = None,
) -> ReportedFigure:
    """Enter or correct a hand-entered figure (1.4 reported count, 4.6) for an agency and month; audited."""
    figure = ReportedFigure.objects.filter(agency=agency, indicator=indicator, month=month).first()
    before = None if figure is None else {"numerator": figure.numerator, "denominator": figure.denominator}
    figure = figure or ReportedFigure(agency=agency, indicator=indicator, month=month)
    figure.numerator, figure.denominator, figure.note = numerator, denominator, note
    if actor is not None and getattr(actor, "is_authenticated", False):
        figure.entered_by = actor
    figure.full_clean()
    figure.save()
    record_change(
        actor=actor,
        action="indices.figure.set",
        obj=figure,
        summary=f"Chỉ số {indicator} của {agency} tháng {month:%m/%Y}: {numerator}"
        + (f"/{denominator}" if denominator is not None else ""),
        data={"before": before, "after": {"numerator": numerator, "denominator": denominator}},
    )
    return figure


def parameters_changed(before: Parameters, after: Parameters) -> bool:
    """True if a rule-set change alters how facts are derived (then rebuild_facts is needed)."""
    return before != after
