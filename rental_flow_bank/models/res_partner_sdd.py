from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    rental_sdd_mandate_ids = fields.One2many("rental.sdd.mandate", "partner_id",
                                             string="Direct Debit Mandates")
    rental_sdd_mandate_count = fields.Integer(compute="_compute_rental_sdd_mandate_count")

    def _compute_rental_sdd_mandate_count(self):
        counts = dict(self.env["rental.sdd.mandate"]._read_group(
            [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
        ))
        for partner in self:
            partner.rental_sdd_mandate_count = counts.get(partner, 0)

    def action_rental_view_sdd_mandates(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow_bank.action_rental_sdd_mandate"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action
