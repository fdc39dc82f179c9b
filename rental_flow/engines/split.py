"""Owner payout split of a collected rent (DESIGN.md, accounting scheme, point 3).

When a rent (or part of it) is collected on a rent call, the owner's account is debited by
the management fee (HT) and its VAT, the rent-guarantee insurance premium and the works
advances being recovered; what remains is the owners' net, shared between joint owners.

Conventions
-----------
* **Money is integer cents** everywhere (``int``; ``bool`` and ``float`` are refused).
  Rates and ownership shares are ``Decimal`` (or ``int``) percentages from 0 to 100,
  computed exactly with integers; every rounding is half-up to the cent.
  :func:`to_cents` / :func:`from_cents` convert from and to ``Decimal`` euros.
* **Cumulative targets.** Fees and insurance are computed on what was collected, never on
  what was called. A :class:`Collection` carries what this payment brings *and* what was
  collected and taken before on the same rent call; the engine computes the cumulative
  target on the total collected so far and takes the difference with what was already
  taken. Paying a rent call in several parts therefore gives exactly the fee, VAT and
  insurance of a single full payment (as long as no payment fell short, see below).
* **Fee** (HT) = ``fee_rate`` % of the fee base collected (rent, or rent + charges),
  rounded half-up; then the **minimum** ``fee_min`` applies as soon as something was
  collected on the rent call, but never above the fee base collected; then the
  **maximum** ``fee_max`` caps the cumulative fee (0 = no minimum / no maximum).
  **Fee VAT** = ``fee_tax_rate`` % of the cumulative fee, rounded half-up.
* **Insurance** = ``insurance_rate`` % of rent + charges collected, rounded half-up.
* **Order of priority** when a payment is too small for everything due: (1) fee and its
  VAT together (the fee is lowered until fee + VAT fit), (2) insurance, (3) works advances,
  oldest first, (4) the owners' net. No part is ever negative, so the owners' net is never
  negative. What could not be taken is reported as ``*_shortfall`` and is naturally caught
  up by the next payment on the same rent call (its target is cumulative).
* **Joint owners** share the net by the largest-remainder method: each owner first gets
  the floor of its exact share, then the cents left are given one by one to the largest
  fractional remainders; ties go to the owner flagged ``is_principal`` first, then follow
  the order of the ``owners`` list (pass it in a stable order, e.g. by partner id). Each
  owner's net is therefore within one cent of its exact share.
* **Rounding line.** With integer cents and the largest-remainder method every cent is
  allocated, so ``rounding`` is always 0; it is kept as the defined line of the split
  entry that would take any difference, and the invariant ``sum(parts) == amount`` is
  checked on every split.
* **Deposits are not split**: :func:`compute_split` refuses a collection flagged
  ``is_deposit`` (a security deposit is held for the tenant, not owed to the owner).
* **Reversal**: :func:`reverse_split` returns the negated split, for the reversal entry of
  a returned payment (a split entry is never deleted).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from math import lcm

__all__ = [
    "ALLOCATION_MODES",
    "FEE_BASES",
    "AdvanceRecovery",
    "Collection",
    "OpenAdvance",
    "OwnerNet",
    "OwnerShare",
    "SplitInputError",
    "SplitResult",
    "SplitTerms",
    "allocate_payment",
    "compute_split",
    "from_cents",
    "next_collection",
    "reverse_split",
    "to_cents",
]

FEE_BASES = ("rent", "rent_charges")
ALLOCATION_MODES = ("pro_rata", "rent_first", "charges_first")
HUNDRED = Decimal(100)


class SplitInputError(ValueError):
    """Invalid input of the split engine; nothing was computed."""


# --------------------------------------------------------------------------- helpers


def _is_cents(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _check_cents(value, label, minimum=0):
    if not _is_cents(value):
        raise SplitInputError(f"{label} must be an integer number of cents, not {value!r}")
    if value < minimum:
        raise SplitInputError(f"{label} must be at least {minimum}, not {value}")


def _percent_ratio(value, label):
    """Return ``(numerator, denominator)`` of ``value`` % (a fraction of 1), exactly."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise SplitInputError(f"{label} must be a Decimal percentage, not {value!r}")
    value = Decimal(value)
    if not value.is_finite() or value < 0 or value > HUNDRED:
        raise SplitInputError(f"{label} must be between 0 and 100, not {value}")
    numerator, denominator = value.as_integer_ratio()
    return numerator, denominator * 100


