from odoo import fields, models


class AccountBankStatement(models.Model):
    """Bank statements created by an import keep a link to it (audit trail)."""

    _inherit = "account.bank.statement"

    rental_import_id = fields.Many2one(
        "rental.bank.import",
        string="Import",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
    )
