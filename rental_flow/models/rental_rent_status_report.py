"""Rent status dashboard: amounts called, paid and due by status, property, owner, month."""

from odoo import fields, models, tools
from odoo.tools import SQL

from .account_move_rent_status import RENT_STATUSES


class RentalRentStatusReport(models.Model):
    """One row per posted rent call, read straight from the stored rent status.

    A plain view over ``account_move`` (no join on the journal items): the status,
    amounts and days late at payment are stored on the rent call, so grouping 100,000
    calls by status, property, owner and month is one indexed scan. The days late of an
    open call are computed by the view against ``CURRENT_DATE``: always today's figure.
    """

    _name = "rental.rent.status.report"
    _description = "Rent Status Analysis"
    _auto = False
    _order = "period_start desc, id desc"
    _rec_name = "move_id"

    move_id = fields.Many2one("account.move", string="Rent Call", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    lease_id = fields.Many2one("rental.lease", string="Lease", readonly=True)
    property_id = fields.Many2one("rental.property", string="Property", readonly=True)
    building_id = fields.Many2one("rental.property", string="Building", readonly=True)
    owner_id = fields.Many2one("res.partner", string="Owner", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Debtor", readonly=True)
    call_kind = fields.Selection(
        [
            ("rent", "Rent call"),
            ("housing_benefit", "Housing benefit call"),
            ("deposit", "Deposit call"),
        ],
        string="Rent Call Type",
        readonly=True,
    )
    period_start = fields.Date(string="Period", readonly=True)
    date_due = fields.Date(string="Due Date", readonly=True)
    status = fields.Selection(RENT_STATUSES, string="Rent Status", readonly=True)
    amount_called = fields.Monetary(string="Called", readonly=True)
    amount_paid = fields.Monetary(string="Paid", readonly=True)
    amount_due = fields.Monetary(string="Due", readonly=True)
    amount_overpaid = fields.Monetary(string="Credit Left", readonly=True)
    days_late = fields.Integer(string="Days Late", readonly=True, aggregator="max")
    past_due = fields.Boolean(string="Past Due, Nothing Paid", readonly=True)
    late_over_30 = fields.Boolean(string="Late > 30 Days", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query())
        )

    def _query(self):
        days_late = SQL(
            """
            CASE WHEN m.rental_rent_status IN ('unpaid', 'partial')
                 THEN GREATEST(CURRENT_DATE - m.invoice_date_due, 0)
                 ELSE COALESCE(m.rental_days_late_paid, 0) END
            """
        )
        return SQL(
            """
            SELECT m.id,
                   m.id AS move_id,
                   m.company_id,
                   m.currency_id,
                   m.rental_lease_id AS lease_id,
                   m.rental_property_id AS property_id,
                   p.parent_id AS building_id,
                   m.rental_owner_id AS owner_id,
                   m.partner_id,
                   m.rental_call_kind AS call_kind,
                   m.rental_period_start AS period_start,
                   m.invoice_date_due AS date_due,
                   m.rental_rent_status AS status,
                   m.amount_total AS amount_called,
                   m.rental_amount_paid AS amount_paid,
                   m.amount_residual AS amount_due,
                   m.rental_amount_overpaid AS amount_overpaid,
                   %(days_late)s AS days_late,
                   (m.rental_rent_status = 'unpaid'
                    AND m.invoice_date_due < CURRENT_DATE) AS past_due,
                   (%(days_late)s > 30) AS late_over_30
              FROM account_move m
              LEFT JOIN rental_property p ON p.id = m.rental_property_id
             WHERE m.rental_rent_status IS NOT NULL
            """,
            days_late=days_late,
        )
