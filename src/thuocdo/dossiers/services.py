"""Writing dossiers: idempotent, order-safe bulk ingestion, status events, quarantine and replay.

Every delivery (HTTP batch, file chunk, replay) goes through `ingest_documents`:

1. parse and validate each document with core.dossier (errors name the record and the field);
2. order the versions of one MaHoSo by (version, content_hash): the version is the document's own
   update time, the hash of its canonical JSON breaks ties, so re-sending a document is a no-op and an
   older document arriving after a newer one is ignored, whatever the order of arrival;
3. compare with what is stored, then write only what changed with one multi-row upsert whose
   ON CONFLICT clause repeats the same ordering rule (a guard if two writers ever overlap);
4. keep the processing steps, the status events and the monthly tallies in step with the rows.

The caller owns the transaction (request or management command), so a batch is acknowledged only
after it is committed. Nothing here calls `save()` per row: the per-row ORM path is the benchmark's
baseline, not the product's.
"""

from __future__ import annotations

import gc
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from hashlib import blake2b as _blake2b
from typing import Any, NamedTuple

import msgspec
from django.conf import settings
from django.db import connection

from thuocdo.audit.services import record_change
from thuocdo.core.dossier import (
    ENDED_STATUSES,
    MINUTE_SECONDS,
    VN_TZ,
    DossierError,
    Scan,
    Status,
    parse_document,
    parse_timestamp,
    scan_document,
    stamp_epoch,
)
from thuocdo.core.dossier import Dossier as ParsedDossier
from thuocdo.core.timeliness import original_due, scan_verdict, stored_verdict
from thuocdo.dossiers.files import LineBlock, Unreadable, decode_line
from thuocdo.dossiers.models import Dossier, DossierEvent, DossierStep, DossierTally, Quarantine, SourceSystem
from thuocdo.dossiers.selectors import hash_key
from thuocdo.dossiers.signals import dossiers_stored, prepare_hooks

_ENCODE = msgspec.json.Encoder(order="sorted").encode
_DECODE = msgspec.json.decode
ENDED = frozenset(int(s) for s in ENDED_STATUSES)  # withdrawn, stopped, finished, returned
MAX_BATCH = 10_000

# Column order of the bulk upsert; the row built by _candidate() follows it.
COLUMNS = (
    "code",
    "source_id",
    "procedure_code",
    "procedure_id",
    "field_code",
    "agency_code",
    "agency_id",
    "channel",
    "status",
    "status_at",
    "received_at",
    "due_at",
    "original_due_at",
    "finished_at",
    "returned_at",
    "supplement_count",
    "supplement_wait_s",
    "online_payment",
    "fee_vnd",
    "has_e_result",
    "digitised",
    "reused",
    "from_personal_store",
    "vneid",
    "population_db",
    "timeliness",
    "version",
    "content_hash",
    "raw",
    "updated_at",
)
TALLY_METRICS = (
    "received",
    "online",
    "postal",
    "finished",
    "early",
    "on_time",
    "late",
    "not_counted",
    "online_paid",
    "fee_bearing",
    "e_result",
    "digitised",
    "reused",
    "personal_store",
    "population_data",
)


@dataclass(frozen=True)
class Rejection:
    """One record that was not stored: where it was, which dossier, which field, and why."""

    index: int
    location: str
    record: str
    field: str
    message: str

    @property
    def where(self) -> str:
        """The location and, when readable, the MaHoSo: «hoso.jsonl, dòng 5 (hồ sơ H15-…)»."""
        return f"{self.location} (hồ sơ {self.record})" if self.record else self.location

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "MaHoSo": self.record, "field": self.field, "message": self.message}


@dataclass
class IngestReport:
    """What one delivery did; `accepted` counts rows inserted or replaced."""

    accepted: int = 0
    duplicates: int = 0
    stale: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    unknown_agencies: set[str] = field(default_factory=set)
    unknown_procedures: set[str] = field(default_factory=set)

    def add(self, other: IngestReport) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.stale += other.stale
        self.rejected.extend(other.rejected)
        self.unknown_agencies |= other.unknown_agencies
        self.unknown_procedures |= other.unknown_procedures


@dataclass(frozen=True)
class Event:
    code: str
    status: int
    at: datetime


# ----------------------------------------------------------------------------------------------
# Source systems and their keys


def create_source(*, name: str, actor: Any = None) -> tuple[SourceSystem, str]:
    """Register a source system; return it with its new API key (shown once, stored only as a hash)."""
    key = "td_" + secrets.token_urlsafe(32)
    source = SourceSystem.objects.create(name=name, key_hash=hash_key(key), key_prefix=key[:10])
    record_change(
        actor=actor, action="dossiers.source.create", obj=source, data={"key_prefix": source.key_prefix}
    )
    return source, key


def rotate_source_key(*, source: SourceSystem, actor: Any = None) -> str:
    """Give a source system a new API key; the old one stops working at commit."""
    key = "td_" + secrets.token_urlsafe(32)
    source.key_hash = hash_key(key)
    source.key_prefix = key[:10]
    source.save(update_fields=["key_hash", "key_prefix"])
    record_change(
        actor=actor, action="dossiers.source.rotate_key", obj=source, data={"key_prefix": source.key_prefix}
    )
    return key


# ----------------------------------------------------------------------------------------------
# Documents


def decode_record(raw: bytes | str) -> Any:
    """Decode one JSON record (msgspec: about twice as fast as the json module on these documents)."""
    return _DECODE(raw)


