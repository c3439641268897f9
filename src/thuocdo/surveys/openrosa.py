"""OpenRosa server for ODK Collect, KoboCollect and Enketo: form list, form download, submission.

Two ways in. A campaign's enumerator key in the path (/openrosa/key/<key>/…, as ODK Central's app users
do) lists only that campaign. Without a key, HTTP Basic (over HTTPS) with a staff account holding the
data-entry right lists the open campaigns in the account's scope; Digest is not supported yet.
Duplicates (same meta/instanceID) are acknowledged with 202 and not stored again, as the ODK spec says.
An edited sheet (meta/deprecatedID naming a sheet already received) is refused with 409: answers are not
linked to their instanceID, so the first one cannot be replaced and the edit would count twice.
Errors name the XML path. The device id is used, hashed, for burst detection only and never stored with
an answer (its count lives in BurstWindow as long as its one-minute window).
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import time
from datetime import datetime
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from django.contrib.auth import authenticate
from django.core.cache import cache
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils.http import http_date
from django.views.decorators.csrf import csrf_exempt

from thuocdo.accounts.selectors import ENTER_DATA, scope_for
from thuocdo.shared.clock import local_today
from thuocdo.surveys import selectors, services
from thuocdo.surveys.models import Campaign, Channel, SeenKey
from thuocdo.surveys.selectors import CampaignSnapshot
from thuocdo.surveys.xlsform import STRATUM_FIELD, xform_xml

MAX_BODY = 10 * 1024 * 1024
REALM = "Thuoc Do OpenRosa"  # header values must be ASCII
_FORMS: dict[tuple[int, str], str] = {}  # (campaign id, form version) → XForm; a version is content-addressed


_date: tuple[int, str] = (0, "")  # the Date header of the current second (formatting it cost 3 µs a response)


def _http_date() -> str:
    global _date  # one tuple swapped whole: threads see the old second or the new one
    now = int(time.time())
    held = _date
    if held[0] != now:
        held = _date = (now, http_date(now))
    return held[1]


def _headers(response: HttpResponse) -> HttpResponse:
    response["X-OpenRosa-Version"] = "1.0"
    response["X-OpenRosa-Accept-Content-Length"] = str(MAX_BODY)
    response["Date"] = _http_date()
    return response


def _message(text: str, status: int) -> HttpResponse:
    body = f'<OpenRosaResponse xmlns="http://openrosa.org/http/response"><message nature="{"submit_success" if status < 300 else "error"}">{escape(text)}</message></OpenRosaResponse>'
    # The charset given, not parsed back out of the content type for every response.
    response = HttpResponse(
        body.encode(), status=status, content_type="text/xml; charset=utf-8", charset="utf-8"
    )
    return _headers(response)


def _challenge() -> HttpResponse:
    response = _message("Cần đăng nhập (HTTP Basic qua HTTPS).", 401)
    response["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    return response


def _basic_user(request: HttpRequest) -> Any | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.lower().startswith("basic "):
        return None
    # Password hashing (argon2) costs ~50 ms: a verified header is remembered, hashed, for five minutes.
    memo = "thuocdo:or-auth:" + hashlib.sha256(header.encode()).hexdigest()
    user_id = cache.get(memo)
    from thuocdo.accounts.models import User

    if user_id is not None:
        return User.objects.filter(pk=user_id, is_active=True).first()
    try:
        username, _sep, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    user = authenticate(request, username=username, password=password)
    if user is None or scope_for(user, ENTER_DATA).is_empty:
        return None
    cache.set(memo, user.pk, 300)
    return user


def _campaigns(request: HttpRequest, key: str | None) -> list[CampaignSnapshot] | None:
    """Open campaigns the caller may use, or None when authentication is needed."""
    if key is not None:
        campaign = selectors.open_campaign_for_key(key)
        return [campaign] if campaign is not None else []
    user = _basic_user(request)
    if user is None:
        return None
    scope = scope_for(user, ENTER_DATA)
    out = []
    for row in (
        Campaign.objects.select_related("instrument")
        .defer(selectors.NO_DOCUMENT)
        .prefetch_related("agencies")
        .filter(status=Campaign.Status.OPEN)
        .order_by("slug")
    ):
        agencies = list(row.agencies.all())
        if scope.national or not agencies or any(scope.contains_agency(a) for a in agencies):
            out.append(selectors.snapshot_of(row))
    return out


def form_version(campaign: Campaign) -> str:
    """Changes whenever the instrument or the list of strata changes, so Collect fetches the new form."""
    return selectors.snapshot_of(campaign).form_version


def form_xml(campaign: CampaignSnapshot) -> tuple[str, str]:
    """(version, XForm XML) of a campaign's form, generated once per version."""
    version = campaign.form_version
    xml = _FORMS.get((campaign.id, version))
    if xml is None:
        xml = xform_xml(
            campaign.instrument, form_id=campaign.slug, form_version=version, strata=campaign.strata
        )
        _FORMS[(campaign.id, version)] = xml
    return version, xml


