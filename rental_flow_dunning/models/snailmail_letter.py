from odoo import models


class SnailmailLetter(models.Model):
    """Letters posted for reminders report their state to their reminder."""

    _inherit = "snailmail.letter"

    def write(self, vals):
        result = super().write(vals)
        if "state" in vals:
            reminders = self.filtered(lambda letter: letter.model == "rental.dunning.history")
            if reminders:
                self.env["rental.dunning.history"].sudo()._sync_from_letters(reminders)
        return result
