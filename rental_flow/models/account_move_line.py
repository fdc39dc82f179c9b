from odoo import api, fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    rental_property_id = fields.Many2one(
        "rental.property", string="Property", index="btree_not_null", copy=True
    )
    rental_owner_id = fields.Many2one(
        "res.partner",
        string="Owner (funds held)",
        index="btree_not_null",
        help="Owner whose third-party account this line moves; it is the line's partner.",
    )
    rental_line_kind = fields.Selection(
        [
            ("rent", "Rent"),
            ("charges", "Service charges"),
            ("housing_benefit", "Housing benefit"),
            ("deposit", "Security deposit"),
        ],
        string="Rental Line Type",
    )

    @api.depends("move_id.rental_lease_id")
    def _compute_account_id(self):
        super()._compute_account_id()
        # The receivable of a rent call is the tenants' third-party account (e.g. 46711).
        for line in self:
            move = line.move_id
            if (
                line.display_type == "payment_term"
                and move.rental_lease_id
                and move.company_id.rental_tenant_account_id
            ):
                line.account_id = move.company_id.rental_tenant_account_id
