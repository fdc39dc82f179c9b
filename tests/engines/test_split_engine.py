"""Unit tests of the owner payout split engine."""

import time
from datetime import date
from decimal import Decimal

import pytest

from odoo.addons.rental_flow.engines.split import (
    AdvanceRecovery,
    Collection,
    OpenAdvance,
    OwnerNet,
    OwnerShare,
    SplitInputError,
    SplitResult,
    SplitTerms,
    allocate_payment,
    compute_split,
    from_cents,
    next_collection,
    reverse_split,
    to_cents,
)

D = Decimal
ALONE = [OwnerShare(owner_ref="owner", share=D(100))]


def terms(**values):
    values.setdefault("fee_rate", D(0))
    return SplitTerms(**values)


def nets(result):
    return {net.owner_ref: net.amount for net in result.owner_nets}


def assert_balanced(result):
    assert sum(cents for _, _, cents in result.parts()) == result.amount
    assert result.rounding == 0


# --------------------------------------------------------------------------- full payments


def test_full_payment_french_example():
    """850 € rent + 50 € charges, 7 % HT on rent + charges, VAT 20 %, GLI 2.5 %."""
    result = compute_split(
        Collection(rent=85000, charges=5000),
        terms(fee_rate=D(7), fee_base="rent_charges", fee_tax_rate=D(20), insurance_rate=D("2.5")),
        ALONE,
    )
    assert (result.fee, result.fee_tax, result.insurance) == (6300, 1260, 2250)
    assert nets(result) == {"owner": 90000 - 6300 - 1260 - 2250}
    assert result.advance_recoveries == ()
    assert (result.fee_shortfall, result.fee_tax_shortfall, result.insurance_shortfall) == (
        0,
        0,
        0,
    )
    assert not result.is_reversal
    assert_balanced(result)


def test_fee_base_rent_excludes_charges_but_insurance_includes_them():
    result = compute_split(
        Collection(rent=100000, charges=10000),
        terms(fee_rate=D(8), fee_base="rent", insurance_rate=D(2)),
        ALONE,
    )
    assert result.fee == 8000
    assert result.insurance == 2200
    assert_balanced(result)


def test_rounding_is_half_up_on_fee_tax_and_insurance():
    # 1 235 cents × 10 % = 123.5 → 124 (half-up, not banker's 124/124 or 123)
    result = compute_split(
        Collection(rent=12350),
        terms(fee_rate=D(10), fee_tax_rate=D(10), insurance_rate=D(10)),
        ALONE,
    )
    assert result.fee == 1235
    assert result.fee_tax == 124  # 123.5 → 124
    assert result.insurance == 1235
    result = compute_split(Collection(rent=25), terms(fee_rate=D(10)), ALONE)
    assert result.fee == 3  # 2.5 → 3
    result = compute_split(Collection(rent=24), terms(fee_rate=D(10)), ALONE)
    assert result.fee == 2  # 2.4 → 2


def test_fractional_rates_are_exact():
    result = compute_split(
        Collection(rent=100000), terms(fee_rate=D("6.666"), fee_tax_rate=D("19.6")), ALONE
    )
    assert result.fee == 6666
    assert result.fee_tax == 1307  # 1306.536 → 1307
    assert_balanced(result)


def test_zero_rates_give_everything_to_the_owner():
    result = compute_split(Collection(rent=70000, charges=3000), terms(), ALONE)
    assert (result.fee, result.fee_tax, result.insurance) == (0, 0, 0)
    assert nets(result) == {"owner": 73000}


# --------------------------------------------------------------------------- min / max


def test_fee_minimum_applies_as_soon_as_something_is_collected():
    rules = terms(fee_rate=D(5), fee_min=3000, fee_tax_rate=D(20))
    result = compute_split(Collection(rent=20000), rules, ALONE)
    assert result.fee == 3000  # 5 % would be 1 000
    assert result.fee_tax == 600


def test_fee_minimum_is_never_above_the_fee_base_collected():
    rules = terms(fee_rate=D(5), fee_min=3000)
    result = compute_split(Collection(rent=2000), rules, ALONE)
    assert result.fee == 2000
    # fee on rent only and only charges collected: the base is 0, so is the fee
    result = compute_split(Collection(rent=0, charges=5000), rules, ALONE)
    assert result.fee == 0
    assert nets(result) == {"owner": 5000}


