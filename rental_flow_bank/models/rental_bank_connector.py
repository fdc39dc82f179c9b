import logging
import secrets
import uuid
from datetime import UTC, timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..engines import bank_connector_memo, bank_connector_qonto, webhook_auth  # noqa: F401 (registration)
from ..engines.bank_connector_base import (
    PROVIDERS,
    BankApiError,
    ConnectorConfig,
    WebhookRejected,
    get_provider_class,
)
from .bank_import_writer import import_savepoint

_logger = logging.getLogger(__name__)

SYSTEM = "base.group_system"
FIRST_SYNC_DAYS = 90
# Stored secret fields (readable by system administrators only, never shown in views)
# and the write-only input field that sets each one.
SECRET_INPUTS = {
    "memo_private_key": "memo_private_key_input",
    "memo_secret_code": "memo_secret_code_input",
    "qonto_secret_key": "qonto_secret_key_input",
    "webhook_secret": "webhook_secret_input",
}


def _provider_selection(_model):
    return [(code, cls.name) for code, cls in sorted(PROVIDERS.items())]


class RentalBankConnector(models.Model):
    """A connection to a bank's API for one bank journal.

    Transactions are fetched on demand or by cron and pushed by webhooks; they become
    statement lines through the same mapping and creation code as statement files.
    A connector can also create virtual IBANs at the bank for a virtual IBAN pool and
    initiate transfers.

    Secrets: the API credentials are stored in fields readable only by system
    administrators (``groups="base.group_system"``) and are never displayed back:
    the form has write-only input fields. The webhook bearer token or shared secret is
    only needed to *check* deliveries, so only its SHA-256 digest is stored.
    """

    _name = "rental.bank.connector"
    _description = "Bank API Connector"
    _inherit = ["mail.thread"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    journal_id = fields.Many2one(
        "account.journal",
        string="Bank Journal",
        required=True,
        check_company=True,
        domain="[('type', '=', 'bank')]",
        tracking=True,
    )
    account_iban = fields.Char(related="journal_id.bank_acc_number", string="Account IBAN")
    provider = fields.Selection(_provider_selection, required=True, tracking=True)
    base_url = fields.Char(
        string="API URL", required=True, tracking=True,
        help="e.g. https://api.memo.bank (sandbox https://api.sandbox.memo.bank) or "
        "https://thirdparty.qonto.com",
    )
    bank_account_ref = fields.Char(
        string="Bank Account Id", tracking=True,
        help="Identifier of the account at the bank (Memo Bank account_id).",
    )
    timeout = fields.Float(string="Timeout (s)", default=20.0)
    max_retries = fields.Integer(default=4, help="Retries on network errors, 429 and 5xx.")
    auto_sync = fields.Boolean(
        string="Synchronise Daily", default=True,
        help="Fetch the transactions by cron, in addition to the webhooks.",
    )
    sync_overlap_days = fields.Integer(
        default=3, help="Each synchronisation fetches again this many days before the last "
        "one: late bookings are caught, duplicates are skipped.",
    )
    last_sync_date = fields.Datetime(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)

    # -- credentials (system administrators only; never displayed) ----------------------
    memo_private_key = fields.Text(groups=SYSTEM, copy=False)
    memo_thumbprint = fields.Char(
        string="Certificate Thumbprint (x5t#S256)", copy=False,
        help="SHA-256 thumbprint of the certificate registered at Memo Bank (not secret).",
    )
    memo_secret_code = fields.Char(groups=SYSTEM, copy=False)
    qonto_login = fields.Char(string="Qonto Login", copy=False)
    qonto_secret_key = fields.Char(groups=SYSTEM, copy=False)
    webhook_secret = fields.Char(groups=SYSTEM, copy=False)
    webhook_token_digest = fields.Char(groups=SYSTEM, copy=False)

    memo_private_key_input = fields.Text(
        string="Private Key (PEM)", compute="_compute_secret_inputs",
        inverse="_inverse_memo_private_key_input",
    )
    memo_secret_code_input = fields.Char(
        string="Secret Code", compute="_compute_secret_inputs",
        inverse="_inverse_memo_secret_code_input",
    )
    qonto_secret_key_input = fields.Char(
        string="Secret Key", compute="_compute_secret_inputs",
        inverse="_inverse_qonto_secret_key_input",
    )
    webhook_secret_input = fields.Char(
        string="Webhook Signing Secret", compute="_compute_secret_inputs",
        inverse="_inverse_webhook_secret_input",
        help="Secret of HMAC-signed webhooks (Qonto).",
    )
    webhook_token_input = fields.Char(
        string="Webhook Token", compute="_compute_secret_inputs",
        inverse="_inverse_webhook_token_input",
        help="Bearer token or shared secret the bank sends with each webhook (only its "
        "digest is kept).",
    )
    credentials_state = fields.Char(compute="_compute_credentials_state")

    # -- webhooks ---------------------------------------------------------------------
    webhook_auth = fields.Selection(
        [
            ("bearer", "Bearer token (Authorization header)"),
            ("shared_secret", "Shared secret header"),
            ("hmac", "HMAC-SHA256 signature with timestamp"),
        ],
        string="Webhook Authentication",
        compute="_compute_webhook_auth", store=True, readonly=False, required=True,
        precompute=True,
    )
    webhook_header = fields.Char(
        compute="_compute_webhook_auth", store=True, readonly=False, precompute=True,
        help="Header carrying the shared secret or the signature.",
    )
    webhook_tolerance = fields.Integer(
        string="Signature Tolerance (s)", default=300,
        help="Signed webhooks older (or further in the future) than this are refused.",
    )
    webhook_key = fields.Char(
        readonly=True, copy=False, index=True, default=lambda self: secrets.token_urlsafe(24),
        groups="account.group_account_manager",
    )
    webhook_url = fields.Char(
        compute="_compute_webhook_url", groups="account.group_account_manager"
    )
    event_ids = fields.One2many("rental.bank.event", "connector_id", string="Events")
    event_error_count = fields.Integer(compute="_compute_event_counts")

    _sql_constraints = [
        ("webhook_key_uniq", "unique(webhook_key)", "The webhook key must be unique."),
        ("tolerance_positive", "CHECK(webhook_tolerance > 0)",
         "The signature tolerance must be positive."),
    ]

    # -- computes ---------------------------------------------------------------------

    def _compute_secret_inputs(self):
        for connector in self:
            for input_name in (*SECRET_INPUTS.values(), "webhook_token_input"):
                connector[input_name] = False

    def _set_secret(self, field_name, value):
        for connector in self:
            if value:
                connector.sudo()[field_name] = value.strip()

    def _inverse_memo_private_key_input(self):
        for connector in self:
            value = connector.memo_private_key_input
            if value:
                try:  # refuse a bad key now rather than at the first request
                    bank_connector_memo.load_private_key(value.strip())
                except BankApiError as exc:
                    raise UserError(str(exc)) from None
            connector._set_secret("memo_private_key", value)

    def _inverse_memo_secret_code_input(self):
        for connector in self:
            connector._set_secret("memo_secret_code", connector.memo_secret_code_input)

    def _inverse_qonto_secret_key_input(self):
        for connector in self:
            connector._set_secret("qonto_secret_key", connector.qonto_secret_key_input)

    def _inverse_webhook_secret_input(self):
        for connector in self:
            connector._set_secret("webhook_secret", connector.webhook_secret_input)

    def _inverse_webhook_token_input(self):
        for connector in self:
            token = (connector.webhook_token_input or "").strip()
            if token:
                connector.sudo().webhook_token_digest = webhook_auth.token_digest(token)

    @api.depends("provider")
    def _compute_credentials_state(self):
        for connector in self:
            stored = connector.sudo()
            missing = [
                label for label, value in connector._required_credentials(stored) if not value
            ]
            connector.credentials_state = (
                _("Missing: %(fields)s", fields=", ".join(missing)) if missing else _("Set")
            )

    def _required_credentials(self, stored):
        if self.provider == "memo_bank":
            return [(_("private key"), stored.memo_private_key),
                    (_("certificate thumbprint"), stored.memo_thumbprint),
                    (_("secret code"), stored.memo_secret_code)]
        if self.provider == "qonto":
            return [(_("login"), stored.qonto_login), (_("secret key"), stored.qonto_secret_key)]
        return []

    @api.depends("provider")
    def _compute_webhook_auth(self):
        for connector in self:
            provider = PROVIDERS.get(connector.provider)
            connector.webhook_auth = provider.webhook_auth if provider else "bearer"
            connector.webhook_header = getattr(provider, "signature_header", False) or (
                "x-swan-secret" if connector.webhook_auth == "shared_secret" else False
            )

    def _compute_webhook_url(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for connector in self:
            connector.webhook_url = f"{base}/rental_flow_bank/webhook/{connector.webhook_key}"

    def _compute_event_counts(self):
        groups = self.env["rental.bank.event"]._read_group(
            [("connector_id", "in", self.ids), ("state", "=", "error")],
            ["connector_id"], ["__count"],
        )
        counts = {connector.id: count for connector, count in groups}
        for connector in self:
            connector.event_error_count = counts.get(connector.id, 0)

    # -- provider ---------------------------------------------------------------------

    def _provider_config(self, with_account=True):
        """The engine's :class:`ConnectorConfig` (reads the secrets as superuser).

        ``with_account=False`` leaves out the journal's IBAN (not needed to check a
        webhook, and the slowest value to read).
        """
        self.ensure_one()
        stored = self.sudo()
        iban = self._account_key() if with_account else None
        return ConnectorConfig(
            base_url=self.base_url,
            account_id=self.bank_account_ref or None,
            account_iban=iban if iban and not iban.startswith("connector-") else None,
            credentials={
                "private_key": stored.memo_private_key or "",
                "thumbprint": stored.memo_thumbprint or "",
                "secret_code": stored.memo_secret_code or "",
                "login": stored.qonto_login or "",
                "secret_key": stored.qonto_secret_key or "",
            },
            timeout=self.timeout or 20.0,
            max_retries=max(self.max_retries, 0),
            backoff_base=float(self.env.context.get("rental_bank_backoff", 0.5)),
        )

    def _get_provider(self, with_account=True):
        """The provider engine object of this connector."""
        self.ensure_one()
        try:
            return get_provider_class(self.provider)(self._provider_config(with_account))
        except BankApiError as exc:
            raise UserError(str(exc)) from None

    def _account_key(self):
        """Account part of the import ids of this connector's lines (the journal's IBAN)."""
        self.ensure_one()
        iban = (self.journal_id.bank_acc_number or "").replace(" ", "").upper()
        return iban or f"connector-{self.id}"

    # -- transactions -----------------------------------------------------------------

    def action_sync(self):
        """Fetch the transactions since the last synchronisation and import them."""
        logs = self.env["rental.bank.import"]
        for connector in self:
            logs |= connector._sync_transactions()
        if len(logs) == 1:
            return logs._get_formview_action()
        return True

    def _sync_transactions(self, since=None, until=None):
        """Import the booked transactions of ``[since, until)`` (default: since the last
        synchronisation minus the overlap, or the last 90 days the first time).
        Returns the import log."""
        self.ensure_one()
        started = fields.Datetime.now()
        if since is None:
            since = (
                self.last_sync_date - timedelta(days=self.sync_overlap_days)
                if self.last_sync_date else started - timedelta(days=FIRST_SYNC_DAYS)
            )
        since = since.replace(tzinfo=UTC) if since.tzinfo is None else since
        if until is not None and until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
        provider = self._get_provider()
        account = self._account_key()
        try:
            lines = [
                provider.transaction_to_line(tx, account)
                for tx in provider.iter_transactions(since, until)
                if provider.is_booked(tx)
            ]
        except BankApiError as exc:
            self.last_error = str(exc)
            raise UserError(_("%(connector)s: %(error)s", connector=self.name, error=exc)) \
                from None
        log = self.env["rental.bank.import"]._import_api_lines(self, lines)
        if log.state != "failed":
            self.write({"last_sync_date": started, "last_error": False})
        else:
            self.last_error = log.error
        return log

    @api.model
    def _cron_sync(self):
        """Synchronise every active connector set to synchronise daily."""
        for connector in self.search([("auto_sync", "=", True)]):
            try:
                with import_savepoint(self.env):
                    connector._sync_transactions()
            except UserError as exc:
                _logger.warning("Bank synchronisation of %s failed: %s", connector.name, exc)
                connector.last_error = str(exc)

    # -- virtual IBANs ----------------------------------------------------------------

    def _create_virtual_ibans(self, labels, key_prefix):
        """Create one virtual IBAN per label at the bank; return the engine's rows.

        The idempotency key of each creation is ``key_prefix`` + the position, so a
        retried allocation (after a rollback) replays the same creations at the bank
        instead of creating more IBANs.
        """
        self.ensure_one()
        provider = self._get_provider()
        if not provider.supports_virtual_ibans:
            raise UserError(_("%(provider)s cannot create virtual IBANs.",
                              provider=provider.name))
        rows = []
        try:
            for index, label in enumerate(labels):
                key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{key_prefix}:{index}"))
                rows.append(provider.create_virtual_iban(label, idempotency_key=key))
        except BankApiError as exc:
            raise UserError(_("%(connector)s could not create virtual IBANs: %(error)s",
                              connector=self.name, error=exc)) from None
        return rows

    def _list_virtual_ibans(self):
        """The virtual IBANs that exist at the bank (engine rows)."""
        self.ensure_one()
        try:
            return list(self._get_provider().iter_virtual_ibans())
        except (BankApiError, NotImplementedError) as exc:
            raise UserError(str(exc)) from None

    # -- transfers ----------------------------------------------------------------------

    def _create_transfer(self, amount_cents, beneficiary_iban, beneficiary_name, message,
                         end_to_end_id, idempotency_key, local_iban=None):
        """Initiate a SEPA credit transfer through the bank API (owner payouts).

        ``idempotency_key`` must be stable for one payout (e.g. derived from the payout
        line) so that a retried call never pays twice. Returns the bank's transfer.
        """
        self.ensure_one()
        provider = self._get_provider()
        if not provider.supports_transfers:
            raise UserError(_("%(provider)s cannot initiate transfers.", provider=provider.name))
        transfer = {
            "amount": int(amount_cents),
            "beneficiary_iban": beneficiary_iban,
            "beneficiary_name": beneficiary_name[:140],
            "message": (message or "")[:140],
            "end_to_end_id": end_to_end_id[:35],
        }
        if local_iban:
            transfer["local_iban"] = local_iban
        try:
            return provider.create_transfer(transfer, idempotency_key)
        except BankApiError as exc:
            raise UserError(_("%(connector)s: the transfer failed: %(error)s",
                              connector=self.name, error=exc)) from None

    # -- webhooks ------------------------------------------------------------------------

    def _webhook_authenticate(self, headers, body, now=None, provider=None):
        """Check a delivery's authentication; return the decoded :class:`WebhookEvent`.

        Raises :class:`WebhookRejected` (with the HTTP status to answer).
        """
        self.ensure_one()
        provider = provider or self._get_provider(with_account=False)
        stored = self.sudo()
        if self.webhook_auth == "bearer":
            webhook_auth.verify_bearer(headers, stored.webhook_token_digest)
        elif self.webhook_auth == "shared_secret":
            webhook_auth.verify_shared_secret(
                headers, self.webhook_header, stored.webhook_token_digest
            )
        elif self.webhook_auth == "hmac":
            webhook_auth.verify_hmac(
                headers, body, stored.webhook_secret, self.webhook_header or "",
                tolerance=self.webhook_tolerance, now=now,
            )
        else:
            raise WebhookRejected("Unknown webhook authentication.", 500)
        return provider.parse_event(body)

    # -- actions -----------------------------------------------------------------------

    def action_view_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow_bank.action_rental_bank_event"
        )
        action["domain"] = [("connector_id", "=", self.id)]
        return action

    def action_regenerate_webhook_key(self):
        """New webhook URL (the old one stops working at once)."""
        for connector in self:
            connector.sudo().webhook_key = secrets.token_urlsafe(24)
            connector.message_post(body=_("Webhook URL regenerated."))
