from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from thuocdo.core.feedback import Event, State, TransitionError, allowed_events
from thuocdo.feedback import selectors, services
from thuocdo.feedback.forms import (
    EVENT_LABELS,
    HandleForm,
    ReraiseForm,
    StaffIntakeForm,
    SubmissionForm,
    TrackForm,
)

# core.feedback knows states by code only; they are named here, where the language is known. The context keeps
# a state apart from the same words used as an action ("Từ chối tiếp nhận" is also the refuse button).
STATE_LABELS = {
    State.RECEIVED: pgettext_lazy("feedback state", "Mới tiếp nhận"),
    State.AWAITING_INFO: pgettext_lazy("feedback state", "Chờ bổ sung thông tin"),
    State.IN_PROGRESS: pgettext_lazy("feedback state", "Đang xử lý"),
    State.AWAITING_PUBLICATION: pgettext_lazy("feedback state", "Chờ công khai"),
    State.PUBLISHED: pgettext_lazy("feedback state", "Đã công khai"),
    State.REFUSED: pgettext_lazy("feedback state", "Từ chối tiếp nhận"),
    State.REOPENED: pgettext_lazy("feedback state", "Phản ánh lại"),
    State.CLOSED: pgettext_lazy("feedback state", "Đã đóng"),
}


def state_label(state: str) -> str:
    """The name of a feedback state in the active language (the code itself if unknown)."""
    try:
        return str(STATE_LABELS[State(state)])
    except (KeyError, ValueError):
        return state


def index(request: HttpRequest) -> HttpResponse:
    """Published answers, searchable, and the way in to send or track a submission."""
    q = request.GET.get("q", "").strip()
    page = Paginator(selectors.published_answers(q=q, category=request.GET.get("category", "")), 20).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "feedback/index.html",
        {"page": page, "q": q, "categories": selectors.active_categories(), "track_form": TrackForm()},
    )


def submit(request: HttpRequest) -> HttpResponse:
    return _intake(request, SubmissionForm, channel=None)


@login_required
def staff_intake(request: HttpRequest) -> HttpResponse:
    """Counter and hotline staff enter a submission for a caller; the caller gets the tracking code."""
    from thuocdo.accounts.selectors import ENTER_DATA, visible_agencies

    if not visible_agencies(request.user, ENTER_DATA).exists():
        raise Http404
    return _intake(request, StaffIntakeForm, channel="staff")


def _intake(request: HttpRequest, form_class: Any, *, channel: str | None) -> HttpResponse:
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        agency = selectors.agency_by_name_or_code(data["agency_code"]) if data["agency_code"] else None
        procedure = selectors.procedure_by_code_or_name(data["procedure"]) if data["procedure"] else None
        if data["agency_code"] and agency is None:
            form.add_error(
                "agency_code", _("Không tìm thấy cơ quan này; hãy chọn từ danh sách gợi ý hoặc để trống.")
            )
        elif data["procedure"] and procedure is None:
            form.add_error(
                "procedure", _("Không tìm thấy thủ tục này; hãy chọn từ danh sách gợi ý hoặc để trống.")
            )
        else:
            try:
                submission = services.submit_feedback(
                    data=services.NewSubmission(
                        title=data["title"],
                        body=data["body"],
                        category=data["category"],
                        agency=agency,
                        procedure=procedure,
                        dossier_code=data["dossier_code"],
                        latitude=data["latitude"],
                        longitude=data["longitude"],
                        contact_name=data["contact_name"],
                        contact_phone=data["contact_phone"],
                        contact_email=data["contact_email"],
                        attachments=data["attachments"],
                        channel=data["channel"] if channel == "staff" else "web",
                    ),
                    now=timezone.now(),
                )
            except services.FeedbackError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                if channel == "staff":
                    messages.success(
                        request,
                        _("Đã tiếp nhận. Mã tra cứu cho người dân: %(code)s")
                        % {"code": submission.tracking_code},
                    )
                return redirect("feedback:status", code=submission.tracking_code)
    return render(
        request,
        "feedback/submit.html",
        {
            "form": form,
            "agency_names": selectors.agency_names(),
            "procedure_names": selectors.procedure_names(),
            "staff_intake": channel == "staff",
        },
    )


def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.GET or None)
    if form.is_valid():
        submission = selectors.submission_by_code(form.cleaned_data["code"])
        if submission is not None:
            return redirect("feedback:status", code=submission.tracking_code)
        form.add_error("code", _("Không tìm thấy phản ánh có mã tra cứu này."))
    return render(request, "feedback/track.html", {"form": form})


def status(request: HttpRequest, code: str) -> HttpResponse:
    """The public status page: no personal data, only the state, the history and the published answer."""
    submission = selectors.submission_by_code(code)
    if submission is None or submission.is_spam:
        raise Http404
    events = [{"at": e.at, "label": state_label(e.to_state)} for e in submission.events.all()]
    return render(
        request,
        "feedback/status.html",
        {
            "s": submission,
            "state_label": state_label(submission.state),
            "events": events,
            "published": submission.state in (State.PUBLISHED, State.CLOSED),
            "reraise_form": ReraiseForm(),
        },
    )


@require_POST
def rate(request: HttpRequest, code: str) -> HttpResponse:
    submission = selectors.submission_by_code(code)
    if submission is None:
        raise Http404
    rated = request.session.setdefault("feedback_rated", [])
    if code in rated:
        messages.info(request, _("Bạn đã đánh giá câu trả lời này."))
    else:
        try:
            services.rate_answer(submission=submission, liked=request.POST.get("liked") == "1")
        except services.FeedbackError as exc:
            messages.error(request, str(exc))
        else:
            rated.append(code)
            request.session.modified = True
            messages.success(request, _("Cảm ơn bạn đã đánh giá."))
    return redirect("feedback:status", code=code)


