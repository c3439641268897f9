from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thuocdo.publication.ranking import Entry, rank, weighted_mean


def test_ties_share_a_rank_and_the_next_rank_skips():
    ranked = rank(
        [
            Entry("a", Decimal(90), 50),
            Entry("b", Decimal(95), 50),
            Entry("c", Decimal(90), 50),
            Entry("d", Decimal(80), 50),
        ],
        min_n=5,
    )
    assert [(r.key, r.rank) for r in ranked] == [("b", 1), ("a", 2), ("c", 2), ("d", 4)]


def test_small_samples_are_listed_last_without_a_rank():
    ranked = rank(
        [Entry("few", Decimal(99), 3), Entry("many", Decimal(70), 40), Entry("census", Decimal(60), None)],
        min_n=5,
    )
    assert [(r.key, r.rank) for r in ranked] == [("many", 1), ("census", 2), ("few", None)]


def test_rank_change_counts_places_gained():
    ranked = rank([Entry("a", Decimal(90)), Entry("b", Decimal(80))], min_n=5, previous={"a": 2, "b": 1})
    assert [(r.key, r.change) for r in ranked] == [("a", 1), ("b", -1)]


def test_weighted_mean_follows_the_weights():
    assert weighted_mean([Decimal(80), Decimal(90)], [Decimal(1), Decimal(3)]) == Decimal("87.500")
    assert weighted_mean([Decimal(80), Decimal(90)]) == Decimal("85.000")
    with pytest.raises(ValueError):
        weighted_mean([Decimal(80)], [Decimal(0)])


values = st.decimals(min_value=0, max_value=100, places=2)


@given(st.lists(st.tuples(values, st.integers(min_value=1, max_value=5000)), min_size=1, max_size=10))
def test_weighted_mean_lies_between_the_smallest_and_largest_value(pairs):
    mean = weighted_mean([v for v, _ in pairs], [Decimal(w) for _, w in pairs])
    assert min(v for v, _ in pairs) - Decimal("0.001") <= mean <= max(v for v, _ in pairs) + Decimal("0.001")


@given(st.lists(st.tuples(values, st.one_of(st.none(), st.integers(min_value=0, max_value=50))), max_size=30))
def test_every_eligible_entry_is_ranked_and_ranks_never_decrease(pairs):
    entries = [Entry(str(i), v, n) for i, (v, n) in enumerate(pairs)]
    ranked = rank(entries, min_n=5)
    ranks = [r.rank for r in ranked if r.rank is not None]
    assert ranks == sorted(ranks)
    assert len(ranks) == sum(1 for _, n in pairs if n is None or n >= 5)
    assert all(r.rank is None for r in ranked[len(ranks) :])
