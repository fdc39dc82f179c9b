from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    rental_line_kind = fields.Selection(
        selection_add=[("dunning_fee", "Reminder fee")], ondelete={"dunning_fee": "set null"}
    )
