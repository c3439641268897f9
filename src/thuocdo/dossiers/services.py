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

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import msgspec
from django.conf import settings
from django.db import connection

from thuocdo.audit.services import record_change
from thuocdo.core.dossier import Dossier as ParsedDossier
from thuocdo.core.dossier import VN_TZ, DossierError, Status, format_timestamp, parse_document, parse_timestamp
from thuocdo.dossiers.models import Dossier, DossierEvent, DossierTally, Quarantine, SourceSystem

_ENCODE = msgspec.json.Encoder(order="sorted").encode
_DECODE = msgspec.json.decode
ENDED = frozenset({7, 8, 9, 10})
FINISHING = frozenset({8, 9, 10})  # the end of processing for 2.1: finished > returned > stopped
POPULATION_DATABASES = frozenset({"CSDLQGDC", "DC", "CSDLDC"})
MAX_BATCH = 10_000

# Column order of the bulk upsert; the tuple built by _row() follows it.
COLUMNS = (
    "code", "source_id", "procedure_code", "procedure_id", "field_code", "agency_code", "agency_id",
    "channel", "status", "status_at", "received_at", "due_at", "original_due_at", "finished_at",
    "returned_at", "supplement_count", "supplement_wait_s", "online_payment", "fee_vnd", "has_e_result",
    "digitised", "reused", "from_personal_store", "vneid", "population_db", "timeliness", "version",
    "content_hash", "raw", "updated_at",
)
TALLY_METRICS = (
    "received", "online", "postal", "finished", "early", "on_time", "late", "not_counted", "online_paid", "fee_bearing",
    "e_result", "digitised", "reused", "personal_store", "population_data",
)


@dataclass(frozen=True)
class Rejection:
    """One record that was not stored: where it was, which dossier, which field, and why."""

    index: int
    location: str
    record: str
    field: str
    message: str

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


