"""Property-based tests of the owner payout split (hypothesis)."""

from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

from hypothesis import event, given, settings
from hypothesis import strategies as st

from odoo.addons.rental_flow.engines.split import (
    ALLOCATION_MODES,
    FEE_BASES,
    Collection,
    OpenAdvance,
    OwnerShare,
    SplitTerms,
    allocate_payment,
    compute_split,
    next_collection,
    reverse_split,
)

SETTINGS = settings(max_examples=300, deadline=None)


def percent(places=2, maximum=100):
    """Decimal percentages from 0 to ``maximum`` with ``places`` decimals."""
    scale = 10**places
    return st.integers(0, maximum * scale).map(lambda n: Decimal(n) / scale)


@st.composite
def split_terms(draw, max_fee_rate=100, max_tax_rate=100, max_insurance=100, minimum=True):
    fee_min = draw(st.sampled_from([0, 0, 1, 500, 3000, 25000])) if minimum else 0
    fee_max = draw(st.sampled_from([0, 0, 1, 2000, 6000, 100000]))
    if fee_min and fee_max and fee_max < fee_min:
        fee_max = fee_min + draw(st.integers(0, 5000))
    return SplitTerms(
        fee_rate=draw(percent(draw(st.integers(0, 3)), max_fee_rate)),
        fee_base=draw(st.sampled_from(FEE_BASES)),
        fee_min=fee_min,
        fee_max=fee_max,
        fee_tax_rate=draw(percent(2, max_tax_rate)),
        insurance_rate=draw(percent(2, max_insurance)),
    )


def cut(total, pieces, points):
    """Split ``total`` into ``pieces`` positive parts at the given cut points."""
    cuts = sorted(set(points))[: pieces - 1]
    bounds = [0, *cuts, total]
    return [high - low for low, high in pairwise(bounds)]


@st.composite
def owner_shares(draw):
    count = draw(st.integers(1, 5))
    places = draw(st.integers(0, 3))
    total = 100 * 10**places
    if count == 1:
        weights = [total]
    else:
        points = draw(
            st.lists(st.integers(1, total - 1), min_size=count - 1, max_size=count - 1, unique=True)
        )
        weights = cut(total, count, points)
    principal = draw(st.one_of(st.none(), st.integers(0, len(weights) - 1)))
    return [
        OwnerShare(
            owner_ref=f"owner-{index}",
            share=Decimal(weight) / 10**places,
            is_principal=index == principal,
        )
        for index, weight in enumerate(weights)
    ]


advances_strategy = st.lists(st.integers(0, 200000), max_size=3).map(
    lambda amounts: [OpenAdvance(ref=f"W{i}", amount_open=a) for i, a in enumerate(amounts)]
)


