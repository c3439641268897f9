"""E-mail digests for officials: indicators that dropped, dossiers near their deadline, targets that will be missed.

One digest per subscription and period (a Vietnam day for daily digests, an ISO week for weekly ones):
`send_one` sends it and records the period, so running the command twice sends once. Time is a
parameter everywhere; the command passes `now`. Figures come from the 766 engine
(`indices.selectors.index_for`), projections from `core.whatif`, targets from `publication.Target`
and the rule set in force; thresholds are the subscription's own (defaults in settings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode

from thuocdo.accounts.models import AlertSubscription
from thuocdo.core.dossier import VN_TZ
from thuocdo.core.index766 import Period, parse_period
from thuocdo.core.whatif import Changes, what_if
from thuocdo.indices import selectors as index_selectors
from thuocdo.indices.drilldown import default_scope_key
from thuocdo.indices.selectors import Scope, ScopeError, allowed
from thuocdo.publication import selectors

# Published target measures the digest can project; "index766_group:<id>" is added per group of the rule set.
PROJECTED_MEASURES = ("index766", "sipas")
SATISFACTION_INDICATOR = "5.4"
_SMALLEST = Decimal(
    "0.01"
)  # points are kept to two decimals: a zero threshold still means "fell"  # the index's own satisfaction rate stands for "sipas" within the month


@dataclass(frozen=True)
class Drop:
    indicator: str  # an indicator id, or "" for the total
    name: str
    before: Decimal
    now: Decimal
    rate_before: Decimal | None
    rate_now: Decimal | None
    link: str

    @property
    def lost(self) -> Decimal:
        """Points lost since the previous month."""
        return self.before - self.now


@dataclass(frozen=True)
class AtRisk:
    dossier: str
    agency_code: str
    procedure_code: str
    late_at: datetime


@dataclass(frozen=True)
class Miss:
    label: str
    projected: Decimal
    threshold: Decimal
    source: str  # "published" (a publication.Target) or "ruleset" (an indicator's target in the rule set)
    link: str


@dataclass
class Digest:
    subscription: AlertSubscription
    scope: Scope
    key: str
    now: datetime
    month: Period
    previous: Period
    drops: list[Drop] = field(default_factory=list)
    at_risk: list[AtRisk] = field(default_factory=list)
    at_risk_total: int = 0
    overdue: int = 0
    horizon_until: datetime | None = None
    misses: list[Miss] = field(default_factory=list)
    slipping: int = 0
    links: dict[str, str] = field(default_factory=dict)

    @property
    def horizon_last_day(self) -> date | None:
        """The last working day of the near-deadline window."""
        if self.horizon_until is None:
            return None
        return (self.horizon_until.astimezone(VN_TZ) - timedelta(days=1)).date()

    @property
    def more_at_risk(self) -> int:
        """At-risk dossiers not listed in the e-mail."""
        return max(0, self.at_risk_total - len(self.at_risk))

    @property
    def empty(self) -> bool:
        """Nothing worth an e-mail."""
        return not (self.drops or self.at_risk_total or self.overdue or self.misses)

    def subject(self) -> str:
        """The e-mail subject, with the counts a reader triages by."""
        parts = []
        if self.drops:
            parts.append(f"{len(self.drops)} chỉ số giảm")
        if self.overdue:
            parts.append(f"{self.overdue} hồ sơ quá hạn")
        if self.at_risk_total:
            parts.append(f"{self.at_risk_total} hồ sơ sắp đến hạn")
        if self.misses:
            parts.append(f"{len(self.misses)} mục tiêu có nguy cơ không đạt")
        day = self.now.astimezone(VN_TZ)
        return f"[Thước Đo] Cảnh báo {day:%d/%m/%Y} · {self.scope.label}: " + ", ".join(parts)


def period_key(frequency: str, now: datetime) -> str:
    """The digest period containing `now` (Vietnam time): 2026-11-22 for daily, 2026-W47 for weekly."""
    day = now.astimezone(VN_TZ).date()
    if frequency == AlertSubscription.Frequency.WEEKLY:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.isoformat()


def month_of(now: datetime) -> Period:
    """The Vietnam month containing `now`."""
    return parse_period(index_selectors.default_period(now))


def previous_month(month: Period) -> Period:
    """The month before."""
    last = month.start - timedelta(days=1)
    return parse_period(f"{last.year}-{last.month:02d}")


def scope_of(subscription: AlertSubscription) -> Scope | None:
    """The subscription's scope if it still exists and the user may still see it (roles change), else None."""
    key = subscription.scope_key or default_scope_key(subscription.user)
    try:
        scope = index_selectors.resolve_scope(key)
    except ScopeError:
        return None
    return scope if allowed(subscription.user, scope) else None