def _base(key: str | None) -> str:
    return f"key/{key}/" if key else ""


def form_list(request: HttpRequest, key: str | None = None) -> HttpResponse:
    """GET formList: the xformsList of the campaigns open to the caller."""
    campaigns = _campaigns(request, key)
    if campaigns is None:
        return _challenge()
    wanted = request.GET.get("formID")
    items = []
    for campaign in campaigns:
        if wanted and wanted != campaign.slug:
            continue
        version, xml = form_xml(campaign)
        url = request.build_absolute_uri(
            reverse("openrosa:key_form", args=[key, campaign.slug])
            if key
            else reverse("openrosa:form", args=[campaign.slug])
        )
        items.append(
            f"<xform><formID>{escape(campaign.slug)}</formID><name>{escape(campaign.name)}</name>"
            f"<version>{version}</version><hash>md5:{hashlib.md5(xml.encode()).hexdigest()}</hash>"  # noqa: S324 - the spec's checksum
            f"<downloadUrl>{escape(url)}</downloadUrl></xform>"
        )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><xforms xmlns="http://openrosa.org/xforms/xformsList">'
        + "".join(items)
        + "</xforms>"
    )
    return _headers(HttpResponse(body, content_type="text/xml; charset=utf-8"))


def form_download(request: HttpRequest, slug: str, key: str | None = None) -> HttpResponse:
    """GET the XForm of one campaign."""
    campaigns = _campaigns(request, key)
    if campaigns is None:
        return _challenge()
    campaign = next((c for c in campaigns if c.slug == slug), None)
    if campaign is None:
        return _message("Không có biểu mẫu này.", 404)
    _version, xml = form_xml(campaign)
    return _headers(HttpResponse(xml, content_type="text/xml; charset=utf-8"))


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def _dechunk(request: HttpRequest) -> bool:
    """Read a chunked body (the Form Submission API requires servers to accept HTTP/1.1 chunked uploads);
    Django parses multipart only with a Content-Length. False when it is longer than MAX_BODY."""
    meta = request.META
    if getattr(request, "_thuocdo_too_large", False):  # asked again after a held attempt (submission)
        return False
    if meta.get("CONTENT_LENGTH") or "chunked" not in meta.get("HTTP_TRANSFER_ENCODING", "").lower():
        return True
    body = meta["wsgi.input"].read(MAX_BODY + 1)  # the server (gunicorn) has already removed the chunking
    if len(body) > MAX_BODY:
        request._thuocdo_too_large = True  # type: ignore[attr-defined]
        return False
    meta["CONTENT_LENGTH"] = str(len(body))
    request._stream = LimitedStream(io.BytesIO(body), len(body))  # type: ignore[attr-defined]
    return True


# Reading a submission ---------------------------------------------------------------------------------
# A sheet without attachments is one multipart part, a few KB of XML. Django's multipart parser (a
# streaming parser for uploads of any size) and defusedxml's pure-Python XML parser were a third of the
# CPU of such a submission, so that common case is cut out of the body directly and parsed by the C
# ElementTree; anything else (attachments, a preamble, an encoded part, a large body) goes to Django's parser.

LEAN_MAX = 1024 * 1024  # larger bodies carry attachments: streamed by Django's parser, not read whole
_BOUNDARY = re.compile(r'boundary=(?:"([^"]+)"|([^";\s]+))', re.IGNORECASE)
_PART_NAME = re.compile(rb'^content-disposition:[^\r\n]*?;\s*name="([^"]*)"', re.IGNORECASE | re.MULTILINE)


