import base64

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..engines.sdd_status import detect_pain002
from ..engines.statement_import import detect_format
from ..engines.statement_types import FORMAT_CSV, FORMAT_XLSX, StatementParseError


class RentalBankImportWizard(models.TransientModel):
    """Import a bank statement file: CAMT.053/054, CFONB 120, CSV or Excel; or the bank's
    status report (pain.002) of a direct debit file.

    The format is detected from the content. A file may hold the statements of several
    accounts: each goes to the bank journal of its IBAN. The result (lines created,
    already imported, warnings, or the error that stopped everything) is shown in the
    import log.
    """

    _name = "rental.bank.import.wizard"
    _description = "Import Bank Statement"

    journal_id = fields.Many2one(
        "account.journal",
        string="Bank Journal",
        domain="[('type', '=', 'bank')]",
        help="Used for files that do not name their account (CSV without an account "
        "column); the statements of a file that names its accounts go to the journal of "
        "each account.",
    )
    data_file = fields.Binary(string="Statement File", required=True, attachment=False)
    filename = fields.Char()
    detected_format = fields.Char(compute="_compute_detected_format")
    needs_mapping = fields.Boolean(compute="_compute_detected_format")
    csv_mapping_id = fields.Many2one(
        "rental.bank.csv.mapping",
        string="Column Mapping",
        compute="_compute_csv_mapping_id", store=True, readonly=False,
        domain="['|', ('journal_id', '=', False), ('journal_id', '=', journal_id)]",
    )

    @api.depends("data_file", "filename")
    def _compute_detected_format(self):
        labels = {"camt.053": "CAMT.053", "camt.054": "CAMT.054", "cfonb120": "CFONB 120",
                  FORMAT_CSV: "CSV", FORMAT_XLSX: "Excel"}
        for wizard in self:
            wizard.detected_format = False
            wizard.needs_mapping = False
            if not wizard.data_file:
                continue
            data = base64.b64decode(wizard.data_file)
            status_report = detect_pain002(data)
            if status_report:
                wizard.detected_format = _("Direct debit status report (%(version)s)",
                                           version=status_report)
                continue
            try:
                fmt = detect_format(data, wizard.filename or "")
            except StatementParseError as exc:
                wizard.detected_format = str(exc)
                continue
            wizard.detected_format = labels.get(fmt, fmt)
            wizard.needs_mapping = fmt in (FORMAT_CSV, FORMAT_XLSX)

    @api.depends("journal_id")
    def _compute_csv_mapping_id(self):
        for wizard in self:
            wizard.csv_mapping_id = wizard.journal_id.rental_csv_mapping_id

    def action_import(self):
        """Import the file and open its import log."""
        self.ensure_one()
        if not self.data_file:
            raise UserError(_("Choose a statement file."))
        log = self.env["rental.bank.import"]._import_file(
            base64.b64decode(self.data_file),
            self.filename or "",
            journal=self.journal_id or None,
            csv_mapping=self.csv_mapping_id or None,
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "rental.bank.import",
            "res_id": log.id,
            "view_mode": "form",
            "target": "current",
            "name": _("Statement Import"),
        }
