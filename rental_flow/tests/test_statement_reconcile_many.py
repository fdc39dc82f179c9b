"""``account.bank.statement.line._rental_reconcile_many``: many bank lines reconciled at
once give the same entries as ``_rental_reconcile_with`` line by line, and bad input is
refused the same way (clear error, nothing changed)."""

from datetime import date

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL

from .split_common import SplitTestCommon


class _Rollback(Exception):
    pass


# Columns that differ between two runs whatever they do: row ids, who and when, and the
# ids of the reconciliations (the matching number is compared as: set, full or partial).
# ``is_manually_modified`` is compared on the bank entries only (with the lines, above):
# Odoo's reconciliation item by item also marks the rent calls as edited by hand, as a
# side effect of writing them (the flag only drives the vendor bill auto-posting
# wizard); a reconciliation in bulk leaves them as they were.
VOLATILE = frozenset({"id", "create_uid", "create_date", "write_uid", "write_date",
                      "full_reconcile_id", "matching_number", "is_manually_modified"})


@tagged("post_install", "-at_install")
class TestStatementReconcileMany(SplitTestCommon):
    def setUp(self):
        super().setUp()
        self.lease = self.make_lease(start=date(2026, 1, 1), rent=900.0, charges=60.0)
        self.jan, self.feb, self.mar, self.apr = self.issue(self.lease, until=date(2026, 4, 1))
        self.tenant = self.jan.partner_id
        self.other = self.env["res.partner"].create({"name": "Housing Fund"})

    def bank_line(self, amount, **values):
        return self.env["account.bank.statement.line"].create(
            {"journal_id": self.bank_journal.id, "date": date(2026, 2, 5), "amount": amount,
             "payment_ref": "VIR LOYER", **values}
        )

    def snapshot(self, lines, calls):
        """Everything the reconciliation changes, without the database ids."""
        self.env.flush_all()
        self.env.invalidate_all()

        def matched(item):
            partials = item.matched_debit_ids | item.matched_credit_ids
            return sorted(
                ((partial.debit_move_id | partial.credit_move_id) - item).move_id.name
                for partial in partials
            ), sorted(partials.mapped("amount"))

        result = []
        for line in lines:
            move = line.move_id
            result.append((
                line.is_reconciled, line.partner_id.id, line.amount, line.payment_ref,
                line.foreign_currency_id.id, line.amount_currency,
                move.state, move.partner_id.id, move.currency_id.id, move.is_manually_modified,
                [
                    (item.account_id.id, item.partner_id.id, item.name, item.amount_currency,
                     item.balance, item.debit, item.credit, item.currency_id.id,
                     item.amount_residual, item.reconciled, item.display_type,
                     item.analytic_distribution, item.analytic_line_ids.mapped("amount"),
                     *matched(item))
                    for item in move.line_ids.sorted("id")
                ],
            ))
        # every stored column of the bank lines, the bank entries, the rent calls and
        # all their journal items
        moves = lines.move_id | calls
        result.append({
            "account_bank_statement_line": self.rows("account_bank_statement_line", lines.ids),
            "account_move": self.rows("account_move", moves.ids),
            # by entry: in bulk with a distribution model, the counterparts are new items
            "account_move_line": self.rows("account_move_line", moves.line_ids.ids,
                                           order="move_id, id"),
        })
        result.append([(call.payment_state, call.amount_residual) for call in calls])
        result.append([(split.call_id.name, split.amount) for split in self.splits(calls)])
        return result

    def rows(self, table, ids, order="id"):
        """The rows of ``table`` (in ``order``), without the ``VOLATILE`` columns."""
        self.env.cr.execute(SQL("SELECT * FROM %s WHERE id = ANY(%s) ORDER BY %s",
                                SQL.identifier(table), ids, SQL(order)))
        result = []
        for row in self.env.cr.dictfetchall():
            number = row.get("matching_number")
            result.append({
                **{column: value for column, value in row.items() if column not in VOLATILE},
                "matching": number and ("partial" if number.startswith("P") else "full"),
            })
        return result

    def rolled_back(self, run, lines, calls):
        """The snapshot after ``run()``, everything undone afterwards."""
        try:
            with self.env.cr.savepoint():
                run()
                snapshot = self.snapshot(lines, calls)
                raise _Rollback
        except _Rollback:
            pass
        self.env.invalidate_all()
        return snapshot

    def plan(self):
        """Bank lines of every shape the engine produces and their allocations."""
        rec = self.receivable
        credit_line = self.bank_line(960.0)
        credit = credit_line._rental_reconcile_with(
            [], rest_partner=self.tenant, rest_account=self.tenant_account
        )
        return {
            # one month exactly (the common case)
            self.bank_line(960.0): {"allocations": [(rec(self.jan), 960.0)]},
            # two months and an overpayment kept as the tenant's credit
            self.bank_line(2000.0): {
                "allocations": [(rec(self.feb), 960.0), (rec(self.mar), 960.0)],
                "rest_partner": self.tenant, "rest_account": self.tenant_account,
            },
            # a partial payment, with a label, paid by someone else
            self.bank_line(300.0, partner_id=self.other.id): {
                "allocations": [(rec(self.apr), 300.0)], "label": "CAF share",
            },
            # nothing allocated: all of it the payer's credit
            self.bank_line(50.0): {
                "allocations": [], "rest_partner": self.other,
                "rest_account": self.tenant_account,
            },
            # a returned payment settles the credit
            self.bank_line(-960.0): {"allocations": [(credit, 960.0)]},
        }

    def many_and_one_by_one(self):
        """Snapshots of the plan reconciled one by one, then all at once (both rolled
        back)."""
        plan = self.plan()
        lines = self.env["account.bank.statement.line"].union(*plan)
        calls = self.jan | self.feb | self.mar | self.apr

        def one_by_one():
            for line, spec in plan.items():
                line._rental_reconcile_with(**spec)

        expected = self.rolled_back(one_by_one, lines, calls)
        got = self.rolled_back(lambda: lines._rental_reconcile_many(plan), lines, calls)
        return expected, got, len(plan)

    def test_many_gives_the_entries_of_one_by_one(self):
        expected, got, count = self.many_and_one_by_one()
        # the single path did reconcile everything (not a comparison of two no-ops)
        self.assertTrue(all(row[0] for row in expected[:count]))
        self.assertEqual([state for state, __ in expected[-2]],
                         ["paid", "paid", "paid", "partial"])
        self.assertEqual(len(expected[-1]), 4, "one owner split per rent call")
        self.assertEqual(got, expected)

    def test_many_applies_analytic_distribution_models(self):
        """Without a distribution model the bulk path skips the analytic computation; with
        one, the counterparts get their distribution and analytic lines as one by one."""
        plan_record = self.env["account.analytic.plan"].create({"name": "Buildings"})
        building = self.env["account.analytic.account"].create(
            {"name": "Residence Les Tilleuls", "plan_id": plan_record.id}
        )
        self.env["account.analytic.distribution.model"].create({
            "account_prefix": self.tenant_account.code,
            "analytic_distribution": {str(building.id): 100},
        })
        expected, got, count = self.many_and_one_by_one()
        distributed = [item for row in expected[:count] for item in row[-1]
                       if item[11] == {str(building.id): 100}]
        self.assertTrue(distributed, "the model applies to the tenant counterparts")
        self.assertTrue(all(item[12] for item in distributed), "with analytic lines")
        self.assertEqual(got, expected)

    def test_many_returns_the_counterparts(self):
        plan = self.plan()
        lines = self.env["account.bank.statement.line"].union(*plan)
        result = lines._rental_reconcile_many(plan)
        self.assertEqual(set(result), set(lines))
        two_months = lines[1]
        counterparts = result[two_months]
        self.assertEqual(len(counterparts), 3)
        self.assertEqual(counterparts.mapped("balance"), [-960.0, -960.0, -80.0])
        self.assertEqual(counterparts[:2].mapped("reconciled"), [True, True])
        self.assertFalse(counterparts[2].reconciled, "the overpayment stays open")
        self.assertTrue(all(lines.mapped("is_reconciled")))
        # each line is a standard bank reconciliation: Odoo's undo works on it
        two_months.action_undo_reconciliation()
        self.assertEqual((self.feb | self.mar).mapped("payment_state"),
                         ["not_paid", "not_paid"])
        self.assertFalse(two_months.is_reconciled)

    def assertRefused(self, lines, plan, message):
        before = {line: line.move_id.line_ids for line in lines}
        items = self.env["account.move.line"].search_count([])
        calls = self.jan | self.feb | self.mar | self.apr
        states = calls.mapped("payment_state")
        with self.assertRaisesRegex(UserError, message):
            lines._rental_reconcile_many(plan)
        for line, items_before in before.items():
            self.assertEqual(line.move_id.line_ids, items_before)
        self.assertEqual(self.env["account.move.line"].search_count([]), items)
        self.assertEqual(calls.mapped("payment_state"), states)

    def test_one_bad_line_refuses_the_batch_and_changes_nothing(self):
        rec = self.receivable
        good = self.bank_line(960.0)
        bad = self.bank_line(960.0)
        good_spec = {"allocations": [(rec(self.jan), 960.0)]}
        lines = good | bad
        # the same errors as the single path, for each kind of bad input
        for spec, message in (
            ({"allocations": [(rec(self.feb), 970.0)]}, "not open for that much"),
            ({"allocations": [(rec(self.feb), 960.0), (rec(self.mar), 10.0)]}, "exceed"),
            ({"allocations": [(rec(self.feb), -5.0)]}, "not open"),
        ):
            with self.assertRaisesRegex(UserError, message):
                bad._rental_reconcile_with(**spec)
            self.assertRefused(lines, {good: good_spec, bad: spec}, message)
        self.assertRefused(lines, {good: good_spec}, "nothing planned")
        bad._rental_reconcile_with(allocations=[(rec(self.feb), 960.0)])
        self.assertRefused(lines, {good: good_spec,
                                   bad: {"allocations": [(rec(self.mar), 960.0)]}},
                           "already reconciled")
        self.assertFalse(good.is_reconciled)

    def test_lines_together_may_not_exceed_an_item(self):
        first = self.bank_line(600.0)
        second = self.bank_line(600.0)
        item = self.receivable(self.jan)
        plan = {first: {"allocations": [(item, 600.0)]},
                second: {"allocations": [(item, 600.0)]}}
        self.assertRefused(first | second, plan, "more than its residual")
        plan[second] = {"allocations": [(item, 360.0)], "rest_partner": self.tenant}
        (first | second)._rental_reconcile_many(plan)
        self.assertEqual(self.jan.payment_state, "paid")
        self.assertTrue(first.is_reconciled and second.is_reconciled)

    def test_a_line_twice_is_refused(self):
        line = self.bank_line(960.0)
        twice = self.env["account.bank.statement.line"].browse([line.id, line.id])
        self.assertRefused(twice, {line: {"allocations": [(self.receivable(self.jan), 960.0)]}},
                           "twice")

    # -- the batch write of the suspense items ------------------------------------------

    def suspense_and_values(self, count=2):
        """Suspense items of new bank lines and the values a reconciliation writes."""
        lines = self.env["account.bank.statement.line"].union(
            *(self.bank_line(960.0) for __ in range(count))
        )
        items = self.env["account.move.line"].union(
            *(line._seek_for_lines()[1] for line in lines)
        )
        vals_list = [
            {"account_id": self.tenant_account.id, "partner_id": self.tenant.id,
             "name": f"Rent {n}"}
            for n in range(count)
        ]
        return items, vals_list

    def assertWriteRefused(self, items, vals_list, error, message):
        self.env.flush_all()
        before = [(item.account_id, item.partner_id, item.name) for item in items]
        with self.assertRaisesRegex(error, message):
            with self.env.cr.savepoint():
                items._rental_write_many(vals_list)
        self.env.invalidate_all()
        self.assertEqual([(item.account_id, item.partner_id, item.name) for item in items],
                         before)

    def test_write_many_writes_each_item_its_values(self):
        items, vals_list = self.suspense_and_values(3)
        items._rental_write_many(vals_list)
        self.env.invalidate_all()
        self.assertEqual(items.mapped("name"), ["Rent 0", "Rent 1", "Rent 2"])
        self.assertEqual(items.account_id, self.tenant_account)
        # what depends on the account is recomputed: now a receivable, open
        self.assertEqual(items.mapped("amount_residual"), [-960.0] * 3)
        self.assertFalse(any(items.mapped("reconciled")))

    def test_write_many_refuses_bad_input_and_changes_nothing(self):
        items, vals_list = self.suspense_and_values()
        self.assertWriteRefused(items, vals_list[:1], ValueError, "one dictionary")
        self.assertWriteRefused(items, [vals_list[0], {"name": "Rent"}], ValueError,
                                "same keys")
        self.assertWriteRefused(items, [{**vals, "date": date(2026, 2, 6)}
                                        for vals in vals_list], ValueError, "same keys")
        deprecated = self.env["account.account"].create(
            {"code": "471900", "name": "Old suspense", "account_type": "asset_current",
             "reconcile": True, "deprecated": True}
        )
        self.assertWriteRefused(items, [{**vals, "account_id": deprecated.id}
                                        for vals in vals_list], UserError, "deprecated")
        # a period locked after the lines came in (Odoo refuses to lock a period with
        # unreconciled bank lines from its settings: the lock is set directly)
        self.env.cr.execute(SQL("UPDATE res_company SET fiscalyear_lock_date = %s "
                                "WHERE id = %s", date(2026, 2, 28), self.company.id))
        self.company.invalidate_recordset(["fiscalyear_lock_date"])
        self.assertWriteRefused(items, vals_list, UserError, "Lock Date")
        self.env.cr.execute(SQL("UPDATE res_company SET fiscalyear_lock_date = NULL "
                                "WHERE id = %s", self.company.id))
        self.company.invalidate_recordset(["fiscalyear_lock_date"])
        # an item already reconciled (here: by the single path) is not rewritten
        line = items[0].statement_line_id
        line._rental_reconcile_with(allocations=[(self.receivable(self.jan), 960.0)])
        self.assertWriteRefused(line.move_id.line_ids.filtered("reconciled") | items[1],
                                vals_list, UserError, "unreconciled")
