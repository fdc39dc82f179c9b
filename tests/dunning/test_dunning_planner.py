"""Tests of the dunning planner (rental_flow_dunning/engines/planner.py)."""

from datetime import date, timedelta

import pytest

from odoo.addons.rental_flow_dunning.engines import planner
from odoo.addons.rental_flow_dunning.engines.planner import (
    Contact,
    DunningCase,
    FeeNotAllowed,
    LevelSpec,
    OverdueItem,
    PastReminder,
    PaymentPlanStatus,
    PolicySpec,
    check_fee_allowed,
    plan,
)

TODAY = date(2026, 11, 25)

COURTEOUS = LevelSpec(1, -3, frozenset({"email", "sms"}), name="courteous")
FIRST = LevelSpec(2, 5, frozenset({"email", "sms"}), name="first")
LETTER = LevelSpec(3, 15, frozenset({"letter"}), name="letter")
NOTICE = LevelSpec(4, 30, frozenset({"letter"}), activity=True, name="formal notice")
BAILIFF = LevelSpec(5, 45, frozenset(), activity=True, name="bailiff")

STANDARD = PolicySpec(
    key=1,
    levels=(COURTEOUS, FIRST, LETTER, NOTICE, BAILIFF),
    min_amount_cents=1000,
    min_interval_days=5,
    chronic_late_count=3,
    chronic_start_index=2,
    guarantor_from_index=2,
)

TENANT = Contact(10, "tenant", email="t@example.com", mobile="+33612345678", address_ok=True)
GUARANTOR = Contact(20, "guarantor", email="g@example.com", mobile="+33612345679",
                    address_ok=True)


def case(days_late=10, residual=95000, **values):
    """A lease with one rent call due ``days_late`` days ago."""
    values.setdefault("items", (OverdueItem(100, TODAY - timedelta(days=days_late), residual),))
    values.setdefault("contacts", (TENANT, GUARANTOR))
    values.setdefault("lease_kind", "residential")
    return DunningCase(key=7, **values)


def level_of(decision):
    return decision.level_key


# -- level selection -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_late", "expected"),
    [(-5, None), (-3, 1), (0, 1), (4, None), (5, 2), (20, 2), (60, 2)],
)
def test_first_reminder_starts_at_the_first_due_level(days_late, expected):
    decision = plan(case(days_late), STANDARD, TODAY)
    assert level_of(decision) == expected
    if expected is None:
        assert decision.action == "wait"
        assert "not_due_yet" in decision.reason_codes()
    else:
        assert decision.action == "send"


def test_courteous_level_is_not_sent_once_the_rent_is_due():
    """The D-3 courteous reminder makes no sense once the rent is late: skipped."""
    decision = plan(case(5), STANDARD, TODAY)
    assert level_of(decision) == FIRST.key


def test_levels_follow_in_order_after_a_reminder():
    reminders = (PastReminder(FIRST.key, TODAY - timedelta(days=10), frozenset({100})),)
    decision = plan(case(40, reminders=reminders), STANDARD, TODAY)
    assert level_of(decision) == LETTER.key
    assert decision.level_index == 2


def test_jump_catch_up_goes_to_the_highest_due_level():
    policy = PolicySpec(key=2, levels=STANDARD.levels, catch_up="jump")
    decision = plan(case(40), policy, TODAY)
    assert level_of(decision) == NOTICE.key
    assert "jump" in decision.reason_codes()


def test_minimum_interval_between_reminders():
    reminders = (PastReminder(FIRST.key, TODAY - timedelta(days=2), frozenset({100})),)
    decision = plan(case(40, reminders=reminders), STANDARD, TODAY)
    assert decision.action == "wait"
    assert decision.level_key is None
    assert dict(decision.reasons[-1].params) == {"days": 2, "minimum": 5}


