from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    rental_dunning_policy_id = fields.Many2one(
        related="company_id.rental_dunning_policy_id", readonly=False
    )
    rental_dunning_user_id = fields.Many2one(
        related="company_id.rental_dunning_user_id", readonly=False
    )
    rental_sms_provider_id = fields.Many2one(
        related="company_id.rental_sms_provider_id", readonly=False
    )
    rental_dunning_letter_mode = fields.Selection(
        related="company_id.rental_dunning_letter_mode", readonly=False
    )
    rental_dunning_cron_mode = fields.Selection(
        related="company_id.rental_dunning_cron_mode", readonly=False
    )
    rental_dunning_inline_limit = fields.Integer(
        related="company_id.rental_dunning_inline_limit", readonly=False
    )
    rental_dunning_recovery_days = fields.Integer(
        related="company_id.rental_dunning_recovery_days", readonly=False
    )
    rental_dunning_late_grace_days = fields.Integer(
        related="company_id.rental_dunning_late_grace_days", readonly=False
    )
