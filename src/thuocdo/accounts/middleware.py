"""Sign-out everywhere: a session created before the user's latest epoch is no longer valid."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

SESSION_EPOCH_KEY = "thuocdo_session_epoch"


def stamp_session_epoch(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """On login, remember the epoch the session belongs to (connected to `user_logged_in`)."""
    # Stamping at login, not on the next request, closes the gap where a session that has not been used
    # since logging in would adopt the new epoch after "sign out everywhere".
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_EPOCH_KEY] = user.session_epoch


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