def record_code(obj: Any) -> str:
    """The MaHoSo of a raw record if it has a readable one, else ''."""
    if isinstance(obj, Mapping):
        code = obj.get("MaHoSo")
        if isinstance(code, str):
            return code.strip()[:120]
    return ""


TallyKey = tuple[str, str, str]  # agency code, procedure code, month of receipt as "yyyy-mm-01"


class Candidate(NamedTuple):
    """A valid document ready to store: its ordering key, its row, its steps and what it adds to the tallies."""

    # A named tuple rather than a dataclass: batches cross process boundaries, and tuples pickle ~2x faster.
    key: tuple[int, str]
    row: tuple[Any, ...]
    steps: list[tuple[Any, ...]]
    tally: tuple[TallyKey, tuple[int, ...]]
    doc: Any  # the document as parsed (core Scan or Dossier), handed to `dossiers_stored` receivers


@dataclass
class Prepared:
    """A parsed batch: the newest valid version of each MaHoSo, and the rejected records."""

    report: IngestReport
    best: dict[str, Candidate]
    bad: list[tuple[Rejection, Any]]
    # The tallies of every candidate summed per key, as if all were written (corrected under the lock).
    tally: dict[TallyKey, list[int]] | None = None
    # What each prepare hook made of the batch (dossiers.signals.prepare_hooks), by hook name.
    hooks: dict[str, Any] = field(default_factory=dict)

    # Batches cross process boundaries: plain tuples unpickle several times faster than named tuples
    # (a scanned document travels without its steps, which the candidate already carries as rows).
    def __getstate__(self) -> tuple[Any, ...]:
        scan = Scan
        return (
            self.report,
            [
                (*c[:4], c.doc._replace(steps=()) if c.doc.__class__ is scan else c.doc)
                for c in self.best.values()
            ],
            self.bad,
            self.tally,
            self.hooks,
        )

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.report, candidates, self.bad, self.tally, self.hooks = state
        make = Candidate._make
        self.best = {c[1][0]: make(c) for c in candidates}


@dataclass(frozen=True)
class Lookups:
    """Reference data a batch is checked against (agency and procedure codes → ids)."""

    agencies: Mapping[str, int]
    procedures: Mapping[str, int]
    strict_agencies: bool = False
    # Prepare hook name → what its load() read; a hook without a context here does not run.
    contexts: Mapping[str, Any] = field(default_factory=dict)


