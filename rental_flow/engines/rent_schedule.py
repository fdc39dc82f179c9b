"""Rent periods, proration and due dates (pure Python).

A lease is invoiced by calendar periods: months, or calendar quarters (January-March,
April-June, ...). The first and the last period of a lease are prorated by the number of
days the lease covers in the period, over the number of days of the period (the usual
French practice: "prorata temporis" on calendar days).
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

PERIOD_MONTHS = {"monthly": 1, "quarterly": 3}


class ScheduleError(ValueError):
    """Raised for impossible schedule parameters (dates, periodicity, due day)."""


@dataclass(frozen=True)
class Period:
    """One rent period of a lease.

    ``start``/``end`` are the calendar bounds of the period, ``covered_start`` and
    ``covered_end`` the part of it the lease covers. ``ratio`` is covered days over period
    days (1 for a full period).
    """

    start: date
    end: date
    covered_start: date
    covered_end: date

    @property
    def days(self):
        return (self.end - self.start).days + 1

    @property
    def covered_days(self):
        return (self.covered_end - self.covered_start).days + 1

    @property
    def is_full(self):
        return self.covered_start == self.start and self.covered_end == self.end

    @property
    def ratio(self):
        return Decimal(self.covered_days) / Decimal(self.days)


def quantize(amount):
    """Round a Decimal to the cent, half up (the French commercial rounding)."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def add_months(day, months):
    """Same day ``months`` later, clamped to the last day of the target month."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def period_start_of(day, periodicity):
    """First day of the calendar period (month or quarter) containing ``day``."""
    months = _months(periodicity)
    first_month = ((day.month - 1) // months) * months + 1
    return date(day.year, first_month, 1)


def period_of(day, periodicity):
    """The full calendar period containing ``day`` as ``(start, end)``."""
    start = period_start_of(day, periodicity)
    end = add_months(start, _months(periodicity)) - timedelta(days=1)
    return start, end


def iter_periods(lease_start, lease_end, until, periodicity):
    """Yield the :class:`Period` of a lease whose start is on or before ``until``.

    ``lease_end`` may be ``None`` (open-ended lease). Periods are clipped to the lease
    dates, which gives the prorated first and last periods.
    """
    if lease_end and lease_end < lease_start:
        raise ScheduleError("The lease ends before it starts.")
    start, end = period_of(lease_start, periodicity)
    while start <= until and (lease_end is None or start <= lease_end):
        covered_start = max(start, lease_start)
        covered_end = min(end, lease_end) if lease_end else end
        yield Period(start, end, covered_start, covered_end)
        start = end + timedelta(days=1)
        end = add_months(start, _months(periodicity)) - timedelta(days=1)


def prorate(amount, period):
    """Amount due for ``period``: the full amount, or prorated on calendar days."""
    amount = Decimal(amount)
    if period.is_full:
        return quantize(amount)
    return quantize(amount * period.covered_days / period.days)


def due_date(period, due_day):
    """Due date of a period: ``due_day`` of its first month, not before the lease starts.

    A due day beyond the end of the month falls on the month's last day.
    """
    if not 1 <= int(due_day) <= 31:
        raise ScheduleError("The due day must be between 1 and 31.")
    last = calendar.monthrange(period.start.year, period.start.month)[1]
    day = date(period.start.year, period.start.month, min(int(due_day), last))
    return max(day, period.covered_start)


def issue_date(period, advance_days):
    """Date from which the rent call of ``period`` may be issued."""
    return period.start - timedelta(days=int(advance_days))


def _months(periodicity):
    try:
        return PERIOD_MONTHS[periodicity]
    except KeyError:
        raise ScheduleError(f"Unknown rent period {periodicity!r}.") from None
