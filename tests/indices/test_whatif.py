"""The what-if page: today's figures side by side with the supposed ones, computed by core.whatif under the rule set in force."""

from __future__ import annotations

from decimal import Decimal

import pytest

from thuocdo.core.index766 import Tally
from thuocdo.core.whatif import Changes, what_if
from thuocdo.indices import selectors
from thuocdo.units.models import Agency, ComparisonBlock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dossiers")]
URL = "/chi-so/766/gia-dinh/"


@pytest.fixture
def block(province):  # type: ignore[no-untyped-def]
    """Sở Tư pháp and the commune committee compared in one block."""
    b = ComparisonBlock.objects.create(code="khoi-thu", name="Khối thử")
    Agency.objects.filter(code__in=["H66.01", "H66.101"]).update(block=b)
    return b


def _overdue_period(client):  # type: ignore[no-untyped-def]
    """A month whose end finds some dossiers of the province open and overdue."""
    for period in ("2025-09", "2025-10", "2025-11"):
        page = client.get(URL, {"unit": "province:66", "period": period})
        if page.context["overdue"]:
            return period, page.context["overdue"]
    raise AssertionError("the fixture has no overdue dossier at any month end")


def test_without_changes_the_page_shows_todays_figures_only(client, official):
    client.force_login(official)
    page = client.get(URL, {"unit": "province:66", "period": "2025-10"})
    assert page.status_code == 200
    assert page.context["outcome"] is None
    assert page.context["view"].result == selectors.index_for("province:66", "2025-10").result
    same = client.get(URL, {"unit": "province:66", "period": "2025-10", "cleared": "0"})
    outcome = same.context["outcome"]
    assert outcome.after == outcome.before and outcome.gain == 0


def test_clearing_overdue_dossiers_and_raising_a_rate(client, official):
    client.force_login(official)
    period, overdue = _overdue_period(client)
    today = selectors.index_for("province:66", period)
    page = client.get(
        URL, {"unit": "province:66", "period": period, "cleared": str(overdue), "rate_4_2": "80"}
    )
    outcome = page.context["outcome"]
    expected = what_if(
        today.tallies,
        selectors.ruleset_for(today.period.start),
        Changes(cleared_overdue=overdue, rates={"4.2": Decimal(80)}),
        overdue=overdue,
    )
    assert outcome.after == expected.after and outcome.before == today.result
    t = today.tallies["2.1"]
    assert outcome.tallies_after["2.1"] == Tally(min(t.denominator, t.numerator + overdue), t.denominator)
    assert outcome.after.indicators["4.2"].rate >= 80
    assert outcome.after.total >= outcome.before.total
    text = page.content.decode()
    assert "Kết quả giả định" in text
    assert f"{outcome.after.total:.2f}".replace(".", ",") in text


def test_the_new_rank_is_among_the_comparison_block(client, official, block):
    client.force_login(official)
    page = client.get(URL, {"unit": "agency:H66.01", "period": "2025-10", "cleared": "0", "rate_2_1": "100"})
    outcome = page.context["outcome"]
    other = selectors.index_for("agency:H66.101", "2025-10").result.total
    assert outcome.ranked_among == 2
    assert outcome.rank_before == (2 if other > outcome.before.total else 1)
    assert outcome.rank_after == (2 if other > outcome.after.total else 1)
    assert "Khối thử" in page.content.decode()


def test_bad_input_is_named_and_nothing_is_computed(client, official):
    client.force_login(official)
    page = client.get(URL, {"unit": "province:66", "period": "2025-10", "cleared": "-1", "rate_4_2": "150"})
    assert page.status_code == 200
    assert page.context["outcome"] is None
    form = page.context["form"]
    assert "cleared" in form.errors and "rate_4_2" in form.errors
    too_many = client.get(
        URL, {"unit": "province:66", "period": "2025-10", "cleared": str(page.context["overdue"] + 1)}
    )
    assert "cleared" in too_many.context["form"].errors
    assert "is-invalid" in too_many.content.decode()
