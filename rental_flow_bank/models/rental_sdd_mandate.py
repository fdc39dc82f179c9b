"""SEPA direct debit mandates signed by tenants."""

import logging

from dateutil.relativedelta import relativedelta
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import at_02

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.rental_flow.engines import sepa
from odoo.addons.rental_flow.engines.sepa_text import identifier_problem

from .rental_sdd_debit import CLOSING_RETURN_CODES

_logger = logging.getLogger(__name__)

EXPIRY_MONTHS = 36  # SEPA rulebook: a mandate unused for 36 months lapses


def iban_problem(value):
    """Why ``value`` is not a valid SEPA IBAN (schwifty), or ``None``."""
    if not value:
        return _("the IBAN is missing")
    try:
        iban = IBAN(value, validate_bban=True)
    except (SchwiftyException, TypeError) as exc:
        return _("IBAN %(iban)s is invalid: %(error)s", iban=value, error=exc)
    if not iban.in_sepa_zone:
        return _("IBAN %(iban)s is not in the SEPA zone", iban=value)
    return None


def bic_problem(value):
    """Why ``value`` is not a valid BIC, or ``None`` (a BIC is optional)."""
    if not value:
        return None
    try:
        BIC(value)
    except (SchwiftyException, TypeError) as exc:
        return _("BIC %(bic)s is invalid: %(error)s", bic=value, error=exc)
    return None


