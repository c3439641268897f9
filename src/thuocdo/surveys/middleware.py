"""django-csp's middleware without rebuilding the same policy on every response.

django-csp 4 builds the Content-Security-Policy header twice per response (policy and report-only) from
the settings, through dataclasses.asdict: a fifth of the time of a trivial request here, and about 7 % of
a survey submission (docs/surveys/collection.md, "Speed"). When a response has no per-view override
(csp_update / csp_replace / csp decorators) and the page used no nonce, the header depends on the settings
alone, so it is built once per settings object. Anything else goes through django-csp unchanged.
To use it, replace "csp.middleware.CSPMiddleware" with "thuocdo.surveys.middleware.CachedCSPMiddleware".
"""

from __future__ import annotations

import http.client
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

_OVERRIDES = (
    "_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro",
)  # fmt: skip


class CachedCSPMiddleware(CSPMiddleware):
    """CSPMiddleware that reuses the header built from the settings while they stay the same object."""

    _built: tuple[Any, Any, str, str] | None = None

    def _policies(self) -> tuple[str, str]:
        config = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        config_ro = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        built = self._built
        if built is None or built[0] is not config or built[1] is not config_ro:
            csp = build_policy(config=None, update=None, replace=None, nonce=None)
            csp_ro = build_policy(config=None, update=None, replace=None, nonce=None, report_only=True)
            built = self._built = (config, config_ro, csp, csp_ro)
        return built[2], built[3]

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(hasattr(response, a) for a in _OVERRIDES):
            return super().process_response(request, response)
        if (
            response.status_code in (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND)
            and settings.DEBUG
        ):
            return response
        csp, csp_ro = self._policies()
        for value, header, exempt, setting in (
            (csp, HEADER, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (csp_ro, HEADER_REPORT_ONLY, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            if not value or header in response or getattr(response, exempt, False) is not False:
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = value
        # As django-csp does: a nonce asked for after the header was written is an error, not a silent gap.
        setattr(request, "csp_nonce", CheckableLazyObject(self._csp_nonce_post_response))  # noqa: B010
        return response
