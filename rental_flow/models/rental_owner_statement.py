"""Owner statements ("compte rendu de gestion"): an owner's period, property by property."""

import logging
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date

_logger = logging.getLogger(__name__)

REPORT_XMLID = "rental_flow.action_report_owner_statement"
# Movements of the owner's account, in the order of the statement.
MOVEMENTS = ("called", "fee_total", "insurance", "advance", "coowner", "payout", "other")


class RentalOwnerStatement(models.Model):
    """One owner's statement for a period, consolidated over his properties.

    For each property: opening balance of the owner's account, rents called, rents
    collected, management fee (rate, base, amount) and its VAT, insurance, works advances
    recovered, joint owners' shares, payouts, other entries and closing balance, plus
    what tenants still owed at the end of the period. Closing = opening + movements,
    exactly. The PDF is stored with the statement and offered in the owner's portal.
    """

    _name = "rental.owner.statement"
    _description = "Owner Statement"
    _inherit = ["mail.thread", "portal.mixin"]
    _order = "date_to desc, owner_id, id"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, copy=False, default=lambda self: _("New"))
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    owner_id = fields.Many2one("res.partner", string="Owner", required=True, index=True,
                               readonly=True)
    date_from = fields.Date(required=True, readonly=True)
    date_to = fields.Date(required=True, readonly=True)
    line_ids = fields.One2many("rental.owner.statement.line", "statement_id", readonly=True)
    payout_ids = fields.Many2many("rental.payout", string="Transfers", readonly=True)
    attachment_id = fields.Many2one("ir.attachment", string="PDF", readonly=True, copy=False)
    opening_balance = fields.Monetary(compute="_compute_totals", store=True)
    called = fields.Monetary(string="Rents Called", compute="_compute_totals", store=True)
    collected = fields.Monetary(string="Rents Collected", compute="_compute_totals", store=True)
    fee_amount = fields.Monetary(string="Fees", compute="_compute_totals", store=True)
    fee_tax_amount = fields.Monetary(string="Fees VAT", compute="_compute_totals", store=True)
    insurance_amount = fields.Monetary(string="Insurance", compute="_compute_totals", store=True)
    advance_amount = fields.Monetary(string="Works Advances", compute="_compute_totals",
                                     store=True)
    coowner_amount = fields.Monetary(string="Joint Owners", compute="_compute_totals",
                                     store=True)
    payout_amount = fields.Monetary(string="Payouts", compute="_compute_totals", store=True)
    other_amount = fields.Monetary(string="Other", compute="_compute_totals", store=True)
    closing_balance = fields.Monetary(compute="_compute_totals", store=True)
    tenant_due = fields.Monetary(string="Owed by Tenants", compute="_compute_totals",
                                 store=True)

    _sql_constraints = [
        (
            "period_uniq",
            "unique(company_id, owner_id, date_from, date_to)",
            "This owner already has a statement for this period.",
        ),
        ("dates_order", "CHECK(date_from <= date_to)", "A period ends after it starts."),
    ]

    @api.depends(
        "line_ids.opening_balance", "line_ids.called", "line_ids.collected",
        "line_ids.fee_amount", "line_ids.fee_tax_amount", "line_ids.insurance_amount",
        "line_ids.advance_amount", "line_ids.coowner_amount", "line_ids.payout_amount",
        "line_ids.other_amount", "line_ids.closing_balance", "line_ids.tenant_due",
    )
    def _compute_totals(self):
        names = (
            "opening_balance", "called", "collected", "fee_amount", "fee_tax_amount",
            "insurance_amount", "advance_amount", "coowner_amount", "payout_amount",
            "other_amount", "closing_balance", "tenant_due",
        )
        for statement in self:
            for name in names:
                statement[name] = sum(statement.line_ids.mapped(name))

    def _compute_access_url(self):
        super()._compute_access_url()
        for statement in self:
            statement.access_url = f"/my/rental/statements/{statement.id}"

    def _get_report_base_filename(self):
        self.ensure_one()
        return _("Owner statement %(name)s", name=self.name).replace("/", "-")

    @api.model
    def _owners_with_activity(self, company, date_to):
        """Owners having entries on the owners' account for a property up to ``date_to``."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT COALESCE(aml.rental_owner_id, aml.partner_id)
                  FROM account_move_line aml
                 WHERE aml.company_id = %s AND aml.account_id = %s
                   AND aml.parent_state = 'posted' AND aml.date <= %s
                   AND aml.rental_property_id IS NOT NULL
                """,
                company.id,
                company.rental_owner_account_id.id,
                date_to,
            )
        )
        return self.env["res.partner"].browse([row[0] for row in self.env.cr.fetchall() if row[0]])

    @api.model
    def _generate(self, company, owners, date_from, date_to):
        """Create (or refresh) the statements of ``owners`` for the period, with their PDF."""
        if date_from > date_to:
            raise UserError(_("The period ends before it starts."))
        existing = self.search(
            [
                ("company_id", "=", company.id),
                ("owner_id", "in", owners.ids),
                ("date_from", "=", date_from),
                ("date_to", "=", date_to),
            ]
        )
        by_owner = {statement.owner_id: statement for statement in existing}
        to_create = [
            {
                "company_id": company.id,
                "owner_id": owner.id,
                "date_from": date_from,
                "date_to": date_to,
                "name": _(
                    "%(owner)s, %(start)s to %(end)s",
                    owner=owner.name,
                    start=format_date(self.env, date_from),
                    end=format_date(self.env, date_to),
                ),
            }
            for owner in owners
            if owner not in by_owner
        ]
        statements = existing | self.create(to_create)
        for statement in statements:
            statement._compute_lines()
        statements._render_pdf()
        return statements

    def _compute_lines(self):
        self.ensure_one()
        self.line_ids.unlink()
        data = self._collect()
        mandates = {}
        vals_list = []
        for prop in self.env["rental.property"].browse(sorted(data)):
            values = data[prop.id]
            mandate = mandates.setdefault(prop.id, prop.mandate_id)
            vals_list.append({**values, "statement_id": self.id, "property_id": prop.id,
                              "fee_rate": values.get("fee_rate") or mandate.fee_rate,
                              "fee_base": values.get("fee_base") or mandate.fee_base})
        self.env["rental.owner.statement.line"].create(vals_list)
        self.payout_ids = self.env["rental.payout"].search(
            [
                ("owner_id", "=", self.owner_id.id),
                ("company_id", "=", self.company_id.id),
                ("state", "in", ("sent", "paid", "returned")),
                ("payment_id.date", ">=", self.date_from),
                ("payment_id.date", "<=", self.date_to),
            ]
        )

    def _collect(self):
        """``{property id: line values}`` from the journal items and the splits."""
        data = defaultdict(lambda: defaultdict(float))
        for property_id, category, amount in self._account_movements():
            data[property_id][category] += amount
        for row in self._split_totals():
            values = data[row["property_id"]]
            values["collected"] += row["amount"]
            values["fee_amount"] += row["fee"]
            values["fee_tax_amount"] += row["fee_tax"]
            values["fee_base_amount"] += row["fee_base"]
            values["fee_rate"] = row["fee_rate"]
            values["fee_base"] = row["fee_base_kind"]
        for property_id, amount in self._tenant_due():
            data[property_id]["tenant_due"] += amount
        result = {}
        for property_id, values in data.items():
            if property_id is None:
                continue
            movements = {name: values.get(name, 0.0) for name in MOVEMENTS}
            opening = values.get("opening", 0.0)
            if not any(movements.values()) and not opening and not values.get("collected"):
                continue
            fee_total = -movements["fee_total"]  # fee and VAT taken, positive
            fee_tax = values.get("fee_tax_amount", 0.0)
            result[property_id] = {
                "opening_balance": opening,
                "called": movements["called"],
                "collected": values.get("collected", 0.0),
                "fee_base_amount": values.get("fee_base_amount", 0.0),
                "fee_rate": values.get("fee_rate"),
                "fee_base": values.get("fee_base"),
                "fee_amount": fee_total - fee_tax,
                "fee_tax_amount": fee_tax,
                "insurance_amount": -movements["insurance"],
                "advance_amount": -movements["advance"],
                "coowner_amount": movements["coowner"],
                "payout_amount": -movements["payout"],
                "other_amount": movements["other"],
                "closing_balance": opening + sum(movements.values()),
                "tenant_due": values.get("tenant_due", 0.0),
            }
        return result

    def _account_movements(self):
        """``(property, category, credit amount)`` of the owner's account lines."""
        company = self.company_id
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT aml.rental_property_id,
                       CASE WHEN aml.date < %(start)s THEN 'opening'
                            WHEN m.move_type IN ('out_invoice', 'out_refund')
                                 AND m.rental_call_kind IS NOT NULL THEN 'called'
                            WHEN aml.rental_split_part IN ('fee', 'fee_tax') THEN 'fee_total'
                            WHEN aml.rental_split_part = 'insurance' THEN 'insurance'
                            WHEN aml.rental_split_part = 'advance' THEN 'advance'
                            WHEN aml.rental_split_part IN ('owner_share', 'rounding')
                                 THEN 'coowner'
                            WHEN pay.rental_payout_id IS NOT NULL THEN 'payout'
                            ELSE 'other' END AS category,
                       -SUM(aml.balance)
                  FROM account_move_line aml
                  JOIN account_move m ON m.id = aml.move_id
                  LEFT JOIN account_payment pay ON pay.id = m.origin_payment_id
                 WHERE aml.company_id = %(company)s
                   AND aml.account_id = %(account)s
                   AND aml.parent_state = 'posted'
                   AND aml.date <= %(end)s
                   AND COALESCE(aml.rental_owner_id, aml.partner_id) = %(owner)s
                 GROUP BY 1, 2
                """,
                start=self.date_from,
                end=self.date_to,
                company=company.id,
                account=company.rental_owner_account_id.id,
                owner=self.owner_id.id,
            )
        )
        return self.env.cr.fetchall()

    def _split_totals(self):
        self.env["rental.owner.split"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT property_id, SUM(amount) AS amount, SUM(fee_amount) AS fee,
                       SUM(fee_tax_amount) AS fee_tax, SUM(fee_base_amount) AS fee_base,
                       MAX(fee_rate) AS fee_rate, MAX(fee_base) AS fee_base_kind
                  FROM rental_owner_split
                 WHERE company_id = %s AND owner_id = %s AND date BETWEEN %s AND %s
                 GROUP BY property_id
                """,
                self.company_id.id,
                self.owner_id.id,
                self.date_from,
                self.date_to,
            )
        )
        return self.env.cr.dictfetchall()

    def _tenant_due(self):
        """What tenants owed at the end of the period on the calls credited to the owner."""
        company = self.company_id
        self.env.cr.execute(
            SQL(
                """
                SELECT l.rental_property_id,
                       SUM(l.balance
                           - COALESCE((SELECT SUM(p.amount) FROM account_partial_reconcile p
                                        WHERE p.debit_move_id = l.id
                                          AND p.max_date <= %(end)s), 0)
                           + COALESCE((SELECT SUM(p.amount) FROM account_partial_reconcile p
                                        WHERE p.credit_move_id = l.id
                                          AND p.max_date <= %(end)s), 0))
                  FROM account_move_line l
                  JOIN account_move m ON m.id = l.move_id
                 WHERE l.company_id = %(company)s
                   AND l.account_id = %(account)s
                   AND l.parent_state = 'posted'
                   AND l.date <= %(end)s
                   AND m.rental_call_kind IN ('rent', 'housing_benefit')
                   AND EXISTS (SELECT 1 FROM account_move_line o
                                WHERE o.move_id = m.id AND o.rental_owner_id = %(owner)s)
                 GROUP BY 1
                """,
                end=self.date_to,
                company=company.id,
                account=company.rental_tenant_account_id.id,
                owner=self.owner_id.id,
            )
        )
        return self.env.cr.fetchall()

    def _render_pdf(self):
        """Render and store the PDF of each statement (replacing the previous one)."""
        report = self.env["ir.actions.report"]
        for statement in self:
            content, kind = report._render_qweb_pdf(REPORT_XMLID, statement.ids)
            mimetype = "application/pdf" if kind == "pdf" else "text/html"
            extension = "pdf" if kind == "pdf" else "html"
            old = statement.attachment_id
            statement.attachment_id = self.env["ir.attachment"].create(
                {
                    "name": f"{statement._get_report_base_filename()}.{extension}",
                    "raw": content,
                    "mimetype": mimetype,
                    "res_model": self._name,
                    "res_id": statement.id,
                }
            )
            old.unlink()
        return True

    def action_refresh(self):
        for statement in self:
            statement._compute_lines()
        self._render_pdf()
        return True

    def action_download_pdf(self):
        self.ensure_one()
        if not self.attachment_id:
            self._render_pdf()
        return self.attachment_id._rental_download_action()

    def _statement_rows(self):
        """Lines of the PDF, in property order."""
        return self.line_ids.sorted(lambda line: line.property_id.complete_name or "")


