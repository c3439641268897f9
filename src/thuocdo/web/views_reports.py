"""Officials request reports (the monthly 766 report, the annual satisfaction report) and download them.

The report is made in the background (web/jobs.py); the job page polls its progress with htmx. Officials
may only request units inside their scope, and only see their own requests: anything else is 404.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from thuocdo.indices.selectors import Scope, allowed
from thuocdo.publication import report766, reports
from thuocdo.web import jobs
from thuocdo.web.models import ReportJob

FORMAT_LABELS = {"pdf": "PDF", "xlsx": "XLSX (số liệu)", "docx": "DOCX (Word, chỉnh sửa được)"}
RECENT = 10


@dataclass(frozen=True)
class UnitChoice:
    key: str
    label: str


def _unit_choices(user: Any) -> dict[str, list[UnitChoice]]:
    """Provinces, agencies and communes the user may request, grouped for the form's <optgroup>s."""
    from thuocdo.accounts.selectors import VIEW_NONPUBLIC, visible_agencies
    from thuocdo.units.models import AdminUnit, Agency

    everything = getattr(user, "is_superuser", False)
    visible = (
        set() if everything else set(visible_agencies(user, VIEW_NONPUBLIC).values_list("id", flat=True))
    )
    agencies = list(
        Agency.objects.values(
            "id", "code", "name", "path", "kind", "valid_to", "admin_unit__path", "admin_unit_id"
        )
    )

    def may(ids: list[int]) -> bool:
        # The same rule as indices.selectors.allowed, over ids gathered here in one pass.
        return bool(ids) and (everything or set(ids) <= visible)

    out: dict[str, list[UnitChoice]] = {"province": [], "agency": [], "commune": []}
    provinces = AdminUnit.objects.filter(structure="2025", level="province").order_by("code")
    for province in provinces:
        under = [a for a in agencies if (a["admin_unit__path"] or "").startswith(province.path)]
        if not under:
            continue
        if may([a["id"] for a in under]):
            out["province"].append(UnitChoice(f"province:{province.code}", province.name))
        for a in under:
            if (
                a["admin_unit_id"] != province.pk
                or a["valid_to"] is not None
                or a["kind"] == "province_committee"
            ):
                continue
            if may([b["id"] for b in agencies if b["path"].startswith(a["path"])]):
                out["agency"].append(UnitChoice(f"agency:{a['code']}", a["name"]))
        for commune in AdminUnit.objects.filter(parent=province, structure="2025").order_by("name"):
            if may([a["id"] for a in under if (a["admin_unit__path"] or "").startswith(commune.path)]):
                out["commune"].append(UnitChoice(f"commune:{commune.code}", commune.name))
    out["agency"].sort(key=lambda c: c.label)
    return out


def _last_month(today: date) -> str:
    first = today.replace(day=1)
    return f"{first.year - 1}-12" if first.month == 1 else f"{first.year}-{first.month - 1:02d}"


def _form_errors(post: Any, kind: str) -> tuple[dict[str, str], str, str, str]:
    errors: dict[str, str] = {}
    unit = post.get("unit", "").strip()[:80]
    fmt = post.get("fmt", "")
    if fmt not in reports.FORMATS:
        errors["fmt"] = _("Chọn định dạng PDF, XLSX hoặc DOCX.")
    if kind == ReportJob.Kind.INDEX766:
        period = post.get("month", "").strip()
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
            errors["month"] = _("Nhập tháng theo dạng YYYY-MM, ví dụ 2025-10.")
    else:
        period = post.get("year", "").strip()
        if not re.fullmatch(r"(19|20)\d{2}", period):
            errors["year"] = _("Nhập năm gồm 4 chữ số, ví dụ 2025.")
        if not unit.startswith(("province:", "commune:")):
            errors["unit"] = _("Báo cáo hài lòng lập cho tỉnh hoặc xã, phường.")
    if not unit:
        errors["unit"] = _("Chọn đơn vị.")
    return errors, unit, period, fmt


def _in_scope(user: Any, unit: str) -> Scope:
    """The scope of a unit key if the user may request it; 404 otherwise (out of scope is not found)."""
    try:
        target = report766.resolve_target(unit)
    except reports.ReportError as exc:
        raise Http404(str(exc)) from None
    if not allowed(user, target.scope):
        raise Http404(_("Không có đơn vị này."))
    return target.scope


@login_required
@require_http_methods(["GET", "POST"])
def report_index(request: HttpRequest) -> HttpResponse:
    """The request form and the official's recent reports."""
    now = timezone.now()
    jobs.tidy(now=now)
    errors: dict[str, str] = {}
    kind = request.POST.get("kind", "") if request.method == "POST" else ""
    if request.method == "POST":
        if kind not in ReportJob.Kind.values:
            raise Http404(_("Không có loại báo cáo này."))
        errors, unit, period, fmt = _form_errors(request.POST, kind)
        if not errors:
            scope = _in_scope(request.user, unit)
            job = jobs.request_report(
                user=request.user,
                kind=kind,
                unit=unit,
                unit_label=scope.label,
                period=period,
                fmt=fmt,
                now=now,
            )
            return redirect("web:report_job", job_id=job.pk)
    choices = _unit_choices(request.user)
    today = timezone.localdate()
    response = render(
        request,
        "web/reports/index.html",
        {
            "choices": choices,
            "has_choices": any(choices.values()),
            "formats": FORMAT_LABELS,
            "errors": errors,
            "is766": kind == ReportJob.Kind.INDEX766,
            "is_sat": kind == ReportJob.Kind.SATISFACTION,
            "crumbs": [(_("Báo cáo"), "")],
            "posted": request.POST if request.method == "POST" else {},
            "default_month": _last_month(today),
            "max_month": f"{today:%Y-%m}",
            "default_year": str(today.year - 1 if today.month < 12 else today.year),
            "jobs": ReportJob.objects.filter(requested_by_id=request.user.pk)[:RECENT],
        },
        status=400 if errors else 200,
    )
    return response


def _own_job(request: HttpRequest, job_id: Any) -> ReportJob:
    job = ReportJob.objects.filter(pk=job_id, requested_by_id=request.user.pk).first()
    if job is None:
        raise Http404(_("Không có báo cáo này."))
    return job


@login_required
@require_GET
def report_job(request: HttpRequest, job_id: Any) -> HttpResponse:
    """One requested report: progress while it is made, then the download link or the error."""
    jobs.tidy(now=timezone.now())
    job = _own_job(request, job_id)
    crumbs = [(_("Báo cáo"), reverse("web:reports")), (job.unit_label, "")]
    return render(request, "web/reports/job.html", {"job": job, "crumbs": crumbs})


@login_required
@require_GET
def report_status(request: HttpRequest, job_id: Any) -> HttpResponse:
    """The progress fragment htmx polls; it stops polling once the job has finished."""
    return render(request, "web/reports/_job.html", {"job": _own_job(request, job_id)})


@login_required
@require_GET
def report_download(request: HttpRequest, job_id: Any) -> FileResponse:
    """The finished report file."""
    job = _own_job(request, job_id)
    path = jobs.file_path(job)
    if job.state != ReportJob.State.DONE or not path.exists():
        raise Http404(_("Báo cáo chưa sẵn sàng hoặc đã bị xóa sau %(days)s ngày.") % {"days": jobs.KEEP_DAYS})
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=job.file_name, content_type=reports.FORMATS[job.fmt]
    )
