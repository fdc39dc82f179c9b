from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    rental_sdd_creditor_id = fields.Char(
        related="company_id.rental_sdd_creditor_id", readonly=False
    )
    rental_sdd_prenotification_days = fields.Integer(
        related="company_id.rental_sdd_prenotification_days", readonly=False
    )
    rental_sdd_journal_id = fields.Many2one(
        related="company_id.rental_sdd_journal_id", readonly=False
    )
