"""Rent status of a lease: what the tenant owes now, how many calls are open, how late."""

from odoo import _, api, fields, models


class RentalLease(models.Model):
    _inherit = "rental.lease"

    rental_balance = fields.Monetary(
        string="Current Balance",
        compute="_compute_rental_rent_status",
        help="Open amount of the lease's rent calls less the credit its payments left "
        "(negative: the tenant is in credit).",
    )
    rental_open_call_count = fields.Integer(
        string="Unpaid Calls",
        compute="_compute_rental_rent_status",
        help="Rent calls unpaid or partially paid.",
    )
    rental_days_late = fields.Integer(
        string="Days Late",
        compute="_compute_rental_rent_status",
        help="Days past the due date of the oldest unpaid or partially paid rent call.",
    )

    @api.depends_context("tz")
    def _compute_rental_rent_status(self):
        Move = self.env["account.move"]
        base = [("rental_lease_id", "in", self.ids), ("rental_rent_status", "!=", False)]
        balances = dict(
            Move._read_group(
                [
                    ("rental_lease_id", "in", self.ids),
                    ("state", "=", "posted"),
                    ("move_type", "in", ("out_invoice", "out_refund")),
                ],
                ["rental_lease_id"],
                ["amount_residual_signed:sum"],
            )
        )
        credits = dict(
            Move._read_group(base, ["rental_lease_id"], ["rental_amount_overpaid:sum"])
        )
        open_stats = {
            lease: (count, oldest)
            for lease, count, oldest in Move._read_group(
                [*base, ("rental_rent_status", "in", ("unpaid", "partial"))],
                ["rental_lease_id"],
                ["__count", "invoice_date_due:min"],
            )
        }
        today = fields.Date.context_today(self)
        for lease in self:
            count, oldest = open_stats.get(lease, (0, False))
            lease.rental_balance = balances.get(lease, 0.0) - credits.get(lease, 0.0)
            lease.rental_open_call_count = count
            lease.rental_days_late = max(0, (today - oldest).days) if oldest else 0

    def action_view_open_rent_calls(self):
        """The lease's rent calls still to be paid, oldest first."""
        self.ensure_one()
        action = self._action_open_moves(self.rent_call_ids)
        action["name"] = _("Unpaid Rent Calls")
        action["context"] = {
            "default_move_type": "out_invoice",
            "search_default_filter_rent_open": 1,
        }
        return action
