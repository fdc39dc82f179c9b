"""Wizard: compute (and send) a payout run now."""

from odoo import _, fields, models
from odoo.exceptions import UserError


class RentalPayoutRunWizard(models.TransientModel):
    _name = "rental.payout.run.wizard"
    _description = "New Payout Run"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    date = fields.Date(
        string="Execution Date", required=True, default=fields.Date.context_today
    )
    mandate_ids = fields.Many2many(
        "rental.mandate",
        string="Mandates",
        domain="[('company_id', '=', company_id), ('state', '=', 'active')]",
        help="Leave empty to pay the owners of every active mandate.",
    )
    confirm = fields.Boolean(
        string="Send at Once",
        help="Post the payments and write the SEPA file right away; otherwise the run "
        "stays a draft to review.",
    )

    def action_create_run(self):
        self.ensure_one()
        mandates = self.mandate_ids or self.env["rental.mandate"].search(
            [("company_id", "=", self.company_id.id), ("state", "=", "active")]
        )
        if not mandates:
            raise UserError(_("There is no active mandate to pay."))
        run = self.env["rental.payout.run"].with_company(self.company_id).create(
            {
                "company_id": self.company_id.id,
                "date": self.date,
                "mandate_ids": [fields.Command.set(mandates.ids)],
            }
        )
        run._compute_payouts()
        if self.confirm and run.payout_ids.filtered(lambda p: p.state == "draft"):
            run._confirm(recheck=False)
        return {
            "type": "ir.actions.act_window",
            "res_model": "rental.payout.run",
            "res_id": run.id,
            "view_mode": "form",
        }
