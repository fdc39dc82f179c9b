import json
from datetime import datetime

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.rental_flow_bank.engines import webhook_auth

from .common_bankfeeds import MASTER_IBAN, SECOND_IBAN, VIBANS
from .common_connectors import (
    MEMO_WEBHOOK_TOKEN,
    ConnectorCommon,
    memo_transaction,
    qonto_transaction,
)


@tagged("post_install", "-at_install")
class TestConnector(ConnectorCommon):
    """Bank API connectors: synchronisation, virtual IBANs, transfers, secrets."""

    def test_memo_sync_creates_lines_once(self):
        self.bank.transactions = [
            memo_transaction("m1", 85000, local_iban=VIBANS[0]),
            memo_transaction("m2", 31240, local_iban=VIBANS[1], message="CAF RF81LOT12JAN26"),
            memo_transaction("m3", 123456, direction="debit", local_iban=MASTER_IBAN),
            memo_transaction("m4", 5000, local_iban=VIBANS[2], status="authorized"),
            memo_transaction("m5", 85000, direction="debit", local_iban=VIBANS[5],
                             type="transfer_incoming_return", reason="incorrect_account_number"),
        ]
        log = self.memo._sync_transactions()
        self.assertEqual(log.state, "done", log.error)
        self.assertEqual((log.source, log.connector_id), ("api", self.memo))
        self.assertEqual((log.created_count, log.duplicate_count), (4, 0))
        lines = self.lines_of(self.master_journal)
        self.assertEqual(lines.mapped("unique_import_id"),
                         [f"{MASTER_IBAN}|ref|m{i}" for i in (1, 2, 3, 5)])
        self.assertEqual(lines[0].rental_property_id, self.flats[0])
        self.assertEqual(lines[0].partner_name, "DUPONT MARIE")
        self.assertEqual(lines[0].rental_end_to_end_id, "E2E-m1")
        self.assertEqual(lines[1].rental_structured_ref, "RF81LOT12JAN26")
        self.assertEqual(lines[2].amount, -1234.56)
        self.assertEqual(lines[3].rental_return_reason_code, "incorrect_account_number")
        self.assertEqual(lines[0].transaction_details["source"], "api")
        self.assertEqual(lines[0].transaction_details["raw"]["id"], "m1")
        self.assertTrue(self.memo.last_sync_date)
        first_request = self.bank.requests[0]
        self.assertIn("start_date=", first_request["path"])
        self.assertEqual(first_request["claims"]["aud"], "127.0.0.1")
        # again: nothing new, the confirmed one is picked up
        self.bank.transactions[3]["status"] = "confirmed"
        again = self.memo._sync_transactions()
        self.assertEqual((again.created_count, again.duplicate_count), (1, 4))
        self.assertEqual(len(self.lines_of(self.master_journal)), 5)

    def test_sync_window_overlaps_last_sync(self):
        self.memo.last_sync_date = datetime(2026, 3, 10, 12, 0)
        self.memo.sync_overlap_days = 3
        self.memo._sync_transactions()
        self.assertIn("start_date=2026-03-07T12%3A00%3A00%2B00%3A00",
                      self.bank.requests[0]["path"])

    def test_qonto_sync(self):
        self.bank.transactions = [qonto_transaction("q1", 64000),
                                  qonto_transaction("q2", 1250, side="debit"),
                                  qonto_transaction("q3", 777, status="pending")]
        log = self.qonto._sync_transactions()
        self.assertEqual(log.state, "done", log.error)
        lines = self.lines_of(self.second_journal)
        self.assertEqual(lines.mapped("amount"), [640.0, -12.5])
        self.assertEqual(lines[0].unique_import_id, f"{SECOND_IBAN}|ref|q1")
        self.assertEqual(self.bank.requests[0]["headers"]["Authorization"],
                         "agency:qonto-secret")

    def test_sync_retries_then_reports(self):
        self.bank.transactions = [memo_transaction("m1", 100, local_iban=VIBANS[0])]
        self.bank.fail_next = [500, 429]
        log = self.memo._sync_transactions()
        self.assertEqual(log.created_count, 1)
        self.bank.fail_next = [503] * 10
        before = self.counts()
        with self.assertRaisesRegex(UserError, "503"):
            self.memo._sync_transactions()
        self.assertEqual(self.counts(), before)
        self.assertEqual(len(self.bank.requests), 3 + 4)  # 3 attempts, then 1 + 3 retries

    def test_sync_refuses_wrong_currency(self):
        self.bank.transactions = [dict(memo_transaction("m1", 100), currency="USD")]
        log = self.memo._sync_transactions()
        self.assertEqual(log.state, "failed")
        self.assertIn("USD", log.error)
        self.assertFalse(self.lines_of(self.master_journal))

    def test_cron_sync_keeps_going_after_a_failure(self):
        self.qonto.qonto_login = "nobody"
        self.bank.transactions = [memo_transaction("m1", 100, local_iban=VIBANS[0])]
        self.env["rental.bank.connector"]._cron_sync()
        self.assertIn("401", self.qonto.last_error)
        self.assertEqual(len(self.lines_of(self.master_journal)), 1)

    def test_pool_creates_ibans_at_the_bank(self):
        pool = self.env["rental.virtual.iban.pool"].create({
            "name": "API pool", "journal_id": self.master_journal.id,
            "provider": "connector", "connector_id": self.memo.id,
        })
        units = self.env["rental.property"].create(
            [{"name": f"API flat {i}", "parent_id": self.building.id} for i in range(3)]
        )
        ibans = pool._allocate(units)
        self.assertEqual(len(ibans), 3)
        self.assertEqual(len(self.bank.ibans), 3)
        self.assertEqual(units.virtual_iban_id, ibans)
        self.assertEqual(sorted(ibans.mapped("provider_ref")),
                         sorted(i["id"] for i in self.bank.ibans))
        self.assertEqual(sorted(i["name"] for i in self.bank.ibans),
                         sorted(units.mapped("display_name")))
        posts = [r for r in self.bank.requests if r["method"] == "POST"]
        self.assertEqual(len({r["headers"]["Idempotency-Key"] for r in posts}), 3)
        # the same allocation retried after a rollback replays the same creations
        other = self.env["rental.property"].create({"name": "API flat X",
                                                    "parent_id": self.building.id})
        savepoint = self.env.cr.savepoint()
        pool._allocate(other)
        savepoint.close(rollback=True)
        self.env.invalidate_all()
        pool._allocate(other)
        self.assertEqual(len(self.bank.ibans), 4, "the retried creation was replayed")
        self.assertTrue(other.virtual_iban_id)

    def test_pool_imports_the_bank_list(self):
        pool = self.env["rental.virtual.iban.pool"].create({
            "name": "API pool", "journal_id": self.master_journal.id,
            "provider": "connector", "connector_id": self.memo.id,
        })
        provider = self.memo._get_provider()
        rows = [provider.create_virtual_iban(f"Bank {i}") for i in range(3)]
        created = pool.action_import_connector_ibans()
        self.assertEqual(sorted(created.mapped("name")), sorted(r["iban"] for r in rows))
        self.assertFalse(pool.action_import_connector_ibans(), "nothing new the second time")

    def test_pool_without_api_support(self):
        pool = self.env["rental.virtual.iban.pool"].create({
            "name": "Qonto pool", "journal_id": self.second_journal.id,
            "provider": "connector", "connector_id": self.qonto.id,
        })
        unit = self.env["rental.property"].create({"name": "Q flat",
                                                   "parent_id": self.building.id})
        with self.assertRaisesRegex(UserError, "cannot create virtual IBANs"):
            pool._allocate(unit)

    def test_transfer(self):
        transfer = self.memo._create_transfer(
            123456, "FR7630004000010000055500044", "Owner One", "Reversement janvier",
            "OWNPAY-2026-01-1", idempotency_key="payout-line-1",
        )
        self.assertEqual(transfer["amount"], 123456)
        request = self.bank.requests[-1]
        self.assertEqual(request["headers"]["Idempotency-Key"], "payout-line-1")
        body = json.loads(request["body"])
        self.assertEqual(body["end_to_end_id"], "OWNPAY-2026-01-1")
        with self.assertRaisesRegex(UserError, "cannot initiate transfers"):
            self.qonto._create_transfer(1, "FR76", "x", "x", "x", "k")

    def test_secrets_are_write_only(self):
        stored = self.memo.sudo()
        self.assertIn("BEGIN PRIVATE KEY", stored.memo_private_key)
        self.assertEqual(stored.memo_secret_code, "SEC")
        self.assertEqual(stored.webhook_token_digest,
                         webhook_auth.token_digest(MEMO_WEBHOOK_TOKEN))
        self.assertNotIn(MEMO_WEBHOOK_TOKEN, json.dumps(stored.read()[0], default=str))
        self.assertFalse(self.memo.memo_private_key_input)
        self.assertFalse(self.memo.webhook_token_input)
        self.assertEqual(self.memo.credentials_state, "Set")
        # an accounting manager (not a system administrator) sets but cannot read them
        manager = new_test_user(self.env, "bankmanager", groups="account.group_account_manager",
                                company_id=self.company.id)
        as_manager = self.memo.with_user(manager)
        with self.assertRaises(AccessError):
            as_manager.read(["memo_secret_code"])
        self.assertNotIn("memo_private_key", as_manager.fields_get())
        as_manager.write({"memo_secret_code_input": "NEW"})
        self.assertEqual(stored.memo_secret_code, "NEW")
        as_manager.write({"memo_secret_code_input": False})
        self.assertEqual(stored.memo_secret_code, "NEW", "an empty input keeps the secret")
        with self.assertRaisesRegex(UserError, "not a valid"):
            as_manager.write({"memo_private_key_input": "garbage"})
        # a bookkeeper sees the connector, not the secrets nor the webhook key
        bookkeeper = new_test_user(self.env, "bookkeeper", groups="account.group_account_user",
                                   company_id=self.company.id)
        self.assertEqual(self.memo.with_user(bookkeeper).name, "Memo test")
        with self.assertRaises(AccessError):
            self.memo.with_user(bookkeeper).read(["webhook_key"])
        with self.assertRaises(AccessError):
            self.memo.with_user(bookkeeper).write({"name": "x"})

    def test_missing_credentials(self):
        connector = self.env["rental.bank.connector"].create({
            "name": "Empty", "provider": "memo_bank", "journal_id": self.master_journal.id,
            "base_url": self.bank_url,
        })
        self.assertIn("private key", connector.credentials_state)
        with self.assertRaisesRegex(UserError, "private_key"):
            connector._sync_transactions()

    def test_import_log_visible_to_accountants_only_of_their_company(self):
        log = self.memo._sync_transactions()
        billing = new_test_user(self.env, "billing", groups="account.group_account_invoice",
                                company_id=self.company.id)
        self.assertEqual(log.with_user(billing).state, "nothing_new")
        other = self.setup_other_company()["company"]
        outsider = new_test_user(self.env, "outsider", groups="account.group_account_invoice",
                                 company_id=other.id, company_ids=[Command.set(other.ids)])
        self.assertFalse(self.env["rental.bank.import"].with_user(outsider).search(
            [("id", "=", log.id)]))

    def test_webhook_url(self):
        self.assertTrue(self.memo.webhook_url.endswith(
            f"/rental_flow_bank/webhook/{self.memo.webhook_key}"))
        old = self.memo.webhook_key
        self.memo.action_regenerate_webhook_key()
        self.assertNotEqual(self.memo.webhook_key, old)
        self.assertEqual(self.memo.webhook_auth, "bearer")
        self.assertEqual((self.qonto.webhook_auth, self.qonto.webhook_header),
                         ("hmac", "X-Qonto-Signature"))