def _round_ratio(amount, ratio):
    """``amount × ratio`` rounded half-up to the cent (``amount`` ≥ 0)."""
    numerator, denominator = ratio
    return (2 * amount * numerator + denominator) // (2 * denominator)


def to_cents(amount):
    """Convert a ``Decimal`` (or ``int``) amount in euros to integer cents.

    Refuses floats and amounts with more than two decimals.
    """
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        raise SplitInputError(f"amount must be a Decimal, not {amount!r}")
    if not Decimal(amount).is_finite():
        raise SplitInputError(f"amount {amount!r} is not a number")
    cents = Decimal(amount) * 100
    if cents != cents.to_integral_value():
        raise SplitInputError(f"amount {amount} has more than two decimals")
    return int(cents)


def from_cents(cents):
    """Convert integer cents to a ``Decimal`` amount in euros with two decimals."""
    _check_cents(cents, "amount", minimum=-(10**18))
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, kw_only=True)
class Collection:
    """Money collected now on one rent call, and what was collected and taken before.

    ``rent`` and ``charges`` are the parts of this payment (see :func:`allocate_payment`);
    ``*_before`` are the totals of the previous splits of the same rent call, net of
    reversals (see :func:`next_collection`).
    """

    rent: int
    charges: int = 0
    rent_before: int = 0
    charges_before: int = 0
    fee_before: int = 0
    fee_tax_before: int = 0
    insurance_before: int = 0
    is_deposit: bool = False

    def __post_init__(self):
        for name in (
            "rent",
            "charges",
            "rent_before",
            "charges_before",
            "fee_before",
            "fee_tax_before",
            "insurance_before",
        ):
            _check_cents(getattr(self, name), name)
        if not isinstance(self.is_deposit, bool):
            raise SplitInputError("is_deposit must be True or False")

    @property
    def amount(self):
        """Amount collected now, in cents."""
        return self.rent + self.charges


@dataclass(frozen=True, kw_only=True)
class SplitTerms:
    """Fee and insurance terms of the management mandate.

    ``fee_base``: ``"rent"`` or ``"rent_charges"``. ``fee_min``, ``fee_max``: cents per
    rent call, 0 for none. Rates are percentages from 0 to 100.
    """

    fee_rate: Decimal
    fee_base: str = "rent"
    fee_min: int = 0
    fee_max: int = 0
    fee_tax_rate: Decimal = Decimal(0)
    insurance_rate: Decimal = Decimal(0)
    _fee_ratio: tuple = field(init=False, repr=False, compare=False)
    _tax_ratio: tuple = field(init=False, repr=False, compare=False)
    _insurance_ratio: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.fee_base not in FEE_BASES:
            raise SplitInputError(f"fee_base must be one of {FEE_BASES}, not {self.fee_base!r}")
        _check_cents(self.fee_min, "fee_min")
        _check_cents(self.fee_max, "fee_max")
        if self.fee_min and self.fee_max and self.fee_min > self.fee_max:
            raise SplitInputError(f"fee_min ({self.fee_min}) is above fee_max ({self.fee_max})")
        object.__setattr__(self, "_fee_ratio", _percent_ratio(self.fee_rate, "fee_rate"))
        object.__setattr__(self, "_tax_ratio", _percent_ratio(self.fee_tax_rate, "fee_tax_rate"))
        object.__setattr__(
            self, "_insurance_ratio", _percent_ratio(self.insurance_rate, "insurance_rate")
        )

    def fee_target(self, rent, charges):
        """Cumulative fee HT due on ``rent`` and ``charges`` collected on a rent call."""
        base = rent if self.fee_base == "rent" else rent + charges
        fee = _round_ratio(base, self._fee_ratio)
        if self.fee_min and rent + charges > 0:
            fee = max(fee, min(self.fee_min, base))
        if self.fee_max:
            fee = min(fee, self.fee_max)
        return fee

    def fee_tax(self, fee):
        """VAT on a cumulative fee HT, rounded half-up."""
        return _round_ratio(fee, self._tax_ratio)

    def insurance_target(self, rent, charges):
        """Cumulative insurance premium on ``rent`` + ``charges`` collected."""
        return _round_ratio(rent + charges, self._insurance_ratio)


