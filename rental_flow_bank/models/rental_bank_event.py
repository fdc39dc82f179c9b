import json
import logging
import threading
from collections import defaultdict
from datetime import timedelta
from functools import partial

import psycopg2
import psycopg2.errors

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.tools import SQL

from ..engines.bank_connector_base import BankApiError, WebhookRejected
from .bank_import_writer import import_savepoint

_logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
MAX_ATTEMPTS = 8
AFTER_COMMIT_BATCH = 200
# Headers kept with an event for audit (never the Authorization header or a secret).
AUDIT_HEADERS = ("content-type", "user-agent", "x-request-id", "x-forwarded-for",
                 "x-qonto-signature", "idempotency-key")

CLAIM_SQL = """
    SELECT id FROM rental_bank_event
     WHERE (state = 'new'
            OR (state = 'error' AND attempts < %(max_attempts)s
                AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)))
       AND (%(ids)s::int4[] IS NULL OR id = ANY(%(ids)s::int4[]))
       AND (%(connector)s::int4 IS NULL OR connector_id = %(connector)s::int4)
     ORDER BY id
     LIMIT %(limit)s
       FOR UPDATE SKIP LOCKED
"""


def claim_event_ids(cr, limit, now, ids=None, max_attempts=MAX_ATTEMPTS, connector_id=None):
    """Lock and return up to ``limit`` events to process, skipping locked ones.

    Two workers calling this at the same time get disjoint sets: an event locked by
    one transaction is skipped by the others until that transaction ends (and then
    it is ``done``, so it is not claimed again). Odoo's transactions are REPEATABLE
    READ: an event another worker finished after this transaction's snapshot raises
    a serialisation failure instead of being claimed twice (see
    :meth:`RentalBankEvent._process_pending`).
    """
    cr.execute(CLAIM_SQL, {"max_attempts": max_attempts, "now": now, "ids": ids,
                           "limit": limit, "connector": connector_id}, log_exceptions=False)
    return [row[0] for row in cr.fetchall()]


