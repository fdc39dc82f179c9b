"""Funds check: the mandant bank balance against what the agency holds for others."""

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_amount
from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

# Categories of the journal items that accompany the mandant bank and third-party
# accounts, in report order: (code, label, is a break).
CATEGORIES = (
    ("fees", _lt("Management fees and their VAT (agency)"), False),
    (
        "advances",
        _lt("Works advances recovered, net of advances paid from the mandant account"),
        False,
    ),
    ("suppliers", _lt("Supplier bills on behalf of owners not yet paid"), False),
    ("transfers", _lt("Transfers to (−) or from (+) the agency's own accounts"), False),
    ("rounding", _lt("Split rounding"), False),
    ("unreconciled", _lt("Bank lines not reconciled (suspense)"), True),
    ("unexplained", _lt("Entries with no third-party counterpart"), True),
)


class RentalFundsCheck(models.TransientModel):
    """Proves, at a date, mandant bank balance = owners − tenants + other funds held.

    The mandant bank balance is compared with the third-party balances (owners, tenants,
    deposits held, insurers), the payments in transit and the agency's own money still
    on the account (fees not yet transferred, advances recovered). What cannot be
    explained is listed: bank lines not reconciled, entries on the mandant accounts with
    no third-party counterpart; owners with a negative balance are listed too (their
    deficit is covered by other owners' money).
    """

    _name = "rental.funds.check"
    _description = "Funds Check"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(required=True, default=fields.Date.context_today)
    line_ids = fields.One2many("rental.funds.check.line", "check_id", readonly=True)
    bank_balance = fields.Monetary(readonly=True)
    expected_balance = fields.Monetary(
        readonly=True, help="Owners − tenants + deposits + insurers + in transit + agency money."
    )
    difference = fields.Monetary(readonly=True)
    break_count = fields.Integer(readonly=True)
    state = fields.Selection(
        [("draft", "To Check"), ("ok", "Funds Proven"), ("broken", "Breaks Found")],
        default="draft",
        readonly=True,
    )

    def action_check(self):
        self.ensure_one()
        self._run()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(self.env.ref("rental_flow.view_rental_funds_check_result").id, "form")],
            "target": "current",
        }

    def action_print(self):
        self.ensure_one()
        if self.state == "draft":
            self._run()
        return self.env.ref("rental_flow.action_report_funds_check").report_action(self)

    # ---------------------------------------------------------------- computation

    def _accounts(self):
        company = self.company_id
        journal = company.rental_bank_journal_id
        if not journal or not journal.default_account_id:
            raise UserError(_("Set the mandant bank journal in the Rental settings."))
        third = {
            "owners": company.rental_owner_account_id,
            "tenants": company.rental_tenant_account_id,
            "deposits": company.rental_deposit_account_id,
            "insurers": company.rental_insurer_account_id,
        }
        if not all(third.values()):
            raise UserError(_("Set the Rental third-party accounts in the settings."))
        return journal, third, self._outstanding_accounts(journal) - journal.default_account_id

    def _outstanding_accounts(self, journal):
        """Outstanding receipts/payments accounts of the mandant journal's payments."""
        methods = journal.inbound_payment_method_line_ids | journal.outbound_payment_method_line_ids
        self.env["account.payment"].flush_model(["journal_id", "outstanding_account_id"])
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT outstanding_account_id FROM account_payment "
                "WHERE journal_id = %s AND outstanding_account_id IS NOT NULL",
                journal.id,
            )
        )
        used = self.env["account.account"].browse([row[0] for row in self.env.cr.fetchall()])
        return methods.payment_account_id | used

    def _run(self):
        self.ensure_one()
        self.env.flush_all()
        journal, third, outstanding = self._accounts()
        company = self.company_id
        bank_account = journal.default_account_id
        balances = self._balances_by_account(
            [bank_account.id, *[a.id for a in third.values()]]
        )
        in_transit = self._in_transit(journal, outstanding)
        categories = self._other_lines(journal, third, outstanding)
        components = [
            ("component", _("Owners' balances"), -balances.get(third["owners"].id, 0.0)),
            ("component", _("Tenants' balances (owed by tenants)"),
             -balances.get(third["tenants"].id, 0.0)),
            ("component", _("Security deposits held"), -balances.get(third["deposits"].id, 0.0)),
            ("component", _("Insurance premiums due to insurers"),
             -balances.get(third["insurers"].id, 0.0)),
            ("component", _("Payments issued or received, not yet on the bank statement"),
             in_transit),
        ]
        breaks_total = 0.0
        for code, label, is_break in CATEGORIES:
            amount = categories.get(code, 0.0)
            if is_break:
                breaks_total += amount
                continue
            components.append(("component", str(label), amount))
        bank = balances.get(bank_account.id, 0.0)
        expected = sum(amount for __, __, amount in components)
        lines = [
            {"section": section, "name": name, "amount": amount, "sequence": index}
            for index, (section, name, amount) in enumerate(components)
        ]
        breaks = self._break_lines(journal, third, outstanding, categories)
        for index, item in enumerate(breaks, start=len(lines)):
            lines.append({**item, "sequence": index})
        self.line_ids.unlink()
        self.write(
            {
                "line_ids": [fields.Command.create(line) for line in lines],
                "bank_balance": bank,
                "expected_balance": expected,
                "difference": bank - expected,
                "break_count": len(breaks),
                "state": "ok" if not breaks and company.currency_id.is_zero(bank - expected)
                else "broken",
            }
        )
        return True

    def _balances_by_account(self, account_ids):
        self.env.cr.execute(
            SQL(
                """
                SELECT account_id, SUM(balance) FROM account_move_line
                 WHERE company_id = %s AND account_id IN %s AND parent_state = 'posted'
                   AND date <= %s
                 GROUP BY account_id
                """,
                self.company_id.id,
                tuple(account_ids),
                self.date,
            )
        )
        return dict(self.env.cr.fetchall())

    def _in_transit(self, journal, outstanding):
        if not outstanding:
            return 0.0
        self.env.cr.execute(
            SQL(
                """
                SELECT COALESCE(-SUM(balance), 0) FROM account_move_line
                 WHERE journal_id = %s AND account_id IN %s AND parent_state = 'posted'
                   AND date <= %s
                """,
                journal.id,
                tuple(outstanding.ids),
                self.date,
            )
        )
        return self.env.cr.fetchone()[0]

    def _perimeter(self, journal, third, outstanding):
        """SQL condition of a journal item on the mandant bank or a third-party account."""
        return SQL(
            "(l.account_id IN %(third)s OR l.account_id = %(bank)s"
            " OR (l.journal_id = %(journal)s AND l.account_id IN %(outstanding)s))",
            third=tuple(a.id for a in third.values()),
            bank=journal.default_account_id.id,
            journal=journal.id,
            outstanding=tuple(outstanding.ids) or (0,),
        )

    def _category_sql(self, journal):
        company = self.company_id
        transfer_ids = tuple(company.transfer_account_id.ids) or (0,)
        return SQL(
            """
            CASE WHEN l.journal_id = %(journal)s AND l.account_id = %(suspense)s
                      THEN 'unreconciled'
                 WHEN l.account_id = %(fee)s OR (l.tax_line_id IS NOT NULL
                      AND l.rental_split_part IS NOT NULL) THEN 'fees'
                 WHEN l.account_id = %(advance)s THEN 'advances'
                 WHEN l.account_id = %(rounding)s THEN 'rounding'
                 WHEN a.account_type = 'liability_payable' THEN 'suppliers'
                 WHEN a.account_type = 'asset_cash' OR l.account_id IN %(transfer)s
                      THEN 'transfers'
                 ELSE 'unexplained' END
            """,
            journal=journal.id,
            suspense=journal.suspense_account_id.id or 0,
            fee=company.rental_fee_account_id.id or 0,
            advance=company.rental_works_advance_account_id.id or 0,
            rounding=company.rental_rounding_account_id.id or 0,
            transfer=transfer_ids,
        )

    def _other_lines_query(self, journal, third, outstanding, select, group_by):
        perimeter = self._perimeter(journal, third, outstanding)
        return SQL(
            """
            WITH touched AS (
                SELECT DISTINCT l.move_id FROM account_move_line l
                 WHERE l.company_id = %(company)s AND l.parent_state = 'posted'
                   AND l.date <= %(date)s AND %(perimeter)s
            )
            SELECT %(select)s
              FROM account_move_line l
              JOIN touched t ON t.move_id = l.move_id
              JOIN account_account a ON a.id = l.account_id
             WHERE NOT %(perimeter)s
             GROUP BY %(group_by)s
            """,
            company=self.company_id.id,
            date=self.date,
            perimeter=perimeter,
            select=select,
            group_by=group_by,
        )

    def _other_lines(self, journal, third, outstanding):
        """``{category: credit amount}`` of the other items of the mandant entries."""
        category = self._category_sql(journal)
        self.env.cr.execute(
            self._other_lines_query(
                journal, third, outstanding,
                SQL("%s AS category, -SUM(l.balance)", category), SQL("1"),
            )
        )
        return dict(self.env.cr.fetchall())

    def _break_lines(self, journal, third, outstanding, categories):
        """What breaks the proof, item by item."""
        items = []
        currency = self.currency_id
        statement_lines = self.env["account.bank.statement.line"].search(
            [
                ("journal_id", "=", journal.id),
                ("date", "<=", self.date),
                ("is_reconciled", "=", False),
                ("state", "=", "posted"),
            ]
        )
        for line in statement_lines:
            items.append(
                {
                    "section": "break",
                    "name": _("Bank line not reconciled: %(line)s", line=line.display_name),
                    "amount": line.amount,
                    "res_model": "account.bank.statement.line",
                    "res_id": line.id,
                }
            )
        if not currency.is_zero(categories.get("unexplained", 0.0)):
            category = self._category_sql(journal)
            self.env.cr.execute(
                self._other_lines_query(
                    journal, third, outstanding,
                    SQL("l.move_id, -SUM(l.balance)"),
                    SQL("l.move_id HAVING bool_or(%s = 'unexplained')", category),
                )
            )
            moves = self.env["account.move"]
            for move_id, amount in self.env.cr.fetchall():
                move = moves.browse(move_id)
                items.append(
                    {
                        "section": "break",
                        "name": _("Entry with no third-party counterpart: %(move)s",
                                  move=move.display_name),
                        "amount": amount,
                        "res_model": "account.move",
                        "res_id": move.id,
                    }
                )
        for owner_id, amount in self._negative_owners(third["owners"]):
            owner = self.env["res.partner"].browse(owner_id)
            items.append(
                {
                    "section": "break",
                    "name": _("Owner with a negative balance: %(owner)s (%(amount)s)",
                              owner=owner.display_name,
                              amount=format_amount(self.env, amount, currency)),
                    "amount": amount,
                    "res_model": "res.partner",
                    "res_id": owner.id,
                }
            )
        return items

    def _negative_owners(self, account):
        self.env.cr.execute(
            SQL(
                """
                SELECT COALESCE(rental_owner_id, partner_id), -SUM(balance)
                  FROM account_move_line
                 WHERE company_id = %s AND account_id = %s AND parent_state = 'posted'
                   AND date <= %s
                 GROUP BY 1
                HAVING -SUM(balance) < -0.005
                """,
                self.company_id.id,
                account.id,
                self.date,
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _report_lines(self, check):
        return check.line_ids.sorted("sequence")


class RentalFundsCheckLine(models.TransientModel):
    _name = "rental.funds.check.line"
    _description = "Funds Check Line"
    _order = "sequence, id"

    check_id = fields.Many2one("rental.funds.check", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="check_id.currency_id")
    sequence = fields.Integer()
    section = fields.Selection([("component", "Component"), ("break", "Break")], required=True)
    name = fields.Char(required=True)
    amount = fields.Monetary()
    res_model = fields.Char()
    res_id = fields.Integer()

    def action_open(self):
        self.ensure_one()
        if not self.res_model:
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
