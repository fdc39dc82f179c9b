import json
import time

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.rental_flow_bank.engines import webhook_auth
from odoo.addons.rental_flow_bank.models.rental_bank_event import process_after_commit

from .common_bankfeeds import MASTER_IBAN, VIBANS
from .common_connectors import (
    MEMO_WEBHOOK_TOKEN,
    QONTO_WEBHOOK_SECRET,
    SWAN_SECRET,
    ConnectorCommon,
    memo_transaction,
    qonto_transaction,
)

LOGGERS = ("odoo.addons.rental_flow_bank.models.rental_bank_event", "werkzeug",
           "odoo.http")


def memo_event(event_id, tx_id, event_type="transaction_confirmed"):
    return json.dumps({
        "id": event_id, "date": "2026-01-05T09:00:01+00:00", "event_type": event_type,
        "resource_type": "transaction", "resource_id": tx_id,
    }).encode()


def qonto_event(event_id, transaction, kind="created"):
    return json.dumps({
        "id": event_id, "subscription_id": "sub-1", "organization_id": "org-1",
        "type": "v1/transactions", "created_at": "2026-01-05T10:00:01Z",
        "data": {"event": kind, **transaction},
    }).encode()


@tagged("post_install", "-at_install")
class TestWebhookHttp(ConnectorCommon, HttpCase):
    """Webhooks over real HTTP: authentication, replays, stale signatures, size limit."""

    def post(self, connector, body, headers=None, key=None):
        key = key or connector.sudo().webhook_key
        return self.url_open(
            f"/rental_flow_bank/webhook/{key}", data=body,
            headers={"Content-Type": "application/json", **(headers or {})},
        )

    def events(self, connector):
        return self.env["rental.bank.event"].search([("connector_id", "=", connector.id)])

    def qonto_headers(self, body, timestamp=None, secret=QONTO_WEBHOOK_SECRET):
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = webhook_auth.hmac_signature(secret, stamp, body)
        return {"X-Qonto-Signature": f"t={stamp},v1={signature}"}

    # -- Memo Bank: bearer token, thin events -------------------------------------------

    def test_memo_bearer_then_processing(self):
        self.bank.transactions = [memo_transaction("tx-1", 85000, local_iban=VIBANS[0])]
        body = memo_event("ev-1", "tx-1")
        response = self.post(self.memo, body, {"Authorization": f"Bearer {MEMO_WEBHOOK_TOKEN}"})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json(), {"status": "accepted"})
        event = self.events(self.memo)
        self.assertRecordValues(event, [{
            "event_id": "ev-1", "event_type": "transaction_confirmed", "resource_id": "tx-1",
            "state": "new", "attempts": 0,
        }])
        self.assertEqual(event.body, body.decode())
        self.assertNotIn("Authorization", json.dumps(event.headers))
        self.assertFalse(self.bank.requests, "the webhook answers without calling the bank")
        # the cron fetches the transaction and creates the line
        self.env["rental.bank.event"]._cron_process()
        self.assertEqual(event.state, "done", event.error)
        line = event.statement_line_id
        self.assertEqual(line.unique_import_id, f"{MASTER_IBAN}|ref|tx-1")
        self.assertEqual(line.rental_property_id, self.flats[0])
        self.assertEqual(line.transaction_details["event_id"], "ev-1")
        self.assertEqual(self.bank.requests[0]["path"], "/v2/transactions/tx-1")

    def test_memo_replay_changes_nothing(self):
        self.bank.transactions = [memo_transaction("tx-1", 85000, local_iban=VIBANS[0])]
        headers = {"Authorization": f"Bearer {MEMO_WEBHOOK_TOKEN}"}
        body = memo_event("ev-1", "tx-1")
        self.assertEqual(self.post(self.memo, body, headers).json()["status"], "accepted")
        self.env["rental.bank.event"]._process_pending()
        replay = self.post(self.memo, body, headers)
        self.assertEqual(replay.status_code, 200)
        self.assertEqual(replay.json(), {"status": "duplicate"})
        self.assertEqual(len(self.events(self.memo)), 1)
        # another event about the same transaction: processed, no second line
        self.post(self.memo, memo_event("ev-2", "tx-1"), headers)
        self.env["rental.bank.event"]._process_pending()
        events = self.events(self.memo)
        self.assertEqual(events.mapped("state"), ["done", "done"])
        self.assertEqual(len(self.lines_of(self.master_journal)), 1)
        self.assertEqual(events[0].statement_line_id, events[1].statement_line_id)
        self.assertIn("Already imported", events.sorted("id")[1].note)

    @mute_logger(*LOGGERS)
    def test_memo_bad_tokens(self):
        body = memo_event("ev-1", "tx-1")
        for headers in ({}, {"Authorization": "Bearer wrong"},
                        {"Authorization": MEMO_WEBHOOK_TOKEN},
                        {"Authorization": f"Basic {MEMO_WEBHOOK_TOKEN}"}):
            response = self.post(self.memo, body, headers)
            self.assertEqual(response.status_code, 401, headers)
            self.assertNotIn(MEMO_WEBHOOK_TOKEN, response.text)
        # a valid token for another connector's URL does not open this one
        response = self.post(self.qonto, body, {"Authorization": f"Bearer {MEMO_WEBHOOK_TOKEN}"})
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self.env["rental.bank.event"].search([]))

    @mute_logger(*LOGGERS)
    def test_unknown_url_wrong_method_bad_body_oversized(self):
        headers = {"Authorization": f"Bearer {MEMO_WEBHOOK_TOKEN}"}
        self.assertEqual(self.post(self.memo, b"{}", headers, key="nope").status_code, 404)
        key = self.memo.sudo().webhook_key
        self.assertEqual(self.url_open(f"/rental_flow_bank/webhook/{key}").status_code, 405)
        self.assertEqual(self.post(self.memo, b"not json", headers).status_code, 400)
        self.assertEqual(self.post(self.memo, b'{"id": "x"}', headers).status_code, 400)
        big = b'{"id": "big", "event_type": "x", "pad": "' + b"x" * (1024 * 1024) + b'"}'
        response = self.post(self.memo, big, headers)
        self.assertEqual(response.status_code, 413)
        self.memo.active = False
        self.assertEqual(self.post(self.memo, memo_event("e", "t"), headers).status_code, 404)
        self.assertFalse(self.env["rental.bank.event"].search([]))

    @mute_logger(*LOGGERS)
    def test_memo_bank_down_then_retry(self):
        self.memo.max_retries = 1
        headers = {"Authorization": f"Bearer {MEMO_WEBHOOK_TOKEN}"}
        self.post(self.memo, memo_event("ev-1", "tx-1"), headers)
        self.bank.fail_next = [500, 500]
        event = self.events(self.memo)
        self.env["rental.bank.event"]._process_pending()
        self.assertEqual((event.state, event.attempts), ("error", 1))
        self.assertIn("500", event.error)
        self.assertTrue(event.next_attempt_at)
        self.assertFalse(self.env["rental.bank.event"]._process_pending(), "not due yet")
        self.bank.transactions = [memo_transaction("tx-1", 100, local_iban=VIBANS[1])]
        event.action_retry()
        self.assertEqual(event.state, "done", event.error)
        self.assertEqual(event.statement_line_id.rental_property_id, self.flats[1])

    def test_memo_transaction_of_another_account_is_ignored(self):
        headers = {"Authorization": f"Bearer {MEMO_WEBHOOK_TOKEN}"}
        self.bank.transactions = [dict(memo_transaction("tx-9", 100, local_iban=VIBANS[0]),
                                       account_id="another-account")]
        self.post(self.memo, memo_event("ev-9", "tx-9"), headers)
        self.env["rental.bank.event"]._process_pending()
        event = self.events(self.memo)
        self.assertEqual(event.state, "done")
        self.assertIn("another-account", event.note)
        self.assertFalse(self.lines_of(self.master_journal))

    def test_memo_other_event_types_import_nothing(self):
        headers = {"Authorization": f"Bearer {MEMO_WEBHOOK_TOKEN}"}
        self.post(self.memo, memo_event("ev-9", "iban-1", "iban_created"), headers)
        self.env["rental.bank.event"]._process_pending()
        event = self.events(self.memo)
        self.assertEqual(event.state, "done")
        self.assertIn("Ignored", event.note)
        self.assertFalse(event.statement_line_id)

    # -- Qonto-style: HMAC over timestamp + body, fat events ------------------------------

    def test_qonto_signed_event_processed_without_bank_call(self):
        body = qonto_event("qe-1", qonto_transaction("q1", 64000))
        response = self.post(self.qonto, body, self.qonto_headers(body))
        self.assertEqual(response.status_code, 200, response.text)
        event = self.events(self.qonto)
        self.assertIn("X-Qonto-Signature", event.headers)
        # what the post-commit hook does (the test cursor ignores post-commit hooks)
        process_after_commit(self.env.cr.dbname, self.qonto.id)
        event.invalidate_recordset()
        self.assertEqual(event.state, "done", event.error)
        self.assertEqual(event.statement_line_id.amount, 640.0)
        self.assertEqual(event.statement_line_id.journal_id, self.second_journal)
        self.assertFalse(self.bank.requests)

    @mute_logger(*LOGGERS)
    def test_qonto_bad_or_stale_signature(self):
        body = qonto_event("qe-1", qonto_transaction("q1", 64000))
        cases = [
            self.qonto_headers(body, secret="wrong-secret"),
            self.qonto_headers(body + b" "),
            self.qonto_headers(body, timestamp=int(time.time()) - 301),
            self.qonto_headers(body, timestamp=int(time.time()) + 360),
            {"X-Qonto-Signature": "v1=abc"},
            {},
        ]
        for headers in cases:
            response = self.post(self.qonto, body, headers)
            self.assertEqual(response.status_code, 401, (headers, response.text))
        self.assertIn("Stale", self.post(
            self.qonto, body, self.qonto_headers(body, timestamp=int(time.time()) - 600)
        ).json()["error"])
        self.assertFalse(self.events(self.qonto))

    def test_qonto_replay_and_pending_then_completed(self):
        pending = qonto_transaction("q2", 5000, status="pending")
        body = qonto_event("qe-1", pending)
        self.post(self.qonto, body, self.qonto_headers(body))
        replay = self.post(self.qonto, body, self.qonto_headers(body))
        self.assertEqual(replay.json(), {"status": "duplicate"})
        self.env["rental.bank.event"]._process_pending()
        first = self.events(self.qonto)
        self.assertEqual(first.state, "done")
        self.assertIn("Not booked", first.note)
        completed = qonto_event("qe-2", qonto_transaction("q2", 5000), kind="updated")
        self.post(self.qonto, completed, self.qonto_headers(completed))
        self.env["rental.bank.event"]._process_pending()
        self.assertEqual(len(self.lines_of(self.second_journal)), 1)

    # -- shared secret header ------------------------------------------------------------

    @mute_logger(*LOGGERS)
    def test_shared_secret_header(self):
        swan_like = self.env["rental.bank.connector"].create({
            "name": "Shared secret bank", "provider": "memo_bank",
            "journal_id": self.master_journal.id, "base_url": self.bank_url,
            "webhook_auth": "shared_secret", "webhook_header": "x-swan-secret",
            "webhook_token_input": SWAN_SECRET,
        })
        body = memo_event("sw-1", "tx-1", "iban_created")
        self.assertEqual(self.post(swan_like, body, {"x-swan-secret": SWAN_SECRET}).status_code,
                         200)
        self.assertEqual(self.post(swan_like, body, {"x-swan-secret": "nope"}).status_code, 401)
        self.assertEqual(self.post(swan_like, body).status_code, 401)
        event = self.events(swan_like)
        self.assertEqual(len(event), 1)
        self.assertNotIn(SWAN_SECRET, json.dumps(event.headers))