def test_next_level_waits_for_its_delay():
    reminders = (PastReminder(FIRST.key, TODAY - timedelta(days=6), frozenset({100})),)
    decision = plan(case(10, reminders=reminders), STANDARD, TODAY)
    assert decision.action == "wait"
    assert dict(decision.reasons[-1].params)["next_delay"] == 15


def test_after_the_last_level_nothing_more_is_sent():
    reminders = (PastReminder(BAILIFF.key, TODAY - timedelta(days=20), frozenset({100})),)
    decision = plan(case(90, reminders=reminders), STANDARD, TODAY)
    assert decision.action == "skip"
    assert "last_level_reached" in decision.reason_codes()


def test_reminders_of_paid_items_start_no_episode():
    """Last month's reminder was about a call since paid: this month starts over."""
    reminders = (PastReminder(LETTER.key, TODAY - timedelta(days=40), frozenset({99})),)
    decision = plan(case(6, reminders=reminders), STANDARD, TODAY)
    assert level_of(decision) == FIRST.key


def test_reminder_of_a_level_no_longer_in_the_policy_is_ignored():
    reminders = (PastReminder(999, TODAY - timedelta(days=20), frozenset({100})),)
    decision = plan(case(6, reminders=reminders), STANDARD, TODAY)
    assert level_of(decision) == FIRST.key


def test_oldest_item_drives_the_days_late():
    items = (
        OverdueItem(100, TODAY - timedelta(days=35), 50000),
        OverdueItem(101, TODAY - timedelta(days=5), 95000),
    )
    decision = plan(case(items=items), STANDARD, TODAY)
    assert decision.days_late == 35
    assert decision.amount_cents == 145000
    assert decision.item_keys == (100, 101)


# -- skip rule for chronic late payers ---------------------------------------------------


def test_chronic_late_payer_starts_at_a_later_level():
    decision = plan(case(16, late_count=3), STANDARD, TODAY)
    assert level_of(decision) == LETTER.key
    assert "chronic_skip" in decision.reason_codes()


def test_chronic_late_payer_gets_the_firmer_level_when_the_first_is_due():
    """Skipping the gentle levels does not delay the first contact."""
    decision = plan(case(6, late_count=5), STANDARD, TODAY)
    assert level_of(decision) == LETTER.key


@pytest.mark.parametrize("days_late", [-3, 0, 2])
def test_chronic_late_payer_gets_no_courteous_reminder(days_late):
    decision = plan(case(days_late, late_count=5), STANDARD, TODAY)
    assert decision.action == "wait"


def test_chronic_late_payer_then_follows_the_levels():
    reminders = (PastReminder(LETTER.key, TODAY - timedelta(days=25), frozenset({100})),)
    decision = plan(case(31, late_count=5, reminders=reminders), STANDARD, TODAY)
    assert level_of(decision) == NOTICE.key


def test_below_the_chronic_threshold_no_skip():
    decision = plan(case(16, late_count=2), STANDARD, TODAY)
    assert level_of(decision) == FIRST.key


def test_chronic_rule_off_when_count_is_zero():
    policy = PolicySpec(key=3, levels=STANDARD.levels, chronic_late_count=0,
                        chronic_start_index=2)
    assert level_of(plan(case(16, late_count=12), policy, TODAY)) == FIRST.key


# -- payment plans ------------------------------------------------------------------------


def test_honoured_payment_plan_suspends_the_covered_calls():
    status = PaymentPlanStatus(key=5, covered_item_keys=frozenset({100}), honoured=True)
    decision = plan(case(40, plan=status), STANDARD, TODAY)
    assert decision.action == "skip"
    assert decision.reason_codes() == ["payment_plan_honoured"]


def test_honoured_payment_plan_leaves_new_calls_dunned():
    items = (
        OverdueItem(100, TODAY - timedelta(days=60), 90000),
        OverdueItem(101, TODAY - timedelta(days=6), 95000),
    )
    status = PaymentPlanStatus(key=5, covered_item_keys=frozenset({100}), honoured=True)
    decision = plan(case(items=items, plan=status), STANDARD, TODAY)
    assert decision.action == "send"
    assert decision.item_keys == (101,)
    assert decision.days_late == 6


