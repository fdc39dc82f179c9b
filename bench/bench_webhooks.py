"""Benchmark: bank webhooks through Odoo's HTTP stack, stored and processed.

Requests go through Odoo's WSGI application (routing, database cursor, controller,
commit) with ``werkzeug.test.Client``: no network, but every other step of a real
delivery, each request in its own committed transaction. Like a bank delivering a
burst, ``THREADS`` clients post at the same time (Odoo's threaded server serves
requests concurrently the same way).

* Qonto-style events (HMAC-signed, the transaction inside the event): each delivery
  is authenticated, stored and answered; right after its commit, the pending events
  of the connector are processed in one batch (post-commit hook). Figure:
  ``webhook_qonto_events_per_s``: events per second from the first delivery until
  every event has its statement line.
* Memo Bank events (bearer token, thin): deliveries are stored and answered
  (``webhook_memo_ingest_events_per_s``), then the cron processes them by batches,
  fetching each transaction from a local fake bank
  (``webhook_memo_process_events_per_s``).

Target: at least 50 events per second for each figure. The data is committed in
``$BENCH_DB`` (a throw-away database: ``make bench`` creates it afresh); each run uses
new journals and event ids.
Run: ``BENCH_DB=... ODOO_RC=... python3 bench/bench_webhooks.py [events]``.
"""

# bench: needs-database
import json
import os
import sys
import time
import uuid

from benchlib import REPO_ROOT, emit

sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "bank_connectors"))

EVENTS = 300
TARGET = 50
THREADS = 4


def post_all(client_factory, requests_):
    """POST ``[(url, body, headers)]`` from ``THREADS`` threads; all answers must be 200."""
    from concurrent.futures import ThreadPoolExecutor

    def send(item):
        url, body, headers = item
        response = client_factory().post(url, data=body, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(send, requests_))


def iban_for(run_number):
    from schwifty import IBAN

    return str(IBAN.generate("FR", "17338", f"{run_number % 10**11:011d}", branch_code="00009"))


