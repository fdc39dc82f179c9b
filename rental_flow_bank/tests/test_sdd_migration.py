"""Migration of direct debit mandates from a CSV or XLSX export (all or nothing)."""

import base64
import io
from datetime import date

import openpyxl

from odoo.tests import tagged

from .common_sdd import CREDITOR_ID, NS, OTHER_CREDITOR_ID, TENANT2_IBAN, SddCommon

HEADER = ("mandate reference;signature date;debtor name;IBAN;BIC;scheme;type;tenant;"
          "original creditor id;last collection date")


@tagged("post_install", "-at_install")
class TestSddMigration(SddCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tenant2.ref = "T-0002"
        cls.tenant3 = cls.env["res.partner"].create({"name": "Claire Martin"})
        cls.lease3 = cls.make_lease(unit=cls.flats[2], tenant_id=cls.tenant3.id,
                                    payment_mode="direct_debit")

    def run_import(self, content, filename="mandates.csv"):
        if isinstance(content, str):
            content = content.encode()
        wizard = self.env["rental.sdd.mandate.import"].create(
            {"data_file": base64.b64encode(content), "filename": filename,
             "original_creditor_name": "Old Bank Agency"}
        )
        wizard.action_import()
        return wizard

    def mandates(self):
        return self.env["rental.sdd.mandate"].search([("migrated", "=", True)], order="id")

    def test_good_csv(self):
        content = "\n".join([
            HEADER,
            f"OLD-RUM-0001;2019-05-14;Paul Durand;{TENANT2_IBAN};COBADEFFXXX;CORE;recurrent;"
            f"T-0002;{OTHER_CREDITOR_ID};2026-01-05",
            f"OLD-RUM-0002;14/05/2024;Claire Martin;FR4920041010050500014M02676;;CORE;RCUR;"
            f"{self.lease3.name};{CREDITOR_ID};",
        ])
        wizard = self.run_import(content)
        self.assertEqual(wizard.state, "done", wizard.errors)
        first, second = self.mandates()
        self.assertRecordValues(first, [{
            "name": "OLD-RUM-0001", "signature_date": date(2019, 5, 14), "state": "valid",
            "partner_id": self.tenant2.id, "debtor_name": "Paul Durand",
            "first_collection_done": True, "last_collection_date": date(2026, 1, 5),
            "amend_original_creditor_id": OTHER_CREDITOR_ID,
            "amend_original_creditor_name": "Old Bank Agency",
        }])
        self.assertEqual(first.bank_id.acc_number.replace(" ", ""), TENANT2_IBAN)
        self.assertEqual(first.bic, "COBADEFFXXX")
        self.assertEqual(first._rental_sdd_sequence_type(), "RCUR", "already used: RCUR")
        # same creditor id as ours: no amendment; never used: FRST; tenant by lease code
        self.assertRecordValues(second, [{
            "partner_id": self.tenant3.id, "amend_original_creditor_id": False,
            "first_collection_done": False,
        }])
        self.assertEqual(second._rental_sdd_sequence_type(), "FRST")
        self.assertEqual(self.lease3.sdd_mandate_id, second, "given to the tenant's lease")
        # the first collection carries the original creditor id, keeps the reference
        self.lease3.write({"tenant_id": self.tenant2.id})
        self.assertEqual(self.lease3.sdd_mandate_id, first)
        self.issue(self.lease3, until=date(2026, 1, 1))
        run = self.collect(date(2026, 1, 10))
        root = self.pain008(run)
        self.assertEqual(root.findtext(".//p:MndtId", namespaces=NS), "OLD-RUM-0001")
        self.assertEqual(root.findtext(".//p:DtOfSgntr", namespaces=NS), "2019-05-14")
        self.assertEqual(root.findtext(".//p:SeqTp", namespaces=NS), "RCUR")
        self.assertEqual(root.findtext(".//p:AmdmntInd", namespaces=NS), "true")

    def test_errors_per_row_and_nothing_created(self):
        content = "\n".join([
            HEADER,
            f"OLD-RUM-0001;2019-05-14;Paul Durand;{TENANT2_IBAN};;CORE;recurrent;T-0002;;",
            "OLD-RUM-0002;2019-13-45;Paul Durand;FR7630006000011234567890100;;CORE;;T-0002;;",
            f"OLD-RUM-0001;2019-05-14;;{TENANT2_IBAN};;SEPA;monthly;Nobody;FR00ZZZ1;",
            f"{self.sdd_mandate.name};2019-05-14;X;{TENANT2_IBAN};BADBIC;CORE;;T-0002;;",
        ])
        wizard = self.run_import(content)
        self.assertEqual(wizard.state, "error")
        self.assertFalse(self.mandates(), "nothing is half-imported")
        errors = wizard.errors.splitlines()
        self.assertEqual(len(errors), 3, wizard.errors)
        self.assertTrue(errors[0].startswith("Row 3:"))
        self.assertIn("not a date", errors[0])
        self.assertIn("IBAN", errors[0])
        self.assertTrue(errors[1].startswith("Row 4:"))
        for expected in ("also on row 2", "debtor name", "CORE or B2B", "recurrent or one-off",
                         "Nobody not found", "creditor identifier"):
            self.assertIn(expected, errors[1])
        self.assertTrue(errors[2].startswith("Row 5:"))
        self.assertIn("already exists", errors[2])
        self.assertIn("BIC", errors[2])

    def test_missing_column(self):
        wizard = self.env["rental.sdd.mandate.import"].create(
            {"data_file": base64.b64encode(b"reference;iban\nA;B\n"), "filename": "m.csv"}
        )
        with self.assertRaisesRegex(Exception, "Missing columns"):
            wizard.action_import()
        self.assertFalse(self.mandates())

    def test_xlsx(self):
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(["Mandate Reference", "Signature Date", "Debtor Name", "IBAN", "BIC",
                      "Scheme", "Type", "Tenant", "Original Creditor Id",
                      "Last Collection Date"])
        sheet.append(["XL-0001", date(2021, 3, 2), "Claire Martin",
                      "FR4920041010050500014M02676", None, "B2B", "one-off", "Claire Martin",
                      None, None])
        buffer = io.BytesIO()
        book.save(buffer)
        wizard = self.run_import(buffer.getvalue(), "mandates.xlsx")
        self.assertEqual(wizard.state, "done", wizard.errors)
        mandate = self.mandates()
        self.assertRecordValues(mandate, [{
            "name": "XL-0001", "signature_date": date(2021, 3, 2), "scheme": "B2B",
            "mandate_type": "oneoff", "partner_id": self.tenant3.id, "state": "valid",
        }])
        self.assertEqual(mandate._rental_sdd_sequence_type(), "OOFF")