def test_fee_minimum_is_not_taken_twice_on_partial_payments():
    rules = terms(fee_rate=D(5), fee_min=3000)
    first = compute_split(Collection(rent=40000), rules, ALONE)
    second = compute_split(next_collection([first], rent=40000), rules, ALONE)
    assert first.fee == 3000
    assert second.fee == 1000  # cumulative 5 % of 80 000 = 4 000
    assert first.fee + second.fee == compute_split(Collection(rent=80000), rules, ALONE).fee


def test_fee_maximum_caps_the_cumulative_fee():
    rules = terms(fee_rate=D(10), fee_max=5000, fee_tax_rate=D(20))
    first = compute_split(Collection(rent=40000), rules, ALONE)
    second = compute_split(next_collection([first], rent=40000), rules, ALONE)
    assert (first.fee, second.fee) == (4000, 1000)
    assert (first.fee_tax, second.fee_tax) == (800, 200)
    third = compute_split(next_collection([first, second], rent=10000), rules, ALONE)
    assert third.fee == 0 and third.fee_tax == 0


def test_terms_refuse_inconsistent_min_max_and_rates():
    with pytest.raises(SplitInputError, match="fee_min"):
        terms(fee_min=5000, fee_max=4000)
    terms(fee_min=5000, fee_max=0)  # 0 = no maximum
    with pytest.raises(SplitInputError, match="between 0 and 100"):
        terms(fee_rate=D("100.01"))
    with pytest.raises(SplitInputError, match="between 0 and 100"):
        terms(fee_rate=D(-1))
    with pytest.raises(SplitInputError, match="fee_tax_rate"):
        terms(fee_tax_rate=D(101))
    with pytest.raises(SplitInputError, match="insurance_rate"):
        terms(insurance_rate=D("NaN"))
    with pytest.raises(SplitInputError, match="Decimal percentage"):
        terms(fee_rate=7.5)
    with pytest.raises(SplitInputError, match="fee_base"):
        terms(fee_base="charges")
    with pytest.raises(SplitInputError, match="fee_min"):
        terms(fee_min=-1)
    with pytest.raises(SplitInputError, match="fee_max"):
        terms(fee_max=D(10))


# --------------------------------------------------------------------------- priority


def test_fee_and_vat_are_capped_first_then_insurance():
    # 100 % fee + 20 % VAT cannot fit in what was collected
    rules = terms(fee_rate=D(100), fee_tax_rate=D(20), insurance_rate=D(5))
    result = compute_split(Collection(rent=10000), rules, ALONE)
    assert result.fee + result.fee_tax == 10000
    assert (result.fee, result.fee_tax) == (8333, 1667)
    assert result.insurance == 0
    assert nets(result) == {"owner": 0}
    assert result.fee_shortfall == 10000 - 8333
    assert result.fee_tax_shortfall == 2000 - 1667
    assert result.insurance_shortfall == 500
    assert_balanced(result)


def test_an_odd_cent_left_by_the_vat_cap_goes_on_to_the_next_parts():
    # fee + VAT(fee) jumps by 2 cents for some fees: one cent may remain
    rules = terms(fee_rate=D(100), fee_tax_rate=D(100), insurance_rate=D(100))
    result = compute_split(Collection(rent=101), rules, ALONE)
    assert (result.fee, result.fee_tax) == (50, 50)
    assert result.insurance == 1
    assert nets(result) == {"owner": 0}


def test_insurance_is_capped_before_advances_and_owners():
    rules = terms(fee_rate=D(50), fee_tax_rate=D(20), insurance_rate=D(50))
    advances = [OpenAdvance(ref="W1", amount_open=10000)]
    result = compute_split(Collection(rent=10000), rules, ALONE, advances)
    assert (result.fee, result.fee_tax) == (5000, 1000)
    assert result.insurance == 4000
    assert result.insurance_shortfall == 1000
    assert result.advance_recoveries == ()
    assert nets(result) == {"owner": 0}


def test_shortfall_is_caught_up_by_the_next_payment():
    rules = terms(fee_rate=D(5), fee_min=5000, fee_tax_rate=D(20))
    first = compute_split(Collection(rent=3000), rules, ALONE)
    # minimum limited to the base (3 000); fee + VAT must fit in 3 000
    assert first.fee + first.fee_tax == 3000
    assert first.fee == 2500 and first.fee_tax == 500
    assert first.fee_shortfall == 500
    second = compute_split(next_collection([first], rent=97000), rules, ALONE)
    full = compute_split(Collection(rent=100000), rules, ALONE)
    assert first.fee + second.fee == full.fee == 5000
    assert first.fee_tax + second.fee_tax == full.fee_tax == 1000
    assert second.fee_shortfall == 0


