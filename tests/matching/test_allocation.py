"""Spreading a payment over a lease's open items (combinations)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from odoo.addons.rental_flow_bank.engines.matching import (
    AllocationPolicy,
    MatchingInputError,
    MatchStats,
    allocate,
)

JAN, FEB, MAR = date(2026, 1, 5), date(2026, 2, 5), date(2026, 3, 5)
ITEMS = [(1, 70000, JAN), (2, 70000, FEB), (3, 70000, MAR)]
POLICY = AllocationPolicy()


def run(amount, items=ITEMS, policy=POLICY, **kwargs):
    return allocate(amount, items, policy, MatchStats(), line_date=MAR, **kwargs)


def test_exact_amount_pays_the_oldest_equal_item():
    outcome = run(70000)
    assert (outcome.fit, outcome.allocations, outcome.unallocated) == ("exact", ((1, 70000),), 0)


def test_exact_item_first_then_oldest():
    items = [(1, 30000, JAN), (2, 70000, FEB)]
    assert run(70000, items).allocations == ((2, 70000),)


def test_several_months_oldest_first():
    outcome = run(140000)
    assert outcome.fit == "multi"
    assert outcome.allocations == ((1, 70000), (2, 70000))


def test_partial_payment_leaves_the_item_open():
    outcome = run(30000)
    assert (outcome.fit, outcome.allocations, outcome.unallocated) == ("partial", ((1, 30000),), 0)


def test_partial_across_months():
    outcome = run(100000)
    assert outcome.fit == "partial"
    assert outcome.allocations == ((1, 70000), (2, 30000))


def test_overpayment_pays_everything_and_keeps_the_rest_as_credit():
    outcome = run(250000)
    assert outcome.fit == "overpaid"
    assert outcome.allocated == 210000
    assert outcome.unallocated == 40000


def test_nothing_open():
    outcome = run(70000, [])
    assert (outcome.fit, outcome.allocations, outcome.unallocated) == ("none", (), 70000)


def test_named_item_comes_first():
    outcome = run(70000, targets=(3,))
    assert (outcome.fit, outcome.allocations) == ("exact", ((3, 70000),))
    outcome = run(140000, targets=(3,))
    assert outcome.allocations == ((3, 70000), (1, 70000))
    outcome = run(20000, targets=(2,))
    assert (outcome.fit, outcome.allocations) == ("partial", ((2, 20000),))


def test_named_item_already_paid_falls_back_to_oldest():
    outcome = run(70000, [(2, 70000, FEB)], targets=(1,))
    assert outcome.paid_targets == (1,)
    assert outcome.allocations == ((2, 70000),)


def test_items_due_far_ahead_wait_unless_named():
    early = allocate(210000, ITEMS, POLICY, MatchStats(), line_date=date(2026, 1, 2))
    assert early.fit == "overpaid"
    assert early.allocations == ((1, 70000), (2, 70000))
    assert early.unallocated == 70000
    named = allocate(
        210000, ITEMS, POLICY, MatchStats(), line_date=date(2026, 1, 2), targets=(1, 2, 3)
    )
    assert (named.fit, named.unallocated) == ("multi", 0)


def test_tolerance_counts_as_exact_and_keeps_the_difference():
    policy = AllocationPolicy(tolerance_cents=100)
    outcome = run(70050, policy=policy)
    assert outcome.fit == "exact"
    assert outcome.allocations == ((1, 70000),)
    assert outcome.unallocated == 50


@pytest.mark.parametrize(
    ("policy", "amount"),
    [
        (AllocationPolicy(multi_month=False), 140000),
        (AllocationPolicy(partial=False), 30000),
        (AllocationPolicy(overpayment=False), 250000),
        (AllocationPolicy.exact_only(), 100000),
    ],
)
def test_disabled_combinations_give_no_allocation(policy, amount):
    outcome = run(amount, policy=policy)
    assert outcome.fit == "mismatch"
    assert outcome.allocations == ()
    assert outcome.unallocated == amount


def test_policy_from_params_and_bad_params():
    policy = AllocationPolicy.from_params({"amount_tolerance": "0.50", "max_months": 2})
    assert policy.tolerance_cents == 50
    assert policy.max_months == 2
    with pytest.raises(MatchingInputError):
        AllocationPolicy.from_params({"max_months": 0})
    with pytest.raises(MatchingInputError):
        AllocationPolicy.from_params({"max_months": "many"})
    with pytest.raises(MatchingInputError):
        AllocationPolicy.from_params({"amount_tolerance": "0.001"})
    with pytest.raises(MatchingInputError):
        AllocationPolicy.from_params({"deposit_words": "DG"})


def test_amount_must_be_positive():
    with pytest.raises(MatchingInputError):
        run(0)
    assert Decimal("0.01")  # amounts are cents here; Decimals only at the edges


@given(
    amount=st.integers(min_value=1, max_value=2_000_000),
    residuals=st.lists(st.integers(min_value=1, max_value=300_000), max_size=8),
    named=st.integers(min_value=0, max_value=8),
)
def test_allocation_invariants(amount, residuals, named):
    """Every cent is accounted for, no item gets more than its residual, each item once."""
    items = [(n + 1, r, date(2026, 1, 5) + timedelta(days=30 * n)) for n, r in enumerate(residuals)]
    targets = (named,) if 0 < named <= len(items) else ()
    outcome = allocate(
        amount, items, POLICY, MatchStats(), line_date=date(2026, 12, 31), targets=targets
    )
    residual = dict((i, r) for i, r, _d in items)
    assert outcome.allocated + outcome.unallocated == amount
    assert len({i for i, _c in outcome.allocations}) == len(outcome.allocations)
    assert all(0 < cents <= residual[i] for i, cents in outcome.allocations)
    if outcome.unallocated:
        assert outcome.fit in ("overpaid", "none") or (outcome.fit == "exact" and not items)
        assert outcome.allocated == sum(residuals)
    if not targets and outcome.fit in ("multi", "partial", "overpaid"):
        ids = [i for i, _c in outcome.allocations]
        assert ids == sorted(ids)  # oldest first
