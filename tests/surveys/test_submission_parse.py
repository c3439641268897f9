"""How a submission's body is read: the lean multipart cut and XML parser (OpenRosa), the form body (web)."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from thuocdo.surveys import services
from thuocdo.surveys.models import Invitation, Response
from thuocdo.surveys.openrosa import form_version, xml_part
from thuocdo.surveys.selectors import FrameEntry

from .conftest import full_sheet

pytestmark = pytest.mark.django_db
BOUNDARY = "----CollectBoundary7"


@pytest.fixture
def url(campaign):
    return f"/openrosa/key/{services.set_enumerator_key(campaign=campaign, actor='test')}/submission"


def sheet_xml(campaign, instance_id: str) -> bytes:
    answers = "".join(f"<{c}>{v}</{c}>" for c, v in full_sheet(4).items())
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><data id="{campaign.slug}" version="{form_version(campaign)}">'
        f"<stratum>S.TP</stratum>{answers}<meta><instanceID>{instance_id}</instanceID></meta></data>"
    ).encode()


def part(name: str, content: bytes, *, filename: str, ctype: str) -> bytes:
    # As ODK Collect (OkHttp) writes a part: its own Content-Type and Content-Length headers.
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {ctype}\r\nContent-Length: {len(content)}\r\n\r\n"
        ).encode()
        + content
        + b"\r\n"
    )


def send(client, url, body: bytes):
    return client.generic(
        "POST",
        url,
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        HTTP_X_OPENROSA_VERSION="1.0",
    )


def test_a_collect_sheet_is_stored_once_and_its_repeat_acknowledged(client, campaign, url):
    xml = sheet_xml(campaign, f"uuid:{uuid.uuid4()}")
    body = part("xml_submission_file", xml, filename="s.xml", ctype="text/xml; charset=utf-8")
    body += f"--{BOUNDARY}--\r\n".encode()
    assert xml_part(f"multipart/form-data; boundary={BOUNDARY}", body) == xml
    assert send(client, url, body).status_code == 201
    again = send(client, url, body)
    assert again.status_code == 202 and "đã được nhận" in again.content.decode()
    assert Response.objects.count() == 1 and Response.objects.get().answers["A1"] == 4


def test_a_sheet_with_an_attachment_goes_through_the_full_parser(client, campaign, url):
    xml = sheet_xml(campaign, f"uuid:{uuid.uuid4()}")
    body = part("xml_submission_file", xml, filename="s.xml", ctype="text/xml")
    body += part(
        "photo.jpg", b"\xff\xd8\xff\xe0 not really a photo", filename="photo.jpg", ctype="image/jpeg"
    )
    body += f"--{BOUNDARY}--\r\n".encode()
    assert xml_part(f"multipart/form-data; boundary={BOUNDARY}", body) is None
    assert send(client, url, body).status_code == 201
    assert Response.objects.count() == 1


def test_a_cut_off_upload_is_refused_naming_the_part(client, campaign, url):
    xml = sheet_xml(campaign, f"uuid:{uuid.uuid4()}")
    whole = part("xml_submission_file", xml, filename="s.xml", ctype="text/xml")
    cut = send(client, url, whole[: len(whole) - 40])
    assert cut.status_code == 400 and "xml_submission_file" in cut.content.decode()
    no_blank_line = send(client, url, f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="x"'.encode())
    assert no_blank_line.status_code == 400 and "phần thứ nhất" in no_blank_line.content.decode()
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    "document",
    [
        # An entity expansion bomb, an external entity, and a DOCTYPE hidden in UTF-16.
        b'<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><data>&b;</data>',
        b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><data>&x;</data>',
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d [<!ENTITY a "x">]><data>&a;</data>'.encode(
            "utf-16"
        ),
    ],
    ids=["bomb", "external", "utf-16"],
)
def test_a_dtd_is_refused(client, url, document):
    body = part("xml_submission_file", document, filename="s.xml", ctype="text/xml")
    refused = send(client, url, body + f"--{BOUNDARY}--\r\n".encode())
    assert refused.status_code == 400 and "XML không hợp lệ" in refused.content.decode()
    assert not Response.objects.exists()


def test_broken_xml_in_the_lean_path_is_named(client, campaign, url):
    body = part("xml_submission_file", b"<data><A1>5</data>", filename="s.xml", ctype="text/xml")
    broken = send(client, url, body + f"--{BOUNDARY}--\r\n".encode())
    assert broken.status_code == 400 and "XML không hợp lệ" in broken.content.decode()
    assert "line 1" in broken.content.decode()  # where in the document


def test_the_web_form_body_reads_as_django_reads_it(client, campaign):
    """Percent-encoding, '+' and a repeated field (the last one counts) as QueryDict reads them."""
    frame = [FrameEntry("D1", "S.TP", "Sở Tư pháp")]
    services.draw_sample(campaign=campaign, frame=frame, actor="test", seed=1)
    token = services.invitation_token(Invitation.objects.get(campaign=campaign))
    fields = {**full_sheet(4), "A2": "3"}
    body = "&".join(f"{k}={v}" for k, v in fields.items() if k != "A1") + "&A1=%35&A2=5&note=m%E1%BB%99t+hai"
    sent = client.post(
        reverse("surveys:invitation", args=[token]), body, content_type="application/x-www-form-urlencoded"
    )
    assert sent.status_code == 302
    answers = Response.objects.get().answers
    assert answers["A1"] == 5 and answers["A2"] == 5
