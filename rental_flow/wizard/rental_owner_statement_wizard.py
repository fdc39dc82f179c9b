"""Wizard: owner statements for a month, a quarter or any period."""

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class RentalOwnerStatementWizard(models.TransientModel):
    _name = "rental.owner.statement.wizard"
    _description = "Generate Owner Statements"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    period = fields.Selection(
        [("month", "Month"), ("quarter", "Quarter"), ("custom", "Custom")],
        default="month",
        required=True,
    )
    reference_date = fields.Date(
        string="In the Period of",
        default=lambda self: fields.Date.context_today(self) - relativedelta(months=1),
        help="Any date of the month or quarter to report.",
    )
    date_from = fields.Date(
        compute="_compute_dates", store=True, readonly=False, required=True, precompute=True
    )
    date_to = fields.Date(
        compute="_compute_dates", store=True, readonly=False, required=True, precompute=True
    )
    owner_ids = fields.Many2many(
        "res.partner", string="Owners", help="Leave empty for every owner with entries."
    )

    @api.depends("period", "reference_date")
    def _compute_dates(self):
        for wizard in self:
            day = wizard.reference_date or fields.Date.context_today(self)
            if wizard.period == "month":
                wizard.date_from = day.replace(day=1)
                wizard.date_to = wizard.date_from + relativedelta(months=1, days=-1)
            elif wizard.period == "quarter":
                month = 3 * ((day.month - 1) // 3) + 1
                wizard.date_from = day.replace(month=month, day=1)
                wizard.date_to = wizard.date_from + relativedelta(months=3, days=-1)
            elif not wizard.date_from or not wizard.date_to:
                wizard.date_from = day.replace(day=1)
                wizard.date_to = day

    def action_generate(self):
        self.ensure_one()
        if self.date_from > self.date_to:
            raise UserError(_("The period ends before it starts."))
        Statement = self.env["rental.owner.statement"]
        owners = self.owner_ids or Statement._owners_with_activity(self.company_id, self.date_to)
        if not owners:
            raise UserError(_("No owner has entries up to this date."))
        statements = Statement.with_company(self.company_id)._generate(
            self.company_id, owners, self.date_from, self.date_to
        )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow.action_rental_owner_statement"
        )
        action["domain"] = [("id", "in", statements.ids)]
        return action
