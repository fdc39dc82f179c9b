"""Plain data in and out of the matching engine.

The Odoo side reads its records in bulk and fills these dataclasses; the engine returns
:class:`Proposal` and :class:`LineResult` objects made of plain values. Money is always a
``Decimal`` with at most two decimal places (the engine computes in integer cents).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .reasons import render

#: Kinds of open items.
KIND_RENT = "rent"
KIND_DEPOSIT = "deposit"
KIND_HOUSING_BENEFIT = "housing_benefit"
KINDS = (KIND_RENT, KIND_DEPOSIT, KIND_HOUSING_BENEFIT)

#: Lease states.
LEASE_STATES = ("draft", "running", "ended")

#: Line outcomes.
STATUS_AUTO = "auto"
STATUS_REVIEW = "review"
STATUS_UNMATCHED = "unmatched"
STATUS_SKIPPED = "skipped"


class MatchingInputError(ValueError):
    """Raised when input data is malformed; nothing is indexed or matched."""


def to_cents(amount, what):
    """Convert a ``Decimal`` with at most two decimal places into integer cents.

    ``what`` names the value in the error message. Floats are refused on purpose.
    """
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise MatchingInputError(f"{what}: amount must be a Decimal, got {amount!r}")
    if isinstance(amount, Decimal) and not amount.is_finite():
        raise MatchingInputError(f"{what}: amount {amount} is not a finite number")
    cents = Decimal(amount) * 100
    if cents != cents.to_integral_value():
        raise MatchingInputError(f"{what}: amount {amount} has more than two decimal places")
    return int(cents)


def from_cents(cents):
    """Convert integer cents back into a two-place ``Decimal``."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class OpenItem:
    """An open receivable: a rent call, a deposit call or a housing-benefit share.

    ``number`` is the invoice name (``RENT/2026/11/0042``), ``payment_reference`` the
    reference printed for the payer (an ISO 11649 ``RF...`` creditor reference or any other
    unique text). ``partner_id`` is the debtor (the tenant, or the housing-benefit payer
    for a ``housing_benefit`` item). ``move_id``: the call's entry, when the caller has it
    (the engine does not use it).
    """

    id: int
    lease_id: int
    kind: str
    amount_residual: Decimal
    due_date: date
    number: str = ""
    payment_reference: str = ""
    partner_id: int | None = None
    period_start: date | None = None
    amount_total: Decimal | None = None
    currency: str = "EUR"
    move_id: int | None = None


@dataclass(frozen=True)
class Party:
    """A person or body attached to a lease (tenant, co-tenant, guarantor, benefit payer).

    ``lastname`` is optional: without it the family name is guessed from capitals
    ("Jean DUPONT") or taken as the last word. ``ibans`` are bank accounts on record.
    """

    name: str
    partner_id: int | None = None
    lastname: str | None = None
    ibans: tuple = ()


@dataclass(frozen=True)
class KnownPayer:
    """A payer confirmed by a user for a lease: an IBAN, a name, or both."""

    iban: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class LeaseInfo:
    """What the matching engine needs to know about a lease."""

    id: int
    code: str
    property_id: int | None = None
    property_name: str = ""
    state: str = "running"
    date_start: date | None = None
    date_end: date | None = None
    tenants: tuple = ()
    cotenants: tuple = ()
    guarantors: tuple = ()
    housing_benefit_payer: Party | None = None
    housing_benefit_amount: Decimal | None = None
    housing_benefit_reference: str | None = None
    rent_amount: Decimal | None = None
    deposit_amount: Decimal | None = None
    known_payers: tuple = ()
    company_id: int | None = None

    def parties(self):
        """Yield ``(role, party)`` for tenants, co-tenants and guarantors."""
        for role, group in (
            ("tenant", self.tenants),
            ("co-tenant", self.cotenants),
            ("guarantor", self.guarantors),
        ):
            for party in group:
                yield role, party


@dataclass(frozen=True)
class VirtualIban:
    """A virtual IBAN of the pool and the property it named over a period.

    An IBAN reassigned to another property appears once per assignment. ``property_id``
    is ``None`` for an IBAN of the pool that is not allocated. ``date_to`` is ``None`` while
    the assignment is current.
    """

    iban: str
    property_id: int | None
    property_name: str = ""
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class BankLine:
    """An incoming (positive) or outgoing (negative) bank statement line."""

    id: object
    amount: Decimal
    date: date
    currency: str = "EUR"
    payer_name: str = ""
    payer_iban: str | None = None
    credited_iban: str | None = None
    remittance: str = ""
    structured_reference: str | None = None
    end_to_end_id: str | None = None


@dataclass(frozen=True)
class Allocation:
    """An amount of a bank line reconciled with one open item."""

    item_id: int
    amount: Decimal


@dataclass(frozen=True)
class Proposal:
    """A suggested match of one bank line with one lease.

    ``score`` is 0-100; ``reasons`` explain it (see :attr:`reason` for the text);
    ``allocations`` say which open items get how much; ``unallocated`` is what is left (an
    overpayment kept as the tenant's credit). ``auto`` is true when the proposal may be
    reconciled without a person; ``blockers`` say why it may not. ``fit`` says how the amount
    fits (``exact``, ``multi``, ``partial``, ``overpaid``, ``none``, ``mismatch``);
    ``strength`` is the evidence strength (3 names the lease ... 0 amount only) and
    ``base_score`` the score the evidence would get with an exact amount.
    """

    line_id: object
    lease_id: int
    lease_code: str
    rule_code: str
    score: int
    reasons: tuple
    allocations: tuple
    unallocated: Decimal
    kind: str | None
    fit: str
    strength: int
    threshold: int
    auto: bool = False
    blockers: tuple = ()
    sequence: int = 0
    evidence: str = ""
    base_score: int = 0

    @property
    def reason(self):
        """The reasons as one English text."""
        return self.explain()

    def explain(self, translate=None):
        """The reasons as one text, in the user's language with ``translate``."""
        return render(self.reasons + self.blockers, translate)

    @property
    def allocated(self):
        """Total amount allocated to open items."""
        return sum((a.amount for a in self.allocations), Decimal("0.00"))


@dataclass(frozen=True)
class LineResult:
    """The outcome for one bank line: its best proposal, alternatives and notes."""

    line_id: object
    status: str
    proposal: Proposal | None = None
    alternatives: tuple = ()
    notes: tuple = field(default=())

    @property
    def reason(self):
        """The best proposal's explanation, or why there is none (in English)."""
        return self.explain()

    def explain(self, translate=None):
        """The best proposal's explanation, or why there is none, in the user's language
        with ``translate`` (see :meth:`.reasons.Reason.text`)."""
        if self.proposal is not None:
            return render(self.proposal.reasons + self.proposal.blockers + self.notes, translate)
        return render(self.notes, translate)
