"""Reading the audit log: recent entries, and checking that the hash chain is intact."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.db.models import QuerySet

from thuocdo.audit.chain import GENESIS, canonical_payload, entry_hash
from thuocdo.audit.models import AuditEntry


@dataclass(frozen=True)
class ChainBreak:
    """The first place where the chain does not hold, and why."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.reason}"


@dataclass(frozen=True)
class ChainReport:
    """The outcome of walking the chain."""

    checked: int
    head_seq: int
    head_hash: str
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        """True when every entry matched its hash and its predecessor."""
        return self.broken is None


def recent_entries(n: int = 20) -> list[AuditEntry]:
    """The last `n` entries, oldest first."""
    return list(reversed(AuditEntry.objects.order_by("-seq")[: max(n, 0)]))


def entry_count() -> int:
    """How many entries the log holds."""
    return AuditEntry.objects.count()


def iter_entries(batch_size: int = 2000) -> Iterator[AuditEntry]:
    """Every entry in seq order, fetched in keyset batches so memory stays flat on long logs."""
    last_seq: int | None = None
    while True:
        qs: QuerySet[AuditEntry] = AuditEntry.objects.order_by("seq")
        if last_seq is not None:
            qs = qs.filter(seq__gt=last_seq)
        batch = list(qs[:batch_size])
        if not batch:
            return
        yield from batch
        last_seq = batch[-1].seq


def recomputed_hash(entry: AuditEntry) -> str:
    """The hash an entry should carry, computed from its stored content."""
    return entry_hash(
        canonical_payload(
            seq=entry.seq,
            at=entry.at,
            actor_id=entry.actor_id,
            actor=entry.actor,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            summary=entry.summary,
            data=entry.data,
            prev_hash=entry.prev_hash,
        )
    )


def verify_chain(
    entries: Iterable[AuditEntry],
    *,
    anchors: dict[int, str] | None = None,
    on_entry: Callable[[AuditEntry], object] | None = None,
) -> ChainReport:
    """Walk entries in seq order and report the first break: a gap, a wrong link, edited content or a moved anchor.

    `anchors` maps seq → hash noted earlier (e.g. from `thuocdo audit tail`); it catches a log cut short
    or rewritten from some point on, which the chain alone cannot tell from a shorter honest log.
    """
    anchors = dict(anchors or {})
    expected_seq = 1
    prev_hash = GENESIS
    checked = 0
    for entry in entries:
        if on_entry is not None:
            on_entry(entry)
        if entry.seq != expected_seq:
            missing = (
                f"seq {expected_seq}"
                if entry.seq == expected_seq + 1
                else f"seq {expected_seq}–{entry.seq - 1}"
            )
            reason = f"entry missing (deleted entry or gap in seq: {missing} absent, next is seq {entry.seq})"
            return ChainReport(checked, expected_seq - 1, prev_hash, ChainBreak(expected_seq, reason))
        if entry.prev_hash != prev_hash:
            reason = (
                "wrong prev_hash: it does not match the hash of the entry before (that entry was rewritten)"
            )
            return ChainReport(checked, entry.seq - 1, prev_hash, ChainBreak(entry.seq, reason))
        if recomputed_hash(entry) != entry.hash:
            reason = "edited content: the stored fields no longer match the entry's hash"
            return ChainReport(checked, entry.seq - 1, prev_hash, ChainBreak(entry.seq, reason))
        expected = anchors.pop(entry.seq, None)
        if expected is not None and expected != entry.hash:
            reason = f"hash differs from the anchor noted earlier ({expected[:16]}…): the log was rewritten"
            return ChainReport(checked, entry.seq - 1, prev_hash, ChainBreak(entry.seq, reason))
        checked += 1
        prev_hash = entry.hash
        expected_seq += 1
    if anchors:
        seq = min(anchors)
        reason = f"anchored entry is missing: the log was cut short after seq {expected_seq - 1}"
        return ChainReport(checked, expected_seq - 1, prev_hash, ChainBreak(seq, reason))
    return ChainReport(checked, expected_seq - 1, prev_hash, None)
