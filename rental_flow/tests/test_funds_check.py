from datetime import date

from odoo import Command, fields
from odoo.tests import tagged

from .split_common import SplitTestCommon


@tagged("post_install", "-at_install")
class TestFundsCheck(SplitTestCommon):
    def setUp(self):
        super().setUp()
        self.lease = self.make_lease(start=date(2026, 1, 1), rent=900.0, charges=60.0,
                                     deposit=900.0)

    def check(self, day=None):
        wizard = self.env["rental.funds.check"].create({"date": day or fields.Date.today()})
        wizard.action_check()
        return wizard

    def component(self, check, label):
        lines = check.line_ids.filtered(lambda line: line.name == label)
        self.assertEqual(len(lines), 1, label)
        return lines.amount

    def scenario(self):
        """Rents paid by bank lines, a deposit, a payment in transit and a paid payout."""
        january, february = self.issue(self.lease, until=date(2026, 2, 1))
        self.lease.action_issue_deposit_call()
        self.pay_by_bank_line(january, 960.0)
        self.pay_by_bank_line(self.calls(self.lease, kind="deposit"), 900.0)
        self.pay(february, 960.0, day=date(2026, 2, 5))  # registered, not yet on a statement
        wizard = self.env["rental.payout.run.wizard"].create(
            {"date": fields.Date.today(), "mandate_ids": [Command.set(self.mandate.ids)],
             "confirm": True}
        )
        run = self.env["rental.payout.run"].browse(wizard.action_create_run()["res_id"])
        payout = run.payout_ids
        self.env["account.bank.statement.line"].create(
            {"journal_id": self.bank_journal.id, "date": fields.Date.today(),
             "amount": -payout.amount, "payment_ref": "Payout",
             "rental_end_to_end_id": payout.end_to_end_id}
        )
        self.assertEqual(payout.state, "paid")
        return payout

    def test_funds_are_proven(self):
        payout = self.scenario()
        check = self.check()
        self.assertEqual(check.state, "ok", check.line_ids.mapped("name"))
        self.assertEqual(check.break_count, 0)
        # Bank: two rents' worth and a deposit in, the payout out; February's rent is in
        # transit (registered, not yet on the bank statement).
        self.assertAlmostEqual(check.bank_balance, 960.0 + 900.0 - payout.amount)
        self.assertAlmostEqual(payout.amount, 2 * 860.16)
        self.assertAlmostEqual(self.component(check, "Owners' balances"), 0.0)
        self.assertAlmostEqual(
            self.component(check, "Tenants' balances (owed by tenants)"), 0.0
        )
        self.assertAlmostEqual(self.component(check, "Security deposits held"), 900.0)
        self.assertAlmostEqual(self.component(check, "Insurance premiums due to insurers"), 38.4)
        self.assertAlmostEqual(
            self.component(check, "Management fees and their VAT (agency)"), 2 * 80.64
        )
        self.assertAlmostEqual(
            self.component(
                check, "Payments issued or received, not yet on the bank statement"
            ),
            -960.0,
        )
        self.assertAlmostEqual(check.expected_balance, check.bank_balance)
        self.assertAlmostEqual(check.difference, 0.0)
        # At an earlier date, before the payout: still proven.
        earlier = self.check(day=date(2026, 1, 31))
        self.assertEqual(earlier.state, "ok")
        self.assertAlmostEqual(earlier.bank_balance, 1860.0)
        # February's rent is called (and owed by the tenant) since December; the deposit
        # was paid in January but is only called today: a tenant's credit until then.
        self.assertAlmostEqual(self.component(earlier, "Owners' balances"), 860.16 + 960.0)
        self.assertAlmostEqual(
            self.component(earlier, "Tenants' balances (owed by tenants)"), -960.0 + 900.0
        )
        self.assertAlmostEqual(self.component(earlier, "Security deposits held"), 0.0)
        # Printable.
        html = self.env["ir.actions.report"]._render_qweb_html(
            "rental_flow.action_report_funds_check", check.ids
        )[0].decode()
        self.assertIn("No break: the funds held are proven.", html)

    def test_breaks_are_listed(self):
        self.scenario()
        # A bank line nobody reconciled, bank fees booked straight to an expense account,
        # and an owner whose works exceed his money.
        stray = self.env["account.bank.statement.line"].create(
            {"journal_id": self.bank_journal.id, "date": fields.Date.today(), "amount": 50.0,
             "payment_ref": "Unknown transfer"}
        )
        expense = self.company_data["default_account_expense"]
        fees = self.env["account.move"].create(
            {
                "journal_id": self.bank_journal.id,
                "date": fields.Date.today(),
                "line_ids": [
                    Command.create({"account_id": expense.id, "debit": 10.0}),
                    Command.create({"account_id": self.bank_journal.default_account_id.id,
                                    "credit": 10.0}),
                ],
            }
        )
        fees.action_post()
        vendor = self.env["res.partner"].create({"name": "Roofer"})
        bill = self.env["account.move"].create(
            {
                "move_type": "in_invoice",
                "partner_id": vendor.id,
                "invoice_date": date(2026, 1, 10),
                "invoice_line_ids": [Command.create(
                    {"name": "Roof", "quantity": 1, "price_unit": 300.0,
                     "account_id": self.owner_account.id, "tax_ids": [Command.clear()],
                     "rental_property_id": self.unit.id}
                )],
            }
        )
        bill.action_post()
        check = self.check()
        self.assertEqual(check.state, "broken")
        self.assertAlmostEqual(check.difference, 50.0 - 10.0)
        breaks = check.line_ids.filtered(lambda line: line.section == "break")
        by_model = {(line.res_model, line.res_id): line for line in breaks}
        self.assertIn(("account.bank.statement.line", stray.id), by_model)
        self.assertAlmostEqual(by_model[("account.bank.statement.line", stray.id)].amount, 50.0)
        self.assertIn(("account.move", fees.id), by_model)
        self.assertAlmostEqual(by_model[("account.move", fees.id)].amount, -10.0)
        self.assertIn(("res.partner", self.owner.id), by_model)
        self.assertAlmostEqual(by_model[("res.partner", self.owner.id)].amount, -300.0)
        self.assertEqual(check.break_count, 3)
        # The supplier bill itself is a known component (owed on behalf of an owner).
        self.assertAlmostEqual(
            self.component(check, "Supplier bills on behalf of owners not yet paid"), 300.0
        )
        action = by_model[("account.move", fees.id)].action_open()
        self.assertEqual(action["res_id"], fees.id)
