"""``account.bank.statement.line._rental_reconcile_with``: the reconciliation shared by
the matching engine and the direct debits."""

from datetime import date

from odoo.exceptions import UserError
from odoo.tests import tagged

from .split_common import SplitTestCommon


@tagged("post_install", "-at_install")
class TestStatementReconcile(SplitTestCommon):
    def setUp(self):
        super().setUp()
        self.lease = self.make_lease(start=date(2026, 1, 1), rent=900.0, charges=60.0)
        self.jan, self.feb = self.issue(self.lease, until=date(2026, 2, 1))
        self.tenant = self.jan.partner_id

    def bank_line(self, amount, **values):
        return self.env["account.bank.statement.line"].create(
            {"journal_id": self.bank_journal.id, "date": date(2026, 2, 5), "amount": amount,
             "payment_ref": "VIR LOYER", **values}
        )

    def test_two_months_in_one_payment(self):
        line = self.bank_line(1920.0)
        counterparts = line._rental_reconcile_with(
            [(self.receivable(self.jan), 960.0), (self.receivable(self.feb), 960.0)]
        )
        self.assertEqual(len(counterparts), 2)
        self.assertTrue(line.is_reconciled)
        self.assertEqual((self.jan | self.feb).mapped("payment_state"), ["paid", "paid"])
        self.assertEqual(counterparts.account_id, self.tenant_account)
        self.assertEqual(counterparts.partner_id, self.tenant)
        # the owner split follows any reconciliation
        self.assertEqual(len(self.splits(self.jan | self.feb)), 2)

    def test_partial_payment(self):
        line = self.bank_line(500.0)
        line._rental_reconcile_with([(self.receivable(self.jan), 500.0)])
        self.assertEqual(self.jan.payment_state, "partial")
        self.assertAlmostEqual(self.jan.amount_residual, 460.0)
        self.assertTrue(line.is_reconciled)

    def test_overpayment_left_as_the_tenant_credit(self):
        line = self.bank_line(1000.0)
        counterparts = line._rental_reconcile_with(
            [(self.receivable(self.jan), 960.0)], rest_partner=self.tenant
        )
        self.assertEqual(self.jan.payment_state, "paid")
        credit = counterparts[1]
        self.assertEqual(credit.account_id, self.tenant_account)
        self.assertEqual(credit.partner_id, self.tenant)
        self.assertAlmostEqual(credit.amount_residual, -40.0)
        self.assertFalse(credit.reconciled)

    def test_undo_reopens_the_rent_call_and_reverses_the_split(self):
        line = self.bank_line(960.0)
        line._rental_reconcile_with([(self.receivable(self.jan), 960.0)])
        self.assertEqual(self.jan.payment_state, "paid")
        line.action_undo_reconciliation()
        self.assertEqual(self.jan.payment_state, "not_paid")
        self.assertFalse(line.is_reconciled)
        splits = self.splits(self.jan)
        self.assertEqual(sum(splits.mapped("amount")), 0.0)
        self.assertTrue(line._rental_reconcile_with([(self.receivable(self.jan), 960.0)]))

    def test_refused_changes_nothing(self):
        line = self.bank_line(960.0)
        lines_before = line.move_id.line_ids
        with self.assertRaisesRegex(UserError, "not open for that much"):
            line._rental_reconcile_with([(self.receivable(self.jan), 970.0)])
        with self.assertRaisesRegex(UserError, "exceed"):
            line._rental_reconcile_with(
                [(self.receivable(self.jan), 960.0), (self.receivable(self.feb), 10.0)]
            )
        with self.assertRaisesRegex(UserError, "not open"):
            line._rental_reconcile_with([(self.receivable(self.jan), -5.0)])
        self.assertEqual(line.move_id.line_ids, lines_before)
        self.assertFalse(line.is_reconciled)
        line._rental_reconcile_with([(self.receivable(self.jan), 960.0)])
        with self.assertRaisesRegex(UserError, "already reconciled"):
            line._rental_reconcile_with([(self.receivable(self.feb), 960.0)])

    def test_outgoing_line_settles_credits(self):
        """A returned payment (a debit on the bank) settles a credit item."""
        paid = self.bank_line(960.0)
        credit = paid._rental_reconcile_with([], rest_partner=self.tenant,
                                             rest_account=self.tenant_account)
        self.assertAlmostEqual(credit.amount_residual, -960.0)
        returned = self.bank_line(-960.0)
        returned._rental_reconcile_with([(credit, 960.0)])
        self.assertTrue(credit.reconciled)
        self.assertTrue(returned.is_reconciled)
