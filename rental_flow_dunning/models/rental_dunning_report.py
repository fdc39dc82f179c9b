from odoo import fields, models, tools
from odoo.tools import SQL


class RentalDunningReport(models.Model):
    """Open overdue rent calls with the level of their latest reminder (dashboard)."""

    _name = "rental.dunning.report"
    _description = "Overdue Rents by Dunning Level"
    _auto = False
    _order = "due_date"
    _rec_name = "move_id"

    move_id = fields.Many2one("account.move", string="Rent Call", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    lease_id = fields.Many2one("rental.lease", readonly=True)
    tenant_id = fields.Many2one("res.partner", string="Tenant", readonly=True)
    property_id = fields.Many2one("rental.property", readonly=True)
    due_date = fields.Date(readonly=True)
    days_late = fields.Integer(readonly=True, aggregator="max")
    age = fields.Selection(
        [("a", "1-30 days"), ("b", "31-60 days"), ("c", "61-90 days"), ("d", "Over 90 days")],
        readonly=True,
    )
    amount_overdue = fields.Monetary(readonly=True)
    level_id = fields.Many2one("rental.dunning.level", string="Last Level", readonly=True)
    level_position = fields.Integer(string="Level #", readonly=True, aggregator="max")
    policy_id = fields.Many2one("rental.dunning.policy", readonly=True)
    last_reminder = fields.Datetime(readonly=True)
    reminded = fields.Boolean(readonly=True)

    def init(self):
        # The view reads the run lines' rent calls: on a fresh install this model may be
        # set up before them, in which case the run lines' init() creates the view.
        if not tools.sql.table_exists(self.env.cr, "rental_dunning_run_line_move_rel"):
            return
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE VIEW %s AS (
                    SELECT m.id AS id,
                           m.id AS move_id,
                           m.company_id,
                           m.rental_lease_id AS lease_id,
                           m.partner_id AS tenant_id,
                           l.property_id,
                           m.invoice_date_due AS due_date,
                           (CURRENT_DATE - m.invoice_date_due) AS days_late,
                           CASE WHEN CURRENT_DATE - m.invoice_date_due <= 30 THEN 'a'
                                WHEN CURRENT_DATE - m.invoice_date_due <= 60 THEN 'b'
                                WHEN CURRENT_DATE - m.invoice_date_due <= 90 THEN 'c'
                                ELSE 'd' END AS age,
                           m.amount_residual AS amount_overdue,
                           last.level_id,
                           last.level_position,
                           last.policy_id,
                           last.sent_date AS last_reminder,
                           last.level_id IS NOT NULL AS reminded
                      FROM account_move m
                      JOIN rental_lease l ON l.id = m.rental_lease_id
                      LEFT JOIN LATERAL (
                            SELECT rl.level_id, rl.level_position, rl.policy_id, rl.sent_date
                              FROM rental_dunning_run_line_move_rel rel
                              JOIN rental_dunning_run_line rl ON rl.id = rel.line_id
                             WHERE rel.move_id = m.id AND rl.state = 'sent'
                             ORDER BY rl.sent_date DESC
                             LIMIT 1
                      ) last ON TRUE
                     WHERE m.move_type = 'out_invoice'
                       AND m.state = 'posted'
                       AND m.rental_call_kind IN ('rent', 'deposit')
                       AND m.payment_state IN ('not_paid', 'partial')
                       AND m.amount_residual > 0
                       AND m.invoice_date_due < CURRENT_DATE
                )
                """,
                SQL.identifier(self._table),
            )
        )
