from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engines import planner
from .rental_dunning_policy import to_cents

HISTORY_MODEL = "rental.dunning.history"


class RentalDunningLevel(models.Model):
    """One level of a dunning policy: when, by which channels, with which texts."""

    _name = "rental.dunning.level"
    _description = "Dunning Level"
    _order = "policy_id, sequence, delay_days, id"

    policy_id = fields.Many2one(
        "rental.dunning.policy", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="policy_id.currency_id")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    delay_days = fields.Integer(
        string="Days After Due Date",
        required=True,
        help="Days after the due date of the oldest unpaid rent call; negative for a "
        "courteous reminder before the due date.",
    )
    channel_email = fields.Boolean(string="Email")
    channel_sms = fields.Boolean(string="SMS")
    channel_letter = fields.Boolean(string="Letter")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain=[("model", "=", HISTORY_MODEL)],
        help="Rendered on the reminder, in the recipient's language.",
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain=[("model", "=", HISTORY_MODEL)],
    )
    letter_title = fields.Char(translate=True)
    letter_body = fields.Html(
        translate=True,
        sanitize=False,
        help="Text of the letter, a QWeb template rendered on the reminder: "
        "object.partner_id, object.lease_id, object.amount_overdue, object.move_ids...",
    )
    registered_letter = fields.Boolean(
        string="Registered Letter (LRAR)",
        help="The letter must go by registered post with acknowledgement of receipt: an "
        "activity asks the manager to send it.",
    )
    copy_guarantors = fields.Boolean(
        help="Send a copy to the guarantors (by email and letter) at this level, whatever "
        "the policy's 'Copy Guarantors From'.",
    )
    activity = fields.Boolean(
        string="Activity for a Person",
        help="Schedule an activity for the lease's manager: a phone call, a formal notice to "
        "send, a hand-over to a bailiff, a claim to declare to the rent-guarantee insurer.",
    )
    activity_type_id = fields.Many2one("mail.activity.type", string="Activity Type")
    activity_summary = fields.Char(translate=True)
    activity_note = fields.Html(translate=True)
    activity_days = fields.Integer(string="Activity Due In (days)", default=2)
    fee_amount = fields.Monetary(
        string="Reminder Fee",
        help="Charged only on the lease kinds the policy allows, never on residential leases.",
    )

    _sql_constraints = [
        ("fee_positive", "CHECK(fee_amount >= 0)", "A reminder fee cannot be negative."),
    ]

    @api.constrains(
        "name", "delay_days", "channel_email", "channel_sms", "channel_letter", "mail_template_id",
        "sms_template_id", "letter_body", "activity", "activity_type_id", "registered_letter",
    )
    def _check_channels(self):
        for level in self:
            if level.channel_email and not level.mail_template_id:
                raise ValidationError(
                    _("Level %(level)s sends emails: choose its email template.",
                      level=level.name)
                )
            if level.channel_sms and not level.sms_template_id:
                raise ValidationError(
                    _("Level %(level)s sends SMS: choose its SMS template.", level=level.name)
                )
            if level.channel_letter and not level.letter_body:
                raise ValidationError(
                    _("Level %(level)s sends letters: write the letter.", level=level.name)
                )
            if level.activity and not level.activity_type_id:
                raise ValidationError(
                    _("Level %(level)s schedules an activity: choose its type.",
                      level=level.name)
                )
            if level.registered_letter and not level.channel_letter:
                raise ValidationError(
                    _("Level %(level)s: a registered letter is a letter.", level=level.name)
                )
            if not (level.channel_email or level.channel_sms or level.channel_letter
                    or level.activity):
                raise ValidationError(
                    _("Level %(level)s does nothing: choose a channel or an activity.",
                      level=level.name)
                )
            for template in (level.mail_template_id, level.sms_template_id):
                if template and template.model != HISTORY_MODEL:
                    raise ValidationError(
                        _("The templates of a dunning level apply to reminders.")
                    )

    def _channels(self):
        self.ensure_one()
        return frozenset(
            channel
            for channel, flag in (
                ("email", self.channel_email),
                ("sms", self.channel_sms),
                ("letter", self.channel_letter),
            )
            if flag
        )

    def _to_spec(self):
        self.ensure_one()
        return planner.LevelSpec(
            key=self.id,
            delay_days=self.delay_days,
            channels=self._channels(),
            activity=self.activity or self.registered_letter,
            copy_guarantors=self.copy_guarantors,
            fee_cents=to_cents(self.fee_amount),
            name=self.name or "",
        )

    def _position(self):
        """1-based position of the level in its policy."""
        self.ensure_one()
        return list(self.policy_id._ordered_levels()).index(self) + 1

    @api.constrains("delay_days", "sequence", "fee_amount")
    def _check_policy(self):
        self.policy_id._check_levels()
