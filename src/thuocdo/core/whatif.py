"""What-if arithmetic for the 766 index: change some tallies, score again under the same rule set, rank again.

Pure: the caller passes today's tallies, the rule set in force and the other scores of the comparison
block; nothing here knows where they come from. The changes are the ones an official can act on:
clear overdue dossiers (they are returned on time), raise an indicator's rate to a chosen percentage,
or (for projections) let open dossiers turn late.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from thuocdo.core.index766 import IndexResult, Tally, compute
from thuocdo.core.rulesets import Indicator, RuleSet

TIMELINESS = "2.1"  # the indicator whose late dossiers "clear overdue" turns into on-time ones
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Changes:
    """What the official supposes: each field at its default means "as today"."""

    cleared_overdue: int = 0  # overdue open dossiers that are returned on time
    turned_late: int = 0  # open, on-time-so-far dossiers that miss their deadline (projections)
    rates: Mapping[str, Decimal] = field(default_factory=dict)  # indicator id → rate (%) reached, at least

    def is_empty(self) -> bool:
        """True when nothing changes."""
        return not self.cleared_overdue and not self.turned_late and not self.rates


@dataclass(frozen=True)
class Outcome:
    """Today's result and the supposed one, with the tallies behind the supposed one and the ranks."""

    before: IndexResult
    after: IndexResult
    tallies_after: dict[str, Tally]
    cleared: int  # overdue dossiers actually cleared (at most those overdue, at most those counted late)
    rank_before: int | None
    rank_after: int | None
    ranked_among: int  # scopes in the comparison, this one included; 0 when there is no comparison

    @property
    def gain(self) -> Decimal:
        """Points gained (negative when lost)."""
        return self.after.total - self.before.total


def full_points_rate(ind: Indicator) -> Decimal:
    """The rate (%) from which an indicator earns all its points under its rule: its target, else 100."""
    if ind.method == "threshold" and ind.target is not None:
        return ind.target
    return _HUNDRED


def numerator_for(rate: Decimal, denominator: int) -> int:
    """The smallest numerator whose rate over `denominator` is at least `rate` percent (capped at the denominator)."""
    if denominator <= 0:
        return 0
    needed = (max(Decimal(0), rate) * denominator / _HUNDRED).to_integral_value(rounding=ROUND_CEILING)
    return min(denominator, int(needed))


def apply_changes(
    tallies: Mapping[str, Tally], changes: Changes, *, overdue: int
) -> tuple[dict[str, Tally], int]:
    """The tallies after the changes, and how many overdue dossiers were actually cleared.

    `overdue` is the number of open dossiers late at the moment the index is judged: only those can be
    cleared, and only as many as 2.1 counts as late.
    """
    out = dict(tallies)
    cleared = 0
    t = out.get(TIMELINESS)
    if t is not None and t.denominator:
        cleared = max(0, min(changes.cleared_overdue, overdue, t.denominator - t.numerator))
        slipped = max(0, min(changes.turned_late, t.numerator + cleared))
        out[TIMELINESS] = Tally(t.numerator + cleared - slipped, t.denominator)
    for ind_id, rate in changes.rates.items():
        cur = out.get(ind_id)
        if cur is None or not cur.denominator:
            continue  # not applicable: there is nothing to raise
        out[ind_id] = Tally(max(cur.numerator, numerator_for(rate, cur.denominator)), cur.denominator)
    return out, cleared


def rank_of(total: Decimal, others: Iterable[Decimal]) -> int:
    """Competition rank (1 = best) of a total among the other totals of its comparison block."""
    return 1 + sum(1 for o in others if o > total)


def what_if(
    tallies: Mapping[str, Tally],
    ruleset: RuleSet,
    changes: Changes,
    *,
    overdue: int = 0,
    others: Iterable[Decimal] | None = None,
) -> Outcome:
    """Score today's tallies and the changed ones under the same rule set; rank both among `others`."""
    before = compute(tallies, ruleset)
    changed, cleared = apply_changes(tallies, changes, overdue=overdue)
    after = compute(changed, ruleset)
    if others is None:
        return Outcome(before, after, changed, cleared, None, None, 0)
    rest = list(others)
    return Outcome(
        before,
        after,
        changed,
        cleared,
        rank_of(before.total, rest),
        rank_of(after.total, rest),
        len(rest) + 1,
    )
