import base64
import io
import json
from datetime import date

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common_bankfeeds import (
    MASTER_IBAN,
    SECOND_IBAN,
    VIBANS,
    BankFeedsCommon,
    bank_samples,
    sample,
)


@tagged("post_install", "-at_install")
class TestImportFormats(BankFeedsCommon):
    """CFONB 120, CSV and Excel files, the saved column mappings and the wizard."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Mapping = cls.env["rental.bank.csv.mapping"]
        cls.french_mapping = Mapping.create(
            {"name": "French bank", "mapping_json": json.dumps(bank_samples.FRENCH_CSV_MAPPING)}
        )
        cls.english_mapping = Mapping.create(
            {"name": "English bank",
             "mapping_json": json.dumps(bank_samples.ENGLISH_CSV_MAPPING)}
        )

    def test_cfonb_two_accounts_and_days(self):
        log = self.import_file(sample("cfonb120_two_accounts.cfo"), "releve.cfo")
        self.assertEqual(log.state, "done", log.error)
        self.assertEqual(log.file_format, "cfonb120")
        self.assertEqual(log.statement_count, 3)
        master, second = self.lines_of(self.master_journal), self.lines_of(self.second_journal)
        self.assertEqual(master.mapped("amount"), [850.0, -1234.56, -850.0, 312.4, 780.0])
        self.assertEqual(second.mapped("amount"), [640.0, -12.5, -12.5])
        self.assertEqual(len(set(second.mapped("unique_import_id"))), 3)
        rent = master[0]
        self.assertEqual(rent.partner_name, "DUPONT MARIE")
        self.assertEqual(rent.rental_end_to_end_id, "E2E-DUPONT-202601")
        self.assertEqual(rent.rental_bank_transaction_code, "18 / 0005")
        self.assertEqual(master[2].rental_return_reason_code, "11")
        self.assertEqual(master[3].rental_structured_ref, "RF81LOT12JAN26")
        self.assertEqual(second[0].rental_value_date, date(2026, 1, 6))
        # the main account's two days chain: no warning
        self.assertFalse(log.warnings)
        self.assertEqual(len(log.statement_ids), 3)
        self.assertTrue(all(log.statement_ids.mapped("is_complete")))
        again = self.import_file(sample("cfonb120_two_accounts.cfo"), "releve.cfo")
        self.assertEqual((again.state, again.duplicate_count), ("nothing_new", 8))

    def test_csv_french_with_mapping(self):
        log = self.import_file(sample("csv_french.csv"), "export.csv",
                               csv_mapping=self.french_mapping)
        self.assertEqual(log.state, "done", log.error)
        lines = self.lines_of(self.master_journal)
        self.assertEqual(lines.mapped("amount"), [850.0, 1312.4, -1234.56, -12.5, -12.5, 1004.0])
        self.assertEqual(lines[0].account_number, "FR7630004000010000055500044")
        self.assertEqual(lines[0].rental_property_id, self.flats[0])
        self.assertEqual(lines[1].rental_structured_ref, "RF81LOT12JAN26")
        self.assertEqual(lines[2].rental_value_date, date(2026, 1, 6))
        self.assertEqual(lines[5].rental_property_id, self.flats[5])
        self.assertFalse(lines.statement_id, "a CSV export has no balances")

    def test_csv_english_two_accounts_journal_mapping(self):
        self.master_journal.rental_csv_mapping_id = self.english_mapping
        log = self.import_file(sample("csv_english.csv"), "export.csv",
                               journal=self.master_journal)
        self.assertEqual(log.state, "done", log.error)
        self.assertEqual(self.lines_of(self.master_journal).mapped("amount"), [850.0, -1234.56])
        self.assertEqual(self.lines_of(self.second_journal).mapped("amount"), [2640.0, -12.5])
        self.assertEqual(self.lines_of(self.second_journal)[0].date, date(2026, 1, 6))
        self.assertEqual(
            self.line_by_ref("TX-1001").unique_import_id, f"{MASTER_IBAN}|ref|TX-1001"
        )

    def test_csv_without_account_uses_the_chosen_journal(self):
        mapping = dict(bank_samples.FRENCH_CSV_MAPPING)
        mapping.pop("account_iban")
        no_account = self.env["rental.bank.csv.mapping"].create(
            {"name": "No account", "mapping_json": json.dumps(mapping)}
        )
        failed = self.import_file(sample("csv_french.csv"), "x.csv", csv_mapping=no_account)
        self.assertEqual(failed.state, "failed")
        self.assertIn("choose the journal", failed.error)
        log = self.import_file(sample("csv_french.csv"), "x.csv", csv_mapping=no_account,
                               journal=self.second_journal)
        self.assertEqual(log.state, "done", log.error)
        self.assertEqual(len(self.lines_of(self.second_journal)), 6)

    def test_xlsx(self):
        import openpyxl

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.append(["Account", "Booking Date", "Value Date", "Description", "Counterparty",
                      "Counterparty IBAN", "Amount", "Currency", "End-to-end ID",
                      "Transaction ID"])
        sheet.append([SECOND_IBAN, date(2026, 1, 8), date(2026, 1, 8), "Rent", "LEROY ANNE",
                      "", 640.5, "EUR", "E2E-X", "XL-1"])
        sheet.append([SECOND_IBAN, "2026-01-09", "2026-01-09", "Fees", "", "", "-3.20", "EUR",
                      "", "XL-2"])
        buffer = io.BytesIO()
        workbook.save(buffer)
        log = self.import_file(buffer.getvalue(), "export.xlsx",
                               csv_mapping=self.english_mapping)
        self.assertEqual(log.state, "done", log.error)
        self.assertEqual(log.file_format, "xlsx")
        lines = self.lines_of(self.second_journal)
        self.assertEqual(lines.mapped("amount"), [640.5, -3.2])
        self.assertEqual(lines[0].rental_end_to_end_id, "E2E-X")

    def test_mapping_json_is_validated(self):
        Mapping = self.env["rental.bank.csv.mapping"]
        with self.assertRaisesRegex(ValidationError, "not valid JSON"):
            Mapping.create({"name": "Bad", "mapping_json": "{date_column:"})
        with self.assertRaisesRegex(ValidationError, "amount column"):
            Mapping.create({"name": "Bad", "mapping_json": '{"date_column": "Date"}'})
        with self.assertRaisesRegex(ValidationError, "unknown key"):
            Mapping.create({"name": "Bad",
                            "mapping_json": '{"date_column": "D", "amount_column": "A", "x": 1}'})
        self.assertTrue(self.env.ref("rental_flow_bank.csv_mapping_french_debit_credit")
                        ._get_csv_mapping())

    def test_wizard_from_journal(self):
        action = self.master_journal.action_rental_import_statement()
        self.assertEqual(action["res_model"], "rental.bank.import.wizard")
        wizard_form = Form(self.env["rental.bank.import.wizard"].with_context(action["context"]))
        wizard_form.data_file = base64.b64encode(sample("csv_french.csv"))
        self.assertEqual(wizard_form.detected_format, "CSV")
        self.assertTrue(wizard_form.needs_mapping)
        wizard_form.csv_mapping_id = self.french_mapping
        wizard = wizard_form.save()
        result = wizard.action_import()
        log = self.env["rental.bank.import"].browse(result["res_id"])
        self.assertEqual(log.state, "done", log.error)
        self.assertEqual(log.created_count, 6)
        self.assertEqual(log.journal_ids, self.master_journal)

    def test_wizard_detects_camt(self):
        wizard = self.env["rental.bank.import.wizard"].create(
            {"data_file": base64.b64encode(sample("camt053_v02.xml")), "filename": "s.xml"}
        )
        self.assertEqual(wizard.detected_format, "CAMT.053")
        self.assertFalse(wizard.needs_mapping)
        log = self.env["rental.bank.import"].browse(wizard.action_import()["res_id"])
        self.assertEqual(log.created_count, 14, log.error)

    def test_lines_filterable_by_virtual_iban_and_property(self):
        self.import_file(sample("camt053_v06.xml"), "s.xml")
        Line = self.env["account.bank.statement.line"]
        by_property = Line.search([("rental_property_id", "=", self.flats[0].id)])
        by_viban = Line.search([("rental_virtual_iban_id.name", "=", VIBANS[0])])
        self.assertEqual(by_property, by_viban)
        self.assertEqual(len(by_property), 3)  # rent, its reversal, the invalid RF credit
        action = self.master_journal.action_rental_view_bank_lines()
        self.assertEqual(action["res_model"], "account.bank.statement.line")
        self.assertIn(("journal_id", "in", self.master_journal.ids), action["domain"])
        groups = Line.read_group([("rental_property_id", "!=", False)], ["amount:sum"],
                                 ["rental_property_id"])
        self.assertEqual(len(groups), 6)
