import random
from datetime import date

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .split_common import SplitTestCommon


@tagged("post_install", "-at_install")
class TestOwnerSplit(SplitTestCommon):
    def setUp(self):
        super().setUp()
        self.lease = self.make_lease(start=date(2026, 1, 1), rent=900.0, charges=60.0)

    def test_full_payment_posts_a_split_entry(self):
        call = self.issue(self.lease)
        self.pay(call, 960.0)
        split = self.splits(call)
        self.assertEqual(len(split), 1)
        self.assertRecordValues(
            split,
            [
                {
                    "amount": 960.0,
                    "rent_amount": 900.0,
                    "charges_amount": 60.0,
                    "fee_base_amount": 960.0,
                    "fee_amount": 67.20,
                    "fee_tax_amount": 13.44,
                    "insurance_amount": 19.20,
                    "advance_amount": 0.0,
                    "owners_amount": 860.16,
                    "owner_id": self.owner.id,
                    "property_id": self.unit.id,
                    "lease_id": self.lease.id,
                    "mandate_id": self.mandate.id,
                    "state": "posted",
                    "date": date(2026, 1, 5),
                }
            ],
        )
        self.assertSplitEntryBalanced(split)
        lines = split.move_id.line_ids
        owner_lines = lines.filtered(lambda line: line.account_id == self.owner_account)
        self.assertEqual(owner_lines.partner_id, self.owner)
        self.assertEqual(owner_lines.rental_property_id, self.unit)
        self.assertAlmostEqual(sum(owner_lines.mapped("debit")), 99.84)
        fee = lines.filtered(lambda line: line.account_id == self.company.rental_fee_account_id)
        self.assertAlmostEqual(fee.credit, 67.20)
        self.assertEqual(fee.tax_ids, self.fee_tax)
        self.assertEqual(fee.tax_tag_ids, self.tag_base, "the fee base shows in the VAT report")
        vat = lines.filtered(lambda line: line.tax_line_id)
        self.assertEqual(vat.account_id, self.vat_account)
        self.assertAlmostEqual(vat.credit, 13.44)
        self.assertEqual(vat.tax_tag_ids, self.tag_tax)
        self.assertEqual(vat.tax_repartition_line_id.tax_id, self.fee_tax)
        self.assertAlmostEqual(vat.tax_base_amount, 67.20)
        insurer_account = self.company.rental_insurer_account_id
        insurer = lines.filtered(lambda line: line.account_id == insurer_account)
        self.assertEqual(insurer.partner_id, self.insurer)
        self.assertAlmostEqual(insurer.credit, 19.20)
        # What remains on the owner's account for the property is the net.
        self.assertAlmostEqual(self.owner_balance(self.owner, self.unit), 860.16)
        # Linked both ways, shown on the rent call and the lease.
        self.assertEqual(call.rental_split_count, 1)
        self.assertEqual(self.lease.split_count, 1)
        self.assertEqual(split.move_id.rental_split_count, 1)
        action = call.action_view_rental_splits()
        self.assertEqual(self.env["rental.owner.split"].search(action["domain"]), split)
        partial = self.receivable(call).matched_credit_ids
        self.assertEqual(split.partial_id, partial.id)

    def test_partial_payments_take_the_fee_of_what_is_collected(self):
        call = self.issue(self.lease)
        self.pay(call, 500.0)
        first = self.splits(call)
        self.assertRecordValues(
            first,
            [{"amount": 500.0, "rent_amount": 468.75, "charges_amount": 31.25,
              "fee_amount": 35.0, "fee_tax_amount": 7.0, "insurance_amount": 10.0,
              "owners_amount": 448.0}],
        )
        self.pay(call, 460.0, day=date(2026, 1, 20))
        splits = self.splits(call)
        self.assertEqual(len(splits), 2)
        second = splits - first
        self.assertRecordValues(
            second,
            [{"amount": 460.0, "rent_amount": 431.25, "charges_amount": 28.75,
              "fee_amount": 32.2, "fee_tax_amount": 6.44, "insurance_amount": 9.2,
              "owners_amount": 412.16, "date": date(2026, 1, 20)}],
        )
        # Paid in two parts, the rent call gives exactly the fee of one full payment.
        self.assertAlmostEqual(sum(splits.mapped("fee_amount")), 67.20)
        self.assertAlmostEqual(sum(splits.mapped("owners_amount")), 860.16)
        for split in splits:
            self.assertSplitEntryBalanced(split)

    def test_one_payment_for_two_months(self):
        calls = self.issue(self.lease, until=date(2026, 2, 1))
        self.assertEqual(len(calls), 2)
        moves_before = self.env["account.move"].search_count(
            [("journal_id", "=", self.split_journal.id)]
        )
        self.pay(calls, 1920.0)
        splits = self.splits(calls)
        self.assertEqual(len(splits), 2)
        self.assertEqual(splits.call_id, calls)
        self.assertEqual(splits.mapped("fee_amount"), [67.2, 67.2])
        self.assertEqual(
            self.env["account.move"].search_count([("journal_id", "=", self.split_journal.id)]),
            moves_before + 2,
        )

    def test_bank_statement_line_collection_is_split(self):
        call = self.issue(self.lease)
        self.pay_by_bank_line(call, 960.0)
        split = self.splits(call)
        self.assertEqual(len(split), 1)
        self.assertTrue(split.collection_move_id.statement_line_id)
        self.assertAlmostEqual(split.owners_amount, 860.16)

    def test_unreconcile_reverses_the_split(self):
        call = self.issue(self.lease)
        self.pay(call, 500.0)
        split = self.splits(call)
        move = split.move_id
        self.receivable(call).remove_move_reconcile()
        self.assertEqual(split.state, "reversed")
        reversal = split.reversal_id
        self.assertTrue(reversal.is_reversal)
        self.assertEqual(reversal.amount, -500.0)
        self.assertEqual(reversal.fee_amount, -35.0)
        self.assertEqual(reversal.move_id.reversed_entry_id, move)
        self.assertEqual(reversal.move_id.state, "posted")
        self.assertEqual(move.state, "posted", "a split entry is never deleted")
        self.assertAlmostEqual(sum(reversal.move_id.line_ids.mapped("balance")), 0.0)
        self.assertAlmostEqual(self.owner_balance(self.owner, self.unit), 960.0)
        # Reconciled again: a new split on what is collected, as if for the first time.
        payment_line = self.env["account.move.line"].search(
            [("account_id", "=", self.tenant_account.id), ("reconciled", "=", False),
             ("credit", ">", 0), ("partner_id", "=", self.tenant.id)]
        )
        (payment_line | self.receivable(call)).reconcile()
        again = self.splits(call).filtered(lambda s: s.state == "posted")
        self.assertEqual(len(again), 1)
        self.assertEqual(again.fee_amount, 35.0)

    def test_returned_payment_reverses_exactly_its_split(self):
        call = self.issue(self.lease)
        first_payment = self.pay(call, 500.0)
        self.pay(call, 460.0, day=date(2026, 1, 20))
        first, second = self.splits(call)
        # The bank returns the first payment: it is reversed.
        first_payment.move_id._reverse_moves([{"date": date(2026, 1, 25)}], cancel=True)
        self.assertEqual(first.state, "reversed")
        self.assertEqual(second.state, "posted")
        self.assertEqual(first.reversal_id.amount, -500.0)
        # Only the second payment's parts are still taken from the owner's account.
        self.assertAlmostEqual(
            self.owner_balance(self.owner, self.unit), 960.0 - (460.0 - 412.16)
        )
        self.assertEqual(call.payment_state, "partial")

    def test_payment_cancelled_reverses_the_split(self):
        call = self.issue(self.lease)
        payment = self.pay(call, 960.0)
        split = self.splits(call)
        payment.action_draft()
        self.assertEqual(split.state, "reversed")
        self.assertAlmostEqual(self.owner_balance(self.owner, self.unit), 960.0)

    def test_deposit_is_never_split(self):
        lease = self.make_lease(unit=self.unit2, start=date(2026, 1, 1), deposit=900.0)
        lease.action_issue_deposit_call()
        deposit_call = self.calls(lease, kind="deposit")
        self.pay(deposit_call, 900.0)
        self.assertFalse(self.splits(deposit_call))
        self.assertEqual(self.owner_balance(self.owner, self.unit2), 0.0)
        balances = self.env["rental.owner.balance"]._balances(
            self.company, property_ids=self.unit2.ids
        )
        self.assertFalse([row for row in balances if row["available"]])

    def test_credit_note_settling_a_call_is_not_a_collection(self):
        call = self.issue(self.lease)
        self.lease.date_end = date(2026, 1, 15)
        self.lease.action_end()
        refund = self.lease.rent_call_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(len(refund), 1)
        if not self.receivable(refund).reconciled:
            (self.receivable(call) | self.receivable(refund)).reconcile()
        self.assertEqual(call.payment_state, "partial")
        self.assertFalse(self.splits(call))
        # The tenant then pays the rest: only that is collected and split.
        self.pay(call, call.amount_residual)
        split = self.splits(call)
        self.assertEqual(len(split), 1)
        self.assertAlmostEqual(split.amount, round(960.0 - refund.amount_total, 2))

    def test_housing_benefit_call_is_split(self):
        payer = self.env["res.partner"].create({"name": "CAF du Rhone"})
        lease = self.make_lease(
            unit=self.unit2, start=date(2026, 1, 1), rent=900.0, charges=60.0,
            housing_benefit_amount=200.0, housing_benefit_payer_id=payer.id,
        )
        lease._issue_rent_calls(until=date(2026, 1, 1), invoice_date=date(2025, 12, 20))
        tenant_call = self.calls(lease)
        benefit_call = self.calls(lease, kind="housing_benefit")
        self.assertEqual(tenant_call.amount_total, 760.0)
        self.pay(benefit_call, 200.0)
        self.pay(tenant_call, 760.0)
        benefit_split = self.splits(benefit_call)
        tenant_split = self.splits(tenant_call)
        self.assertRecordValues(benefit_split, [{"amount": 200.0, "rent_amount": 200.0,
                                                  "charges_amount": 0.0, "fee_amount": 14.0}])
        # The benefit is deducted from the tenant's rent: 700 rent + 60 charges.
        self.assertRecordValues(tenant_split, [{"amount": 760.0, "rent_amount": 700.0,
                                                 "charges_amount": 60.0, "fee_amount": 53.2}])
        self.assertAlmostEqual(
            benefit_split.fee_amount + tenant_split.fee_amount, 67.2,
            msg="the same fee as a rent paid by the tenant alone",
        )

    def test_works_advance_is_recovered_from_the_next_rents(self):
        agency_bank = self.company_data["default_journal_bank"]
        advance = self.env["rental.works.advance"].create(
            {"property_id": self.unit.id, "description": "Boiler", "amount": 1000.0,
             "journal_id": agency_bank.id, "date": date(2025, 12, 15)}
        )
        self.assertEqual(advance.owner_id, self.owner)
        advance.action_post()
        self.assertEqual(advance.amount_open, 1000.0)
        works_account = self.company.rental_works_advance_account_id
        self.assertEqual(
            advance.move_id.line_ids.filtered(lambda line: line.account_id == works_account).debit,
            1000.0,
        )
        calls = self.issue(self.lease, until=date(2026, 2, 1))
        self.pay(calls[0], 960.0)
        first = self.splits(calls[0])
        self.assertAlmostEqual(first.advance_amount, 860.16)
        self.assertAlmostEqual(first.owners_amount, 0.0)
        self.assertAlmostEqual(advance.amount_open, 139.84)
        self.assertAlmostEqual(advance.amount_recovered, 860.16)
        recovery = first.move_id.line_ids.filtered(lambda line: line.account_id == works_account)
        self.assertEqual(recovery.rental_works_advance_id, advance)
        self.pay(calls[1], 960.0, day=date(2026, 2, 5))
        second = self.splits(calls[1])
        self.assertAlmostEqual(second.advance_amount, 139.84)
        self.assertAlmostEqual(second.owners_amount, 860.16 - 139.84)
        self.assertEqual(advance.amount_open, 0.0)
        # A returned rent reopens what it had recovered.
        self.receivable(calls[1]).remove_move_reconcile()
        self.assertAlmostEqual(advance.amount_open, 139.84)
        with self.assertRaisesRegex(UserError, "already recovered"):
            advance.action_cancel()

    def test_works_advance_cannot_come_from_the_owners_funds(self):
        advance = self.env["rental.works.advance"].create(
            {"property_id": self.unit.id, "description": "Roof", "amount": 50.0,
             "journal_id": self.bank_journal.id}
        )
        with self.assertRaisesRegex(UserError, "mandant"):
            advance.action_post()

    def test_joint_owners_share_the_net(self):
        co_a = self.env["res.partner"].create({"name": "Joint Owner A"})
        co_b = self.env["res.partner"].create({"name": "Joint Owner B"})
        self.unit.owner_line_ids = [
            Command.create({"partner_id": self.owner.id, "share": 50.0, "is_principal": True}),
            Command.create({"partner_id": co_a.id, "share": 25.0}),
            Command.create({"partner_id": co_b.id, "share": 25.0}),
        ]
        call = self.issue(self.lease)
        self.pay(call, 960.0)
        split = self.splits(call)
        self.assertSplitEntryBalanced(split)
        self.assertAlmostEqual(self.owner_balance(self.owner, self.unit), 430.08)
        self.assertAlmostEqual(self.owner_balance(co_a, self.unit), 215.04)
        self.assertAlmostEqual(self.owner_balance(co_b, self.unit), 215.04)
        moved = split.move_id.line_ids.filtered(
            lambda line: line.rental_split_part == "owner_share" and line.credit
        )
        self.assertEqual(moved.partner_id, co_a | co_b)
        self.assertEqual(moved.account_id, self.owner_account, "same account, partner differs")

    def test_joint_owners_remainder_cent_goes_to_the_principal(self):
        co_owner = self.env["res.partner"].create({"name": "Joint Owner"})
        self.unit.owner_line_ids = [
            Command.create({"partner_id": co_owner.id, "share": 50.0}),
            Command.create({"partner_id": self.owner.id, "share": 50.0, "is_principal": True}),
        ]
        call = self.issue(self.lease)
        self.pay(call, 500.01)
        self.assertAlmostEqual(self.owner_balance(co_owner, self.unit), 224.00)
        # 960 called - 500.01 paid, plus the principal's own 224.01.
        self.assertAlmostEqual(
            self.owner_balance(self.owner, self.unit), 960.0 - 500.01 + 224.01
        )

    def test_parts_always_sum_to_the_partial_amount(self):
        """ORM-level invariant over many random partial payments."""
        rng = random.Random(20261125)
        self.mandate.write({"fee_min": 15.0, "fee_max": 70.0, "insurance_rate": 2.5})
        co_owner = self.env["res.partner"].create({"name": "Third owner"})
        self.unit.owner_line_ids = [
            Command.create({"partner_id": self.owner.id, "share": 66.6667, "is_principal": True}),
            Command.create({"partner_id": co_owner.id, "share": 33.3333}),
        ]
        calls = self.issue(self.lease, until=date(2026, 6, 1))
        for call in calls:
            left = call.amount_residual
            while left > 0.001:
                amount = min(left, round(rng.uniform(0.01, 700.0), 2))
                self.pay(call, amount)
                left = round(left - amount, 2)
        splits = self.splits(calls)
        self.assertGreater(len(splits), len(calls))
        for split in splits:
            self.assertSplitEntryBalanced(split)
            partial = self.env["account.partial.reconcile"].browse(split.partial_id)
            self.assertAlmostEqual(partial.amount, split.amount, places=2)
            owner_debits = sum(
                split.move_id.line_ids.filtered(
                    lambda line: line.account_id == self.owner_account and line.debit
                ).mapped("debit")
            )
            owner_credits = sum(
                split.move_id.line_ids.filtered(
                    lambda line: line.account_id == self.owner_account and line.credit
                ).mapped("credit")
            )
            taken = split.fee_amount + split.fee_tax_amount + split.insurance_amount
            self.assertAlmostEqual(owner_debits - owner_credits, taken, places=2)
        for call in calls:
            call_splits = self.splits(call)
            self.assertAlmostEqual(sum(call_splits.mapped("amount")), call.amount_total)
            self.assertAlmostEqual(sum(call_splits.mapped("fee_amount")), 67.2)  # 7% < 70 max

    def test_bulk_reconciliation_splits_in_one_batch(self):
        leases = self.lease
        for index in range(4):
            unit = self.env["rental.property"].create(
                {"name": f"Bulk {index}", "parent_id": self.building.id,
                 "mandate_id": self.mandate.id}
            )
            leases |= self.make_lease(unit=unit, start=date(2026, 1, 1))
        calls = leases._issue_rent_calls(until=date(2026, 1, 1), invoice_date=date(2025, 12, 20))
        entry = self.env["account.move"].create(
            {
                "journal_id": self.bank_journal.id,
                "date": date(2026, 1, 5),
                "line_ids": [Command.create({"account_id": self.bank_journal.default_account_id.id,
                                             "debit": 960.0 * len(calls)})]
                + [Command.create({"account_id": self.tenant_account.id, "credit": 960.0,
                                   "partner_id": self.tenant.id}) for __ in calls],
            }
        )
        entry.action_post()
        credits = entry.line_ids.filtered(lambda line: line.credit)
        plan = [self.receivable(call) | credit for call, credit in zip(calls, credits, strict=True)]
        self.env["account.move.line"].with_context(rental_split_defer=True)._reconcile_plan(plan)
        self.assertFalse(self.splits(calls), "deferred: still queued")
        missing = self.env["rental.owner.split"]._find_missing_partials(self.company)
        self.assertEqual(len(missing), len(calls))
        splits = self.env["rental.owner.split"]._process_pending()
        self.assertEqual(len(splits), len(calls))
        self.assertEqual(splits.call_id, calls)
        self.assertFalse(self.env["rental.owner.split"]._find_missing_partials(self.company))
        # Processing again does nothing: one split per partial.
        self.assertFalse(self.env["rental.owner.split"]._create_for_partials(missing))

    def test_split_entry_cannot_be_reset_to_draft(self):
        call = self.issue(self.lease)
        self.pay(call, 960.0)
        with self.assertRaisesRegex(UserError, "cannot be reset to draft"):
            self.splits(call).move_id.button_draft()

    def test_fee_rate_outside_0_100_is_refused(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.cr.savepoint():
                self.mandate.write({"fee_rate": 100.5})
                self.mandate.flush_recordset()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.cr.savepoint():
                self.mandate.write({"fee_rate": -1.0})
                self.mandate.flush_recordset()

    def test_fee_tax_must_be_a_percentage(self):
        fixed = self.env["account.tax"].create(
            {"name": "Fixed fee tax", "amount": 5.0, "amount_type": "fixed",
             "type_tax_use": "sale"}
        )
        with self.assertRaises(ValidationError):
            self.mandate.fee_tax_id = fixed

    def test_insurance_needs_an_insurer(self):
        with self.assertRaises(ValidationError):
            self.mandate.insurer_id = False