def hash_key(key: str) -> str:
    """The SHA-256 of an API key, as stored."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_source(*, name: str, actor: Any = None) -> tuple[SourceSystem, str]:
    """Register a source system; return it with its new API key (shown once, stored only as a hash)."""
    key = "td_" + secrets.token_urlsafe(32)
    source = SourceSystem.objects.create(name=name, key_hash=hash_key(key), key_prefix=key[:10])
    record_change(actor=actor, action="dossiers.source.create", obj=source, data={"key_prefix": source.key_prefix})
    return source, key


def rotate_source_key(*, source: SourceSystem, actor: Any = None) -> str:
    """Give a source system a new API key; the old one stops working at commit."""
    key = "td_" + secrets.token_urlsafe(32)
    source.key_hash = hash_key(key)
    source.key_prefix = key[:10]
    source.save(update_fields=["key_hash", "key_prefix"])
    record_change(actor=actor, action="dossiers.source.rotate_key", obj=source, data={"key_prefix": source.key_prefix})
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


def ingest_documents(
    *,
    records: Sequence[tuple[str, Any]],
    source: SourceSystem | None,
    batch: str,
    now: datetime,
    quarantine: bool = True,
) -> IngestReport:
    """Store a batch of (location, document) pairs; bad ones go to quarantine. The caller commits."""
    report = IngestReport()
    strict = bool(getattr(settings, "THUOCDO", {}).get("DOSSIERS_STRICT_AGENCIES", False))
    agencies, procedures = _lookups()
    best: dict[str, tuple[tuple[int, str], ParsedDossier, bytes]] = {}
    bad: list[tuple[Rejection, Any]] = []
    for index, (location, obj) in enumerate(records):
        try:
            parsed = parse_document(obj, record=location)
            if strict and parsed.agency_code not in agencies:
                raise DossierError(location, "DonViXuLy", f"mã đơn vị «{parsed.agency_code}» không có trong danh mục")
        except DossierError as exc:
            bad.append((Rejection(index, location, record_code(obj), exc.field, exc.message), obj))
            continue
        raw = _ENCODE(obj)
        key = (_version(parsed), hashlib.blake2b(raw, digest_size=16).hexdigest())
        held = best.get(parsed.code)
        if held is None or key > held[0]:
            if held is not None:
                report.stale += 1
            best[parsed.code] = (key, parsed, raw)
        elif key == held[0]:
            report.duplicates += 1
        else:
            report.stale += 1
    report.rejected = [r for r, _ in bad]
    if quarantine and bad:
        _quarantine(bad, source=source, batch=batch, kind=Quarantine.Kind.DOCUMENT)
    if not best:
        return report

    _lock()
    stored = _stored_keys(list(best))
    changed: list[tuple[ParsedDossier, bytes, tuple[int, str]]] = []
    for code, (key, parsed, raw) in best.items():
        old = stored.get(code)
        if old is None or key > old:
            changed.append((parsed, raw, key))
        elif key == old:
            report.duplicates += 1
        else:
            report.stale += 1
    if not changed:
        return report
    report.accepted = len(changed)
    _write(changed, source=source, now=now, agencies=agencies, procedures=procedures, existed=stored, report=report)
    return report


def _version(d: ParsedDossier) -> int:
    return int(format_timestamp(d.version_at))


def _lookups() -> tuple[dict[str, int], dict[str, int]]:
    from thuocdo.catalog.models import Procedure
    from thuocdo.units.models import Agency

    return dict(Agency.objects.values_list("code", "id")), dict(Procedure.objects.values_list("code", "id"))


def _lock() -> None:
    # Writers take turns: SQLite's IMMEDIATE transactions already do; on PostgreSQL a transaction-scoped
    # advisory lock does, so the compare-then-write below and the tally deltas never interleave.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(766008)")


def _chunks(items: Sequence[Any], size: int = 2000) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _stored_keys(codes: Sequence[str]) -> dict[str, tuple[int, str]]:
    out: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(codes):
        for code, version, content_hash in Dossier.objects.filter(code__in=chunk).values_list(
            "code", "version", "content_hash"
        ):
            out[code] = (version, content_hash)
    return out


def _original_due(d: ParsedDossier) -> datetime | None:
    # The first date promised to the citizen: an apology letter records the earlier date as NgayHenTraTruoc.
    dates = [s.previous_due_at for s in d.supplements if s.previous_due_at is not None]
    if d.due_at is not None:
        dates.append(d.due_at)
    return min(dates) if dates else None


def _timeliness(d: ParsedDossier) -> str:
    # Only ended dossiers get a stored verdict; an open dossier is judged at a period's end, when asked.
    if d.status == 3:
        return "not_counted"
    if d.status not in ENDED:
        return "open"
    end = d.finished_at or d.returned_at or d.rejected_at
    if d.due_at is None or end is None:
        return "not_counted"
    if len(d.supplements) > 1:
        return "late"
    wait = sum(
        ((s.completed_at - s.requested_at).total_seconds() for s in d.supplements if s.completed_at is not None), 0.0
    )
    end_ts = end.timestamp() - wait
    if end_ts > d.due_at.timestamp():
        return "late"
    if end.astimezone(d.due_at.tzinfo).date() < d.due_at.date():
        return "early"
    return "on_time"


def _sqlite_dt(value: datetime | None) -> str | None:
    # Django keeps SQLite datetimes as naive UTC text; formatting here avoids a per-value adapter call.
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def _row(
    d: ParsedDossier, raw: bytes, key: tuple[int, str], *, source_id: int | None, now: Any,
    agencies: Mapping[str, int], procedures: Mapping[str, int], dt: Any,
) -> tuple[Any, ...]:
    waits = [s for s in d.supplements if s.completed_at is not None]
    documents = d.documents
    status_at = d.version_at
    return (
        d.code, source_id, d.procedure_code, procedures.get(d.procedure_code), d.field_code, d.agency_code,
        agencies.get(d.agency_code), int(d.channel), int(d.status), dt(status_at), dt(d.received_at), dt(d.due_at),
        dt(_original_due(d)), dt(d.finished_at), dt(d.returned_at), len(d.supplements),
        int(sum((s.completed_at - s.requested_at).total_seconds() for s in waits)),  # type: ignore[operator]
        d.online_payment, int(d.fee_total), d.has_electronic_result,
        d.has_digitised_component or any(t.digitised for t in documents),
        any(t.reused for t in documents), any(t.from_personal_store for t in documents), d.vneid_verified,
        d.vneid_verified or any(c in POPULATION_DATABASES for c in d.databases), _timeliness(d), key[0], key[1],
        raw.decode(), now,
    )


def _contribution(d: ParsedDossier, timeliness: str) -> tuple[tuple[str, str, date], tuple[int, ...]]:
    month = d.received_at.astimezone(VN_TZ).date().replace(day=1)
    documents = d.documents
    ended = d.status in ENDED
    return (d.agency_code, d.procedure_code, month), (
        1,
        int(d.channel == 2),
        int(d.channel == 3),
        int(ended),
        int(timeliness == "early"),
        int(timeliness == "on_time"),
        int(timeliness == "late"),
        int(timeliness == "not_counted"),
        int(d.online_payment in (1, 2)),
        int(d.fee_total > 0),
        int(d.has_electronic_result),
        int(d.has_digitised_component or any(t.digitised for t in documents)),
        int(any(t.reused for t in documents)),
        int(any(t.from_personal_store for t in documents)),
        int(d.vneid_verified or any(c in POPULATION_DATABASES for c in d.databases)),
    )


def _upsert_sql() -> str:
    table = Dossier._meta.db_table
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "code")
    return (
        f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({placeholders}) "
        f"ON CONFLICT (code) DO UPDATE SET {updates} "
        f"WHERE {table}.version < excluded.version "
        f"OR ({table}.version = excluded.version AND {table}.content_hash < excluded.content_hash)"
    )


def _write(
    changed: list[tuple[ParsedDossier, bytes, tuple[int, str]]],
    *,
    source: SourceSystem | None,
    now: datetime,
    agencies: Mapping[str, int],
    procedures: Mapping[str, int],
    existed: Mapping[str, tuple[int, str]],
    report: IngestReport,
) -> None:
    codes = [d.code for d, _, _ in changed]
    # Events may arrive before their dossier: they wait in DossierEvent and apply when it lands.
    events = _events_for(codes) if DossierEvent.objects.exists() else {}
    final = [(_apply_events(d, events.get(d.code, ())), raw, key) for d, raw, key in changed]
    dt = _sqlite_dt if connection.vendor == "sqlite" else _identity
    source_id = source.pk if source is not None else None
    rows = [
        _row(d, raw, key, source_id=source_id, now=dt(now), agencies=agencies, procedures=procedures, dt=dt)
        for d, raw, key in final
    ]
    deltas: dict[tuple[str, str, date], list[int]] = defaultdict(lambda: [0] * len(TALLY_METRICS))
    if existed:
        for tally_key, values in _old_contributions([c for c in codes if c in existed], events):
            _add(deltas, tally_key, values, sign=-1)
    for (d, _, _), row in zip(final, rows, strict=True):
        _add(deltas, *_contribution(d, row[25]))
        if d.agency_code not in agencies:
            report.unknown_agencies.add(d.agency_code)
        if d.procedure_code not in procedures:
            report.unknown_procedures.add(d.procedure_code)
    with connection.cursor() as cursor:
        cursor.executemany(_upsert_sql(), rows)
        ids = _ids(cursor, codes)
        step_table = Dossier.steps.rel.related_model._meta.db_table
        replaced = [ids[c] for c in codes if c in existed]
        for chunk in _chunks(replaced):
            cursor.execute(
                f"DELETE FROM {step_table} WHERE dossier_id IN ({', '.join(['%s'] * len(chunk))})", list(chunk)
            )
        steps = [
            (ids[d.code], seq, s.handler[:150], s.title[:150], s.department[:200], _step_status(s.status),
             dt(s.started_at), dt(s.due_at), dt(s.at))
            for d, _, _ in final
            for seq, s in enumerate(d.steps, start=1)
        ]
        if steps:
            cursor.executemany(
                f"INSERT INTO {step_table} (dossier_id, seq, officer, title, department, status, started_at, due_at, "
                "acted_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                steps,
            )
        _apply_tally(cursor, deltas)


def _identity(value: Any) -> Any:
    return value


def _step_status(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 4 else None


def _ids(cursor: Any, codes: Sequence[str]) -> dict[str, int]:
    table = Dossier._meta.db_table
    out: dict[str, int] = {}
    for chunk in _chunks(codes):
        cursor.execute(f"SELECT code, id FROM {table} WHERE code IN ({', '.join(['%s'] * len(chunk))})", list(chunk))
        out.update(cursor.fetchall())
    return out


def _old_contributions(
    codes: Sequence[str], events: Mapping[str, list[Event]]
) -> list[tuple[tuple[str, str, date], tuple[int, ...]]]:
    # What the stored rows count for now, rebuilt from their documents so tallies never drift.
    out = []
    for chunk in _chunks(codes):
        for code, raw, timeliness in Dossier.objects.filter(code__in=chunk).values_list("code", "raw", "timeliness"):
            parsed = _apply_events(parse_document(_DECODE(raw), record=code), events.get(code, ()))
            out.append(_contribution(parsed, timeliness))
    return out


def _apply_tally(cursor: Any, deltas: Mapping[tuple[str, str, date], list[int]]) -> None:
    rows = [(*k, *v) for k, v in deltas.items() if any(v)]
    if not rows:
        return
    table = DossierTally._meta.db_table
    names = ("agency_code", "procedure_code", "month", *TALLY_METRICS)
    sets = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in TALLY_METRICS)
    cursor.executemany(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) "
        f"ON CONFLICT (agency_code, procedure_code, month) DO UPDATE SET {sets}",
        rows,
    )


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
    finished = [e.at for e in after if e.status in FINISHING]
    returned = [e.at for e in after if e.status == 10]
    return replace(
        d,
        status=Status(latest.status),
        finished_at=min([*finished, d.finished_at] if d.finished_at else finished) if finished else d.finished_at,
        returned_at=min([*returned, d.returned_at] if d.returned_at else returned) if returned else d.returned_at,
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
    *, records: Sequence[tuple[str, Any]], source: SourceSystem | None, batch: str, now: datetime
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
    if bad:
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
        [DossierEvent(dossier_code=e.code, status=e.status, at=e.at, source=source, raw=_ENCODE(obj).decode(),
                      received_at=now) for e, obj in new]
    )
    report.accepted = len(new)
    _reapply_events(sorted({e.code for e, _ in new}), prior=prior, now=now)
    return report


def _reapply_events(codes: Sequence[str], *, prior: Mapping[str, list[Event]], now: datetime) -> None:
    """Move stored dossiers on by their events: `prior` were applied before, the stored ones now include new ones."""
    stored = list(Dossier.objects.filter(code__in=codes).values_list("code", "raw"))
    if not stored:
        return
    events = _events_for([c for c, _ in stored])
    deltas: dict[tuple[str, str, date], list[int]] = defaultdict(lambda: [0] * len(TALLY_METRICS))
    updates = []
    dt = _sqlite_dt if connection.vendor == "sqlite" else _identity
    for code, raw in stored:
        base = parse_document(_DECODE(raw), record=code)
        before = _apply_events(base, prior.get(code, ()))
        _add(deltas, *_contribution(before, _timeliness(before)), sign=-1)
        moved = _apply_events(base, events.get(code, ()))
        verdict = _timeliness(moved)
        _add(deltas, *_contribution(moved, verdict))
        updates.append(
            (int(moved.status), dt(moved.version_at), dt(moved.finished_at), dt(moved.returned_at), verdict, dt(now), code)
        )
    table = Dossier._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET status = %s, status_at = %s, finished_at = %s, returned_at = %s, timeliness = %s, "
            "updated_at = %s WHERE code = %s",
            updates,
        )
        _apply_tally(cursor, deltas)


def _add(
    deltas: dict[tuple[str, str, date], list[int]], key: tuple[str, str, date], values: tuple[int, ...],
    *, sign: int = 1,
) -> None:
    bucket = deltas[key]
    for i, v in enumerate(values):
        bucket[i] += sign * v


# ----------------------------------------------------------------------------------------------
# Quarantine


def _quarantine(bad: Sequence[tuple[Rejection, Any]], *, source: SourceSystem | None, batch: str, kind: str) -> None:
    Quarantine.objects.bulk_create(
        [
            Quarantine(
                source=source,
                kind=kind,
                batch=batch[:120],
                location=r.location[:200],
                record=r.record,
                raw=_raw_text(obj),
                errors=[{"record": r.location, "field": r.field, "message": r.message}],
            )
            for r, obj in bad
        ]
    )


def _raw_text(obj: Any) -> str:
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
        kwargs: dict[str, Any] = {"quarantine": False} if ingest is ingest_documents else {}
        if ingest is ingest_events:
            report = _replay_event(obj, location=location, source=item.source, now=now)
        else:
            report = ingest_documents(
                records=[(location, obj)], source=item.source, batch=f"replay-{item.pk}", now=now, **kwargs
            )
        total.add(report)
        if report.rejected:
            item.errors = [{"record": r.location, "field": r.field, "message": r.message} for r in report.rejected]
            item.save(update_fields=["errors", "updated_at"])
        else:
            item.state = Quarantine.State.REPLAYED
            item.save(update_fields=["state", "updated_at"])
            record_change(actor=actor, action="dossiers.quarantine.replay", obj=item, data={"record": item.record})
    return total


def _replay_event(obj: Any, *, location: str, source: SourceSystem | None, now: datetime) -> IngestReport:
    try:
        parse_event(obj, record=location)
    except DossierError as exc:
        report = IngestReport()
        report.rejected.append(Rejection(0, location, record_code(obj), exc.field, exc.message))
        return report
    return ingest_events(records=[(location, obj)], source=source, batch="replay", now=now)


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