def test_missed_instalment_resumes_dunning_where_it_stood():
    status = PaymentPlanStatus(key=5, covered_item_keys=frozenset({100}), honoured=False)
    reminders = (PastReminder(LETTER.key, TODAY - timedelta(days=30), frozenset({100})),)
    decision = plan(case(60, plan=status, reminders=reminders), STANDARD, TODAY)
    assert decision.action == "send"
    assert level_of(decision) == NOTICE.key
    assert "payment_plan_missed" in decision.reason_codes()


# -- stop on payment, exclusions, minimum --------------------------------------------------


def test_paid_items_stop_dunning():
    decision = plan(case(40, residual=0), STANDARD, TODAY)
    assert decision.action == "skip"
    assert decision.reason_codes() == ["nothing_due"]


def test_unallocated_payment_covering_the_debt_stops_dunning():
    decision = plan(case(40, residual=95000, unallocated_cents=95000), STANDARD, TODAY)
    assert decision.action == "skip"
    assert "unallocated_covers" in decision.reason_codes()


def test_unallocated_payment_lowers_the_amount():
    decision = plan(case(10, residual=95000, unallocated_cents=45000), STANDARD, TODAY)
    assert decision.action == "send"
    assert decision.amount_cents == 50000


@pytest.mark.parametrize("litigation", ["dispute", "legal"])
def test_litigation_excludes(litigation):
    decision = plan(case(40, litigation=litigation), STANDARD, TODAY)
    assert decision.action == "exclude"
    assert decision.reasons[0].as_dict() == {"state": litigation}


def test_paused_lease_is_excluded():
    assert plan(case(40, paused=True), STANDARD, TODAY).action == "exclude"


def test_empty_policy_sends_nothing():
    decision = plan(case(40), PolicySpec(key=9), TODAY)
    assert decision.action == "exclude"
    assert decision.reason_codes() == ["empty_policy"]


def test_below_the_minimum_amount():
    decision = plan(case(40, residual=999), STANDARD, TODAY)
    assert decision.action == "skip"
    assert decision.reasons[0].as_dict() == {"cents": 999, "minimum": 1000}


# -- channels and missing contacts ----------------------------------------------------------


def test_channels_of_the_level_go_to_the_tenant():
    decision = plan(case(6), STANDARD, TODAY)
    assert {(d.contact_key, d.channel) for d in decision.deliveries} == {
        (10, "email"), (10, "sms")
    }
    assert decision.channels == ("email", "sms")


def test_guarantor_copied_from_the_chosen_level_by_email_and_letter_only():
    reminders = (PastReminder(FIRST.key, TODAY - timedelta(days=10), frozenset({100})),)
    decision = plan(case(20, reminders=reminders), STANDARD, TODAY)
    assert {(d.role, d.channel) for d in decision.deliveries} == {
        ("tenant", "letter"), ("guarantor", "letter")
    }
    assert "guarantor_copy" in decision.reason_codes()
    sms_level = LevelSpec(8, 20, frozenset({"sms", "email"}), copy_guarantors=True)
    policy = PolicySpec(key=4, levels=(sms_level,))
    decision = plan(case(20), policy, TODAY)
    assert {(d.role, d.channel) for d in decision.deliveries} == {
        ("tenant", "sms"), ("tenant", "email"), ("guarantor", "email")
    }


def test_missing_contact_other_channels_still_go():
    tenant = Contact(10, "tenant", email=None, mobile=None, mobile_problem="not_mobile",
                     address_ok=True)
    decision = plan(case(6, contacts=(tenant,)), PolicySpec(
        key=5, levels=(LevelSpec(2, 5, frozenset({"email", "sms", "letter"})),)), TODAY)
    assert decision.action == "send"
    assert [(d.channel) for d in decision.deliveries] == ["letter"]
    assert {(m.channel, m.problem) for m in decision.missing} == {
        ("email", "missing"), ("sms", "not_mobile")
    }


