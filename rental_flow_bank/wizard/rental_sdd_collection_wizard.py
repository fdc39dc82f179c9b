from datetime import timedelta

from odoo import _, fields, models


class RentalSddCollectionWizard(models.TransientModel):
    """Start a direct debit collection run on a date: gather, review, then send."""

    _name = "rental.sdd.collection.wizard"
    _description = "New Direct Debit Collection"

    company_id = fields.Many2one("res.company", required=True,
                                 default=lambda self: self.env.company)
    collection_date = fields.Date(
        required=True,
        default=lambda self: fields.Date.context_today(self) + timedelta(days=1),
        help="Rent calls due by this date are collected on it.",
    )
    generate = fields.Boolean(
        string="Send at Once",
        help="Write the SEPA file (or send through the bank connector) right away; "
        "otherwise the run stays a draft to review.",
    )

    def action_create(self):
        self.ensure_one()
        run = self.env["rental.sdd.collection"].with_company(self.company_id).create(
            {"company_id": self.company_id.id, "collection_date": self.collection_date}
        )
        run._gather()
        if self.generate:
            run._generate()
        return {
            "type": "ir.actions.act_window",
            "res_model": run._name,
            "res_id": run.id,
            "view_mode": "form",
            "name": _("Direct Debit Collection"),
        }