# --------------------------------------------------------------------------- advances


def test_advances_are_recovered_oldest_first_and_never_above_what_remains():
    advances = [
        OpenAdvance(ref="late", amount_open=30000, opened_on=date(2026, 3, 1)),
        OpenAdvance(ref="undated", amount_open=30000),
        OpenAdvance(ref="early", amount_open=30000, opened_on=date(2025, 11, 2)),
        OpenAdvance(ref="closed", amount_open=0, opened_on=date(2024, 1, 1)),
    ]
    result = compute_split(
        Collection(rent=70000), terms(fee_rate=D(10), fee_tax_rate=D(20)), ALONE, advances
    )
    # 70 000 - 7 000 - 1 400 = 61 600 remain
    assert result.advance_recoveries == (
        AdvanceRecovery("early", 30000),
        AdvanceRecovery("late", 30000),
        AdvanceRecovery("undated", 1600),
    )
    assert nets(result) == {"owner": 0}
    assert result.advances_total == 61600
    assert_balanced(result)


def test_undated_advances_keep_the_list_order():
    advances = [OpenAdvance(ref="b", amount_open=100), OpenAdvance(ref="a", amount_open=100)]
    result = compute_split(Collection(rent=150), terms(), ALONE, advances)
    assert result.advance_recoveries == (AdvanceRecovery("b", 100), AdvanceRecovery("a", 50))


def test_advances_refuse_bad_input():
    with pytest.raises(SplitInputError, match="advance"):
        OpenAdvance(ref="W", amount_open=-1)
    with pytest.raises(SplitInputError, match="must be a date"):
        OpenAdvance(ref="W", amount_open=1, opened_on="2026-01-01")
    with pytest.raises(SplitInputError, match="repeated"):
        compute_split(
            Collection(rent=100),
            terms(),
            ALONE,
            [OpenAdvance(ref="W", amount_open=1), OpenAdvance(ref="W", amount_open=2)],
        )
    with pytest.raises(SplitInputError, match="OpenAdvance"):
        compute_split(Collection(rent=100), terms(), ALONE, [("W", 5)])


# --------------------------------------------------------------------------- owners


def test_joint_owners_largest_remainder():
    owners = [
        OwnerShare(owner_ref="A", share=D("33.33")),
        OwnerShare(owner_ref="B", share=D("33.33")),
        OwnerShare(owner_ref="C", share=D("33.34"), is_principal=True),
    ]
    result = compute_split(Collection(rent=74650), terms(), owners)
    # exact: 24 880.845, 24 880.845, 24 888.31 → floors leave 2 cents for A and B
    assert nets(result) == {"A": 24881, "B": 24881, "C": 24888}
    assert result.owners_total == 74650


def test_tie_goes_to_the_principal_owner():
    owners = [
        OwnerShare(owner_ref="A", share=D(50)),
        OwnerShare(owner_ref="B", share=D(50), is_principal=True),
    ]
    assert nets(compute_split(Collection(rent=101), terms(), owners)) == {"A": 50, "B": 51}


def test_tie_without_principal_goes_to_the_first_owner_listed():
    owners = [OwnerShare(owner_ref=2, share=D(50)), OwnerShare(owner_ref=1, share=D(50))]
    assert nets(compute_split(Collection(rent=101), terms(), owners)) == {2: 51, 1: 50}


def test_thirds_with_three_decimal_shares():
    owners = [
        OwnerShare(owner_ref="A", share=D("33.333")),
        OwnerShare(owner_ref="B", share=D("33.333")),
        OwnerShare(owner_ref="C", share=D("33.334")),
    ]
    result = compute_split(Collection(rent=100), terms(), owners)
    assert nets(result) == {"A": 33, "B": 33, "C": 34}


def test_owner_shares_must_total_100():
    with pytest.raises(SplitInputError, match="total 99.99 %"):
        compute_split(
            Collection(rent=100),
            terms(),
            [OwnerShare(owner_ref="A", share=D("50")), OwnerShare(owner_ref="B", share=D("49.99"))],
        )
    with pytest.raises(SplitInputError, match="total 100.5"):
        compute_split(
            Collection(rent=100),
            terms(),
            [OwnerShare(owner_ref="A", share=D("50.5")), OwnerShare(owner_ref="B", share=D(50))],
        )


