"""Demo step: the 766 index for the demo province — a year of dossiers through the real ingest path.

About 200,000 × scale dossiers (≈40 % online, supplements, ≈5–10 % late, officials in every
processing step) received on every day up to "today" are generated with dossiers/synthetic.py for
the agencies and procedures the catalogue demo assigned, ingested in batches by
dossiers.services.ingest_documents, and folded
into the index by indices.services.sync_facts after each batch, as a live feed would be. Also: the
default rule set in the database and a few entered 1.4 reported counts.

Dossiers of the last 45 days are handled as a live register would show them at "now": each is
settled at one moment (before its promised date, or after it for LATE_SHARE of them) and is open
only if that moment is still ahead, so the current month's figures do not sag as the demo ages.
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
DAYS = 366  # receipts on every day of the year up to and including "today"
LATE_SHARE = 0.07  # recent dossiers settled (or still open) after their promised date
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


def _horizon(today: date) -> datetime:
    """The demo's "now": the real clock when building for today, else the end of office hours of that day."""
    now = timezone.now().astimezone(VN_TZ)
    return now if now.date() == today else datetime.combine(today, time(17), tzinfo=VN_TZ)


def _recent(doc: dict[str, Any], rng: Any, horizon: datetime) -> dict[str, Any]:
    """A dossier of the last weeks as an office handles it: mostly settled before its promise, open only if not done yet.

    Each dossier gets one settle moment — before the promised date, or after it for LATE_SHARE of them —
    and is returned if that moment has passed by `horizon`, else still open. Open dossiers are then the
    ones not yet due plus the few running late, as in a live register; nothing happens after `horizon`.
    """
    received = _not_after(doc, horizon)
    if doc["TrangThaiHoSo"] in (3, 7, 8):  # rejected, withdrawn, stopped: ended early, as generated
        return _ended_by(doc, received, horizon)
    due = parse_timestamp(doc["NgayHenTra"])
    if rng.random() < LATE_SHARE:
        end = due + timedelta(hours=rng.randrange(2, 24 * 6))
    else:
        end = received + (due - received) * rng.uniform(0.2, 0.97)
    # The apology extensions were drawn for the generator's own end; supplements keep only what happened.
    supplements = [
        s
        for s in doc["DanhSachHoSoBoSung"]
        if not s.get("NgayHenTraTruoc") and parse_timestamp(s["NgayBoSung"]) < min(end, horizon)
    ]
    settled = end <= horizon
    for s in supplements:
        answered = s.get("NgayTiepNhanBoSung")
        if settled and (not answered or parse_timestamp(answered) > end):
            s["NgayTiepNhanBoSung"] = format_timestamp(
                min(end, parse_timestamp(s["NgayBoSung"]) + timedelta(hours=30))
            )
            s["TrangThaiBoSung"] = "1"
        elif answered and parse_timestamp(answered) > horizon:
            s["NgayTiepNhanBoSung"] = None
            s["TrangThaiBoSung"] = "0"
    doc["DanhSachHoSoBoSung"] = supplements
    if settled:
        returned = end + timedelta(hours=rng.randrange(1, 8))
        doc["NgayKetThucXuLy"] = format_timestamp(end)
        doc["NgayTra"] = format_timestamp(returned) if returned <= horizon else None
        doc["TrangThaiHoSo"] = 10 if returned <= horizon else 9
        doc["DanhSachGiayToKetQua"] = [
            {
                "TenGiayTo": "Kết quả",
                "MaGiayToKetQua": f"KQ{doc['MaHoSo']}",
                "DuongDanTepTinKetQua": "/kq/demo.pdf",
            }
        ]
    else:
        pending = any(not s.get("NgayTiepNhanBoSung") for s in supplements)
        doc["TrangThaiHoSo"] = (
            5 if pending else (doc["TrangThaiHoSo"] if doc["TrangThaiHoSo"] in (2, 4, 6) else 4)
        )
        doc["NgayKetThucXuLy"] = None
        doc["NgayTra"] = None
        doc["DanhSachGiayToKetQua"] = []
    return _steps_within(doc, received, end if settled else horizon, settled=settled)


