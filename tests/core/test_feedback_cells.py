"""core.feedback.monthly_cells: late as of T = starts by T − ends by T, folded by month."""

from datetime import UTC, date, datetime, timedelta, timezone

from thuocdo.core.feedback import CountedSubmission, month_of, monthly_cells

ICT = timezone(timedelta(hours=7))


def _sub(key, at, *, dislikes=0, reraised=False, agency=1, category=9):
    return CountedSubmission(key, agency, category, at, likes=0, dislikes=dislikes, reraised=reraised)


def test_months_are_those_of_the_vietnamese_wall_clock_and_the_very_beginning_stays_put():
    assert month_of(datetime(2026, 3, 31, 17, 30, tzinfo=UTC), ICT) == date(2026, 4, 1)
    assert month_of(datetime(2026, 3, 31, 16, 59, tzinfo=UTC), ICT) == date(2026, 3, 1)
    assert month_of(datetime.min.replace(tzinfo=UTC), ICT) == date(1, 1, 1)


def test_a_span_adds_in_the_month_it_starts_and_takes_away_in_the_month_it_ends():
    march = datetime(2026, 3, 10, tzinfo=ICT)
    cells = monthly_cells(
        [_sub(1, march), _sub(2, march, dislikes=1), _sub(3, march)],
        [
            (1, datetime(2026, 3, 30, tzinfo=ICT), datetime(2026, 5, 2, tzinfo=ICT)),
            (2, datetime(2026, 4, 3, tzinfo=ICT), None),
            (3, datetime(2026, 3, 20, tzinfo=ICT), datetime(2026, 3, 25, tzinfo=ICT)),  # nets to nothing
            (99, datetime(2026, 3, 20, tzinfo=ICT), None),  # not counted (spam, duplicate): ignored
        ],
        ICT,
    )
    m = date(2026, 3, 1)
    count_row = cells[(1, m, 9, None, None)]
    assert (count_row.total, count_row.unsatisfied) == (3, 1)
    by_month = {k[3]: (c.late, c.late_satisfied) for k, c in cells.items() if k[3] is not None}
    # March: +1 (submission 1); April: +1 (2, already unsatisfied by its dislike); May: −1 (1 ends).
    assert by_month == {date(2026, 3, 1): (1, 1), date(2026, 4, 1): (1, 0), date(2026, 5, 1): (-1, -1)}
    by_day = {k[4]: (c.late, c.late_satisfied) for k, c in cells.items() if k[4] is not None}
    assert by_day == {
        date(2026, 3, 30): (1, 1),
        date(2026, 4, 3): (1, 0),
        date(2026, 5, 2): (-1, -1),
        date(2026, 3, 20): (1, 1),  # submission 3 is late on 20 March and on time again on the 25th
        date(2026, 3, 25): (-1, -1),
    }
