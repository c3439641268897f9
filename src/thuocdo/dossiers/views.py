from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from thuocdo.core.dossier import DossierError, parse_document
from thuocdo.core.timeliness import classify
from thuocdo.dossiers import apology
from thuocdo.dossiers.forms import ApologyForm
from thuocdo.dossiers.models import ApologyLetter, Dossier


def _visible_dossier(request: HttpRequest, code: str, action: str) -> Dossier:
    from thuocdo.accounts.selectors import visible_agencies

    dossier = (
        Dossier.objects.select_related("agency", "agency__parent", "agency__admin_unit", "procedure")
        .filter(code=code)
        .first()
    )
    if (
        dossier is None
        or dossier.agency_id is None
        or not visible_agencies(request.user, action).filter(pk=dossier.agency_id).exists()
    ):
        raise Http404  # out of scope looks the same as absent
    return dossier


def _explain(dossier: Dossier) -> Any:
    try:
        parsed = parse_document(json.loads(dossier.raw), record=dossier.code)
    except (DossierError, ValueError):
        return None
    return classify(parsed, as_of=timezone.now())


@login_required
def detail(request: HttpRequest, code: str) -> HttpResponse:
    """One dossier for officials: dates, steps, how 766 judges it, and its apology letters."""
    from thuocdo.accounts.selectors import APPROVE_APOLOGY, VIEW_NONPUBLIC, can

    dossier = _visible_dossier(request, code, VIEW_NONPUBLIC)
    return render(
        request,
        "dossiers/detail.html",
        {
            "d": dossier,
            "steps": dossier.steps.order_by("seq"),
            "verdict": _explain(dossier),
            "letters": dossier.apology_letters.all(),
            "promise": apology.current_promise(dossier),
            "can_apologise": can(request.user, APPROVE_APOLOGY, dossier.agency)
            and dossier.status not in apology.CLOSED,
        },
    )


@login_required
def apologise(request: HttpRequest, code: str) -> HttpResponse:
    """Draft and issue a Phiếu xin lỗi và hẹn lại ngày trả kết quả."""
    from thuocdo.accounts.selectors import APPROVE_APOLOGY

    dossier = _visible_dossier(request, code, APPROVE_APOLOGY)
    form = ApologyForm(request.POST or None, initial={"signer_name": request.user.get_full_name()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            letter = apology.issue_apology_letter(
                dossier=dossier,
                reason=data["reason"],
                new_due_at=data["new_due_at"],
                signer_title=data["signer_title"],
                signer_name=data["signer_name"],
                actor=request.user,
                now=timezone.now(),
            )
        except apology.ApologyError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            sent = data["send"] and apology.send_letter(letter)
            messages.success(
                request,
                _("Đã lập phiếu %(number)s.") % {"number": letter.number}
                + (" " + _("Đã gửi cho người dân.") if sent else ""),
            )
            return redirect("dossiers:detail", code=code)
    return render(
        request,
        "dossiers/apologise.html",
        {"d": dossier, "form": form, "promise": apology.current_promise(dossier)},
    )


@login_required
def letter_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    from thuocdo.accounts.selectors import VIEW_NONPUBLIC

    letter = ApologyLetter.objects.select_related("dossier").filter(pk=pk).first()
    if letter is None:
        raise Http404
    _visible_dossier(request, letter.dossier.code, VIEW_NONPUBLIC)
    if fmt == "pdf":
        body, content_type = apology.letter_pdf(letter), "application/pdf"
    else:
        body = apology.letter_docx(letter)
        content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="phieu-xin-loi-{letter.dossier.code}.{fmt}"'
    return response