def _not_after(doc: dict[str, Any], horizon: datetime) -> datetime:
    # The generator picks office hours of any day up to today; a receipt later than "now" moves back a day.
    received = parse_timestamp(doc["NgayTiepNhan"])
    shift = timedelta(0)
    while received - shift > horizon:
        shift += timedelta(days=1)
    if shift:
        for name in ("NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi"):
            if doc.get(name):
                doc[name] = format_timestamp(parse_timestamp(doc[name]) - shift)
        for s in doc["DanhSachHoSoBoSung"]:
            for name in ("NgayBoSung", "NgayTiepNhanBoSung", "NgayHenTraTruoc", "NgayHenTraMoi"):
                if s.get(name):
                    s[name] = format_timestamp(parse_timestamp(s[name]) - shift)
    return received - shift


def _ended_by(doc: dict[str, Any], received: datetime, horizon: datetime) -> dict[str, Any]:
    # A rejection, withdrawal or stop drawn for later than "now" happened halfway there instead.
    for name in ("NgayKetThucXuLy", "NgayTra", "NgayTuChoi"):
        if doc.get(name) and parse_timestamp(doc[name]) > horizon:
            doc[name] = format_timestamp(received + (horizon - received) / 2)
    doc["DanhSachHoSoBoSung"] = [
        s
        for s in doc["DanhSachHoSoBoSung"]
        if not s.get("NgayHenTraTruoc") and parse_timestamp(s["NgayBoSung"]) < horizon
    ]
    for s in doc["DanhSachHoSoBoSung"]:
        if s.get("NgayTiepNhanBoSung") and parse_timestamp(s["NgayTiepNhanBoSung"]) > horizon:
            s["NgayTiepNhanBoSung"], s["TrangThaiBoSung"] = None, "0"
    stop = parse_timestamp(doc.get("NgayKetThucXuLy") or doc.get("NgayTuChoi") or doc["NgayTiepNhan"])
    return _steps_within(doc, received, max(received, min(stop, horizon)), settled=True)


def _steps_within(
    doc: dict[str, Any], received: datetime, stop: datetime, *, settled: bool
) -> dict[str, Any]:
    # Processing steps spread over what has happened: up to the settle moment, or up to now if still open.
    steps = doc["QuaTrinhXuLy"]
    if not settled and len(steps) > 1:
        steps = steps[:-1]  # the closing step has not happened yet
    span = max(stop - received, timedelta(minutes=len(steps))) / len(steps)
    for i, step in enumerate(steps):
        begin = received + span * i
        step["NgayBatDau"] = format_timestamp(begin)
        step["ThoiDiemXuLy"] = format_timestamp(begin + span)
    doc["QuaTrinhXuLy"] = steps
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
    start = datetime.combine(ctx.today - timedelta(days=DAYS - 1), time(0), tzinfo=VN_TZ)
    agencies = sorted(assignments)
    count = max(1, int(PER_YEAR * ctx.scale))
    lookups = dossier_services.load_lookups()
    began = clock.monotonic()
    settled_before = datetime.combine(ctx.today - timedelta(days=45), time(0), tzinfo=VN_TZ)
    horizon = _horizon(ctx.today)
    accepted = 0
    batch: list[tuple[str, Any]] = []
    services.sync_facts(full=True, now=timezone.now())  # fold in what earlier steps loaded
    for i in range(count):
        seq = FIRST_SEQ + i
        doc = make_document(
            ctx.rng, seq=seq, start=start, days=DAYS, agencies=agencies, assignments=assignments
        )
        doc = _tune(doc, ctx.rng, settled_before)
        if parse_timestamp(doc["NgayTiepNhan"]) >= settled_before:
            doc = _recent(doc, ctx.rng, horizon)
        batch.append((f"demo-766 {seq}", doc))
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
