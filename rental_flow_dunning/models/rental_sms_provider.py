import logging
import os
import secrets as pysecrets

from werkzeug.urls import url_join

from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError, ValidationError

from ..engines import quiet_hours
from ..engines import sms_gateways as gateways
from ..engines.secrets import SecretBox, SecretError

_logger = logging.getLogger(__name__)

#: Fields holding credentials: stored encrypted in ``<field>_enc``, never in clear.
SECRET_FIELDS = ("secret", "consumer_key")
MASK = "********"


class RentalSmsProvider(models.Model):
    """An SMS gateway: Odoo IAP (Odoo's sms module as is) or an HTTP provider.

    Credentials are only readable by administrators and are stored encrypted (see
    :mod:`..engines.secrets`); the clear values never leave the server.
    """

    _name = "rental.sms.provider"
    _description = "SMS Provider"
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    kind = fields.Selection(
        [
            ("iap", "Odoo IAP"),
            ("ovh", "OVHcloud"),
            ("twilio", "Twilio"),
            ("brevo", "Brevo"),
        ],
        string="Provider",
        required=True,
        default="iap",
    )
    endpoint = fields.Char(
        string="API Endpoint",
        groups="base.group_system",
        help="Leave empty for the provider's production API. Set it for a sandbox.",
    )
    login = fields.Char(
        string="Login / Account",
        groups="base.group_system",
        help="OVHcloud: application key. Twilio: account SID.",
    )
    account = fields.Char(
        string="SMS Account",
        groups="base.group_system",
        help="OVHcloud: the SMS service name (sms-ab12345-1).",
    )
    sender = fields.Char(
        help="Sender shown to the tenant: a validated alphanumeric sender (11 characters "
        "at most) or a phone number in international format.",
    )
    messaging_service = fields.Char(
        string="Messaging Service SID",
        groups="base.group_system",
        help="Twilio: send through this Messaging Service instead of the sender number.",
    )
    secret = fields.Char(
        compute="_compute_secrets",
        inverse="_inverse_secret",
        groups="base.group_system",
        help="OVHcloud: application secret. Twilio: auth token. Brevo: API key. Stored "
        "encrypted.",
    )
    consumer_key = fields.Char(
        compute="_compute_secrets",
        inverse="_inverse_consumer_key",
        groups="base.group_system",
        help="OVHcloud: consumer key. Stored encrypted.",
    )
    secret_enc = fields.Char(groups="base.group_system", copy=False)
    consumer_key_enc = fields.Char(groups="base.group_system", copy=False)
    callback_token = fields.Char(
        groups="base.group_system",
        copy=False,
        default=lambda self: pysecrets.token_urlsafe(24),
        help="Secret part of the delivery-report URL (OVHcloud, Brevo).",
    )
    callback_base_url = fields.Char(
        string="Public URL",
        help="Public address of this Odoo for the providers' delivery reports. Empty: the "
        "database's web.base.url.",
    )
    callback_url = fields.Char(compute="_compute_callback_url", groups="base.group_system")
    timeout = fields.Float(default=10.0, help="Seconds to wait for the provider.")
    max_attempts = fields.Integer(
        default=5, help="Attempts before an SMS the provider could not take is reported failed."
    )
    retry_delay = fields.Integer(
        string="First Retry After (s)",
        default=60,
        help="The delay doubles at each new attempt.",
    )
    quiet_hours = fields.Boolean(
        default=True, help="Keep SMS in the queue at night, on Sundays and public holidays."
    )
    quiet_start = fields.Float(string="No SMS From", default=20.0)
    quiet_end = fields.Float(string="No SMS Until", default=8.0)
    allow_saturday = fields.Boolean(default=True)
    allow_sunday = fields.Boolean(default=False)
    holidays = fields.Char(
        help="Public holidays without SMS, ISO dates separated by commas "
        "(2026-12-25, 2027-01-01).",
    )
    tz = fields.Selection(
        "_tz_selection", string="Time Zone", default="Europe/Paris", required=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    credit_price = fields.Monetary(
        string="Price per Credit", help="Cost of one credit, to value the SMS sent."
    )

    _sql_constraints = [
        ("max_attempts_positive", "CHECK(max_attempts >= 1)", "At least one attempt is needed."),
        ("retry_delay_positive", "CHECK(retry_delay >= 1)", "The retry delay must be positive."),
    ]

    @api.model
    def _tz_selection(self):
        return self.env["res.partner"]._fields["tz"].selection(self.env["res.partner"])

    # -- secrets ---------------------------------------------------------------------------

    def _secret_box(self):
        """The box encrypting the credentials (key outside the database when configured)."""
        master = tools.config.get("rental_flow_secret_key") or os.environ.get(
            "RENTAL_FLOW_SECRET_KEY"
        )
        if not master:
            master = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        return SecretBox(master)

    @api.depends("secret_enc", "consumer_key_enc")
    def _compute_secrets(self):
        for provider in self:
            provider.secret = MASK if provider.secret_enc else False
            provider.consumer_key = MASK if provider.consumer_key_enc else False

    def _set_secret(self, field_name):
        box = self._secret_box()
        for provider in self:
            value = provider[field_name]
            if value == MASK:
                continue  # unchanged masked value sent back by the form
            provider[f"{field_name}_enc"] = box.encrypt(value or "")

    def _inverse_secret(self):
        self._set_secret("secret")

    def _inverse_consumer_key(self):
        self._set_secret("consumer_key")

    def _get_secret(self, field_name):
        """Clear value of a credential (server side only)."""
        self.ensure_one()
        if field_name not in SECRET_FIELDS:
            raise ValueError(field_name)
        token = self.sudo()[f"{field_name}_enc"]
        try:
            return self._secret_box().decrypt(token)
        except SecretError as exc:
            raise UserError(
                _(
                    "The credentials of SMS provider %(provider)s cannot be decrypted: the "
                    "encryption key changed. Enter them again.",
                    provider=self.name,
                )
            ) from exc

    # -- configuration ---------------------------------------------------------------------

    @api.constrains("kind", "sender", "company_id", "quiet_start", "quiet_end", "holidays")
    def _check_config(self):
        for provider in self:
            if provider.sender and not provider.sender.startswith("+"):
                if not (3 <= len(provider.sender) <= 11 and provider.sender.isalnum()):
                    raise ValidationError(
                        _(
                            "An alphanumeric SMS sender has 3 to 11 letters or digits; a "
                            "number starts with + and its country code."
                        )
                    )
            for hours in (provider.quiet_start, provider.quiet_end):
                if not 0 <= hours <= 24:
                    raise ValidationError(_("Quiet hours are hours of the day, 0 to 24."))
            provider._holiday_dates()

    def _holiday_dates(self):
        self.ensure_one()
        dates = set()
        for chunk in (self.holidays or "").replace(";", ",").split(","):
            chunk = chunk.strip()
            if not chunk:
                continue
            try:
                dates.add(fields.Date.to_date(chunk))
            except ValueError as exc:
                raise ValidationError(
                    _("%(value)s is not a date (use 2026-12-25).", value=chunk)
                ) from exc
        return frozenset(dates)

    def _quiet_rules(self):
        """The :class:`QuietHours` of this provider."""
        self.ensure_one()
        return quiet_hours.QuietHours(
            start=quiet_hours.float_to_time(self.quiet_start),
            end=quiet_hours.float_to_time(self.quiet_end),
            allow_saturday=self.allow_saturday,
            allow_sunday=self.allow_sunday,
            holidays=self._holiday_dates(),
            tz=self.tz or "Europe/Paris",
            enabled=self.quiet_hours,
        )

    def _next_send_time(self, moment=None):
        """First moment at or after ``moment`` (now) when this provider may send an SMS."""
        self.ensure_one()
        moment = moment or fields.Datetime.now()
        return quiet_hours.next_allowed(moment, self._quiet_rules())

    def _base_url(self):
        return (self.callback_base_url or self.get_base_url()).rstrip("/")

    @api.depends("kind", "callback_token", "callback_base_url")
    def _compute_callback_url(self):
        for provider in self:
            provider.callback_url = provider._status_url() if provider.id else False

    def _status_url(self):
        """Delivery-report URL given to the provider (authenticated per provider kind)."""
        self.ensure_one()
        if self.kind == "iap":
            return url_join(self._base_url() + "/", "sms/status")
        if self.kind == "twilio":
            path = f"rental_dunning/sms/twilio/{self.id}/status"
        else:
            path = f"rental_dunning/sms/{self.kind}/{self.id}/{self.sudo().callback_token}/status"
        return f"{self._base_url()}/{path}"

    def _gateway(self, session=None):
        """The HTTP gateway client of this provider (not for Odoo IAP)."""
        self.ensure_one()
        sudo = self.sudo()
        config = gateways.GatewayConfig(
            endpoint=sudo.endpoint or "",
            login=sudo.login or "",
            secret=sudo._get_secret("secret"),
            consumer_key=sudo._get_secret("consumer_key"),
            account=sudo.account or "",
            sender=sudo.sender or "",
            messaging_service=sudo.messaging_service or "",
            timeout=sudo.timeout or 10.0,
        )
        return gateways.get_gateway_class(self.kind)(config, session=session)

    def action_regenerate_callback_token(self):
        for provider in self:
            provider.sudo().callback_token = pysecrets.token_urlsafe(24)

    @api.model
    def _default_for_company(self, company):
        """The company's SMS provider, or an empty recordset (Odoo IAP)."""
        return company.sudo().rental_sms_provider_id
