"""Reasons in words: every proposal explains itself.

A reason is a code plus parameters, e.g. ``Reason.of("viban", iban="FR76...",
property="Flat 12", lease="L0042")``. :func:`Reason.text` renders it in English with the
template of its code, or in the user's language when given a ``translate`` function: the
Odoo side passes one that looks the templates up in the addon's translations (they are
marked with :func:`_` so that Odoo's extractor collects them, and use ``%(name)s``
placeholders as ``odoo._()`` does). Parameters that are words of the engine (a party's
role, a kind of rent call, a lease state, why an amount does not fit) are translated too.
Integrators adding a rule type register their own codes with :func:`register_reason_template`.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


def _(text):
    """Mark ``text`` for translation: Odoo's extractor collects ``_("...")`` strings of the
    addon's Python files into its translation template. Returns ``text`` unchanged: the
    engine itself speaks English."""
    return text


#: English templates, one per reason code.
REASON_TEMPLATES = {
    # identification
    "viban": _("virtual IBAN %(iban)s of %(property)s → lease %(lease)s"),
    "viban_past": _("virtual IBAN %(iban)s of %(property)s, no longer valid since %(date_to)s "
    "→ lease %(lease)s"),
    "viban_other_lease": _("virtual IBAN %(iban)s of %(property)s → earlier lease %(lease)s"),
    "rf_reference": _("payment reference %(ref)s → %(number)s of lease %(lease)s"),
    "reference_in_text": _(
        "reference %(ref)s in the remittance text → %(number)s of lease %(lease)s"
    ),
    "invoice_number": _("rent call number %(number)s in the remittance text → lease %(lease)s"),
    "lease_code": _("lease code %(code)s in the remittance text → lease %(lease)s"),
    "hb_reference": _(
        "housing-benefit file number %(ref)s in the remittance text → lease %(lease)s"
    ),
    "known_iban": _("payer IBAN %(iban)s confirmed for lease %(lease)s"),
    "known_iban_shared": _(
        "payer IBAN %(iban)s confirmed for %(count)s leases, including %(lease)s"
    ),
    "party_iban": _(
        "payer IBAN %(iban)s is the bank account of %(role)s %(name)s of lease %(lease)s"
    ),
    "known_name": _("payer name %(payer)s confirmed for lease %(lease)s"),
    "known_name_shared": _(
        "payer name %(payer)s confirmed for %(count)s leases, including %(lease)s"
    ),
    "name_exact": _("payer %(payer)s is %(role)s %(name)s of lease %(lease)s"),
    "name_subset": _("payer %(payer)s matches %(role)s %(name)s of lease %(lease)s "
    "(joint account or extra first name)"),
    "name_fuzzy": _("payer %(payer)s ≈ %(role)s %(name)s of lease %(lease)s (misspelt, "
    "similarity %(similarity)s)"),
    "name_initial": _("payer %(payer)s matches %(role)s %(name)s of lease %(lease)s "
    "(initial and family name)"),
    "name_surname": _("payer %(payer)s has the family name of %(role)s %(name)s of lease %(lease)s "
    "(relative or joint account)"),
    "name_in_text": _("the remittance text names %(role)s %(name)s of lease %(lease)s"),
    "hb_payer": _("payer %(payer)s pays the housing benefit of lease %(lease)s"),
    "amount_only": _("amount %(amount)s equals what is open on lease %(lease)s only"),
    "deposit_words": _("the remittance text mentions a security deposit"),
    # allocation
    "fit_exact": _("amount equals %(what)s %(numbers)s"),
    "fit_multi": _("amount equals %(count)s %(what)ss %(numbers)s, oldest first"),
    "fit_partial": _("partial payment: %(amount)s of %(due)s due on %(numbers)s"),
    "fit_overpaid": _("overpayment: pays %(numbers)s; %(credit)s kept as the tenant's credit"),
    "fit_none": _(
        "nothing open of the kind %(what)s on lease %(lease)s; %(credit)s kept as credit"
    ),
    "fit_mismatch": _("amount %(amount)s does not fit what is open on lease %(lease)s (%(why)s)"),
    "target_paid": _("%(number)s is already paid"),
    "date_window": _("paid %(days)s days away from the due date of %(number)s"),
    "also": _("also: %(text)s"),
    # blockers and notes
    "debit": _("outgoing payment: not matched against rent calls"),
    "zero_amount": _("zero amount: nothing to match"),
    "currency": _(
        "line in %(currency)s, company currency is %(company_currency)s: never automatic"
    ),
    "viban_unknown": _("credited IBAN %(iban)s is not a known virtual IBAN: never automatic"),
    "viban_unallocated": _("virtual IBAN %(iban)s is not allocated to a property: never automatic"),
    "viban_vacant": _("virtual IBAN %(iban)s of %(property)s: no running lease and nothing open; "
    "never automatic"),
    "lease_not_running": _("lease %(lease)s is %(state)s: never automatic"),
    "reference_unknown": _("reference %(ref)s matches no open rent call"),
    "reference_bad_check": _("reference %(ref)s has wrong check digits"),
    "ambiguous": _("ambiguous: lease %(other)s scores %(other_score)s too"),
    "conflict": _("conflicting evidence: %(rule)s points to lease %(other)s"),
    "below_threshold": _("score %(score)s below the automatic threshold %(threshold)s"),
    "nothing_to_reconcile": _("nothing to reconcile automatically"),
    "no_match": _("no rule found a lease for this line"),
}


#: Words the engine puts in reason parameters, translated with the templates.
WORD_PARAMS = ("role", "what", "state", "why")
ENGINE_WORDS = (
    _("tenant"), _("co-tenant"), _("guarantor"), _("known payer"),
    _("rent call"), _("deposit call"), _("housing-benefit share"),
    _("draft"), _("running"), _("ended"), _("cancelled"),
    _("overpayment not allowed"), _("several months not allowed"),
    _("partial payments not allowed"),
)


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

    def text(self, translate=None):
        """Render the reason in English, or with ``translate`` (a function from an English
        text to the user's language) in the user's language; the code itself when no
        template is known."""
        template = REASON_TEMPLATES.get(self.code)
        if template is None:
            return self.code
        values = self.values
        if translate is not None:
            values = {key: translate(value) if key in WORD_PARAMS and value else value
                      for key, value in values.items()}
            try:
                return translate(template) % values
            except (KeyError, ValueError, TypeError):
                pass  # a broken translation: fall back to English
            values = self.values
        try:
            return template % values
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


def render(reasons, translate=None):
    """Join reasons into one sentence-like text, parts separated by semicolons (in the
    user's language with ``translate``, see :meth:`Reason.text`)."""
    return "; ".join(reason.text(translate) for reason in reasons)
