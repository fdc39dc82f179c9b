from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    rental_call_kind = fields.Selection(
        selection_add=[("dunning_fee", "Reminder fee")], ondelete={"dunning_fee": "set null"}
    )
