"""Several workers matching the same bank lines at once (real connections: the rows are
committed by a separate connection and removed afterwards, as the test transaction
cannot show other connections its uncommitted rows)."""

import threading
from datetime import date

import psycopg2.errors

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestMatchingConcurrency(TransactionCase):
    LINES = 12

    def setUp(self):
        super().setUp()
        self.dbname = self.env.cr.dbname
        self.registry = Registry(self.dbname)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            journal = env["account.journal"].search([("type", "=", "bank")], limit=1)
            if not journal:
                self.skipTest("no bank journal in this database")
            lines = env["account.bank.statement.line"].create([
                {"journal_id": journal.id, "date": date(2026, 1, 5), "amount": 10.0 + n,
                 "payment_ref": f"concurrency test {n}", "partner_name": "NOBODY KNOWN"}
                for n in range(self.LINES)
            ])
            self.line_ids = lines.ids
            self.move_ids = lines.move_id.ids
            cr.commit()

    def tearDown(self):
        with db_connect(self.dbname).cursor() as cr:
            cr.execute("DELETE FROM rental_match_proposal WHERE statement_line_id = ANY(%s)",
                       [self.line_ids])
            cr.execute("DELETE FROM account_move WHERE id = ANY(%s)", [self.move_ids])
            cr.commit()
        super().tearDown()

    def env_of(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def test_two_connections_claim_disjoint_lines(self):
        with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
            lines1 = self.env_of(cr1)["account.bank.statement.line"].browse(self.line_ids)
            lines2 = self.env_of(cr2)["account.bank.statement.line"].browse(self.line_ids)
            first = lines1._rental_claim(limit=5)
            second = lines2._rental_claim()
            self.assertEqual(len(first), 5)
            self.assertEqual(len(second), self.LINES - 5)
            self.assertFalse(set(first.ids) & set(second.ids))
            with self.registry.cursor() as cr3:
                lines3 = self.env_of(cr3)["account.bank.statement.line"].browse(self.line_ids)
                self.assertFalse(lines3._rental_claim(), "everything is held")
            cr1.rollback()
            cr2.rollback()

    def test_parallel_workers_match_each_line_once(self):
        processed, conflicts, failures = {}, [], []
        barrier = threading.Barrier(3)

        def worker(name):
            try:
                with self.registry.cursor() as cr:
                    Line = self.env_of(cr)["account.bank.statement.line"]
                    barrier.wait()
                    mine = 0
                    while True:
                        try:
                            stats = Line.browse(self.line_ids)._rental_match(
                                limit=2, pending_only=True)
                            cr.commit()
                        except psycopg2.errors.SerializationFailure:
                            # another worker committed these lines after our snapshot
                            conflicts.append(name)
                            cr.rollback()
                            continue
                        if not stats["lines"]:
                            break
                        mine += stats["lines"]
                    processed[name] = mine
            except Exception as exc:  # noqa: BLE001 -- reported by the assertion below
                failures.append(repr(exc))

        threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertFalse(failures)
        self.assertEqual(sum(processed.values()), self.LINES, "each line matched exactly once")
        with db_connect(self.dbname).cursor() as cr:
            cr.execute(
                "SELECT statement_line_id, count(*) FROM rental_match_proposal "
                "WHERE statement_line_id = ANY(%s) GROUP BY statement_line_id",
                [self.line_ids],
            )
            counts = dict(cr.fetchall())
        self.assertEqual(sorted(counts), sorted(self.line_ids))
        self.assertEqual(set(counts.values()), {1})

    def test_accept_is_refused_while_a_worker_holds_the_line(self):
        from odoo.exceptions import UserError

        with self.registry.cursor() as cr:
            Line = self.env_of(cr)["account.bank.statement.line"]
            Line.browse(self.line_ids[:1])._rental_match()
            cr.commit()
        with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
            held = self.env_of(cr1)["account.bank.statement.line"].browse(self.line_ids[:1])
            self.assertEqual(held._rental_claim(), held, "a matching run holds the line")
            proposal = self.env_of(cr2)["rental.match.proposal"].search(
                [("statement_line_id", "=", self.line_ids[0])])
            self.assertEqual(len(proposal), 1)
            with self.assertRaisesRegex(UserError, "being processed right now"):
                proposal.action_accept()
            cr1.rollback()
            cr2.rollback()
