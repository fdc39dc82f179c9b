from datetime import date

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import RentalTestCommon


@tagged("post_install", "-at_install")
class TestSecurity(RentalTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lease = cls.make_lease(start=date(2026, 1, 1))
        cls.user = new_test_user(
            cls.env, "rental_user", groups="rental_flow.group_rental_user",
            company_id=cls.company.id,
        )
        cls.manager = new_test_user(
            cls.env, "rental_manager", groups="rental_flow.group_rental_manager",
            company_id=cls.company.id,
        )
        cls.other_company = cls.env["res.company"].create({"name": "Other agency"})
        cls.other_property = cls.env["rental.property"].create(
            {"name": "Elsewhere", "company_id": cls.other_company.id}
        )

    def test_property_manager_runs_leases_but_not_configuration(self):
        env = self.env(user=self.user)
        lease = env["rental.lease"].browse(self.lease.id)
        lease.note = "<p>visit planned</p>"
        env["rental.property"].create({"name": "New flat", "mandate_id": self.mandate.id})
        lease._issue_rent_calls(until=date(2026, 2, 1))
        with self.assertRaises(AccessError):
            env["rental.mandate"].browse(self.mandate.id).fee_rate = 1.0
        with self.assertRaises(AccessError):
            env["rental.virtual.iban.pool"].create(
                {"name": "x", "journal_id": self.bank_journal.id}
            )
        with self.assertRaises(AccessError):
            env["account.account"].create(
                {"code": "999999", "name": "x", "account_type": "income"}
            )
        with self.assertRaises(AccessError):
            env["res.company"].browse(self.company.id).rental_call_advance_days = 3

    def test_rental_manager_manages_mandates_and_pools(self):
        env = self.env(user=self.manager)
        env["rental.mandate"].browse(self.mandate.id).fee_rate = 6.0
        pool = env["rental.virtual.iban.pool"].create(
            {"name": "Second pool", "journal_id": self.bank_journal.id}
        )
        pool._add_range("17338", "00005", 1, 2)
        self.assertEqual(pool.count_available, 2)

    def test_multi_company_record_rules(self):
        env = self.env(user=self.user)
        visible = env["rental.property"].search([])
        self.assertIn(self.unit, visible)
        self.assertNotIn(self.other_property, visible)
        with self.assertRaises(AccessError):
            env["rental.property"].browse(self.other_property.id).read(["name"])
        self.user.company_ids |= self.other_company
        env = self.env(user=self.user, context={"allowed_company_ids": self.other_company.ids})
        self.assertEqual(env["rental.property"].search([]), self.other_property)

    def test_accountant_reads_rental_data(self):
        accountant = new_test_user(
            self.env, "accountant", groups="account.group_account_user",
            company_id=self.company.id,
        )
        env = self.env(user=accountant)
        self.assertTrue(env["rental.lease"].browse(self.lease.id).name)
        with self.assertRaises(AccessError):
            env["rental.lease"].browse(self.lease.id).rent = 1.0
