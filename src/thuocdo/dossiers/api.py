"""The dossier ingestion API for one-stop systems: batches of whole documents, status events, and read-back.

Each source system authenticates with its own key in the X-API-Key header. Request bodies are
decoded with msgspec rather than through pydantic models: a 10,000-document batch would otherwise
spend most of its time being validated twice (the core parser validates every field anyway).
The schemas below describe the bodies for the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

import msgspec
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.operation import PathView
from ninja.security import APIKeyHeader

from thuocdo.dossiers import selectors, services
from thuocdo.dossiers.models import SourceSystem


class SourceKey(APIKeyHeader):
    """Per-source API key (created with `thuocdo dossiers sources add NAME`)."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> SourceSystem | None:
        return selectors.source_for_key(key=key or "")


router = Router(tags=["dossiers"], auth=SourceKey())


def _honour_non_atomic_requests() -> None:
    """Let `transaction.non_atomic_requests` on a ninja operation reach Django (django-ninja issue #1767).

    Django reads the marker from the URL callback, which ninja builds afresh in PathView.get_view; the
    patch copies it when every operation of the path carries it (as ninja PR #1768 does). Idempotent.
    """
    if getattr(PathView.get_view, "_forwards_non_atomic", False):
        return
    original = PathView.get_view

    def get_view(self: PathView) -> Any:
        view = original(self)
        marks = [getattr(op.view_func, "_non_atomic_requests", None) for op in self.operations]
        if marks and all(marks):
            view._non_atomic_requests = set.intersection(*(set(m or ()) for m in marks))  # type: ignore[attr-defined]
        return view

    get_view._forwards_non_atomic = True  # type: ignore[attr-defined]
    PathView.get_view = get_view  # type: ignore[method-assign]


_honour_non_atomic_requests()


class BatchIn(Schema):
    documents: list[dict[str, Any]] = Field(
        ..., description="Up to 10,000 HoSoDongBoDVC documents (dates as yyyyMMddHHmmss, Vietnam time)."
    )


class EventsIn(Schema):
    events: list[dict[str, Any]] = Field(
        ..., description="Up to 10,000 status events: {MaHoSo, TrangThai (1–10), ThoiDiem (yyyyMMddHHmmss)}."
    )


class RejectedOut(Schema):
    index: int = Field(..., description="Position of the record in the request (from 0).")
    MaHoSo: str
    field: str
    message: str


class BatchOut(Schema):
    accepted: int = Field(..., description="Records stored (new, or newer than the stored version).")
    duplicates: int = Field(..., description="Records identical to what is stored: nothing changed.")
    stale: int = Field(..., description="Records older than the stored version: ignored.")
    rejected: list[RejectedOut] = Field(
        ..., description="Invalid records, kept in quarantine for an operator."
    )
    unknown_agencies: list[str] = Field(
        default_factory=list, description="DonViXuLy codes not in the agency list."
    )


class ErrorOut(Schema):
    detail: str


class StepOut(Schema):
    seq: int
    officer: str
    department: str
    started_at: Any
    due_at: Any
    acted_at: Any


class DossierOut(Schema):
    MaHoSo: str
    MaTTHC: str
    DonViXuLy: str
    KenhThucHien: int
    TrangThaiHoSo: int
    received_at: Any
    due_at: Any
    original_due_at: Any
    finished_at: Any
    returned_at: Any
    timeliness: str
    version: int
    steps: list[StepOut]
    document: dict[str, Any]


def _body(request: HttpRequest, key: str) -> list[Any] | Status[Any]:
    try:
        payload = msgspec.json.decode(request.body)
    except msgspec.DecodeError as exc:
        return Status(400, {"detail": f"Nội dung không phải JSON hợp lệ: {exc}"})
    items = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(items, list):
        return Status(400, {"detail": f"Cần một đối tượng JSON có trường «{key}» là danh sách."})
    if len(items) > services.MAX_BATCH:
        return Status(
            413,
            {
                "detail": f"Lô có {len(items):,} bản ghi, vượt giới hạn {services.MAX_BATCH:,} bản ghi mỗi yêu cầu; "
                "hãy chia thành nhiều lô nhỏ hơn."
            },
        )
    return items


