"""The fast submission path: few statements, yet every change an official makes is seen at the next request."""

from __future__ import annotations

import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from thuocdo.surveys import selectors, services
from thuocdo.surveys.models import BurstWindow, Campaign, Invitation, Response
from thuocdo.surveys.openrosa import form_version
from thuocdo.surveys.selectors import FrameEntry

from .conftest import full_sheet

pytestmark = pytest.mark.django_db


def statements(queries) -> list[str]:
    """The statements of a request, without the savepoints the test transaction adds around it."""
    return [
        q["sql"].split()[0].upper()
        for q in queries
        if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))
    ]


def draw(campaign, n: int = 40) -> list[str]:
    frame = [FrameEntry(f"D{i}", "S.TP" if i % 2 else "X.BMT", "Cơ quan") for i in range(n)]
    services.draw_sample(campaign=campaign, frame=frame, actor="test", seed=5)
    return [services.invitation_token(i) for i in Invitation.objects.filter(campaign=campaign).order_by("id")]


def submission(campaign, stratum="S.TP", version=None, device="") -> dict:
    body = "".join(f"<{c}>{v}</{c}>" for c, v in full_sheet(4).items())
    body += f"<deviceID>{device}</deviceID>" if device else ""
    xml = (
        f'<data id="{campaign.slug}" version="{version or form_version(campaign)}"><stratum>{stratum}</stratum>'
        f"{body}<meta><instanceID>uuid:{uuid.uuid4()}</instanceID></meta></data>"
    ).encode()
    return {"xml_submission_file": SimpleUploadedFile("s.xml", xml, "text/xml")}


def odk(client, key, campaign, stratum="S.TP", version=None, device=""):
    return client.post(f"/openrosa/key/{key}/submission", submission(campaign, stratum, version, device))


def writes(guard: str) -> list[str]:
    """The write statements: one on PostgreSQL (guard and row in a data-modifying CTE), two elsewhere."""
    return ["WITH"] if connection.vendor == "postgresql" else [guard, "INSERT"]


def form_ref(client, token: str) -> str:
    """What the invitation form posts back besides the answers: "campaign.stratum" (its hidden `ref`)."""
    page = client.get(reverse("surveys:invitation", args=[token])).content.decode()
    match = re.search(r'name="ref" value="([0-9]+\.[0-9]+)"', page)
    assert match, "the invitation form carries its ref"
    return match[1]


def test_a_web_submission_from_its_form_is_one_write(client, campaign):
    tokens = draw(campaign)
    sheet = {**full_sheet(5), "ref": form_ref(client, tokens[1])}  # the form gives the worker its copy
    with CaptureQueriesContext(connection) as queries:
        sent = client.post(reverse("surveys:invitation", args=[tokens[1]]), sheet)
    assert sent.status_code == 302
    assert statements(queries.captured_queries) == writes("UPDATE")
    stored = Response.objects.get(answers__A1=5)
    assert stored.stratum == Invitation.objects.get(token_hash=selectors.sha256(tokens[1])).stratum.code


def test_a_web_submission_without_its_ref_reads_once_and_writes_once(client, campaign):
    tokens = draw(campaign)
    client.post(reverse("surveys:invitation", args=[tokens[0]]), full_sheet(4))  # the worker's copy is built
    sheet = full_sheet(5)
    with CaptureQueriesContext(connection) as queries:
        sent = client.post(reverse("surveys:invitation", args=[tokens[1]]), sheet)
    assert sent.status_code == 302
    assert statements(queries.captured_queries) == ["SELECT", *writes("UPDATE")]
    assert Response.objects.filter(answers__A1=5).count() == 1


def test_a_used_token_sent_again_with_its_ref_is_not_stored_twice(client, campaign):
    tokens = draw(campaign)
    ref = form_ref(client, tokens[0])
    url = reverse("surveys:invitation", args=[tokens[0]])
    assert client.post(url, {**full_sheet(), "ref": ref}).status_code == 302
    again = client.post(url, {**full_sheet(), "ref": ref})
    assert "đã được gửi" in again.content.decode() and Response.objects.count() == 1


