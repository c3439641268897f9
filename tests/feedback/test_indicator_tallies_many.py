"""indicator_tallies_many: the 5.x tallies of many agency sets at once equal indicator_tallies set by set."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thuocdo.core.feedback import Event
from thuocdo.feedback import services
from thuocdo.feedback.models import LateSpan
from thuocdo.feedback.selectors import indicator_tallies, indicator_tallies_many
from thuocdo.units.models import Agency

from .test_indicator_tallies import MONTHS, T0, TICK, build, histories, month_windows, place, windows

pytestmark = pytest.mark.django_db
__all__ = ["place"]  # the fixture, shared with the single-set tests

# Every subset of the three agencies, the empty one included.
SUBSETS = [tuple(i for i in range(3) if mask >> i & 1) for mask in range(8)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plans=histories(),
    cuts=st.lists(windows, min_size=1, max_size=3),
    months=st.lists(month_windows, min_size=1, max_size=3),
    sets=st.lists(st.sampled_from(SUBSETS), min_size=1, max_size=5),
    pick=st.randoms(use_true_random=False),
)
def test_grouped_tallies_equal_the_tallies_of_each_set(place, plans, cuts, months, sets, pick):
    agencies, categories = place
    with transaction.atomic():
        made = build(plans, agencies, categories)
        checks = []
        for first, length, judged in cuts:
            start = T0 + timedelta(days=first)
            as_of = None if judged is None else T0 + timedelta(days=judged, hours=judged % 9)
            checks.append((start, start + timedelta(days=length), as_of))
        for first, length, before, after, as_of in months:
            checks.append((MONTHS[first] - before, MONTHS[first + length] + after, as_of))
        turns = []
        for s in made:
            s.refresh_from_db()
            for moment in [e.at for e in s.events.all()] + [s.handle_by, s.publish_by]:
                if moment is not None:
                    turns += [
                        (T0 - timedelta(days=1), T0 + timedelta(days=100), moment + d) for d in (-TICK, TICK)
                    ]
        checks += pick.sample(turns, min(len(turns), 4))
        # Keys of any kind; a set given as agencies or as their ids.
        agency_sets = {
            (n, subset): [agencies[i] if n % 2 else agencies[i].pk for i in subset]
            for n, subset in enumerate(sets)
        }
        for start, end, as_of in checks:
            many = indicator_tallies_many(agency_sets, start=start, end=end, as_of=as_of)
            assert set(many) == set(agency_sets)
            for key, members in agency_sets.items():
                one = indicator_tallies(
                    agencies=Agency.objects.filter(pk__in=[getattr(a, "pk", a) for a in members]),
                    start=start,
                    end=end,
                    as_of=as_of,
                )
                assert many[key] == one, (key, start, end, as_of)
        transaction.set_rollback(True)


def test_the_number_of_queries_does_not_grow_with_the_number_of_sets(place):
    agencies, categories = place
    plans = [
        {"offset": timedelta(days=d), "agency": d % 3, "category": d % 3, "copy": False, "spam": False,
         "steps": [(0, timedelta(days=20), 0)], "ratings": []}
        for d in range(0, 80, 7)
    ]  # fmt: skip
    build(plans, agencies, categories)
    # A partial month, whole months and a partial month: every kind of read.
    start, end = MONTHS[0] + timedelta(days=3), MONTHS[3] + timedelta(days=5)
    as_of = MONTHS[2] + timedelta(days=10, hours=3)
    counts = []
    for sets in ({0: agencies[:1]}, {i: [agencies[i % 3], agencies[(i + 1) % 3]] for i in range(12)}):
        with CaptureQueriesContext(connection) as queries:
            many = indicator_tallies_many(sets, start=start, end=end, as_of=as_of)
        counts.append(len(queries))
        assert any(d for got in many.values() for _n, d in got.values())
    assert counts[0] == counts[1]
    assert indicator_tallies_many({}, start=start, end=end, as_of=as_of) == {}


def test_spans_starting_and_ending_on_the_judging_day_count_per_agency(place):
    """Late spans that start or end on as_of's own day are counted row by row: each goes to its agency."""
    agencies, categories = place
    for n, (agency, transfer_after) in enumerate([(0, 3), (1, 1), (2, None), (0, None)]):
        s = services.submit_feedback(
            data=services.NewSubmission(
                title=f"Chưa xử lý {n}", body=f"Hồ sơ số {n} chưa được xử lý.", category=categories[n % 3],
                agency=agencies[agency],
            ),
            now=T0 + timedelta(days=n),
        )  # fmt: skip
        if transfer_after is not None:
            services.transition_submission(
                submission=s,
                event=Event.TRANSFER,
                now=s.handle_by + timedelta(days=transfer_after),
                to_agency=agencies[(agency + 1) % 3],
            )
    moments = sorted(
        {m for pair in LateSpan.objects.values_list("starts_at", "ends_at") for m in pair if m is not None}
    )
    assert moments
    sets = {"all": agencies, "first": agencies[:1], "last two": agencies[1:], "none": []}
    seen = set()
    for start, end in ((MONTHS[0], MONTHS[4]), (T0, T0 + timedelta(days=10))):
        for moment in moments:
            for as_of in (moment - TICK, moment, moment + TICK, moment + timedelta(hours=5)):
                many = indicator_tallies_many(sets, start=start, end=end, as_of=as_of)
                for key, members in sets.items():
                    one = indicator_tallies(
                        agencies=Agency.objects.filter(pk__in=[a.pk for a in members]),
                        start=start,
                        end=end,
                        as_of=as_of,
                    )
                    assert many[key] == one, (key, start, end, as_of)
                seen.add(many["all"]["5.2"])
    assert len(seen) > 1  # the verdicts turned inside the checked moments
