from datetime import date

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.rental_flow.engines import references

from .common import RentalTestCommon


@tagged("post_install", "-at_install")
class TestRentCalls(RentalTestCommon):
    def calls(self, lease, kind="rent"):
        return lease.rent_call_ids.filtered(
            lambda m: m.rental_call_kind == kind and m.move_type == "out_invoice"
        ).sorted("rental_period_start")

    def test_rent_call_accounting_scheme(self):
        lease = self.make_lease(start=date(2026, 1, 1))
        lease._issue_rent_calls(until=date(2026, 1, 1), invoice_date=date(2025, 12, 20))
        call = self.calls(lease)
        self.assertEqual(len(call), 1)
        self.assertEqual(call.state, "posted")
        self.assertEqual(call.move_type, "out_invoice")
        self.assertEqual(call.partner_id, self.tenant)
        self.assertEqual(call.amount_total, 960.0)
        self.assertEqual(call.invoice_date_due, date(2026, 1, 1))
        self.assertEqual((call.rental_lease_id, call.rental_property_id), (lease, self.unit))
        self.assertEqual(call.rental_owner_id, self.owner)
        self.assertEqual(call.rental_virtual_iban_id, self.unit.virtual_iban_id)
        receivable = call.line_ids.filtered(lambda rec: rec.display_type == "payment_term")
        self.assertEqual(receivable.account_id, self.company.rental_tenant_account_id)
        self.assertEqual(receivable.account_id.account_type, "asset_receivable")
        self.assertEqual(receivable.partner_id, self.tenant)
        self.assertEqual(receivable.date_maturity, date(2026, 1, 1))
        owner_lines = call.line_ids.filtered(lambda rec: rec.display_type == "product")
        self.assertEqual(owner_lines.account_id, self.company.rental_owner_account_id)
        self.assertEqual(owner_lines.partner_id, self.owner, "owner lines belong to the owner")
        self.assertEqual(sorted(owner_lines.mapped("rental_line_kind")), ["charges", "rent"])
        self.assertEqual(sum(owner_lines.mapped("credit")), 960.0)
        # No revenue of the agency is booked, and no tax.
        self.assertFalse(call.line_ids.account_id.filtered(lambda a: a.internal_group == "income"))
        self.assertFalse(call.line_ids.tax_ids)
        self.assertTrue(references.is_rf_reference(call.payment_reference))
        self.assertIn(lease.name, call.payment_reference)
        # The debtor follows his rent call, as with any posted invoice.
        self.assertIn(self.tenant, call.message_partner_ids)
        follower = call.message_follower_ids.filtered(lambda f: f.partner_id == self.tenant)
        self.assertTrue(follower.subtype_ids)

    def test_posting_in_bulk_keeps_what_odoo_posting_sets(self):
        """Rent calls are posted in batches: each is checked (the journal ticks its entries
        on posting) and each tenant's customer rank goes up by the number of calls, as
        when Odoo posts them one by one."""
        lease = self.make_lease(start=date(2026, 1, 1))
        other_tenant = self.env["res.partner"].create({"name": "Second Tenant"})
        other = self.make_lease(unit=self.unit2, start=date(2026, 1, 1),
                                tenant_id=other_tenant.id)
        ranks = (self.tenant.customer_rank, other_tenant.customer_rank)
        calls = (lease | other)._issue_rent_calls(until=date(2026, 3, 1))
        self.assertEqual(len(calls), 6)
        self.assertTrue(calls.journal_id.autocheck_on_post)
        self.assertEqual(set(calls.mapped("checked")), {True})
        self.env.invalidate_all()
        self.assertEqual((self.tenant.customer_rank, other_tenant.customer_rank),
                         (ranks[0] + 3, ranks[1] + 3))
        # a journal that does not tick its entries on posting leaves them unchecked
        calls.journal_id.autocheck_on_post = False
        more = (lease | other)._issue_rent_calls(until=date(2026, 4, 1))
        self.assertEqual(more.mapped("checked"), [False, False])

    def test_issuing_twice_never_duplicates_a_period(self):
        lease = self.make_lease(start=date(2026, 1, 1))
        first = lease._issue_rent_calls(until=date(2026, 3, 1))
        self.assertEqual(len(first), 3)
        again = lease._issue_rent_calls(until=date(2026, 3, 1))
        self.assertFalse(again)
        more = lease._issue_rent_calls(until=date(2026, 4, 1))
        self.assertEqual(len(more), 1)
        self.assertEqual(len(self.calls(lease)), 4)

    def test_database_refuses_a_duplicate_period_whatever_creates_it(self):
        lease = self.make_lease(start=date(2026, 1, 1))
        lease._issue_rent_calls(until=date(2026, 1, 1))
        vals = lease._prepare_period_calls(date(2026, 1, 1), date(2026, 1, 1), set())
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.cr.savepoint():
                lease._create_calls(vals)

    def test_cancelled_period_can_be_called_again(self):
        lease = self.make_lease(start=date(2026, 1, 1))
        call = lease._issue_rent_calls(until=date(2026, 1, 1))
        call.button_cancel()
        again = lease._issue_rent_calls(until=date(2026, 1, 1))
        self.assertEqual(len(again), 1)

    def test_first_and_last_periods_are_prorated(self):
        lease = self.make_lease(start=date(2027, 1, 15), end=date(2027, 3, 10), rent=930.0,
                                charges=62.0)
        lease._issue_rent_calls(until=date(2027, 12, 1))
        calls = self.calls(lease)
        self.assertEqual(calls.mapped("rental_period_start"),
                         [date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)])
        self.assertEqual(calls.mapped("amount_total"), [544.0, 992.0, 320.0])
        self.assertEqual(calls[0].invoice_date_due, date(2027, 1, 15))
        self.assertIn("17/31", calls[0].invoice_line_ids[0].name)

    def test_quarterly_rent_calls(self):
        lease = self.make_lease(start=date(2026, 2, 1), rent=100.0, charges=0.0,
                                rent_period="quarterly")
        lease._issue_rent_calls(until=date(2026, 4, 1))
        calls = self.calls(lease)
        self.assertEqual(calls.mapped("rental_period_start"), [date(2026, 1, 1), date(2026, 4, 1)])
        # First quarter covered from Feb 1st: 59 of 90 days of 300.
        self.assertEqual(calls.mapped("amount_total"), [196.67, 300.0])

    def test_housing_benefit_is_called_from_its_payer(self):
        caf = self.env["res.partner"].create({"name": "CAF de Paris"})
        lease = self.make_lease(start=date(2026, 1, 1), housing_benefit_amount=210.0,
                                housing_benefit_payer_id=caf.id)
        lease._issue_rent_calls(until=date(2026, 1, 1))
        tenant_call = self.calls(lease)
        caf_call = self.calls(lease, "housing_benefit")
        self.assertEqual(tenant_call.amount_total, 750.0)
        self.assertEqual(caf_call.partner_id, caf)
        self.assertEqual(caf_call.amount_total, 210.0)
        owner_credit = sum(
            (tenant_call | caf_call).line_ids.filtered(
                lambda rec: rec.account_id == self.company.rental_owner_account_id
            ).mapped("balance")
        )
        self.assertEqual(owner_credit, -960.0, "the owner is credited the whole rent")
        self.assertNotEqual(tenant_call.payment_reference, caf_call.payment_reference)

    def test_deposit_call_goes_to_deposit_account(self):
        lease = self.make_lease(start=date(2026, 1, 1), deposit=900.0)
        lease.action_issue_deposit_call()
        deposit = self.calls(lease, "deposit")
        self.assertEqual(deposit.amount_total, 900.0)
        product_line = deposit.invoice_line_ids
        self.assertEqual(product_line.account_id, self.company.rental_deposit_account_id)
        with self.assertRaisesRegex(UserError, "already called"):
            lease.action_issue_deposit_call()

    def test_call_from_date_skips_earlier_periods(self):
        lease = self.make_lease(start=date(2020, 1, 1), call_from_date=date(2026, 2, 10))
        lease._issue_rent_calls(until=date(2026, 3, 1))
        self.assertEqual(self.calls(lease).mapped("rental_period_start"),
                         [date(2026, 2, 1), date(2026, 3, 1)])

    @freeze_time("2026-03-25")
    def test_cron_issues_rent_calls_in_advance(self):
        self.company.rental_call_advance_days = 10
        lease = self.make_lease(start=date(2026, 3, 1))
        draft = self.make_lease(unit=self.unit2, start=date(2026, 3, 1), start_it=False)
        self.env["rental.lease"]._cron_issue_rent_calls()
        self.assertEqual(self.calls(lease).mapped("rental_period_start"),
                         [date(2026, 3, 1), date(2026, 4, 1)])
        self.assertFalse(draft.rent_call_ids)

    @freeze_time("2026-03-25")
    def test_button_and_wizard(self):
        lease = self.make_lease(start=date(2026, 3, 1))
        action = lease.action_issue_rent_calls()
        self.assertEqual(action["res_model"], "account.move")
        with self.assertRaisesRegex(UserError, "already been issued"):
            lease.action_issue_rent_calls()
        wizard = self.env["rental.rent.call.issue"].create(
            {"lease_ids": [Command.set(lease.ids)], "until": date(2026, 5, 1)}
        )
        wizard.action_issue()
        self.assertEqual(len(self.calls(lease)), 3)

    @freeze_time("2026-03-20")
    def test_ending_a_lease_credits_days_already_called(self):
        lease = self.make_lease(start=date(2026, 1, 1), rent=930.0, charges=0.0)
        lease._issue_rent_calls(until=date(2026, 4, 1))
        lease.date_end = date(2026, 3, 10)
        lease.action_end()
        refunds = lease.rent_call_ids.filtered(lambda m: m.move_type == "out_refund")
        # March: 21 of 31 days credited (930 - 300); April: fully credited.
        self.assertEqual(sorted(refunds.mapped("amount_total")), [630.0, 930.0])
        self.assertEqual(refunds.mapped("state"), ["posted", "posted"])
        product_lines = refunds.line_ids.filtered(lambda rec: rec.display_type == "product")
        self.assertEqual(product_lines.partner_id, self.owner)
        self.assertEqual(lease.amount_due, 930.0 * 2 + 300.0)

    def test_owner_lines_keep_their_owner_when_a_call_is_edited(self):
        lease = self.make_lease(start=date(2026, 1, 1))
        call = lease._issue_rent_calls(until=date(2026, 1, 1))
        call.button_draft()
        call.partner_id = self.guarantor
        product_lines = call.line_ids.filtered(lambda rec: rec.display_type == "product")
        self.assertEqual(product_lines.partner_id, self.owner)
        call.action_post()
        self.assertEqual(call.line_ids.filtered(lambda rec: rec.display_type == "payment_term")
                         .partner_id, self.guarantor)

    def test_payment_makes_call_paid(self):
        lease = self.make_lease(start=date(2026, 1, 1))
        call = lease._issue_rent_calls(until=date(2026, 1, 1))
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=call.ids
        ).create({"journal_id": self.bank_journal.id})._create_payments()
        self.assertIn(call.payment_state, ("paid", "in_payment"))
        self.assertEqual(call.rental_receipt_kind, "quittance")
