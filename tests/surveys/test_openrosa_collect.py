"""The request sequence of ODK Collect against a server URL (docs.getodk.org: OpenRosa Form List API,
Form Submission API, HTTP Requests and Responses; ODK Central's OpenRosa endpoints):

1. GET {server}/formList with X-OpenRosa-Version: 1.0 → xforms list: formID, name, version, hash, downloadUrl;
2. GET the downloadUrl → the XForm whose md5 is the listed hash;
3. fill the form's primary instance (meta/instanceID, start, end, deviceID), HEAD {server}/submission → 204
   with X-OpenRosa-Accept-Content-Length; POST multipart with the part `xml_submission_file` → 201 and an
   OpenRosaResponse; sending again → 202 (not stored twice); an edit (meta/deprecatedID) is refused.
Every reply carries X-OpenRosa-Version and Date.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from xml.etree import ElementTree as ET

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.utils.http import parse_http_date

from thuocdo.surveys import openrosa, selectors, services
from thuocdo.surveys.models import Response

pytestmark = pytest.mark.django_db

XF = "{http://www.w3.org/2002/xforms}"
LIST = "{http://openrosa.org/xforms/xformsList}"
RESPONSE = "{http://openrosa.org/http/response}"
COLLECT = {"HTTP_X_OPENROSA_VERSION": "1.0", "HTTP_DATE": "Mon, 02 Mar 2026 02:00:00 GMT",
           "HTTP_USER_AGENT": "org.odk.collect.android/v2025.2.1 okhttp/4.12.0"}  # fmt: skip


def openrosa_headers(reply) -> None:
    assert reply["X-OpenRosa-Version"] == "1.0"
    assert parse_http_date(reply["Date"]) > 0


def fill(xform: bytes, values: dict[str, str]) -> tuple[bytes, ET.Element]:
    """The form's primary instance with values filled in by element name, as Collect saves it."""
    root = ET.fromstring(xform)
    instance = root.find(f".//{XF}model/{XF}instance")
    data = next(iter(instance))
    for node in data.iter():
        name = node.tag.split("}")[-1]
        if name in values:
            node.text = values[name]
    return ET.tostring(data, encoding="utf-8"), data


@pytest.fixture
def server(campaign):
    return f"/openrosa/key/{services.set_enumerator_key(campaign=campaign, actor='test')}"


def test_collect_lists_downloads_fills_and_submits(client, campaign, server):
    listing = client.get(f"{server}/formList", **COLLECT)
    assert listing.status_code == 200 and listing["Content-Type"].startswith("text/xml")
    openrosa_headers(listing)
    forms = ET.fromstring(listing.content).findall(f"{LIST}xform")
    assert [f.findtext(f"{LIST}formID") for f in forms] == [campaign.slug]
    form = forms[0]
    url = form.findtext(f"{LIST}downloadUrl")
    assert url.startswith("http://testserver/openrosa/key/")
    xform = client.get(url.removeprefix("http://testserver"), **COLLECT)
    openrosa_headers(xform)
    assert form.findtext(f"{LIST}hash") == "md5:" + hashlib.md5(xform.content).hexdigest()  # noqa: S324

    answers = {c.code: "4" for c in campaign.instrument.instrument.criteria if c.asked_if is None}
    instance_id = f"uuid:{uuid.uuid4()}"
    body, data = fill(xform.content, {**answers, "stratum": "S.TP", "F1": "2", "instanceID": instance_id,
        "start": "2026-03-02T09:00:00.000+07:00", "end": "2026-03-02T09:07:30.000+07:00",
        "deviceID": "collect:Xk2sR0a1b2c3"})  # fmt: skip
    assert data.get("id") == campaign.slug and data.get("version") == form.findtext(f"{LIST}version")
    assert (
        data.find(f".//{XF}deviceID") is not None
    )  # the form asks for it: bursts from one device are counted

    head = client.head(f"{server}/submission", **COLLECT)
    assert head.status_code == 204 and int(head["X-OpenRosa-Accept-Content-Length"]) >= 10_000_000
    openrosa_headers(head)

    def send(xml: bytes):
        part = SimpleUploadedFile(f"{campaign.slug}_2026-03-02_09-07-30.xml", xml, "text/xml")
        return client.post(f"{server}/submission", {"xml_submission_file": part}, **COLLECT)

    sent = send(body)
    assert sent.status_code == 201
    openrosa_headers(sent)
    message = ET.fromstring(sent.content).find(f"{RESPONSE}message")
    assert message is not None and message.get("nature") == "submit_success"
    assert send(body).status_code == 202
    assert Response.objects.count() == 1
    stored = Response.objects.get()
    assert stored.answers["A1"] == 4 and "deviceID" not in str(stored.answers) + str(stored.demographics)

    # Editing the sent form in Collect gives a new instanceID and names the old one in deprecatedID.
    edited = body.replace(instance_id.encode(), f"uuid:{uuid.uuid4()}".encode()).replace(
        b"</instanceID>", f"</instanceID><deprecatedID>{instance_id}</deprecatedID>".encode()
    )
    refused = send(edited)
    assert refused.status_code == 409 and "/meta/deprecatedID" in refused.content.decode()
    assert Response.objects.count() == 1


def test_a_chunked_upload_is_read(campaign, server):
    """The Form Submission API: servers MUST accept HTTP/1.1 chunked transfer encoding (no Content-Length)."""
    client_xml = (
        f'<data id="{campaign.slug}" version="{openrosa.form_version(campaign)}"><stratum>S.TP</stratum><F1>2</F1>'
        + "".join(
            f"<{c.code}>5</{c.code}>" for c in campaign.instrument.instrument.criteria if c.asked_if is None
        )
        + f"<meta><instanceID>uuid:{uuid.uuid4()}</instanceID></meta></data>"
    ).encode()
    boundary = "ChunkyBoundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="xml_submission_file"; filename="s.xml"\r\n'
            f"Content-Type: text/xml\r\n\r\n"
        ).encode()
        + client_xml
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = RequestFactory().generic(
        "POST", f"{server}/submission", b"-", content_type=f"multipart/form-data; boundary={boundary}"
    )
    request.META.pop("CONTENT_LENGTH", None)
    request.META["HTTP_TRANSFER_ENCODING"] = "chunked"
    request.META["wsgi.input"] = io.BytesIO(body)  # as gunicorn hands it over: already de-chunked
    reply = openrosa.submission(request, key=server.rsplit("/", 1)[1])
    assert reply.status_code == 201, reply.content.decode()
    assert Response.objects.count() == 1


def test_an_oversized_chunked_upload_is_refused_even_when_the_worker_holds_the_campaign(
    campaign, server, monkeypatch
):
    """A held attempt that does not store is asked again with the read: the second look at a body already
    found too large must still say so (the stream cannot be read twice)."""
    key = server.rsplit("/", 1)[1]
    assert openrosa.submission(RequestFactory().head(f"{server}/submission"), key=key).status_code == 204
    assert selectors.held_campaign_for_key(key) is not None  # the HEAD read the key's campaign
    monkeypatch.setattr(openrosa, "MAX_BODY", 1000)
    request = RequestFactory().generic(
        "POST", f"{server}/submission", b"-", content_type="multipart/form-data; boundary=b"
    )
    request.META.pop("CONTENT_LENGTH", None)
    request.META["HTTP_TRANSFER_ENCODING"] = "chunked"
    request.META["wsgi.input"] = io.BytesIO(b"x" * 1500)  # a second read would find 499 bytes left
    reply = openrosa.submission(request, key=key)
    assert reply.status_code == 413, reply.content.decode()
    assert Response.objects.count() == 0