def load_lookups() -> Lookups:
    """Agency and procedure codes as known now, whether unknown agency codes are refused, the hooks' data."""
    from thuocdo.catalog.models import Procedure
    from thuocdo.units.models import Agency

    return Lookups(
        dict(Agency.objects.values_list("code", "id")),
        dict(Procedure.objects.values_list("code", "id")),
        bool(getattr(settings, "THUOCDO", {}).get("DOSSIERS_STRICT_AGENCIES", False)),
        {name: hook.load() for name, hook in prepare_hooks.items()},
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    # A batch allocates millions of small objects that all live until it is stored; the cyclic garbage
    # collector would rescan them again and again (measured: 3x slower). Nothing here makes cycles.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _supersedes(held: Candidate | None, key: tuple[int, str], report: IngestReport) -> bool:
    """Whether a document with `key` replaces the one kept so far for its code in this batch; counts the loser."""
    if held is None:
        return True
    if key <= held.key:
        if key == held.key:
            report.duplicates += 1
        else:
            report.stale += 1
        return False
    report.stale += 1
    return True


def prepare_documents(
    records: Sequence[tuple[str, Any]] | LineBlock,
    *,
    lookups: Lookups,
    vendor: str,
    source_id: int | None,
    now: datetime,
) -> Prepared:
    """Parse and validate a batch and build its rows; touches no database, so it can run in a worker process.

    A record is a decoded document, or the bytes of one JSON line (decoded here, so in the worker too);
    a LineBlock is split into such records here.
    """
    if isinstance(records, LineBlock):
        records = records.records()
    report = IngestReport()
    best: dict[str, Candidate] = {}
    bad: list[tuple[Rejection, Any]] = []
    sqlite = vendor == "sqlite"
    dt = _sqlite_dt if sqlite else _iso_dt
    st = _sqlite_stamp if sqlite else _iso_stamp
    stamp = dt(now)
    strict = lookups.strict_agencies
    agencies = lookups.agencies
    with _collector_paused():
        for index, (location, obj) in enumerate(records):
            if obj.__class__ is bytes:
                obj = decode_line(obj)
            if obj.__class__ is Unreadable:
                bad.append((Rejection(index, location, "", "-", obj.message), obj))
                continue
            scan = scan_document(obj)
            if scan is not None and not (strict and scan.agency_code not in agencies):
                # The fast path: a plainly valid document, its columns derived from the text of its stamps.
                raw = _ENCODE(obj)
                key = (int(scan.version_at), _blake2b(raw, digest_size=16).hexdigest())
                if not _supersedes(best.get(scan.code), key, report):
                    continue
                # SQLite takes the UTF-8 bytes as they are (CAST … AS TEXT); PostgreSQL's COPY wants text.
                best[scan.code] = _scan_candidate(
                    scan, raw if sqlite else raw.decode(), key, source_id, stamp, lookups, st
                )
                continue
            try:
                parsed = parse_document(obj, record=location)
                if lookups.strict_agencies and parsed.agency_code not in lookups.agencies:
                    raise DossierError(
                        location, "DonViXuLy", f"mã đơn vị «{parsed.agency_code}» không có trong danh mục"
                    )
            except DossierError as exc:
                bad.append((Rejection(index, location, record_code(obj), exc.field, exc.message), obj))
                continue
            raw = _ENCODE(obj)
            at = parsed.version_at
            key = (_version_number(at), _blake2b(raw, digest_size=16).hexdigest())
            if not _supersedes(best.get(parsed.code), key, report):
                continue
            best[parsed.code] = _candidate(
                parsed,
                raw if sqlite else raw.decode(),
                key,
                source_id=source_id,
                now=stamp,
                lookups=lookups,
                dt=dt,
                at=at,
            )
    report.rejected = [r for r, _ in bad]
    prepared = Prepared(report, best, bad)
    with _collector_paused():
        prepared.tally = _summed_tallies(best.values())
        run_prepare_hooks(prepared, lookups=lookups, vendor=vendor)
    return prepared


def _summed_tallies(candidates: Iterable[Candidate]) -> dict[TallyKey, list[int]]:
    deltas: dict[TallyKey, list[int]] = {}
    for c in candidates:
        key, values = c.tally
        bucket = deltas.get(key)
        if bucket is None:
            deltas[key] = list(values)
        else:
            deltas[key] = [a + b for a, b in zip(bucket, values, strict=True)]
    return deltas


def run_prepare_hooks(prepared: Prepared, *, lookups: Lookups, vendor: str) -> None:
    """Let the higher apps' prepare hooks work on the batch now, before the write lock (signals.prepare_hooks)."""
    if not prepared.best:
        return
    items = None
    for name, hook in prepare_hooks.items():
        context = lookups.contexts.get(name)
        if context is None:
            continue
        if items is None:
            # version, content_hash, status, status_at: the fingerprint `dossiers_stored` sends as `sources`
            items = [
                (c.row[0], c.doc, (c.row[26], c.row[27], c.row[8], c.row[9])) for c in prepared.best.values()
            ]
        prepared.hooks[name] = hook.prepare(items, context, vendor)


def ingest_documents(
    *,
    records: Sequence[tuple[str, Any]],
    source: SourceSystem | None,
    batch: str,
    now: datetime,
    lookups: Lookups | None = None,
    quarantine: bool = True,
) -> IngestReport:
    """Store a batch of (location, document) pairs; bad ones go to quarantine. The caller commits."""
    prepared = prepare_documents(
        records,
        lookups=lookups or load_lookups(),
        vendor=connection.vendor,
        source_id=source.pk if source is not None else None,
        now=now,
    )
    return store_prepared(
        prepared, source=source, batch=batch, now=now, lookups=lookups, quarantine=quarantine
    )


def store_prepared(
    prepared: Prepared,
    *,
    source: SourceSystem | None,
    batch: str,
    now: datetime,
    lookups: Lookups | None = None,
    quarantine: bool = True,
) -> IngestReport:
    """Write a prepared batch: only documents newer than what is stored, then steps, events and tallies."""
    report = prepared.report
    if quarantine and prepared.bad:
        _quarantine(prepared.bad, source=source, batch=batch, kind=Quarantine.Kind.DOCUMENT)
    if not prepared.best:
        return report
    _lock()
    stored = _stored_keys(list(prepared.best))
    changed: list[Candidate] = []
    for code, candidate in prepared.best.items():
        held = stored.get(code)
        old = None if held is None else held[:2]
        if old is None or candidate.key > old:
            changed.append(candidate)
        elif candidate.key == old:
            report.duplicates += 1
        else:
            report.stale += 1
    report.accepted = len(changed)
    if changed:
        with _collector_paused():
            written = _write(
                changed,
                existed=stored,
                source=source,
                now=now,
                lookups=lookups or load_lookups(),
                report=report,
                prepared=prepared,
            )
            _announce(written, prepared=prepared)
    return report


def _announce(written: Sequence[Candidate], *, prepared: Prepared | None = None) -> None:
    # Receivers (the 766 index) update in this transaction, from the documents as already parsed.
    if not dossiers_stored.receivers:
        return
    hooks = prepared.hooks if prepared is not None else None
    moved = None
    if hooks:
        # Candidates rebuilt under the lock (status events applied) are no longer what the hooks saw.
        best = prepared.best  # type: ignore[union-attr]
        moved = {c.row[0] for c in written if best.get(c.row[0]) is not c}
    dossiers_stored.send(
        sender=Dossier,
        codes=[c.row[0] for c in written],
        documents=[c.doc for c in written],
        # version, content_hash, status, status_at: the row's fingerprint as the index keeps it
        sources={c.row[0]: (c.row[26], c.row[27], c.row[8], c.row[9]) for c in written},
        prepared=hooks or None,
        moved=moved,
    )


def _version(d: ParsedDossier) -> int:
    """The ordering version of a document: its update time as the integer yyyyMMddHHmmss, Vietnam time."""
    return _version_number(d.version_at)


def _version_number(at: datetime) -> int:
    # What core's format_timestamp spells, without strftime (this runs once per document).
    v = at.astimezone(VN_TZ)
    return ((((v.year * 100 + v.month) * 100 + v.day) * 100 + v.hour) * 100 + v.minute) * 100 + v.second


class TransactionRequired(RuntimeError):
    """A dossier write was called in autocommit mode."""


def _lock() -> None:
    # Writers take turns: SQLite's IMMEDIATE transactions already do; on PostgreSQL a transaction-scoped
    # advisory lock does, so the compare-then-write below and the tally deltas never interleave.
    # In autocommit the lock, the staging table (ON COMMIT DELETE ROWS) and the all-or-nothing batch
    # would each end at their own statement and a batch could vanish silently, so refuse loudly instead.
    if not connection.in_atomic_block:
        raise TransactionRequired(
            "dossier writes must run inside transaction.atomic(); the caller (request, command, job) commits"
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(766008)")


def _chunks(items: Sequence[Any], size: int = 2000) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _stored_keys(codes: Sequence[str]) -> dict[str, tuple[int, str, int]]:
    """(version, content_hash, id) of the stored rows among these codes."""
    out: dict[str, tuple[int, str, int]] = {}
    table = Dossier._meta.db_table
    cursor, mark = _raw_cursor()
    try:
        for chunk in _chunks(codes):
            cursor.execute(
                f"SELECT code, version, content_hash, id FROM {table} WHERE code IN ({', '.join([mark] * len(chunk))})",  # noqa: S608 - table and column names only; values are bound
                list(chunk),
            )
            out.update((code, (version, digest, pk)) for code, version, digest, pk in cursor.fetchall())
    finally:
        cursor.close()
    return out


def _verdict(d: ParsedDossier, at: datetime) -> str:
    # Only an ended dossier has a verdict that no later date can change; an open one is judged when asked.
    return stored_verdict(d if at == d.version_at else replace(d, updated_at=at))


_UTC_PREFIX: dict[str, str] = {}  # "yyyyMMddHH" (Vietnam time) -> "yyyy-mm-dd HH:" in UTC
_ISO_PREFIX: dict[str, str] = {}  # "yyyyMMddHH" -> "yyyy-mm-ddTHH:"


_MM_SS = {ms: f"{ms[:2]}:{ms[2:]}" for ms in MINUTE_SECONDS}
_MM_SS_VN = {ms: f"{ms[:2]}:{ms[2:]}+07:00" for ms in MINUTE_SECONDS}


def _sqlite_stamp(value: str | None) -> str | None:
    # A checked yyyyMMddHHmmss stamp as Django keeps SQLite datetimes (naive UTC text). Only the date and
    # hour move between time zones, so that prefix is converted once and looked up afterwards.
    if value is None:
        return None
    prefix = _UTC_PREFIX.get(value[:10])
    if prefix is None:
        if len(_UTC_PREFIX) > 500_000:
            _UTC_PREFIX.clear()
        prefix = _UTC_PREFIX[value[:10]] = datetime.fromtimestamp(
            stamp_epoch(value[:10] + "0000"), UTC
        ).strftime("%Y-%m-%d %H:")
    return prefix + _MM_SS[value[10:]]


def _iso_stamp(value: str | None) -> str | None:
    # PostgreSQL: ISO text with the offset, as _iso_dt writes it.
    if value is None:
        return None
    prefix = _ISO_PREFIX.get(value[:10])
    if prefix is None:
        if len(_ISO_PREFIX) > 500_000:
            _ISO_PREFIX.clear()
        prefix = _ISO_PREFIX[value[:10]] = f"{value[:4]}-{value[4:6]}-{value[6:8]}T{value[8:10]}:"
    return prefix + _MM_SS_VN[value[10:]]


def _scan_candidate(
    s: Scan, raw: Any, key: tuple[int, str], source_id: int | None, now: Any, lookups: Lookups, st: Any
) -> Candidate:
    """What _candidate builds from a parsed Dossier, built from a scan (tests compare the stored results)."""
    verdict = scan_verdict(s)
    channel = s.channel
    row = (
        s.code,
        source_id,
        s.procedure_code,
        lookups.procedures.get(s.procedure_code),
        s.field_code[:40],
        s.agency_code,
        lookups.agencies.get(s.agency_code),
        channel,
        s.status,
        st(s.version_at),
        st(s.received),
        st(s.due),
        st(s.original_due),
        st(s.finished),
        st(s.returned),
        len(s.supplements),
        s.supplement_wait_s,
        s.online_payment,
        s.fee,
        s.e_result,
        s.digitised,
        s.reused,
        s.from_personal_store,
        s.vneid,
        s.population,
        verdict,
        key[0],
        key[1],
        raw,
        now,
    )
    statuses = _STEP_STATUS
    steps = [
        (
            seq,
            officer[:150],
            title[:150],
            department[:200],
            statuses[status] if status in statuses else _step_status(status),
            st(started),
            st(due),
            st(at),
        )
        for seq, (officer, title, department, status, started, due, at) in enumerate(s.steps, start=1)
    ]
    received = s.received
    tally = (
        (s.agency_code, s.procedure_code, f"{received[:4]}-{received[4:6]}-01"),
        _CHANNEL_BITS[channel]
        + _VERDICT_BITS[s.status in ENDED, verdict]
        + (
            int(s.online_payment in (1, 2)),
            int(s.fee > 0),
            int(s.e_result),
            int(s.digitised),
            int(s.reused),
            int(s.from_personal_store),
            int(s.population),
        ),
    )
    return Candidate(key, row, steps, tally, s)


# Tally metrics as tuples to concatenate: (received, online, postal), then (finished, early, on time, late, not counted).
_CHANNEL_BITS = {1: (1, 0, 0), 2: (1, 1, 0), 3: (1, 0, 1)}
_VERDICT_BITS = {
    (ended, verdict): (
        int(ended),
        int(verdict == "early"),
        int(verdict == "on_time"),
        int(verdict == "late"),
        int(verdict == "not_counted"),
    )
    for ended in (False, True)
    for verdict in ("early", "on_time", "late", "not_counted", "open")
}
# Step statuses as _step_status reads them, looked up rather than parsed.
_STEP_STATUS = {f"{n:0{w}d}": n for w in (1, 2, 3) for n in range(10**w)}


def _sqlite_dt(value: datetime | None) -> str | None:
    # Django keeps SQLite datetimes as naive UTC text; formatting here avoids a per-value adapter call.
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(" ")[:-6]  # without the "+00:00"


def _iso_dt(value: datetime | None) -> str | None:
    # PostgreSQL: ISO text, which COPY parses into timestamptz. Text crosses process boundaries far more
    # cheaply than datetime objects (measured: validation in workers was slower than none with datetimes).
    return None if value is None else value.isoformat()


def _identity(value: Any) -> Any:
    return value


def _step_status(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 4 else None


def _candidate(
    d: ParsedDossier,
    raw: str | bytes,
    key: tuple[int, str],
    *,
    source_id: int | None,
    now: Any,
    lookups: Lookups,
    dt: Any,
    at: datetime | None = None,
) -> Candidate:
    at = at or d.version_at
    documents = d.documents
    digitised = d.has_digitised_component or any(t.digitised for t in documents)
    reused = any(t.reused for t in documents)
    from_store = any(t.from_personal_store for t in documents)
    population = d.vneid_verified or bool(d.databases)
    e_result = d.has_electronic_result
    fee = int(d.fee_total)
    verdict = _verdict(d, at)
    wait = 0
    for s in d.supplements:
        if s.completed_at is not None:
            wait += int((s.completed_at - s.requested_at).total_seconds())
    row = (
        d.code,
        source_id,
        d.procedure_code,
        lookups.procedures.get(d.procedure_code),
        d.field_code[:40],
        d.agency_code,
        lookups.agencies.get(d.agency_code),
        int(d.channel),
        int(d.status),
        dt(at),
        dt(d.received_at),
        dt(d.due_at),
        dt(original_due(d, None)[0]),
        dt(d.finished_at),
        dt(d.returned_at),
        len(d.supplements),
        wait,
        d.online_payment,
        fee,
        e_result,
        digitised,
        reused,
        from_store,
        d.vneid_verified,
        population,
        verdict,
        key[0],
        key[1],
        raw,
        now,
    )
    steps = [
        (
            seq,
            s.handler[:150],
            s.title[:150],
            s.department[:200],
            _step_status(s.status),
            dt(s.started_at),
            dt(s.due_at),
            dt(s.at),
        )
        for seq, s in enumerate(d.steps, start=1)
    ]
    month = d.received_at.astimezone(VN_TZ).strftime("%Y-%m-01")
    channel = int(d.channel)
    tally = (
        (d.agency_code, d.procedure_code, month),
        (
            1,
            int(channel == 2),
            int(channel == 3),
            int(d.status in ENDED),
            int(verdict == "early"),
            int(verdict == "on_time"),
            int(verdict == "late"),
            int(verdict == "not_counted"),
            int(d.online_payment in (1, 2)),
            int(fee > 0),
            int(e_result),
            int(digitised),
            int(reused),
            int(from_store),
            int(population),
        ),
    )
    return Candidate(key, row, steps, tally, d)


def _values(placeholder: str) -> str:
    # SQLite gets `raw` as UTF-8 bytes (no decoding, no re-encoding on the way) and stores it as text.
    return ", ".join(
        f"CAST({placeholder} AS TEXT)" if c == "raw" and placeholder == "?" else placeholder for c in COLUMNS
    )


def _insert_new_sql() -> str:
    # SQLite, rows known to be new under the write lock: ids given, so no read-back of the ids.
    return f"INSERT INTO {Dossier._meta.db_table} (id, {', '.join(COLUMNS)}) VALUES (?, {_values('?')})"  # noqa: S608 - table and column names only; values are bound


def _upsert_sql(placeholder: str) -> str:
    table = Dossier._meta.db_table
    values = _values(placeholder)
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "code")
    return (
        f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({values}) "  # noqa: S608 - table and column names only; values are bound
        f"ON CONFLICT (code) DO UPDATE SET {updates} "
        f"WHERE {table}.version < excluded.version "
        f"OR ({table}.version = excluded.version AND {table}.content_hash < excluded.content_hash)"
    )


def _raw_cursor() -> tuple[Any, str]:
    # The driver's own cursor: Django's wrapper costs a few microseconds a row, which is most of a row here.
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "sqlite":
        return raw.cursor(), "?"
    return raw.cursor(), "%s"


def _write(
    changed: list[Candidate],
    *,
    existed: Mapping[str, tuple[int, str, int]],
    source: SourceSystem | None,
    now: datetime,
    lookups: Lookups,
    report: IngestReport,
    prepared: Prepared | None = None,
) -> list[Candidate]:
    """Write the rows, their steps and tally deltas; returns the candidates as written (events applied)."""
    codes = [c.row[0] for c in changed]
    dt = _sqlite_dt if connection.vendor == "sqlite" else _identity
    original = changed
    # Events may arrive before their dossier: they wait in DossierEvent and apply when it lands.
    events = _events_for(codes) if DossierEvent.objects.exists() else {}
    if events:
        changed = [
            _with_events(c, events.get(c.row[0]), source=source, now=now, lookups=lookups, dt=dt)
            for c in changed
        ]
    deltas: dict[TallyKey, list[int]] = defaultdict(lambda: [0] * len(TALLY_METRICS))
    if prepared is not None and prepared.tally is not None:
        # The batch's tallies were summed before the lock as if every candidate were written: take back
        # those that were not (not newer than the stored row) and those that status events moved on.
        deltas.update((k, list(v)) for k, v in prepared.tally.items())
        kept = set(codes)
        for code, c in prepared.best.items():
            if code not in kept:
                _add(deltas, *c.tally, sign=-1)
        for before, after in zip(original, changed, strict=True):
            if after is not before:
                _add(deltas, *before.tally, sign=-1)
                _add(deltas, *after.tally)
    else:
        for c in changed:
            _add(deltas, *c.tally)
    replaced = [c for c in codes if c in existed]
    if replaced:
        for tally_key, values in _stored_contributions(replaced):
            _add(deltas, tally_key, values, sign=-1)
    for c in changed:
        if c.row[6] is None:
            report.unknown_agencies.add(c.row[5])
        if c.row[3] is None:
            report.unknown_procedures.add(c.row[2])
    cursor, mark = _raw_cursor()
    try:
        if connection.vendor == "postgresql":
            ids = _upsert_by_copy(cursor, [c.row for c in changed])
        else:
            ids = {code: existed[code][2] for code in replaced}
            new = [c.row for c in changed if c.row[0] not in existed]
            if new:
                # Writers take turns (IMMEDIATE transactions), and the stored keys were read under the same
                # lock: these codes are not in the table, and ids past the AUTOINCREMENT counter are free.
                table = Dossier._meta.db_table
                sql = f"SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?), 0), COALESCE((SELECT max(id) FROM {table}), 0))"  # noqa: S608 - table name only
                cursor.execute(sql, [table])
                first = cursor.fetchone()[0] + 1
                cursor.executemany(_insert_new_sql(), [(first + i, *row) for i, row in enumerate(new)])
                ids.update((row[0], first + i) for i, row in enumerate(new))
            if replaced:
                cursor.executemany(_upsert_sql(mark), [c.row for c in changed if c.row[0] in existed])
        step_table = DossierStep._meta.db_table
        for chunk in _chunks([ids[c] for c in replaced if c in ids]):
            cursor.execute(
                f"DELETE FROM {step_table} WHERE dossier_id IN ({', '.join([mark] * len(chunk))})",  # noqa: S608 - table and column names only; values are bound
                list(chunk),
            )
        steps = [(ids[c.row[0]], *step) for c in changed if c.row[0] in ids for step in c.steps]
        step_columns = "dossier_id, seq, officer, title, department, status, started_at, due_at, acted_at"
        if steps and connection.vendor == "postgresql":
            with cursor.copy(f"COPY {step_table} ({step_columns}) FROM STDIN") as copy:
                for step in steps:
                    copy.write_row(step)
        elif steps:
            cursor.executemany(
                f"INSERT INTO {step_table} ({step_columns}) VALUES ({', '.join([mark] * 9)})",  # noqa: S608 - table and column names only; values are bound
                steps,
            )
        _apply_tally(cursor, mark, deltas)
    finally:
        cursor.close()
    return changed


def _upsert_by_copy(cursor: Any, rows: list[tuple[Any, ...]]) -> dict[str, int]:
    # PostgreSQL: COPY into a session-local staging table, then one INSERT … ON CONFLICT from it. COPY
    # moves rows several times faster than a multi-row INSERT, and RETURNING hands back the ids.
    table = Dossier._meta.db_table
    columns = ", ".join(COLUMNS)
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS dossier_staging ON COMMIT DELETE ROWS AS SELECT {columns} FROM {table} WITH NO DATA"  # noqa: S608 - table and column names only
    )
    cursor.execute("TRUNCATE dossier_staging")
    with cursor.copy(f"COPY dossier_staging ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "code")
    cursor.execute(
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM dossier_staging "  # noqa: S608 - table and column names only
        f"ON CONFLICT (code) DO UPDATE SET {updates} "
        f"WHERE {table}.version < excluded.version "
        f"OR ({table}.version = excluded.version AND {table}.content_hash < excluded.content_hash) "
        "RETURNING code, id"
    )
    return dict(cursor.fetchall())


def _with_events(
    c: Candidate,
    events: Sequence[Event] | None,
    *,
    source: SourceSystem | None,
    now: Any,
    lookups: Lookups,
    dt: Any,
) -> Candidate:
    if not events:
        return c
    parsed = _apply_events(parse_document(_DECODE(c.row[28]), record=c.row[0]), events)
    rebuilt = _candidate(
        parsed, c.row[28], c.key, source_id=source.pk if source else None, now=dt(now), lookups=lookups, dt=dt
    )
    return rebuilt


def _stored_contributions(codes: Sequence[str]) -> list[tuple[TallyKey, tuple[int, ...]]]:
    # What the stored rows count for now, rebuilt from their documents and events so tallies never drift.
    events = _events_for(codes)
    out = []
    lookups = Lookups({}, {})
    for chunk in _chunks(codes):
        for code, raw in Dossier.objects.filter(code__in=chunk).values_list("code", "raw"):
            parsed = _apply_events(parse_document(_DECODE(raw), record=code), events.get(code, ()))
            out.append(
                _candidate(
                    parsed, raw, (0, ""), source_id=None, now=None, lookups=lookups, dt=_identity
                ).tally
            )
    return out


def _add(
    deltas: dict[TallyKey, list[int]],
    key: TallyKey,
    values: tuple[int, ...],
    *,
    sign: int = 1,
) -> None:
    bucket = deltas[key]
    for i, v in enumerate(values):
        bucket[i] += sign * v


def _apply_tally(cursor: Any, mark: str, deltas: Mapping[TallyKey, list[int]]) -> None:
    rows = [(*k, *v) for k, v in deltas.items() if any(v)]
    if not rows:
        return
    table = DossierTally._meta.db_table
    names = ", ".join(("agency_code", "procedure_code", "month", *TALLY_METRICS))
    sets = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in TALLY_METRICS)
    conflict = f"ON CONFLICT (agency_code, procedure_code, month) DO UPDATE SET {sets}"
    if connection.vendor == "postgresql":
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS tally_staging ON COMMIT DELETE ROWS AS SELECT {names} FROM {table} WITH NO DATA"  # noqa: S608 - names only
        )
        cursor.execute("TRUNCATE tally_staging")
        with cursor.copy(f"COPY tally_staging ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM tally_staging {conflict}")  # noqa: S608 - names only
        return
    values = ", ".join([mark] * (3 + len(TALLY_METRICS)))
    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({values}) {conflict}", rows)  # noqa: S608 - names only


