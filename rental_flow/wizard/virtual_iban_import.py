import base64

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..engines import viban


class RentalVirtualIbanImport(models.TransientModel):
    """Import the list of virtual IBANs a bank issued (CSV)."""

    _name = "rental.virtual.iban.import"
    _description = "Import Virtual IBANs"

    pool_id = fields.Many2one("rental.virtual.iban.pool", required=True)
    file = fields.Binary(required=True, string="CSV File")
    filename = fields.Char()
    report = fields.Text(readonly=True)
    state = fields.Selection([("draft", "Draft"), ("error", "Errors"), ("done", "Done")],
                             default="draft")

    def action_import(self):
        """Validate every line; create all IBANs, or none and list every problem."""
        self.ensure_one()
        data = base64.b64decode(self.file or b"")
        existing = self.env["rental.virtual.iban"].with_context(active_test=False).search([])
        try:
            parsed = viban.parse_import(data, existing=existing.mapped("name"))
        except viban.VirtualIbanError as exc:
            raise UserError(str(exc)) from None
        if self.pool_id.master_iban:
            master = viban.normalize(self.pool_id.master_iban)
            for row in parsed.rows:
                if row.iban == master:
                    parsed.errors.append(
                        (row.line, _("%(iban)s is the master account's own IBAN.", iban=master))
                    )
        if parsed.errors:
            lines = [
                _("Nothing was imported. Fix these lines and import the file again:"),
                *(
                    _("Line %(line)s: %(error)s", line=line, error=error)
                    for line, error in sorted(parsed.errors)
                ),
                _("%(count)s other lines are valid.", count=len(parsed.rows)),
            ]
            self.write({"state": "error", "report": "\n".join(lines)})
            return self._reopen()
        created = self.pool_id._add_ibans(
            [
                {"iban": row.iban, "label": row.label, "provider_ref": row.provider_ref}
                for row in parsed.rows
            ]
        )
        self.pool_id.message_post(
            body=_("%(count)s virtual IBANs imported from %(file)s.",
                   count=len(created), file=self.filename or _("a file"))
        )
        self.write(
            {"state": "done", "report": _("%(count)s virtual IBANs imported.", count=len(created))}
        )
        return self._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
