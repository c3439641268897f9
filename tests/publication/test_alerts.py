"""E-mail alert digests: contents equal the index engine, one digest per period, opt-out, scope, the settings page."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command

from tests.indices.conftest import dossiers, official, province  # noqa: F401 (fixtures)
from thuocdo.accounts.models import AlertSubscription, Role, RoleAssignment
from thuocdo.core.dossier import VN_TZ
from thuocdo.indices import selectors
from thuocdo.publication import alerts, services
from thuocdo.units.models import Agency

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dossiers")]
NOW = datetime(2025, 11, 12, 8, 30, tzinfo=VN_TZ)  # a Wednesday, mid-month


@pytest.fixture
def head(django_user_model):  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user(
        "giamdoc", email="giamdoc@sotuphap.vn", password="mat-khau-dai-123", full_name="Nguyễn Thị Giám Đốc"
    )
    RoleAssignment.objects.create(user=user, role=Role.AGENCY_HEAD, agency=Agency.objects.get(code="H66.01"))
    return user


@pytest.fixture
def analyst(django_user_model):  # type: ignore[no-untyped-def]
    user = django_user_model.objects.create_user("phantich", email="pt@tinh.vn", password="mat-khau-dai-123")
    from thuocdo.units.models import AdminUnit

    RoleAssignment.objects.create(
        user=user,
        role=Role.ANALYST,
        unit=AdminUnit.objects.get(structure="2025", level="province", code="66"),
    )
    return user


def _send(*extra: str, now: datetime = NOW) -> None:
    call_command(
        "alerts", "send", "--now", now.isoformat(), "--base-url", "https://thuocdo.daklak.gov.vn", *extra
    )


def test_digest_lists_drops_deadlines_and_targets_as_the_engine_computes_them(analyst):
    services.set_target(
        measure="index766",
        threshold=Decimal(99),
        target_year=2025,
        label="Chỉ số 766 đạt tối thiểu 99 điểm",
        effective_from=date(2025, 1, 1),
    )
    sub = AlertSubscription.objects.create(user=analyst, drop_threshold=Decimal("0.01"), horizon_days=5)
    digest = alerts.build_digest(sub, now=NOW, base_url="https://x.vn")
    assert digest is not None and digest.scope.key == "province:66"  # the analyst's own scope by default
    # Drops: every indicator that lost at least the threshold, October → November so far.
    cur = selectors.index_for("province:66", "2025-11", NOW).result
    prev = selectors.index_for("province:66", "2025-10", NOW).result
    expected = {
        i.id
        for i in cur.indicators.values()
        if not i.excluded
        and not prev.indicators[i.id].excluded
        and prev.indicators[i.id].points - i.points >= Decimal("0.01")
        and i.max_points
    }
    assert {d.indicator for d in digest.drops if d.indicator} == expected
    # Near the deadline: as many as the engine finds turning late before the 5th working day ends.
    scope = selectors.resolve_scope("province:66")
    until = digest.horizon_until
    # Wednesday 12/11 + 5 working days = Wednesday 19/11, to the end of that day.
    assert until is not None and digest.horizon_last_day == date(2025, 11, 19)
    assert (
        digest.at_risk_total
        == selectors.overdue_dossiers(scope, now=NOW, horizon=until - NOW, limit=10**6).count()
    )
    assert digest.overdue == selectors.overdue_dossiers(scope, now=NOW, limit=10**6).count()
    assert digest.overdue + digest.at_risk_total > 0
    # Targets: the published 99-point target is missed by the projection.
    miss = next(m for m in digest.misses if m.source == "published")
    assert miss.threshold == 99 and miss.projected < 99
    subject, text, html = alerts.render_digest(digest)
    assert "Tỉnh Đắk Lắk" in subject
    assert "Chỉ số 766 đạt tối thiểu 99 điểm" in text and "Chỉ số 766 đạt tối thiểu 99 điểm" in html
    assert "https://x.vn/chi-so/766/tre-han/?unit=province%3A66&period=2025-11" in text
    assert "đến hết ngày 19/11/2025" in text
    for r in digest.at_risk[:3]:
        assert r.dossier in text and r.dossier in html


def test_running_twice_sends_once_per_period_with_text_and_html(head):
    AlertSubscription.objects.create(user=head, horizon_days=30, drop_threshold=Decimal(0))
    _send()
    _send(now=NOW + timedelta(hours=3))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["giamdoc@sotuphap.vn"]
    assert "Sở Tư pháp" in message.subject
    assert "Kính gửi Nguyễn Thị Giám Đốc" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html" and "<html" in html
    assert AlertSubscription.objects.get(user=head).last_sent_key == "2025-11-12"
    _send(now=NOW + timedelta(days=1))
    assert len(mail.outbox) == 2  # the next day is a new period


def test_weekly_digests_go_once_a_week(head):
    AlertSubscription.objects.create(user=head, frequency="weekly", horizon_days=30)
    for day in range(5):  # Wednesday to Sunday of ISO week 46
        _send(now=NOW + timedelta(days=day))
    assert len(mail.outbox) == 1
    _send(now=NOW + timedelta(days=5))  # Monday of week 47
    assert len(mail.outbox) == 2


def test_dry_run_opt_out_missing_email_and_lost_scope_send_nothing(head, analyst, capsys):
    sub = AlertSubscription.objects.create(user=head, horizon_days=30)
    _send("--dry-run")
    assert mail.outbox == [] and AlertSubscription.objects.get(pk=sub.pk).last_sent_key == ""
    assert "giamdoc: would_send" in capsys.readouterr().out
    sub.active = False
    sub.save()
    _send()
    assert mail.outbox == []
    # A scope the user may no longer see (roles change after subscribing) is not reported on.
    AlertSubscription.objects.create(user=analyst, scope_key="national", horizon_days=30)
    _send()
    assert mail.outbox == []
    assert "phantich: no_scope" in capsys.readouterr().out
    analyst.email = ""
    analyst.save()
    AlertSubscription.objects.filter(user=analyst).update(scope_key="")
    _send()
    assert mail.outbox == [] and "phantich: no_email" in capsys.readouterr().out


def test_bad_now_is_a_clear_error():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--now"):
        call_command("alerts", "send", "--now", "hôm qua")


def test_settings_page_saves_the_subscription_and_refuses_a_scope_outside_the_role(client, head):
    assert client.get("/canh-bao/").status_code == 302  # sign in first
    client.force_login(head)
    page = client.get("/canh-bao/")
    assert page.status_code == 200
    assert "Phạm vi của tôi: Sở Tư pháp" in page.content.decode()
    form = {
        "active": "on",
        "frequency": "weekly",
        "scope_key": "",
        "on_deadline": "on",
        "drop_threshold": "1.5",
        "horizon_days": "3",
    }
    assert client.post("/canh-bao/", form).status_code == 302
    sub = AlertSubscription.objects.get(user=head)
    assert (sub.frequency, sub.on_drop, sub.on_deadline, sub.horizon_days) == ("weekly", False, True, 3)
    refused = client.post("/canh-bao/", {**form, "scope_key": "province:66"})
    assert refused.status_code == 200 and "scope_key" in refused.context["form"].errors
    too_far = client.post("/canh-bao/", {**form, "horizon_days": "45"})
    assert "horizon_days" in too_far.context["form"].errors
    assert AlertSubscription.objects.get(user=head).scope_key == ""
    preview = client.get("/canh-bao/", {"xem-truoc": "1"})
    assert "Xem trước bản tin" in preview.content.decode()
    # Opting out.
    client.post("/canh-bao/", {**form, "active": ""})
    assert not AlertSubscription.objects.get(user=head).active
