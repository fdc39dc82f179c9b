"""Rent status of each rent call: paid, partial, unpaid or overpaid, and days late.

The status, the amount paid, the credit left by an overpayment, the last payment date
and the days late at payment only change when a reconciliation changes: they are stored
and recomputed by the ORM from the reconciliations, whatever made them (the matching
engine, a payment registered by hand, Odoo's bank reconciliation widget, a direct debit).

The days late of an open call and the "past due with nothing paid" flag change every
day with no write at all: they are computed when read (a subtraction) and searched with
a domain on the due date, so they are always right and no daily cron has to rewrite
thousands of rows.
"""

from datetime import timedelta

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL

RENT_STATUSES = [
    ("unpaid", "Unpaid"),
    ("partial", "Partially Paid"),
    ("paid", "Paid"),
    ("overpaid", "Overpaid"),
]
OPEN_STATUSES = ("unpaid", "partial")
PAID_STATUSES = ("paid", "overpaid")


class AccountMove(models.Model):
    _inherit = "account.move"

    rental_rent_status = fields.Selection(
        RENT_STATUSES,
        string="Rent Status",
        compute="_compute_rental_rent_status",
        store=True,
        index="btree_not_null",
        help="Paid: nothing left to pay. Overpaid: paid, and the payment that paid it left "
        "a credit open on the tenant's account. Partially paid: something paid, something "
        "left. Unpaid: nothing paid yet. Empty on other entries and on cancelled or "
        "reversed rent calls.",
    )
    rental_amount_paid = fields.Monetary(
        string="Amount Paid",
        compute="_compute_rental_rent_status",
        store=True,
        currency_field="currency_id",
    )
    rental_amount_overpaid = fields.Monetary(
        string="Credit Left",
        compute="_compute_rental_rent_status",
        store=True,
        currency_field="currency_id",
        help="Credit left open on the debtor's account by the payment that paid this call "
        "(counted once, on the latest period that payment paid).",
    )
    rental_last_payment_date = fields.Date(
        string="Last Payment",
        compute="_compute_rental_rent_status",
        store=True,
        help="Date of the latest payment reconciled with the call.",
    )
    rental_days_late_paid = fields.Integer(
        string="Days Late at Payment",
        compute="_compute_rental_rent_status",
        store=True,
        help="For a paid call, days between its due date and the payment that settled it.",
    )
    rental_days_late = fields.Integer(
        string="Days Late",
        compute="_compute_rental_days_late",
        search="_search_rental_days_late",
        help="Open call: days past its due date today. Paid call: days late at payment.",
    )
    rental_past_due = fields.Boolean(
        string="Past Due, Nothing Paid",
        compute="_compute_rental_days_late",
        search="_search_rental_past_due",
    )

    # -- stored status -----------------------------------------------------------------

    @api.depends(
        "state",
        "move_type",
        "rental_lease_id",
        "payment_state",
        "amount_total",
        "amount_residual",
        "invoice_date_due",
        "line_ids.matched_credit_ids.max_date",
        "line_ids.matched_credit_ids.credit_move_id.move_id.line_ids.amount_residual",
    )
    def _compute_rental_rent_status(self):
        calls = self.filtered(
            lambda m: m.rental_lease_id
            and m.move_type == "out_invoice"
            and m.state == "posted"
            and m.payment_state != "reversed"
        )
        (self - calls).update(
            {
                "rental_rent_status": False,
                "rental_amount_paid": 0.0,
                "rental_amount_overpaid": 0.0,
                "rental_last_payment_date": False,
                "rental_days_late_paid": 0,
            }
        )
        if not calls:
            return
        # a call with nothing paid (every new rent call) needs no payment facts: two
        # queries saved per batch of rent calls issued
        paid_calls = calls.filtered(
            lambda m: not m.currency_id.is_zero(m.amount_total - m.amount_residual)
        )
        payment_dates, credits = paid_calls._rental_payment_facts() if paid_calls else ({}, {})
        for move in calls:
            currency = move.currency_id
            paid = currency.round(move.amount_total - move.amount_residual)
            if currency.is_zero(move.amount_residual):
                credit = credits.get(move.id, 0.0)
                status = "overpaid" if not currency.is_zero(credit) else "paid"
            else:
                credit = 0.0
                status = "unpaid" if currency.is_zero(paid) else "partial"
            last = payment_dates.get(move.id) if not currency.is_zero(paid) else False
            late = 0
            if status in PAID_STATUSES and last and move.invoice_date_due:
                late = max(0, (last - move.invoice_date_due).days)
            move.rental_rent_status = status
            move.rental_amount_paid = paid
            move.rental_amount_overpaid = credit
            move.rental_last_payment_date = last
            move.rental_days_late_paid = late

    def _rental_payment_facts(self):
        """Last payment date and credit left by the payments, for these rent calls.

        Two queries for the whole batch. A payment leaves a credit when, after settling
        the calls, one of its items on the call's receivable account and for the call's
        debtor is still open with a credit residual (the tenant's credit booked by the
        matching, or what is left on a registered payment). Such a credit is put on the
        latest period (then the highest id) that payment fully paid, so that a payment
        of two months and a bit is one overpaid call and one paid call.
        """
        self.env["account.move.line"].flush_model(
            ["move_id", "amount_residual", "partner_id", "account_id", "display_type",
             "reconciled", "date"]
        )
        self.env["account.partial.reconcile"].flush_model(
            ["debit_move_id", "credit_move_id", "max_date"]
        )
        self.flush_recordset(["amount_residual", "rental_period_start", "move_type"])
        ids = tuple(self.ids)
        self.env.cr.execute(
            SQL(
                """
                SELECT call_l.move_id, MAX(pay_l.date)
                  FROM account_move_line call_l
                  JOIN account_partial_reconcile p ON p.debit_move_id = call_l.id
                  JOIN account_move_line pay_l ON pay_l.id = p.credit_move_id
                 WHERE call_l.move_id IN %s
                   AND call_l.display_type = 'payment_term'
                 GROUP BY call_l.move_id
                """,
                ids,
            )
        )
        payment_dates = dict(self.env.cr.fetchall())
        self.env.cr.execute(
            SQL(
                """
                WITH pays AS (
                    SELECT DISTINCT pay_l.move_id AS pay_id
                      FROM account_move_line call_l
                      JOIN account_partial_reconcile p ON p.debit_move_id = call_l.id
                      JOIN account_move_line pay_l ON pay_l.id = p.credit_move_id
                     WHERE call_l.move_id IN %(ids)s
                       AND call_l.display_type = 'payment_term'
                ),
                credits AS (
                    SELECT l.move_id AS pay_id, l.partner_id, l.account_id,
                           -SUM(l.amount_residual) AS amount
                      FROM pays
                      JOIN account_move_line l ON l.move_id = pays.pay_id
                     WHERE l.amount_residual < 0
                       AND NOT l.reconciled
                     GROUP BY 1, 2, 3
                ),
                paid_calls AS (
                    SELECT DISTINCT pay_l.move_id AS pay_id, call_l.move_id AS call_id,
                           call_l.partner_id, call_l.account_id, m.rental_period_start
                      FROM pays
                      JOIN account_move_line pay_l ON pay_l.move_id = pays.pay_id
                      JOIN account_partial_reconcile p ON p.credit_move_id = pay_l.id
                      JOIN account_move_line call_l
                        ON call_l.id = p.debit_move_id
                       AND call_l.display_type = 'payment_term'
                      JOIN account_move m
                        ON m.id = call_l.move_id
                       AND m.rental_lease_id IS NOT NULL
                       AND m.move_type = 'out_invoice'
                       AND m.amount_residual = 0
                ),
                ranked AS (
                    SELECT pc.call_id, c.amount,
                           ROW_NUMBER() OVER (
                               PARTITION BY c.pay_id, c.partner_id, c.account_id
                               ORDER BY pc.rental_period_start DESC NULLS LAST,
                                        pc.call_id DESC
                           ) AS rank
                      FROM credits c
                      JOIN paid_calls pc
                        ON pc.pay_id = c.pay_id
                       AND pc.partner_id = c.partner_id
                       AND pc.account_id = c.account_id
                )
                SELECT call_id, SUM(amount)
                  FROM ranked
                 WHERE rank = 1 AND call_id IN %(ids)s
                 GROUP BY call_id
                """,
                ids=ids,
            )
        )
        credits = dict(self.env.cr.fetchall())
        return payment_dates, credits

    # -- days late, at read time ----------------------------------------------------------

    @api.depends_context("tz")
    @api.depends("rental_rent_status", "invoice_date_due", "rental_days_late_paid")
    def _compute_rental_days_late(self):
        today = fields.Date.context_today(self)
        for move in self:
            late = 0
            if move.rental_rent_status in OPEN_STATUSES:
                if move.invoice_date_due and move.invoice_date_due < today:
                    late = (today - move.invoice_date_due).days
            elif move.rental_rent_status in PAID_STATUSES:
                late = move.rental_days_late_paid
            move.rental_days_late = late
            move.rental_past_due = bool(move.rental_rent_status == "unpaid" and late > 0)

    @api.model
    def _rental_days_late_at_least(self, days):
        """Domain of the rent calls at least ``days`` days late (today)."""
        if days <= 0:
            return [("rental_rent_status", "!=", False)]
        bound = fields.Date.context_today(self) - timedelta(days=days)
        return expression.OR(
            [
                [
                    ("rental_rent_status", "in", OPEN_STATUSES),
                    ("invoice_date_due", "<=", bound),
                ],
                [
                    ("rental_rent_status", "in", PAID_STATUSES),
                    ("rental_days_late_paid", ">=", days),
                ],
            ]
        )

    @api.model
    def _search_rental_days_late(self, operator, value):
        if operator not in (">", ">=", "<", "<=", "=", "!="):
            raise NotImplementedError(f"rental_days_late: unsupported operator {operator}")
        days = int(value or 0)
        at_least = self._rental_days_late_at_least
        calls = [("rental_rent_status", "!=", False)]
        if operator == ">=":
            return at_least(days)
        if operator == ">":
            return at_least(days + 1)
        if operator == "<":
            return expression.AND([calls, ["!", *at_least(days)]]) if days > 0 else [("id", "=", 0)]
        if operator == "<=":
            return expression.AND([calls, ["!", *at_least(days + 1)]])
        exact = expression.AND([at_least(days), ["!", *at_least(days + 1)]])
        if days < 0:
            exact = [("id", "=", 0)]
        return exact if operator == "=" else ["!", *exact]

    @api.model
    def _search_rental_past_due(self, operator, value):
        if operator not in ("=", "!="):
            raise NotImplementedError(f"rental_past_due: unsupported operator {operator}")
        domain = [
            ("rental_rent_status", "=", "unpaid"),
            ("invoice_date_due", "<", fields.Date.context_today(self)),
        ]
        return domain if (operator == "=") == bool(value) else ["!", *expression.AND([domain])]
