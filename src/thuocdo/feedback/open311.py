"""Open311 GeoReport v2 at /open311/v2/, so existing civic apps can file and follow reports.

Follows the specification's resources (discovery, services, service definitions, requests, tokens),
formats (.json and .xml) and error bodies: a list of {code, description} with the HTTP status.
Filing needs an api_key issued to the client (stored hashed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from thuocdo.core.feedback import State
from thuocdo.feedback import selectors, services
from thuocdo.feedback.models import FeedbackCategory, Open311Client, Submission

OPEN = {s.value for s in State} - {State.PUBLISHED.value, State.CLOSED.value, State.REFUSED.value}
MAX_LIST = 1000


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        self.status = status
        self.description = description
        super().__init__(description)


def _render(payload: Any, fmt: str, *, root: str, item: str, status: int = 200) -> HttpResponse:
    if fmt == "json":
        return JsonResponse(payload, status=status, safe=False, json_dumps_params={"ensure_ascii": False})
    element = ET.Element(root)
    for entry in payload if isinstance(payload, list) else [payload]:
        _append(element, item, entry)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(element, encoding="utf-8")
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def _append(parent: ET.Element, tag: str, value: Any) -> None:
    node = ET.SubElement(parent, tag)
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if isinstance(inner, list):
                holder = ET.SubElement(node, key)
                for v in inner:
                    _append(holder, key.rstrip("s") or key, v)
            else:
                _append(node, key, inner)
    elif value is None:
        node.text = ""
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    else:
        node.text = str(value)


def _error(fmt: str, status: int, description: str) -> HttpResponse:
    return _render(
        [{"code": status, "description": description}], fmt, root="errors", item="error", status=status
    )


def _format(fmt: str) -> str:
    if fmt not in ("json", "xml"):
        raise Open311Error(400, "format must be json or xml")
    return fmt


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    endpoint = request.build_absolute_uri(reverse("open311:discovery", args=[fmt]).rsplit("/", 1)[0] + "/")
    payload = {
        "changeset": "2026-11-22T00:00:00+07:00",
        "contact": "Thước Đo — phản ánh, kiến nghị",
        "key_service": "Liên hệ quản trị hệ thống của tỉnh để được cấp api_key.",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": endpoint,
                "changeset": "2026-11-22T00:00:00+07:00",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    if fmt == "json":
        return JsonResponse(payload, json_dumps_params={"ensure_ascii": False})
    root = ET.Element("discovery")
    for key in ("changeset", "contact", "key_service"):
        ET.SubElement(root, key).text = str(payload[key])
    endpoints = ET.SubElement(root, "endpoints")
    for ep in payload["endpoints"]:
        node = ET.SubElement(endpoints, "endpoint")
        for key in ("specification", "url", "changeset", "type"):
            ET.SubElement(node, key).text = ep[key]
        formats = ET.SubElement(node, "formats")
        for f in ep["formats"]:
            ET.SubElement(formats, "format").text = f
    return HttpResponse(
        b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8"),
        content_type="text/xml; charset=utf-8",
    )


def _service(c: FeedbackCategory) -> dict[str, Any]:
    return {
        "service_code": c.code,
        "service_name": c.name,
        "description": c.description,
        "metadata": True,
        "type": "realtime",
        "keywords": c.classification,
        "group": c.get_classification_display(),
    }


def services_list(request: HttpRequest, fmt: str) -> HttpResponse:
    return _render([_service(c) for c in selectors.active_categories()], fmt, root="services", item="service")


def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    category = selectors.active_categories().filter(code=code).first()
    if category is None:
        return _error(fmt, 404, f"service_code {code} not found")
    attributes = [
        {
            "variable": True,
            "code": "dossier_code",
            "datatype": "string",
            "required": False,
            "datatype_description": "Số hồ sơ thủ tục hành chính (nếu có)",
            "order": 1,
            "description": "Số hồ sơ",
            "values": [],
        },
        {
            "variable": True,
            "code": "agency_code",
            "datatype": "string",
            "required": False,
            "datatype_description": "Mã định danh cơ quan liên quan",
            "order": 2,
            "description": "Cơ quan liên quan",
            "values": [],
        },
    ]
    payload = {"service_code": category.code, "attributes": attributes}
    return (
        _render(payload, fmt, root="service_definition", item="service_definition")
        if fmt == "json"
        else _render(payload, fmt, root="service_definitions", item="service_definition")
    )


def _request_view(s: Submission) -> dict[str, Any]:
    status = "open" if s.state in OPEN else "closed"
    return {
        "service_request_id": s.tracking_code,
        "status": status,
        "status_notes": s.answer_public if s.published_at else "",
        "service_name": s.category.name,
        "service_code": s.category.code,
        "description": s.title,
        "agency_responsible": s.agency.name if s.agency else "",
        "service_notice": "",
        "requested_datetime": _iso(s.submitted_at),
        "updated_datetime": _iso(s.published_at or s.answered_at or s.submitted_at),
        "expected_datetime": _iso(s.handle_by),
        "address": "",
        "address_id": "",
        "zipcode": "",
        "lat": s.latitude,
        "long": s.longitude,
        "media_url": "",
    }


def _client(api_key: str) -> Open311Client:
    if not api_key:
        raise Open311Error(403, "api_key is required")
    client = Open311Client.objects.filter(
        key_hash=hashlib.sha256(api_key.encode()).hexdigest(), is_active=True
    ).first()
    if client is None:
        raise Open311Error(403, "api_key is not valid")
    return client


def _float(value: str, name: str) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise Open311Error(400, f"{name} must be a decimal number") from None


@csrf_exempt
def requests_collection(request: HttpRequest, fmt: str) -> HttpResponse:
    try:
        _format(fmt)
        if request.method == "POST":
            return _create(request, fmt)
        if request.method != "GET":
            raise Open311Error(405, "method not allowed")
        return _render(
            [_request_view(s) for s in _filtered(request.GET)], fmt, root="service_requests", item="request"
        )
    except Open311Error as exc:
        return _error(fmt if fmt in ("json", "xml") else "json", exc.status, exc.description)


def _filtered(params: Mapping[str, str]) -> Iterable[Submission]:
    qs = Submission.objects.select_related("category", "agency").filter(is_spam=False)
    ids = [i for i in params.get("service_request_id", "").split(",") if i]
    if ids:
        return qs.filter(tracking_code__in=ids)[:MAX_LIST]
    if params.get("service_code"):
        qs = qs.filter(category__code__in=params["service_code"].split(","))
    start = parse_datetime(params.get("start_date", "")) if params.get("start_date") else None
    end = parse_datetime(params.get("end_date", "")) if params.get("end_date") else None
    if (params.get("start_date") and start is None) or (params.get("end_date") and end is None):
        raise Open311Error(400, "start_date and end_date must be w3c datetimes")
    now = timezone.now()
    # The specification's default window is the last 90 days.
    qs = qs.filter(
        submitted_at__gte=start or (end or now) - timezone.timedelta(days=90), submitted_at__lte=end or now
    )
    if params.get("status") == "open":
        qs = qs.filter(state__in=OPEN)
    elif params.get("status") == "closed":
        qs = qs.exclude(state__in=OPEN)
    return qs.order_by("-submitted_at")[:MAX_LIST]


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    client = _client(data.get("api_key", ""))
    code = data.get("service_code", "")
    if not code:
        raise Open311Error(400, "service_code is required")
    category = selectors.active_categories().filter(code=code).first()
    if category is None:
        raise Open311Error(404, f"service_code {code} not found")
    lat, lon = _float(data.get("lat", ""), "lat"), _float(data.get("long", ""), "long")
    address = data.get("address_string", "").strip()
    if (lat is None or lon is None) and not address and not data.get("address_id"):
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    description = data.get("description", "").strip()
    if not description:
        raise Open311Error(400, "description is required")
    agency_code = data.get("attribute[agency_code]", "").strip()
    agency = selectors.agency_by_code(agency_code) if agency_code else None
    if agency_code and agency is None:
        raise Open311Error(400, f"attribute[agency_code] {agency_code} is not a known agency")
    name = " ".join(p for p in (data.get("first_name", ""), data.get("last_name", "")) if p).strip()
    body = description if not address else f"{description}\n\nĐịa điểm: {address}"
    try:
        submission = services.submit_feedback(
            data=services.NewSubmission(
                title=description[:120],
                body=body,
                category=category,
                channel=Submission.Channel.OPEN311,
                agency=agency,
                dossier_code=data.get("attribute[dossier_code]", ""),
                latitude=lat,
                longitude=lon,
                contact_name=name,
                contact_phone=data.get("phone", ""),
                contact_email=data.get("email", ""),
                open311_client=client,
            ),
            now=timezone.now(),
        )
    except services.RateLimited as exc:
        raise Open311Error(429, str(exc)) from exc
    except services.FeedbackError as exc:
        raise Open311Error(400, f"{exc.field}: {exc}") from exc
    payload = [{"service_request_id": submission.tracking_code, "service_notice": "", "account_id": ""}]
    return _render(payload, fmt, root="service_requests", item="request", status=201)


def request_detail(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    submission = selectors.submission_by_code(code)
    if submission is None or submission.is_spam:
        return _error(fmt, 404, f"service_request_id {code} not found")
    return _render([_request_view(submission)], fmt, root="service_requests", item="request")


def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    # Requests are created synchronously, so a token is simply the request id.
    submission = selectors.submission_by_code(token)
    if submission is None:
        return _error(fmt, 404, f"token {token} not found")
    return _render(
        [{"service_request_id": submission.tracking_code, "token": token}],
        fmt,
        root="service_requests",
        item="request",
    )
