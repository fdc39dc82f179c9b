"""Owner balances: what each owner has, and can be paid, per property."""

from odoo import api, fields, models, tools
from odoo.tools import SQL


class RentalOwnerBalance(models.Model):
    """Balance of each owner per property, and the amount available for a payout.

    ``available = balance - uncollected - reserve - bills due`` where

    * ``balance`` is the owner's balance on the owners' account (46712) for the property
      (rents called, minus split parts, plus joint owners' shares, minus payouts...);
    * ``uncollected`` is what tenants still owe on the rent calls credited to this owner
      (the rent is on the owner's account from the call, but the money is not there);
    * ``reserve`` is the property's reserve (or the mandate's), shared by ownership;
    * ``bills due`` are the property's vendor bills not yet paid and not yet booked on
      the owner's account (drafts, or bills booked on another account), shared too.

    Security deposits are held on their own account (46713) and never count. The view
    is read for the payouts and shown as the "Owner balances" report.
    """

    _name = "rental.owner.balance"
    _description = "Owner Balance"
    _auto = False
    _order = "owner_id, property_id"
    _rec_name = "owner_id"

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    owner_id = fields.Many2one("res.partner", string="Owner", readonly=True)
    property_id = fields.Many2one("rental.property", string="Property", readonly=True)
    mandate_id = fields.Many2one("rental.mandate", string="Mandate", readonly=True)
    share = fields.Float(string="Share (%)", digits=(5, 4), readonly=True)
    balance = fields.Monetary(string="Owner Account", readonly=True)
    uncollected = fields.Monetary(string="Not Yet Collected", readonly=True)
    reserve = fields.Monetary(readonly=True)
    bills_due = fields.Monetary(string="Bills Due", readonly=True)
    deposits_held = fields.Monetary(
        string="Deposits Held",
        readonly=True,
        help="Security deposits held for the property's tenants (never paid out).",
    )
    available = fields.Monetary(readonly=True)
    payout_hold = fields.Boolean(string="On Hold", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query())
        )

    @api.model
    def _query(self, company_id=None, property_ids=None, owner_ids=None, mandate_ids=None):
        """The view's query; the optional filters go inside it (fast for a few rows)."""
        lines_filter = SQL()
        keys_filter = SQL()
        if company_id:
            lines_filter = SQL("%s AND aml.company_id = %s", lines_filter, company_id)
        if property_ids is not None:
            lines_filter = SQL(
                "%s AND aml.rental_property_id IN %s", lines_filter, tuple(property_ids) or (0,)
            )
        if mandate_ids is not None:
            lines_filter = SQL(
                "%s AND aml.rental_property_id IN "
                "(SELECT id FROM rental_property WHERE mandate_id IN %s)",
                lines_filter,
                tuple(mandate_ids) or (0,),
            )
        if owner_ids is not None:
            keys_filter = SQL("AND k.owner_id IN %s", tuple(owner_ids) or (0,))
        return SQL(
            """
            WITH owner_lines AS (
                SELECT aml.company_id,
                       COALESCE(aml.rental_owner_id, aml.partner_id) AS owner_id,
                       aml.rental_property_id AS property_id,
                       -SUM(aml.balance) AS balance
                  FROM account_move_line aml
                  JOIN res_company c
                    ON c.id = aml.company_id AND aml.account_id = c.rental_owner_account_id
                 WHERE aml.parent_state = 'posted'
                   AND aml.rental_property_id IS NOT NULL
                   %(lines_filter)s
                 GROUP BY 1, 2, 3
            ),
            uncollected AS (
                SELECT aml.company_id, own.owner_id, aml.rental_property_id AS property_id,
                       SUM(aml.amount_residual) AS amount
                  FROM account_move_line aml
                  JOIN res_company c
                    ON c.id = aml.company_id AND aml.account_id = c.rental_tenant_account_id
                  JOIN account_move m
                    ON m.id = aml.move_id
                   AND m.move_type IN ('out_invoice', 'out_refund')
                   AND m.rental_call_kind IN ('rent', 'housing_benefit')
                  CROSS JOIN LATERAL (
                      SELECT o.rental_owner_id AS owner_id
                        FROM account_move_line o
                       WHERE o.move_id = aml.move_id AND o.rental_owner_id IS NOT NULL
                       ORDER BY o.id
                       LIMIT 1
                  ) own
                 WHERE aml.parent_state = 'posted'
                   AND aml.amount_residual != 0
                   AND aml.rental_property_id IS NOT NULL
                   %(lines_filter)s
                 GROUP BY 1, 2, 3
            ),
            bills AS (
                SELECT l.rental_property_id AS property_id,
                       SUM(CASE WHEN m.state = 'draft' THEN l.price_total
                                ELSE l.price_total * m.amount_residual
                                     / NULLIF(m.amount_total, 0) END
                           * CASE WHEN m.move_type = 'in_refund' THEN -1 ELSE 1 END) AS amount
                  FROM account_move_line l
                  JOIN account_move m ON m.id = l.move_id
                  JOIN res_company c ON c.id = m.company_id
                 WHERE m.move_type IN ('in_invoice', 'in_refund')
                   AND l.display_type = 'product'
                   AND l.rental_property_id IS NOT NULL
                   AND (m.state = 'draft'
                        OR (m.state = 'posted'
                            AND m.payment_state NOT IN ('paid', 'in_payment', 'reversed')
                            AND l.account_id IS DISTINCT FROM c.rental_owner_account_id))
                 GROUP BY 1
            ),
            deposits AS (
                SELECT aml.rental_property_id AS property_id, -SUM(aml.balance) AS amount
                  FROM account_move_line aml
                  JOIN res_company c
                    ON c.id = aml.company_id AND aml.account_id = c.rental_deposit_account_id
                 WHERE aml.parent_state = 'posted' AND aml.rental_property_id IS NOT NULL
                 GROUP BY 1
            ),
            keys AS (
                SELECT company_id, owner_id, property_id FROM owner_lines
                UNION
                SELECT company_id, owner_id, property_id FROM uncollected
            )
            SELECT ROW_NUMBER() OVER (ORDER BY k.company_id, k.owner_id, k.property_id) AS id,
                   k.company_id,
                   c.currency_id,
                   k.owner_id,
                   k.property_id,
                   p.mandate_id,
                   COALESCE(s.share, 0.0) AS share,
                   COALESCE(ol.balance, 0.0) AS balance,
                   COALESCE(u.amount, 0.0) AS uncollected,
                   ROUND(COALESCE(NULLIF(p.reserve_amount, 0), md.reserve_amount, 0)
                         * COALESCE(s.share, 0.0) / 100.0, 2) AS reserve,
                   ROUND(COALESCE(b.amount, 0.0) * COALESCE(s.share, 0.0) / 100.0, 2)
                       AS bills_due,
                   CASE WHEN COALESCE(s.share, 0.0) > 0
                        THEN COALESCE(d.amount, 0.0) ELSE 0.0 END AS deposits_held,
                   COALESCE(ol.balance, 0.0) - COALESCE(u.amount, 0.0)
                   - ROUND(COALESCE(NULLIF(p.reserve_amount, 0), md.reserve_amount, 0)
                           * COALESCE(s.share, 0.0) / 100.0, 2)
                   - ROUND(COALESCE(b.amount, 0.0) * COALESCE(s.share, 0.0) / 100.0, 2)
                       AS available,
                   COALESCE(p.payout_hold, FALSE) OR COALESCE(md.payout_hold, FALSE)
                       AS payout_hold
              FROM keys k
              JOIN res_company c ON c.id = k.company_id
              JOIN rental_property p ON p.id = k.property_id
              LEFT JOIN rental_mandate md ON md.id = p.mandate_id
              LEFT JOIN owner_lines ol
                ON ol.company_id = k.company_id AND ol.owner_id = k.owner_id
               AND ol.property_id = k.property_id
              LEFT JOIN uncollected u
                ON u.company_id = k.company_id AND u.owner_id = k.owner_id
               AND u.property_id = k.property_id
              LEFT JOIN LATERAL (
                  -- the owner's share: his ownership line, or all of it for the mandate's
                  -- owner of a property without ownership lines
                  SELECT COALESCE(
                      (SELECT po.share FROM rental_property_owner po
                        WHERE po.property_id = k.property_id AND po.partner_id = k.owner_id),
                      CASE WHEN md.owner_id = k.owner_id AND NOT EXISTS (
                               SELECT 1 FROM rental_property_owner po2
                                WHERE po2.property_id = k.property_id)
                           THEN 100.0 END) AS share
              ) s ON TRUE
              LEFT JOIN bills b ON b.property_id = k.property_id
              LEFT JOIN deposits d ON d.property_id = k.property_id
             WHERE (COALESCE(ol.balance, 0.0) != 0 OR COALESCE(u.amount, 0.0) != 0)
                   %(keys_filter)s
            """,
            lines_filter=lines_filter,
            keys_filter=keys_filter,
        )

    @api.model
    def _balances(self, company, owner_ids=None, property_ids=None, mandate_ids=None):
        """Rows of the view for ``company`` as dicts (amounts as floats), filtered."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT owner_id, property_id, mandate_id, share, balance, uncollected,
                       reserve, bills_due, deposits_held, available, payout_hold
                  FROM (%s) balances ORDER BY owner_id, property_id
                """,
                self._query(company.id, property_ids, owner_ids, mandate_ids),
            )
        )
        return self.env.cr.dictfetchall()

    @api.model
    def _action_for(self, domain):
        """The "Owner balances" report restricted to ``domain``."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow.action_rental_owner_balance"
        )
        action["domain"] = domain
        action["context"] = {}
        return action
