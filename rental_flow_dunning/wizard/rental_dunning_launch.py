from odoo import _, api, fields, models
from odoo.exceptions import UserError


class RentalDunningLaunch(models.TransientModel):
    """Start a dunning run: preview (dry run) what would be sent, then send from the run."""

    _name = "rental.dunning.launch"
    _description = "Launch a Dunning Run"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    lease_ids = fields.Many2many(
        "rental.lease", string="Only These Leases",
        help="Empty: every lease of the company.",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "rental.lease" and context.get("active_ids"):
            leases = self.env["rental.lease"].browse(context["active_ids"])
            values["lease_ids"] = [(6, 0, leases.ids)]
            if leases.company_id:
                values["company_id"] = leases.company_id[:1].id
        return values

    def action_preview(self):
        self.ensure_one()
        if self.lease_ids.company_id - self.company_id:
            raise UserError(_("The leases belong to another company."))
        run = self.env["rental.dunning.run"].create(
            {"company_id": self.company_id.id, "date": self.date,
             "lease_ids": [(6, 0, self.lease_ids.ids)]}
        )
        run.action_preview()
        return {
            "type": "ir.actions.act_window",
            "res_model": "rental.dunning.run",
            "res_id": run.id,
            "view_mode": "form",
            "target": "current",
        }