def _utc_naive(moment):
    """A timezone-aware datetime as naive UTC (how Odoo stores datetimes)."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.replace(tzinfo=None) - moment.utcoffset()


def process_after_commit(dbname, connector_id, limit=AFTER_COMMIT_BATCH):
    """Process a connector's pending events in a new transaction.

    Takes the events no other worker holds (the ones just stored and any other
    waiting), at most ``limit``; the cron handles the rest and any failure. Returns
    the number of events processed.
    """
    try:
        with Registry(dbname).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            events = env["rental.bank.event"]._process_pending(
                limit=limit, connector_id=connector_id
            )
            return len(events)
    except Exception:
        _logger.exception("Processing the bank events of connector %s after commit failed; "
                          "the cron will retry them.", connector_id)
        return 0


_RUNNERS = {}
_RUNNERS_LOCK = threading.Lock()


def schedule_after_commit(dbname, connector_id, process=None):
    """Have the connector's pending events processed in the background, at once.

    Called after the webhook's commit: the HTTP answer never waits for the
    processing. One runner thread per database and connector and process: while it
    works, new deliveries only ask it to go round once more, so that a burst of
    events is processed in a few batches rather than one thread (and one database
    connection) per event. Work lost with the process is done by the cron.
    """
    key = (dbname, connector_id)
    with _RUNNERS_LOCK:
        state = _RUNNERS.get(key)
        if state is not None:
            state["again"] = True
            return None
        state = _RUNNERS[key] = {"again": False}
    thread = threading.Thread(
        target=_run_after_commit, args=(key, state, process or process_after_commit),
        name=f"rental_flow_bank.events.{dbname}.{connector_id}", daemon=True,
    )
    thread.start()
    return thread


def _run_after_commit(key, state, process):
    dbname, connector_id = key
    try:
        while True:
            with _RUNNERS_LOCK:
                state["again"] = False
            process(dbname, connector_id)
            with _RUNNERS_LOCK:
                if not state["again"]:
                    del _RUNNERS[key]
                    return
    except BaseException:
        with _RUNNERS_LOCK:
            _RUNNERS.pop(key, None)
        raise


class RentalBankEvent(models.Model):
    """A webhook delivery from a bank, stored before it is processed.

    The webhook answers as soon as the event is stored (unique per connector and
    bank event id: a replayed delivery is recognised and changes nothing). Events
    are then processed by a cron (and right after the webhook's commit when
    processing needs no call to the bank), each claimed with ``SELECT ... FOR UPDATE
    SKIP LOCKED`` so that concurrent workers never process one twice. Processing is
    idempotent: the statement line of a transaction is created once, whatever the
    number of events about it.
    """

    _name = "rental.bank.event"
    _description = "Bank Webhook Event"
    _order = "id desc"
    _check_company_auto = True
    _rec_name = "event_id"

    connector_id = fields.Many2one(
        "rental.bank.connector", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="connector_id.company_id", store=True, index=True)
    journal_id = fields.Many2one(related="connector_id.journal_id")
    provider = fields.Selection(related="connector_id.provider")
    event_id = fields.Char(string="Bank Event Id", required=True, readonly=True)
    event_type = fields.Char(readonly=True, index=True)
    resource_type = fields.Char(readonly=True)
    resource_id = fields.Char(string="Resource Id", readonly=True, index="btree_not_null")
    occurred_at = fields.Datetime(readonly=True, help="When the bank says the event happened.")
    received_at = fields.Datetime(readonly=True, default=fields.Datetime.now, index=True)
    body = fields.Text(string="Raw Body", readonly=True)
    headers = fields.Json(readonly=True)
    state = fields.Selection(
        [("new", "New"), ("processing", "Processing"), ("done", "Done"), ("error", "Error")],
        required=True, default="new", readonly=True, index=True,
    )
    attempts = fields.Integer(readonly=True)
    next_attempt_at = fields.Datetime(readonly=True)
    processed_at = fields.Datetime(readonly=True)
    error = fields.Text(readonly=True)
    note = fields.Char(readonly=True, help="What processing did (or why it did nothing).")
    statement_line_id = fields.Many2one(
        "account.bank.statement.line", readonly=True, index="btree_not_null",
        ondelete="set null",
    )

    _sql_constraints = [
        ("event_uniq", "unique(connector_id, event_id)",
         "This bank event was already received."),
    ]

    # -- reception ----------------------------------------------------------------------

    @api.model
    def _receive_webhook(self, key, headers, body):
        """Authenticate, store and schedule one delivery; return ``(status, payload)``.

        Called by the controller as superuser. 404 unknown webhook, 413 body too large,
        401 bad authentication or stale signature, 400 malformed event; 200 when stored
        or already stored (``"duplicate"``: a replay changes nothing).
        """
        if len(body) > MAX_BODY_BYTES:
            return 413, {"error": "payload too large"}
        connector = self.env["rental.bank.connector"].search(
            [("webhook_key", "=", key or "")], limit=1
        ) if key else self.env["rental.bank.connector"]
        if not connector:
            return 404, {"error": "unknown webhook"}
        try:
            provider = connector._get_provider(with_account=False)
            event = connector._webhook_authenticate(headers, body, provider=provider)
        except WebhookRejected as exc:
            _logger.warning("Webhook of %s refused (%s): %s", connector.name, exc.status, exc)
            return exc.status, {"error": str(exc)}
        except (BankApiError, UserError) as exc:
            _logger.warning("Webhook of %s refused: %s", connector.name, exc)
            return 400, {"error": str(exc)}
        record = self._store(connector, event, headers, body)
        if not record:
            return 200, {"status": "duplicate"}
        self._schedule(connector, event, record, provider)
        return 200, {"status": "accepted"}

    @api.model
    def _store(self, connector, event, headers, body):
        """Insert the event unless already stored (one statement, race-free)."""
        kept = {k: v for k, v in headers.items() if k.lower() in AUDIT_HEADERS}
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO rental_bank_event
                       (connector_id, company_id, event_id, event_type, resource_type,
                        resource_id, occurred_at, received_at, body, headers, state, attempts,
                        create_uid, create_date, write_uid, write_date)
                VALUES (%(connector)s, %(company)s, %(event_id)s, %(event_type)s,
                        %(resource_type)s, %(resource_id)s, %(occurred)s, %(now)s, %(body)s,
                        %(headers)s, 'new', 0, %(uid)s, %(now)s, %(uid)s, %(now)s)
                ON CONFLICT (connector_id, event_id) DO NOTHING
                RETURNING id
                """,
                connector=connector.id,
                company=connector.company_id.id,
                event_id=event.event_id[:255],
                event_type=(event.event_type or "")[:255],
                resource_type=event.resource_type,
                resource_id=event.resource_id,
                occurred=_utc_naive(event.occurred_at),
                now=now,
                body=body.decode("utf-8", errors="replace"),
                headers=json.dumps(kept),
                uid=self.env.uid,
            )
        )
        row = self.env.cr.fetchone()
        return self.browse(row[0]) if row else self.browse()

    def _schedule(self, connector, event, record, provider):
        """Process right after commit (in the background) when no bank call is needed,
    else wake the cron (which fetches the transactions by batches)."""
        if provider.event_needs_fetch(event):
            cron = self.env.ref("rental_flow_bank.ir_cron_rental_bank_events")
            pending = self.env["ir.cron.trigger"].search_count(
                [("cron_id", "=", cron.id), ("call_at", "<=", fields.Datetime.now())], limit=1
            )
            if not pending:  # one wake-up call is enough for a burst of events
                cron._trigger()
        else:
            self.env.cr.postcommit.add(
                partial(schedule_after_commit, self.env.cr.dbname, connector.id)
            )

    # -- processing -------------------------------------------------------------------

    @api.model
    def _cron_process(self, batch_size=100):
        """Process the pending events by batches (cron; reports its progress)."""
        events = self._process_pending(limit=batch_size)
        remaining = self.search_count([("state", "=", "new")])
        self.env["ir.cron"]._notify_progress(done=len(events), remaining=remaining)
        return events

    @api.model
    def _process_pending(self, limit=100, ids=None, connector_id=None):
        """Claim up to ``limit`` pending events (optionally among ``ids`` or of one
        connector) and process them."""
        self.env.flush_all()
        try:
            with self.env.cr.savepoint(flush=False):
                claimed = claim_event_ids(self.env.cr, limit, fields.Datetime.now(), ids=ids,
                                          connector_id=connector_id)
        except psycopg2.errors.SerializationFailure:
            # another worker processed some of them since this transaction began: the
            # next run (a new transaction) claims what is left
            _logger.info("Bank events being processed by another worker; retrying later.")
            return self.browse()
        events = self.browse(claimed)
        events._process()
        return events

    def _process(self):
        """Process claimed events in bulk; a failure is kept on its event for retry.

        1. Per event, nothing written yet: decode it, fetch the transaction when the
           event is thin, map it to a parsed line and check it.
        2. Per journal: create all the new lines in one bulk call; should that fail,
           the journal's events are created one by one, so that one bad event does not
           hold the others back.
        3. Link each event to its line (new or already imported), run the after-import
           hook once on the new lines.
        """
        if not self:
            return
        self.env.flush_all()
        self.env.cr.execute(SQL(
            "UPDATE rental_bank_event SET state = 'processing', attempts = attempts + 1 "
            "WHERE id = ANY(%s)", self.ids,
        ))
        self.invalidate_recordset(["state", "attempts"])
        providers, failures, results, by_journal = {}, {}, {}, defaultdict(list)
        for event in self:
            try:
                note, line = event._prepare_line(providers)
            except psycopg2.OperationalError:
                raise
            except Exception as exc:  # kept on the event, retried later
                failures[event] = exc
                continue
            if line is None:
                results[event] = (note, None)
            else:
                by_journal[event.connector_id.journal_id].append((event, line))
        created = self.env["account.bank.statement.line"]
        for journal, items in by_journal.items():
            created |= self._create_lines(journal, items, failures)
        found = self._lines_by_import_id(by_journal, failures)
        for event, line in (pair for items in by_journal.values() for pair in items):
            if event not in failures:
                record = found[(event.connector_id.journal_id.id, line.unique_import_id)]
                note = _("Statement line created.") if record in created else \
                    _("Already imported.")
                results[event] = (note, record)
        now = fields.Datetime.now()
        for event, (note, line) in results.items():
            event.write({"state": "done", "processed_at": now, "note": note, "error": False,
                         "statement_line_id": line.id if line else False})
        for event, exc in failures.items():
            event.write({
                "state": "error",
                "error": str(exc) or exc.__class__.__name__,
                "next_attempt_at": now + timedelta(minutes=2 ** min(event.attempts, 10)),
            })
            _logger.warning("Bank event %s failed (attempt %s): %s", event.event_id,
                            event.attempts, exc)
        if created:
            created._rental_after_import()

    def _prepare_line(self, providers):
        """``(note, parsed line or None)`` of one event; raises when it cannot be imported."""
        self.ensure_one()
        connector = self.connector_id
        if connector not in providers:
            providers[connector] = connector._get_provider()
        provider = providers[connector]
        event = provider.parse_event(self.body.encode("utf-8"))
        transaction_id = provider.event_transaction_id(event)
        if not transaction_id:
            return _("Ignored: %(type)s events import nothing.", type=event.event_type), None
        transaction = event.resource or provider.get_transaction(transaction_id)
        account = transaction.get("account_id")
        if account and connector.bank_account_ref and account != connector.bank_account_ref:
            return _("Ignored: transaction of the bank account %(account)s, not of this "
                     "connector's.", account=account), None
        if not provider.is_booked(transaction):
            return _("Not booked yet (status %(status)s): imported when it is.",
                     status=transaction.get("status")), None
        line = provider.transaction_to_line(transaction, connector._account_key())
        errors = self.env["rental.bank.import"]._check_lines(
            _("Event %(id)s", id=self.event_id), [line], connector.journal_id
        )
        if errors:
            raise UserError("\n".join(errors))
        return None, line

    def _create_lines(self, journal, items, failures):
        """Create the lines of ``items`` (``[(event, parsed line)]``) in ``journal``."""
        Line = self.env["account.bank.statement.line"]
        unique = {}
        for event, line in items:
            unique.setdefault(line.unique_import_id, (event, line))
        try:
            with import_savepoint(self.env):
                return Line._rental_create_from_parsed(
                    journal, [line for __, line in unique.values()],
                    details={"source": "webhook"},
                    line_details=[self._line_details(event) for event, __ in unique.values()],
                )
        except psycopg2.OperationalError:
            raise
        except Exception:
            _logger.info("Bulk creation of %d bank lines failed; creating them one by one.",
                         len(unique))
        created = Line
        for event, line in unique.values():
            try:
                with import_savepoint(self.env):
                    created |= Line._rental_create_from_parsed(
                        journal, [line], details={"source": "webhook"},
                        line_details=[self._line_details(event)],
                    )
            except psycopg2.OperationalError:
                raise
            except Exception as exc:
                for other, other_line in items:
                    if other_line.unique_import_id == line.unique_import_id:
                        failures[other] = exc
        return created

    @staticmethod
    def _line_details(event):
        return {"provider": event.connector_id.provider, "event_id": event.event_id}

    def _lines_by_import_id(self, by_journal, failures):
        """``{(journal id, import id): statement line}`` for the events' lines (one query)."""
        pairs = {(journal.id, line.unique_import_id)
                 for journal, items in by_journal.items()
                 for event, line in items if event not in failures}
        if not pairs:
            return {}
        lines = self.env["account.bank.statement.line"].search([
            ("journal_id", "in", list({j for j, __ in pairs})),
            ("unique_import_id", "in", list({u for __, u in pairs})),
        ])
        return {(line.journal_id.id, line.unique_import_id): line for line in lines}

    # -- actions -----------------------------------------------------------------------

    def action_retry(self):
        """Process again events in error (manual retry)."""
        failed = self.filtered(lambda e: e.state == "error")
        if not failed:
            return True
        failed.write({"state": "new", "next_attempt_at": False, "attempts": 0})
        self._process_pending(limit=len(failed), ids=failed.ids)
        return True
