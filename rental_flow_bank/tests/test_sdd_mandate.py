"""Direct debit mandates: references, checks, life cycle, expiry, account changes."""

from datetime import date

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common_sdd import TENANT2_IBAN, SddCommon


@tagged("post_install", "-at_install")
class TestSddMandate(SddCommon):
    def test_reference_from_sequence_and_unique(self):
        mandate = self.make_mandate(self.tenant2, self.tenant2_bank, validate=False)
        self.assertTrue(mandate.name.startswith("RUM-"))
        self.assertEqual(mandate.debtor_name, "Tenant Two")
        self.assertEqual(mandate.state, "draft")
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            self.make_mandate(self.tenant2, self.tenant2_bank, name=mandate.name)

    def test_bad_reference_iban_and_creditor_id_refused(self):
        with self.assertRaisesRegex(ValidationError, "outside the SEPA set"):
            self.make_mandate(self.tenant2, self.tenant2_bank, name="RUM#1")
        bad_bank = self.env["res.partner.bank"].create(
            {"partner_id": self.tenant2.id, "acc_number": "FR7630006000011234567890100"}
        )
        with self.assertRaisesRegex(ValidationError, "invalid"):
            self.make_mandate(self.tenant2, bad_bank)
        with self.assertRaisesRegex(ValidationError, "creditor identifier"):
            self.company.rental_sdd_creditor_id = "FR00ZZZ123456"

    def test_lease_uses_the_tenant_valid_mandate(self):
        lease = self.make_lease(unit=self.flats[1], payment_mode="direct_debit")
        self.assertEqual(lease.sdd_mandate_id, self.sdd_mandate)
        self.assertFalse(lease.sdd_warning)
        other = self.make_lease(unit=self.flats[2], payment_mode="direct_debit",
                                tenant_id=self.tenant2.id)
        self.assertFalse(other.sdd_mandate_id)
        self.assertIn("no valid mandate", other.sdd_warning)
        # validating the tenant's mandate gives it to his direct-debit leases
        mandate = self.make_mandate(self.tenant2, self.tenant2_bank)
        self.assertEqual(other.sdd_mandate_id, mandate)
        transfer = self.make_lease(unit=self.flats[3])
        self.assertFalse(transfer.sdd_mandate_id)
        self.assertEqual(self.tenant2.rental_sdd_mandate_count, 1)
        action = self.tenant2.action_rental_view_sdd_mandates()
        self.assertEqual(self.env["rental.sdd.mandate"].search(action["domain"]), mandate)

    def test_revoke_with_a_date(self):
        mandate = self.make_mandate(self.tenant2, self.tenant2_bank)
        mandate.revoke_date = date(2026, 3, 31)
        mandate.action_revoke()
        self.assertEqual(mandate.state, "revoked")
        self.assertEqual(mandate.revoke_date, date(2026, 3, 31))
        with self.assertRaisesRegex(UserError, "already closed"):
            mandate.action_revoke()
        lease = self.make_lease(unit=self.flats[2], payment_mode="direct_debit",
                                tenant_id=self.tenant2.id, start_it=False)
        lease.sdd_mandate_id = mandate
        self.assertIn("no longer valid", lease.sdd_warning)

    def test_expiry_after_36_months_without_collection(self):
        used = self.make_mandate(self.tenant2, self.tenant2_bank,
                                 signature_date=date(2020, 1, 10))
        used.last_collection_date = date(2026, 1, 5)
        with freeze_time("2028-10-31"):
            self.env["rental.sdd.mandate"]._cron_expire()
        self.assertEqual(
            self.sdd_mandate.state, "valid", "signed 2025-11-01: 36 months not reached"
        )
        self.assertEqual(used.state, "valid")
        with freeze_time("2029-01-06"):
            expired = self.env["rental.sdd.mandate"]._cron_expire()
        self.assertEqual(used.state, "expired")
        self.assertEqual(self.sdd_mandate.state, "expired")
        self.assertEqual(expired, used | self.sdd_mandate)
        self.assertIn("Expired", used.message_ids[0].body)
        self.assertIn("expired", used._rental_sdd_problem(date(2029, 2, 1)))

    def test_sequence_type_and_account_change_amendment(self):
        self.assertEqual(self.sdd_mandate._rental_sdd_sequence_type(), "FRST")
        self.sdd_mandate._rental_sdd_mark_used(date(2026, 1, 10))
        self.assertEqual(self.sdd_mandate._rental_sdd_sequence_type(), "RCUR")
        self.assertIsNone(self.sdd_mandate._rental_sdd_amendment())
        # same bank (20041), another account: the original IBAN is sent once
        same_bank = self.env["res.partner.bank"].create(
            {"partner_id": self.tenant.id, "acc_number": "FR4920041010050500014M02676"}
        )
        self.sdd_mandate.bank_id = same_bank
        amendment = self.sdd_mandate._rental_sdd_amendment()
        self.assertEqual(amendment.original_debtor_iban, "FR1420041010050500013M02606")
        self.assertFalse(amendment.debtor_bank_changed)
        self.sdd_mandate._rental_sdd_mark_used(date(2026, 2, 10))
        # another bank: SMNDA
        other_bank = self.env["res.partner.bank"].create(
            {"partner_id": self.tenant.id, "acc_number": TENANT2_IBAN}
        )
        self.sdd_mandate.bank_id = other_bank
        amendment = self.sdd_mandate._rental_sdd_amendment()
        self.assertTrue(amendment.debtor_bank_changed)
        self.assertIsNone(amendment.original_debtor_iban)
        oneoff = self.make_mandate(self.tenant2, self.tenant2_bank, mandate_type="oneoff")
        self.assertEqual(oneoff._rental_sdd_sequence_type(), "OOFF")
        oneoff._rental_sdd_mark_used(date(2026, 1, 10))
        self.assertIn("already used", oneoff._rental_sdd_problem(date(2026, 2, 10)))

    def test_lease_mandate_must_be_signed_by_a_tenant(self):
        other = self.make_mandate(self.tenant2, self.tenant2_bank)
        lease = self.make_lease(unit=self.flats[1], payment_mode="direct_debit")
        with self.assertRaisesRegex(ValidationError, "not a tenant of the lease"):
            lease.sdd_mandate_id = other
        lease.cotenant_ids = self.tenant2
        lease.sdd_mandate_id = other
        self.assertEqual(lease.sdd_mandate_id, other)

    def test_creditor_id_or_reference_change_is_sent_as_amendment(self):
        never_used = self.make_mandate(self.tenant2, self.tenant2_bank)
        self.sdd_mandate._rental_sdd_mark_used(date(2026, 1, 10))
        self.company.rental_sdd_creditor_id = "FR19ZZZ654321"
        amendment = self.sdd_mandate._rental_sdd_amendment()
        self.assertEqual(amendment.original_creditor_scheme_id, "FR72ZZZ123456")
        self.assertFalse(never_used.has_amendment, "a mandate never used has nothing to amend")
        old = self.sdd_mandate.name
        self.sdd_mandate.name = "RUM-NEW-1"
        self.assertEqual(self.sdd_mandate._rental_sdd_amendment().original_mandate_id, old)
