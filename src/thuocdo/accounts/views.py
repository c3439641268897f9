"""Pages for staff: sign in and out, profile, password, and the data scope they work in."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from thuocdo.accounts import selectors, services
from thuocdo.accounts.middleware import SESSION_EPOCH_KEY


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.note_password_change(user=form.user)
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


def _require_official(request: HttpRequest) -> None:
    if not selectors.is_official(request.user):
        raise PermissionDenied(_("Trang này chỉ dành cho cán bộ đã được phân quyền."))


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    """The signed-in user's roles and the scope of each."""
    assignments = [
        {"role": a.get_role_display(), "scope": selectors.describe_scope(a), "granted_at": a.granted_at}
        for a in selectors.assignments_of(request.user)
    ]
    return render(request, "accounts/profile.html", {"assignments": assignments})


@login_required
@require_GET
def scope(request: HttpRequest) -> HttpResponse:
    """Phạm vi dữ liệu: the agencies whose non-public data the user may see."""
    _require_official(request)
    page = Paginator(selectors.visible_agencies(request.user), 50).get_page(request.GET.get("trang"))
    return render(
        request,
        "accounts/scope.html",
        {"page": page, "scope": selectors.scope_for(request.user)},
    )


@login_required
@require_GET
def agency_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One agency's staff list; 404 outside the user's scope so that existence does not leak."""
    _require_official(request)
    agency = selectors.agency_in_scope(request.user, code)
    if agency is None:
        raise Http404(_("Không tìm thấy cơ quan trong phạm vi dữ liệu của bạn."))
    staff = [
        {"name": str(a.user), "username": a.user.get_username(), "role": a.get_role_display()}
        for a in selectors.assignments_at_agency(agency)
    ]
    return render(
        request,
        "accounts/agency_detail.html",
        {
            "agency": agency,
            "staff": staff,
            "can_manage": selectors.can(request.user, selectors.MANAGE_CONFIG, agency),
        },
    )


@login_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    """Đăng xuất khỏi mọi thiết bị: end every other session of this user; this one stays signed in."""
    user = request.user
    services.sign_out_everywhere(user=user, keep_session_key=request.session.session_key)  # type: ignore[arg-type]
    request.session[SESSION_EPOCH_KEY] = user.session_epoch  # type: ignore[union-attr]
    request.session.cycle_key()
    messages.success(request, _("Đã đăng xuất khỏi mọi thiết bị khác."))
    return redirect("accounts:profile")
