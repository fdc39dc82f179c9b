"""Settlement and returns of direct debits through real CAMT imports."""

from datetime import date
from decimal import Decimal

from odoo.tests import tagged
from odoo.tools import SQL

from ..engines.statement_types import FLAG_RETURN, ParsedLine
from .common_sdd import SddCommon


@tagged("post_install", "-at_install")
class TestSddSettlement(SddCommon):
    def setUp(self):
        super().setUp()
        self.lease = self.dd_lease()
        self.jan, self.feb = self.calls(self.lease)
        self.run = self.collect(date(2026, 2, 10))
        self.debit = self.run.debit_ids
        self.assertEqual(self.debit.state, "sent")

    def settle(self):
        self.import_entries([self.credit(self.debit, "SDD-CR-1")], stmt_id="SDD-S1")
        return self.debit.settlement_line_id

    def tenant_open_balance(self):
        items = self.env["account.move.line"].search([
            ("account_id", "=", self.tenant_account.id),
            ("partner_id", "=", self.tenant.id),
            ("parent_state", "=", "posted"),
        ])
        return round(sum(items.mapped("amount_residual")), 2)

    def test_settlement_by_end_to_end_id(self):
        line = self.settle()
        self.assertTrue(line, "the credit was recognised by its end-to-end id")
        self.assertEqual(self.debit.state, "settled")
        self.assertTrue(line.is_reconciled)
        self.assertEqual((self.jan | self.feb).mapped("payment_state"), ["paid", "paid"])
        self.assertEqual(len(self.splits(self.jan | self.feb)), 2, "owner split posted")
        self.assertEqual(self.run.state, "settled")
        self.assertIn("Settled by bank line", self.debit.message_ids[0].body)

    def pending_call_ids(self):
        self.env.flush_all()
        condition = self.env["account.move"]._rental_payment_pending_sql("m")
        self.env.cr.execute(SQL("SELECT m.id FROM account_move m WHERE m.id IN %s AND %s",
                                tuple((self.jan | self.feb).ids), condition))
        return {row[0] for row in self.env.cr.fetchall()}

    def test_sent_debit_is_a_payment_on_its_way(self):
        """Dunning leaves alone the calls of a sent debit, and chases them again once the
        debit is returned."""
        self.assertEqual(self.pending_call_ids(), set((self.jan | self.feb).ids))
        if "rental.dunning.collector" in self.env:
            Collector = self.env["rental.dunning.collector"]
            items = Collector._open_items(self.company, date(2026, 12, 31), [self.lease.id])
            self.assertFalse(items, "no reminder for a debit on its way")
        self.settle()
        self.import_entries([self.return_entry(self.debit, "SDD-RT-P", "AM04", "RETURN")],
                            stmt_id="SDD-R-P")
        self.assertEqual(self.debit.state, "returned")
        self.assertFalse(self.pending_call_ids())
        if "rental.dunning.collector" in self.env:
            items = Collector._open_items(self.company, date(2026, 12, 31), [self.lease.id])
            self.assertEqual(len(items[self.lease.id]), 2, "returned calls are chased again")

    def test_wrong_amount_is_left_to_the_matching(self):
        self.import_entries([self.credit(self.debit, "SDD-CR-1", amount=1900.0)],
                            stmt_id="SDD-S1")
        self.assertEqual(self.debit.state, "sent")
        self.assertEqual(self.jan.payment_state, "not_paid")
        self.assertIn("left to the matching", self.debit.message_ids[0].body)

    def assert_returned(self, code, mandate_state):
        settlement = self.settle()
        self.assertEqual(len(self.splits(self.jan | self.feb)), 2)
        self.import_entries([self.return_entry(self.debit, f"SDD-RT-{code}", code, "RETURN")],
                            stmt_id=f"SDD-R-{code}")
        self.assertEqual(self.debit.state, "returned")
        self.assertEqual(self.debit.return_code, code)
        self.assertTrue(self.debit.return_line_id.is_reconciled)
        self.assertTrue(settlement.is_reconciled, "the credit nets with the return")
        # the rent calls are open again, the owner split is reversed
        self.assertEqual((self.jan | self.feb).mapped("payment_state"), ["not_paid", "not_paid"])
        splits = self.splits(self.jan | self.feb)
        self.assertEqual(sum(splits.mapped("amount")), 0.0)
        self.assertEqual(self.tenant_open_balance(), 1920.0)
        # the mandate records the reason
        self.assertEqual(self.sdd_mandate.state, mandate_state)
        self.assertEqual(self.sdd_mandate.last_return_code, code)
        # the lease is told and its manager has an activity
        activity = self.lease.activity_ids.filtered(
            lambda a: a.summary == "Returned direct debit")
        self.assertEqual(len(activity), 1)
        self.assertIn(code, self.lease.message_ids[0].body)
        self.assertEqual(self.run.state, "partly_returned")

    def test_return_ac04_account_closed_revokes_the_mandate(self):
        self.assert_returned("AC04", "revoked")
        self.assertIn("Account closed", self.debit.return_text)
        self.assertEqual(self.sdd_mandate.revoke_date, date(2026, 2, 15))
        # the next run skips the lease
        run = self.collect(date(2026, 3, 10), generate=False)
        self.assertEqual(run.debit_ids.state, "skipped")

    def test_return_am04_insufficient_funds_keeps_the_mandate(self):
        self.assert_returned("AM04", "valid")
        self.assertIn("Insufficient funds", self.debit.return_text)
        # the reopened calls are collected again by the next run (RCUR)
        run = self.collect(date(2026, 3, 10))
        self.assertEqual(run.debit_ids.move_ids, self.jan | self.feb)
        self.assertEqual(run.debit_ids.sequence_type, "RCUR")

    def test_return_md01_no_mandate_revokes_the_mandate(self):
        self.assert_returned("MD01", "revoked")

    def test_return_ms02_refused_keeps_the_mandate(self):
        self.assert_returned("MS02", "valid")

    def test_credit_and_return_in_the_same_statement(self):
        self.import_entries([
            self.return_entry(self.debit, "SDD-RT-1", "AM04"),
            self.credit(self.debit, "SDD-CR-1"),
        ], stmt_id="SDD-S1")
        self.assertEqual(self.debit.state, "returned")
        self.assertTrue(self.debit.settlement_line_id.is_reconciled)
        self.assertTrue(self.debit.return_line_id.is_reconciled)
        self.assertEqual(self.jan.payment_state, "not_paid")
        self.assertEqual(self.tenant_open_balance(), 1920.0)

    def test_return_before_any_credit(self):
        """The bank reports the return only: the debit is returned, the calls stay open,
        the return line waits for a manual reconciliation."""
        self.import_entries([self.return_entry(self.debit, "SDD-RT-1", "MS02")],
                            stmt_id="SDD-S1")
        self.assertEqual(self.debit.state, "returned")
        self.assertFalse(self.debit.return_line_id.is_reconciled)
        self.assertEqual(self.jan.payment_state, "not_paid")
        self.assertIn("manual reconciliation", "".join(self.debit.message_ids.mapped("body")))
        self.assertEqual(self.sdd_mandate.state, "valid")
        # a credit arriving later is not booked on the returned debit
        self.import_entries([self.credit(self.debit, "SDD-CR-1")], stmt_id="SDD-S2")
        self.assertEqual(self.debit.state, "returned")
        self.assertEqual(self.jan.payment_state, "not_paid")

    def test_return_from_a_bank_webhook(self):
        """Bank API lines (webhooks, synchronisation) go through the same hook."""
        settlement = self.settle()
        returned = ParsedLine(
            amount=Decimal("-1920.00"), currency="EUR", booking_date=date(2026, 2, 16),
            label="Collection returned", end_to_end_id=self.debit.end_to_end_id,
            bank_reference="api-tx-1", bank_transaction_code="collection_returned",
            unique_import_id=f"{self.master_journal.bank_acc_number}|api|api-tx-1",
        )
        returned.is_return = True
        returned.add_flag(FLAG_RETURN)
        returned.return_reason_code = "AC06"
        returned.original_end_to_end_id = self.debit.end_to_end_id
        Line = self.env["account.bank.statement.line"]
        lines = Line._rental_create_from_parsed(self.master_journal, [returned])
        lines._rental_after_import()
        self.assertEqual(self.debit.state, "returned")
        self.assertEqual(self.debit.return_line_id, lines)
        self.assertIn("Account blocked", self.debit.return_text)
        self.assertTrue(lines.is_reconciled)
        self.assertTrue(settlement.is_reconciled)
        self.assertEqual(self.jan.payment_state, "not_paid")
        self.assertEqual(self.sdd_mandate.state, "revoked")

    def test_return_of_a_credit_reconciled_by_hand(self):
        """The credit was reconciled outside the debit (by hand, or by the matching when
        its amount differed): the return still reopens the rent calls."""
        self.import_entries([self.credit(self.debit, "SDD-CR-1", amount=1900.0)],
                            stmt_id="SDD-S1")
        credit = self.env["account.bank.statement.line"].search(
            [("rental_end_to_end_id", "=", self.debit.end_to_end_id)])
        credit._rental_reconcile_with(
            [(self.receivable(self.jan), 960.0), (self.receivable(self.feb), 940.0)])
        self.assertEqual(self.jan.payment_state, "paid")
        ret = self.return_entry(self.debit, "SDD-RT-1", "AM04")
        ret["amount"] = ret["txs"][0]["amount"] = Decimal("1900.00")
        self.import_entries([ret], stmt_id="SDD-S2")
        self.assertEqual(self.debit.state, "returned")
        self.assertEqual((self.jan | self.feb).mapped("payment_state"), ["not_paid", "not_paid"])
        self.assertTrue(credit.is_reconciled)
        self.assertTrue(self.debit.return_line_id.is_reconciled)
        self.assertEqual(self.tenant_open_balance(), 1920.0)
