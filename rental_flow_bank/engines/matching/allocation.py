"""Allocation of a payment across the open items of one lease ("combinations").

Once a line is attributed to a lease, its amount is spread over that lease's open items of
one kind (rent, deposit or housing benefit), in integer cents:

1. items the payer named (a reference) come first, in the order given;
2. otherwise one item whose residual equals the amount (the oldest such item);
3. otherwise the oldest items whose residuals add up exactly to the amount (several months
   in one payment, at most ``max_months``);
4. otherwise the oldest items first: a smaller amount is a partial payment (the last item
   stays partly open), a larger one pays everything and the rest is returned as
   ``unallocated`` (kept as the tenant's credit).

This follows article 1342-10 of the French Civil Code: the payer's choice first, then the
oldest debts. Items due more than ``advance_days`` after the payment are only paid when
named or when nothing older is open.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from .model import MatchingInputError, to_cents
from .text import DEPOSIT_WORDS

FIT_EXACT = "exact"
FIT_MULTI = "multi"
FIT_PARTIAL = "partial"
FIT_OVERPAID = "overpaid"
FIT_NONE = "none"
FIT_MISMATCH = "mismatch"
FITS = (FIT_EXACT, FIT_MULTI, FIT_PARTIAL, FIT_OVERPAID, FIT_NONE, FIT_MISMATCH)


@dataclass(frozen=True)
class AllocationPolicy:
    """What combinations are allowed when spreading a payment.

    A disabled combination yields the fit ``mismatch`` and no allocation, so the line
    waits for a person.
    """

    multi_month: bool = True
    max_months: int = 6
    partial: bool = True
    overpayment: bool = True
    tolerance_cents: int = 0
    advance_days: int = 40
    deposit_words: tuple = DEPOSIT_WORDS

    @classmethod
    def from_params(cls, params):
        """Build a policy from rule parameters (see ``CombinationRule.default_params``)."""
        try:
            max_months = int(params.get("max_months", 6))
            advance_days = int(params.get("advance_days", 40))
        except (TypeError, ValueError) as exc:
            raise MatchingInputError(f"combination rule: bad integer parameter ({exc})") from exc
        if max_months < 1 or advance_days < 0:
            raise MatchingInputError("combination rule: max_months >= 1, advance_days >= 0")
        try:
            tolerance = Decimal(str(params.get("amount_tolerance", "0.00")))
        except InvalidOperation as exc:
            raise MatchingInputError("combination rule: amount_tolerance is not a number") from exc
        if tolerance < 0:
            raise MatchingInputError("combination rule: amount_tolerance must not be negative")
        words = params.get("deposit_words", DEPOSIT_WORDS)
        if isinstance(words, str) or not all(isinstance(w, str) for w in words):
            raise MatchingInputError("combination rule: deposit_words must be a list of words")
        return cls(
            multi_month=bool(params.get("multi_month", True)),
            max_months=max_months,
            partial=bool(params.get("partial", True)),
            overpayment=bool(params.get("overpayment", True)),
            tolerance_cents=to_cents(tolerance, "combination amount_tolerance"),
            advance_days=advance_days,
            deposit_words=tuple(words),
        )

    @classmethod
    def exact_only(cls):
        """The policy used when the combination rule is switched off."""
        return cls(multi_month=False, partial=False, overpayment=False)


@dataclass(frozen=True)
class Outcome:
    """Result of an allocation, in cents.

    ``allocations`` is a tuple of ``(item_id, cents)``; ``paid_targets`` lists named items
    that were already fully paid.
    """

    fit: str
    allocations: tuple
    unallocated: int
    paid_targets: tuple = ()
    why: str = ""

    @property
    def allocated(self):
        """Total allocated, in cents."""
        return sum(c for _, c in self.allocations)


def _fill(amount, items):
    """Fill ``items`` oldest first; return (allocations, remainder, last item fully paid)."""
    allocations = []
    remainder = amount
    complete = True
    for item_id, residual, _due in items:
        if remainder <= 0:
            break
        part = min(residual, remainder)
        allocations.append((item_id, part))
        remainder -= part
        complete = part == residual
    return tuple(allocations), remainder, complete


def _spread(amount, items, policy, fit_if_single, stats):
    """Allocate oldest first and classify the result (partial, multi, overpaid)."""
    allocations, remainder, complete = _fill(amount, items)
    stats.items_examined += len(allocations)
    if remainder > 0:
        if not policy.overpayment:
            return Outcome(FIT_MISMATCH, (), amount, why="overpayment not allowed")
        if len(allocations) > 1 and not policy.multi_month:
            return Outcome(FIT_MISMATCH, (), amount, why="several months not allowed")
        return Outcome(FIT_OVERPAID, allocations, remainder)
    if complete and len(allocations) == 1:
        return Outcome(fit_if_single, allocations, 0)
    if complete:
        if not policy.multi_month or len(allocations) > policy.max_months:
            return Outcome(FIT_MISMATCH, (), amount, why="several months not allowed")
        return Outcome(FIT_MULTI, allocations, 0)
    if not policy.partial:
        return Outcome(FIT_MISMATCH, (), amount, why="partial payments not allowed")
    if len(allocations) > 1 and not policy.multi_month:
        return Outcome(FIT_MISMATCH, (), amount, why="several months not allowed")
    return Outcome(FIT_PARTIAL, allocations, 0)


def allocate(amount, items, policy, stats, *, line_date=None, targets=()):
    """Spread ``amount`` (cents) over open ``items`` of one lease and one kind.

    ``items`` is a list of ``(item_id, residual_cents, due_date)`` sorted oldest first, with
    positive residuals. ``targets`` are item ids named by the payer. Returns an
    :class:`Outcome`.
    """
    if amount <= 0:
        raise MatchingInputError("allocate: amount must be positive")
    if targets:
        wanted = {t: n for n, t in enumerate(targets)}
        named = sorted((i for i in items if i[0] in wanted), key=lambda i: wanted[i[0]])
        found = {i[0] for i in named}
        paid = tuple(t for t in targets if t not in found)
        if named:
            rest = [i for i in items if i[0] not in found]
            outcome = _allocate_named(amount, named, rest, policy, stats, line_date)
            return Outcome(outcome.fit, outcome.allocations, outcome.unallocated, paid, outcome.why)
        outcome = allocate(amount, items, policy, stats, line_date=line_date) if items else None
        if outcome is None:
            return Outcome(FIT_NONE, (), amount, paid)
        return Outcome(outcome.fit, outcome.allocations, outcome.unallocated, paid, outcome.why)
    if not items:
        return Outcome(FIT_NONE, (), amount)
    items = _due_items(items, line_date, policy)
    tolerance = policy.tolerance_cents
    for item_id, residual, _due in items:
        stats.items_examined += 1
        if abs(residual - amount) <= tolerance:
            part = min(residual, amount)
            return Outcome(FIT_EXACT, ((item_id, part),), amount - part)
    if policy.multi_month:
        total = 0
        for count, (_item_id, residual, _due) in enumerate(items[: policy.max_months], 1):
            stats.items_examined += 1
            total += residual
            if count > 1 and abs(total - amount) <= tolerance:
                allocations, remainder, _complete = _fill(amount, items[:count])
                return Outcome(FIT_MULTI, allocations, remainder)
            if total > amount + tolerance:
                break
    return _spread(amount, items, policy, FIT_PARTIAL, stats)


def _allocate_named(amount, named, rest, policy, stats, line_date):
    """Allocate to named items first, then to the others oldest first."""
    stats.items_examined += len(named)
    due_named = sum(residual for _, residual, _ in named)
    if abs(due_named - amount) <= policy.tolerance_cents:
        if len(named) > 1 and not policy.multi_month:
            return Outcome(FIT_MISMATCH, (), amount, why="several months not allowed")
        allocations, remainder, _complete = _fill(amount, named)
        return Outcome(FIT_EXACT if len(named) == 1 else FIT_MULTI, allocations, remainder)
    if amount < due_named:
        if not policy.partial:
            return Outcome(FIT_MISMATCH, (), amount, why="partial payments not allowed")
        allocations, _remainder, _complete = _fill(amount, named)
        return Outcome(FIT_PARTIAL, allocations, 0)
    return _spread(amount, named + _due_items(rest, line_date, policy), policy, FIT_EXACT, stats)


def _due_items(items, line_date, policy):
    """Drop items due too far after the payment, unless nothing else is open."""
    if line_date is None:
        return items
    limit = line_date + timedelta(days=policy.advance_days)
    due = [i for i in items if i[2] is None or i[2] <= limit]
    return due or items[:1]
