"""The cached CSP middleware sends exactly the headers django-csp's own middleware sends."""

from __future__ import annotations

import re

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE
from csp.decorators import csp_exempt, csp_update
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from thuocdo.surveys.middleware import CachedCSPMiddleware


def plain(request):
    return HttpResponse("ok")


def with_nonce(request):
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")


@csp_update({"img-src": ["https://bando.example"]})
def updated(request):
    return HttpResponse("ok")


@csp_exempt()
def exempt(request):
    return HttpResponse("ok")


def not_found(request):
    return HttpResponse("?", status=404)


def headers(middleware_class, view, path="/trang/"):
    request = RequestFactory().get(path)
    response = middleware_class(view)(request)
    # Nonces are random and django-csp's directive order may vary: compare the directives, not the text.
    return tuple(
        frozenset(re.sub(r"'nonce-[^']+'", "'nonce-N'", value).split("; ")) if value else value
        for value in (response.get(HEADER), response.get(HEADER_REPORT_ONLY))
    )


@pytest.mark.parametrize("view", [plain, with_nonce, updated, exempt, not_found])
def test_same_headers_as_django_csp(view):
    ours = headers(CachedCSPMiddleware, view)
    assert ours == headers(CSPMiddleware, view)
    if view is plain:
        assert "default-src 'self'" in ours[0] and "script-src 'self'" in ours[0]
    if view is with_nonce:
        assert "script-src 'self' 'nonce-N'" in ours[0]


def test_new_settings_are_followed_and_report_only_is_sent(settings):
    middleware = CachedCSPMiddleware(plain)
    request = RequestFactory().get("/")
    assert "img-src 'self' data:" in middleware(request)[HEADER]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {"default-src": ["'none'"], "script-src": ["'self'", NONCE]}
    }
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
        "DIRECTIVES": {"default-src": ["'self'"]},
        "EXCLUDE_URL_PREFIXES": ["/bo-qua/"],
    }
    response = middleware(RequestFactory().get("/"))
    assert set(response[HEADER].split("; ")) == {"default-src 'none'", "script-src 'self'"}
    assert response[HEADER_REPORT_ONLY] == "default-src 'self'"
    assert HEADER_REPORT_ONLY not in middleware(RequestFactory().get("/bo-qua/x"))
    assert headers(CachedCSPMiddleware, plain, "/bo-qua/x") == headers(CSPMiddleware, plain, "/bo-qua/x")


def test_a_nonce_asked_for_after_the_header_is_an_error():
    from csp.exceptions import CSPNonceError

    request = RequestFactory().get("/")
    CachedCSPMiddleware(plain)(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)