@pytest.mark.parametrize(
    ("owners", "message"),
    [
        ([], "at least one owner"),
        (
            [OwnerShare(owner_ref="A", share=D(0)), OwnerShare(owner_ref="B", share=D(100))],
            "above 0",
        ),
        (
            [OwnerShare(owner_ref="A", share=D(-10)), OwnerShare(owner_ref="B", share=D(110))],
            "between",
        ),
        (
            [OwnerShare(owner_ref="A", share=D(50)), OwnerShare(owner_ref="A", share=D(50))],
            "repeated",
        ),
        ([OwnerShare(owner_ref=None, share=D(100))], "missing"),
        ([OwnerShare(owner_ref="A", share=100.0)], "Decimal"),
        ([("A", D(100))], "OwnerShare"),
        (
            [
                OwnerShare(owner_ref="A", share=D(50), is_principal=True),
                OwnerShare(owner_ref="B", share=D(50), is_principal=True),
            ],
            "principal",
        ),
    ],
)
def test_owner_list_refuses_bad_input(owners, message):
    with pytest.raises(SplitInputError, match=message):
        compute_split(Collection(rent=100), terms(), owners)


# --------------------------------------------------------------------------- collections


def test_deposit_is_refused():
    with pytest.raises(SplitInputError, match="deposit is not split"):
        compute_split(Collection(rent=90000, is_deposit=True), terms(), ALONE)


@pytest.mark.parametrize(
    "values",
    [
        {"rent": -1},
        {"rent": 10.5},
        {"rent": D(10)},
        {"rent": True},
        {"rent": 100, "charges": -5},
        {"rent": 100, "fee_before": -1},
        {"rent": 100, "is_deposit": "no"},
    ],
)
def test_collection_refuses_bad_amounts(values):
    with pytest.raises(SplitInputError):
        Collection(**values)


def test_empty_collection_is_refused():
    with pytest.raises(SplitInputError, match="nothing was collected"):
        compute_split(Collection(rent=0), terms(), ALONE)


def test_wrong_argument_types_are_refused():
    with pytest.raises(SplitInputError, match="Collection"):
        compute_split({"rent": 100}, terms(), ALONE)
    with pytest.raises(SplitInputError, match="SplitTerms"):
        compute_split(Collection(rent=100), {"fee_rate": 7}, ALONE)


def test_fee_already_taken_above_target_gives_no_negative_part():
    # terms changed after a payment: nothing is refunded by the split
    result = compute_split(
        Collection(rent=1000, rent_before=1000, fee_before=500, fee_tax_before=100),
        terms(fee_rate=D(10), fee_tax_rate=D(20)),
        ALONE,
    )
    assert (result.fee, result.fee_tax) == (0, 0)
    assert nets(result) == {"owner": 1000}


# --------------------------------------------------------------------------- reversal


def test_reverse_split_negates_every_part():
    rules = terms(fee_rate=D(7), fee_tax_rate=D(20), insurance_rate=D(2))
    owners = [OwnerShare(owner_ref="A", share=D(60)), OwnerShare(owner_ref="B", share=D(40))]
    result = compute_split(
        Collection(rent=80000, charges=4000), rules, owners, [OpenAdvance(ref="W", amount_open=900)]
    )
    reversal = reverse_split(result)
    assert reversal.is_reversal
    assert reversal.amount == -84000
    assert [(k, r, -c) for k, r, c in reversal.parts()] == result.parts()
    assert sum(c for _, _, c in reversal.parts()) == reversal.amount
    assert reversal.owner_nets == (
        OwnerNet("A", -nets(result)["A"]),
        OwnerNet("B", -nets(result)["B"]),
    )
    assert reverse_split(reversal) == result
    with pytest.raises(SplitInputError):
        reverse_split("not a result")


def test_payment_after_a_reversal_gives_the_same_split_as_a_fresh_one():
    rules = terms(fee_rate=D(7), fee_min=2000, fee_tax_rate=D(20), insurance_rate=D(2))
    first = compute_split(Collection(rent=30000), rules, ALONE)
    history = [first, reverse_split(first)]
    again = compute_split(next_collection(history, rent=90000), rules, ALONE)
    fresh = compute_split(Collection(rent=90000), rules, ALONE)
    assert again == fresh


