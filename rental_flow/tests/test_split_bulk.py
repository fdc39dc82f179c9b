"""The SQL bulk path writes the same records as the ORM, and every scenario works on it."""

from datetime import date

from odoo import Command
from odoo.tests import tagged

from . import test_funds_check, test_payout, test_split
from .split_common import SplitTestCommon

# Columns that legitimately differ between two equivalent entries.
MOVE_SKIP = {"id", "name", "sequence_number", "create_date", "write_date", "ref",
             "rental_property_id", "origin_payment_id", "invoice_partner_display_name"}
LINE_SKIP = {"id", "move_id", "move_name", "create_date", "write_date", "ref", "name",
             "rental_property_id", "payment_id", "rental_works_advance_id",
             "full_reconcile_id", "matching_number"}
PAYMENT_SKIP = {"id", "move_id", "name", "create_date", "write_date", "memo",
                "rental_payout_id"}


def _bulk(env):
    return env(context=dict(env.context, rental_split_bulk_min=1))


@tagged("post_install", "-at_install")
class TestBulkEqualsOrm(SplitTestCommon):
    def rows(self, table, column, ids, skip, order="id"):
        self.env.flush_all()
        self.env.cr.execute(
            f"SELECT * FROM {table} WHERE {column} IN %s ORDER BY {order}",  # noqa: S608
            [tuple(ids)],
        )
        return [{k: v for k, v in row.items() if k not in skip}
                for row in self.env.cr.dictfetchall()]

    def relations(self, lines):
        self.env.cr.execute(
            "SELECT account_tax_id FROM account_move_line_account_tax_rel "
            "WHERE account_move_line_id IN %s ORDER BY 1", [tuple(lines.ids)]
        )
        taxes = self.env.cr.fetchall()
        self.env.cr.execute(
            "SELECT account_account_tag_id FROM account_account_tag_account_move_line_rel "
            "WHERE account_move_line_id IN %s ORDER BY 1", [tuple(lines.ids)]
        )
        return taxes, self.env.cr.fetchall()

    def test_split_entries_are_identical(self):
        agency_bank = self.company_data["default_journal_bank"]
        co_owner = self.env["res.partner"].create({"name": "Joint"})
        leases = []
        for unit in (self.unit, self.unit2):
            unit.owner_line_ids = [
                Command.create({"partner_id": self.owner.id, "share": 60.0,
                                "is_principal": True}),
                Command.create({"partner_id": co_owner.id, "share": 40.0}),
            ]
            self.env["rental.works.advance"].create(
                {"property_id": unit.id, "description": "Works", "amount": 100.0,
                 "journal_id": agency_bank.id}
            ).action_post()
            leases.append(self.make_lease(unit=unit, start=date(2026, 1, 1)))
        orm_call = self.issue(leases[0])
        bulk_call = self.issue(leases[1])
        self.pay(orm_call, 700.0)
        self.pay(bulk_call.with_env(_bulk(self.env)), 700.0)
        orm, bulk = self.splits(orm_call), self.splits(bulk_call)
        self.assertEqual(len(orm), 1)
        self.assertEqual(len(bulk), 1)
        self.assertTrue(orm.move_id.name.startswith(bulk.move_id.name[:-4]))
        self.assertEqual(
            self.rows("account_move", "id", orm.move_id.ids, MOVE_SKIP),
            self.rows("account_move", "id", bulk.move_id.ids, MOVE_SKIP),
        )
        order = "account_id, balance"
        self.assertEqual(
            self.rows("account_move_line", "move_id", orm.move_id.ids, LINE_SKIP, order),
            self.rows("account_move_line", "move_id", bulk.move_id.ids, LINE_SKIP, order),
        )
        self.assertEqual(self.relations(orm.move_id.line_ids),
                         self.relations(bulk.move_id.line_ids))
        skip = {"id", "move_id", "call_id", "partial_id", "collection_move_id", "lease_id",
                "property_id", "create_date", "write_date"}
        self.assertEqual(self.rows("rental_owner_split", "id", orm.ids, skip),
                         self.rows("rental_owner_split", "id", bulk.ids, skip))
        # The ORM sees the SQL-written records, and what depends on them.
        advance = bulk.move_id.line_ids.rental_works_advance_id
        self.assertEqual(advance.amount_open, 0.0)
        self.assertEqual(bulk.move_id.state, "posted")
        self.assertEqual(bulk.move_id.line_ids.tax_ids, self.fee_tax)

    def test_reversal_entries_are_identical(self):
        orm_call = self.issue(self.make_lease(unit=self.unit, start=date(2026, 1, 1)))
        bulk_call = self.issue(self.make_lease(unit=self.unit2, start=date(2026, 1, 1)))
        self.pay(orm_call, 960.0)
        self.pay(bulk_call, 960.0)
        self.receivable(orm_call).remove_move_reconcile()
        self.receivable(bulk_call).with_env(_bulk(self.env)).remove_move_reconcile()
        orm = self.splits(orm_call).reversal_id.move_id
        bulk_split = self.splits(bulk_call).filtered(lambda s: not s.is_reversal)
        bulk = bulk_split.reversal_id.move_id
        self.assertEqual(bulk.reversed_entry_id, bulk_split.move_id)
        orm_rows = self.rows("account_move", "id", orm.ids, MOVE_SKIP | {"reversed_entry_id"})
        bulk_rows = self.rows("account_move", "id", bulk.ids, MOVE_SKIP | {"reversed_entry_id"})
        self.assertEqual(orm_rows, bulk_rows)
        order = "account_id, balance"
        self.assertEqual(
            self.rows("account_move_line", "move_id", orm.ids, LINE_SKIP, order),
            self.rows("account_move_line", "move_id", bulk.ids, LINE_SKIP, order),
        )
        self.assertEqual(self.relations(orm.line_ids), self.relations(bulk.line_ids))
        # The insurer's premium is reconciled with its reversal on both paths.
        for move in (orm, bulk):
            insurer_lines = (move.reversed_entry_id | move).line_ids.filtered(
                lambda line: line.account_id == self.company.rental_insurer_account_id
            )
            self.assertTrue(insurer_lines.full_reconcile_id)
            self.assertEqual(len(insurer_lines.full_reconcile_id), 1)
        # The VAT of the fee nets to zero on both paths.
        for move in (orm, bulk):
            original = move.reversed_entry_id
            tax_lines = (original | move).line_ids.filtered("tax_line_id")
            self.assertAlmostEqual(sum(tax_lines.mapped("balance")), 0.0)

    def test_payout_payments_are_identical(self):
        owner2, bank2 = self.new_owner("Owner Two")
        mandate2 = self.new_mandate(owner2, bank2)
        unit3 = self.new_unit("Flat 3", mandate2)
        for unit in (self.unit, self.unit2, unit3):
            self.pay(self.issue(self.make_lease(unit=unit, start=date(2026, 1, 1))), 960.0)
        run = self.env["rental.payout.run"].create(
            {"mandate_ids": [Command.set((self.mandate | mandate2).ids)]}
        )
        run._compute_payouts()
        orm_payout = run.payout_ids.filtered(lambda p: p.owner_id == owner2)
        bulk_payout = run.payout_ids - orm_payout
        journal = self.bank_journal
        orm_payment = orm_payout._create_payments(journal)
        bulk_payment = bulk_payout.with_env(_bulk(self.env))._create_payments(journal)
        self.assertEqual(bulk_payout.payment_id, bulk_payment)
        self.assertEqual(len(bulk_payment.move_id.line_ids), 3, "one line per property")
        skip = PAYMENT_SKIP | {"partner_id", "partner_bank_id", "amount",
                               "amount_company_currency_signed"}
        self.assertEqual(self.rows("account_payment", "id", orm_payment.ids, skip),
                         self.rows("account_payment", "id", bulk_payment.ids, skip))
        self.assertEqual(bulk_payment.move_id.origin_payment_id, bulk_payment)
        self.assertEqual(bulk_payment.name, bulk_payment.move_id.name)
        self.assertTrue(bulk_payment.name.startswith("P"))
        move_skip = MOVE_SKIP | {"partner_id", "commercial_partner_id", "partner_bank_id",
                                 "amount_total", "amount_total_signed",
                                 "amount_total_in_currency_signed"}
        self.assertEqual(
            self.rows("account_move", "id", orm_payment.move_id.ids, move_skip),
            self.rows("account_move", "id", bulk_payment.move_id.ids, move_skip),
        )
        line_skip = LINE_SKIP | {"partner_id", "rental_owner_id", "debit", "credit",
                                 "balance", "amount_currency", "amount_residual",
                                 "amount_residual_currency", "price_subtotal",
                                 "price_total"}
        orm_lines = self.rows("account_move_line", "move_id", orm_payment.move_id.ids,
                              line_skip, "account_id")
        bulk_lines = self.rows("account_move_line", "move_id", bulk_payment.move_id.ids,
                               line_skip, "account_id")
        self.assertEqual(orm_lines[0], bulk_lines[0])
        self.assertEqual(orm_lines[-1], bulk_lines[-1])
        for field in ("state", "is_reconciled", "is_matched", "outstanding_account_id",
                      "destination_account_id", "payment_method_line_id"):
            self.assertEqual(orm_payment[field], bulk_payment[field], field)


@tagged("post_install", "-at_install")
class TestOwnerSplitBulk(test_split.TestOwnerSplit):
    """Every split scenario again, written by the SQL bulk path."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = _bulk(cls.env)


@tagged("post_install", "-at_install")
class TestOwnerPayoutsBulk(test_payout.TestOwnerPayouts):
    """Every payout scenario again, with payments written by the SQL bulk path."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = _bulk(cls.env)


@tagged("post_install", "-at_install")
class TestFundsCheckBulk(test_funds_check.TestFundsCheck):
    """The funds check on entries and payments written by the SQL bulk path."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = _bulk(cls.env)
