from odoo import Command, _, api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    rental_tenant_account_id = fields.Many2one(
        "account.account",
        string="Tenants Account",
        check_company=True,
        help="Receivable account of the rent calls (e.g. 46711). It is a third-party "
        "account: the agency collects on behalf of owners.",
    )
    rental_owner_account_id = fields.Many2one(
        "account.account",
        string="Owners Account",
        check_company=True,
        help="Account credited with the rents called for owners (e.g. 46712). The rent "
        "is never the agency's revenue.",
    )
    rental_deposit_account_id = fields.Many2one(
        "account.account",
        string="Security Deposits Account",
        check_company=True,
        help="Liability account of the security deposits held (e.g. 46713).",
    )
    rental_journal_id = fields.Many2one(
        "account.journal",
        string="Rent Calls Journal",
        check_company=True,
        domain="[('type', '=', 'sale')]",
        help="Sales journal of the rent calls (avis d'échéance).",
    )
    rental_bank_journal_id = fields.Many2one(
        "account.journal",
        string="Mandant Bank Journal",
        check_company=True,
        domain="[('type', '=', 'bank')]",
        help="Bank journal of the account holding the owners' funds, separate from the "
        "agency's own bank accounts.",
    )
    rental_call_advance_days = fields.Integer(
        string="Issue Rent Calls (days before the period)",
        default=10,
        help="Rent calls of a period are issued this many days before the period starts.",
    )

    def _rental_ensure_setup(self):
        """Create the accounts and the journal Rental Flow needs where they are missing.

        Only fills what is empty, so an accountant's own choices are kept. Companies without
        a chart of accounts are skipped: accounts need a chart to live in.
        """
        for company in self:
            if not company.chart_template and not self.env["account.account"].search_count(
                self.env["account.account"]._check_company_domain(company), limit=1
            ):
                continue
            values = {}
            for field_name, (code, name, account_type, reconcile) in (
                company._rental_default_accounts().items()
            ):
                if not company[field_name]:
                    values[field_name] = company._rental_get_or_create_account(
                        code, name, account_type, reconcile
                    ).id
            if not company.rental_journal_id:
                values["rental_journal_id"] = company._rental_get_or_create_journal().id
            if values:
                company.write(values)

    def _rental_default_accounts(self):
        """Default third-party ("mandant") accounts of an agency holding funds for owners.

        French agencies use 467 sub-accounts (46711 tenants, 46712 owners). Override to
        change the defaults; every account also stays configurable in the settings.
        """
        return {
            "rental_tenant_account_id": (
                "46711", _("Tenants (funds held for owners)"), "asset_receivable", True
            ),
            "rental_owner_account_id": (
                "46712", _("Owners (funds held for owners)"), "liability_current", False
            ),
            "rental_deposit_account_id": (
                "46713", _("Security deposits held"), "liability_current", False
            ),
        }

    def _rental_get_or_create_account(self, code, name, account_type, reconcile):
        self.ensure_one()
        Account = self.env["account.account"].with_company(self)
        account = Account.search(
            [*Account._check_company_domain(self), ("code", "=", code)], limit=1
        )
        if not account:
            account = Account.create(
                {
                    "code": code,
                    "name": name,
                    "account_type": account_type,
                    "reconcile": reconcile,
                    "company_ids": [Command.set(self.root_id.ids)],
                }
            )
        return account

    def _rental_get_or_create_journal(self):
        self.ensure_one()
        Journal = self.env["account.journal"].with_company(self)
        journal = Journal.search(
            [*Journal._check_company_domain(self), ("code", "=", "LOY"), ("type", "=", "sale")],
            limit=1,
        )
        if not journal:
            journal = Journal.create(
                {
                    "name": _("Rent Calls"),
                    "code": "LOY",
                    "type": "sale",
                    "company_id": self.id,
                    "invoice_reference_type": "none",
                    "default_account_id": self.rental_owner_account_id.id,
                }
            )
        return journal

    @api.model
    def _rental_setup_all_companies(self):
        """Install hook and chart-of-accounts hook: set up every company with a chart."""
        self.sudo().search([])._rental_ensure_setup()
