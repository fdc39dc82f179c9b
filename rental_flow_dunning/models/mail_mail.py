from odoo import fields, models


class MailMail(models.Model):
    """Reminder emails report their sending (or failure) to their reminder."""

    _inherit = "mail.mail"

    rental_history_id = fields.Many2one(
        "rental.dunning.history", string="Reminder", index="btree_not_null", ondelete="set null"
    )

    def _postprocess_sent_message(self, success_pids, failure_reason=False, failure_type=None):
        reminders = self.filtered("rental_history_id")
        if reminders:
            self.env["rental.dunning.history"].sudo()._sync_from_mails(reminders)
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )

    def cancel(self):
        result = super().cancel()
        reminders = self.filtered("rental_history_id")
        if reminders:
            self.env["rental.dunning.history"].sudo()._sync_from_mails(reminders)
        return result
