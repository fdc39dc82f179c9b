"""Rent periods, proration, due dates (pure engine)."""

from datetime import date
from decimal import Decimal

import pytest

from odoo.addons.rental_flow.engines import rent_schedule as rs


def periods(start, end, until, periodicity="monthly"):
    return list(rs.iter_periods(start, end, until, periodicity))


def test_monthly_periods_are_calendar_months():
    result = periods(date(2026, 1, 1), None, date(2026, 3, 1))
    assert [(p.start, p.end) for p in result] == [
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 31)),
    ]
    assert all(p.is_full for p in result)


def test_first_and_last_periods_are_prorated_on_calendar_days():
    result = periods(date(2026, 1, 15), date(2026, 3, 10), date(2026, 12, 31))
    first, middle, last = result
    assert (first.covered_start, first.covered_end, first.covered_days) == (
        date(2026, 1, 15), date(2026, 1, 31), 17,
    )
    assert rs.prorate(Decimal("930.00"), first) == Decimal("510.00")  # 930 * 17 / 31
    assert middle.is_full and rs.prorate(Decimal("930.00"), middle) == Decimal("930.00")
    assert last.covered_days == 10
    assert rs.prorate(Decimal("930.00"), last) == Decimal("300.00")  # 930 * 10 / 31


def test_proration_rounds_half_up_to_the_cent():
    period = periods(date(2026, 2, 27), None, date(2026, 2, 27))[0]  # 2 of 28 days
    assert rs.prorate(Decimal("100.07"), period) == Decimal("7.15")  # 7.1478... -> 7.15


def test_quarterly_periods_follow_calendar_quarters():
    result = periods(date(2026, 2, 10), None, date(2026, 7, 1), "quarterly")
    assert [(p.start, p.end) for p in result] == [
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 7, 1), date(2026, 9, 30)),
    ]
    assert result[0].covered_days == 50 and result[0].days == 90


def test_only_periods_starting_until_the_horizon():
    assert periods(date(2026, 1, 1), None, date(2026, 1, 31)) == periods(
        date(2026, 1, 1), None, date(2026, 1, 1)
    )
    assert len(periods(date(2026, 1, 1), None, date(2026, 2, 1))) == 2


def test_lease_ending_before_it_starts_is_refused():
    with pytest.raises(rs.ScheduleError):
        periods(date(2026, 3, 1), date(2026, 2, 1), date(2026, 12, 1))


def test_unknown_periodicity_is_refused():
    with pytest.raises(rs.ScheduleError):
        periods(date(2026, 3, 1), None, date(2026, 12, 1), "weekly")


def test_due_date_uses_due_day_clamped_to_month_and_lease_start():
    feb = periods(date(2026, 1, 1), None, date(2026, 2, 1))[1]
    assert rs.due_date(feb, 5) == date(2026, 2, 5)
    assert rs.due_date(feb, 31) == date(2026, 2, 28)
    first = periods(date(2026, 1, 20), None, date(2026, 1, 20))[0]
    assert rs.due_date(first, 5) == date(2026, 1, 20)
    with pytest.raises(rs.ScheduleError):
        rs.due_date(feb, 0)


def test_add_months_clamps_to_month_end():
    assert rs.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert rs.add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert rs.add_months(date(2026, 3, 1), -5) == date(2025, 10, 1)
