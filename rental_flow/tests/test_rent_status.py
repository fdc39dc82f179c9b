"""Rent status of rent calls and leases, days late, past-due flag and the dashboard."""

from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .split_common import SplitTestCommon


@tagged("post_install", "-at_install")
class TestRentStatus(SplitTestCommon):
    def setUp(self):
        super().setUp()
        self.lease = self.make_lease(start=date(2026, 1, 1), rent=900.0, charges=60.0)
        self.jan, self.feb = self.issue(self.lease, until=date(2026, 2, 1))
        self.tenant = self.jan.partner_id

    def bank_line(self, amount, day=date(2026, 1, 5)):
        return self.env["account.bank.statement.line"].create(
            {"journal_id": self.bank_journal.id, "date": day, "amount": amount,
             "payment_ref": "VIR LOYER", "partner_id": self.tenant.id}
        )

    def statuses(self, *calls):
        return [call.rental_rent_status for call in calls]

    def report(self, calls):
        self.env.flush_all()
        return self.env["rental.rent.status.report"].search([("move_id", "in", calls.ids)])

    def test_unpaid_then_paid_by_bank_line(self):
        self.assertEqual(self.statuses(self.jan, self.feb), ["unpaid", "unpaid"])
        self.assertEqual(self.jan.rental_amount_paid, 0.0)
        self.bank_line(960.0, day=date(2026, 1, 9))._rental_reconcile_with(
            [(self.receivable(self.jan), 960.0)]
        )
        self.assertEqual(self.statuses(self.jan, self.feb), ["paid", "unpaid"])
        self.assertEqual(self.jan.rental_amount_paid, 960.0)
        self.assertEqual(self.jan.rental_last_payment_date, date(2026, 1, 9))
        self.assertEqual(
            self.jan.rental_days_late_paid, (date(2026, 1, 9) - self.jan.invoice_date_due).days
        )

    def test_paid_by_registered_payment(self):
        """Whatever reconciles the call: here Odoo's register-payment wizard."""
        self.pay(self.jan, 960.0)
        self.assertEqual(self.jan.rental_rent_status, "paid")
        self.assertFalse(self.jan.rental_amount_overpaid)

    def test_partial_then_paid(self):
        self.bank_line(500.0)._rental_reconcile_with([(self.receivable(self.jan), 500.0)])
        self.assertEqual(self.jan.rental_rent_status, "partial")
        self.assertEqual(self.jan.rental_amount_paid, 500.0)
        self.bank_line(460.0, day=date(2026, 1, 20))._rental_reconcile_with(
            [(self.receivable(self.jan), 460.0)]
        )
        self.assertEqual(self.jan.rental_rent_status, "paid")
        self.assertEqual(self.jan.rental_last_payment_date, date(2026, 1, 20))

    def test_two_months_in_one_payment(self):
        self.bank_line(1920.0)._rental_reconcile_with(
            [(self.receivable(self.jan), 960.0), (self.receivable(self.feb), 960.0)]
        )
        self.assertEqual(self.statuses(self.jan, self.feb), ["paid", "paid"])

    def test_overpayment_then_credit_used(self):
        self.bank_line(1000.0)._rental_reconcile_with(
            [(self.receivable(self.jan), 960.0)], rest_partner=self.tenant
        )
        self.assertEqual(self.jan.rental_rent_status, "overpaid")
        self.assertEqual(self.jan.rental_amount_overpaid, 40.0)
        self.assertEqual(self.lease.rental_balance, 960.0 - 40.0)
        # the credit is used on February: January is simply paid, February partly
        credit = self.env["account.move.line"].search(
            [("account_id", "=", self.tenant_account.id), ("partner_id", "=", self.tenant.id),
             ("amount_residual", "<", 0)]
        )
        self.assertEqual(len(credit), 1)
        (credit | self.receivable(self.feb)).reconcile()
        self.assertEqual(self.statuses(self.jan, self.feb), ["paid", "partial"])
        self.assertEqual(self.jan.rental_amount_overpaid, 0.0)
        self.assertEqual(self.feb.rental_amount_paid, 40.0)

    def test_two_months_and_a_bit_is_counted_once(self):
        self.bank_line(2000.0)._rental_reconcile_with(
            [(self.receivable(self.jan), 960.0), (self.receivable(self.feb), 960.0)],
            rest_partner=self.tenant,
        )
        self.assertEqual(self.statuses(self.jan, self.feb), ["paid", "overpaid"])
        self.assertEqual(self.feb.rental_amount_overpaid, 80.0)

    def test_unreconcile_back_to_unpaid(self):
        line = self.bank_line(1000.0)
        line._rental_reconcile_with([(self.receivable(self.jan), 960.0)], rest_partner=self.tenant)
        self.assertEqual(self.jan.rental_rent_status, "overpaid")
        line.action_undo_reconciliation()
        self.assertEqual(self.jan.rental_rent_status, "unpaid")
        self.assertEqual(self.jan.rental_amount_paid, 0.0)
        self.assertEqual(self.jan.rental_amount_overpaid, 0.0)
        self.assertFalse(self.jan.rental_last_payment_date)
        self.assertEqual(self.jan.rental_days_late_paid, 0)

    def test_other_entries_have_no_status(self):
        line = self.bank_line(960.0)
        self.assertFalse(line.move_id.rental_rent_status)
        self.feb.button_draft()
        self.assertFalse(self.feb.rental_rent_status)
        self.feb.button_cancel()
        self.assertFalse(self.feb.rental_rent_status)
        self.assertFalse(self.report(self.feb))

    def test_days_late_and_past_due(self):
        Move = self.env["account.move"]
        due = self.jan.invoice_date_due
        self.assertEqual(due, date(2026, 1, 1))
        calls = self.jan | self.feb
        with freeze_time("2025-12-25"):
            self.jan.invalidate_recordset(["rental_days_late", "rental_past_due"])
            self.assertEqual(self.jan.rental_days_late, 0)
            self.assertFalse(self.jan.rental_past_due)
            self.assertFalse(Move.search([("id", "in", calls.ids), ("rental_past_due", "=", True)]))
        with freeze_time("2026-02-15"):
            calls.invalidate_recordset(["rental_days_late", "rental_past_due"])
            self.lease.invalidate_recordset()
            self.assertEqual(self.jan.rental_days_late, 45)
            self.assertEqual(self.feb.rental_days_late, 14)
            self.assertTrue(self.jan.rental_past_due)
            self.assertEqual(
                Move.search([("id", "in", calls.ids), ("rental_past_due", "=", True)]), calls
            )
            self.assertEqual(
                Move.search([("id", "in", calls.ids), ("rental_days_late", ">", 30)]), self.jan
            )
            self.assertEqual(
                Move.search([("id", "in", calls.ids), ("rental_days_late", "<=", 14)]), self.feb
            )
            self.assertEqual(
                Move.search([("id", "in", calls.ids), ("rental_days_late", "=", 45)]), self.jan
            )
            self.assertEqual(self.lease.rental_open_call_count, 2)
            self.assertEqual(self.lease.rental_days_late, 45)
            # a partial payment: still late, no longer "nothing paid"
            self.bank_line(100.0, day=date(2026, 2, 15))._rental_reconcile_with(
                [(self.receivable(self.jan), 100.0)]
            )
            calls.invalidate_recordset(["rental_days_late", "rental_past_due"])
            self.assertEqual(self.jan.rental_days_late, 45)
            self.assertFalse(self.jan.rental_past_due)
            self.assertEqual(
                Move.search([("id", "in", calls.ids), ("rental_past_due", "=", True)]), self.feb
            )
        # the dashboard counts days late against the database's date (not frozen)
        self.env.cr.execute("SELECT CURRENT_DATE")
        db_today = self.env.cr.fetchone()[0]
        report = self.report(self.jan | self.feb)
        jan_row = report.filtered(lambda r: r.move_id == self.jan)
        feb_row = report - jan_row
        self.assertEqual((jan_row.status, feb_row.status), ("partial", "unpaid"))
        self.assertEqual(jan_row.days_late, max(0, (db_today - due).days))
        self.assertEqual(jan_row.amount_paid, 100.0)
        self.assertEqual(jan_row.amount_due, 860.0)
        self.assertFalse(jan_row.past_due)
        self.assertEqual(feb_row.past_due, db_today > self.feb.invoice_date_due)
        self.assertEqual(jan_row.late_over_30, jan_row.days_late > 30)
        with freeze_time("2026-03-31"):
            calls.invalidate_recordset(["rental_days_late", "rental_past_due"])
            # paid on 1 March: days late are those at payment, whatever today is
            self.bank_line(860.0, day=date(2026, 3, 1))._rental_reconcile_with(
                [(self.receivable(self.jan), 860.0)]
            )
            calls.invalidate_recordset(["rental_days_late", "rental_past_due"])
            self.assertEqual(self.jan.rental_rent_status, "paid")
            self.assertEqual(self.jan.rental_days_late, 59)
            self.assertEqual(self.feb.rental_days_late, 58)
            self.assertEqual(
                Move.search([("id", "in", calls.ids), ("rental_days_late", ">", 58)]), self.jan
            )
            self.lease.invalidate_recordset()
            self.assertEqual(self.lease.rental_open_call_count, 1)
            self.assertEqual(self.lease.rental_days_late, 58)

    def test_report_figures(self):
        other = self.make_lease(unit=self.unit2, start=date(2026, 1, 1), rent=500.0, charges=0.0)
        o_jan, o_feb = self.issue(other, until=date(2026, 2, 1))
        self.bank_line(960.0)._rental_reconcile_with([(self.receivable(self.jan), 960.0)])
        self.bank_line(200.0)._rental_reconcile_with([(self.receivable(o_jan), 200.0)])
        self.bank_line(550.0)._rental_reconcile_with(
            [(self.receivable(o_feb), 500.0)], rest_partner=o_feb.partner_id
        )
        calls = self.jan | self.feb | o_jan | o_feb
        rows = self.report(calls)
        self.assertEqual(len(rows), 4)
        Report = self.env["rental.rent.status.report"]
        groups = {
            status: (called, paid, due, credit)
            for status, called, paid, due, credit in Report._read_group(
                [("move_id", "in", calls.ids)],
                ["status"],
                ["amount_called:sum", "amount_paid:sum", "amount_due:sum",
                 "amount_overpaid:sum"],
            )
        }
        self.assertEqual(groups["paid"], (960.0, 960.0, 0.0, 0.0))
        self.assertEqual(groups["unpaid"], (960.0, 0.0, 960.0, 0.0))
        self.assertEqual(groups["partial"], (500.0, 200.0, 300.0, 0.0))
        self.assertEqual(groups["overpaid"], (500.0, 500.0, 0.0, 50.0))
        by_property = dict(
            Report._read_group(
                [("move_id", "in", calls.ids)], ["property_id"], ["amount_due:sum"]
            )
        )
        self.assertEqual(by_property[self.unit], 960.0)
        self.assertEqual(by_property[self.unit2], 300.0)
        by_owner = dict(
            Report._read_group([("move_id", "in", calls.ids)], ["owner_id"], ["amount_paid:sum"])
        )
        self.assertEqual(by_owner[self.owner], 1660.0)
        by_month = dict(
            Report._read_group(
                [("move_id", "in", calls.ids)], ["period_start:month"], ["amount_called:sum"]
            )
        )
        self.assertEqual(sorted(by_month.values()), [1460.0, 1460.0])

    def test_lease_smart_button(self):
        self.bank_line(960.0)._rental_reconcile_with([(self.receivable(self.jan), 960.0)])
        action = self.lease.action_view_open_rent_calls()
        self.assertEqual(action["context"].get("search_default_filter_rent_open"), 1)
        Move = self.env["account.move"]
        open_calls = Move.search(
            [*action["domain"], ("rental_rent_status", "in", ("unpaid", "partial"))]
        )
        self.assertEqual(open_calls, self.feb)
        self.assertEqual(self.lease.rental_open_call_count, 1)
        self.assertEqual(self.lease.rental_balance, 960.0)
