from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    rental_dunning_policy_id = fields.Many2one(
        "rental.dunning.policy",
        string="Default Dunning Policy",
        help="Policy of the leases and tenants that have none of their own.",
    )
    rental_dunning_user_id = fields.Many2one(
        "res.users",
        string="Dunning Manager",
        help="Gets the dunning activities of leases without a dunning manager of their own.",
    )
    rental_sms_provider_id = fields.Many2one("rental.sms.provider", string="SMS Provider")
    rental_dunning_letter_mode = fields.Selection(
        [("print", "Print (batch PDF)"), ("snailmail", "Post with Odoo Snailmail")],
        string="Dunning Letters",
        default="print",
        required=True,
    )
    rental_dunning_cron_mode = fields.Selection(
        [
            ("off", "Off"),
            ("preview", "Prepare a run to check"),
            ("send", "Prepare and send"),
        ],
        string="Daily Dunning Run",
        default="preview",
        required=True,
    )
    rental_dunning_inline_limit = fields.Integer(
        string="Deliver at Once Up To",
        default=300,
        help="Runs sending up to this many reminders render and queue their emails and SMS "
        "at once; larger runs hand them to a background job that works by batches.",
    )
    rental_dunning_recovery_days = fields.Integer(
        string="Recovery Window (days)",
        default=15,
        help="A payment received this many days after a reminder is credited to it.",
    )
    rental_dunning_late_grace_days = fields.Integer(
        string="Late After (days)",
        default=5,
        help="A rent paid more than this many days after its due date counts as paid late "
        "(chronic late payers' rule).",
    )
