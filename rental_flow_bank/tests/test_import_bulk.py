from datetime import date

import psycopg2

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.rental_flow_bank.models.bank_import_writer import (
    ORM_CONTEXT,
    StatementLineWriter,
)

from .common_bankfeeds import VIBANS, BankFeedsCommon

# Columns that identify a row or its place in the journal: they differ between two
# lines created one after the other, whatever the path.
IDENTITY = {
    "account_bank_statement_line": {"id", "move_id", "internal_index", "unique_import_id",
                                    "create_date", "write_date"},
    "account_move": {"id", "name", "sequence_number", "statement_line_id", "create_date",
                     "write_date"},
    "account_move_line": {"id", "move_id", "statement_line_id", "move_name", "create_date",
                          "write_date"},
}


@tagged("post_install", "-at_install")
class TestImportBulk(BankFeedsCommon):
    """The bulk writer gives exactly what Odoo's own ``create`` gives."""

    def _vals(self, index, amount, day, credited=False, **extra):
        return {
            "journal_id": self.master_journal.id,
            "date": day,
            "amount": amount,
            "payment_ref": f"LINE {index}",
            "partner_name": f"PAYER {index}",
            "account_number": "FR7630004000010000055500044" if index % 2 else False,
            "transaction_type": "PMNT-RCDT-ESCT",
            "unique_import_id": f"TEST|{index}",
            "transaction_details": {"raw": {"n": index, "text": "é"}} if index % 3 else False,
            "rental_credited_iban": credited,
            "rental_end_to_end_id": f"E2E-{index}",
            "rental_value_date": day,
            "rental_is_reversal": index == 4,
            "rental_import_flags": "reversal" if index == 4 else False,
            **extra,
        }

    def _vals_list(self):
        days = [date(2026, 1, 5), date(2026, 1, 7), date(2026, 1, 31), date(2026, 2, 2),
                date(2024, 6, 1)]
        amounts = [850.0, -1234.56, 0.0, 312.4, -0.01, 99999.99, 25.0]
        vals_list = []
        for i in range(21):
            unknown = False if i % 8 else "FR7610107001011234567890129"
            credited = VIBANS[i % 6] if i % 4 else unknown
            vals_list.append(self._vals(i, amounts[i % 7], days[i % 5], credited))
        return vals_list

    def _rows(self, table, where_column, ids):
        self.env.flush_all()
        self.env.cr.execute(
            f"SELECT * FROM {table} WHERE {where_column} = ANY(%s) ORDER BY {where_column}, id",  # noqa: S608
            [list(ids)],
        )
        columns = [d[0] for d in self.env.cr.description]
        ignored = IDENTITY[table]
        return [
            {c: v for c, v in zip(columns, row, strict=True) if c not in ignored}
            for row in self.env.cr.fetchall()
        ]

    def _snapshot(self, line):
        return (
            self._rows("account_bank_statement_line", "id", line.ids),
            self._rows("account_move", "id", line.move_id.ids),
            self._rows("account_move_line", "move_id", line.move_id.ids),
        )

    def test_writer_equals_odoo_create(self):
        vals_list = self._vals_list()
        bulk = StatementLineWriter(self.env, self.master_journal).create(vals_list)
        self.assertEqual(len(bulk), len(vals_list))
        Line = self.env["account.bank.statement.line"].with_context(**ORM_CONTEXT)
        for vals, line in zip(vals_list, bulk, strict=True):
            orm = Line.create({**vals, "unique_import_id": vals["unique_import_id"] + "|orm"})
            with self.subTest(line=vals["payment_ref"]):
                self.assertEqual(self._snapshot(line), self._snapshot(orm))
        self.assertTrue(bulk.filtered("rental_property_id"), "virtual IBANs were resolved")
        self.assertEqual(
            self.env["mail.followers"].search_count(
                [("res_model", "=", "account.move"), ("res_id", "in", bulk.move_id.ids)]
            ),
            0,
        )

    def test_writer_statement_totals_match_odoo(self):
        statement = self.env["account.bank.statement"].create(
            {"name": "S", "balance_start": 1000.0, "balance_end_real": 1000.0 + 850 * 10}
        )
        vals_list = [
            {**self._vals(i, 850.0, date(2026, 3, 1 + i % 4)), "statement_id": statement.id}
            for i in range(10)
        ]
        lines = StatementLineWriter(self.env, self.master_journal).create(vals_list)
        self.assertEqual(lines.statement_id, statement)
        self.assertEqual(lines.move_id.line_ids.statement_id, statement)
        fields = ["journal_id", "company_id", "first_line_index", "date", "balance_end",
                  "is_complete"]
        written = statement.read(fields)[0]
        self.assertEqual(written["journal_id"][0], self.master_journal.id)
        self.assertTrue(written["is_complete"])
        self.assertEqual(written["date"], date(2026, 3, 4))
        statement.invalidate_recordset()
        for name in fields:
            self.env.add_to_compute(statement._fields[name], statement)
        self.env.flush_all()
        self.assertEqual(statement.read(fields)[0], written)

    def test_numbers_continue_odoo_sequence(self):
        vals_list = [self._vals(i, 10.0 + i, date(2026, 4, 1 + i)) for i in range(8)]
        lines = StatementLineWriter(self.env, self.master_journal).create(vals_list)
        numbers = lines.move_id.sorted("date").mapped("sequence_number")
        self.assertEqual(numbers, list(range(numbers[0], numbers[0] + 8)))
        self.assertEqual(len(set(lines.move_id.mapped("sequence_prefix"))), 1)
        after = self.env["account.bank.statement.line"].create(
            self._vals(99, 1.0, date(2026, 4, 30))
        )
        self.assertEqual(after.move_id.sequence_number, numbers[-1] + 1)
        # a later import in the same transaction continues too
        more = StatementLineWriter(self.env, self.master_journal).create(
            [self._vals(100 + i, 5.0, date(2026, 4, 30)) for i in range(3)]
        )
        self.assertEqual(sorted(more.move_id.mapped("sequence_number")),
                         [numbers[-1] + 2, numbers[-1] + 3, numbers[-1] + 4])

    def test_foreign_currency_journal_uses_odoo_create(self):
        usd = self.env.ref("base.USD")
        usd.active = True
        journal = self.env["account.journal"].create(
            {"name": "USD bank", "code": "USDB", "type": "bank", "currency_id": usd.id}
        )
        writer = StatementLineWriter(self.env, journal)
        vals_list = [{**self._vals(i, 10.0, date(2026, 1, 5)), "journal_id": journal.id}
                     for i in range(3)]
        self.assertFalse(writer._fast_path_possible(vals_list))
        lines = writer.create(vals_list)
        self.assertEqual(lines.mapped("currency_id"), usd)
        self.assertEqual(len(lines.move_id), 3)

    def test_unique_import_id_per_journal_in_database(self):
        Line = self.env["account.bank.statement.line"]
        Line.create(self._vals(1, 10.0, date(2026, 1, 5)))
        with self.assertRaises(psycopg2.IntegrityError), mute_logger("odoo.sql_db"), \
                self.env.cr.savepoint():
            Line.create(self._vals(1, 10.0, date(2026, 1, 5)))
            self.env.flush_all()
        other = Line.create({**self._vals(1, 10.0, date(2026, 1, 5)),
                             "journal_id": self.second_journal.id})
        self.assertTrue(other, "the same id in another journal is another line")

    def test_bulk_line_reconciles_like_an_odoo_line(self):
        partner = self.env["res.partner"].create({"name": "Payer Reconcile"})
        results = []
        for path in ("bulk", "orm"):
            vals_list = [self._vals(200 + i, 100.0, date(2026, 5, 4)) for i in range(3)]
            for vals in vals_list:
                vals["unique_import_id"] += path
            if path == "bulk":
                line = StatementLineWriter(self.env, self.master_journal).create(vals_list)[1]
            else:
                line = self.env["account.bank.statement.line"].create(vals_list[1])
            invoice = self.init_invoice("out_invoice", partner=partner, amounts=[100.0],
                                        invoice_date=date(2026, 5, 1), post=True)
            __, suspense, __ = line._seek_for_lines()
            line.move_id.button_draft()
            receivable = invoice.line_ids.filtered(
                lambda item: item.account_type == "asset_receivable"
            )
            suspense.write({"account_id": receivable.account_id.id, "partner_id": partner.id})
            line.move_id.action_post()
            (suspense | receivable).reconcile()
            results.append((invoice.payment_state, line.is_reconciled, line.amount_residual))
        self.assertEqual(results[0], results[1])
        self.assertEqual(results[0][:2], ("paid", True))