@require_POST
def reraise(request: HttpRequest, code: str) -> HttpResponse:
    submission = selectors.submission_by_code(code)
    if submission is None:
        raise Http404
    form = ReraiseForm(request.POST)
    if form.is_valid():
        try:
            services.reraise_submission(
                submission=submission, reason=form.cleaned_data["reason"], now=timezone.now()
            )
        except (services.FeedbackError, ValueError) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Phản ánh đã được mở lại để cơ quan xem xét."))
    else:
        messages.error(request, _("Vui lòng nêu lý do chưa hài lòng (ít nhất 10 ký tự)."))
    return redirect("feedback:status", code=code)


# -- staff ----------------------------------------------------------------------------------------


def _handled_agencies(request: HttpRequest) -> Any:
    from thuocdo.accounts.selectors import HANDLE_FEEDBACK, visible_agencies

    return visible_agencies(request.user, HANDLE_FEEDBACK)


@login_required
def work_list(request: HttpRequest) -> HttpResponse:
    """Submissions of the agencies the official handles, soonest deadline first."""
    agencies = _handled_agencies(request)
    state = request.GET.get("state", "open")
    at_risk = request.GET.get("at_risk") == "1"
    now = timezone.now()
    qs = selectors.submissions_for_agencies(
        agencies, state=state, at_risk_before=now + timedelta(days=2) if at_risk else None
    )
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    rows = [
        {
            "s": s,
            "label": state_label(s.state),
            "overdue": s.handle_by < now and s.state in selectors.OPEN_STATES,
        }
        for s in page
    ]
    return render(
        request,
        "feedback/work_list.html",
        {"page": page, "rows": rows, "state": state, "at_risk": at_risk, "states": STATE_LABELS},
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Feedback of the official's agencies in a year: by category, classification, agency and month."""
    from datetime import datetime

    agencies = _handled_agencies(request)
    if not agencies.exists():
        raise Http404  # no feedback role anywhere: the page does not exist for this user
    now = timezone.now()
    this_year = timezone.localtime(now).year
    years = list(range(this_year, this_year - 5, -1))
    try:
        year = int(request.GET.get("nam", this_year))
    except ValueError:
        year = this_year
    if year not in years:
        year = this_year
    tz = timezone.get_current_timezone()
    start, end = datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)
    board = selectors.feedback_dashboard(agencies=agencies, start=start, end=end, now=now)
    tallies = selectors.indicator_tallies(agencies=agencies, start=start, end=end, as_of=min(end, now))
    indicators = [
        (code, label, n, d, 100 * n / d if d else None)
        for (code, label), (n, d) in zip(
            INDICATOR_LABELS, (tallies[k] for k, _ in INDICATOR_LABELS), strict=True
        )
    ]
    chart = {
        "months": [row.label for row in board.by_month],
        "series": [
            {"name": label, "values": board.monthly_by_classification[key]}
            for key, label in selectors.CLASSIFICATION_LABELS_VI.items()
        ],
        "categories": [row.label for row in board.by_category],
        "category_values": [
            [row.total - row.open, row.open - row.overdue, row.overdue] for row in board.by_category
        ],
        "labels": {
            "closed": _("Đã xử lý xong"),
            "open": _("Đang mở, trong hạn"),
            "overdue": _("Đang mở, quá hạn"),
        },
    }
    busiest = max(board.by_month, key=lambda r: r.total, default=None)
    return render(
        request,
        "feedback/dashboard.html",
        {
            "board": board,
            "year": year,
            "years": years,
            "now": now,
            "indicators": indicators,
            "chart": chart,
            "busiest": busiest if busiest and busiest.total else None,
            "agency_count": agencies.count(),
        },
    )


INDICATOR_LABELS = (
    ("5.1", gettext_lazy("Phản ánh về quy định hành chính hoặc hành vi của cán bộ")),
    ("5.2", gettext_lazy("Phản ánh được xử lý đúng hạn")),
    ("5.3", gettext_lazy("Phản ánh được người dân hài lòng với kết quả xử lý")),
)


@login_required
def handle(request: HttpRequest, code: str) -> HttpResponse:
    """One submission for an official: contact details, history, and the actions its state allows."""
    submission = selectors.submission_by_code(code)
    if submission is None or not _handled_agencies(request).filter(pk=submission.agency_id).exists():
        raise Http404  # out of scope looks the same as absent
    form = HandleForm(request.POST or None, allowed=allowed_events(State(submission.state)))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        to_agency = selectors.agency_by_code(data["to_agency_code"]) if data.get("to_agency_code") else None
        try:
            services.transition_submission(
                submission=submission,
                event=Event(data["event"]),
                now=timezone.now(),
                actor=request.user,
                note=data["note"],
                to_agency=to_agency,
                answer=data["answer"] or None,
                answer_public=data["answer_public"] or None,
            )
        except (services.FeedbackError, TransitionError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Đã cập nhật phản ánh."))
            return redirect("feedback:handle", code=code)
    return render(
        request,
        "feedback/handle.html",
        {
            "s": submission,
            "form": form,
            "state_label": state_label(submission.state),
            "events": [
                (e, str(EVENT_LABELS.get(e.event, e.event)), state_label(e.to_state))
                for e in submission.events.select_related("actor", "to_agency")
            ],
        },
    )