def test_next_collection_sums_the_history():
    rules = terms(fee_rate=D(10), fee_tax_rate=D(20), insurance_rate=D(3))
    first = compute_split(Collection(rent=10000, charges=1000), rules, ALONE)
    collection = next_collection([first], rent=5000, charges=500)
    assert collection == Collection(
        rent=5000,
        charges=500,
        rent_before=10000,
        charges_before=1000,
        fee_before=1000,
        fee_tax_before=200,
        insurance_before=330,
    )
    with pytest.raises(SplitInputError):
        next_collection([object()], rent=1)


# --------------------------------------------------------------------------- allocation


def test_allocate_payment_modes():
    assert allocate_payment(45000, 80000, 10000) == (40000, 5000)
    assert allocate_payment(45000, 80000, 10000, "rent_first") == (45000, 0)
    assert allocate_payment(45000, 80000, 10000, "charges_first") == (35000, 10000)
    assert allocate_payment(85000, 80000, 10000, "rent_first") == (80000, 5000)
    assert allocate_payment(5000, 80000, 10000, "charges_first") == (0, 5000)
    assert allocate_payment(90000, 80000, 10000) == (80000, 10000)
    assert allocate_payment(100, 0, 500) == (0, 100)


def test_allocate_payment_pro_rata_rounds_half_up_and_settles_exactly():
    assert allocate_payment(1, 1, 1) == (1, 0)  # 0.5 → 1
    rent_due, charges_due = 80001, 9999
    rent_paid = charges_paid = 0
    for amount in (33333, 33333, 23334):
        rent, charges = allocate_payment(amount, rent_due - rent_paid, charges_due - charges_paid)
        rent_paid += rent
        charges_paid += charges
    assert (rent_paid, charges_paid) == (rent_due, charges_due)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((100001, 90000, 10000), "above"),
        ((0, 90000, 10000), "at least 1"),
        ((-5, 90000, 10000), "at least 1"),
        ((100, -1, 10000), "rent_due"),
        ((100, 90000, 10000, "oldest"), "mode"),
        ((10.0, 90000, 10000), "integer number of cents"),
        ((1, 0, 0), "above"),
    ],
)
def test_allocate_payment_refuses_bad_input(args, message):
    with pytest.raises(SplitInputError, match=message):
        allocate_payment(*args)


# --------------------------------------------------------------------------- conversions


def test_cents_conversions():
    assert to_cents(D("1234.56")) == 123456
    assert to_cents(D("12")) == 1200
    assert to_cents(7) == 700
    assert from_cents(123456) == D("1234.56")
    assert from_cents(-5) == D("-0.05")
    with pytest.raises(SplitInputError, match="two decimals"):
        to_cents(D("1.005"))
    with pytest.raises(SplitInputError, match="Decimal"):
        to_cents(1.5)
    with pytest.raises(SplitInputError, match="not a number"):
        to_cents(D("Infinity"))
    with pytest.raises(SplitInputError, match="not a number"):
        to_cents(D("sNaN"))
    with pytest.raises(SplitInputError):
        from_cents(1.5)


def test_split_result_totals():
    result = SplitResult(
        amount=10,
        rent=10,
        charges=0,
        fee=1,
        fee_tax=0,
        insurance=0,
        advance_recoveries=(AdvanceRecovery("W", 2),),
        owner_nets=(OwnerNet("A", 3), OwnerNet("B", 4)),
    )
    assert result.advances_total == 2
    assert result.owners_total == 7


# --------------------------------------------------------------------------- speed


def test_ten_thousand_splits_take_well_under_a_second():
    rules = terms(
        fee_rate=D("7.5"),
        fee_base="rent_charges",
        fee_min=1500,
        fee_tax_rate=D(20),
        insurance_rate=D("2.5"),
    )
    owners = [
        OwnerShare(owner_ref="A", share=D("33.33")),
        OwnerShare(owner_ref="B", share=D("33.33")),
        OwnerShare(owner_ref="C", share=D("33.34"), is_principal=True),
    ]
    advances = [OpenAdvance(ref="W", amount_open=5000)]
    collections = [Collection(rent=50000 + i, charges=4000) for i in range(10000)]
    started = time.process_time()
    for collection in collections:
        compute_split(collection, rules, owners, advances)
    assert time.process_time() - started < 1.0
