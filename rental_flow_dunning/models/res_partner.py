from odoo import api, fields, models


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