def _out(report: services.IngestReport) -> dict[str, Any]:
    return {
        "accepted": report.accepted,
        "duplicates": report.duplicates,
        "stale": report.stale,
        "rejected": [r.as_dict() for r in report.rejected],
        "unknown_agencies": sorted(report.unknown_agencies),
    }


def _schema(model: type[Schema]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


@router.post(
    "/batch",
    response={200: BatchOut, 400: ErrorOut, 413: ErrorOut},
    openapi_extra=_schema(BatchIn),
    summary="Add or update whole dossier documents",
)
@transaction.non_atomic_requests
def post_batch(request: HttpRequest) -> Any:
    """Store up to 10,000 documents; the answer comes only after they are committed.

    Sending a document again changes nothing; an older version arriving after a newer one is ignored.
    """
    items = _body(request, "documents")
    if isinstance(items, Status):
        return items
    source: SourceSystem = request.auth  # type: ignore[attr-defined]
    now = timezone.now()
    records = [(f"documents[{i}]", obj) for i, obj in enumerate(items)]
    lookups = services.load_lookups()
    # Validation touches no table, so it runs before the transaction: on SQLite the write lock is then
    # held only while the batch is written, and two workers validate at the same time.
    prepared = services.prepare_documents(
        records,
        lookups=lookups,
        vendor=connection.vendor,
        source_id=source.pk,
        now=now,
    )
    with transaction.atomic():
        report = services.store_prepared(
            prepared,
            source=source,
            batch=f"api:{source.name}:{now:%Y%m%dT%H%M%S.%f}",
            now=now,
            lookups=lookups,
        )
    return _out(report)


@router.post(
    "/events",
    response={200: BatchOut, 400: ErrorOut, 413: ErrorOut},
    openapi_extra=_schema(EventsIn),
    summary="Record status changes of dossiers",
)
def post_events(request: HttpRequest) -> Any:
    """Store status events once each; they apply in time order whatever order they arrive in."""
    items = _body(request, "events")
    if isinstance(items, Status):
        return items
    source: SourceSystem = request.auth  # type: ignore[attr-defined]
    now = timezone.now()
    records = [(f"events[{i}]", obj) for i, obj in enumerate(items)]
    report = services.ingest_events(
        records=records, source=source, batch=f"api-events:{source.name}:{now:%Y%m%dT%H%M%S.%f}", now=now
    )
    return _out(report)


@router.get("/{code}", response={200: DossierOut, 404: ErrorOut}, summary="Read back one dossier as stored")
def get_dossier(request: HttpRequest, code: str) -> Any:
    """One dossier sent by this source system, with its steps and the stored document."""
    source: SourceSystem = request.auth  # type: ignore[attr-defined]
    dossier = selectors.dossier_for_source(code=code, source=source)
    if dossier is None:
        return Status(404, {"detail": f"Không có hồ sơ «{code}» do hệ thống {source.name} gửi."})
    return {
        "MaHoSo": dossier.code,
        "MaTTHC": dossier.procedure_code,
        "DonViXuLy": dossier.agency_code,
        "KenhThucHien": dossier.channel,
        "TrangThaiHoSo": dossier.status,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "original_due_at": dossier.original_due_at,
        "finished_at": dossier.finished_at,
        "returned_at": dossier.returned_at,
        "timeliness": dossier.timeliness,
        "version": dossier.version,
        "steps": [
            {
                "seq": s.seq,
                "officer": s.officer,
                "department": s.department,
                "started_at": s.started_at,
                "due_at": s.due_at,
                "acted_at": s.acted_at,
            }
            for s in selectors.steps_of(dossier=dossier)
        ],
        "document": msgspec.json.decode(dossier.raw),
    }
