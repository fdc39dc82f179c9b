from odoo import api, fields, models

from ..engines.phone import normalize_mobile

#: Region of the numbers written without international prefix, for partners without country.
DEFAULT_REGION = "FR"


class ResPartner(models.Model):
    _inherit = "res.partner"

    rental_dunning_policy_id = fields.Many2one(
        "rental.dunning.policy",
        string="Dunning Policy",
        company_dependent=True,
        help="Dunning policy of this tenant's leases (a lease can have its own). Empty: the "
        "company's default policy.",
    )
    rental_dunning_history_count = fields.Integer(compute="_compute_rental_dunning_count")
    rental_sms_number = fields.Char(
        string="SMS Number",
        compute="_compute_rental_sms_number",
        store=True,
        help="Mobile number (or phone, when it is a mobile) in E.164 format, as the reminder "
        "SMS use it. Empty when there is none that can receive an SMS.",
    )
    rental_sms_problem = fields.Selection(
        [
            ("missing", "No number"),
            ("unparsable", "Not a phone number"),
            ("invalid", "Invalid number"),
            ("not_mobile", "Not a mobile number"),
        ],
        string="SMS Number Problem",
        compute="_compute_rental_sms_number",
        store=True,
    )

    @api.depends("mobile", "phone", "country_id")
    def _compute_rental_sms_number(self):
        """Normalise the mobile number once, when it changes (not at every dunning run)."""
        for partner in self:
            check = normalize_mobile(
                partner.mobile or partner.phone, partner.country_id.code or DEFAULT_REGION
            )
            partner.rental_sms_number = check.e164
            partner.rental_sms_problem = check.problem

    @api.depends_context("company")
    def _compute_rental_dunning_count(self):
        counts = dict(self.env["rental.dunning.history"]._read_group(
            [("partner_id", "in", self.ids), ("channel", "!=", "activity")],
            ["partner_id"], ["__count"],
        ))
        for partner in self:
            partner.rental_dunning_history_count = counts.get(partner, 0)

    def action_view_rental_dunning_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow_dunning.action_rental_dunning_history"
        )
        action["domain"] = ["|", ("partner_id", "=", self.id), ("tenant_id", "=", self.id)]
        return action
