"""Citizen pages (invitation form, open link, counter kiosk, per-dossier rating) and staff pages.

Citizen pages work without JavaScript on a cheap phone: one long page of native radio buttons in
fieldsets, grouped by factor and numbered "Phần i/n". Staff pages show aggregates only (n ≥ k).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from thuocdo.accounts.selectors import ENTER_DATA, MANAGE_CONFIG, can, scope_for
from thuocdo.core.instruments import Criterion, Instrument
from thuocdo.core.text import without_emoji
from thuocdo.shared.clock import local_today as today
from thuocdo.shared.tabular import ImportFailed, read_table
from thuocdo.surveys import selectors, services
from thuocdo.surveys.answers import FLAG_LABELS, item_codes
from thuocdo.surveys.forms import (
    FlagPolicyForm,
    FrameUploadForm,
    MarginsForm,
    PaperHeaderForm,
    XLSFormUploadForm,
)
from thuocdo.surveys.models import Campaign, Channel, DossierRating, InstrumentVersion, Kiosk, PaperSheet
from thuocdo.surveys.xlsform import XLSFormError, instrument_workbook, workbook_bytes

STARTED_SALT = "thuocdo.surveys.started"


# Building the citizen form ------------------------------------------------------------------------------


def _sections(instrument: Instrument, values: dict[str, str], errors: dict[str, str]) -> list[dict[str, Any]]:
    def item(
        code: str,
        text: str,
        options: list[tuple[int, str]],
        kind: str,
        note: str = "",
        required: bool = False,
    ) -> dict[str, Any]:
        return {"code": code, "text": text, "options": options, "kind": kind, "note": note, "required": required,
                "value": values.get(code, ""), "error": errors.get(code, "")}  # fmt: skip

    general, demographic = [], []
    for q in instrument.questions:
        target = demographic if q.role == "demographic" else general
        note = ""
        if q.asked_if is not None:
            note = _("Chỉ trả lời nếu ở câu %(q)s Ông/Bà chọn phương án tương ứng.") % {
                "q": q.asked_if.question
            }
        target.append(
            item(q.code, q.text.vi, [(o.value, o.label.vi) for o in q.options], q.kind, note, q.required)
        )
    sections = []
    if general:
        sections.append({"title": _("Thông tin chung"), "items": general})
    for factor in instrument.factors:
        items = []
        for c in factor.criteria:
            note = ""
            if c.asked_if is not None:
                note = _("Chỉ trả lời nếu ở câu %(q)s Ông/Bà đã chọn «Có».") % {"q": c.asked_if.question}
            items.append(
                item(c.code, c.text.vi, [(p.value, p.label.vi) for p in c.scale.points], "scale", note)
            )
        sections.append({"title": factor.title.vi, "items": items})
    if demographic:
        sections.append({"title": _("Thông tin về Ông/Bà (không bắt buộc)"), "items": demographic})
    for i, s in enumerate(sections, start=1):
        s["number"], s["total"] = i, len(sections)
    return sections


def _raw(request: HttpRequest, instrument: Instrument) -> dict[str, str]:
    post = request.POST
    return {code: value for code in item_codes(instrument) if (value := post.get(code, ""))}


def _seconds(request: HttpRequest) -> float | None:
    try:
        started = signing.loads(request.POST.get("started", ""), salt=STARTED_SALT, max_age=6 * 3600)
    except signing.BadSignature:
        return None
    return max(0.0, timezone.now().timestamp() - float(started))


def _render_form(request: HttpRequest, campaign: selectors.CampaignSnapshot, *, values: dict[str, str],
                 errors: dict[str, str], strata: Sequence[tuple[str, str]] | None = None, status: int = 200,
                 ref: str = "") -> HttpResponse:  # fmt: skip
    instrument = campaign.instrument
    return render(
        request,
        "surveys/form.html",
        {
            "campaign": campaign,
            "instrument": instrument,
            "sections": _sections(instrument, values, errors),
            "errors": errors,
            "general_error": errors.get("__all__", "") or errors.get("stratum", ""),
            "started": signing.dumps(timezone.now().timestamp(), salt=STARTED_SALT),
            "strata": strata,
            "stratum": values.get("stratum", ""),
            "ref": ref,
        },
        status=status,
    )


def _thanks(
    request: HttpRequest, *, already: bool = False, closed: bool = False, status: int = 200
) -> HttpResponse:
    return render(request, "surveys/thanks.html", {"already": already, "closed": closed}, status=status)


# Citizen pages ------------------------------------------------------------------------------------------
# The two submission endpoints write without reading when the worker holds the campaign (the write confirms
# it, see selectors.Held); otherwise they read once before writing: the invitation (or campaign) with its
# campaign's live status and stamp. The instrument and strata come from the worker's snapshot.


@dataclass(frozen=True)
class InvitationOutcome:
    """What an invitation request came to: "missing", "closed", "used", "invalid", "stored" or "form"."""

    kind: str
    campaign: selectors.CampaignSnapshot | None = None
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    ref: str = ""  # "campaign.stratum" of the invitation, posted back by its form (see _store_held)


def _store_held(request: HttpRequest, token: str) -> InvitationOutcome | None:
    """Store the answers without reading the invitation when the form names a campaign this worker holds
    (selectors.Held): "stored", or None when that did not store them (the read then tells why)."""
    campaign_id, _, stratum_id = request.POST.get("ref", "").partition(".")
    if not (campaign_id.isdigit() and stratum_id.isdigit()):
        return None
    held = selectors.held_campaign(int(campaign_id))
    if held is None:
        return None
    try:
        services.submit_response(
            campaign=held.snapshot, channel=Channel.WEB, raw=_raw(request, held.snapshot.instrument),
            today=today(), token=token, held=held, stratum_id=int(stratum_id), seconds=_seconds(request),
        )  # fmt: skip
    except services.SurveyError:
        return None
    return InvitationOutcome("stored", held.snapshot)


def take_invitation(request: HttpRequest, token: str) -> InvitationOutcome:
    """Read the invitation and, on POST, store its answers; shared by the page and the submission lane."""
    if request.method == "POST" and (outcome := _store_held(request, token)) is not None:
        return outcome
    invitation = selectors.invitation_state(token)
    if invitation is None:
        return InvitationOutcome("missing")
    if not invitation.campaign_open:
        return InvitationOutcome("closed")
    if invitation.used:
        return InvitationOutcome("used")
    campaign = selectors.campaign_snapshot(invitation.campaign_id, invitation.stamp)
    ref = f"{invitation.campaign_id}.{invitation.stratum_id}"
    if request.method != "POST":
        return InvitationOutcome("form", campaign, ref=ref)
    raw = _raw(request, campaign.instrument)
    try:
        services.submit_response(
            campaign=campaign, channel=Channel.WEB, raw=raw, today=today(),
            invitation=invitation, seconds=_seconds(request),
        )  # fmt: skip
    except services.InvalidAnswers as exc:
        return InvitationOutcome("invalid", campaign, raw, exc.errors, ref=ref)
    except services.Duplicate:
        return InvitationOutcome("used")
    return InvitationOutcome("stored", campaign)


def invitation_form(request: HttpRequest, token: str) -> HttpResponse:
    """The one-time invitation form: /khao-sat/<token>/."""
    outcome = take_invitation(request, token)
    if outcome.kind == "missing":
        raise Http404(_("Mã mời không đúng."))
    if outcome.kind in ("closed", "used"):
        return _thanks(request, closed=outcome.kind == "closed", already=outcome.kind == "used")
    if outcome.kind == "stored":
        return redirect("surveys:thanks")
    assert outcome.campaign is not None
    status = 422 if outcome.kind == "invalid" else 200
    return _render_form(
        request,
        outcome.campaign,
        values=outcome.values,
        errors=outcome.errors,
        status=status,
        ref=outcome.ref,
    )


def open_form(request: HttpRequest, slug: str) -> HttpResponse:
    """The open link of a campaign (no invitation): /khao-sat/mo/<slug>/, rate-limited per address."""
    state = selectors.campaign_state(slug)
    if state is None or not state[0].open_link:
        raise Http404(_("Không có đợt khảo sát này."))
    campaign, is_open = state
    if not is_open:
        return _thanks(request, closed=True)
    strata = campaign.strata
    if request.method == "POST":
        raw = _raw(request, campaign.instrument)
        stratum = request.POST.get("stratum", "")
        values = {**raw, "stratum": stratum}
        if stratum not in campaign.agency_of:
            return _render_form(
                request,
                campaign,
                values=values,
                errors={"stratum": _("Vui lòng chọn cơ quan đã giải quyết thủ tục cho Ông/Bà.")},
                strata=strata,
                status=422,
            )
        # The address is hashed into a cache key and forgotten; it is never stored with the answer.
        if services.over_limit(
            "open", request.META.get("REMOTE_ADDR", ""), limit=services.OPEN_LINK_PER_HOUR, seconds=3600
        ):
            return render(request, "surveys/thanks.html", {"limited": True}, status=429)
        try:
            services.submit_response(
                campaign=campaign, channel=Channel.OPEN, raw=raw, today=timezone.localdate(), stratum=stratum,
                seconds=_seconds(request),
            )  # fmt: skip
        except services.InvalidAnswers as exc:
            return _render_form(
                request, campaign, values=values, errors=exc.errors, strata=strata, status=422
            )
        return redirect("surveys:thanks")
    return _render_form(request, campaign, values={}, errors={}, strata=strata)


def thanks(request: HttpRequest) -> HttpResponse:
    """After a submission (a redirect, so reloading does not submit twice)."""
    return _thanks(request)


def _tap_options(criterion: Criterion) -> list[dict[str, Any]]:
    """The one-tap choices, best first; the page draws the face or thumb, so labels lose their emoji."""
    points = sorted(criterion.scale.points, key=lambda p: -p.value)
    return [{"value": p.value, "label": without_emoji(p.label.vi)} for p in points]


def kiosk(request: HttpRequest, key: str) -> HttpResponse:
    """The counter tablet: big faces, an optional receipt-QR field, a thank-you screen that resets itself."""
    device = selectors.kiosk_for_key(key)
    if device is None:
        raise Http404(_("Thiết bị chưa được đăng ký."))
    instrument = device.campaign.instrument.instrument
    code = "R1" if device.mode == Kiosk.Mode.FACES else "R2"
    options = _tap_options(instrument.criterion(code))
    error = ""
    if request.method == "POST":
        try:
            services.submit_kiosk(
                kiosk=device, value=request.POST.get("value", ""), dossier_code=request.POST.get("dossier_code", ""),
                today=timezone.localdate(), now=timezone.now(),
            )  # fmt: skip
        except services.Duplicate:
            error = _("Hồ sơ này đã được đánh giá. Xin cảm ơn!")
        except services.SurveyError as exc:
            error = str(exc)
        else:
            return render(request, "surveys/kiosk_thanks.html", {"kiosk": device, "key": key})
    return render(
        request,
        "surveys/kiosk.html",
        {
            "kiosk": device,
            "question": instrument.criterion(code).text.vi,
            "options": options,
            "icons": "faces" if code == "R1" else "thumbs",
            "error": error,
        },
        status=422 if error else 200,
    )


def rate_dossier(request: HttpRequest, code: str) -> HttpResponse:
    """/danh-gia/<dossier-code>/: one tap (faces) or the 9-criterion form of Circular 01/2018."""
    dossier = selectors.dossier_by_code(code)
    if dossier is None:
        raise Http404(_("Không tìm thấy hồ sơ có mã này."))
    form = request.GET.get("form") or request.POST.get("form") or DossierRating.Form.FACES
    if form not in DossierRating.Form.values:
        form = DossierRating.Form.FACES
    already = DossierRating.objects.filter(dossier_code=dossier.code).exists()
    version = services.published_instrument(
        "dossier-01-2018" if form == DossierRating.Form.TT01 else "counter-faces"
    )
    instrument = version.instrument
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    if request.method == "POST" and not already:
        values = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        try:
            services.rate_dossier(
                dossier_code=dossier.code, form=form, raw=values, now=timezone.now(),
                comment=request.POST.get("comment", ""), contact_phone=request.POST.get("contact_phone", ""),
                contact_email=request.POST.get("contact_email", ""), consent_share=request.POST.get("consent") == "on",
            )  # fmt: skip
        except services.Duplicate:
            already = True
        except services.InvalidAnswers as exc:
            errors = exc.errors
        except services.SurveyError as exc:
            errors = {"__all__": str(exc)}
        else:
            return redirect("surveys:thanks")
    if already:
        return _thanks(request, already=True)
    if form == DossierRating.Form.TT01:
        items = [{"code": c.code, "text": c.text.vi, "options": [(p.value, p.label.vi) for p in c.scale.points],
                  "value": values.get(c.code, ""), "error": errors.get(c.code, "")} for c in instrument.criteria]  # fmt: skip
    else:
        c = instrument.criterion("R1")
        items = [{"code": "R1", "text": c.text.vi, "options": [(o["value"], o["label"]) for o in _tap_options(c)],
                  "icons": "faces", "value": values.get("R1", ""), "error": errors.get("R1", "")}]  # fmt: skip
    return render(
        request,
        "surveys/rate.html",
        {
            "dossier": dossier,
            "form": form,
            "items": items,
            "errors": errors,
            "values": values,
            "general_error": errors.get("__all__", ""),
        },
        status=422 if errors else 200,
    )


# Staff pages ---------------------------------------------------------------------------------------------


def _campaign_for(request: HttpRequest, slug: str) -> Campaign:
    campaign = selectors.visible_campaigns(request.user).filter(slug=slug).first()
    if campaign is None:
        raise Http404(_("Không có đợt khảo sát này trong phạm vi của bạn."))
    return campaign


def _may_manage(request: HttpRequest, campaign: Campaign) -> bool:
    scope = scope_for(request.user, MANAGE_CONFIG)
    agencies = list(campaign.agencies.all())
    return scope.national or (bool(agencies) and all(scope.contains_agency(a) for a in agencies))


def _cell(estimate: Any) -> dict[str, Any]:
    if estimate.suppressed or estimate.estimate is None:
        return {"suppressed": True, "n": estimate.n}
    margin = (estimate.ci_high - estimate.ci_low) / 2 if estimate.ci_high is not None else None
    return {"suppressed": False, "value": estimate.estimate, "margin": margin, "n": estimate.n}


def _result_row(label: str, result: Any, instrument: Instrument) -> dict[str, Any]:
    return {
        "label": label,
        "n": result.n,
        "overall": _cell(result.overall),
        "factors": [_cell(result.factors[f.code]) for f in instrument.factors],
    }


def _calibration_table(
    calibrated: selectors.CalibratedResults, instrument: Instrument
) -> list[dict[str, Any]]:
    """Overall, aspect and factor indices of the whole campaign: unweighted, design-weighted, raked."""
    if calibrated.unweighted is None or calibrated.weighted is None:
        return []
    ways = (calibrated.unweighted, calibrated.weighted, calibrated.raked)

    def row(label: str, pick: Any) -> dict[str, Any]:
        return {"label": label, "cells": [_cell(pick(e)) if e is not None else None for e in ways]}

    rows = [row(_("Chỉ số chung"), lambda e: e.all.overall)]
    rows.extend(row(a.title.vi, lambda e, c=a.code: e.all.aspects[c]) for a in instrument.aspects)
    rows.extend(
        row(f"{f.code}. {f.title.vi}", lambda e, c=f.code: e.all.factors[c]) for f in instrument.factors
    )
    return rows


def _margins_text(campaign: Campaign) -> str:
    lines = ["variable,category,population"]
    for variable, controls in selectors.campaign_margins(campaign).items():
        lines.extend(f"{variable},{category},{int(count)}" for category, count in controls.items())
    return "\n".join(lines) + "\n" if len(lines) > 1 else ""


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    """Campaigns the official may follow."""
    return render(
        request, "surveys/staff/campaigns.html", {"campaigns": selectors.visible_campaigns(request.user)}
    )


@login_required
def campaign_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Response rates per stratum, integrity flags and aggregate results (cells below k suppressed)."""
    campaign = _campaign_for(request, slug)
    estimation, problem = selectors.campaign_results(campaign)
    calibrated = selectors.calibrated_results(campaign)
    margins = selectors.campaign_margins(campaign)
    margin_variables = selectors.margin_variables(campaign)
    instrument = campaign.instrument.instrument
    table = []
    if estimation is not None:
        names = dict(selectors.campaign_strata(campaign))
        table.append(_result_row(_("Toàn bộ"), estimation.all, instrument))
        table.extend(_result_row(names.get(k, k), v, instrument) for k, v in estimation.groups.items())
    return render(
        request,
        "surveys/staff/campaign.html",
        {
            "campaign": campaign,
            "rates": selectors.response_rates(campaign),
            "flags": [
                (code, FLAG_LABELS[code], n) for code, n in sorted(selectors.flag_counts(campaign).items())
            ],
            "estimation": estimation,
            "table": table,
            "percent": instrument.aggregation.unit == "percent",
            "factors": instrument.factors,
            "problem": problem,
            "may_manage": _may_manage(request, campaign),
            "microdata": selectors.can_view_microdata(request.user, campaign),
            "paper": selectors.can_enter_paper(request.user, campaign),
            "flag_form": FlagPolicyForm(initial={"excluded": campaign.excluded_flags}),
            "frame_form": FrameUploadForm(),
            "calibrated": calibrated,
            "calibration": _calibration_table(calibrated, instrument),
            "margins": margins,
            "margin_rows": selectors.labelled_margins(margins, margin_variables),
            "margin_variables": margin_variables,
            "margins_form": MarginsForm(initial={"margins_text": _margins_text(campaign)}),
        },
    )


