"""Complementary suppression as a rule: whatever the structure and the small cells, no withheld primary cell
can be rebuilt exactly from the published ones, and nothing is withheld when nothing needs to be."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from thuocdo.publication.suppression import COMPLEMENTARY, PRIMARY, LinearCell, exposed, protect


def structure(sizes: list[int], small: set[str]) -> list[LinearCell]:
    """Criteria grouped in factors (mean), and the overall as the mean of the factors, as SIPAS combines them."""
    cells: list[LinearCell] = []
    factors = []
    for f, size in enumerate(sizes):
        codes = [f"F{f}C{i}" for i in range(size)]
        cells.extend(LinearCell(f"item:{c}", {c: 1.0}, c in small) for c in codes)
        weights = dict.fromkeys(codes, 1.0 / size)
        factors.append(weights)
        cells.append(LinearCell(f"factor:F{f}", weights, f"F{f}" in small))
    overall: dict[str, float] = {}
    for weights in factors:
        for c, w in weights.items():
            overall[c] = overall.get(c, 0.0) + w / len(factors)
    cells.append(LinearCell("overall:", overall))
    return cells


def cost(cell: LinearCell) -> float:
    return {"item": 1.0, "factor": 3.0, "overall": 100.0}[cell.key.split(":")[0]]


def members(sizes: list[int]) -> dict[str, list[str]]:
    return {f"factor:F{f}": [f"item:F{f}C{i}" for i in range(size)] for f, size in enumerate(sizes)}


@st.composite
def tables(draw):  # type: ignore[no-untyped-def]
    sizes = draw(st.lists(st.integers(1, 5), min_size=1, max_size=5))
    codes = [f"F{f}C{i}" for f, size in enumerate(sizes) for i in range(size)]
    small = draw(st.sets(st.sampled_from(codes), max_size=3))
    return sizes, small


@settings(max_examples=150, deadline=None)
@given(tables())
def test_no_withheld_criterion_is_recoverable(table):  # type: ignore[no-untyped-def]
    sizes, small = table
    cells = structure(sizes, small)
    withheld = protect(cells, cost=cost, members=members(sizes))
    assert {k for k, why in withheld.items() if why == PRIMARY} == {f"item:{c}" for c in small}
    variables = sorted({v for c in cells for v in c.weights})
    published = [c for c in cells if c.key not in withheld]
    for cell in cells:
        if cell.primary:
            assert not exposed(cell, published, variables), (sizes, small, withheld)


@given(st.lists(st.integers(1, 5), min_size=1, max_size=5))
def test_nothing_is_withheld_without_a_small_cell(sizes):  # type: ignore[no-untyped-def]
    assert protect(structure(sizes, set()), cost=cost, members=members(sizes)) == {}


def test_one_small_criterion_costs_one_neighbour_not_the_factor():
    cells = structure([4, 3], {"F0C1"})
    assert protect(cells, cost=cost, members=members([4, 3])) == {
        "item:F0C1": PRIMARY,
        "item:F0C0": COMPLEMENTARY,
    }


def test_a_factor_made_of_one_small_criterion_is_protected_at_the_overall_level():
    # F1 has a single criterion: the factor equals it, and the overall minus F0 would give it back.
    cells = structure([3, 1], {"F1C0"})
    withheld = protect(cells, cost=cost, members=members([3, 1]))
    assert withheld["item:F1C0"] == PRIMARY
    published = [c for c in cells if c.key not in withheld]
    variables = sorted({v for c in cells for v in c.weights})
    assert not exposed(LinearCell("x", {"F1C0": 1.0}), published, variables)
    # The headline stays: the other factor and one of its criteria are withheld instead of the overall.
    assert "overall:" not in withheld
    assert withheld["factor:F0"] == COMPLEMENTARY and withheld["item:F0C0"] == COMPLEMENTARY
