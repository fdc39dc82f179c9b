"""Concurrent workers claiming webhook events: ``FOR UPDATE SKIP LOCKED`` on real
connections (the test transaction cannot show another connection uncommitted rows, so
the rows used here are committed by a separate connection and removed afterwards)."""

import threading
from datetime import datetime

import psycopg2.errors

from odoo import fields
from odoo.sql_db import db_connect
from odoo.tests import TransactionCase, tagged

from odoo.addons.rental_flow_bank.models.rental_bank_event import claim_event_ids


@tagged("post_install", "-at_install")
class TestWebhookClaim(TransactionCase):
    """Two workers never get the same event."""

    def setUp(self):
        super().setUp()
        self.dbname = self.env.cr.dbname
        self.connections = []
        with db_connect(self.dbname).cursor() as cr:
            cr.execute("SELECT id, company_id FROM account_journal WHERE type = 'bank' "
                       "ORDER BY id LIMIT 1")
            journal_id, company_id = cr.fetchone()
            cr.execute(
                """
                INSERT INTO rental_bank_connector
                       (name, company_id, journal_id, provider, base_url, webhook_auth,
                        webhook_key, active, sequence, webhook_tolerance, timeout, max_retries,
                        auto_sync, sync_overlap_days)
                VALUES ('claim test', %s, %s, 'memo_bank', 'http://127.0.0.1:1', 'bearer',
                        'claim-test-key', true, 10, 300, 1, 0, false, 1)
                RETURNING id
                """,
                [company_id, journal_id],
            )
            self.connector_id = cr.fetchone()[0]
            cr.execute(
                """
                INSERT INTO rental_bank_event (connector_id, company_id, event_id, state,
                                               attempts, received_at)
                SELECT %s, %s, 'claim-' || n, 'new', 0, now() at time zone 'utc'
                  FROM generate_series(1, 20) n
                RETURNING id
                """,
                [self.connector_id, company_id],
            )
            self.event_ids = sorted(row[0] for row in cr.fetchall())
            cr.commit()

    def tearDown(self):
        with db_connect(self.dbname).cursor() as cr:
            cr.execute("DELETE FROM rental_bank_connector WHERE id = %s", [self.connector_id])
            cr.commit()
        super().tearDown()

    def test_two_cursors_claim_disjoint_sets(self):
        now = fields.Datetime.now()
        with db_connect(self.dbname).cursor() as cr1, db_connect(self.dbname).cursor() as cr2:
            first = claim_event_ids(cr1, 8, now, ids=self.event_ids)
            second = claim_event_ids(cr2, 100, now, ids=self.event_ids)
            self.assertEqual(len(first), 8)
            self.assertEqual(len(second), 12)
            self.assertFalse(set(first) & set(second))
            self.assertEqual(sorted(first + second), self.event_ids)
            # while both hold their locks, a third worker gets nothing
            with db_connect(self.dbname).cursor() as cr3:
                self.assertEqual(claim_event_ids(cr3, 100, now, ids=self.event_ids), [])
            # the first worker finishes its events: nobody claims them again
            cr1.execute("UPDATE rental_bank_event SET state = 'done' WHERE id = ANY(%s)",
                        [first])
            cr1.commit()
            cr2.rollback()  # the second worker crashed: its events are claimable again
            with db_connect(self.dbname).cursor() as cr4:
                self.assertEqual(claim_event_ids(cr4, 100, now, ids=self.event_ids),
                                 sorted(second))

    def test_parallel_workers_process_each_event_once(self):
        now = datetime.now()
        claimed, conflicts = {}, []
        barrier = threading.Barrier(4)

        def worker(name):
            with db_connect(self.dbname).cursor() as cr:
                barrier.wait()
                mine = []
                while True:
                    try:
                        ids = claim_event_ids(cr, 3, now, ids=self.event_ids)
                    except psycopg2.errors.SerializationFailure:
                        # another worker finished some events after this snapshot
                        conflicts.append(name)
                        cr.rollback()
                        continue
                    if not ids:
                        break
                    cr.execute("UPDATE rental_bank_event SET state = 'done', "
                               "attempts = attempts + 1 WHERE id = ANY(%s)", [ids])
                    cr.commit()
                    mine += ids
                claimed[name] = mine

        threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        everything = [i for ids in claimed.values() for i in ids]
        self.assertEqual(sorted(everything), self.event_ids, "each event exactly once")
        with db_connect(self.dbname).cursor() as cr:
            cr.execute("SELECT DISTINCT attempts FROM rental_bank_event WHERE id = ANY(%s)",
                       [self.event_ids])
            self.assertEqual(cr.fetchall(), [(1,)])


@tagged("post_install", "-at_install")
class TestAfterCommitRunner(TransactionCase):
    """One background runner per connector: a burst of deliveries is processed in a few
    batches, and no delivery is forgotten."""

    def test_burst_is_coalesced(self):
        from odoo.addons.rental_flow_bank.models import rental_bank_event as module

        started, release, calls = threading.Event(), threading.Event(), []

        def process(dbname, connector_id):
            calls.append((dbname, connector_id))
            started.set()
            release.wait(10)

        thread = module.schedule_after_commit("db", 7, process=process)
        self.assertTrue(started.wait(10))
        # deliveries arriving while the runner works: no new thread, one more round
        for _n in range(20):
            self.assertIsNone(module.schedule_after_commit("db", 7, process=process))
        other = module.schedule_after_commit("db", 8, process=process)
        self.assertIsNotNone(other, "another connector gets its own runner")
        release.set()
        thread.join(10)
        other.join(10)
        self.assertEqual(calls.count(("db", 7)), 2)
        self.assertEqual(calls.count(("db", 8)), 1)
        self.assertNotIn(("db", 7), module._RUNNERS)
        # after the runner ended, a new delivery starts a new one
        release.set()
        again = module.schedule_after_commit("db", 7, process=process)
        again.join(10)
        self.assertEqual(calls.count(("db", 7)), 3)