@dataclass(frozen=True, kw_only=True)
class OwnerShare:
    """An owner's share of the property, in percent (shares must total 100)."""

    owner_ref: object
    share: Decimal
    is_principal: bool = False


@dataclass(frozen=True, kw_only=True)
class OpenAdvance:
    """A works advance made for the owner, still open for ``amount_open`` cents.

    Advances are recovered oldest first: by ``opened_on`` when given (undated ones after
    the dated ones), otherwise in list order.
    """

    ref: object
    amount_open: int
    opened_on: date | None = None

    def __post_init__(self):
        _check_cents(self.amount_open, f"open amount of advance {self.ref!r}")
        if self.opened_on is not None and not isinstance(self.opened_on, date):
            raise SplitInputError(f"opened_on of advance {self.ref!r} must be a date")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class AdvanceRecovery:
    """Amount recovered on one works advance (cents)."""

    ref: object
    amount: int


@dataclass(frozen=True)
class OwnerNet:
    """Net amount due to one owner (cents)."""

    owner_ref: object
    amount: int


@dataclass(frozen=True, kw_only=True)
class SplitResult:
    """The parts of a collected amount, in cents; they always sum to ``amount``.

    ``rent`` and ``charges`` repeat the collection's parts (to accumulate the rent call's
    history); ``*_shortfall`` tell what was due but could not be taken from this payment.
    """

    amount: int
    rent: int
    charges: int
    fee: int
    fee_tax: int
    insurance: int
    advance_recoveries: tuple = ()
    owner_nets: tuple = ()
    rounding: int = 0
    fee_shortfall: int = 0
    fee_tax_shortfall: int = 0
    insurance_shortfall: int = 0
    is_reversal: bool = False

    @property
    def advances_total(self):
        """Total recovered on works advances."""
        return sum(recovery.amount for recovery in self.advance_recoveries)

    @property
    def owners_total(self):
        """Total net due to the owners."""
        return sum(net.amount for net in self.owner_nets)

    def parts(self):
        """The split entry's lines as ``(kind, ref, cents)``.

        Kinds: ``fee``, ``fee_tax``, ``insurance``, ``advance`` (ref = advance),
        ``owner`` (ref = owner), ``rounding``. Their cents sum to ``amount``.
        """
        lines = [
            ("fee", None, self.fee),
            ("fee_tax", None, self.fee_tax),
            ("insurance", None, self.insurance),
        ]
        lines += [("advance", item.ref, item.amount) for item in self.advance_recoveries]
        lines += [("owner", item.owner_ref, item.amount) for item in self.owner_nets]
        lines.append(("rounding", None, self.rounding))
        return lines


# --------------------------------------------------------------------------- engine


def allocate_payment(amount, rent_due, charges_due, mode="pro_rata"):
    """Allocate a payment on a rent call between its rent and charges parts.

    ``rent_due`` and ``charges_due`` are what is still due on the rent call (cents).
    Modes: ``pro_rata`` (default; the rent part is rounded half-up, the charges part is
    the difference), ``rent_first`` or ``charges_first``. C. civ. art. 1342-10 lets the
    debtor choose what a partial payment settles; pro rata is the last-resort legal rule.
    Allocating successive payments on the remaining dues settles each part exactly when
    the rent call is fully paid. An amount above the total due is refused (the excess is
    the tenant's credit, not part of this rent call). Returns ``(rent, charges)``.
    """
    _check_cents(amount, "amount", minimum=1)
    _check_cents(rent_due, "rent_due")
    _check_cents(charges_due, "charges_due")
    total = rent_due + charges_due
    if amount > total:
        raise SplitInputError(
            f"payment of {amount} cents is above the {total} cents still due on the rent call"
        )
    if mode == "pro_rata":
        rent = (2 * amount * rent_due + total) // (2 * total)
    elif mode == "rent_first":
        rent = min(amount, rent_due)
    elif mode == "charges_first":
        rent = amount - min(amount, charges_due)
    else:
        raise SplitInputError(f"mode must be one of {ALLOCATION_MODES}, not {mode!r}")
    return rent, amount - rent


