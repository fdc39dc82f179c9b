import base64
from datetime import date, timedelta

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import RentalTestCommon


@tagged("post_install", "-at_install")
class TestVirtualIban(RentalTestCommon):
    def import_file(self, text, pool=None):
        wizard = self.env["rental.virtual.iban.import"].create(
            {
                "pool_id": (pool or self.pool).id,
                "file": base64.b64encode(text.encode()),
                "filename": "ibans.csv",
            }
        )
        wizard.action_import()
        return wizard

    def test_range_gives_valid_unique_ibans_with_bank_details(self):
        ibans = self.pool.iban_ids
        self.assertEqual(len(ibans), 10)
        self.assertEqual(set(ibans.mapped("state")), {"available"})
        self.assertEqual(ibans[0].name, "FR7617338000030000000000143")
        self.assertEqual(ibans[0].formatted, "FR76 1733 8000 0300 0000 0000 143")
        self.assertEqual(ibans[0].bic, "MEMOFRP2XXX")
        self.assertEqual(self.pool.count_available, 10)

    def test_invalid_iban_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "checksum"):
            self.env["rental.virtual.iban"].create(
                {"name": "FR7617338000030000000000144", "pool_id": self.pool.id}
            )

    def test_iban_is_unique_in_the_database(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.cr.savepoint():
                self.env["rental.virtual.iban"].create(
                    {"name": "FR76 1733 8000 0300 0000 0000 143", "pool_id": self.pool.id}
                )
        with self.assertRaisesRegex(UserError, "Already in a pool"):
            self.pool._add_range("17338", "00003", 1, 1)

    def test_iban_cannot_be_renamed(self):
        with self.assertRaisesRegex(UserError, "cannot be changed"):
            self.pool.iban_ids[0].write({"name": "FR7617338000030000000000240"})

    def test_import_creates_all_valid_ibans(self):
        ibans = self.env["rental.virtual.iban"].search([("pool_id", "=", self.pool.id)])
        ibans.unlink()
        wizard = self.import_file(
            "iban;label;reference\n"
            "FR7617338000030000000000143;Lot 1;A1\n"
            "FR76 1733 8000 0300 0000 0000 240;Lot 2;A2\n"
        )
        self.assertEqual(wizard.state, "done")
        self.assertEqual(self.pool.count_available, 2)
        self.assertEqual(self.pool.iban_ids.mapped("provider_ref"), ["A1", "A2"])

    def test_import_with_errors_creates_nothing_and_reports_lines(self):
        wizard = self.import_file(
            "FR7617338000030000000005090\n"  # valid, new
            "FR7617338000030000000000144\n"  # bad check digits
            "FR7617338000030000000000143\n"  # already in the pool
            "FR7617338000010000000010067\n"  # the master account itself
        )
        self.assertEqual(wizard.state, "error")
        self.assertIn("Line 2", wizard.report)
        self.assertIn("Line 3", wizard.report)
        self.assertIn("Line 4", wizard.report)
        self.assertIn("Nothing was imported", wizard.report)
        self.assertFalse(
            self.env["rental.virtual.iban"].search([("name", "=", "FR7617338000030000000005090")])
        )

    def test_allocation_on_demand_and_history(self):
        self.unit.action_assign_virtual_iban()
        iban = self.unit.virtual_iban_id
        self.assertEqual(iban.state, "assigned")
        self.assertEqual(iban.property_id, self.unit)
        self.assertEqual(iban.assignment_ids.property_id, self.unit)
        self.assertFalse(iban.assignment_ids.date_to)
        with self.assertRaisesRegex(UserError, "already have"):
            self.unit.action_assign_virtual_iban()
        with self.assertRaisesRegex(UserError, "Buildings"):
            self.building.action_assign_virtual_iban()

    def test_bulk_allocation_gives_distinct_ibans(self):
        units = self.env["rental.property"].create(
            [{"name": f"Bulk {i}", "mandate_id": self.mandate.id} for i in range(8)]
        )
        self.pool._allocate(units)
        self.assertEqual(len(units.virtual_iban_id), 8)
        self.assertEqual(self.pool.count_available, 2)

    def test_exhausted_pool_gives_a_clear_error_and_assigns_nothing(self):
        units = self.env["rental.property"].create(
            [{"name": f"Many {i}", "mandate_id": self.mandate.id} for i in range(11)]
        )
        with self.assertRaisesRegex(UserError, "exhausted: 11 needed, 10 available"):
            self.pool._allocate(units)
        self.assertFalse(units.virtual_iban_id)
        self.assertEqual(self.pool.count_available, 10)

    def test_no_pool_gives_a_clear_error(self):
        self.pool.active = False
        with self.assertRaisesRegex(UserError, "no virtual IBAN pool"):
            self.unit.action_assign_virtual_iban()

    def test_released_iban_is_frozen_and_never_reused_while_frozen(self):
        self.unit.action_assign_virtual_iban()
        iban = self.unit.virtual_iban_id
        today = fields.Date.context_today(self.unit)
        self.unit.action_release_virtual_iban()
        self.assertFalse(self.unit.virtual_iban_id)
        self.assertEqual(iban.state, "frozen")
        self.assertEqual(iban.frozen_until, today + timedelta(days=30))
        self.assertEqual(iban.assignment_ids.date_to, today)
        # All the other IBANs go first; the frozen one is never handed out.
        units = self.env["rental.property"].create(
            [{"name": f"Next {i}", "mandate_id": self.mandate.id} for i in range(9)]
        )
        self.pool._allocate(units)
        self.assertNotIn(iban, units.virtual_iban_id)
        extra = self.env["rental.property"].create({"name": "Extra", "mandate_id": self.mandate.id})
        with self.assertRaisesRegex(UserError, "exhausted"):
            self.pool._allocate(extra)
        self.env["rental.virtual.iban.pool"]._cron_unfreeze()
        self.assertEqual(iban.state, "frozen", "still within its freeze delay")
        with freeze_time(today + timedelta(days=31)):
            self.env["rental.virtual.iban.pool"]._cron_unfreeze()
        self.assertEqual(iban.state, "available")
        self.pool._allocate(extra)
        self.assertEqual(extra.virtual_iban_id, iban)
        self.assertEqual(len(iban.assignment_ids), 2)

    def test_payment_to_a_released_iban_still_names_its_former_property(self):
        self.unit.action_assign_virtual_iban()
        iban = self.unit.virtual_iban_id
        today = fields.Date.context_today(self.unit)
        self.unit.action_release_virtual_iban()
        Iban = self.env["rental.virtual.iban"]
        self.assertEqual(Iban._find_property(iban.name, today), self.unit)
        self.assertFalse(Iban._find_property(iban.name, today + timedelta(days=1)))
        self.assertFalse(Iban._find_property("FR7617338000030000000005090", today))

    def test_search_properties_by_current_or_past_virtual_iban(self):
        self.unit.action_assign_virtual_iban()
        iban = self.unit.virtual_iban_id
        Property = self.env["rental.property"]
        self.assertEqual(Property.search([("virtual_iban_search", "ilike", iban.formatted)]),
                         self.unit)
        self.assertEqual(Property.search([("virtual_iban_search", "ilike", iban.name[-8:])]),
                         self.unit)
        self.unit.action_release_virtual_iban()
        self.assertEqual(Property.search([("virtual_iban_search", "ilike", iban.name)]), self.unit)

    def test_assigned_iban_cannot_be_retired_or_deleted(self):
        self.unit.action_assign_virtual_iban()
        iban = self.unit.virtual_iban_id
        with self.assertRaisesRegex(UserError, "release it first"):
            iban.action_retire()
        with self.assertRaisesRegex(UserError, "never-used"):
            iban.unlink()

    def test_provider_hook_fills_the_pool_on_demand(self):
        """A bank connector overriding the hook creates IBANs when the pool is empty."""
        Pool = type(self.env["rental.virtual.iban.pool"])
        created = []

        def fake_provider(pool, count, properties=None):
            records = pool._add_range("17338", "00004", 100 + len(created), count)
            created.append(records)
            return records

        units = self.env["rental.property"].create(
            [{"name": f"P {i}", "mandate_id": self.mandate.id} for i in range(12)]
        )
        original = Pool._provider_create_ibans
        Pool._provider_create_ibans = fake_provider
        try:
            self.pool._allocate(units)
        finally:
            Pool._provider_create_ibans = original
        self.assertEqual(len(units.virtual_iban_id), 12)
        self.assertEqual(len(created[0]), 2)

    @freeze_time("2026-02-01")
    def test_lease_start_allocates_only_when_needed(self):
        self.unit.action_assign_virtual_iban()
        iban = self.unit.virtual_iban_id
        self.make_lease(start=date(2026, 1, 1))
        self.assertEqual(self.unit.virtual_iban_id, iban)

    def test_bank_line_names_the_property_of_its_credited_virtual_iban(self):
        self.unit.action_assign_virtual_iban()
        iban = self.unit.virtual_iban_id
        today = fields.Date.context_today(self.unit)
        Line = self.env["account.bank.statement.line"]
        line = Line.create(
            {
                "journal_id": self.bank_journal.id,
                "date": today,
                "amount": 960.0,
                "payment_ref": "LOYER",
                "rental_credited_iban": iban.formatted,
                "rental_end_to_end_id": "E2E-1",
            }
        )
        self.assertEqual(line.rental_virtual_iban_id, iban)
        self.assertEqual(line.rental_property_id, self.unit)
        self.unit.action_release_virtual_iban()
        later = Line.create(
            {
                "journal_id": self.bank_journal.id,
                "date": today + timedelta(days=3),
                "amount": 960.0,
                "payment_ref": "LOYER",
                "rental_credited_iban": iban.name,
            }
        )
        self.assertEqual(later.rental_virtual_iban_id, iban)
        self.assertFalse(later.rental_property_id, "released before this payment")
        unknown = Line.create(
            {
                "journal_id": self.bank_journal.id,
                "date": today,
                "amount": 5.0,
                "payment_ref": "X",
                "rental_credited_iban": "FR7617338000030000000005090",
            }
        )
        self.assertFalse(unknown.rental_virtual_iban_id)