@login_required
@require_POST
def campaign_action(request: HttpRequest, slug: str) -> HttpResponse:
    """Draw the sample, open or close, send reminders, new enumerator key, flag policy (audited)."""
    campaign = _campaign_for(request, slug)
    if not _may_manage(request, campaign):
        raise Http404
    action = request.POST.get("action", "")
    base = request.build_absolute_uri("/")
    try:
        if action == "draw_dossiers":
            draw = services.draw_sample(
                campaign=campaign, frame=selectors.frame_from_dossiers(campaign), actor=request.user
            )
            messages.success(
                request,
                _("Đã chọn %(n)d trong %(N)d hồ sơ (hạt giống %(seed)d).")
                % {"n": draw.invitations, "N": draw.population, "seed": draw.seed},
            )
        elif action == "draw_upload":
            form = FrameUploadForm(request.POST, request.FILES)
            if not form.is_valid():
                raise services.SurveyError("file", _("Vui lòng chọn tệp danh sách."))
            frame = services.frame_from_table(
                read_table(form.cleaned_data["file"], name=form.cleaned_data["file"].name)
            )
            draw = services.draw_sample(campaign=campaign, frame=frame, actor=request.user)
            messages.success(
                request,
                _("Đã chọn %(n)d trong %(N)d (hạt giống %(seed)d).")
                % {"n": draw.invitations, "N": draw.population, "seed": draw.seed},
            )
        elif action in ("open", "closed"):
            services.set_campaign_status(campaign=campaign, status=action, actor=request.user)
        elif action == "remind":
            sent = services.send_reminders(campaign=campaign, today=timezone.localdate(), base_url=base)
            messages.success(request, _("Đã gửi %(n)d tin nhắn nhắc.") % {"n": sent})
        elif action == "enumerator_key":
            key = services.set_enumerator_key(campaign=campaign, actor=request.user)
            url = request.build_absolute_uri(reverse("openrosa:key_form_list", args=[key])).removesuffix(
                "formList"
            )
            messages.success(
                request,
                _("Địa chỉ máy chủ cho ODK Collect / KoboCollect (chỉ hiện một lần): %(url)s") % {"url": url},
            )
        elif action == "flags":
            form = FlagPolicyForm(request.POST)
            if not form.is_valid():
                raise services.SurveyError("reason", _("Vui lòng ghi lý do."))
            services.set_excluded_flags(
                campaign=campaign,
                flags=form.cleaned_data["excluded"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        elif action == "margins":
            form = MarginsForm(request.POST, request.FILES)
            form.is_valid()
            upload = form.cleaned_data.get("margins_file")
            if upload:
                table = read_table(upload, name=upload.name, aliases=services.MARGIN_COLUMNS)
            else:
                text = form.cleaned_data.get("margins_text", "").strip()
                table = read_table(io.BytesIO(text.encode()), name=_("ô nhập"), aliases=services.MARGIN_COLUMNS) if text else None  # fmt: skip
            rows = services.margins_from_table(table, selectors.margin_variables(campaign)) if table else []
            n = services.set_margins(
                campaign=campaign, rows=rows, actor=request.user, source=upload.name if upload else "form"
            )
            if n:
                messages.success(request, _("Đã ghi %(n)d nhóm tổng thể biên.") % {"n": n})
            else:
                messages.success(request, _("Đã bỏ tổng thể biên; kết quả không còn được hiệu chỉnh."))
        else:
            raise Http404
    except ImportFailed as exc:
        messages.error(request, str(exc))
    except services.SurveyError as exc:
        messages.error(request, str(exc))
    return redirect("surveys:campaign", slug=campaign.slug)


@login_required
def invitations_print(request: HttpRequest, slug: str) -> HttpResponse:
    """Printable invitations with QR codes, links and SMS texts (tokens are derived again, never stored)."""
    import segno

    campaign = _campaign_for(request, slug)
    if not _may_manage(request, campaign):
        raise Http404
    base = request.build_absolute_uri("/")
    cards = []
    for invitation in campaign.invitations.select_related("stratum", "campaign").filter(used=False)[:500]:
        link = services.invitation_link(invitation, base)
        cards.append({
            "reference": invitation.reference, "stratum": invitation.stratum.name, "link": link,
            "qr": segno.make(link, error="m").svg_data_uri(scale=3), "sms": services.invitation_sms(invitation, base),
        })  # fmt: skip
    return render(request, "surveys/staff/invitations.html", {"campaign": campaign, "cards": cards})


@login_required
def microdata_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """Anonymous answer sheets as CSV, only for those `can_view_microdata` allows."""
    campaign = _campaign_for(request, slug)
    if not selectors.can_view_microdata(request.user, campaign):
        raise Http404
    rows = selectors.microdata_rows(campaign)
    codes = [c.code for c in campaign.instrument.instrument.criteria] + [
        q.code for q in campaign.instrument.instrument.questions if q.role != "demographic"
    ]
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=["stratum", "channel", "submitted_on", "flags", *codes], extrasaction="ignore"
    )
    writer.writeheader()
    writer.writerows(rows)
    response = HttpResponse(out.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{campaign.slug}-phieu.csv"'
    return response


@login_required
def paper_entry(request: HttpRequest, slug: str) -> HttpResponse:
    """Key a paper questionnaire; with double keying, a second person keys it again."""
    campaign = _campaign_for(request, slug)
    if not selectors.can_enter_paper(request.user, campaign):
        raise Http404
    instrument = campaign.instrument.instrument
    strata = selectors.campaign_strata(campaign)
    header = PaperHeaderForm(request.POST or None, strata=strata)
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    resolve = None
    if request.GET.get("resolve"):
        resolve = get_object_or_404(
            PaperSheet, campaign=campaign, pk=request.GET["resolve"], status=PaperSheet.Status.CONFLICT
        )
    if request.method == "POST":
        values = _raw(request, instrument)
        try:
            if request.POST.get("resolve"):
                paper = get_object_or_404(PaperSheet, campaign=campaign, pk=request.POST["resolve"])
                services.resolve_paper_sheet(
                    paper=paper, raw=values, user=request.user, today=timezone.localdate()
                )
                messages.success(request, _("Đã ghi nhận phiếu sau khi đối chiếu."))
                return redirect("surveys:paper", slug=slug)
            if header.is_valid():
                paper = services.key_paper_sheet(
                    campaign=campaign, batch=header.cleaned_data["batch"], sheet_no=header.cleaned_data["sheet_no"],
                    stratum=header.cleaned_data["stratum"], raw=values, user=request.user, today=timezone.localdate(),
                )  # fmt: skip
                if paper.status == PaperSheet.Status.CONFLICT:
                    messages.warning(
                        request,
                        _("Hai lần nhập khác nhau ở: %(f)s. Cần đối chiếu với phiếu giấy.")
                        % {"f": ", ".join(paper.disagreements)},
                    )
                elif paper.status == PaperSheet.Status.KEYED_ONCE:
                    messages.info(request, _("Đã nhập lần 1; chờ người thứ hai nhập lại."))
                else:
                    messages.success(request, _("Đã ghi nhận phiếu."))
                return redirect("surveys:paper", slug=slug)
        except services.InvalidAnswers as exc:
            errors = exc.errors
        except services.SurveyError as exc:
            messages.error(request, str(exc))
    return render(
        request,
        "surveys/staff/paper.html",
        {
            "campaign": campaign,
            "header": header,
            "sections": _sections(instrument, values, errors),
            "sheets": selectors.paper_sheets(campaign)[:200],
            "resolve": resolve,
        },
        status=422 if errors else 200,
    )


@login_required
def instruments(request: HttpRequest) -> HttpResponse:
    """Instrument versions: import an XLSForm (errors by sheet and row), export, publish."""
    if not can(request.user, MANAGE_CONFIG):
        raise Http404
    problems: list[str] = []
    upload = XLSFormUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if request.POST.get("action") == "sync":
            services.sync_builtin_instruments(actor=request.user)
            messages.success(request, _("Đã nạp các phiếu có sẵn."))
            return redirect("surveys:instruments")
        if request.POST.get("publish"):
            row = get_object_or_404(InstrumentVersion, pk=request.POST["publish"])
            try:
                services.publish_instrument(instrument=row, actor=request.user)
                messages.success(request, _("Đã ban hành %(key)s.") % {"key": row.key})
            except services.SurveyError as exc:
                messages.error(request, str(exc))
            return redirect("surveys:instruments")
        if upload.is_valid():
            file = upload.cleaned_data["file"]
            try:
                row = services.import_xlsform(
                    data=file.read(), filename=file.name, actor=request.user, today=timezone.localdate()
                )
            except XLSFormError as exc:
                problems = [str(p) for p in exc.problems]
            except services.SurveyError as exc:
                problems = [str(exc)]
            else:
                messages.success(request, _("Đã nhập %(key)s (bản nháp).") % {"key": row.key})
                return redirect("surveys:instruments")
    return render(
        request,
        "surveys/staff/instruments.html",
        {"versions": selectors.instrument_versions(), "upload": upload, "problems": problems},
        status=422 if problems else 200,
    )


@login_required
def instrument_xlsform(request: HttpRequest, pk: int) -> HttpResponse:
    """Download an instrument version as an XLSForm workbook."""
    if not can(request.user, MANAGE_CONFIG):
        raise Http404
    row = get_object_or_404(InstrumentVersion, pk=pk)
    data = workbook_bytes(instrument_workbook(row.instrument))
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{row.code}-v{row.version}.xlsx"'
    return response


@login_required
def ratings(request: HttpRequest) -> HttpResponse:
    """Per-dossier ratings of the agencies in scope; comment and contact only where the citizen agreed."""
    if scope_for(request.user).is_empty and not can(request.user, ENTER_DATA):
        raise Http404
    qs = selectors.ratings_visible_to(request.user)
    return render(
        request, "surveys/staff/ratings.html", {"ratings": qs[:200], "summary": selectors.rating_summary(qs)}
    )