def _url(base: str, name: str, **params: str) -> str:
    return f"{base.rstrip('/')}{reverse(name)}?{urlencode({k: v for k, v in params.items() if v})}"


def drops(
    scope: Scope, month: Period, previous: Period, *, now: datetime, threshold: Decimal, base: str
) -> list[Drop]:
    """Indicators (and the total) whose points this month so far fell at least `threshold` below last month."""
    current = index_selectors.index_for(scope, month, now)
    before = index_selectors.index_for(scope, previous, now)
    out = []
    if before.result.total - current.result.total >= max(threshold, _SMALLEST):
        out.append(
            Drop(
                "",
                "Tổng điểm",
                before.result.total,
                current.result.total,
                None,
                None,
                _url(base, "indices:index766", unit=scope.key, period=month.label),
            )
        )
    for ind in current.result.indicators.values():
        old = before.result.indicators.get(ind.id)
        if old is None or ind.excluded or old.excluded or not ind.max_points:
            continue
        if old.points - ind.points >= max(threshold, _SMALLEST):
            out.append(
                Drop(
                    ind.id,
                    ind.name_vi,
                    old.points,
                    ind.points,
                    old.rate,
                    ind.rate,
                    _url(base, "indices:explain", indicator=ind.id, unit=scope.key, period=month.label),
                )
            )
    out.sort(key=lambda d: (d.indicator != "", -d.lost, d.indicator))
    return out


def horizon_end(scope: Scope, now: datetime, working_days: int) -> datetime:
    """The end of the `working_days`-th working day after today, on the scope's calendar (its agency's if one)."""
    from thuocdo.calendars.selectors import work_calendar
    from thuocdo.units.models import Agency

    agency = Agency.objects.filter(pk=scope.agency_ids[0]).first() if len(scope.agency_ids) == 1 else None
    calendar = work_calendar(agency)
    today = now.astimezone(VN_TZ).date()
    last: date = calendar.shift_working_days(today, working_days) if working_days else today
    return datetime.combine(last + timedelta(days=1), time(), VN_TZ)


def at_risk(
    scope: Scope, *, now: datetime, until: datetime, limit: int = 20
) -> tuple[list[AtRisk], int, int]:
    """Open dossiers turning late before `until` (the first `limit`, and how many), and how many are late already."""
    horizon = max(timedelta(0), until - now)
    risky = (
        index_selectors.overdue_dossiers(scope, now=now, horizon=horizon, limit=1_000_000)
        if horizon
        else None
    )
    rows = (
        [AtRisk(f.code, f.agency_code, f.procedure_code, f.late_at) for f in risky[:limit]]
        if risky is not None
        else []
    )
    total = risky.count() if risky is not None else 0
    overdue = index_selectors.overdue_dossiers(scope, now=now, limit=1_000_000).count()
    return rows, total, overdue


def _target_unit(scope: Scope) -> Any:
    from thuocdo.units.models import AdminUnit, Agency

    kind, _sep, code = scope.key.partition(":")
    if kind in ("province", "commune"):
        return AdminUnit.objects.filter(structure="2025", level=kind, code=code).first()
    if kind == "agency":
        agency = Agency.objects.select_related("admin_unit").filter(code=code).first()
        return agency.admin_unit if agency else None
    return None


def target_misses(scope: Scope, month: Period, *, now: datetime, base: str) -> tuple[list[Miss], int]:
    """Targets the month will miss if the dossiers due before its end are not settled on time.

    The projection takes this month's figures so far and lets every open dossier that turns late before the
    month ends count as late; it is compared with the published targets in force (total, groups, satisfaction)
    and with the rule set's own indicator targets.
    """
    view = index_selectors.index_for(scope, month, now)
    ruleset = index_selectors.ruleset_for(month.start)
    remaining = month.end_at - now
    slipping = (
        index_selectors.overdue_dossiers(scope, now=now, horizon=remaining, limit=1_000_000).count()
        if remaining > timedelta(0)
        else 0
    )
    projected = what_if(view.tallies, ruleset, Changes(turned_late=slipping)).after
    link = _url(base, "indices:whatif", unit=scope.key, period=month.label)
    today = now.astimezone(VN_TZ).date()
    unit = _target_unit(scope)
    values: dict[str, Decimal | None] = {"index766": projected.total}
    sat = projected.indicators.get(SATISFACTION_INDICATOR)
    values["sipas"] = sat.rate if sat is not None else None
    for g in projected.groups.values():
        if g.max_points and not g.not_applicable:
            values[f"index766_group:{g.id}"] = (g.points * 100 / g.max_points).quantize(Decimal("0.01"))
    out: list[Miss] = []
    for measure, value in values.items():
        if value is None:
            continue
        targets = selectors.targets_in_force(measure, on=today, unit=unit)
        ahead = [t for t in targets if t.target_year >= today.year] or targets[-1:]
        if ahead and value < ahead[0].threshold:
            out.append(Miss(ahead[0].label, value, ahead[0].threshold, "published", link))
    for ind in projected.indicators.values():
        rule = ruleset.indicator(ind.id)
        if rule.target is not None and ind.rate is not None and ind.rate < rule.target:
            out.append(Miss(f"{ind.id} · {ind.name_vi}", ind.rate, rule.target, "ruleset", link))
    return out, slipping


