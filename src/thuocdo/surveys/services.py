"""Writes for survey collection. Callers own the transaction (the request, or a command's atomic block)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import logging
import re
import secrets
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

from thuocdo.audit.services import record_change
from thuocdo.core.instruments import Instrument, InstrumentError, canonical_hash, parse_instrument
from thuocdo.core.sampling import SamplingError, allocate, cochran, select_stratified, yamane
from thuocdo.surveys import fastpath, selectors
from thuocdo.surveys.answers import (
    BEFORE_RESULT,
    BURST,
    CheckedSheet,
    check_sheet,
    compare_keyings,
    quality_flags,
)
from thuocdo.surveys.models import (
    BurstWindow,
    Campaign,
    Channel,
    DossierRating,
    InstrumentVersion,
    Invitation,
    Kiosk,
    PaperSheet,
    PopulationMargin,
    Response,
    SeenKey,
    Stratum,
)
from thuocdo.surveys.selectors import CampaignSnapshot, FrameEntry, InvitationState, sha256
from thuocdo.surveys.xlsform import document_from_xlsform

log = logging.getLogger(__name__)

KIOSK_BURST_PER_MINUTE = 6  # a person cannot be served at one counter more often than every 10 s
DEVICE_BURST_PER_MINUTE = 10
OPEN_LINK_PER_HOUR = 20
REMINDER_GAP_DAYS = 3
MAX_REMINDERS = 2


class SurveyError(ValueError):
    """Bad input or a state that forbids the action; `field` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class InvalidAnswers(SurveyError):
    """The answer sheet failed the instrument's checks; `errors` maps item codes to messages."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        first = next(iter(self.errors.items()))
        super().__init__(first[0], f"{first[0]}: {first[1]}")


class Duplicate(SurveyError):
    """Already received: acknowledge, store nothing."""


class Unconfirmed(SurveyError):
    """A write made without the read (selectors.Held) touched nothing: the token may be used or unknown,
    the sheet a duplicate, or the campaign changed. Nothing was stored; read, then submit again."""


class RateLimited(SurveyError):
    """Too many submissions from one source in the window."""


# Instruments ---------------------------------------------------------------------------------------------


def sync_builtin_instruments(*, actor: Any = "system") -> list[InstrumentVersion]:
    """Store every shipped instrument version not yet in the database; a changed published one is refused."""
    out = []
    for instrument in selectors.builtin_instruments():
        path = selectors.INSTRUMENTS_DIR / f"{instrument.code}.v{instrument.version}.json"
        document = json.loads(path.read_text(encoding="utf-8"))
        existing = InstrumentVersion.objects.filter(code=instrument.code, version=instrument.version).first()
        if existing is not None:
            if (
                existing.status != InstrumentVersion.Status.DRAFT
                and existing.content_hash != instrument.content_hash
            ):
                raise SurveyError(
                    "document",
                    f"{instrument.key}: nội dung đã thay đổi sau khi ban hành; hãy tạo phiên bản mới thay vì sửa",
                )
            out.append(existing)
            continue
        row = InstrumentVersion.objects.create(
            code=instrument.code,
            version=instrument.version,
            status=instrument.status,
            title=instrument.title.vi[:300],
            effective_from=instrument.effective_from,
            document=document,
            content_hash=instrument.content_hash,
            origin=InstrumentVersion.Origin.BUILTIN,
        )
        record_change(
            actor=actor, action="surveys.instrument.add", obj=row, data={"content_hash": row.content_hash}
        )
        out.append(row)
    return out


def import_xlsform(*, data: bytes, filename: str, actor: Any, today: date) -> InstrumentVersion:
    """Store an XLSForm as a draft instrument version (replacing a draft of the same code and version)."""
    document = document_from_xlsform(data, today=today, filename=filename)
    instrument = parse_instrument(document, source=filename)
    existing = InstrumentVersion.objects.filter(code=instrument.code, version=instrument.version).first()
    if existing is not None and existing.status != InstrumentVersion.Status.DRAFT:
        raise SurveyError(
            "version",
            f"{instrument.key} đã ban hành và không thể sửa; hãy tăng «version» trong trang settings",
        )
    row = existing or InstrumentVersion(code=instrument.code, version=instrument.version)
    row.status = InstrumentVersion.Status.DRAFT
    row.title = instrument.title.vi[:300]
    row.effective_from = instrument.effective_from
    row.document = document
    row.content_hash = instrument.content_hash
    row.origin = InstrumentVersion.Origin.XLSFORM
    row.save()
    record_change(actor=actor, action="surveys.instrument.import_xlsform", obj=row, data={"file": filename})
    return row


def publish_instrument(*, instrument: InstrumentVersion, actor: Any) -> InstrumentVersion:
    """Freeze a draft: its content hash is written into the document and it can no longer change."""
    if instrument.status != InstrumentVersion.Status.DRAFT:
        raise SurveyError("status", "Chỉ phiếu nháp mới ban hành được.")
    document = {**instrument.document, "status": "published"}
    document["content_hash"] = canonical_hash(document)
    try:
        parsed = parse_instrument(document, source=instrument.key)
    except InstrumentError as exc:
        raise SurveyError("document", str(exc)) from exc
    instrument.document = document
    instrument.status = InstrumentVersion.Status.PUBLISHED
    instrument.content_hash = parsed.content_hash
    instrument.save(update_fields=["document", "status", "content_hash"])
    instrument.__dict__.pop("instrument", None)
    record_change(
        actor=actor,
        action="surveys.instrument.publish",
        obj=instrument,
        data={"content_hash": parsed.content_hash},
    )
    return instrument


def published_instrument(code: str) -> InstrumentVersion:
    """The latest published version of a code, loading the shipped instruments the first time."""
    row = selectors.latest_instrument(code)
    if row is None:
        sync_builtin_instruments()
        row = selectors.latest_instrument(code)
    if row is None:
        raise SurveyError("instrument", f"Chưa có phiếu «{code}» đã ban hành.")
    return row


# Campaigns, frames, samples, invitations ------------------------------------------------------------------


def create_campaign(
    *,
    slug: str,
    name: str,
    instrument: InstrumentVersion,
    starts_on: date,
    ends_on: date,
    agencies: Sequence[Any] = (),
    actor: Any,
    **options: Any,
) -> Campaign:
    """A campaign in preparation; options are Campaign fields (margin, deff, open_link, ...)."""
    if instrument.status != InstrumentVersion.Status.PUBLISHED:
        raise SurveyError("instrument", "Đợt khảo sát chỉ dùng phiếu đã ban hành.")
    if ends_on < starts_on:
        raise SurveyError("ends_on", "Ngày kết thúc phải sau ngày bắt đầu.")
    options.setdefault("min_cell", selectors.min_cell_default())
    campaign = Campaign.objects.create(
        slug=slug, name=name, instrument=instrument, starts_on=starts_on, ends_on=ends_on, **options
    )
    campaign.agencies.set(agencies)
    record_change(
        actor=actor, action="surveys.campaign.create", obj=campaign, data={"instrument": instrument.key}
    )
    return campaign


def frame_from_table(table: Any) -> list[FrameEntry]:
    """A sampling frame from an uploaded CSV/XLSX (columns ma, tang, optional ten_tang, dien_thoai)."""
    from thuocdo.shared.tabular import ImportFailed, require_columns

    require_columns(table, ["ma", "tang"])
    errors = []
    seen: set[str] = set()
    out = []
    for row in table.rows:
        code, stratum = row.get("ma"), row.get("tang")
        if not code:
            errors.append(row.error("ma", "thiếu mã"))
        elif code in seen:
            errors.append(row.error("ma", f"mã «{code}» bị trùng"))
        if not stratum:
            errors.append(row.error("tang", "thiếu tầng"))
        phone = row.get("dien_thoai")
        if phone and not phone.replace(" ", "").lstrip("+").isdigit():
            errors.append(row.error("dien_thoai", f"số điện thoại «{phone}» không hợp lệ"))
        seen.add(code)
        agency = selectors.agency_by_code(stratum) if stratum else None
        out.append(
            FrameEntry(
                code,
                stratum,
                row.get("ten_tang") or (agency.name if agency else stratum),
                agency.pk if agency else None,
                phone,
            )
        )
    if errors:
        raise ImportFailed(errors)
    return out


def invitation_token(invitation: Invitation) -> str:
    """The invitation's token: an HMAC of its nonce, so it can be printed again but is stored only hashed."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(),
        f"thuocdo.surveys.invitation:{invitation.nonce}".encode(),
        hashlib.sha256,
    )
    return base64.b32encode(digest.digest()[:15]).decode().lower()


