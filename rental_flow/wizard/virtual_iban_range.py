from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..engines import viban


class RentalVirtualIbanRange(models.TransientModel):
    """Compute the IBANs of an account-number range the bank reserved by contract."""

    _name = "rental.virtual.iban.range"
    _description = "Compute a Virtual IBAN Range"

    pool_id = fields.Many2one("rental.virtual.iban.pool", required=True)
    bank_code = fields.Char(required=True, size=5)
    branch_code = fields.Char(required=True, size=5, string="Branch Code (guichet)")
    first_account = fields.Integer(string="First Account Number", required=True, default=1)
    count = fields.Integer(string="Number of IBANs", required=True, default=100)
    preview = fields.Char(compute="_compute_preview")

    @api.depends("bank_code", "branch_code", "first_account", "count")
    def _compute_preview(self):
        for wizard in self:
            try:
                ibans = viban.generate_range(
                    "FR", wizard.bank_code or "", wizard.branch_code or "",
                    wizard.first_account, min(wizard.count, 1) or 1,
                )
                wizard.preview = _("First IBAN: %(iban)s", iban=ibans[0])
            except viban.VirtualIbanError as exc:
                wizard.preview = str(exc)

    @api.onchange("pool_id")
    def _onchange_pool_id(self):
        master = viban.normalize(self.pool_id.master_iban or "")
        if master.startswith("FR") and len(master) == 27:
            self.bank_code = self.bank_code or master[4:9]

    def action_generate(self):
        self.ensure_one()
        if self.count > 100000:
            raise UserError(_("Compute at most 100,000 IBANs at once."))
        created = self.pool_id._add_range(
            self.bank_code, self.branch_code, self.first_account, self.count
        )
        self.pool_id.message_post(
            body=_(
                "%(count)s virtual IBANs computed (bank %(bank)s, branch %(branch)s, "
                "accounts from %(first)s).",
                count=len(created),
                bank=self.bank_code,
                branch=self.branch_code,
                first=self.first_account,
            )
        )
        return self.pool_id.action_view_ibans()