def build_digest(subscription: AlertSubscription, *, now: datetime, base_url: str) -> Digest | None:
    """The digest of one subscription at `now` (None when its scope is gone or no longer visible to the user)."""
    scope = scope_of(subscription)
    if scope is None:
        return None
    month = month_of(now)
    previous = previous_month(month)
    digest = Digest(subscription, scope, period_key(subscription.frequency, now), now, month, previous)
    digest.links = {
        "index": _url(base_url, "indices:index766", unit=scope.key, period=month.label),
        "late": _url(base_url, "indices:late", unit=scope.key, period=month.label),
        "officials": _url(base_url, "indices:officials", unit=scope.key, period=month.label),
        "whatif": _url(base_url, "indices:whatif", unit=scope.key, period=month.label),
        "settings": f"{base_url.rstrip('/')}{reverse('publication:alerts')}",
    }
    if subscription.on_drop:
        digest.drops = drops(
            scope, month, previous, now=now, threshold=subscription.drop_threshold, base=base_url
        )
    if subscription.on_deadline:
        digest.horizon_until = horizon_end(scope, now, subscription.horizon_days)
        digest.at_risk, digest.at_risk_total, digest.overdue = at_risk(
            scope, now=now, until=digest.horizon_until
        )
    if subscription.on_target:
        digest.misses, digest.slipping = target_misses(scope, month, now=now, base=base_url)
    return digest


def render_digest(digest: Digest) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a digest, in Vietnamese."""
    with translation.override("vi"):
        context = {"d": digest, "user": digest.subscription.user}
        text = render_to_string("publication/officials/alert_digest.txt", context)
        html = render_to_string("publication/officials/alert_digest.html", context)
    return digest.subject(), text, html


def base_url() -> str:
    """Where links in e-mails point: settings.THUOCDO["SITE_URL"], else the local development server."""
    return str(settings.THUOCDO.get("SITE_URL", "") or "http://127.0.0.1:8000")


@dataclass(frozen=True)
class Outcome:
    user: str
    status: str  # sent, would_send, already_sent, nothing_to_report, no_email, no_scope, inactive
    subject: str = ""


def send_one(subscription: AlertSubscription, *, now: datetime, base: str, dry_run: bool = False) -> Outcome:
    """Send one subscription's digest for the period containing `now`, unless already sent; records what it sent.

    The caller holds the subscription row locked inside a transaction, so two runs at once cannot both send.
    """
    user = subscription.user
    if not subscription.active:
        return Outcome(user.username, "inactive")
    key = period_key(subscription.frequency, now)
    if subscription.last_sent_key == key:
        return Outcome(user.username, "already_sent")
    if not user.email:
        return Outcome(user.username, "no_email")
    digest = build_digest(subscription, now=now, base_url=base)
    if digest is None:
        return Outcome(user.username, "no_scope")
    if digest.empty:
        return Outcome(user.username, "nothing_to_report")
    subject, text, html = render_digest(digest)
    if dry_run:
        return Outcome(user.username, "would_send", subject)
    message = EmailMultiAlternatives(subject, text, None, [user.email])
    message.attach_alternative(html, "text/html")
    message.send()
    subscription.last_sent_key = key
    subscription.last_sent_at = now
    subscription.save(update_fields=["last_sent_key", "last_sent_at"])
    return Outcome(user.username, "sent", subject)


def subscriptions() -> list[int]:
    """Ids of the active subscriptions of active users, in a stable order."""
    return list(
        AlertSubscription.objects.filter(active=True, user__is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
    )


def locked(subscription_id: int) -> AlertSubscription:
    """A subscription row locked for the rest of the caller's transaction."""
    return AlertSubscription.objects.select_for_update().select_related("user").get(pk=subscription_id)