class RentalOwnerStatementLine(models.Model):
    """A property's part of an owner statement."""

    _name = "rental.owner.statement.line"
    _description = "Owner Statement Line"
    _order = "statement_id, property_id"

    statement_id = fields.Many2one(
        "rental.owner.statement", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="statement_id.company_id", store=True)
    currency_id = fields.Many2one(related="statement_id.currency_id")
    owner_id = fields.Many2one(related="statement_id.owner_id", store=True)
    property_id = fields.Many2one("rental.property", required=True)
    opening_balance = fields.Monetary()
    called = fields.Monetary(string="Rents Called")
    collected = fields.Monetary(string="Rents Collected")
    fee_rate = fields.Float(string="Fee Rate (%)", digits=(5, 3))
    fee_base = fields.Selection(
        [("rent", "Rent only"), ("rent_charges", "Rent and charges")], string="Fee On"
    )
    fee_base_amount = fields.Monetary(string="Fee Base")
    fee_amount = fields.Monetary(string="Fees")
    fee_tax_amount = fields.Monetary(string="Fees VAT")
    insurance_amount = fields.Monetary(string="Insurance")
    advance_amount = fields.Monetary(string="Works Advances")
    coowner_amount = fields.Monetary(string="Joint Owners")
    payout_amount = fields.Monetary(string="Payouts")
    other_amount = fields.Monetary(string="Other")
    closing_balance = fields.Monetary()
    tenant_due = fields.Monetary(string="Owed by Tenants")
