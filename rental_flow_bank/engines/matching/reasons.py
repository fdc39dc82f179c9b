"""Reasons in words: every proposal explains itself.

A reason is a code plus parameters, e.g. ``Reason.of("viban", iban="FR76...",
property="Flat 12", lease="L0042")``. :func:`Reason.text` renders it in English with the
template of its code; the Odoo side renders the same codes through its translation system
(the templates use ``%(name)s`` placeholders, as ``odoo._()`` expects). Integrators adding a
rule type register their own codes with :func:`register_reason_template`.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

#: English templates, one per reason code.
REASON_TEMPLATES = {
    # identification
    "viban": "virtual IBAN %(iban)s of %(property)s → lease %(lease)s",
    "viban_past": "virtual IBAN %(iban)s of %(property)s, no longer valid since %(date_to)s "
    "→ lease %(lease)s",
    "viban_other_lease": "virtual IBAN %(iban)s of %(property)s → earlier lease %(lease)s",
    "rf_reference": "payment reference %(ref)s → %(number)s of lease %(lease)s",
    "reference_in_text": "reference %(ref)s in the remittance text → %(number)s of lease %(lease)s",
    "invoice_number": "rent call number %(number)s in the remittance text → lease %(lease)s",
    "lease_code": "lease code %(code)s in the remittance text → lease %(lease)s",
    "hb_reference": "housing-benefit file number %(ref)s in the remittance text → lease %(lease)s",
    "known_iban": "payer IBAN %(iban)s confirmed for lease %(lease)s",
    "known_iban_shared": "payer IBAN %(iban)s confirmed for %(count)s leases, including %(lease)s",
    "party_iban": "payer IBAN %(iban)s is the bank account of %(role)s %(name)s of lease %(lease)s",
    "known_name": "payer name %(payer)s confirmed for lease %(lease)s",
    "known_name_shared": "payer name %(payer)s confirmed for %(count)s leases, including %(lease)s",
    "name_exact": "payer %(payer)s is %(role)s %(name)s of lease %(lease)s",
    "name_subset": "payer %(payer)s matches %(role)s %(name)s of lease %(lease)s "
    "(joint account or extra first name)",
    "name_fuzzy": "payer %(payer)s ≈ %(role)s %(name)s of lease %(lease)s (misspelt, "
    "similarity %(similarity)s)",
    "name_initial": "payer %(payer)s matches %(role)s %(name)s of lease %(lease)s "
    "(initial and family name)",
    "name_surname": "payer %(payer)s has the family name of %(role)s %(name)s of lease %(lease)s "
    "(relative or joint account)",
    "name_in_text": "the remittance text names %(role)s %(name)s of lease %(lease)s",
    "hb_payer": "payer %(payer)s pays the housing benefit of lease %(lease)s",
    "amount_only": "amount %(amount)s equals what is open on lease %(lease)s only",
    "deposit_words": "the remittance text mentions a security deposit",
    # allocation
    "fit_exact": "amount equals %(what)s %(numbers)s",
    "fit_multi": "amount equals %(count)s %(what)ss %(numbers)s, oldest first",
    "fit_partial": "partial payment: %(amount)s of %(due)s due on %(numbers)s",
    "fit_overpaid": "overpayment: pays %(numbers)s; %(credit)s kept as the tenant's credit",
    "fit_none": "nothing open of the kind %(what)s on lease %(lease)s; %(credit)s kept as credit",
    "fit_mismatch": "amount %(amount)s does not fit what is open on lease %(lease)s (%(why)s)",
    "target_paid": "%(number)s is already paid",
    "date_window": "paid %(days)s days away from the due date of %(number)s",
    "also": "also: %(text)s",
    # blockers and notes
    "debit": "outgoing payment: not matched against rent calls",
    "zero_amount": "zero amount: nothing to match",
    "currency": "line in %(currency)s, company currency is %(company_currency)s: never automatic",
    "viban_unknown": "credited IBAN %(iban)s is not a known virtual IBAN: never automatic",
    "viban_unallocated": "virtual IBAN %(iban)s is not allocated to a property: never automatic",
    "viban_vacant": "virtual IBAN %(iban)s of %(property)s: no running lease and nothing open; "
    "never automatic",
    "lease_not_running": "lease %(lease)s is %(state)s: never automatic",
    "reference_unknown": "reference %(ref)s matches no open rent call",
    "reference_bad_check": "reference %(ref)s has wrong check digits",
    "ambiguous": "ambiguous: lease %(other)s scores %(other_score)s too",
    "conflict": "conflicting evidence: %(rule)s points to lease %(other)s",
    "below_threshold": "score %(score)s below the automatic threshold %(threshold)s",
    "nothing_to_reconcile": "nothing to reconcile automatically",
    "no_match": "no rule found a lease for this line",
}


def _as_text(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.quantize(Decimal("0.01")), "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Reason:
    """One part of an explanation: a code and its parameters (all strings)."""

    code: str
    params: tuple = ()

    @classmethod
    def of(cls, reason_code, /, **params):
        """Build a reason; Decimals, dates and numbers are turned into text."""
        return cls(reason_code, tuple(sorted((k, _as_text(v)) for k, v in params.items())))

    @property
    def values(self):
        """The parameters as a dict."""
        return dict(self.params)

    def text(self):
        """Render the reason in English (the code itself when no template is known)."""
        template = REASON_TEMPLATES.get(self.code)
        if template is None:
            return self.code
        try:
            return template % self.values
        except (KeyError, ValueError, TypeError):
            return self.code


def register_reason_template(code, template):
    """Register the English template of a reason code (for custom rule types).

    Raises ``ValueError`` when ``code`` already has a different template.
    """
    current = REASON_TEMPLATES.get(code)
    if current is not None and current != template:
        raise ValueError(f"reason code {code!r} already has a template")
    REASON_TEMPLATES[code] = template


def render(reasons):
    """Join reasons into one sentence-like text, parts separated by semicolons."""
    return "; ".join(reason.text() for reason in reasons)