class _BadMultipart(ValueError):
    """A multipart body that cannot be read; the message names the part."""


def xml_part(content_type: str, body: bytes) -> bytes | None:
    """The `xml_submission_file` part of a multipart body that holds that part alone; None for any other
    body (Django's parser reads it). Raises _BadMultipart, naming the part, when the part is cut short."""
    match = _BOUNDARY.search(content_type)
    if match is None or not content_type.lower().startswith("multipart/form-data"):
        return None
    delimiter = b"--" + (match[1] or match[2]).encode("latin-1")
    if not body.startswith(delimiter + b"\r\n"):
        return None
    head_start = len(delimiter) + 2
    head_end = body.find(b"\r\n\r\n", head_start)
    if head_end < 0:
        raise _BadMultipart("phần thứ nhất không có dòng trống sau tiêu đề (headers).")
    headers = body[head_start:head_end]
    name = _PART_NAME.search(headers)
    if name is None or name[1] != b"xml_submission_file" or b"content-transfer-encoding" in headers.lower():
        return None
    end = body.find(b"\r\n" + delimiter, head_end + 4)
    if end < 0:
        # A cut-off upload: storing what arrived could keep a truncated sheet.
        raise _BadMultipart(
            "phần xml_submission_file không kết thúc bằng ranh giới multipart (tải lên bị cắt?)."
        )
    if not body.startswith(b"--", end + 2 + len(delimiter)):
        return None  # more parts follow (attachments)
    return body[head_end + 4 : end]