@dataclass(frozen=True)
class Draw:
    population: int
    sample_size: int
    allocation: dict[str, int]
    seed: int
    invitations: int


def sample_size_for(campaign: Campaign, population: int) -> int:
    """Yamane or Cochran (with design effect and response rate) for the campaign's parameters."""
    if campaign.size_method == Campaign.SizeMethod.YAMANE:
        return yamane(population, campaign.margin)
    return cochran(
        campaign.margin, deff=campaign.deff, response_rate=campaign.response_rate, population=population
    ).n


def draw_sample(
    *, campaign: Campaign, frame: Sequence[FrameEntry], actor: Any, seed: int | None = None
) -> Draw:
    """Size, allocate (proportional, at least 2 per stratum), select with a recorded seed, create invitations."""
    if campaign.invitations.exists():
        raise SurveyError(
            "campaign", "Đợt khảo sát này đã chọn mẫu; không chọn lại để giữ nguyên hạt giống đã ghi."
        )
    if not frame:
        raise SurveyError(
            "frame", "Khung mẫu trống: không có hồ sơ nào hoàn thành trong kỳ và phạm vi đã chọn."
        )
    population = Counter(e.stratum for e in frame)
    names = {e.stratum: (e.stratum_name, e.agency_id) for e in frame}
    seed = seed if seed is not None else secrets.randbelow(2**31)
    try:
        n = sample_size_for(campaign, len(frame))
        allocation = allocate(n, population, minimum=min(2, min(population.values())))
        chosen = set(select_stratified([(e.id, e.stratum) for e in frame], allocation, seed=seed))
    except SamplingError as exc:
        raise SurveyError("sample", str(exc)) from exc
    strata = {}
    for code, size in sorted(population.items()):
        name, agency_id = names[code]
        strata[code] = Stratum.objects.create(
            campaign=campaign,
            code=code,
            name=name[:255],
            agency_id=agency_id,
            population=size,
            allocated=allocation[code],
        )
    invitations = []
    for entry in frame:
        if entry.id not in chosen:
            continue
        invitation = Invitation(
            campaign=campaign,
            stratum=strata[entry.stratum],
            nonce=secrets.token_hex(16),
            reference=entry.id[:80],
            contact=entry.phone,
        )
        invitation.token_hash = sha256(invitation_token(invitation))
        invitations.append(invitation)
    # Ids in a random order of their own, not the frame's: the recorded seed then cannot map an invitation
    # row back to its dossier once its delivery data is erased (docs/surveys/anonymity.md).
    secrets.SystemRandom().shuffle(invitations)
    Invitation.objects.bulk_create(invitations, batch_size=1000)
    campaign.seed, campaign.population, campaign.sample_size = seed, len(frame), n
    campaign.save(update_fields=["seed", "population", "sample_size", "updated_at"])
    record_change(
        actor=actor,
        action="surveys.campaign.draw_sample",
        obj=campaign,
        data={
            "seed": seed,
            "population": len(frame),
            "n": n,
            "allocation": allocation,
            "method": campaign.size_method,
        },
    )
    return Draw(len(frame), n, allocation, seed, len(invitations))


