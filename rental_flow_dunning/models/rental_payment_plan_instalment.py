from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import float_compare


class RentalPaymentPlanInstalment(models.Model):
    """One instalment of a payment plan; its state comes from what was paid so far."""

    _name = "rental.payment.plan.instalment"
    _description = "Payment Plan Instalment"
    _order = "plan_id, date, sequence, id"

    plan_id = fields.Many2one("rental.payment.plan", required=True, index=True,
                              ondelete="cascade")
    company_id = fields.Many2one(related="plan_id.company_id", store=True)
    currency_id = fields.Many2one(related="plan_id.currency_id")
    sequence = fields.Integer(default=1)
    date = fields.Date(required=True)
    amount = fields.Monetary(required=True)
    amount_paid = fields.Monetary(compute="_compute_state", string="Paid")
    state = fields.Selection(
        [("paid", "Paid"), ("partial", "Partly Paid"), ("due", "To Come"), ("late", "Missed")],
        compute="_compute_state",
    )

    _sql_constraints = [
        ("amount_positive", "CHECK(amount > 0)", "An instalment must be positive."),
    ]

    @api.depends("plan_id.amount_paid", "date", "amount")
    @api.depends_context("rental_plan_date")
    def _compute_state(self):
        today = self.env.context.get("rental_plan_date") or fields.Date.context_today(self)
        results = {}
        for plan in self.plan_id:
            left = plan.amount_paid
            rounding = plan.currency_id.rounding or 0.01
            for instalment in plan.instalment_ids.sorted(lambda i: (i.date, i.sequence, i.id)):
                paid = min(left, instalment.amount)
                left -= paid
                if float_compare(paid, instalment.amount, precision_rounding=rounding) >= 0:
                    state = "paid"
                elif instalment.date + timedelta(days=plan.grace_days) < today:
                    state = "late"
                elif paid > 0:
                    state = "partial"
                else:
                    state = "due"
                results[instalment.id] = (paid, state)
        for instalment in self:
            paid, state = results.get(instalment.id, (0.0, "due"))
            instalment.amount_paid = paid
            instalment.state = state