def setup(db_name, bank_url, private_pem):
    """Commit two journals and connectors; return their ids and webhook keys."""
    import odoo
    from odoo.modules.registry import Registry

    run = int(time.time()) % 10**6
    with Registry(db_name).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env.company
        euro = env.ref("base.EUR")
        euro.active = True
        if company.currency_id != euro and not env["account.move"].search_count([], limit=1):
            company.currency_id = euro
        currency = company.currency_id
        journals = env["account.journal"].create([
            {"name": f"Webhook bench {kind} {run}", "code": f"W{kind[0].upper()}{run % 1000}",
             "type": "bank", "bank_acc_number": iban_for(run * 2 + i),
             "currency_id": currency.id}
            for i, kind in enumerate(("qonto", "memo"))
        ])
        Connector = env["rental.bank.connector"]
        qonto = Connector.create({
            "name": f"Bench Qonto {run}", "provider": "qonto", "journal_id": journals[0].id,
            "base_url": bank_url, "qonto_login": "agency",
            "qonto_secret_key_input": "qonto-secret", "webhook_secret_input": "bench-secret",
        })
        memo = Connector.create({
            "name": f"Bench Memo {run}", "provider": "memo_bank", "journal_id": journals[1].id,
            "base_url": bank_url, "bank_account_ref": "acc-1", "memo_thumbprint": "THUMB",
            "memo_private_key_input": private_pem, "memo_secret_code_input": "SEC",
            "webhook_token_input": "bench-token",
        })
        result = {"qonto": (qonto.id, qonto.webhook_key, journals[0].id),
                  "memo": (memo.id, memo.webhook_key, journals[1].id),
                  "currency": currency.name}
        cr.commit()
    return result


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else EVENTS
    db_name = os.environ.get("BENCH_DB")
    if not db_name or not os.environ.get("ODOO_RC"):
        sys.exit("BENCH_DB and ODOO_RC must be set: run this benchmark with `make bench`")
    import odoo

    odoo.tools.config.parse_config(
        ["--log-level=warn", f"--database={db_name}", f"--db-filter=^{db_name}$"]
    )
    from fake_bank import FakeBank, memo_transaction, new_rsa_key, qonto_transaction
    from werkzeug.test import Client

    from odoo.modules.registry import Registry

    from odoo.addons.rental_flow_bank.engines import webhook_auth
    private_pem, public_key = new_rsa_key()
    bank = FakeBank(public_key=public_key)
    bank_url = bank.start()
    try:
        ids = setup(db_name, bank_url, private_pem)
        def client():
            return Client(odoo.http.root)

        run = uuid.uuid4().hex[:8]

        # Qonto-style: signed fat events, processed after each commit
        connector_id, key, journal_id = ids["qonto"]
        bodies = []
        for n in range(count):
            transaction = qonto_transaction(f"{run}-q{n}", 10_000 + n)
            transaction["currency"] = ids["currency"]
            bodies.append(json.dumps({
                "id": f"{run}-qe{n}", "type": "v1/transactions",
                "created_at": "2026-01-05T10:00:00Z", "data": {"event": "created", **transaction},
            }).encode())

        def signed(body):
            stamp = str(int(time.time()))
            signature = webhook_auth.hmac_signature("bench-secret", stamp, body)
            return (f"/rental_flow_bank/webhook/{key}", body,
                    {"Content-Type": "application/json",
                     "X-Qonto-Signature": f"t={stamp},v1={signature}"})

        start = time.perf_counter()
        post_all(client, [signed(body) for body in bodies])
        answered = time.perf_counter() - start
        while time.perf_counter() - start < 600:  # the background runner finishes
            with Registry(db_name).cursor() as cr:
                cr.execute("SELECT count(*) FROM rental_bank_event WHERE connector_id = %s "
                           "AND state = 'done'", [connector_id])
                if cr.fetchone()[0] == count:
                    break
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        with Registry(db_name).cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            events = env["rental.bank.event"].search([("connector_id", "=", connector_id)])
            done = events.filtered(lambda e: e.state == "done" and e.statement_line_id)
            assert len(done) == count, (len(done), set(events.mapped("state")),
                                        events.mapped("error")[:3])
            lines = env["account.bank.statement.line"].search_count(
                [("journal_id", "=", journal_id)])
            assert lines == count, lines
        emit("webhook_qonto_events_per_s", round(count / elapsed, 1), "events/s",
             target=TARGET, higher_is_better=True, events=count, threads=THREADS,
             answered_per_s=round(count / answered, 1))

        # Memo Bank: thin events stored by the webhook, processed by the cron
        connector_id, key, journal_id = ids["memo"]
        bank.transactions = []
        for n in range(count):
            transaction = memo_transaction(f"{run}-m{n}", 10_000 + n)
            transaction["currency"] = ids["currency"]
            bank.transactions.append(transaction)
        deliveries = []
        for n in range(count):
            body = json.dumps({"id": f"{run}-me{n}", "date": "2026-01-05T09:00:00+00:00",
                               "event_type": "transaction_confirmed",
                               "resource_type": "transaction",
                               "resource_id": f"{run}-m{n}"}).encode()
            deliveries.append((f"/rental_flow_bank/webhook/{key}", body,
                               {"Content-Type": "application/json",
                                "Authorization": "Bearer bench-token"}))
        start = time.perf_counter()
        post_all(client, deliveries)
        elapsed = time.perf_counter() - start
        emit("webhook_memo_ingest_events_per_s", round(count / elapsed, 1), "events/s",
             target=TARGET, higher_is_better=True, events=count, threads=THREADS)
        start = time.perf_counter()
        processed = 0
        while processed < count:
            with Registry(db_name).cursor() as cr:
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                batch = env["rental.bank.event"]._process_pending(
                    limit=100, connector_id=connector_id)
                assert all(e.state == "done" for e in batch), batch.mapped("error")[:3]
                processed += len(batch)
                if not batch:
                    break
        elapsed = time.perf_counter() - start
        assert processed == count, processed
        emit("webhook_memo_process_events_per_s", round(count / elapsed, 1), "events/s",
             target=TARGET, higher_is_better=True, events=count)
    finally:
        bank.stop()


if __name__ == "__main__":
    main()
