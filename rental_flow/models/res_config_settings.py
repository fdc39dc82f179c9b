from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    rental_tenant_account_id = fields.Many2one(
        related="company_id.rental_tenant_account_id", readonly=False
    )
    rental_owner_account_id = fields.Many2one(
        related="company_id.rental_owner_account_id", readonly=False
    )
    rental_deposit_account_id = fields.Many2one(
        related="company_id.rental_deposit_account_id", readonly=False
    )
    rental_journal_id = fields.Many2one(related="company_id.rental_journal_id", readonly=False)
    rental_bank_journal_id = fields.Many2one(
        related="company_id.rental_bank_journal_id", readonly=False
    )
    rental_call_advance_days = fields.Integer(
        related="company_id.rental_call_advance_days", readonly=False
    )

    def action_rental_create_default_accounts(self):
        self.company_id._rental_ensure_setup()
        return {"type": "ir.actions.client", "tag": "reload"}
