"""The submission lane: survey answers posted to the web form or to OpenRosa skip the general middleware.

A submission needs none of what the rest of the stack does for pages (sessions, user, messages, htmx,
locale negotiation, the login lockout, a CSP nonce, URL resolution through every app), and at
1,000 submissions a second that work was a third of the CPU a submission cost. This middleware sits
right after SecurityMiddleware (so HTTPS redirects and the security headers still apply) and answers:

- `POST /khao-sat/<token>/` (the invitation form, default language): the same CSRF check as
  CsrfViewMiddleware (cookie + token in the form), then `views.take_invitation` in one transaction. Only
  a stored answer is answered here (302 to the thank-you page, as the view does); anything else — a CSRF failure, invalid
  answers, a used or unknown token, a closed campaign — rolls back whatever was done and goes through
  the full stack, which renders the page with its usual middleware (nothing is stored twice: the lane
  stores nothing in those cases).
- `HEAD|POST /openrosa/key/<key>/submission`: the OpenRosa view, its XML answer as is (OpenRosa is CSRF-exempt: ODK Collect has no cookies; the enumerator key authenticates).

On PostgreSQL a submission is one write statement once the worker holds its campaign (selectors.Held),
else one read and one write (services.one_statement_writes), so the lane runs it in autocommit: no BEGIN
and COMMIT round trips. On SQLite it gets a transaction.
Rate limits and integrity flags are the views' and services' own, so they apply on both paths.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils import translation
from django.utils.datastructures import MultiValueDict

from thuocdo.surveys import openrosa, services, views

_INVITATION = re.compile(r"^/khao-sat/(?P<token>[^/]+)/$")
_OPENROSA = re.compile(r"^/openrosa/key/(?P<key>[^/]+)/submission$")
# Paths of the invitation URL pattern that are other pages (the lane must not take them).
_NOT_TOKENS = frozenset({"cam-on", "quan-ly"})


class _Fallback(Exception):
    """Leave the lane: roll back and let the full stack answer."""


def _no_response(request: HttpRequest) -> HttpResponse:  # pragma: no cover - never called
    raise AssertionError


def _read_form(request: HttpRequest) -> None:
    """Fill request.POST from an urlencoded body as QueryDict would, in a third of its time.

    QueryDict appends its ~20 fields one at a time through checks meant for a mutable mapping; here the
    lists are built first and handed over at once (same parse_qsl call, limits and encoding fallback).
    Other bodies are left to Django.
    """
    if request.content_type != "application/x-www-form-urlencoded":
        return
    encoding = request.encoding or settings.DEFAULT_CHARSET
    body = request.body  # enforces DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError:
        text = body.decode("iso-8859-1")  # what QueryDict does for misbehaving clients
    lists: dict[str, list[str]] = {}
    try:
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            encoding=encoding,
            max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        )
    except ValueError as exc:
        raise TooManyFieldsSent(
            "The number of GET/POST parameters exceeded settings.DATA_UPLOAD_MAX_NUMBER_FIELDS."
        ) from exc
    for key, value in pairs:
        lists.setdefault(key, []).append(value)
    post = QueryDict(mutable=True, encoding=encoding)
    dict.update(post, lists)
    post._mutable = False
    request._post = post  # type: ignore[attr-defined]
    request._files = MultiValueDict()  # type: ignore[attr-defined]


class SubmissionLane:
    """Answer survey submissions without the general middleware (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(_no_response)
        self.enabled = settings.THUOCDO.get("SUBMISSION_LANE", True)
        self._thanks_url: str | None = None
        # A redirect or an XML message has nothing to run or frame: the strictest policy fits them all.
        self.csp = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.enabled and request.method in ("POST", "HEAD"):
            path = request.path_info
            if request.method == "POST" and (match := _INVITATION.match(path)):
                if match["token"] not in _NOT_TOKENS:
                    # Unprefixed paths are Vietnamese (i18n_patterns without a default prefix); without
                    # LocaleMiddleware the thread would keep the previous request's language.
                    translation.activate(settings.LANGUAGE_CODE)
                    response = self._invitation(request, match["token"])
                    if response is not None:
                        return self._finish(response)
            elif match := _OPENROSA.match(path):
                translation.activate(settings.LANGUAGE_CODE)
                with self._atomic():
                    response = openrosa.submission(request, key=match["key"])
                return self._finish(response)
        return self.get_response(request)

    def _invitation(self, request: HttpRequest, token: str) -> HttpResponse | None:
        _read_form(request)
        self.csrf.process_request(request)
        if self.csrf.process_view(request, views.invitation_form, (token,), {}) is not None:
            return None  # the full stack answers 403 with its page
        try:
            with self._atomic():
                outcome = views.take_invitation(request, token)
                if outcome.kind != "stored":
                    raise _Fallback
        except _Fallback:
            return None
        if self._thanks_url is None:
            self._thanks_url = reverse("surveys:thanks")
        return HttpResponseRedirect(self._thanks_url)

    @staticmethod
    def _atomic() -> AbstractContextManager[Any]:
        # Where the service writes a submission in one statement, that statement is its transaction.
        return nullcontext() if services.one_statement_writes() else transaction.atomic()

    def _finish(self, response: HttpResponse) -> HttpResponse:
        response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Cache-Control", "no-store")
        return response
