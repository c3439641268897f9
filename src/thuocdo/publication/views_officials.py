"""Officials' pages of the portal: the e-mail alert subscription, with a preview of the next digest."""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from thuocdo.accounts.selectors import is_official
from thuocdo.publication import alerts, officials


@login_required
@require_http_methods(["GET", "POST"])
def alert_settings(request: HttpRequest) -> HttpResponse:
    """Which alerts, over which scope, how often; the digest as it would be sent now."""
    if not (request.user.is_superuser or is_official(request.user)):
        raise PermissionDenied
    subscription = officials.subscription_of(request.user)
    if request.method == "POST":
        form = officials.AlertSubscriptionForm(request.POST, instance=subscription, user=request.user)
        if form.is_valid():
            saved = officials.save_subscription(form=form)
            messages.success(
                request,
                _("Đã lưu: bạn sẽ nhận bản tin cảnh báo qua e-mail.")
                if saved.active
                else _("Đã lưu: bạn sẽ không nhận bản tin cảnh báo."),
            )
            return redirect(reverse("publication:alerts"))
    else:
        if subscription.pk is None:
            subscription.active = True  # the form proposes subscribing; nothing is stored until saved
        form = officials.AlertSubscriptionForm(instance=subscription, user=request.user)
    preview = None
    if request.GET.get("xem-truoc") and subscription.pk:
        digest = alerts.build_digest(
            subscription, now=datetime.now(UTC), base_url=request.build_absolute_uri("/")
        )
        if digest is not None:
            preview = {"digest": digest, "text": alerts.render_digest(digest)[1]}
    return render(
        request,
        "publication/officials/alerts.html",
        {
            "form": form,
            "subscription": subscription,
            "preview": preview,
            "crumbs": [(_("Chỉ số 766"), reverse("indices:index766")), (_("Cảnh báo qua e-mail"), "")],
        },
    )
