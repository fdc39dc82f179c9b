"""Company accounts and journal of the owner split entries, payouts and funds check."""

from odoo import _, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    rental_fee_account_id = fields.Many2one(
        "account.account",
        string="Management Fees Account",
        check_company=True,
        help="Income account of the management fees taken on collected rents (e.g. 706100).",
    )
    rental_insurer_account_id = fields.Many2one(
        "account.account",
        string="Insurers Account",
        check_company=True,
        help="Payable account of the rent-guarantee insurance premiums owed to the insurers "
        "(e.g. 46714, partner = the insurer).",
    )
    rental_works_advance_account_id = fields.Many2one(
        "account.account",
        string="Works Advances Account",
        check_company=True,
        help="Account of the works advanced by the agency for owners and recovered from "
        "their rents (e.g. 46715).",
    )
    rental_rounding_account_id = fields.Many2one(
        "account.account",
        string="Split Rounding Account",
        check_company=True,
        help="Account of any rounding difference of a split entry. Amounts are computed in "
        "cents, so it stays at zero; it is the defined place of any difference.",
    )
    rental_split_journal_id = fields.Many2one(
        "account.journal",
        string="Owner Splits Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        help="Miscellaneous journal of the owner split entries (fees, insurance, advances).",
    )

    def _rental_default_accounts(self):
        accounts = super()._rental_default_accounts()
        accounts.update(
            {
                "rental_fee_account_id": (
                    "706100", _("Management fees (rental)"), "income", False
                ),
                "rental_insurer_account_id": (
                    "46714", _("Rent guarantee insurers"), "liability_payable", True
                ),
                "rental_works_advance_account_id": (
                    "46715", _("Works advances to recover from owners"), "asset_current", False
                ),
                "rental_rounding_account_id": (
                    "46719", _("Owner split rounding differences"), "liability_current", False
                ),
            }
        )
        return accounts

    def _rental_ensure_setup(self):
        res = super()._rental_ensure_setup()
        for company in self:
            if company.rental_owner_account_id and not company.rental_split_journal_id:
                company.rental_split_journal_id = company._rental_get_or_create_split_journal()
        return res

    def _rental_get_or_create_split_journal(self):
        self.ensure_one()
        Journal = self.env["account.journal"].with_company(self)
        journal = Journal.search(
            [*Journal._check_company_domain(self), ("code", "=", "REPT"), ("type", "=", "general")],
            limit=1,
        )
        if not journal:
            journal = Journal.create(
                {
                    "name": _("Owner Splits"),
                    "code": "REPT",
                    "type": "general",
                    "company_id": self.id,
                }
            )
        return journal

    def _rental_split_ready(self):
        """Set the company up when an account or the journal of the splits is missing."""
        self.ensure_one()
        fields_needed = (
            "rental_owner_account_id",
            "rental_fee_account_id",
            "rental_insurer_account_id",
            "rental_works_advance_account_id",
            "rental_rounding_account_id",
            "rental_split_journal_id",
        )
        if not all(self[name] for name in fields_needed):
            self.sudo()._rental_ensure_setup()
        return all(self[name] for name in fields_needed)


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    rental_fee_account_id = fields.Many2one(
        related="company_id.rental_fee_account_id", readonly=False
    )
    rental_insurer_account_id = fields.Many2one(
        related="company_id.rental_insurer_account_id", readonly=False
    )
    rental_works_advance_account_id = fields.Many2one(
        related="company_id.rental_works_advance_account_id", readonly=False
    )
    rental_rounding_account_id = fields.Many2one(
        related="company_id.rental_rounding_account_id", readonly=False
    )
    rental_split_journal_id = fields.Many2one(
        related="company_id.rental_split_journal_id", readonly=False
    )
