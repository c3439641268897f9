"""Demo step: the 766 index for the demo province — a year of dossiers through the real ingest path.

About 200,000 × scale dossiers (≈40 % online, supplements, ≈5–10 % late, officials in every
processing step) are generated with dossiers/synthetic.py for the agencies and procedures the
catalogue demo assigned, ingested in batches by dossiers.services.ingest_documents, and folded
into the index by indices.services.sync_facts after each batch, as a live feed would be. Also: the
default rule set in the database and a few entered 1.4 reported counts.
"""

from __future__ import annotations

import json
import time as clock
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from thuocdo.catalog.models import Procedure
from thuocdo.core.dossier import VN_TZ, format_timestamp, parse_timestamp
from thuocdo.dossiers import selectors as dossier_selectors
from thuocdo.dossiers import services as dossier_services
from thuocdo.dossiers.synthetic import make_document
from thuocdo.indices import selectors, services
from thuocdo.indices.models import RuleSet

PER_YEAR = 200_000
BATCH = 10_000
FIRST_SEQ = 5_000_000  # clear of the dossiers demo's sequence numbers, so no MaHoSo is shared


def _tune(doc: dict[str, Any], rng: Any, settled_before: datetime) -> dict[str, Any]:
    """Shift the generic generator towards a province's observed mix: 40 % online, 5–10 % late, old dossiers closed."""
    doc["KenhThucHien"] = 2 if rng.random() < 0.4 else (3 if rng.random() < 0.05 else 1)
    received = parse_timestamp(doc["NgayTiepNhan"])
    if doc["TrangThaiHoSo"] in (2, 4, 5, 6) and received < settled_before and rng.random() < 0.97:
        # A dossier received months ago is almost always finished by now.
        limit = parse_timestamp(doc["NgayHenTra"])
        end = received + (limit - received) * rng.uniform(0.2, 1.1)
        doc["TrangThaiHoSo"] = 10
        doc["NgayKetThucXuLy"] = format_timestamp(end)
        doc["NgayTra"] = format_timestamp(end + timedelta(hours=rng.randrange(1, 6)))
        for s in doc["DanhSachHoSoBoSung"]:
            if not s.get("NgayTiepNhanBoSung"):
                s["NgayTiepNhanBoSung"] = format_timestamp(
                    parse_timestamp(s["NgayBoSung"]) + timedelta(hours=30)
                )
                s["TrangThaiBoSung"] = "1"
        doc["DanhSachGiayToKetQua"] = [
            {
                "TenGiayTo": "Kết quả",
                "MaGiayToKetQua": f"KQ{doc['MaHoSo']}",
                "DuongDanTepTinKetQua": "/kq/demo.pdf",
            }
        ]
    finished = doc.get("NgayKetThucXuLy")
    due = doc.get("NgayHenTra")
    if finished and due and finished > due and rng.random() < 0.55:
        # Most dossiers that would run over are closed within the promise in practice.
        limit = parse_timestamp(due)
        end = received + (limit - received) * rng.uniform(0.3, 0.95)
        doc["NgayKetThucXuLy"] = format_timestamp(end)
        if doc.get("NgayTra"):
            doc["NgayTra"] = format_timestamp(min(limit, end + timedelta(hours=rng.randrange(1, 8))))
        doc["DanhSachHoSoBoSung"] = [s for s in doc["DanhSachHoSoBoSung"] if not s.get("NgayHenTraTruoc")]
    if doc["KenhThucHien"] != 2:
        doc["TaiKhoanDuocXacThucVoiVNeID"] = 0
    return doc


def _ruleset(ctx: Any) -> None:
    if RuleSet.objects.exists():
        return
    for path in sorted(selectors.SHIPPED.glob("*.json")):
        services.save_ruleset(document=json.loads(path.read_text(encoding="utf-8")), actor=None)
    ctx.say("  bộ quy tắc 766 mặc định đã nạp vào cơ sở dữ liệu")


def _reported_counts(ctx: Any, agencies: list[str], last_month: date) -> None:
    from thuocdo.indices.models import CellMonth
    from thuocdo.units.models import Agency

    month = last_month.replace(day=1)
    picked = Agency.objects.filter(code__in=agencies[:6]).order_by("code")
    for agency in picked:
        synced = sum(
            CellMonth.objects.filter(agency_code=agency.code, month=month).values_list("r_n", flat=True)
        )
        # Reported figures run a little above what was synced: some dossiers never reach the portal.
        reported = int(synced * ctx.rng.uniform(1.0, 1.08))
        services.set_reported_figure(
            agency=agency,
            indicator="1.4",
            month=month,
            numerator=reported,
            note="Số liệu mẫu (demo)",
            actor=None,
        )
    ctx.say(f"  {picked.count()} số liệu 1.4 nhập tay cho tháng {month:%m/%Y}")


def build(ctx: Any) -> None:
    """Load the rule set, a year of dossiers through ingestion, and a few entered figures."""
    _ruleset(ctx)
    pairs = Procedure.agencies.through.objects.values_list("agency__code", "procedure__code")
    assignments: dict[str, list[str]] = defaultdict(list)
    for agency, procedure in pairs:
        assignments[agency].append(procedure)
    if not assignments:
        ctx.say("  (bỏ qua chỉ số 766: chưa có thủ tục gán cho cơ quan)")
        return
    source = dossier_selectors.source_named(name="motcua-demo")
    if source is None:
        source, _key = dossier_services.create_source(name="motcua-demo", actor="demo")
    start = datetime.combine(ctx.today - timedelta(days=380), time(0), tzinfo=VN_TZ)
    agencies = sorted(assignments)
    count = max(1, int(PER_YEAR * ctx.scale))
    lookups = dossier_services.load_lookups()
    began = clock.monotonic()
    settled_before = datetime.combine(ctx.today - timedelta(days=45), time(0), tzinfo=VN_TZ)
    accepted = 0
    batch: list[tuple[str, Any]] = []
    services.sync_facts(full=True, now=timezone.now())  # fold in what earlier steps loaded
    for i in range(count):
        seq = FIRST_SEQ + i
        doc = make_document(
            ctx.rng, seq=seq, start=start, days=365, agencies=agencies, assignments=assignments
        )
        batch.append((f"demo-766 {seq}", _tune(doc, ctx.rng, settled_before)))
        if len(batch) == BATCH or i == count - 1:
            report = dossier_services.ingest_documents(
                records=batch, source=source, batch="demo-766", now=timezone.now(), lookups=lookups
            )
            accepted += report.accepted
            codes = [d["MaHoSo"] for _loc, d in batch]
            services.sync_facts(codes=codes, now=timezone.now())
            batch = []
    ctx.say(
        f"  {accepted:,} hồ sơ qua dịch vụ tiếp nhận và chỉ số 766 trong {clock.monotonic() - began:.0f} giây"
    )
    last_month = (ctx.today.replace(day=1) - timedelta(days=1)).replace(day=1)
    _reported_counts(ctx, agencies, last_month)
