"""Payment references and the EPC QR code payload (pure Python).

Rent calls carry an ISO 11649 structured creditor reference ("RF" reference) built from
the lease code and the period, so that a transfer quoting it names both the lease and the
month. The EPC QR code (EPC069-12, version 002) lets a tenant's banking app pre-fill the
transfer to the property's virtual IBAN.
"""

import re
from decimal import Decimal

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


def rf_reference(*parts):
    """ISO 11649 reference from alphanumeric ``parts`` (e.g. lease code and period).

    >>> rf_reference("L0042", "202611")
    'RF09L0042202611'
    """
    body = _NOT_ALNUM.sub("", "".join(str(p) for p in parts).upper())
    if not body:
        raise ValueError("A structured reference needs at least one character.")
    if len(body) > 21:
        raise ValueError(f"{body} is too long for an ISO 11649 reference (21 characters).")
    check = mod_97_10.calc_check_digits(body + "RF")
    reference = f"RF{check}{body}"
    iso11649.validate(reference)
    return reference


def is_rf_reference(value):
    return bool(value) and iso11649.is_valid(value)


def epc_qr_payload(name, iban, amount, bic="", reference="", text=""):
    """Text of an EPC069-12 ("SEPA credit transfer") QR code, version 002.

    Either a structured ``reference`` (RF) or an unstructured ``text`` is used, as the
    standard requires (never both).
    """
    amount = Decimal(amount)
    if amount <= 0 or amount > Decimal("999999999.99"):
        raise ValueError("An EPC QR code needs an amount between 0.01 and 999999999.99.")
    if not name or not iban:
        raise ValueError("An EPC QR code needs the beneficiary's name and IBAN.")
    structured = reference if reference and is_rf_reference(reference) else ""
    lines = [
        "BCD",
        "002",
        "1",  # UTF-8
        "SCT",
        bic or "",
        name[:70],
        "".join(iban.split()).upper(),
        f"EUR{amount:.2f}",
        "",  # purpose
        structured,
        "" if structured else (text or reference or "")[:140],
    ]
    return "\n".join(lines).rstrip("\n")
