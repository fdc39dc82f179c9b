"""Quiet hours: when a reminder SMS may be sent.

Reminders must not wake people up (one of the complaints about automatic dunning is "an
aggressive SMS at 7 am"): by default no SMS between 20:00 and 08:00 local time, nor on
Sundays, nor on the public holidays given. A message that falls in a quiet period is kept
in the queue until :func:`next_allowed`.

Datetimes are naive UTC in and out (Odoo's convention); the rules are applied in the
``tz`` time zone, so daylight-saving changes are handled by :mod:`zoneinfo`.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["QuietHours", "float_to_time", "is_allowed", "next_allowed"]


def float_to_time(hours):
    """``20.5`` -> ``time(20, 30)`` (Odoo's float_time widget stores hours as a float)."""
    if not 0 <= hours <= 24:
        raise ValueError(f"an hour of the day is between 0 and 24, not {hours}")
    minutes = round(hours * 60)
    if minutes >= 24 * 60:
        return time(23, 59, 59)
    return time(minutes // 60, minutes % 60)


@dataclass(frozen=True)
class QuietHours:
    """No SMS from ``start`` to ``end`` (local time), nor on the days not allowed.

    ``start > end`` is an overnight window (20:00 -> 08:00); ``start == end`` means no
    quiet window at all. ``enabled=False`` lets everything through.
    """

    start: time = time(20, 0)
    end: time = time(8, 0)
    allow_saturday: bool = True
    allow_sunday: bool = False
    holidays: frozenset = frozenset()
    tz: str = "Europe/Paris"
    enabled: bool = True

    @property
    def zone(self):
        return ZoneInfo(self.tz or "UTC")

    def day_allowed(self, day):
        """Whether SMS may be sent at all on the local date ``day``."""
        if day in self.holidays:
            return False
        weekday = day.weekday()
        if weekday == 6:
            return self.allow_sunday
        if weekday == 5:
            return self.allow_saturday
        return True

    def in_window(self, moment):
        """Whether the local time ``moment`` falls in the nightly quiet window."""
        if self.start == self.end:
            return False
        now = moment.time()
        if self.start > self.end:
            return now >= self.start or now < self.end
        return self.start <= now < self.end


def _to_local(moment_utc, rules):
    return moment_utc.replace(tzinfo=UTC).astimezone(rules.zone)


def _to_utc(local):
    return local.astimezone(UTC).replace(tzinfo=None)


def is_allowed(moment_utc, rules):
    """Whether an SMS may be sent at the naive UTC datetime ``moment_utc``."""
    if not rules.enabled:
        return True
    local = _to_local(moment_utc, rules)
    return rules.day_allowed(local.date()) and not rules.in_window(local)


def next_allowed(moment_utc, rules):
    """The first naive UTC datetime at or after ``moment_utc`` when an SMS may be sent."""
    if is_allowed(moment_utc, rules):
        return moment_utc
    zone = rules.zone
    local = _to_local(moment_utc, rules)
    for _ in range(2 * 370):  # a year of days, each split at most once by the window
        if not rules.day_allowed(local.date()):
            start_of_next_day = datetime.combine(local.date() + timedelta(days=1), time(0))
            local = start_of_next_day.replace(tzinfo=zone)
        elif rules.in_window(local):
            day = local.date()
            if rules.start > rules.end and local.time() >= rules.start:
                day += timedelta(days=1)
            local = datetime.combine(day, rules.end).replace(tzinfo=zone)
        else:
            return _to_utc(local)
    raise ValueError("the quiet hours leave no moment to send an SMS")
