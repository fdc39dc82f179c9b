"""Tests of the mobile-number normalisation and of the quiet hours."""

from datetime import date, datetime, time

import pytest
from freezegun import freeze_time

from odoo.addons.rental_flow_dunning.engines.phone import normalize_mobile
from odoo.addons.rental_flow_dunning.engines.quiet_hours import (
    QuietHours,
    float_to_time,
    is_allowed,
    next_allowed,
)

# -- phone numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("+33 7 81 23 45 67", None, "+33781234567"),
        ("0033612345678", "FR", "+33612345678"),
        ("0470 12 34 56", "BE", "+32470123456"),
        ("06.12.34.56.78", "fr", "+33612345678"),
    ],
)
def test_mobile_numbers_are_normalised_to_e164(raw, region, expected):
    check = normalize_mobile(raw, region)
    assert check.ok and check.e164 == expected and check.problem is None


@pytest.mark.parametrize(
    ("raw", "region", "problem"),
    [
        ("", "FR", "missing"),
        (None, "FR", "missing"),
        ("   ", "FR", "missing"),
        ("not a number", "FR", "unparsable"),
        ("06 12 34", None, "unparsable"),  # no country, no default region
        ("06 12 34", "FR", "invalid"),
        ("+33 6 12 34 56 78 90 12", None, "invalid"),
        ("01 23 45 67 89", "FR", "not_mobile"),  # Paris landline
        ("08 92 68 01 23", "FR", "not_mobile"),  # premium rate
    ],
)
def test_unusable_numbers_are_refused_with_a_reason(raw, region, problem):
    check = normalize_mobile(raw, region)
    assert not check.ok
    assert check.problem == problem
    assert check.detail


# -- quiet hours -------------------------------------------------------------------------

PARIS = QuietHours()  # 20:00 -> 08:00, no Sunday, Europe/Paris


@pytest.mark.parametrize(
    ("utc", "allowed"),
    [
        (datetime(2026, 11, 25, 9, 0), True),  # Wednesday 10:00 in Paris (UTC+1)
        (datetime(2026, 11, 25, 6, 59), False),  # 07:59 Paris
        (datetime(2026, 11, 25, 7, 0), True),  # 08:00 Paris
        (datetime(2026, 11, 25, 18, 59), True),  # 19:59 Paris
        (datetime(2026, 11, 25, 19, 0), False),  # 20:00 Paris
        (datetime(2026, 11, 29, 12, 0), False),  # Sunday
        (datetime(2026, 11, 28, 12, 0), True),  # Saturday allowed by default
        (datetime(2026, 7, 1, 6, 30), True),  # 08:30 in summer (UTC+2)
        (datetime(2026, 7, 1, 5, 30), False),  # 07:30 in summer
    ],
)
def test_is_allowed(utc, allowed):
    assert is_allowed(utc, PARIS) is allowed


def test_night_message_waits_for_the_morning():
    assert next_allowed(datetime(2026, 11, 25, 21, 30), PARIS) == datetime(2026, 11, 26, 7, 0)
    assert next_allowed(datetime(2026, 11, 26, 3, 0), PARIS) == datetime(2026, 11, 26, 7, 0)


def test_saturday_night_waits_until_monday_morning():
    # Saturday 28 Nov 2026 22:00 Paris -> Monday 30 Nov 08:00 Paris = 07:00 UTC
    assert next_allowed(datetime(2026, 11, 28, 21, 0), PARIS) == datetime(2026, 11, 30, 7, 0)


def test_daylight_saving_change_is_handled():
    # Night of 24-25 Oct 2026 (Saturday -> Sunday, clocks go back); Monday 26 08:00 is UTC+1
    assert next_allowed(datetime(2026, 10, 24, 20, 0), PARIS) == datetime(2026, 10, 26, 7, 0)


def test_holidays_and_sunday_option():
    rules = QuietHours(allow_sunday=True, holidays=frozenset({date(2026, 12, 25)}))
    assert is_allowed(datetime(2026, 11, 29, 12, 0), rules)
    assert next_allowed(datetime(2026, 12, 25, 10, 0), rules) == datetime(2026, 12, 26, 7, 0)


def test_daytime_window_and_disabled_rules():
    lunch = QuietHours(start=time(12, 0), end=time(14, 0), allow_sunday=True, tz="UTC")
    assert next_allowed(datetime(2026, 11, 25, 12, 30), lunch) == datetime(2026, 11, 25, 14, 0)
    assert is_allowed(datetime(2026, 11, 25, 23, 0), lunch)
    always = QuietHours(enabled=False)
    assert is_allowed(datetime(2026, 11, 29, 3, 0), always)
    no_window = QuietHours(start=time(8), end=time(8), allow_sunday=True)
    assert is_allowed(datetime(2026, 11, 29, 3, 0), no_window)


def test_rules_that_never_allow_anything_are_reported():
    never = QuietHours(allow_saturday=False, allow_sunday=False,
                       holidays=frozenset(date(2026, 1, 1).fromordinal(o) for o in range(
                           date(2026, 1, 1).toordinal(), date(2029, 1, 1).toordinal())))
    with pytest.raises(ValueError):
        next_allowed(datetime(2026, 11, 25, 9, 0), never)


@freeze_time("2026-11-29 10:00:00")  # a Sunday morning, UTC
def test_with_frozen_clock_sunday_message_goes_monday():
    now = datetime.utcnow()
    assert not is_allowed(now, PARIS)
    assert next_allowed(now, PARIS) == datetime(2026, 11, 30, 7, 0)


@pytest.mark.parametrize(("hours", "expected"), [(20.0, time(20)), (8.5, time(8, 30)),
                                                 (0, time(0)), (24, time(23, 59, 59))])
def test_float_to_time(hours, expected):
    assert float_to_time(hours) == expected


def test_float_to_time_refuses_out_of_range():
    with pytest.raises(ValueError):
        float_to_time(25)