class RentalSddMandate(models.Model):
    """A SEPA direct debit mandate: the tenant's authorisation to collect from his account.

    The reference (RUM in France) and the signature date go into every collection. The
    first collection of a recurrent mandate is sent as FRST, the next ones as RCUR; a
    one-off mandate is used once (OOFF). What changed since the last collection (a
    migrated mandate's former creditor, a new debtor account) is sent once as amendment
    information, then cleared. A mandate unused for 36 months expires.
    """

    _name = "rental.sdd.mandate"
    _description = "SEPA Direct Debit Mandate"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "signature_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Mandate Reference",
        required=True,
        copy=False,
        tracking=True,
        default=lambda self: _("New"),
        help="Unique mandate reference (RUM), at most 35 characters of the SEPA set.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner", string="Tenant", required=True, index=True, tracking=True,
        ondelete="restrict",
    )
    debtor_name = fields.Char(
        required=True, tracking=True,
        help="Account holder's name as signed on the mandate.",
    )
    bank_id = fields.Many2one(
        "res.partner.bank",
        string="Debtor Account",
        required=True,
        tracking=True,
        ondelete="restrict",
        domain="[('partner_id', '=', partner_id)]",
    )
    iban = fields.Char(related="bank_id.acc_number", string="IBAN")
    bic = fields.Char(related="bank_id.bank_bic", string="BIC")
    scheme = fields.Selection(
        [("CORE", "CORE (consumers)"), ("B2B", "B2B (businesses)")],
        required=True, default="CORE", tracking=True,
    )
    mandate_type = fields.Selection(
        [("recurrent", "Recurrent"), ("oneoff", "One-off")],
        string="Type", required=True, default="recurrent", tracking=True,
    )
    signature_date = fields.Date(required=True, tracking=True,
                                 default=fields.Date.context_today)
    state = fields.Selection(
        [("draft", "Draft"), ("valid", "Valid"), ("revoked", "Revoked"),
         ("expired", "Expired")],
        default="draft", required=True, index=True, tracking=True, copy=False,
    )
    revoke_date = fields.Date(tracking=True, copy=False)
    revoke_reason = fields.Char(tracking=True, copy=False)
    last_collection_date = fields.Date(tracking=True, copy=False)
    first_collection_done = fields.Boolean(
        string="First Collection Done", copy=False, tracking=True,
        help="Set once a collection under this mandate was sent: the next ones are RCUR.",
    )
    migrated = fields.Boolean(
        readonly=True, copy=False,
        help="Imported from another bank or software without being signed again.",
    )
    # Amendment information: sent once with the next collection, then cleared.
    amend_original_reference = fields.Char(
        string="Original Mandate Reference", copy=False, tracking=True
    )
    amend_original_creditor_id = fields.Char(
        string="Original Creditor Identifier", copy=False, tracking=True
    )
    amend_original_creditor_name = fields.Char(string="Original Creditor Name", copy=False)
    amend_original_iban = fields.Char(
        string="Original Debtor IBAN", copy=False, tracking=True,
        help="Debtor's former account at the same bank.",
    )
    amend_bank_changed = fields.Boolean(
        string="Debtor Changed Bank (SMNDA)", copy=False, tracking=True
    )
    has_amendment = fields.Boolean(compute="_compute_has_amendment")
    last_return_code = fields.Char(string="Last Return Reason", readonly=True, copy=False)
    last_return_text = fields.Char(string="Last Return Details", readonly=True, copy=False)
    last_return_date = fields.Date(readonly=True, copy=False)
    lease_ids = fields.One2many("rental.lease", "sdd_mandate_id", string="Leases")
    debit_ids = fields.One2many("rental.sdd.debit", "mandate_id", string="Debits")
    debit_count = fields.Integer(compute="_compute_debit_count")

    _sql_constraints = [
        ("name_company_unique", "unique(company_id, name)",
         "The mandate reference must be unique per company."),
    ]

    @api.depends("amend_original_reference", "amend_original_creditor_id",
                 "amend_original_creditor_name", "amend_original_iban", "amend_bank_changed")
    def _compute_has_amendment(self):
        for mandate in self:
            mandate.has_amendment = bool(
                mandate.amend_original_reference or mandate.amend_original_creditor_id
                or mandate.amend_original_creditor_name or mandate.amend_original_iban
                or mandate.amend_bank_changed
            )

    def _compute_debit_count(self):
        counts = dict(self.env["rental.sdd.debit"]._read_group(
            [("mandate_id", "in", self.ids)], ["mandate_id"], ["__count"]
        ))
        for mandate in self:
            mandate.debit_count = counts.get(mandate, 0)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", _("New")) == _("New"):
                company = self.env["res.company"].browse(vals.get("company_id"))
                seq = self.env["ir.sequence"].with_company(company or self.env.company)
                vals["name"] = seq.next_by_code("rental.sdd.mandate") or _("New")
            if not vals.get("debtor_name") and vals.get("partner_id"):
                vals["debtor_name"] = self.env["res.partner"].browse(vals["partner_id"]).name
        return super().create(vals_list)

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.partner_id:
            self.debtor_name = self.debtor_name or self.partner_id.name
            if self.bank_id.partner_id != self.partner_id:
                self.bank_id = self.partner_id.bank_ids[:1]

    def write(self, vals):
        if "bank_id" in vals:
            self._rental_note_account_change(self.env["res.partner.bank"].browse(vals["bank_id"]))
        if vals.get("name"):
            # A used mandate's new reference: the former one is sent once (amendment).
            for mandate in self.filtered("first_collection_done"):
                if mandate.name != vals["name"] and not mandate.amend_original_reference:
                    mandate.amend_original_reference = mandate.name
        return super().write(vals)

    def _rental_note_account_change(self, new_bank):
        """A used mandate moved to another account: tell the debtor bank once (amendment).

        Same bank: the original IBAN is sent; another bank: ``SMNDA``.
        """
        for mandate in self.filtered("first_collection_done"):
            old = (mandate.bank_id.acc_number or "").replace(" ", "").upper()
            new = (new_bank.acc_number or "").replace(" ", "").upper()
            if not old or old == new or mandate.amend_bank_changed:
                continue
            try:
                same_bank = IBAN(old).bank_code == IBAN(new).bank_code and \
                    IBAN(old).country_code == IBAN(new).country_code
            except (SchwiftyException, TypeError):
                same_bank = False
            if same_bank:
                mandate.amend_original_iban = mandate.amend_original_iban or old
            else:
                mandate.amend_original_iban = False
                mandate.amend_bank_changed = True

    @api.constrains("name")
    def _check_name(self):
        for mandate in self:
            problem = identifier_problem(mandate.name, _("Mandate reference"))
            if problem:
                raise ValidationError(problem)

    @api.constrains("bank_id", "partner_id")
    def _check_bank(self):
        for mandate in self:
            problem = iban_problem((mandate.bank_id.acc_number or "").replace(" ", ""))
            problem = problem or bic_problem(mandate.bank_id.bank_bic)
            if problem:
                raise ValidationError(
                    _("Mandate %(mandate)s: %(problem)s.", mandate=mandate.name, problem=problem)
                )

    @api.constrains("amend_original_creditor_id")
    def _check_amend_original_creditor_id(self):
        for mandate in self:
            value = mandate.amend_original_creditor_id
            if value and not at_02.is_valid(value):
                raise ValidationError(
                    _("%(value)s is not a valid SEPA creditor identifier.", value=value)
                )

    # -- state changes -------------------------------------------------------------------

    def action_validate(self):
        for mandate in self:
            if mandate.state != "draft":
                raise UserError(_("Mandate %(mandate)s is not a draft.", mandate=mandate.name))
        self.state = "valid"
        self._rental_assign_to_leases()
        return True

    def _rental_assign_to_leases(self):
        """Give these valid mandates to their tenants' direct-debit leases lacking one."""
        valid = self.filtered(lambda m: m.state == "valid")
        if not valid:
            return
        leases = self.env["rental.lease"].search([
            ("payment_mode", "=", "direct_debit"),
            ("tenant_id", "in", valid.partner_id.ids),
            "|", ("sdd_mandate_id", "=", False), ("sdd_mandate_id.state", "!=", "valid"),
        ])
        by_key = {(m.partner_id.id, m.company_id.id): m for m in valid}
        for lease in leases:
            mandate = by_key.get((lease.tenant_id.id, lease.company_id.id))
            if mandate:
                lease.sdd_mandate_id = mandate

    def action_revoke(self):
        """Revoke the mandate on its revocation date (today when empty)."""
        today = fields.Date.context_today(self)
        for mandate in self:
            if mandate.state not in ("draft", "valid"):
                raise UserError(
                    _("Mandate %(mandate)s is already closed.", mandate=mandate.name)
                )
            mandate.write({"state": "revoked", "revoke_date": mandate.revoke_date or today})
        return True

    def action_reset_draft(self):
        for mandate in self:
            if mandate.state != "revoked" or mandate.debit_ids:
                raise UserError(_("Only a revoked mandate never used can be set back to "
                                  "draft: sign a new mandate instead."))
        self.write({"state": "draft", "revoke_date": False, "revoke_reason": False})
        return True

    def action_view_debits(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow_bank.action_rental_sdd_debit"
        )
        action["domain"] = [("mandate_id", "=", self.id)]
        return action

    @api.model
    def _cron_expire(self):
        """Valid mandates not used for 36 months (signed that long ago and never used,
        or last collected that long ago) expire."""
        limit = fields.Date.context_today(self) - relativedelta(months=EXPIRY_MONTHS)
        mandates = self.search([
            ("state", "=", "valid"),
            "|",
            ("last_collection_date", "<", limit),
            "&", ("last_collection_date", "=", False), ("signature_date", "<", limit),
        ])
        for mandate in mandates:
            mandate.state = "expired"
            mandate.message_post(body=_(
                "Expired: no collection for %(months)s months (since %(date)s).",
                months=EXPIRY_MONTHS,
                date=mandate.last_collection_date or mandate.signature_date,
            ))
        if mandates:
            _logger.info("%d direct debit mandates expired", len(mandates))
        return mandates

    # -- collections -----------------------------------------------------------------------

    def _rental_sdd_problem(self, collection_date):
        """Why this mandate cannot be used for a collection on ``collection_date``."""
        self.ensure_one()
        if self.state == "revoked":
            return _("Mandate %(mandate)s is revoked.", mandate=self.name)
        if self.state == "expired":
            return _("Mandate %(mandate)s has expired.", mandate=self.name)
        if self.state != "valid":
            return _("Mandate %(mandate)s is not validated.", mandate=self.name)
        if self.signature_date > collection_date:
            return _("Mandate %(mandate)s is signed after the collection date.",
                     mandate=self.name)
        if self.mandate_type == "oneoff" and self.first_collection_done:
            return _("One-off mandate %(mandate)s was already used.", mandate=self.name)
        last = self.last_collection_date or self.signature_date
        if last < collection_date - relativedelta(months=EXPIRY_MONTHS):
            return _("Mandate %(mandate)s has not been used for 36 months.", mandate=self.name)
        problem = iban_problem((self.bank_id.acc_number or "").replace(" ", ""))
        problem = problem or bic_problem(self.bank_id.bank_bic)
        if problem:
            return _("Mandate %(mandate)s: %(problem)s.", mandate=self.name, problem=problem)
        return ""

    def _rental_sdd_sequence_type(self):
        """FRST for the first collection of a recurrent mandate, then RCUR; OOFF once."""
        self.ensure_one()
        if self.mandate_type == "oneoff":
            return "OOFF"
        return "RCUR" if self.first_collection_done else "FRST"

    def _rental_sdd_amendment(self):
        """The :class:`sepa.MandateAmendment` to send with the next collection, or None."""
        self.ensure_one()
        if not self.has_amendment:
            return None
        return sepa.MandateAmendment(
            original_mandate_id=self.amend_original_reference or None,
            original_creditor_scheme_id=self.amend_original_creditor_id or None,
            original_creditor_name=self.amend_original_creditor_name or None,
            original_debtor_iban=(None if self.amend_bank_changed
                                  else (self.amend_original_iban or None)),
            debtor_bank_changed=self.amend_bank_changed,
        )

    def _rental_sdd_mark_used(self, collection_date):
        """After a collection is sent: RCUR next time, amendment information cleared."""
        if not self:
            return
        # The collection run posts one message for all; no tracking per mandate.
        self.with_context(tracking_disable=True).write({
            "first_collection_done": True,
            "last_collection_date": collection_date,
            "amend_original_reference": False,
            "amend_original_creditor_id": False,
            "amend_original_creditor_name": False,
            "amend_original_iban": False,
            "amend_bank_changed": False,
        })

    def _rental_register_return(self, debit, code, text):
        """Record a returned or rejected debit; close the mandate when the reason says
        it is dead (account closed or blocked, no mandate, debtor deceased). A rejected
        first collection (never collected) makes the next collection a first one again."""
        rejected = debit.state == "rejected"
        what = _("rejected by the bank") if rejected else _("returned")
        for mandate in self:
            vals = {
                "last_return_code": code,
                "last_return_text": text,
                "last_return_date": debit.return_date,
            }
            closing = code in CLOSING_RETURN_CODES and mandate.state == "valid"
            if closing:
                vals.update({
                    "state": "revoked",
                    "revoke_date": debit.return_date,
                    "revoke_reason": _("Debit %(e2e)s %(what)s: %(code)s %(text)s",
                                       e2e=debit.end_to_end_id, what=what, code=code,
                                       text=text or ""),
                })
            elif rejected and debit.sequence_type == "FRST" and not self.env[
                "rental.sdd.debit"
            ].search_count([("mandate_id", "=", mandate.id), ("id", "!=", debit.id),
                            ("state", "in", ("sent", "settled", "returned"))], limit=1):
                vals["first_collection_done"] = False
            mandate.write(vals)
            body = (
                _("Debit %(e2e)s %(what)s (%(code)s %(text)s): mandate revoked.",
                  e2e=debit.end_to_end_id, what=what, code=code, text=text or "")
                if closing else
                _("Debit %(e2e)s %(what)s (%(code)s %(text)s): the mandate stays valid.",
                  e2e=debit.end_to_end_id, what=what, code=code or "?", text=text or "")
            )
            if rejected and debit.amendment and not closing:
                body += " " + _("It carried the mandate's amendment: enter the "
                                "amendment again so that the next collection sends it.")
            mandate.message_post(body=body)
