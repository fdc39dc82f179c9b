from datetime import date

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import RentalTestCommon


@tagged("post_install", "-at_install")
class TestLease(RentalTestCommon):
    def test_lease_code_and_links(self):
        lease = self.make_lease(start_it=False)
        self.assertTrue(lease.name.startswith("L"))
        self.assertEqual(lease.owner_id, self.owner)
        self.assertEqual(lease.mandate_id, self.mandate)
        self.assertEqual(lease.building_id, self.building)
        self.assertEqual(self.unit.state, "vacant")

    def test_start_makes_unit_let_and_assigns_virtual_iban(self):
        lease = self.make_lease()
        self.assertEqual(lease.state, "running")
        self.assertEqual(self.unit.state, "let")
        self.assertEqual(self.unit.current_lease_id, lease)
        self.assertEqual(self.unit.tenant_id, self.tenant)
        self.assertTrue(self.unit.virtual_iban_id)
        self.assertEqual(self.unit.virtual_iban_id.state, "assigned")
        self.assertEqual(lease.virtual_iban_id, self.unit.virtual_iban_id)

    def test_no_automatic_iban_when_pool_says_so(self):
        self.pool.auto_assign = False
        self.make_lease()
        self.assertFalse(self.unit.virtual_iban_id)

    def test_two_running_leases_on_one_unit_at_the_same_dates_are_refused(self):
        self.make_lease(start=date(2026, 1, 1), end=date(2027, 12, 31))
        other = self.make_lease(start=date(2026, 6, 1), start_it=False)
        with self.assertRaisesRegex(ValidationError, "same dates"), self.cr.savepoint():
            other.action_start()
        other.invalidate_recordset()
        self.assertEqual(other.state, "draft")

    def test_successive_leases_on_one_unit_are_accepted(self):
        first = self.make_lease(start=date(2026, 1, 1), end=date(2027, 12, 31))
        second = self.make_lease(start=date(2028, 1, 1))
        self.assertEqual((first.state, second.state), ("running", "running"))

    def test_open_ended_lease_overlaps_everything_after(self):
        self.make_lease(start=date(2025, 1, 1))
        other = self.make_lease(start=date(2030, 1, 1), start_it=False)
        with self.assertRaises(ValidationError):
            other.action_start()

    def test_impossible_dates_are_refused(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.cr.savepoint():
                self.make_lease(start=date(2026, 5, 1), end=date(2026, 4, 1), start_it=False)

    def test_bad_amounts_are_refused(self):
        for values in ({"rent": 0.0}, {"due_day": 32}, {"charges": -1.0}):
            with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
                with self.cr.savepoint():
                    self.make_lease(start_it=False, **values)

    def test_building_cannot_be_leased(self):
        with self.assertRaisesRegex(ValidationError, "building"):
            self.make_lease(unit=self.building, start_it=False)

    def test_lease_needs_a_mandate_to_start(self):
        orphan = self.env["rental.property"].create({"name": "Orphan flat"})
        lease = self.make_lease(unit=orphan, start_it=False)
        with self.assertRaisesRegex(UserError, "no management mandate"):
            lease.action_start()

    def test_housing_benefit_needs_a_payer_and_cannot_exceed_rent(self):
        with self.assertRaisesRegex(ValidationError, "who pays"):
            self.make_lease(start_it=False, housing_benefit_amount=100.0)
        caf = self.env["res.partner"].create({"name": "CAF"})
        with self.assertRaisesRegex(ValidationError, "cannot exceed"):
            self.make_lease(
                start_it=False, housing_benefit_amount=2000.0, housing_benefit_payer_id=caf.id
            )

    def test_tenant_cannot_guarantee_himself(self):
        with self.assertRaisesRegex(ValidationError, "own guarantor"):
            self.make_lease(start_it=False, guarantor_ids=[(6, 0, self.tenant.ids)])

    @freeze_time("2026-03-20")
    def test_end_lease_sets_unit_vacant(self):
        lease = self.make_lease(start=date(2026, 1, 1))
        lease.action_end()
        self.assertEqual(lease.state, "ended")
        self.assertEqual(lease.date_end, date(2026, 3, 20))
        self.assertEqual(self.unit.state, "vacant")

    def test_cron_ends_leases_past_their_end_date(self):
        with freeze_time("2030-01-10"):
            past = self.make_lease(start=date(2030, 1, 1), end=date(2030, 5, 31))
            future = self.make_lease(unit=self.unit2, start=date(2030, 1, 1),
                                     end=date(2030, 12, 31))
        with freeze_time("2030-06-15"):
            self.env["rental.lease"]._cron_end_leases()
        self.assertEqual((past.state, future.state), ("ended", "running"))

    def test_joint_owner_shares_must_sum_to_100(self):
        other = self.env["res.partner"].create({"name": "Owner Two"})
        with self.assertRaisesRegex(ValidationError, "sum to"), self.cr.savepoint():
            self.unit.owner_line_ids = [
                (0, 0, {"partner_id": self.owner.id, "share": 60.0}),
                (0, 0, {"partner_id": other.id, "share": 30.0}),
            ]
        self.unit.invalidate_recordset()
        self.unit.owner_line_ids = [
            (0, 0, {"partner_id": self.owner.id, "share": 60.0, "is_principal": True}),
            (0, 0, {"partner_id": other.id, "share": 40.0}),
        ]
        shares = self.unit._get_owner_shares()
        self.assertEqual([(p, s) for p, s, __ in shares], [(self.owner, 60.0), (other, 40.0)])

    def test_unit_hierarchy_rules(self):
        with self.assertRaisesRegex(ValidationError, "only belong to a building"):
            self.env["rental.property"].create({"name": "Sub", "parent_id": self.unit.id})
        self.assertEqual(self.unit.complete_name, "Residence / Flat 1")
        self.assertEqual(self.unit.full_address, "1 rue Test, 75011 Paris")
        self.assertEqual(self.building.unit_count, 2)

    def test_mandate_rates_and_owner_iban(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.cr.savepoint():
                self.mandate.fee_rate = 120.0
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.cr.savepoint():
                self.mandate.insurance_rate = -1.0
        with self.assertRaisesRegex(ValidationError, "minimum fee"):
            self.mandate.write({"fee_min": 50.0, "fee_max": 20.0})
        self.assertFalse(self.mandate.owner_iban_warning)
        bad = self.env["res.partner.bank"].create(
            {"partner_id": self.owner.id, "acc_number": "FR7630004008200000000100081"}
        )
        with self.assertRaisesRegex(ValidationError, "not valid"):
            self.mandate.owner_bank_id = bad
        stranger = self.env["res.partner.bank"].create(
            {"partner_id": self.tenant.id, "acc_number": "FR7630004008200000000200087"}
        )
        with self.assertRaisesRegex(ValidationError, "belong to the owner"):
            self.mandate.owner_bank_id = stranger

    def test_mandate_cannot_end_with_running_leases(self):
        self.mandate.action_activate()
        self.make_lease()
        with self.assertRaisesRegex(UserError, "running leases"):
            self.mandate.action_end()

    def test_partner_roles(self):
        self.make_lease()
        Partner = self.env["res.partner"]
        self.assertIn(self.owner, Partner.search([("rental_is_owner", "=", True)]))
        self.assertIn(self.tenant, Partner.search([("rental_is_tenant", "=", True)]))
        self.assertNotIn(self.tenant, Partner.search([("rental_is_owner", "=", True)]))
        self.assertEqual(self.tenant.rental_lease_count, 1)
        self.assertEqual(self.owner.rental_mandate_count, 1)

    def test_litigation_blocks_automatic_collection(self):
        lease = self.make_lease()
        self.assertEqual(lease._rental_collection_block_reason(), "")
        lease.litigation_state = "dispute"
        self.assertIn("dispute", lease._rental_collection_block_reason())
        lease.litigation_state = "legal"
        self.assertIn("legal proceedings", lease._rental_collection_block_reason())