def set_campaign_status(*, campaign: Campaign, status: str, actor: Any) -> Campaign:
    """Open or close a campaign; closing erases the delivery data (dossier codes, phones) of invitations."""
    if status not in Campaign.Status.values:
        raise SurveyError("status", f"trạng thái «{status}» không hợp lệ")
    old = campaign.status
    campaign.status = status
    campaign.save(update_fields=["status"])
    erased = 0
    if status == Campaign.Status.CLOSED:
        erased = campaign.invitations.exclude(reference="", contact="").update(reference="", contact="")
    record_change(
        actor=actor,
        action="surveys.campaign.status",
        obj=campaign,
        data={"from": old, "to": status, "erased": erased},
    )
    return campaign


def set_enumerator_key(*, campaign: Campaign, actor: Any) -> str:
    """A new key for the campaign's ODK Collect/Enketo URL (/openrosa/key/<key>/); only its hash is stored."""
    key = secrets.token_urlsafe(24)
    campaign.enumerator_key_hash = sha256(key)
    campaign.save(update_fields=["enumerator_key_hash"])
    record_change(actor=actor, action="surveys.campaign.enumerator_key", obj=campaign)
    return key


def set_excluded_flags(*, campaign: Campaign, flags: Sequence[str], actor: Any, reason: str = "") -> Campaign:
    """Decide which integrity flags keep responses out of the estimates (the responses themselves stay)."""
    from thuocdo.surveys.answers import FLAG_LABELS

    unknown = sorted(set(flags) - set(FLAG_LABELS))
    if unknown:
        raise SurveyError("flags", f"cờ không hợp lệ: {', '.join(unknown)}")
    old = list(campaign.excluded_flags or [])
    campaign.excluded_flags = sorted(set(flags))
    campaign.save(update_fields=["excluded_flags"])
    record_change(
        actor=actor, action="surveys.campaign.excluded_flags", obj=campaign,
        data={"from": old, "to": campaign.excluded_flags, "reason": reason},
    )  # fmt: skip
    return campaign


# Column names of a margins file; the Vietnamese headers are accepted too (compared without diacritics).
MARGIN_COLUMNS = {
    "variable": ("bien", "biến"),
    "category": ("nhom", "nhóm", "hang muc", "hạng mục"),
    "population": ("tong the", "tổng thể", "so nguoi", "số người", "count"),
}


# 12345, or with thousands grouped by dots, commas or spaces as Vietnamese and English sheets write them.
_WHOLE_NUMBER = re.compile(r"\d+|\d{1,3}(?:([., ])\d{3})(?:\1\d{3})*")


@dataclass(frozen=True)
class MarginRow:
    variable: str
    category: str
    population: int


def margins_from_table(table: Any, variables: Sequence[selectors.MarginVariable]) -> list[MarginRow]:
    """Population margins from a CSV/XLSX table (variable, category, population); every bad cell is reported."""
    from thuocdo.shared.tabular import ImportFailed, require_columns

    require_columns(table, list(MARGIN_COLUMNS))
    known = {
        v.code: {c for c, _label in v.categories} | {label for _c, label in v.categories} for v in variables
    }
    by_label = {v.code: {label: c for c, label in v.categories} for v in variables}
    errors = []
    out: list[MarginRow] = []
    seen: dict[tuple[str, str], int] = {}
    for row in table.rows:
        variable, category, raw = row.get("variable"), row.get("category"), row.get("population")
        ok = True
        if variable not in known:
            errors.append(row.error(
                "variable", f"biến «{variable}» không dùng được; chọn một trong: {', '.join(known)}"
            ))  # fmt: skip
            ok = False
        elif not category:
            errors.append(row.error("category", "thiếu nhóm"))
            ok = False
        elif category not in known[variable]:
            errors.append(row.error(
                "category", f"nhóm «{category}» không có trong biến «{variable}»; các nhóm: "
                f"{', '.join(sorted(c for c in known[variable] if c not in by_label[variable]))}",
            ))  # fmt: skip
            ok = False
        population = int(re.sub(r"[., ]", "", raw)) if _WHOLE_NUMBER.fullmatch(raw) else 0
        if population <= 0:
            errors.append(row.error("population", f"số người «{raw}» phải là số nguyên dương"))
            continue
        if not ok:
            continue
        category = by_label[variable].get(category, category)
        if (variable, category) in seen:
            errors.append(row.error(
                "category", f"nhóm «{category}» của biến «{variable}» đã có ở dòng {seen[variable, category]}"
            ))  # fmt: skip
            continue
        seen[variable, category] = row.number
        out.append(MarginRow(variable, category, population))
    if errors:
        raise ImportFailed(errors)
    return out


def set_margins(*, campaign: Campaign, rows: Sequence[MarginRow], actor: Any, source: str = "") -> int:
    """Replace the campaign's population margins (empty: none, so nothing is raked); audited with both sets."""
    before = selectors.campaign_margins(campaign)
    PopulationMargin.objects.filter(campaign=campaign).delete()
    PopulationMargin.objects.bulk_create(
        PopulationMargin(campaign=campaign, variable=r.variable, category=r.category, population=r.population)
        for r in rows
    )
    after = selectors.campaign_margins(campaign)
    record_change(
        actor=actor, action="surveys.campaign.margins", obj=campaign,
        data={"from": before, "to": after, "source": source},
    )  # fmt: skip
    return len(rows)


