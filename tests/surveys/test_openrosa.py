"""OpenRosa as ODK Collect speaks it: form list, form download, HEAD pre-flight, submissions, duplicates, errors."""

from __future__ import annotations

import base64
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from thuocdo.surveys import services
from thuocdo.surveys.models import BurstWindow, Response
from thuocdo.surveys.openrosa import form_version

from .conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(campaign):
    return services.set_enumerator_key(campaign=campaign, actor="test")


def instance(campaign, *, instance_id=None, a1="5", stratum="S.TP", version=None, extra=""):
    groups = "".join(
        f"<{f.code}>"
        + "".join(
            f"<{c.code}>{a1 if c.code == 'A1' else 4}</{c.code}>" for c in f.criteria if c.asked_if is None
        )
        + f"</{f.code}>"
        for f in campaign.instrument.instrument.factors
    )
    return (
        f'<data xmlns:jr="http://openrosa.org/javarosa" id="{campaign.slug}" version="{version or form_version(campaign)}">'
        f"<start>2026-03-02T09:00:00.000+07:00</start><end>2026-03-02T09:06:00.000+07:00</end>"
        f"<stratum>{stratum}</stratum><F1>2</F1>{groups}{extra}"
        f"<meta><instanceID>{instance_id or 'uuid:' + str(uuid.uuid4())}</instanceID></meta></data>"
    ).encode()


def post(client, url, xml, **headers):
    return client.post(
        url, {"xml_submission_file": SimpleUploadedFile("submission.xml", xml, "text/xml")}, **headers
    )


def test_form_list_and_download_with_enumerator_key(client, campaign, key):
    listing = client.get(f"/openrosa/key/{key}/formList")
    assert listing.status_code == 200 and listing["X-OpenRosa-Version"] == "1.0"
    body = listing.content.decode()
    assert "<formID>sipas-2026</formID>" in body and re.search(r"<hash>md5:[0-9a-f]{32}</hash>", body)
    url = re.search(r"<downloadUrl>(.*?)</downloadUrl>", body).group(1)
    form = client.get(url.replace("http://testserver", ""))
    xml = form.content.decode()
    assert form.status_code == 200 and f'version="{form_version(campaign)}"' in xml
    assert "<instanceID/>" in xml and "Sở Tư pháp" in xml  # the stratum choice list
    assert client.get("/openrosa/key/sai-khoa/formList").content.count(b"<xform>") == 0


def test_head_preflight_and_submission_then_duplicate(client, campaign, key):
    head = client.head(f"/openrosa/key/{key}/submission")
    assert head.status_code == 204 and int(head["X-OpenRosa-Accept-Content-Length"]) > 0
    xml = instance(campaign, instance_id="uuid:11111111-2222-3333-4444-555555555555")
    first = post(client, f"/openrosa/key/{key}/submission", xml)
    assert first.status_code == 201 and b"OpenRosaResponse" in first.content
    again = post(client, f"/openrosa/key/{key}/submission", xml)
    assert again.status_code == 202  # acknowledged: Collect stops retrying, nothing stored twice
    assert Response.objects.count() == 1
    r = Response.objects.get()
    assert r.channel == "enumerator" and r.stratum == "S.TP" and r.answers["A1"] == 5 and r.flags == []


def test_errors_name_the_xml_path(client, campaign, key):
    url = f"/openrosa/key/{key}/submission"
    bad = post(client, url, instance(campaign, a1="9"))
    assert bad.status_code == 400 and "/data/A/A1" in bad.content.decode()
    no_id = post(
        client,
        url,
        instance(campaign).replace(b"<meta><instanceID>", b"<meta><x>").replace(b"</instanceID>", b"</x>"),
    )
    assert "/data/meta/instanceID" in no_id.content.decode()
    old = post(client, url, instance(campaign, version="cu"))
    assert old.status_code == 409 and "/data/@version" in old.content.decode()
    stratum = post(client, url, instance(campaign, stratum="KHAC"))
    assert "/data/stratum" in stratum.content.decode()
    broken = post(client, url, b"<data><A1>5</data>")
    assert broken.status_code == 400 and "XML không hợp lệ" in broken.content.decode()
    assert client.post(url, {}).status_code == 400
    assert not Response.objects.exists()


def test_basic_auth_challenge_and_staff_account(client, campaign, world):
    challenge = client.get("/openrosa/formList")
    assert challenge.status_code == 401 and challenge["WWW-Authenticate"].startswith("Basic")
    make_user("dtv", "counter_staff", agency=world["agencies"]["S.TP"])
    auth = "Basic " + base64.b64encode("dtv:mật-khẩu-dài-1234".encode()).decode()
    listing = client.get("/openrosa/formList", HTTP_AUTHORIZATION=auth)
    assert listing.status_code == 200 and b"sipas-2026" in listing.content
    assert (
        post(client, "/openrosa/submission", instance(campaign), HTTP_AUTHORIZATION=auth).status_code == 201
    )
    wrong = "Basic " + base64.b64encode(b"dtv:sai").decode()
    assert client.get("/openrosa/formList", HTTP_AUTHORIZATION=wrong).status_code == 401


def test_device_bursts_are_flagged_not_stored(client, campaign, key):
    for _ in range(services.DEVICE_BURST_PER_MINUTE + 1):
        xml = instance(campaign, extra="").replace(b"<meta>", b"<meta><deviceID>collect:abc123</deviceID>")
        assert post(client, f"/openrosa/key/{key}/submission", xml).status_code == 201
    flagged = sum("burst" in r.flags for r in Response.objects.all())
    assert flagged == 1
    assert "abc123" not in str(list(Response.objects.values())) + str(list(BurstWindow.objects.values()))