def _owner_weights(owners):
    """Validate ``owners``; return ``(owners, weights, total)``, weights as exact integers."""
    owners = list(owners)
    if not owners:
        raise SplitInputError("at least one owner is needed")
    refs = set()
    ratios = []
    principals = 0
    for owner in owners:
        if not isinstance(owner, OwnerShare):
            raise SplitInputError(f"{owner!r} is not an OwnerShare")
        if owner.owner_ref is None or owner.owner_ref in refs:
            raise SplitInputError(f"owner reference {owner.owner_ref!r} is missing or repeated")
        refs.add(owner.owner_ref)
        numerator, denominator = _percent_ratio(owner.share, f"share of {owner.owner_ref!r}")
        if numerator <= 0:
            raise SplitInputError(f"share of {owner.owner_ref!r} must be above 0")
        ratios.append((numerator, denominator))
        principals += bool(owner.is_principal)
    if principals > 1:
        raise SplitInputError("only one owner can be the principal owner")
    common = lcm(*(denominator for _, denominator in ratios))
    weights = [numerator * (common // denominator) for numerator, denominator in ratios]
    if sum(weights) != common:
        total = sum((Decimal(owner.share) for owner in owners), Decimal(0))
        raise SplitInputError(f"owner shares total {total} %, not 100 %")
    return owners, weights, common


def _split_net(net, owners, weights, total):
    """Share ``net`` cents by the largest-remainder method (see the module docstring)."""
    floors = []
    remainders = []
    for weight in weights:
        quotient, remainder = divmod(net * weight, total)
        floors.append(quotient)
        remainders.append(remainder)
    left = net - sum(floors)
    if left:
        ranking = sorted(
            range(len(owners)),
            key=lambda i: (-remainders[i], not owners[i].is_principal, i),
        )
        for index in ranking[:left]:
            floors[index] += 1
    return tuple(
        OwnerNet(owner.owner_ref, cents) for owner, cents in zip(owners, floors, strict=True)
    )


def _ordered_advances(advances):
    advances = list(advances or ())
    refs = set()
    for advance in advances:
        if not isinstance(advance, OpenAdvance):
            raise SplitInputError(f"{advance!r} is not an OpenAdvance")
        if advance.ref in refs:
            raise SplitInputError(f"advance {advance.ref!r} is repeated")
        refs.add(advance.ref)
    return sorted(advances, key=lambda a: (a.opened_on is None, a.opened_on or date.min))


def _take_fee(amount, fee_due, collection, terms):
    """Return ``(fee, fee_tax, tax_due)``: the fee (and its VAT) that fits in ``amount``."""
    fee_before = collection.fee_before
    tax_before = collection.fee_tax_before

    def tax_for(fee):
        return max(0, terms.fee_tax(fee_before + fee) - tax_before)

    tax_due = tax_for(fee_due)
    if fee_due + tax_due <= amount:
        return fee_due, tax_due, tax_due
    # Largest fee f such that f + VAT(f) fits: f + tax_for(f) grows with f.
    low, high = 0, fee_due
    if tax_for(0) > amount:
        return 0, amount, tax_due
    while low < high:
        middle = (low + high + 1) // 2
        if middle + tax_for(middle) <= amount:
            low = middle
        else:
            high = middle - 1
    return low, tax_for(low), tax_due


def compute_split(collection, terms, owners, advances=()):
    """Split ``collection`` into fee, fee VAT, insurance, advance recoveries, owner nets.

    ``owners`` is a list of :class:`OwnerShare` (shares total 100 %), ``advances`` a list
    of :class:`OpenAdvance`. Returns a :class:`SplitResult` whose parts sum exactly to
    the amount collected, none negative. Raises :class:`SplitInputError` on invalid input,
    including a security deposit (deposits are never split) or an empty collection.
    """
    if not isinstance(collection, Collection):
        raise SplitInputError(f"{collection!r} is not a Collection")
    if not isinstance(terms, SplitTerms):
        raise SplitInputError(f"{terms!r} is not SplitTerms")
    if collection.is_deposit:
        raise SplitInputError(
            "a security deposit is not split: it is held for the tenant, not owed to the owner"
        )
    amount = collection.amount
    if amount <= 0:
        raise SplitInputError("nothing was collected: there is nothing to split")
    owners, weights, total = _owner_weights(owners)
    advances = _ordered_advances(advances)

    rent_total = collection.rent_before + collection.rent
    charges_total = collection.charges_before + collection.charges
    fee_due = max(0, terms.fee_target(rent_total, charges_total) - collection.fee_before)
    fee, fee_tax, tax_due = _take_fee(amount, fee_due, collection, terms)
    remaining = amount - fee - fee_tax

    insurance_due = max(
        0, terms.insurance_target(rent_total, charges_total) - collection.insurance_before
    )
    insurance = min(insurance_due, remaining)
    remaining -= insurance

    recoveries = []
    for advance in advances:
        taken = min(advance.amount_open, remaining)
        if taken:
            recoveries.append(AdvanceRecovery(advance.ref, taken))
            remaining -= taken

    nets = _split_net(remaining, owners, weights, total)
    allocated = fee + fee_tax + insurance + sum(r.amount for r in recoveries)
    allocated += sum(net.amount for net in nets)
    rounding = amount - allocated
    if rounding:  # cannot happen with integer cents; kept as the invariant's guard
        raise ArithmeticError(f"split of {amount} cents leaves {rounding} cents unallocated")
    return SplitResult(
        amount=amount,
        rent=collection.rent,
        charges=collection.charges,
        fee=fee,
        fee_tax=fee_tax,
        insurance=insurance,
        advance_recoveries=tuple(recoveries),
        owner_nets=nets,
        rounding=rounding,
        fee_shortfall=fee_due - fee,
        fee_tax_shortfall=tax_due - fee_tax,
        insurance_shortfall=insurance_due - insurance,
    )


def reverse_split(result):
    """Return the reversal of ``result``: every amount negated, ``is_reversal`` toggled.

    Used when a payment is returned or a match cancelled: the reversal entry offsets the
    split entry, which is never deleted. ``reverse_split(reverse_split(r)) == r``.
    """
    if not isinstance(result, SplitResult):
        raise SplitInputError(f"{result!r} is not a SplitResult")
    return SplitResult(
        amount=-result.amount,
        rent=-result.rent,
        charges=-result.charges,
        fee=-result.fee,
        fee_tax=-result.fee_tax,
        insurance=-result.insurance,
        advance_recoveries=tuple(
            AdvanceRecovery(item.ref, -item.amount) for item in result.advance_recoveries
        ),
        owner_nets=tuple(OwnerNet(item.owner_ref, -item.amount) for item in result.owner_nets),
        rounding=-result.rounding,
        fee_shortfall=-result.fee_shortfall,
        fee_tax_shortfall=-result.fee_tax_shortfall,
        insurance_shortfall=-result.insurance_shortfall,
        is_reversal=not result.is_reversal,
    )


def next_collection(history, rent, charges=0):
    """Build the :class:`Collection` of a new payment on a rent call.

    ``history`` holds the previous :class:`SplitResult` of the same rent call, reversals
    included (they count negatively); ``rent`` and ``charges`` are this payment's parts.
    """
    history = list(history)
    for item in history:
        if not isinstance(item, SplitResult):
            raise SplitInputError(f"{item!r} is not a SplitResult")
    return Collection(
        rent=rent,
        charges=charges,
        rent_before=sum(item.rent for item in history),
        charges_before=sum(item.charges for item in history),
        fee_before=sum(item.fee for item in history),
        fee_tax_before=sum(item.fee_tax for item in history),
        insurance_before=sum(item.insurance for item in history),
    )
