from datetime import timedelta

from odoo import _, fields, models
from odoo.exceptions import UserError


class RentalRentCallIssue(models.TransientModel):
    """Issue the rent calls of selected (or all running) leases up to a date."""

    _name = "rental.rent.call.issue"
    _description = "Issue Rent Calls"

    lease_ids = fields.Many2many(
        "rental.lease",
        string="Leases",
        help="Leave empty to issue the rent calls of every running lease.",
    )
    until = fields.Date(
        string="Periods Starting Until",
        required=True,
        default=lambda self: fields.Date.context_today(self)
        + timedelta(days=self.env.company.rental_call_advance_days),
    )

    def action_issue(self):
        self.ensure_one()
        leases = self.lease_ids or self.env["rental.lease"].search(
            [("state", "=", "running"), ("company_id", "in", self.env.companies.ids)]
        )
        moves = leases._issue_rent_calls(until=self.until)
        if not moves:
            raise UserError(_("All the rent calls up to this date are already issued."))
        return leases._action_open_moves(moves)
