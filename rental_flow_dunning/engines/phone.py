"""Mobile numbers for SMS reminders, normalised to E.164 with ``phonenumbers``.

:func:`normalize_mobile` returns a :class:`MobileCheck`: the E.164 number when the input is
a valid number that can receive an SMS, else ``None`` and a problem code with a readable
detail. Problem codes (stable, translated by the models):

- ``missing``: no number at all;
- ``unparsable``: not a phone number (letters, too short, no country and no default);
- ``invalid``: a number that does not exist in its country's numbering plan;
- ``not_mobile``: a valid number that cannot receive SMS (landline, premium rate...).
"""

from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType

__all__ = ["MobileCheck", "normalize_mobile"]

_SMS_CAPABLE = {
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


@dataclass(frozen=True)
class MobileCheck:
    """Result of :func:`normalize_mobile`."""

    e164: str | None
    problem: str | None = None
    detail: str = ""

    @property
    def ok(self):
        return self.e164 is not None


def normalize_mobile(number, default_region="FR"):
    """Normalise ``number`` to E.164 if it can receive an SMS.

    ``default_region`` (ISO 3166 alpha-2, e.g. the partner's country) is used for numbers
    written without an international prefix ("06 12 34 56 78").
    """
    raw = (number or "").strip()
    if not raw:
        return MobileCheck(None, "missing", "no phone number")
    region = (default_region or "").upper() or None
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        return MobileCheck(None, "unparsable", f"{raw!r} is not a phone number ({exc})")
    if not phonenumbers.is_valid_number(parsed):
        return MobileCheck(
            None, "invalid", f"{raw!r} does not exist in the numbering plan of its country"
        )
    kind = phonenumbers.number_type(parsed)
    if kind not in _SMS_CAPABLE:
        return MobileCheck(None, "not_mobile", f"{raw!r} is not a mobile number")
    return MobileCheck(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
