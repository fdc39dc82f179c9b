import json

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common_bankfeeds import (
    MASTER_IBAN,
    SECOND_IBAN,
    VIBANS,
    BankFeedsCommon,
    bank_samples,
    camt_statement,
    credit_entry,
    sample,
)


@tagged("post_install", "-at_install")
class TestImportBadInput(BankFeedsCommon):
    """Bad files: a clear error, nothing imported (all or nothing), the attempt logged."""

    def assert_refused(self, data, name, *messages, **kwargs):
        before = self.counts()
        log = self.import_file(data, name, **kwargs)
        self.assertEqual(log.state, "failed")
        for message in messages:
            self.assertIn(message, log.error)
        self.assertEqual(self.counts(), before, "nothing may be imported")
        self.assertFalse(log.line_ids)
        self.assertFalse(log.statement_ids)
        self.assertEqual(log.created_count, 0)
        self.assertEqual(log.file_name, name)
        self.assertEqual(log.user_id, self.env.user)
        self.assertTrue(log.checksum)
        self.assertEqual(bool(log.attachment_id), bool(data), "a refused file is kept for audit")
        self.assertTrue(any("nothing was imported" in (m.body or "") for m in log.message_ids))
        return log

    def test_truncated_xml(self):
        data = sample("camt053_v08.xml")
        self.assert_refused(data[: len(data) // 2], "cut.xml", "XML")

    def test_malformed_xml(self):
        data = sample("camt053_v08.xml").replace(b"</Ntry>", b"</Ntri>", 1)
        self.assert_refused(data, "bad.xml")

    def test_not_a_statement(self):
        pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n\x00\x00"
        self.assert_refused(pdf, "statement.pdf", "Unrecognised statement format")
        self.assert_refused(b"<html><body>hello</body></html>", "page.xml", "not an ISO 20022")
        self.assert_refused(b"", "empty.xml", "empty")

    def test_unknown_account_refuses_the_whole_file(self):
        """The second account is unknown: the first one's lines are not imported either."""
        data = sample("camt053_v08.xml").replace(
            SECOND_IBAN.encode(), b"FR7610107001011234567890129"
        )
        log = self.assert_refused(data, "two.xml", "no bank journal has the account",
                                  "FR7610107001011234567890129")
        self.assertIn("Statement 2", log.error)

    def test_wrong_currency(self):
        data = sample("camt053_v08.xml").replace(b'Ccy="EUR"', b'Ccy="USD"').replace(
            b"<Ccy>EUR</Ccy>", b"<Ccy>USD</Ccy>"
        )
        self.assert_refused(data, "usd.xml", "is in USD", "in EUR")

    def test_line_in_another_currency(self):
        entries = [credit_entry("C1", "10.00", "2026-01-05", VIBANS[0]),
                   {**credit_entry("C2", "11.00", "2026-01-05", VIBANS[1]), "ccy": "CHF"}]
        entries[1]["txs"][0]["ccy"] = "CHF"
        self.assert_refused(camt_statement(entries, "0"), "chf.xml", "CHF")

    def test_amount_that_does_not_parse(self):
        data = sample("camt053_v08.xml").replace(b">850.00<", b">850,00<", 1)
        self.assert_refused(data, "amount.xml", "850,00", "not a valid amount")

    def test_amount_with_too_many_decimals(self):
        data = sample("camt053_v08.xml").replace(b">312.40<", b">312.405<")
        self.assert_refused(data, "decimals.xml", "312.405", "decimals")

    def test_csv_without_mapping(self):
        self.assert_refused(sample("csv_french.csv"), "export.csv", "column mapping")

    def test_csv_bad_amount(self):
        mapping = self.env["rental.bank.csv.mapping"].create(
            {"name": "French", "mapping_json": json.dumps(bank_samples.FRENCH_CSV_MAPPING)}
        )
        data = sample("csv_french.csv").replace(b"850,00", b"85O,00")
        self.assert_refused(data, "export.csv", "85O,00", csv_mapping=mapping)

    def test_cfonb_bad_record(self):
        data = sample("cfonb120_two_accounts.cfo")
        lines = data.split(b"\r\n")
        lines[3] = lines[3][:60]  # a truncated record in the middle
        self.assert_refused(b"\r\n".join(lines), "cut.cfo")

    def test_ambiguous_account(self):
        # Odoo refuses the same account number twice for one partner: the second
        # journal with this IBAN belongs to another company the user also works in.
        other_company = self.setup_other_company()["company"]
        self.env.user.company_ids |= other_company
        bank = self.env["res.partner.bank"].create(
            {"acc_number": MASTER_IBAN, "partner_id": other_company.partner_id.id}
        )
        self.env["account.journal"].with_company(other_company).create(
            {"name": "Other", "code": "OTHB", "type": "bank", "bank_account_id": bank.id,
             "company_id": other_company.id}
        )
        entries = [credit_entry("A1", "10.00", "2026-01-05", VIBANS[0])]
        self.assert_refused(
            camt_statement(entries, "0"), "amb.xml", "several bank journals",
        )
        # restricted to the current company, the file is not ambiguous any more
        log = self.env["rental.bank.import"].with_context(
            allowed_company_ids=self.company.ids
        )._import_file(camt_statement(entries, "0"), "amb.xml")
        self.assertEqual(log.state, "done", log.error)

    def test_unexpected_error_is_logged_and_rolled_back(self):
        Line = type(self.env["account.bank.statement.line"])

        def boom(self, *args, **kwargs):
            raise RuntimeError("disk on fire")

        original = Line._rental_create_from_parsed
        Line._rental_create_from_parsed = boom
        try:
            with mute_logger("odoo.addons.rental_flow_bank.models.rental_bank_import"):
                self.assert_refused(sample("camt053_v08.xml"), "s.xml", "disk on fire",
                                    "Unexpected error")
        finally:
            Line._rental_create_from_parsed = original
        log = self.import_file(sample("camt053_v08.xml"), "s.xml")
        self.assertEqual(log.state, "done")
        self.assertEqual(log.created_count, 14)
