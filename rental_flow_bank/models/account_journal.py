from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.rental_flow.engines import viban


class AccountJournal(models.Model):
    """Bank journal settings of the bank feeds and the actions of the journal card."""

    _inherit = "account.journal"

    rental_credited_account_source = fields.Selection(
        [
            ("auto", "Creditor account, else entry reference"),
            ("cdtr_acct", "Creditor account only (CdtrAcct)"),
            ("ntry_ref", "Entry reference only (NtryRef)"),
        ],
        string="Virtual IBAN Read From",
        default="auto",
        help="Where the bank reports the account the payer addressed (the virtual IBAN) "
        "in CAMT statements: the creditor account of the transaction (usual), or the "
        "entry reference (some banks put the alias there). 'Auto' uses the creditor "
        "account and falls back on an entry reference that is a valid IBAN.",
    )
    rental_csv_mapping_id = fields.Many2one(
        "rental.bank.csv.mapping",
        string="CSV/Excel Column Mapping",
        check_company=True,
        help="Column mapping used for CSV and Excel statements of this account.",
    )
    rental_bank_import_count = fields.Integer(compute="_compute_rental_bank_import_count")

    def _compute_rental_bank_import_count(self):
        groups = self.env["rental.bank.import"]._read_group(
            [("journal_ids", "in", self.ids)], ["journal_ids"], ["__count"]
        )
        counts = {journal.id: count for journal, count in groups}
        for journal in self:
            journal.rental_bank_import_count = counts.get(journal.id, 0)

    @api.model
    def _rental_find_bank_journals(self, account_keys, companies=None):
        """Map account identifiers (IBANs) to bank journals, by exact IBAN.

        The IBANs are compared in their compact upper-case form with the journals'
        bank account numbers (``res.partner.bank.sanitized_acc_number``), never with
        a ``like``. Returns ``{account key: journal}`` for the keys that match exactly
        one bank journal; a key matching several journals maps to all of them (the
        caller reports the ambiguity).
        """
        keys = {viban.normalize(k) for k in account_keys if k}
        if not keys:
            return {}
        domain = [("type", "=", "bank"), ("bank_account_id.sanitized_acc_number", "in", list(keys))]
        if companies is not None:
            domain.append(("company_id", "in", companies.ids))
        result = {}
        for journal in self.search(domain):
            key = viban.normalize(journal.bank_account_id.sanitized_acc_number)
            result[key] = result.get(key, self.browse()) | journal
        return result

    def action_rental_import_statement(self):
        """Open the statement import wizard for this bank journal."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow_bank.action_rental_bank_import_wizard"
        )
        if len(self) == 1:
            if self.type != "bank":
                raise UserError(_("Statements can only be imported into bank journals."))
            action["context"] = {"default_journal_id": self.id}
        return action

    def action_rental_view_bank_lines(self):
        """Bank lines of this journal, with the virtual IBAN and property filters."""
        return self.env["account.bank.statement.line"]._rental_action_lines(
            [("journal_id", "in", self.ids)], {"default_journal_id": self[:1].id}
        )

    def action_rental_view_imports(self):
        """Imports (files, bank API, webhooks) into this journal."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow_bank.action_rental_bank_import"
        )
        action["domain"] = [("journal_ids", "in", self.ids)]
        return action
