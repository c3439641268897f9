import pytest
from hypothesis import given
from hypothesis import strategies as st

from thuocdo.core.sampling import SamplingError, allocate, cochran, select_stratified, yamane


def test_yamane_matches_the_sipas_rule():
    assert yamane(2000, 0.05) == 334  # 2000 / (1 + 2000·0.0025) = 333.3
    assert yamane(10_000, 0.05) == 385
    assert yamane(10, 0.05) == 10


def test_cochran_without_adjustments_is_385():
    assert cochran(0.05).n == 385


def test_cochran_applies_deff_before_fpc_then_response_rate():
    size = cochran(0.05, deff=1.5, response_rate=0.8, population=2000)
    assert size.n == 560  # samplics, which corrects for the population first, says 605
    assert size.with_deff == pytest.approx(size.n0 * 1.5)
    assert size.with_fpc == pytest.approx(size.with_deff / (1 + (size.with_deff - 1) / 2000))


def test_cochran_takes_steps_in_the_same_order_as_svy():
    import svy

    steps = (
        svy.SampleSize().estimate_prop(p=0.5, moe=0.05, deff=1.5, resp_rate=0.8, pop_size=2000).to_polars()
    )
    ours = cochran(0.05, deff=1.5, response_rate=0.8, population=2000)
    # svy rounds up after every step (385 → 578 → 449 → 562); we round once at the end (560).
    assert steps["n1_deff"][0] == pytest.approx(ours.with_deff, abs=2)
    assert steps["n2_fpc"][0] == pytest.approx(ours.with_fpc, abs=2)
    assert steps["n"][0] == 562


def test_bad_parameters_are_refused_with_a_reason():
    with pytest.raises(SamplingError, match="sai số cho phép"):
        cochran(5)
    with pytest.raises(SamplingError, match="deff"):
        cochran(0.05, deff=0.5)
    with pytest.raises(SamplingError, match="N phải ≥ 1"):
        yamane(0, 0.05)


@given(st.integers(1, 10**7), st.floats(0.005, 0.5), st.floats(1, 3), st.floats(0.1, 1))
def test_sizes_never_exceed_the_population(population, margin, deff, rr):
    assert 1 <= yamane(population, margin) <= population
    assert 1 <= cochran(margin, deff=deff, response_rate=rr, population=population).n <= population


@given(st.integers(1, 10**6), st.floats(0.01, 0.2), st.floats(0.01, 0.2))
def test_a_wider_margin_never_needs_more_interviews(population, e1, e2):
    small, large = sorted((e1, e2))
    assert yamane(population, large) <= yamane(population, small)
    assert cochran(large, population=population).n <= cochran(small, population=population).n


def test_proportional_allocation_sums_to_n():
    assert allocate(100, {"tinh": 5000, "xa": 3000, "phuong": 2000}) == {"tinh": 50, "xa": 30, "phuong": 20}


def test_allocation_never_takes_more_than_a_stratum_has():
    assert allocate(3, {"a": 1, "b": 1, "c": 1}) == {"a": 1, "b": 1, "c": 1}
    neyman = allocate(100, {"a": 20, "b": 1000}, method="neyman", sd={"a": 50.0, "b": 0.5})
    assert neyman == {"a": 20, "b": 80}  # a would get 95 by N·S, but only has 20
    with pytest.raises(SamplingError, match="tổng quy mô"):
        allocate(4, {"a": 1, "b": 2})


def test_neyman_gives_more_to_the_more_variable_stratum():
    result = allocate(90, {"a": 1000, "b": 1000}, method="neyman", sd={"a": 2.0, "b": 1.0})
    assert result == {"a": 60, "b": 30}


@given(
    st.dictionaries(st.sampled_from("ABCDEFG"), st.integers(0, 500), min_size=1),
    st.floats(0, 1),
    st.integers(0, 3),
)
def test_allocation_sums_to_n_and_respects_bounds(population, fraction, minimum):
    n = int(sum(population.values()) * fraction)
    if sum(min(minimum, v) for v in population.values()) > n:
        return
    result = allocate(n, population, minimum=minimum)
    assert sum(result.values()) == n
    assert all(min(minimum, population[s]) <= result[s] <= population[s] for s in population)


def test_selection_is_reproducible_with_the_seed_and_ignores_input_order():
    records = [(f"HS-{i:04d}", "xa" if i % 3 else "tinh") for i in range(300)]
    allocation = {"xa": 20, "tinh": 10}
    first = select_stratified(records, allocation, seed=766)
    assert first == select_stratified(list(reversed(records)), allocation, seed=766)
    assert first != select_stratified(records, allocation, seed=767)
    chosen = dict(records)
    assert sum(chosen[i] == "xa" for i in first) == 20 and len(set(first)) == 30


@given(st.integers(0, 2**32), st.integers(1, 50), st.data())
def test_selection_draws_exactly_the_allocation(seed, size, data):
    records = [(f"r{i}", "s") for i in range(size)]
    take = data.draw(st.integers(0, size))
    picked = select_stratified(records, {"s": take}, seed=seed)
    assert len(picked) == len(set(picked)) == take
    assert picked == select_stratified(records, {"s": take}, seed=seed)


def test_selection_refuses_impossible_requests():
    with pytest.raises(SamplingError, match="chỉ có 1 hồ sơ"):
        select_stratified([("a", "s")], {"s": 2}, seed=1)
    with pytest.raises(SamplingError, match="bị trùng"):
        select_stratified([("a", "s"), ("a", "s")], {"s": 1}, seed=1)