def test_a_ref_naming_another_stratum_or_campaign_does_not_change_where_the_answer_counts(
    client, campaign, world
):
    tokens = draw(campaign)
    invitation = Invitation.objects.get(token_hash=selectors.sha256(tokens[0]))
    other = campaign.strata.exclude(pk=invitation.stratum_id).first()
    form_ref(client, tokens[0])
    url = reverse("surveys:invitation", args=[tokens[0]])
    assert client.post(url, {**full_sheet(), "ref": f"{campaign.pk}.{other.pk}"}).status_code == 302
    assert (
        client.post(
            reverse("surveys:invitation", args=[tokens[1]]), {**full_sheet(), "ref": "999999.1"}
        ).status_code
        == 302
    )
    assert [r.stratum for r in Response.objects.order_by("stratum")] == sorted(
        [invitation.stratum.code, Invitation.objects.get(token_hash=selectors.sha256(tokens[1])).stratum.code]
    )


def test_an_openrosa_submission_is_one_write_once_the_worker_knows_the_key(client, campaign):
    key = services.set_enumerator_key(campaign=campaign, actor="test")
    with CaptureQueriesContext(connection) as queries:
        assert odk(client, key, campaign).status_code == 201
    assert statements(queries.captured_queries)[0] == "SELECT"  # the first one reads the key's campaign
    data = submission(campaign)
    with CaptureQueriesContext(connection) as queries:
        assert client.post(f"/openrosa/key/{key}/submission", data).status_code == 201
    assert statements(queries.captured_queries) == writes("INSERT")
    assert Response.objects.count() == 2


def test_a_device_is_counted_by_the_same_write(client, campaign):
    key = services.set_enumerator_key(campaign=campaign, actor="test")
    assert odk(client, key, campaign, device="collect:abc123").status_code == 201
    data = submission(campaign, device="collect:abc123")
    with CaptureQueriesContext(connection) as queries:
        assert client.post(f"/openrosa/key/{key}/submission", data).status_code == 201
    # PostgreSQL: count, claim and row in one statement; elsewhere the count is a statement of its own.
    counted = [] if connection.vendor == "postgresql" else ["INSERT", "SELECT"]
    assert statements(queries.captured_queries) == [*counted, *writes("INSERT")]
    window = BurstWindow.objects.get()
    assert window.n == 2 and "abc123" not in window.name


def test_a_resent_sheet_counts_once_against_its_device(client, campaign):
    """The held write that finds the sheet already received is followed by a second attempt with the
    campaign read: the request still counts once."""
    key = services.set_enumerator_key(campaign=campaign, actor="test")
    data = submission(campaign, device="collect:abc123")
    xml = data["xml_submission_file"].read()
    for expected in (201, 202):
        sent = client.post(
            f"/openrosa/key/{key}/submission", {"xml_submission_file": SimpleUploadedFile("s.xml", xml)}
        )
        assert sent.status_code == expected
    assert BurstWindow.objects.get().n == 2 and Response.objects.count() == 1


def test_a_burst_is_counted_within_its_window_only(client, campaign, monkeypatch):
    key = services.set_enumerator_key(campaign=campaign, actor="test")
    name = services.BurstCount("device", "collect:abc123", limit=1).name()
    # A count from a window that has ended: the next submission starts the new window at one.
    BurstWindow.objects.create(name=name, until=1, n=services.DEVICE_BURST_PER_MINUTE + 5)
    BurstWindow.objects.create(name="device:old", until=2, n=1)
    monkeypatch.setattr(services, "PRUNE_EVERY", 1)  # windows that ended are deleted at the next count
    for _ in range(services.DEVICE_BURST_PER_MINUTE + 1):
        assert odk(client, key, campaign, device="collect:abc123").status_code == 201
    assert [w.n for w in BurstWindow.objects.all()] == [services.DEVICE_BURST_PER_MINUTE + 1]
    flagged = [r for r in Response.objects.all() if "burst" in r.flags]
    assert len(flagged) == 1 and Response.objects.count() == services.DEVICE_BURST_PER_MINUTE + 1


def test_a_new_enumerator_key_shuts_the_old_one_out_at_once(client, campaign):
    old = services.set_enumerator_key(campaign=campaign, actor="test")
    assert odk(client, old, campaign).status_code == 201
    services.set_enumerator_key(campaign=campaign, actor="test")
    assert odk(client, old, campaign).status_code == 404
    assert Response.objects.count() == 1


def test_a_resent_openrosa_sheet_is_acknowledged_once_the_worker_knows_the_key(client, campaign):
    key = services.set_enumerator_key(campaign=campaign, actor="test")
    assert odk(client, key, campaign).status_code == 201
    data = submission(campaign)
    xml = data["xml_submission_file"].read()
    first = client.post(
        f"/openrosa/key/{key}/submission", {"xml_submission_file": SimpleUploadedFile("s.xml", xml)}
    )
    again = client.post(
        f"/openrosa/key/{key}/submission", {"xml_submission_file": SimpleUploadedFile("s.xml", xml)}
    )
    assert (first.status_code, again.status_code) == (201, 202)
    assert Response.objects.count() == 2


