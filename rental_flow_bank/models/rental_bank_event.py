import json
import logging
from datetime import timedelta
from functools import partial

import psycopg2

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.tools import SQL

from ..engines.bank_connector_base import BankApiError, WebhookRejected
from .bank_import_writer import import_savepoint

_logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
MAX_ATTEMPTS = 8
# Headers kept with an event for audit (never the Authorization header or a secret).
AUDIT_HEADERS = ("content-type", "user-agent", "x-request-id", "x-forwarded-for",
                 "x-qonto-signature", "idempotency-key")

CLAIM_SQL = """
    SELECT id FROM rental_bank_event
     WHERE (state = 'new'
            OR (state = 'error' AND attempts < %(max_attempts)s
                AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)))
       AND (%(ids)s::int4[] IS NULL OR id = ANY(%(ids)s::int4[]))
     ORDER BY id
     LIMIT %(limit)s
       FOR UPDATE SKIP LOCKED
"""


def claim_event_ids(cr, limit, now, ids=None, max_attempts=MAX_ATTEMPTS):
    """Lock and return up to ``limit`` events to process, skipping locked ones.

    Two workers calling this at the same time get disjoint sets: an event locked by
    one transaction is skipped by the others until that transaction ends (and then
    it is ``done``, so it is not claimed again).
    """
    cr.execute(CLAIM_SQL, {"max_attempts": max_attempts, "now": now, "ids": ids,
                           "limit": limit})
    return [row[0] for row in cr.fetchall()]


def _utc_naive(moment):
    """A timezone-aware datetime as naive UTC (how Odoo stores datetimes)."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.replace(tzinfo=None) - moment.utcoffset()


def process_after_commit(dbname, event_ids):
    """Process events in a new transaction once the webhook's transaction committed."""
    try:
        with Registry(dbname).cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["rental.bank.event"]._process_pending(limit=len(event_ids), ids=event_ids)
    except Exception:
        _logger.exception("Processing bank events %s after commit failed; the cron will "
                          "retry them.", event_ids)


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
            event = connector._webhook_authenticate(headers, body)
        except WebhookRejected as exc:
            _logger.warning("Webhook of %s refused (%s): %s", connector.name, exc.status, exc)
            return exc.status, {"error": str(exc)}
        except (BankApiError, UserError) as exc:
            _logger.warning("Webhook of %s refused: %s", connector.name, exc)
            return 400, {"error": str(exc)}
        record = self._store(connector, event, headers, body)
        if not record:
            return 200, {"status": "duplicate"}
        self._schedule(connector, event, record)
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

    def _schedule(self, connector, event, record):
        """Process right after commit when no bank call is needed, else wake the cron."""
        if connector._get_provider().event_needs_fetch(event):
            self.env.ref("rental_flow_bank.ir_cron_rental_bank_events")._trigger()
        else:
            self.env.cr.postcommit.add(
                partial(process_after_commit, self.env.cr.dbname, record.ids)
            )

    # -- processing -------------------------------------------------------------------

    @api.model
    def _cron_process(self, batch_size=100):
        """Process the pending events by batches (cron; reports its progress)."""
        events = self._process_pending(limit=batch_size)
        if events:
            remaining = self.search_count([("state", "=", "new")])
            self.env["ir.cron"]._notify_progress(done=len(events), remaining=remaining)
        return events

    @api.model
    def _process_pending(self, limit=100, ids=None):
        """Claim up to ``limit`` pending events (optionally among ``ids``), process them."""
        self.env.flush_all()
        claimed = claim_event_ids(self.env.cr, limit, fields.Datetime.now(), ids=ids)
        events = self.browse(claimed)
        events._process()
        return events

    def _process(self):
        """Process claimed events one by one; a failure is kept on its event for retry."""
        for event in self:
            event.write({"state": "processing", "attempts": event.attempts + 1})
            try:
                with import_savepoint(self.env):
                    note, line = event._process_one()
            except psycopg2.OperationalError:
                raise
            except Exception as exc:  # kept on the event, retried later
                delay = timedelta(minutes=2 ** min(event.attempts, 10))
                event.write({
                    "state": "error",
                    "error": str(exc) or exc.__class__.__name__,
                    "next_attempt_at": fields.Datetime.now() + delay,
                })
                _logger.warning("Bank event %s failed (attempt %s): %s", event.event_id,
                                event.attempts, exc)
                continue
            event.write({
                "state": "done",
                "processed_at": fields.Datetime.now(),
                "note": note,
                "error": False,
                "statement_line_id": line.id if line else False,
            })
            if line:
                line._rental_after_import()

    def _process_one(self):
        """Import the transaction an event is about; return ``(note, statement line)``."""
        self.ensure_one()
        connector = self.connector_id
        provider = connector._get_provider()
        event = provider.parse_event(self.body.encode("utf-8"))
        transaction_id = provider.event_transaction_id(event)
        if not transaction_id:
            return _("Ignored: %(type)s events import nothing.", type=event.event_type), None
        transaction = event.resource or provider.get_transaction(transaction_id)
        if not provider.is_booked(transaction):
            return _("Not booked yet (status %(status)s): imported when it is.",
                     status=transaction.get("status")), None
        journal = connector.journal_id
        line = provider.transaction_to_line(transaction, connector._account_key())
        errors = self.env["rental.bank.import"]._check_lines(_("Event"), [line], journal)
        if errors:
            raise UserError("\n".join(errors))
        Line = self.env["account.bank.statement.line"]
        created = Line._rental_create_from_parsed(
            journal, [line],
            details={"source": "webhook", "provider": connector.provider,
                     "event_id": self.event_id},
        )
        if created:
            return _("Statement line created."), created
        existing = Line.search([("journal_id", "=", journal.id),
                                ("unique_import_id", "=", line.unique_import_id)], limit=1)
        return _("Already imported."), existing

    # -- actions -----------------------------------------------------------------------

    def action_retry(self):
        """Process again events in error (manual retry)."""
        failed = self.filtered(lambda e: e.state == "error")
        if not failed:
            return True
        failed.write({"state": "new", "next_attempt_at": False, "attempts": 0})
        self._process_pending(limit=len(failed), ids=failed.ids)
        return True