def invitation_link(invitation: Invitation, base_url: str) -> str:
    """The absolute link printed as QR code and sent by SMS."""
    return f"{base_url.rstrip('/')}/khao-sat/{invitation_token(invitation)}/"


def invitation_sms(invitation: Invitation, base_url: str) -> str:
    """The SMS text of an invitation or reminder (ASCII-safe length, Vietnamese with diacritics)."""
    return (
        f"{invitation.campaign.name[:60]}: moi Ong/Ba danh gia su hai long (an danh, 3 phut): "
        f"{invitation_link(invitation, base_url)}"
    )


def send_reminders(*, campaign: Campaign, today: date, base_url: str) -> int:
    """Remind unanswered invitations with a phone, at most MAX_REMINDERS times and REMINDER_GAP_DAYS apart."""
    from thuocdo.feedback.notify import sms_sender

    if campaign.status != Campaign.Status.OPEN:
        raise SurveyError("status", "Chỉ nhắc khi đợt khảo sát đang thu phiếu.")
    send = sms_sender()
    due = (
        campaign.invitations.select_related("campaign")
        .filter(used=False, reminders__lt=MAX_REMINDERS)
        .exclude(contact="")
        .exclude(last_reminded_on__gt=today - timedelta(days=REMINDER_GAP_DAYS))
    )
    sent = 0
    for invitation in due:
        send(invitation.contact, invitation_sms(invitation, base_url))
        invitation.reminders += 1
        invitation.last_reminded_on = today
        invitation.save(update_fields=["reminders", "last_reminded_on"])
        sent += 1
    record_change(actor="system", action="surveys.campaign.remind", obj=campaign, data={"sent": sent})
    return sent


# Collecting answers --------------------------------------------------------------------------------------


# The submission path writes with SQL built once per process: on a request that does little else, the
# ORM's query compiler cost more than the statements themselves (docs/surveys/collection.md, "Speed").
_SQL: dict[str, str] = {}
# guard statement (and whether a burst is counted with it) → the one statement of them all (PostgreSQL)
_WITH_GUARD: dict[str | tuple[str, str], str] = {}


def one_statement_writes() -> bool:
    """True where a submission is written by one statement, atomic by itself (PostgreSQL).

    Its edge may then run it without a transaction of its own (the submission lane does: BEGIN and
    COMMIT were two of five round trips). Elsewhere (SQLite: no data-modifying CTEs) the guard and the
    row are two statements and the caller's transaction keeps them together.
    """
    return connections[DEFAULT_DB_ALIAS].vendor == "postgresql"


# What a write confirms when it was made without the read (selectors.Held): the campaign is open and
# unchanged since the worker read it, and still reached by the same enumerator key when it came by one.
_HELD = (
    "EXISTS (SELECT 1 FROM {campaign} c JOIN {instrument} v ON v.id = c.instrument_id "
    "WHERE c.id = %s AND c.status = %s AND CAST(c.updated_at AS TEXT) = %s AND v.content_hash = %s"
)
# Table names are ours (formatted in once); values are parameters.
# Claiming an invitation also erases its delivery data (dossier code, phone): a used invitation is never
# printed or reminded again, and the row written with the answer then holds nothing about a person
# (docs/surveys/anonymity.md, "Database operators").
_USE = "UPDATE {invitation} SET used = %s, reference = '', contact = '' WHERE "
_GUARDS = {
    "use": _USE + "id = %s AND used = %s",
    "token": _USE
    + "token_hash = %s AND used = %s AND campaign_id = %s AND stratum_id = %s AND "
    + _HELD
    + ")",
    "claim": "INSERT INTO {seen} (campaign_id, kind, key_hash) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
    "claim held": "INSERT INTO {seen} (campaign_id, kind, key_hash) SELECT %s, %s, %s WHERE "
    + _HELD
    + ") ON CONFLICT DO NOTHING",
    "claim held key": "INSERT INTO {seen} (campaign_id, kind, key_hash) SELECT %s, %s, %s WHERE "
    + _HELD
    + " AND c.enumerator_key_hash = %s) ON CONFLICT DO NOTHING",
}


@dataclass(frozen=True)
class _Guard:
    """What claims a submission: its invitation (by id once read, or by token when held), or a dedupe key."""

    kind: str  # "use" | "token" | "claim"
    campaign_id: int
    invitation_id: int = 0
    token_hash: str = ""
    stratum_id: int = 0
    key_kind: str = ""
    key: str = ""
    held: selectors.Held | None = None


def _guard_sql(guard: _Guard) -> tuple[str, list[Any]]:
    """The statement that claims a submission: mark its invitation used, or insert its duplicate key.

    Either touches one row only if nobody did before: of two concurrent twins exactly one wins, the
    other waits for it (row lock / unique index) and then touches nothing. A held claim also touches
    nothing when the campaign is no longer as the worker holds it.
    """
    held = guard.held
    confirm = [] if held is None else [held.snapshot.id, Campaign.Status.OPEN.value, *held.stamp]
    if guard.kind == "use":
        name, params = "use", [True, guard.invitation_id, False]
    elif guard.kind == "token":
        name = "token"
        params = [True, guard.token_hash, False, guard.campaign_id, guard.stratum_id, *confirm]
    else:
        name, params = "claim", [guard.campaign_id, guard.key_kind, sha256(guard.key), *confirm]
        if held is not None:
            name += " held key" if held.key_hash else " held"
            params += [held.key_hash] if held.key_hash else []
    sql = _SQL.get(name)
    if sql is None:
        sql = _SQL[name] = _GUARDS[name].format(
            invitation=fastpath.quote(Invitation._meta.db_table),
            seen=fastpath.quote(SeenKey._meta.db_table),
            campaign=fastpath.quote(Campaign._meta.db_table),
            instrument=fastpath.quote(InstrumentVersion._meta.db_table),
        )
    return sql, params


