from odoo import _, models


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def _rental_download_action(self):
        """The action that downloads these files (SEPA files, statements, letters): one
        file directly, several in a list to pick from."""
        if len(self) == 1:
            return {
                "type": "ir.actions.act_url",
                "url": f"/web/content/{self.id}?download=true",
                "target": "self",
            }
        return {
            "type": "ir.actions.act_window",
            "name": _("Files"),
            "res_model": "ir.attachment",
            "view_mode": "list,form",
            "domain": [("id", "in", self.ids)],
        }
