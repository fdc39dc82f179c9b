from datetime import date

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .split_common import SplitTestCommon


@tagged("post_install", "-at_install")
class TestOwnerPortal(SplitTestCommon, HttpCase):
    """Owners in the portal see their own properties, statements and payouts only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        portal = cls.env.ref("base.group_portal")
        cls.owner_b, bank_b = cls.new_owner("Owner Bee")
        cls.mandate_b = cls.new_mandate(cls.owner_b, bank_b)
        cls.unit_b = cls.new_unit("Flat Bee", cls.mandate_b)

        def portal_user(login, partner):
            return cls.env["res.users"].with_context(no_reset_password=True).create(
                {
                    "login": login,
                    "password": login + "-pass",
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "company_ids": [Command.set(cls.company.ids)],
                    "groups_id": [Command.set(portal.ids)],
                }
            )

        cls.user_a = portal_user("owner_a", cls.owner)
        cls.user_b = portal_user("owner_b", cls.owner_b)
        lease_a = cls.make_lease(start=date(2026, 11, 1))
        lease_b = cls.make_lease(unit=cls.unit_b, start=date(2026, 11, 1))
        (lease_a | lease_b)._issue_rent_calls(until=date(2026, 11, 1),
                                             invoice_date=date(2026, 11, 1))
        Statement = cls.env["rental.owner.statement"]
        cls.statement_a = Statement._generate(
            cls.company, cls.owner, date(2026, 11, 1), date(2026, 11, 30)
        )
        cls.statement_b = Statement._generate(
            cls.company, cls.owner_b, date(2026, 11, 1), date(2026, 11, 30)
        )

    def test_record_rules(self):
        Statement = self.env["rental.owner.statement"].with_user(self.user_a)
        self.assertEqual(Statement.search([]), self.statement_a)
        with self.assertRaises(AccessError):
            self.statement_b.with_user(self.user_a).check_access("read")
        properties = self.env["rental.property"].with_user(self.user_a).search([])
        self.assertIn(self.unit, properties)
        self.assertNotIn(self.unit_b, properties)
        self.assertFalse(
            self.env["rental.payout"].with_user(self.user_a).search(
                [("owner_id", "=", self.owner_b.id)]
            )
        )

    def test_portal_pages(self):
        self.authenticate("owner_a", "owner_a-pass")
        page = self.url_open("/my/rental/statements")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.statement_a.access_url, page.text)
        self.assertNotIn(self.statement_b.access_url, page.text)
        own = self.url_open(self.statement_a.access_url)
        self.assertEqual(own.status_code, 200)
        self.assertIn("Flat 1", own.text)
        # Another owner's statement is refused.
        other = self.url_open(self.statement_b.access_url)
        self.assertTrue(other.url.endswith("/my"), other.url)
        self.assertNotIn("Owner Bee", other.text)
        self.assertNotIn("Flat Bee", other.text)
        pdf = self.url_open(self.statement_a.access_url + "?download=1")
        self.assertEqual(pdf.status_code, 200)
        properties = self.url_open("/my/rental/properties")
        self.assertEqual(properties.status_code, 200)
        self.assertIn("Flat 1", properties.text)
        self.assertNotIn("Flat Bee", properties.text)
        self.assertEqual(self.url_open("/my/rental/payouts").status_code, 200)

    def test_other_owner_sees_only_his(self):
        self.authenticate("owner_b", "owner_b-pass")
        page = self.url_open("/my/rental/statements")
        self.assertIn(self.statement_b.access_url, page.text)
        self.assertNotIn(self.statement_a.access_url, page.text)
        self.assertTrue(self.url_open(self.statement_a.access_url).url.endswith("/my"))
