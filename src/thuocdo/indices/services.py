"""Writing the 766 index: keeping dossier facts and cells current, rule sets, entered figures.

`sync_facts` is the incremental path: it reads dossiers that changed since it last looked (or the
codes it is given), derives their facts (indices.facts), and applies to the day and month cells
the difference between what each dossier counted for before and what it counts for now — the
same delta rule the dossiers app uses for its monthly tallies, so repeated or reordered
deliveries cannot make the cells drift. The caller owns the transaction.
"""

from __future__ import annotations

from collections import defaultdict
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
from thuocdo.indices.facts import FACT_COLUMNS, METRICS, Facts, facts_of, facts_of_stored
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


def apply_facts(*, old: Sequence[Facts], new: Sequence[Facts], sources: Mapping[str, Source]) -> None:
    """Replace the facts of some dossiers and move the cells by the difference."""
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
    _replace_facts(old, new, sources)
    _add_cells(CellDay, ("agency_code", "procedure_code", "field_code", "day"), day)
    _add_cells(CellMonth, ("agency_code", "procedure_code", "field_code", "month"), _fold(month))
    _add_cells(CellAgencyDay, ("agency_code", "day"), _fold(by_agency_day))
    _add_cells(CellAgencyMonth, ("agency_code", "month"), _fold(by_agency))
    _add_cells(CellProcedureMonth, ("procedure_code", "field_code", "month"), _fold(by_procedure))


def _fold(parts: Mapping[tuple[Any, ...], list[tuple[int, ...]]]) -> dict[tuple[Any, ...], tuple[int, ...]]:
    # Column sums per key; keys whose deltas cancel out are dropped (nothing to write).
    out: dict[tuple[Any, ...], tuple[int, ...]] = {}
    for key, values in parts.items():
        counts = values[0] if len(values) == 1 else tuple(map(sum, zip(*values, strict=True)))
        if any(counts):
            out[key] = counts
    return out


_FACT_NAMES = (*FACT_COLUMNS, *SOURCE_COLUMNS, "span_bucket")
_FACT_TIMES = frozenset(
    i
    for i, name in enumerate(_FACT_NAMES)
    if name in ("received_at", "open_until", "late_at", "src_status_at")
)
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
    rows = [(*_fact_values(f), *sources.get(f.code, blank), openstate.span_bucket(f)) for f in new]
    if connection.vendor == "sqlite":
        # Django stores SQLite datetimes as naive UTC text; the raw driver cursor does not convert.
        times = sorted(_FACT_TIMES)
        fixed = []
        for row in rows:
            values = list(row)
            for i in times:
                v = values[i]
                if isinstance(v, datetime):  # sources may already hold SQLite text
                    values[i] = v.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
            fixed.append(tuple(values))
        rows = fixed
    sets = ", ".join(f"{n} = excluded.{n}" for n in _FACT_NAMES if n != "code")
    _upsert(DossierFact._meta.db_table, ("code",), _FACT_NAMES, rows, sets)


def _add_cells(model: Any, keys: Sequence[str], deltas: Mapping[tuple[Any, ...], tuple[int, ...]]) -> None:
    if not deltas:
        return
    rows: list[tuple[Any, ...]]
    if connection.vendor == "sqlite":
        # Every key ends with its day or month, stored as ISO text; one conversion per distinct date.
        text: dict[date, str] = {}
        rows = []
        for key, v in deltas.items():
            d = key[-1]
            iso = text.get(d)
            if iso is None:
                iso = text[d] = d.isoformat()
            rows.append((*key[:-1], iso, *v))
    else:
        rows = [(*key, *v) for key, v in deltas.items()]
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


def on_dossiers_stored(
    sender: Any = None,
    *,
    codes: Sequence[str] = (),
    documents: Sequence[Any] | None = None,
    sources: Mapping[str, Source] | None = None,
    **_: Any,
) -> None:
    """Signal receiver for the dossiers app: refresh the index for a batch just written, in its transaction.

    With the documents as the ingestion parsed them, facts are derived without re-reading or re-parsing
    the rows (indices.facts.facts_of_stored); otherwise the rows are read again (sync_facts).
    """
    if not codes:
        return
    if documents is None or sources is None:
        sync_facts(codes=codes, now=datetime.now(UTC))
        return
    from thuocdo.catalog.models import Procedure as CatalogProcedure

    params = selectors.current_parameters()
    wanted = sorted({d.procedure_code for d in documents})
    paper: dict[str, bool] = {}
    for chunk in _chunks(wanted):
        paper.update(
            CatalogProcedure.objects.filter(code__in=chunk).values_list("code", "issues_paper_result")
        )
    new = [facts_of_stored(d, paper=paper.get(d.procedure_code, True), params=params) for d in documents]
    old = [fact_from_row(r) for chunk in _chunks(list(codes)) for r in _fact_rows(chunk)]
    apply_facts(old=old, new=new, sources=sources)


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
