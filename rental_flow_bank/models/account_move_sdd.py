"""Rent calls whose direct debit is on its way are not chased."""

from odoo import api, models
from odoo.tools import SQL


class AccountMove(models.Model):
    _inherit = "account.move"

    @api.model
    def _rental_payment_pending_sql(self, alias="m"):
        """A rent call in a direct debit sent to the bank, not yet settled nor returned:
        its payment is on its way (the debtor's bank may still return it; the return
        reopens the call, and dunning chases it then)."""
        return SQL(
            """(%s OR EXISTS (
                    SELECT 1
                      FROM rental_sdd_debit_move_rel rel
                      JOIN rental_sdd_debit d ON d.id = rel.debit_id
                     WHERE rel.move_id = %s.id AND d.state = 'sent'))""",
            super()._rental_payment_pending_sql(alias),
            SQL.identifier(alias),
        )