def _submission_xml(request: HttpRequest) -> bytes | None:
    """The bytes of the submitted XML: the lean cut for a lone XML part, else Django's multipart parser."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if length.isdigit() and int(length) <= LEAN_MAX:
        data = xml_part(request.META.get("CONTENT_TYPE", ""), request.body)
        if data is not None:
            return data
    upload = request.FILES.get("xml_submission_file")
    if upload is None:
        return None
    data: bytes = upload.read(MAX_BODY + 1)  # longer than MAX_BODY is refused by the caller
    return data


def parse_xml(data: bytes) -> ElementTree.Element:
    """Parse a submission with the C ElementTree, refusing any DTD (hence any entity: no expansion bomb, no
    external fetch). Read as UTF-8 unless expat sees a UTF-16 byte-order mark or NUL bytes, both refused, so
    that a DOCTYPE cannot hide from the byte search in another encoding."""
    if b"<!DOCTYPE" in data or b"\x00" in data or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ElementTree.ParseError("chỉ nhận XML UTF-8 không có DOCTYPE.")
    parser = ElementTree.XMLParser(encoding="utf-8")  # noqa: S314 - no DTD gets this far (above)
    parser.feed(data)
    return parser.close()


@csrf_exempt
def submission(request: HttpRequest, key: str | None = None) -> HttpResponse:
    """HEAD: 204 pre-flight. POST multipart with xml_submission_file: 201 stored, 202 duplicate, 4xx with the XML path."""
    if key is not None and request.method == "POST":
        # Without the read when this worker holds the key's campaign (selectors.Held): only a stored sheet
        # is answered from that attempt; anything else is asked again below, with the campaign read.
        held = selectors.held_campaign_for_key(key)
        if held is not None:
            response = _receive(request, [held.snapshot], held=held)
            if response.status_code == 201:
                return response
    campaigns = _campaigns(request, key)
    if campaigns is None:
        return _challenge()
    if key is not None and not campaigns:
        return _message("Khóa điều tra viên không đúng hoặc đợt khảo sát đã kết thúc.", 404)
    if request.method == "HEAD":
        return _headers(HttpResponse(status=204))
    if request.method != "POST":
        return _message("Chỉ nhận HEAD hoặc POST.", 405)
    return _receive(request, campaigns)


def _burst(request: HttpRequest, device: str) -> services.BurstCount | bool:
    """This submission's count against its device's burst limit, one per request: a held attempt that
    did not store its sheet is followed by a second one, which must not count again."""
    if not device:
        return False
    count: services.BurstCount | None = getattr(request, "_thuocdo_burst", None)
    if count is None:
        count = request._thuocdo_burst = services.BurstCount(  # type: ignore[attr-defined]
            "device", device, limit=services.DEVICE_BURST_PER_MINUTE
        )
    return count


def _receive(
    request: HttpRequest, campaigns: list[CampaignSnapshot], held: selectors.Held | None = None
) -> HttpResponse:
    """Read, check and store one submitted sheet for one of these campaigns."""
    if not _dechunk(request):
        return _message("Phiếu quá lớn.", 413)
    try:
        data = _submission_xml(request)
    except (_BadMultipart, MultiPartParserError) as exc:
        return _message(f"Yêu cầu multipart không hợp lệ: {exc}", 400)
    if data is None:
        return _message("Thiếu phần xml_submission_file trong yêu cầu multipart.", 400)
    if len(data) > MAX_BODY:
        return _message("Phiếu quá lớn.", 413)
    try:
        root = parse_xml(data)
    except ElementTree.ParseError as exc:
        return _message(f"XML không hợp lệ: {exc}", 400)
    tag = root.tag.split("}")[-1]
    form_id = root.get("id", "")
    campaign = next((c for c in campaigns if c.slug == form_id), None)
    if campaign is None:
        return _message(f"/{tag}/@id: không có biểu mẫu «{form_id}» đang nhận phiếu.", 404)
    version = campaign.form_version
    if root.get("version", "") != version:
        return _message(
            f"/{tag}/@version: phiên bản «{root.get('version', '')}» đã cũ; hãy tải lại biểu mẫu ({version}).",
            409,
        )
    values: dict[str, str] = {}
    paths: dict[str, str] = {}

    def walk(node: Any, path: str) -> None:
        for child in node:
            name = child.tag.split("}")[-1]
            child_path = f"{path}/{name}"
            if len(child):
                walk(child, child_path)
            else:
                values[name] = (child.text or "").strip()
                paths[name] = child_path

    walk(root, f"/{tag}")
    instance_id = values.get("instanceID", "")
    if not instance_id:
        return _message(f"/{tag}/meta/instanceID: thiếu mã phiếu.", 400)
    deprecated = values.get("deprecatedID", "")
    if deprecated and selectors.key_seen(campaign.id, SeenKey.Kind.INSTANCE, f"{campaign.id}:{deprecated}"):
        # An edit of a sheet already received (ODK "deprecatedID"). Answers are kept unlinked from their
        # instanceID (anonymity), so the received sheet cannot be replaced: refuse rather than count twice.
        return _message(
            f"{paths.get('deprecatedID', f'/{tag}/meta/deprecatedID')}: phiếu «{deprecated}» đã được nhận; "
            "không thể sửa phiếu đã gửi. Nếu cần sửa, hãy báo người quản lý đợt khảo sát.",
            409,
        )
    stratum = values.get(STRATUM_FIELD, "")
    if stratum not in campaign.agency_of:
        return _message(
            f"{paths.get(STRATUM_FIELD, f'/{tag}/{STRATUM_FIELD}')}: cơ quan «{stratum}» không thuộc đợt khảo sát.",
            400,
        )
    start, end = _parse_time(values.get("start", "")), _parse_time(values.get("end", ""))
    seconds = (end - start).total_seconds() if start and end else None
    burst = _burst(request, values.get("deviceID", ""))
    instrument = campaign.instrument
    raw = {c.code: values[c.code] for c in instrument.criteria if values.get(c.code)}
    raw.update({q.code: values[q.code] for q in instrument.questions if values.get(q.code)})
    try:
        services.submit_response(
            campaign=campaign, channel=Channel.ENUMERATOR, raw=raw, today=local_today(), stratum=stratum,
            dedupe=(SeenKey.Kind.INSTANCE, f"{campaign.id}:{instance_id}"), seconds=seconds, burst=burst, held=held,
        )  # fmt: skip
    except services.Unconfirmed:
        return _message("Đợt khảo sát cần được đọc lại.", 409)  # only after a held attempt, which is retried
    except services.Duplicate:
        return _message("Phiếu này đã được nhận trước đó.", 202)
    except services.InvalidAnswers as exc:
        code, text = next(iter(exc.errors.items()))
        return _message(f"{paths.get(code, f'/{tag}/{code}')}: {text}", 400)
    except services.SurveyError as exc:
        return _message(str(exc), 400)
    return _message("Đã nhận phiếu. Xin cảm ơn!", 201)