# ----------------------------------------------------------------------------------------------
# Status events


def _events_for(codes: Sequence[str]) -> dict[str, list[Event]]:
    out: dict[str, list[Event]] = defaultdict(list)
    for chunk in _chunks(codes):
        for code, status, at in DossierEvent.objects.filter(dossier_code__in=chunk).values_list(
            "dossier_code", "status", "at"
        ):
            out[code].append(Event(code, status, at))
    return out


def _apply_events(d: ParsedDossier, events: Iterable[Event]) -> ParsedDossier:
    """The dossier as its document says, moved on by the status events newer than the document."""
    after = [e for e in events if e.at > d.version_at]
    if not after:
        return d
    # Every rule below is a min/max over the events, so the result does not depend on their order.
    latest = max(after, key=lambda e: (e.at, e.status))
    finished = [e.at for e in after if e.status in ENDED]
    returned = [e.at for e in after if e.status == 10]
    return replace(
        d,
        status=Status(latest.status),
        finished_at=min([*finished, d.finished_at] if d.finished_at else finished)
        if finished
        else d.finished_at,
        returned_at=min([*returned, d.returned_at] if d.returned_at else returned)
        if returned
        else d.returned_at,
        updated_at=latest.at,
    )


def parse_event(obj: Any, *, record: str) -> Event:
    """Validate one status event {MaHoSo, TrangThai, ThoiDiem}; raise DossierError naming the field."""
    if not isinstance(obj, Mapping):
        raise DossierError(record, "-", "cần một đối tượng JSON")
    code = obj.get("MaHoSo")
    if not isinstance(code, str) or not code.strip():
        raise DossierError(record, "MaHoSo", "bắt buộc nhưng bị thiếu")
    record = f"{record} (hồ sơ {code.strip()})"
    status = obj.get("TrangThai", obj.get("TrangThaiHoSo"))
    if isinstance(status, str) and status.strip().isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 1 <= status <= 10:
        raise DossierError(record, "TrangThai", f"trạng thái {status!r} không hợp lệ (cho phép 1–10)")
    try:
        at = parse_timestamp(obj.get("ThoiDiem"))
    except ValueError:
        raise DossierError(
            record, "ThoiDiem", f"ngày giờ không hợp lệ {obj.get('ThoiDiem')!r}, cần dạng yyyyMMddHHmmss"
        ) from None
    return Event(code.strip(), status, at)