def test_closing_a_campaign_stops_answers_at_once(client, campaign):
    tokens = draw(campaign)
    key = services.set_enumerator_key(campaign=campaign, actor="test")
    assert client.post(reverse("surveys:invitation", args=[tokens[0]]), full_sheet()).status_code == 302
    assert odk(client, key, campaign).status_code == 201
    ref = form_ref(client, tokens[1])  # a form opened before the campaign closes
    services.set_campaign_status(campaign=campaign, status=Campaign.Status.CLOSED, actor="test")
    page = client.post(reverse("surveys:invitation", args=[tokens[1]]), {**full_sheet(), "ref": ref})
    assert "không còn nhận phiếu" in page.content.decode()
    assert odk(client, key, campaign).status_code == 404
    assert (
        Response.objects.count() == 2
        and not Invitation.objects.get(token_hash=selectors.sha256(tokens[1])).used
    )


def test_new_strata_change_the_form_version_for_every_worker(client, campaign, world):
    key = services.set_enumerator_key(campaign=campaign, actor="test")
    old = form_version(campaign)
    assert (
        odk(client, key, campaign, stratum="S.TP").status_code == 201
    )  # the copy with the agencies as strata
    services.draw_sample(
        campaign=campaign,
        frame=[FrameEntry(f"K{i}", "KHOI-1", "Khối 1") for i in range(10)],
        actor="test",
        seed=1,
    )
    assert form_version(campaign) != old
    stale = odk(client, key, campaign, version=old)
    assert stale.status_code == 409 and "/data/@version" in stale.content.decode()
    assert odk(client, key, campaign, stratum="S.TP").status_code == 400  # no longer a stratum
    assert odk(client, key, campaign, stratum="KHOI-1").status_code == 201
    assert Response.objects.filter(stratum="KHOI-1", agency__isnull=True).count() == 1


def test_an_edit_in_the_admin_is_seen_at_the_next_request(client, campaign):
    url = reverse("surveys:open", args=[campaign.slug])
    assert client.get(url).status_code == 200
    campaign.open_link = False
    campaign.save()  # what the admin's change form does
    assert client.get(url).status_code == 404


def test_the_stamp_is_the_same_however_the_campaign_is_read(campaign):
    tokens = draw(campaign)
    state = selectors.invitation_state(tokens[0])
    by_token = selectors.campaign_snapshot(state.campaign_id, state.stamp)
    assert selectors.snapshot_of(campaign) is by_token  # one copy per worker, not one per way in
    assert selectors.campaign_state(campaign.slug)[0] is by_token


def test_answers_from_the_snapshot_point_at_the_evaluated_agency(client, campaign, world):
    r = services.submit_response(
        campaign=campaign, channel="open", raw=full_sheet(), today=campaign.starts_on, stratum="X.BMT"
    )
    assert Response.objects.get(pk=r.pk).agency == world["agencies"]["X.BMT"]


@pytest.mark.parametrize("prepared", [True, False])
def test_prepared_statements_can_be_turned_off(client, campaign, settings, prepared):
    settings.THUOCDO = {**settings.THUOCDO, "PREPARED_STATEMENTS": prepared}
    tokens = draw(campaign)
    assert client.post(reverse("surveys:invitation", args=[tokens[0]]), full_sheet()).status_code == 302
    again = client.post(reverse("surveys:invitation", args=[tokens[0]]), full_sheet())
    assert "đã được gửi" in again.content.decode() and Response.objects.count() == 1


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.parametrize("prepared", [True, False])
def test_the_submission_statements_are_planned_once_per_connection(client, campaign, settings, prepared):
    """Django opens psycopg connections with automatic preparation off, which also silently ignored
    `prepare=True`: the statements were planned on every request. Now they are prepared, unless turned off."""
    if connection.vendor != "postgresql":
        pytest.skip("server-side prepared statements are PostgreSQL's")
    settings.THUOCDO = {**settings.THUOCDO, "PREPARED_STATEMENTS": prepared}
    key = services.set_enumerator_key(campaign=campaign, actor="test")
    before = prepared_statements()
    assert odk(client, key, campaign).status_code == 201 and odk(client, key, campaign).status_code == 201
    added = [s for s in prepared_statements() if s not in before]
    if prepared:
        assert any(s.startswith("WITH guard AS (INSERT INTO") for s in added), added
    else:
        assert added == []