@st.composite
def rent_calls(draw, min_payment=1):
    """A rent call (rent and charges due) and a sequence of payments that settle it."""
    rent_due = draw(st.integers(0, 500000))
    charges_due = draw(st.integers(0 if rent_due else 1, 60000))
    total = rent_due + charges_due
    count = draw(st.integers(1, 6))
    max_count = max(1, total // min_payment)
    count = min(count, max_count)
    if count == 1:
        payments = [total]
    else:
        points = draw(
            st.lists(
                st.integers(1, count - 1).map(lambda k, c=count: k * (total // c)),
                min_size=count - 1,
                max_size=count - 1,
                unique=True,
            )
            if min_payment > 1
            else st.lists(
                st.integers(1, total - 1), min_size=count - 1, max_size=count - 1, unique=True
            )
        )
        payments = cut(total, count, points)
    mode = draw(st.sampled_from(ALLOCATION_MODES))
    return rent_due, charges_due, payments, mode


def pay_in_parts(rent_due, charges_due, payments, mode, rules, owners, advances):
    """Split each payment in turn; advances are reduced by what each split recovered."""
    history = []
    open_amounts = {advance.ref: advance.amount_open for advance in advances}
    rent_paid = charges_paid = 0
    for amount in payments:
        rent, charges = allocate_payment(
            amount, rent_due - rent_paid, charges_due - charges_paid, mode
        )
        rent_paid += rent
        charges_paid += charges
        current = [OpenAdvance(ref=ref, amount_open=left) for ref, left in open_amounts.items()]
        result = compute_split(next_collection(history, rent, charges), rules, owners, current)
        for recovery in result.advance_recoveries:
            open_amounts[recovery.ref] -= recovery.amount
        history.append(result)
    assert (rent_paid, charges_paid) == (rent_due, charges_due)
    return history


def check_split(result, owners):
    """The invariants of one split."""
    parts = result.parts()
    assert sum(cents for _, _, cents in parts) == result.amount
    assert result.rounding == 0
    assert all(cents >= 0 for _, _, cents in parts)
    assert min(result.fee_shortfall, result.fee_tax_shortfall, result.insurance_shortfall) >= 0
    net = result.owners_total
    for owner, owner_net in zip(owners, result.owner_nets, strict=True):
        assert owner_net.owner_ref == owner.owner_ref
        exact = Fraction(net) * Fraction(owner.share) / 100
        assert abs(owner_net.amount - exact) < 1


def totals(results):
    return (
        sum(r.fee for r in results),
        sum(r.fee_tax for r in results),
        sum(r.insurance for r in results),
    )


def no_shortfall(result):
    return not (result.fee_shortfall or result.fee_tax_shortfall or result.insurance_shortfall)


@SETTINGS
@given(
    amount=st.integers(1, 10**11),
    charges_share=st.integers(0, 100),
    rules=split_terms(),
    owners=owner_shares(),
    advances=advances_strategy,
)
def test_single_split_invariants(amount, charges_share, rules, owners, advances):
    charges = amount * charges_share // 100
    result = compute_split(
        Collection(rent=amount - charges, charges=charges), rules, owners, advances
    )
    check_split(result, owners)
    assert result.amount == amount
    open_amounts = {advance.ref: advance.amount_open for advance in advances}
    for recovery in result.advance_recoveries:
        assert 0 < recovery.amount <= open_amounts[recovery.ref]
    # What is due is either taken or reported as shortfall.
    fee_due = rules.fee_target(amount - charges, charges)
    assert result.fee + result.fee_shortfall == fee_due
    assert result.fee_tax + result.fee_tax_shortfall == rules.fee_tax(fee_due)
    assert result.insurance + result.insurance_shortfall == rules.insurance_target(
        amount - charges, charges
    )
    reversal = reverse_split(result)
    assert sum(cents for _, _, cents in reversal.parts()) == -amount
    assert all(cents <= 0 for _, _, cents in reversal.parts())


@SETTINGS
@given(call=rent_calls(), rules=split_terms(), owners=owner_shares(), advances=advances_strategy)
def test_partial_payments_add_up_like_one_full_payment(call, rules, owners, advances):
    rent_due, charges_due, payments, mode = call
    history = pay_in_parts(rent_due, charges_due, payments, mode, rules, owners, advances)
    for result in history:
        check_split(result, owners)
    assert sum(r.amount for r in history) == rent_due + charges_due
    recovered = sum(r.advances_total for r in history)
    assert recovered <= sum(a.amount_open for a in advances)

    # Cumulative targets: taken so far + what the last payment could not take = target.
    last = history[-1]
    fee_target = rules.fee_target(rent_due, charges_due)
    fee, fee_tax, insurance = totals(history)
    assert fee + last.fee_shortfall == fee_target
    assert fee_tax + last.fee_tax_shortfall == rules.fee_tax(fee_target)
    assert insurance + last.insurance_shortfall == rules.insurance_target(rent_due, charges_due)

    full = compute_split(Collection(rent=rent_due, charges=charges_due), rules, owners, advances)
    if no_shortfall(full) and no_shortfall(last):
        event("no shortfall: totals compared with one full payment")
        assert totals(history) == totals([full])


@SETTINGS
@given(
    call=rent_calls(min_payment=100),
    rules=split_terms(max_fee_rate=40, max_tax_rate=30, max_insurance=10, minimum=False),
    owners=owner_shares(),
)
def test_partial_payments_with_ordinary_terms_always_equal_one_full_payment(call, rules, owners):
    """Ordinary terms (fee + VAT + insurance < 100 %): no payment ever falls short."""
    rent_due, charges_due, payments, mode = call
    history = pay_in_parts(rent_due, charges_due, payments, mode, rules, owners, [])
    full = compute_split(Collection(rent=rent_due, charges=charges_due), rules, owners)
    assert all(no_shortfall(result) for result in history)
    assert totals(history) == totals([full])
    assert sum(r.owners_total for r in history) == full.owners_total


@SETTINGS
@given(
    call=rent_calls(),
    rules=split_terms(),
    owners=owner_shares(),
    returned=st.integers(0, 5),
)
def test_a_returned_payment_paid_again_gives_the_same_totals(call, rules, owners, returned):
    rent_due, charges_due, payments, mode = call
    history = pay_in_parts(rent_due, charges_due, payments, mode, rules, owners, [])
    index = returned % len(history)
    bounced = history[index]
    # the payment is returned (reversal), then paid again with the same parts
    replay = compute_split(
        next_collection([*history, reverse_split(bounced)], bounced.rent, bounced.charges),
        rules,
        owners,
    )
    check_split(replay, owners)
    final = [*history, reverse_split(bounced), replay]
    assert sum(r.amount for r in final) == rent_due + charges_due
    if no_shortfall(history[-1]) and no_shortfall(replay):
        event("no shortfall: totals compared after the replay")
        assert totals(final) == totals(history)


@SETTINGS
@given(call=rent_calls())
def test_allocation_never_exceeds_dues_and_settles_them(call):
    rent_due, charges_due, payments, mode = call
    rent_paid = charges_paid = 0
    for amount in payments:
        rent, charges = allocate_payment(
            amount, rent_due - rent_paid, charges_due - charges_paid, mode
        )
        assert rent >= 0 and charges >= 0 and rent + charges == amount
        assert rent <= rent_due - rent_paid and charges <= charges_due - charges_paid
        rent_paid += rent
        charges_paid += charges
    assert (rent_paid, charges_paid) == (rent_due, charges_due)