def ingest_events(
    *,
    records: Sequence[tuple[str, Any]],
    source: SourceSystem | None,
    batch: str,
    now: datetime,
    quarantine: bool = True,
) -> IngestReport:
    """Store status events once each and move the stored dossiers on; events for unknown dossiers wait for them."""
    report = IngestReport()
    bad: list[tuple[Rejection, Any]] = []
    fresh: dict[tuple[str, datetime, int], tuple[Event, Any]] = {}
    for index, (location, obj) in enumerate(records):
        try:
            event = parse_event(obj, record=location)
        except DossierError as exc:
            bad.append((Rejection(index, location, record_code(obj), exc.field, exc.message), obj))
            continue
        ident = (event.code, event.at, event.status)
        if ident in fresh:
            report.duplicates += 1
        else:
            fresh[ident] = (event, obj)
    report.rejected = [r for r, _ in bad]
    if quarantine and bad:
        _quarantine(bad, source=source, batch=batch, kind=Quarantine.Kind.EVENT)
    if not fresh:
        return report
    _lock()
    codes = sorted({e.code for e, _ in fresh.values()})
    prior = _events_for(codes)
    known = {(e.code, e.at, e.status) for events in prior.values() for e in events}
    new = [(e, obj) for ident, (e, obj) in fresh.items() if ident not in known]
    report.duplicates += len(fresh) - len(new)
    if not new:
        return report
    DossierEvent.objects.bulk_create(
        [
            DossierEvent(
                dossier_code=e.code,
                status=e.status,
                at=e.at,
                source=source,
                raw=_ENCODE(obj).decode(),
                received_at=now,
            )
            for e, obj in new
        ]
    )
    report.accepted = len(new)
    _reapply_events(sorted({e.code for e, _ in new}), prior=prior, now=now)
    return report