def test_unreachable_tenant_blocks_the_level():
    tenant = Contact(10, "tenant")
    decision = plan(case(6, contacts=(tenant, GUARANTOR)), STANDARD, TODAY)
    assert decision.action == "blocked"
    assert decision.level_key == FIRST.key
    assert len(decision.missing) == 2
    assert "no_reachable_tenant" in decision.reason_codes()


def test_level_with_an_activity_is_never_blocked():
    reminders = (PastReminder(NOTICE.key, TODAY - timedelta(days=20), frozenset({100})),)
    decision = plan(case(50, reminders=reminders, contacts=(Contact(10),)), STANDARD, TODAY)
    assert decision.action == "send"
    assert decision.level_key == BAILIFF.key
    assert decision.activity is True
    assert decision.deliveries == ()


def test_contact_reach_refuses_unknown_channel():
    with pytest.raises(ValueError):
        TENANT.reach("fax")


# -- fees -------------------------------------------------------------------------------------


FEE_LEVEL = LevelSpec(2, 5, frozenset({"email"}), fee_cents=4000)


def test_no_fee_on_residential_leases_even_if_the_level_has_one():
    policy = PolicySpec(key=6, levels=(FEE_LEVEL,), fee_lease_kinds=frozenset({"commercial"}))
    for kind in ("residential", "residential_furnished"):
        decision = plan(case(6, lease_kind=kind), policy, TODAY)
        assert decision.action == "send"
        assert decision.fee_cents == 0
        assert "no_fee_residential" in decision.reason_codes()


def test_fee_on_an_allowed_commercial_lease():
    policy = PolicySpec(key=6, levels=(FEE_LEVEL,), fee_lease_kinds=frozenset({"commercial"}))
    decision = plan(case(6, lease_kind="commercial"), policy, TODAY)
    assert decision.fee_cents == 4000
    decision = plan(case(6, lease_kind="professional"), policy, TODAY)
    assert decision.fee_cents == 0
    assert "no_fee_kind" in decision.reason_codes()


def test_policy_cannot_allow_fees_on_residential_leases():
    with pytest.raises(FeeNotAllowed):
        PolicySpec(key=6, levels=(FEE_LEVEL,), fee_lease_kinds=frozenset({"residential"}))


@pytest.mark.parametrize("kind", sorted(planner.RESIDENTIAL_KINDS))
def test_check_fee_allowed_refuses_residential(kind):
    with pytest.raises(FeeNotAllowed):
        check_fee_allowed(kind)
    with pytest.raises(FeeNotAllowed):
        check_fee_allowed(kind, {kind})
    check_fee_allowed("commercial", {"commercial"})


# -- bad input ------------------------------------------------------------------------------


def test_bad_specs_are_refused():
    with pytest.raises(ValueError):
        LevelSpec(1, 5, frozenset({"pigeon"}))
    with pytest.raises(TypeError):
        LevelSpec(1, 5, fee_cents=1.5)
    with pytest.raises(ValueError):
        LevelSpec(1, 5, fee_cents=-1)
    with pytest.raises(ValueError):
        PolicySpec(key=1, levels=(LETTER, FIRST))  # delays must increase
    with pytest.raises(ValueError):
        PolicySpec(key=1, levels=(FIRST, LevelSpec(9, 5)))  # same delay twice
    with pytest.raises(ValueError):
        PolicySpec(key=1, levels=STANDARD.levels, catch_up="random")
    with pytest.raises(ValueError):
        PolicySpec(key=1, levels=(FIRST,), chronic_start_index=3)


def test_plan_all_uses_each_case_policy():
    cases = [case(6), DunningCase(key=8, items=case(40).items, contacts=(TENANT,))]
    decisions = planner.plan_all(cases, {7: STANDARD, 8: PolicySpec(key=2)}, TODAY)
    assert [d.action for d in decisions] == ["send", "exclude"]
