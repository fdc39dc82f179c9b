from datetime import date

from odoo import Command, fields
from odoo.tests import tagged

from .split_common import SplitTestCommon

NOV_1, NOV_30 = date(2026, 11, 1), date(2026, 11, 30)


@tagged("post_install", "-at_install")
class TestOwnerStatement(SplitTestCommon):
    """November 2026: October's rent collected in October, November's partly, a payout."""

    def setUp(self):
        super().setUp()
        self.lease = self.make_lease(start=date(2026, 10, 1), rent=900.0, charges=60.0)
        self.lease2 = self.make_lease(unit=self.unit2, start=date(2026, 11, 1), rent=500.0,
                                      charges=0.0)
        self.lease._issue_rent_calls(until=date(2026, 10, 1), invoice_date=date(2026, 9, 20))
        (self.lease | self.lease2)._issue_rent_calls(until=NOV_1, invoice_date=NOV_1)
        october, november = self.calls(self.lease)
        self.pay(october, 960.0, day=date(2026, 10, 5))
        self.pay(november, 500.0, day=date(2026, 11, 5))
        self.pay(self.calls(self.lease2), 500.0, day=date(2026, 11, 10))
        wizard = self.env["rental.payout.run.wizard"].create(
            {"date": fields.Date.today(), "mandate_ids": [Command.set(self.mandate.ids)],
             "confirm": True}
        )
        self.run = self.env["rental.payout.run"].browse(wizard.action_create_run()["res_id"])

    def generate(self, owners=None):
        return self.env["rental.owner.statement"]._generate(
            self.company, owners or self.owner, NOV_1, NOV_30
        )

    def test_statement_content(self):
        statement = self.generate()
        lines = {line.property_id: line for line in statement.line_ids}
        self.assertEqual(set(lines), {self.unit, self.unit2}, "consolidated over both units")
        flat1 = lines[self.unit]
        self.assertRecordValues(
            flat1,
            [
                {
                    "opening_balance": 860.16,
                    "called": 960.0,
                    "collected": 500.0,
                    "fee_rate": 7.0,
                    "fee_base": "rent_charges",
                    "fee_base_amount": 500.0,
                    "fee_amount": 35.0,
                    "fee_tax_amount": 7.0,
                    "insurance_amount": 10.0,
                    "advance_amount": 0.0,
                    "payout_amount": 1308.16,
                    "other_amount": 0.0,
                    "closing_balance": 460.0,
                    "tenant_due": 460.0,
                }
            ],
        )
        flat2 = lines[self.unit2]
        self.assertRecordValues(
            flat2,
            [{"opening_balance": 0.0, "called": 500.0, "collected": 500.0, "fee_amount": 35.0,
              "fee_tax_amount": 7.0, "insurance_amount": 10.0, "payout_amount": 448.0,
              "closing_balance": 0.0, "tenant_due": 0.0}],
        )
        for line in statement.line_ids:
            movements = (
                line.called - line.fee_amount - line.fee_tax_amount - line.insurance_amount
                - line.advance_amount + line.coowner_amount - line.payout_amount
                + line.other_amount
            )
            self.assertAlmostEqual(line.opening_balance + movements, line.closing_balance)
            # The closing balance is the owner's account for the property at that date.
            self.assertAlmostEqual(line.closing_balance,
                                   self.owner_balance(self.owner, line.property_id))
        self.assertAlmostEqual(statement.collected, 1000.0)
        self.assertAlmostEqual(statement.payout_amount, 1756.16)
        self.assertEqual(statement.payout_ids, self.run.payout_ids)
        # The document, stored with the statement.
        self.assertTrue(statement.attachment_id)
        html = self.env["ir.actions.report"]._render_qweb_html(
            "rental_flow.action_report_owner_statement", statement.ids
        )[0].decode()
        for text in ("Owner statement", "Owner One", "Flat 1", "Flat 2", "Rents called",
                     "Management fee", "<span>7</span>% of", "rent and charges collected",
                     "Rent guarantee insurance", "Closing balance", "All properties",
                     self.run.payout_ids.end_to_end_id):
            self.assertIn(text, html)

    def test_statement_is_refreshed_not_duplicated(self):
        first = self.generate()
        again = self.generate()
        self.assertEqual(first, again)
        self.assertEqual(len(again.line_ids), 2)

    def test_wizard_generates_a_statement_per_owner(self):
        owner2, bank2 = self.new_owner("Owner Two")
        mandate2 = self.new_mandate(owner2, bank2)
        lease3 = self.make_lease(unit=self.new_unit("Flat 3", mandate2), start=date(2026, 11, 1))
        lease3._issue_rent_calls(until=NOV_1, invoice_date=date(2026, 10, 20))
        wizard = self.env["rental.owner.statement.wizard"].create(
            {"period": "month", "reference_date": date(2026, 11, 12)}
        )
        self.assertEqual((wizard.date_from, wizard.date_to), (NOV_1, NOV_30))
        action = wizard.action_generate()
        statements = self.env["rental.owner.statement"].search(action["domain"])
        self.assertEqual(statements.owner_id, self.owner | owner2)
        quarter = self.env["rental.owner.statement.wizard"].create(
            {"period": "quarter", "reference_date": date(2026, 11, 12)}
        )
        self.assertEqual((quarter.date_from, quarter.date_to),
                         (date(2026, 10, 1), date(2026, 12, 31)))