def _reapply_events(codes: Sequence[str], *, prior: Mapping[str, list[Event]], now: datetime) -> None:
    """Move stored dossiers on by their events: `prior` were applied before, the stored ones now include new ones."""
    stored = list(
        Dossier.objects.filter(code__in=codes).values_list("code", "raw", "version", "content_hash")
    )
    if not stored:
        return
    events = _events_for([c for c, *_ in stored])
    deltas: dict[TallyKey, list[int]] = defaultdict(lambda: [0] * len(TALLY_METRICS))
    updates = []
    dt = _sqlite_dt if connection.vendor == "sqlite" else _identity
    lookups = Lookups({}, {})
    moved: list[Candidate] = []
    for code, raw, version, digest in stored:
        base = parse_document(_DECODE(raw), record=code)
        before = _candidate(
            _apply_events(base, prior.get(code, ())),
            raw,
            (0, ""),
            source_id=None,
            now=None,
            lookups=lookups,
            dt=dt,
        )
        after = _candidate(
            _apply_events(base, events.get(code, ())),
            raw,
            (version, digest),
            source_id=None,
            now=None,
            lookups=lookups,
            dt=dt,
        )
        _add(deltas, *before.tally, sign=-1)
        _add(deltas, *after.tally)
        row = after.row
        # status, status_at, finished_at, returned_at, timeliness
        updates.append((row[8], row[9], row[13], row[14], row[25], dt(now), code))
        moved.append(after)
    cursor, mark = _raw_cursor()
    try:
        cursor.executemany(
            f"UPDATE {Dossier._meta.db_table} SET status = {mark}, status_at = {mark}, finished_at = {mark}, "  # noqa: S608 - table and column names only; values are bound
            f"returned_at = {mark}, timeliness = {mark}, updated_at = {mark} WHERE code = {mark}",
            updates,
        )
        _apply_tally(cursor, mark, deltas)
    finally:
        cursor.close()
    _announce(moved)


