from datetime import date
from decimal import Decimal

from odoo.tests import tagged

from .common_bankfeeds import (
    MASTER_IBAN,
    SECOND_IBAN,
    VIBANS,
    BankFeedsCommon,
    CamtBuilder,
    bank_samples,
    camt_statement,
    credit_entry,
    sample,
)


@tagged("post_install", "-at_install")
class TestImportCamt(BankFeedsCommon):
    """CAMT.053/054 files through the real import path."""

    def test_camt053_two_accounts_every_field(self):
        log = self.import_file(sample("camt053_v08.xml"), "camt053_v08.xml")
        self.assertEqual(log.state, "done", log.error)
        self.assertEqual(log.file_format, "camt.053.001.08")
        self.assertEqual(log.journal_ids, self.master_journal | self.second_journal)
        # master: 10 entries, one pending (skipped), one batch of three split
        self.assertEqual(len(self.lines_of(self.master_journal)), 11)
        self.assertEqual(len(self.lines_of(self.second_journal)), 3)
        self.assertEqual((log.created_count, log.duplicate_count, log.skipped_count), (14, 0, 1))
        self.assertEqual(len(log.checksum), 64)
        self.assertTrue(log.attachment_id)

        rent = self.line_by_ref("MB-TX-0001")
        self.assertRecordValues(rent, [{
            "journal_id": self.master_journal.id,
            "date": date(2026, 1, 5),
            "rental_value_date": date(2026, 1, 5),
            "amount": 850.0,
            "payment_ref": "LOYER JANVIER 2026 LOT 12",
            "partner_name": "DUPONT MARIE",
            "account_number": "FR7630004000010000055500044",
            "rental_payer_bic": "BNPAFRPPXXX",
            "rental_end_to_end_id": "E2E-DUPONT-202601",
            "rental_credited_iban": VIBANS[0],
            "rental_property_id": self.flats[0].id,
            "unique_import_id": f"{MASTER_IBAN}|ref|MB-TX-0001",
            "rental_bank_transaction_code": "PMNT-RCDT-ESCT",
            "transaction_type": "PMNT-RCDT-ESCT",
            "rental_import_id": log.id,
            "is_reconciled": False,
        }])
        self.assertEqual(rent.rental_virtual_iban_id.name, VIBANS[0])
        self.assertEqual(rent.transaction_details["raw"]["TxDtls"]["Refs"]["EndToEndId"],
                         "E2E-DUPONT-202601")
        self.assertEqual(rent.transaction_details["format"], "camt.053.001.08")
        # its journal entry: posted, balanced, bank account against suspense
        move = rent.move_id
        self.assertEqual(move.state, "posted")
        self.assertEqual(sorted(move.line_ids.mapped("balance")), [-850.0, 850.0])
        self.assertIn(self.master_journal.default_account_id, move.line_ids.account_id)
        self.assertIn(self.master_journal.suspense_account_id, move.line_ids.account_id)

        caf = self.line_by_ref("MB-TX-0002")
        self.assertEqual(caf.rental_structured_ref, "RF81LOT12JAN26")
        self.assertEqual(caf.rental_ultimate_debtor, "MARTIN PAUL")
        self.assertEqual(caf.rental_property_id, self.flats[1])

        batch = self.env["account.bank.statement.line"].search(
            [("unique_import_id", "like", f"{MASTER_IBAN}|ref|MB-BATCH-0003|tx%")], order="id"
        )
        self.assertEqual(batch.mapped("amount"), [500.0, 400.0, 600.0])
        self.assertEqual(batch.mapped("rental_property_id"), self.flats[2:5])
        self.assertEqual(batch[2].rental_structured_ref, "RF16LEASE0042")

        payout = self.line_by_ref("MB-TX-0004")
        self.assertEqual(payout.amount, -1234.56)
        self.assertEqual(payout.rental_end_to_end_id, "OWNPAY-2026-01-000012")
        self.assertFalse(payout.rental_credited_iban)

        returned = self.line_by_ref("MB-TX-0005")
        self.assertEqual(returned.rental_return_reason_code, "AM04")
        self.assertEqual(returned.rental_original_end_to_end_id, "SDD-2026-01-LOT12")
        self.assertEqual(returned.rental_property_id, self.flats[5])
        self.assertIn("return", returned.rental_import_flags)

        reversal = self.line_by_ref("MB-TX-0006")
        self.assertTrue(reversal.rental_is_reversal)
        self.assertEqual(reversal.amount, -300.0)

        twins = self.env["account.bank.statement.line"].search(
            [("unique_import_id", "like", f"{MASTER_IBAN}|sha256|%")]
        )
        self.assertEqual(len(twins), 2, "two identical-looking transfers are two lines")
        self.assertIn("invalid_rf_reference", self.line_by_ref("MB-TX-0010").rental_import_flags)
        self.assertFalse(self.line_by_ref("MB-TX-0010").rental_structured_ref)
        self.assertEqual(self.line_by_ref("BNP-000003").rental_import_flags, "batch_not_split")

        # statements: balances from the file, complete, linked to the import
        statements = log.statement_ids.sorted("id")
        self.assertEqual(len(statements), 2)
        self.assertRecordValues(statements, [
            {"journal_id": self.master_journal.id, "balance_start": 10000.0,
             "balance_end_real": 10427.84, "is_complete": True},
            {"journal_id": self.second_journal.id, "balance_start": 2500.0,
             "balance_end_real": 4227.5, "is_complete": True},
        ])
        self.assertFalse(log.warnings)

    def test_every_camt_version(self):
        """camt.053 and camt.054, message versions .001.02 to .001.08."""
        for version in range(2, 9):
            for message in ("053", "054"):
                with self.subTest(message=message, version=version):
                    if message == "053":
                        statements = [bank_samples.master_statement(version),
                                      bank_samples.second_statement(version)]
                    else:
                        statements = [bank_samples.notification_statement(alias=False)]
                    data = CamtBuilder(message, version).build(statements)
                    savepoint = self.env.cr.savepoint()
                    try:
                        log = self.import_file(data, f"camt{message}_v{version}.xml")
                        self.assertEqual(log.state, "done", log.error)
                        self.assertEqual(
                            log.file_format, f"camt.{message}.001.{version:02d}"
                        )
                        expected = 14 if message == "053" else 3
                        if message == "053" and 3 <= version <= 6:
                            pass  # batch amounts given but not adding up: still one line
                        self.assertEqual(log.created_count, expected)
                        vib_line = self.env["account.bank.statement.line"].search(
                            [("rental_import_id", "=", log.id),
                             ("rental_credited_iban", "=", VIBANS[0]),
                             ("amount", ">", 0)], limit=1
                        )
                        self.assertEqual(vib_line.rental_property_id, self.flats[0])
                    finally:
                        savepoint.close(rollback=True)
                        self.env.invalidate_all()

    def test_camt054_notification_without_balances(self):
        log = self.import_file(sample("camt054_v02.xml"), "camt054_v02.xml")
        self.assertEqual(log.state, "done", log.error)
        lines = self.lines_of(self.master_journal)
        self.assertEqual(len(lines), 3)
        self.assertFalse(lines.statement_id, "no balances: lines without a statement")
        self.assertEqual(lines.mapped("rental_property_id"), self.flats[:3])

    def test_camt054_alias_in_entry_reference(self):
        data = sample("camt054_v08_alias_ntryref.xml")
        # auto: CdtrAcct is the master account, the valid IBAN in NtryRef wins
        savepoint = self.env.cr.savepoint()
        log = self.import_file(data, "alias.xml")
        self.assertEqual(log.state, "done", log.error)
        lines = self.lines_of(self.master_journal)
        self.assertEqual(lines.mapped("rental_credited_iban"), VIBANS[:3])
        self.assertEqual(lines.mapped("rental_property_id"), self.flats[:3])
        savepoint.close(rollback=True)
        self.env.invalidate_all()
        # creditor account only: the alias is ignored
        self.master_journal.rental_credited_account_source = "cdtr_acct"
        log = self.import_file(data, "alias.xml")
        lines = self.lines_of(self.master_journal)
        self.assertEqual(set(lines.mapped("rental_credited_iban")), {MASTER_IBAN})
        self.assertFalse(lines.rental_property_id)

    def test_alias_setting_ntry_ref_only(self):
        self.master_journal.rental_credited_account_source = "ntry_ref"
        entries = [credit_entry("N1", "100.00", "2026-01-05", VIBANS[3])]
        entries[0]["ref"] = VIBANS[4]  # the bank's alias differs from CdtrAcct
        log = self.import_file(camt_statement(entries, "0"), "ntry.xml")
        self.assertEqual(log.state, "done", log.error)
        self.assertEqual(self.lines_of(self.master_journal).rental_property_id, self.flats[4])

    def test_reimport_same_file_creates_nothing(self):
        data = sample("camt053_v04.xml")
        first = self.import_file(data, "a.xml")
        self.assertEqual(first.created_count, 14)
        before = self.counts()
        again = self.import_file(data, "a-again.xml")
        self.assertEqual(again.state, "nothing_new")
        self.assertEqual((again.created_count, again.duplicate_count), (0, 14))
        self.assertEqual(again.checksum, first.checksum)
        self.assertEqual(self.counts()[0], before[0])
        self.assertEqual(self.counts()[2], before[2])

    def test_overlapping_files(self):
        day1 = [credit_entry(f"T{i}", 100 + i, "2026-01-05", VIBANS[i % 6]) for i in range(5)]
        day2 = [credit_entry(f"T{i}", 100 + i, "2026-01-06", VIBANS[i % 6]) for i in range(5, 8)]
        first = camt_statement(day1, "1000.00", stmt_id="S1")
        overlap = camt_statement(day1[3:] + day2, "1303.00", stmt_id="S2", day="2026-01-06")
        log1 = self.import_file(first, "s1.xml")
        self.assertEqual(log1.created_count, 5)
        log2 = self.import_file(overlap, "s2.xml")
        self.assertEqual(log2.state, "done", log2.error)
        self.assertEqual((log2.created_count, log2.duplicate_count), (3, 2))
        self.assertEqual(len(self.lines_of(self.master_journal)), 8)
        statement = log2.statement_ids
        # starting balance recomputed from the closing one: it chains with S1
        self.assertEqual(statement.balance_start, log1.statement_ids.balance_end_real)
        self.assertTrue(statement.is_complete)
        self.assertIn("already imported", log2.warnings)
        self.assertNotIn("previous statement", log2.warnings)

    def test_balance_chain_warning(self):
        day1 = [credit_entry("C1", "100.00", "2026-01-05", VIBANS[0])]
        day2 = [credit_entry("C2", "50.00", "2026-01-06", VIBANS[1])]
        self.import_file(camt_statement(day1, "1000.00", stmt_id="D1"), "d1.xml")
        log = self.import_file(
            camt_statement(day2, "1500.00", stmt_id="D2", day="2026-01-06"), "d2.xml"
        )
        self.assertEqual(log.state, "done")
        self.assertIn("previous statement", log.warnings)
        self.assertIn("1,500.00", log.warnings)
        self.assertTrue(log.has_warnings)
        journal_messages = self.master_journal.message_ids.mapped("body")
        self.assertTrue(any("D2" in (body or "") for body in journal_messages))
        self.assertTrue(any("previous statement" in (m.body or "") for m in log.message_ids))

    def test_parser_balance_warning_kept(self):
        entries = [credit_entry("W1", "100.00", "2026-01-05", VIBANS[0])]
        log = self.import_file(camt_statement(entries, "0", closing="90.00"), "w.xml")
        self.assertEqual(log.state, "done")
        self.assertIn("closing balance", log.warnings)

    def test_lines_grouped_by_day_keep_file_order(self):
        entries = [credit_entry(f"O{i}", 10 + i, f"2026-02-{1 + i % 3:02d}", VIBANS[0])
                   for i in range(9)]
        log = self.import_file(camt_statement(entries, "0", day="2026-02-03"), "o.xml")
        self.assertEqual(log.created_count, 9)
        lines = self.lines_of(self.master_journal)
        self.assertEqual(len(set(lines.move_id.mapped("name"))), 9)
        for day in (1, 2, 3):
            same_day = lines.filtered(lambda line, d=day: line.date == date(2026, 2, d))
            # file order kept within a day (ids), amounts increase in the file
            self.assertEqual(same_day.mapped("amount"), sorted(same_day.mapped("amount")))
        # entries are numbered in date order
        ordered = lines.sorted(lambda line: (line.date, line.id))
        numbers = [line.move_id.sequence_number for line in ordered]
        self.assertEqual(numbers, sorted(numbers))

    def test_statement_of_a_virtual_iban(self):
        """A bank sending one statement per virtual account: the master journal gets the
        lines, the property is the virtual IBAN's, no statement for the sub-account."""
        entries = [credit_entry("V1", "650.00", "2026-01-05", MASTER_IBAN),
                   credit_entry("V2", "20.00", "2026-01-05", MASTER_IBAN)]
        for entry in entries:  # no creditor account in the details
            entry["txs"][0]["creditor"] = {"name": "GESTION LOCATIVE SAS"}
        log = self.import_file(camt_statement(entries, "0", iban=VIBANS[3]), "sub.xml")
        self.assertEqual(log.state, "done", log.error)
        self.assertEqual(log.journal_ids, self.master_journal)
        lines = self.lines_of(self.master_journal)
        self.assertEqual(lines.mapped("rental_credited_iban"), [VIBANS[3]] * 2)
        self.assertEqual(lines.rental_property_id, self.flats[3])
        self.assertFalse(log.statement_ids)

    def test_second_iban_routing_is_exact(self):
        """An IBAN that only shares a prefix with a journal's is not that journal's."""
        entries = [credit_entry("X1", "10.00", "2026-01-05", VIBANS[0])]
        close = SECOND_IBAN[:-2] + "00"
        data = camt_statement(entries, "0", iban=close)
        log = self.import_file(data, "close.xml")
        self.assertEqual(log.state, "failed")
        self.assertIn("no bank journal", log.error)

    def test_amounts_exact(self):
        entries = [credit_entry("A1", "0.01", "2026-01-05", VIBANS[0]),
                   credit_entry("A2", "99999999.99", "2026-01-05", VIBANS[1])]
        log = self.import_file(camt_statement(entries, "0"), "amounts.xml")
        self.assertEqual(log.state, "done", log.error)
        lines = self.lines_of(self.master_journal)
        self.assertEqual(lines.mapped("amount"), [0.01, 99999999.99])
        self.assertEqual(Decimal(str(log.statement_ids.balance_end_real)),
                         Decimal("100000000.00"))