class _InsertSQL(NamedTuple):
    """The statements that insert a Response row, its columns in the order of `fields`."""

    values: str  # INSERT … VALUES
    from_guard: str  # INSERT … SELECT … FROM guard (the CTE that claimed the row)
    counted: str  # INSERT … SELECT, the flags chosen by the burst count (the caller adds FROM guard)
    fields: list[Any]


def _insert_sql() -> _InsertSQL:
    meta = Response._meta
    fields = list(meta.concrete_fields)
    if "insert" not in _SQL:
        columns = ", ".join(fastpath.quote(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        counted = ", ".join(
            "CASE WHEN (SELECT n FROM burst) > %s THEN %s ELSE %s END" if f.name == "flags" else "%s"
            for f in fields
        )
        table = fastpath.quote(meta.db_table)
        _SQL["insert"] = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - our table
        _SQL["insert_select"] = f"INSERT INTO {table} ({columns}) SELECT {marks} FROM guard"  # noqa: S608
        _SQL["insert_counted"] = f"INSERT INTO {table} ({columns}) SELECT {counted}"
    return _InsertSQL(_SQL["insert"], _SQL["insert_select"], _SQL["insert_counted"], fields)


_JSON_FIELDS = frozenset(
    f.attname for f in Response._meta.concrete_fields if f.get_internal_type() == "JSONField"
)


def _store(
    obj: Response, guard: _Guard | None, count: BurstCount | None = None, flags_if_over: Any = None
) -> bool:
    """INSERT a new row as `save()` would (the same field preparation; JSON encoded by msgspec on
    PostgreSQL), without the query compiler, after its guard claimed it; False (nothing written) when
    the guard had already been claimed.

    A burst count not made yet is made in the same statement on PostgreSQL; the row then gets
    `flags_if_over` instead of its flags when the count passes the limit."""
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: each attribute read through the proxy costs
    statements = _insert_sql()
    fields = statements.fields
    counted_here = count is not None and count.over is None and db.vendor == "postgresql"
    if count is not None and count.over is None and not counted_here and count_burst(count):
        obj.flags = flags_if_over
    values = [
        fastpath.json_param(f.pre_save(obj, True), f, db)
        if f.attname in _JSON_FIELDS
        else f.get_db_prep_save(f.pre_save(obj, True), db)
        for f in fields
    ]
    if counted_here and count is not None:
        return _store_counted(obj, guard, count, flags_if_over, values, db)
    if guard is None:
        fastpath.run(statements.values, values)
    elif db.vendor == "postgresql":
        # One statement: the row is inserted only if the guard touched a row, both or neither.
        guard_sql, guard_params = _guard_sql(guard)
        sql = _WITH_GUARD.get(guard_sql)
        if sql is None:
            sql = _WITH_GUARD[guard_sql] = f"WITH guard AS ({guard_sql} RETURNING 1) {statements.from_guard}"
        if fastpath.run(sql, [*guard_params, *values])[1] != 1:
            return False
    else:
        guard_sql, guard_params = _guard_sql(guard)
        if fastpath.run(guard_sql, guard_params)[1] != 1:
            return False
        fastpath.run(statements.values, values)
    obj._state.adding = False
    obj._state.db = db.alias
    return True


def _store_counted(
    obj: Response, guard: _Guard | None, count: BurstCount, flags_if_over: Any, values: list[Any], db: Any
) -> bool:
    """The PostgreSQL statement that counts the burst, claims the guard and inserts the row: the count is
    made whether or not the row is (a resent sheet counts too), and the row's flags follow the count."""
    statements = _insert_sql()
    row, fields = statements.counted, statements.fields
    guard_sql, guard_params = _guard_sql(guard) if guard is not None else ("", [])
    key = ("counted", guard_sql)
    sql = _WITH_GUARD.get(key)
    if sql is None:
        ctes = [f"burst AS ({_burst_sql('burst')} RETURNING n)"]
        if guard is not None:
            ctes.append(f"guard AS ({guard_sql} RETURNING 1)")
            row += " FROM guard"
        ctes.append(f"stored AS ({row} RETURNING 1)")
        sql = _WITH_GUARD[key] = (
            f"WITH {', '.join(ctes)} SELECT (SELECT n FROM burst), (SELECT count(*) FROM stored)"  # noqa: S608
        )
    flags = next(i for i, f in enumerate(fields) if f.name == "flags")
    over_flags = fastpath.json_param(flags_if_over, fields[flags], db)
    params = [count.name(), count.until(), *guard_params]
    params += [*values[:flags], count.limit, over_flags, values[flags], *values[flags + 1 :]]
    result = fastpath.run(sql, params)[0] or (0, 0)  # the statement returns its one row
    count.over = int(result[0]) > count.limit
    if count.over:
        obj.flags = flags_if_over
    _maybe_prune()
    if int(result[1]) != 1:
        return False
    obj._state.adding = False
    obj._state.db = db.alias
    return True


def over_limit(bucket: str, key: str, *, limit: int, seconds: int) -> bool:
    """Count one event for (bucket, hashed key) in a fixed window; True once the limit is passed.

    The key (an IP address) is hashed and kept only in the cache, never with an answer. Every process
    sharing the cache (THUOCDO_CACHE_URL) counts against the same key.
    """
    slot = int(datetime.now().timestamp()) // seconds  # noqa: DTZ005 - only a window number
    name = f"thuocdo:rl:{bucket}:{sha256(key)[:24]}:{slot}"
    try:
        count = int(cache.incr(name))
    except ValueError:  # the window's first event (or its key expired)
        if cache.add(name, 1, timeout=seconds * 2):
            return limit < 1
        try:
            count = int(cache.incr(name))
        except ValueError:
            return False
    return count > limit


@dataclass
class BurstCount:
    """One submission counted against its source's burst limit (an enumerator's device, a kiosk).

    Given to submit_response, it is counted by the write itself on PostgreSQL (one statement for both: a
    separate count in the cache was ≈ 15 % of an OpenRosa submission's CPU), else by a statement of its own
    in the caller's transaction. `over` is set once counted: a submission written again after an
    unconfirmed held write (selectors.Held) is not counted twice. The source is hashed and kept only in
    BurstWindow rows that live as long as their window, never with an answer.
    """

    bucket: str
    source: str
    limit: int
    seconds: int = 60
    over: bool | None = None

    def name(self) -> str:
        return f"{self.bucket}:{sha256(self.source)[:24]}"

    def until(self) -> int:
        """The end of the current fixed window (epoch seconds)."""
        return (int(time.time()) // self.seconds + 1) * self.seconds


# A count is one row per source holding the current window only; rows of windows that ended are deleted
# every PRUNE_EVERY counts of a process, so the table holds the sources of the last minutes.
PRUNE_EVERY = 4096
_counts = itertools.count(1)
_BURST_SQL = (
    "INSERT INTO {table} (name, until, n) VALUES (%s, %s, 1) ON CONFLICT (name) DO UPDATE SET "
    "n = CASE WHEN {table}.until = EXCLUDED.until THEN {table}.n + 1 ELSE 1 END, until = EXCLUDED.until"
)


def _burst_sql(name: str) -> str:
    sql = _SQL.get(name)
    if sql is None:
        table = fastpath.quote(BurstWindow._meta.db_table)
        sql = _SQL[name] = {
            "burst": _BURST_SQL.format(table=table),
            "burst n": f"SELECT n FROM {table} WHERE name = %s",  # noqa: S608 - our table
            "burst prune": f"DELETE FROM {table} WHERE until <= %s",  # noqa: S608
        }[name]
    return sql


def _maybe_prune() -> None:
    if next(_counts) % PRUNE_EVERY == 0:
        fastpath.run(_burst_sql("burst prune"), [int(time.time())])


def count_burst(count: BurstCount) -> bool:
    """Count the submission now (once), by a statement of its own; True when its source is over the limit."""
    if count.over is None:
        name = count.name()
        fastpath.run(_burst_sql("burst"), [name, count.until()])
        row, _touched = fastpath.run(_burst_sql("burst n"), [name])
        count.over = row is not None and int(row[0]) > count.limit
        _maybe_prune()
    return count.over


def _check(instrument: Instrument, raw: Mapping[str, object], *, complete: bool = False) -> CheckedSheet:
    sheet = check_sheet(instrument, raw, require_all_criteria=complete)
    if not sheet.ok:
        raise InvalidAnswers(sheet.errors)
    return sheet


def submit_response(
    *,
    campaign: Campaign | CampaignSnapshot,
    channel: str,
    raw: Mapping[str, object],
    today: date,
    token: str = "",
    invitation: InvitationState | None = None,
    stratum: str = "",
    counter: str = "",
    dedupe: tuple[str, str] | None = None,
    seconds: float | None = None,
    burst: bool | BurstCount = False,
    before_result: bool = False,
    held: selectors.Held | None = None,
    stratum_id: int | None = None,
) -> Response:
    """Store one anonymous answer sheet. A token is consumed, or a dedupe key claimed, in the same step;
    the stored row keeps neither, nor any time of day.

    The submission endpoints pass the campaign's snapshot (read with its live status in the request's
    one query) and the invitation they have already read; other callers pass the campaign row and a token.
    Without the read, they pass the campaign as the worker holds it (`held`; with a token, the stratum
    the form was made for): the write confirms both, or stores nothing and raises Unconfirmed.
    `burst` is the flag itself, or a BurstCount that the write makes (and flags from).
    """
    if held is not None:
        campaign = held.snapshot
    if isinstance(campaign, Campaign):
        if campaign.status != Campaign.Status.OPEN:
            raise SurveyError("campaign", "Đợt khảo sát không còn nhận phiếu.")
        snapshot = selectors.snapshot_of(campaign)
    else:
        snapshot = campaign
    instrument = snapshot.instrument
    sheet = _check(instrument, raw)
    if token and invitation is None and held is None:
        invitation = selectors.invitation_state(token)
        if invitation is None:
            raise SurveyError("token", "Mã mời không đúng.")
    guard: _Guard | None = None
    if held is not None and token:
        # Written without reading the invitation: the token, the stratum the form was made for and the
        # campaign as held are all confirmed by the write itself.
        stratum = snapshot.stratum_of.get(stratum_id or 0, "")
        if not stratum:
            raise Unconfirmed("token", "Mã mời chưa được đọc.")
        guard = _Guard(
            "token", snapshot.id, token_hash=sha256(token.strip()), stratum_id=stratum_id or 0, held=held
        )
    elif invitation is not None:
        if invitation.campaign_id != snapshot.id:
            raise SurveyError("token", "Mã mời không đúng.")
        guard = _Guard("use", snapshot.id, invitation_id=invitation.id)
        stratum = snapshot.stratum_of.get(invitation.stratum_id) or Stratum.objects.values_list(
            "code", flat=True
        ).get(pk=invitation.stratum_id)
    elif dedupe is not None:
        guard = _Guard("claim", snapshot.id, key_kind=dedupe[0], key=dedupe[1], held=held)
    count = burst if isinstance(burst, BurstCount) else None
    # The flags as they are when the sheet comes in a burst, and as they are when not: a count the write
    # makes picks one of the two.
    flags_if_over = quality_flags(
        instrument, sheet.answers, seconds=seconds, burst=True, before_result=before_result
    )
    over = count.over if count is not None else burst
    flags = flags_if_over if over else [f for f in flags_if_over if f != BURST]
    response = Response(
        campaign_id=snapshot.id,
        instrument_id=snapshot.instrument_id,
        channel=channel,
        stratum=stratum[:60],
        agency_id=snapshot.agency_for(stratum) if stratum else None,
        counter=counter[:60],
        answers=sheet.answers,
        demographics=sheet.demographics,
        flags=flags,
        submitted_on=today,
    )
    if not _store(response, guard, count, flags_if_over):
        if held is not None:
            raise Unconfirmed(guard.key_kind if guard else "", "Đợt khảo sát cần được đọc lại.")
        if invitation is not None:
            raise Duplicate("token", "Phiếu của lời mời này đã được gửi. Xin cảm ơn!")
        raise Duplicate(guard.key_kind if guard else "", "Phiếu này đã được nhận trước đó.")
    return response


def create_kiosk(
    *, agency: Any, counter: str, campaign: Campaign, actor: Any, mode: str = Kiosk.Mode.FACES
) -> tuple[Kiosk, str]:
    """A counter device; returns it and its URL key (shown once, stored hashed)."""
    key = secrets.token_urlsafe(12)
    kiosk = Kiosk.objects.create(
        key_hash=sha256(key), agency=agency, counter=counter, campaign=campaign, mode=mode
    )
    record_change(actor=actor, action="surveys.kiosk.create", obj=kiosk)
    return kiosk, key


# Query names under which a receipt's QR link may carry the dossier code (compared case-insensitively).
_SCAN_CODE_PARAMS = ("ma", "mahoso", "ma_ho_so", "code")


def scanned_dossier_code(text: str) -> str:
    """The dossier code in what a receipt QR holds: the code alone, or a URL with it (kiosk-scan.js does the same).

    A URL gives its `ma` / `maHoSo` / `code` query value, else the segment after `/danh-gia/` (the rating
    link of this platform), else its last path segment.
    """
    text = text.strip()
    parts = urlsplit(text)
    if not (parts.scheme in ("http", "https") and parts.netloc):
        return text
    for name, value in parse_qsl(parts.query):
        if name.lower() in _SCAN_CODE_PARAMS and value.strip():
            return value.strip()
    segments = [s for s in parts.path.split("/") if s]
    if "danh-gia" in segments and segments.index("danh-gia") + 1 < len(segments):
        return unquote(segments[segments.index("danh-gia") + 1]).strip()
    return unquote(segments[-1]).strip() if segments else text


def submit_kiosk(
    *, kiosk: Kiosk, value: str, dossier_code: str, today: date, now: datetime
) -> Response | DossierRating:
    """One tap at a counter: a rating of the scanned dossier, or else an anonymous counter response."""
    burst = BurstCount("kiosk", str(kiosk.pk), limit=KIOSK_BURST_PER_MINUTE)
    code = "R1" if kiosk.mode == Kiosk.Mode.FACES else "R2"
    # A hand-held scanner types whatever the QR holds, which may be a link rather than the bare code.
    dossier_code = scanned_dossier_code(dossier_code)
    if dossier_code.strip():
        return rate_dossier(
            dossier_code=dossier_code,
            form=DossierRating.Form.FACES if code == "R1" else DossierRating.Form.LIKE,
            raw={code: value},
            now=now,
            channel=Channel.KIOSK,
            counter=kiosk.counter,
            burst=count_burst(burst),
        )
    return submit_response(
        campaign=kiosk.campaign,
        channel=Channel.KIOSK,
        raw={code: value},
        today=today,
        stratum=kiosk.agency.code,
        counter=kiosk.counter,
        burst=burst,
    )


# Per-dossier ratings -------------------------------------------------------------------------------------

# Below half of the 18 points of Circular 01/2018, a rating opens a service-recovery case (platform choice,
# documented in docs/surveys/collection.md; faces 1-2 and "dislike" open one too).
TT01_RECOVERY_BELOW = 9
TT01_SATISFIED_FROM = 12  # two thirds of the points


def rate_dossier(
    *,
    dossier_code: str,
    form: str,
    raw: Mapping[str, object],
    now: datetime,
    comment: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    consent_share: bool = False,
    channel: str = Channel.WEB,
    counter: str = "",
    burst: bool = False,
) -> DossierRating:
    """Store the rating of one dossier (once); a poor one opens a service-recovery case for the agency."""
    dossier = selectors.dossier_by_code(dossier_code)
    if dossier is None:
        raise SurveyError("dossier_code", "Không tìm thấy hồ sơ có mã này.")
    if DossierRating.objects.filter(dossier_code=dossier.code).exists():
        raise Duplicate("dossier_code", "Hồ sơ này đã được đánh giá. Xin cảm ơn!")
    if form not in DossierRating.Form.values:
        raise SurveyError("form", "Hình thức đánh giá không hợp lệ.")
    version = published_instrument("dossier-01-2018" if form == DossierRating.Form.TT01 else "counter-faces")
    instrument = version.instrument
    if form == DossierRating.Form.TT01:
        sheet = _check(instrument, raw, complete=True)
        score = float(sum(v for v in sheet.answers.values() if isinstance(v, int)))
        satisfied = score >= TT01_SATISFIED_FROM
        poor = score < TT01_RECOVERY_BELOW
        label = f"{int(score)}/18 điểm theo Thông tư 01/2018"
    else:
        code = "R1" if form == DossierRating.Form.FACES else "R2"
        sheet = _check(instrument, {code: raw.get(code)}, complete=False)
        if code not in sheet.answers:
            raise InvalidAnswers({code: "Vui lòng chọn một mức đánh giá."})
        value = int(sheet.answers[code])
        criterion = instrument.criterion(code)
        score = float(value)
        satisfied = value in criterion.scale.satisfied
        poor = value <= 2 if code == "R1" else value == 0
        label = next(p.label.vi for p in criterion.scale.points if p.value == value)
    before = dossier.returned_at is None or dossier.returned_at > now
    flags = quality_flags(instrument, sheet.answers, burst=burst, before_result=before)
    if before and BEFORE_RESULT not in flags:
        flags.append(BEFORE_RESULT)
    rating = DossierRating.objects.create(
        dossier_code=dossier.code,
        dossier=dossier,
        agency=dossier.agency,
        instrument=version,
        form=form,
        answers=sheet.answers,
        score=score,
        satisfied=satisfied,
        channel=channel,
        counter=counter[:60],
        comment=comment.strip()[:4000],
        contact_phone=contact_phone.strip()[:40],
        contact_email=contact_email.strip()[:254],
        consent_share=consent_share,
        flags=flags,
        rated_at=now,
    )
    if poor and dossier.agency is not None:
        _open_recovery(rating, label)
    return rating


def _open_recovery(rating: DossierRating, label: str) -> None:
    from thuocdo.feedback.services import FeedbackError, open_service_recovery_case

    shared = (
        rating.consent_share
    )  # without consent the agency learns the rating, not the words or the contact
    try:
        case = open_service_recovery_case(
            dossier_code=rating.dossier_code,
            agency=rating.agency,
            rating_label=label,
            comment=rating.comment if shared else "",
            now=rating.rated_at,
            contact_phone=rating.contact_phone if shared else "",
            contact_email=rating.contact_email if shared else "",
        )
    except FeedbackError as exc:
        log.warning("service recovery case not opened for %s: %s", rating.dossier_code, exc)
        return
    rating.recovery_code = case.tracking_code
    rating.save(update_fields=["recovery_code"])


# Paper questionnaires -------------------------------------------------------------------------------------


def key_paper_sheet(
    *,
    campaign: Campaign,
    batch: str,
    sheet_no: int,
    stratum: str,
    raw: Mapping[str, object],
    user: Any,
    today: date,
) -> PaperSheet:
    """Key a paper sheet. With double keying, a second person keys it again; equal keyings are committed,
    different ones are flagged for resolution."""
    if not batch.strip():
        raise SurveyError("batch", "Vui lòng nhập mã lô phiếu.")
    if sheet_no < 1:
        raise SurveyError("sheet_no", "Số phiếu phải ≥ 1.")
    if stratum not in {code for code, _name in selectors.campaign_strata(campaign)}:
        raise SurveyError("stratum", "Vui lòng chọn cơ quan được đánh giá.")
    sheet = _check(campaign.instrument.instrument, raw)
    entered = {**sheet.answers, **sheet.demographics}
    existing = PaperSheet.objects.filter(campaign=campaign, batch=batch.strip(), sheet_no=sheet_no).first()
    if existing is None:
        paper = PaperSheet.objects.create(
            campaign=campaign, batch=batch.strip(), sheet_no=sheet_no, stratum=stratum, first_answers=entered,
            first_by=user, status=PaperSheet.Status.KEYED_ONCE,
        )  # fmt: skip
        if not campaign.double_keying:
            _commit_paper(paper, entered, today)
        return paper
    if existing.status == PaperSheet.Status.COMMITTED:
        raise Duplicate("sheet_no", f"Phiếu {batch}/{sheet_no} đã được ghi nhận.")
    if existing.status == PaperSheet.Status.CONFLICT:
        raise SurveyError("sheet_no", f"Phiếu {batch}/{sheet_no} đang chờ xử lý khác biệt.")
    if existing.first_by_id == getattr(user, "pk", None):
        raise SurveyError("sheet_no", "Lần nhập thứ hai phải do một người khác thực hiện.")
    differences = compare_keyings(existing.first_answers, entered)
    if existing.stratum != stratum:
        differences.insert(0, "stratum")
    existing.second_answers, existing.second_by = entered, user
    if differences:
        existing.disagreements = differences
        existing.status = PaperSheet.Status.CONFLICT
        existing.save(update_fields=["second_answers", "second_by", "disagreements", "status"])
        return existing
    existing.save(update_fields=["second_answers", "second_by"])
    _commit_paper(existing, entered, today)
    return existing


def resolve_paper_sheet(
    *, paper: PaperSheet, raw: Mapping[str, object], user: Any, today: date
) -> PaperSheet:
    """Settle a disagreement with the values read again from the paper sheet."""
    if paper.status != PaperSheet.Status.CONFLICT:
        raise SurveyError("status", "Phiếu này không có khác biệt cần xử lý.")
    sheet = _check(paper.campaign.instrument.instrument, raw)
    record_change(actor=user, action="surveys.paper.resolve", obj=paper, data={"fields": paper.disagreements})
    _commit_paper(paper, {**sheet.answers, **sheet.demographics}, today)
    return paper


def _commit_paper(paper: PaperSheet, entered: Mapping[str, object], today: date) -> None:
    submit_response(
        campaign=paper.campaign, channel=Channel.PAPER, raw=entered, today=today, stratum=paper.stratum
    )
    # The staging copy goes: what remains says a sheet was keyed, not what it said.
    paper.first_answers, paper.second_answers, paper.status = {}, {}, PaperSheet.Status.COMMITTED
    paper.save(update_fields=["first_answers", "second_answers", "status"])