# ----------------------------------------------------------------------------------------------
# Quarantine


def _quarantine(
    bad: Sequence[tuple[Rejection, Any]], *, source: SourceSystem | None, batch: str, kind: str
) -> None:
    Quarantine.objects.bulk_create(
        [
            Quarantine(
                source=source,
                kind=kind,
                batch=batch[:120],
                location=r.location[:200],
                record=r.record,
                raw=_raw_text(obj),
                errors=[{"record": r.where, "field": r.field, "message": r.message}],
            )
            for r, obj in bad
        ]
    )


def _raw_text(obj: Any) -> str:
    if isinstance(obj, Unreadable):
        return obj.text
    try:
        return _ENCODE(obj).decode()
    except (TypeError, msgspec.EncodeError):
        return msgspec.json.encode(str(obj)).decode()


def replay_quarantined(*, items: Iterable[Quarantine], now: datetime, actor: Any = None) -> IngestReport:
    """Feed quarantined records (as edited) through ingestion again; those that pass are marked replayed."""
    total = IngestReport()
    for item in items:
        if item.state in (Quarantine.State.REPLAYED, Quarantine.State.DISCARDED):
            continue
        location = f"cách ly #{item.pk} ({item.location})"
        try:
            obj = _DECODE(item.raw)
        except msgspec.DecodeError as exc:
            item.errors = [{"record": location, "field": "-", "message": f"JSON không hợp lệ: {exc}"}]
            item.save(update_fields=["errors", "updated_at"])
            total.rejected.append(Rejection(0, location, item.record, "-", f"JSON không hợp lệ: {exc}"))
            continue
        ingest = ingest_events if item.kind == Quarantine.Kind.EVENT else ingest_documents
        report = ingest(
            records=[(location, obj)],
            source=item.source,
            batch=f"replay-{item.pk}",
            now=now,
            quarantine=False,
        )
        total.add(report)
        if report.rejected:
            item.errors = [
                {"record": r.where, "field": r.field, "message": r.message} for r in report.rejected
            ]
            item.save(update_fields=["errors", "updated_at"])
        else:
            item.state = Quarantine.State.REPLAYED
            item.save(update_fields=["state", "updated_at"])
            record_change(
                actor=actor, action="dossiers.quarantine.replay", obj=item, data={"record": item.record}
            )
    return total


def fix_quarantined(*, item: Quarantine, raw: str, actor: Any = None) -> Quarantine:
    """Replace a quarantined record's JSON with an operator's correction, ready for replay."""
    _DECODE(raw)  # refuse text that is not JSON before it is stored
    item.raw = raw
    item.state = Quarantine.State.FIXED
    item.save(update_fields=["raw", "state", "updated_at"])
    record_change(actor=actor, action="dossiers.quarantine.fix", obj=item, data={"record": item.record})
    return item


def discard_quarantined(*, item: Quarantine, actor: Any = None) -> Quarantine:
    """Give up on a quarantined record (kept for the record, never replayed)."""
    item.state = Quarantine.State.DISCARDED
    item.save(update_fields=["state", "updated_at"])
    record_change(actor=actor, action="dossiers.quarantine.discard", obj=item, data={"record": item.record})
    return item
