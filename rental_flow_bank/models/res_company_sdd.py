from stdnum.eu import at_02

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    """SEPA direct debit settings of the agency: who collects, from which account, and
    how long before a collection the tenant must have been told (the rent call is the
    pre-notification)."""

    _inherit = "res.company"

    rental_sdd_creditor_id = fields.Char(
        string="SEPA Creditor Identifier",
        help="Identifier given by the national bank (ICS in France, e.g. FR12ZZZ123456), "
        "written in every direct debit file.",
    )
    rental_sdd_prenotification_days = fields.Integer(
        string="Pre-notification (days)",
        default=14,
        help="A rent call is collected only if it was issued at least this many days "
        "before the collection date (SEPA rulebook: 14 calendar days unless agreed "
        "otherwise with the debtor).",
    )
    rental_sdd_journal_id = fields.Many2one(
        "account.journal",
        string="Direct Debit Journal",
        domain="[('type', '=', 'bank'), ('company_id', '=', id)]",
        help="Bank journal of the account the direct debits are collected into; the "
        "mandant bank journal when empty.",
    )

    @api.constrains("rental_sdd_creditor_id")
    def _check_rental_sdd_creditor_id(self):
        for company in self:
            value = company.rental_sdd_creditor_id
            if value and not at_02.is_valid(value):
                raise ValidationError(
                    _("%(value)s is not a valid SEPA creditor identifier.", value=value)
                )

    @api.constrains("rental_sdd_prenotification_days")
    def _check_rental_sdd_prenotification_days(self):
        for company in self:
            if company.rental_sdd_prenotification_days < 0:
                raise ValidationError(_("The pre-notification period cannot be negative."))

    def write(self, vals):
        if "rental_sdd_creditor_id" in vals:
            self._rental_sdd_note_creditor_change(vals["rental_sdd_creditor_id"])
        return super().write(vals)

    def _rental_sdd_note_creditor_change(self, new_id):
        """The creditor identifier changes: the used mandates send the former one once
        as amendment information (the debtor banks know the mandates under it)."""
        for company in self:
            old = company.rental_sdd_creditor_id
            if not old or not new_id or at_02.compact(old) == at_02.compact(new_id):
                continue
            mandates = self.env["rental.sdd.mandate"].search([
                ("company_id", "=", company.id), ("state", "=", "valid"),
                ("first_collection_done", "=", True),
                ("amend_original_creditor_id", "=", False),
            ])
            mandates.write({"amend_original_creditor_id": at_02.compact(old),
                            "amend_original_creditor_name": company.name})

    def _rental_sdd_journal(self):
        """The bank journal that receives the collections."""
        self.ensure_one()
        return self.rental_sdd_journal_id or self.rental_bank_journal_id
