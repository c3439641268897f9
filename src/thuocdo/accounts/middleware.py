"""Sign-out everywhere: a session created before the user's latest epoch is no longer valid."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

SESSION_EPOCH_KEY = "thuocdo_session_epoch"


class SessionEpochMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            epoch = request.session.get(SESSION_EPOCH_KEY)
            if epoch is None:
                request.session[SESSION_EPOCH_KEY] = user.session_epoch
            elif epoch != user.session_epoch:
                logout(request)
        return self.get_response(request)
