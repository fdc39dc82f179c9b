"""Settlement of many direct debits from one statement: reconciled together, with the
same result as one by one, and line by line when the batch fails."""

from datetime import date
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common_sdd import SddCommon


class _Rollback(Exception):
    pass


@tagged("post_install", "-at_install")
class TestSddSettlementBatch(SddCommon):
    def setUp(self):
        super().setUp()
        self.make_mandate(self.tenant2, self.tenant2_bank)
        tenant3 = self.env["res.partner"].create({"name": "Tenant Three"})
        bank3 = self.env["res.partner.bank"].create(
            {"partner_id": tenant3.id, "acc_number": "FR7630006000011234567890189"})
        self.make_mandate(tenant3, bank3)
        self.leases = (self.dd_lease()
                       | self.dd_lease(unit=self.flats[1], tenant=self.tenant2)
                       | self.dd_lease(unit=self.flats[2], tenant=tenant3))
        self.run = self.collect(date(2026, 2, 10))
        self.debits = self.run.debit_ids.sorted(lambda d: d.lease_id.id)
        self.assertEqual(self.debits.mapped("state"), ["sent"] * 3)
        self.calls = self.debits.move_ids

    def import_credits(self, amounts=None):
        amounts = amounts or [None] * len(self.debits)
        return self.import_entries([
            self.credit(debit, f"SDD-B-{n}", amount=amount)
            for n, (debit, amount) in enumerate(zip(self.debits, amounts, strict=True))
        ], stmt_id="SDD-BATCH")

    def test_credits_of_a_statement_are_settled_together(self):
        Line = type(self.env["account.bank.statement.line"])
        original = Line._rental_reconcile_many
        batches = []

        def spy(lines, plan):
            batches.append(len(plan))
            return original(lines, plan)

        with patch.object(Line, "_rental_reconcile_many", spy):
            self.import_credits()
        self.assertEqual(batches, [3], "one reconciliation for the three credits")
        self.assertEqual(self.debits.mapped("state"), ["settled"] * 3)
        self.assertTrue(all(self.debits.settlement_line_id.mapped("is_reconciled")))
        self.assertEqual(set(self.calls.mapped("payment_state")), {"paid"})
        self.assertEqual(len(self.splits(self.calls)), len(self.calls), "owner splits")
        self.assertEqual(self.run.state, "settled")
        self.assertIn("3 direct debits settled", self.run.message_ids[0].body)

    def entries(self):
        self.env.flush_all()
        self.env.invalidate_all()
        return [
            sorted((item.account_id.id, item.partner_id.id, item.balance, item.name,
                    item.reconciled) for item in debit.settlement_line_id.move_id.line_ids)
            for debit in self.debits
        ] + [self.calls.mapped("payment_state"), self.debits.mapped("state")]

    def test_batch_gives_the_entries_of_one_by_one(self):
        Line = type(self.env["account.bank.statement.line"])

        def broken(lines, plan):
            raise UserError("forced: line by line")

        try:
            with self.env.cr.savepoint():
                with patch.object(Line, "_rental_reconcile_many", broken):
                    self.import_credits()
                single = self.entries()
                raise _Rollback
        except _Rollback:
            pass
        self.env.invalidate_all()
        self.assertEqual(single[-1], ["settled"] * 3, "the single path did settle")
        self.import_credits()
        self.assertEqual(self.entries(), single)

    def test_a_credit_of_another_amount_goes_to_the_matching(self):
        wrong = self.debits[1]
        self.import_credits([None, wrong.amount - 10, None])
        self.assertEqual(self.debits.mapped("state"), ["settled", "sent", "settled"])
        notes = wrong.message_ids.filtered(lambda m: "left to the matching" in (m.body or ""))
        self.assertEqual(len(notes), 1, "said once")

    def test_batch_failure_settles_line_by_line(self):
        Line = type(self.env["account.bank.statement.line"])

        def broken(lines, plan):
            raise UserError("locked period")

        with patch.object(Line, "_rental_reconcile_many", broken):
            self.import_credits()
        self.assertEqual(self.debits.mapped("state"), ["settled"] * 3)
        self.assertEqual(set(self.calls.mapped("payment_state")), {"paid"})
        for debit in self.debits:
            self.assertIn("Settled by bank line", debit.message_ids[0].body)
