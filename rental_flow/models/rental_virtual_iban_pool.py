from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engines import viban


class RentalVirtualIbanPool(models.Model):
    """Virtual IBANs of one master bank account, ready to be given to properties."""

    _name = "rental.virtual.iban.pool"
    _description = "Virtual IBAN Pool"
    _inherit = ["mail.thread"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    journal_id = fields.Many2one(
        "account.journal",
        string="Master Account",
        required=True,
        check_company=True,
        domain="[('type', '=', 'bank')]",
        help="Bank journal of the master account the virtual IBANs route to.",
    )
    master_iban = fields.Char(related="journal_id.bank_acc_number", string="Master IBAN")
    provider = fields.Selection(
        [("none", "No bank API")],
        default="none",
        required=True,
        help="Bank API that creates virtual IBANs on demand when the pool runs out.",
    )
    auto_assign = fields.Boolean(
        string="Assign When a Lease Starts",
        default=True,
        help="Give a unit a virtual IBAN automatically when one of its leases starts.",
    )
    freeze_days = fields.Integer(
        string="Freeze After Release (days)",
        default=400,
        required=True,
        help="A released IBAN is not given to another property before this delay, so that "
        "late or standing-order payments cannot reach the wrong property.",
    )
    iban_ids = fields.One2many("rental.virtual.iban", "pool_id", string="Virtual IBANs")
    count_available = fields.Integer(compute="_compute_counts", string="Available")
    count_assigned = fields.Integer(compute="_compute_counts", string="Assigned")
    count_frozen = fields.Integer(compute="_compute_counts", string="Frozen")

    _sql_constraints = [
        (
            "freeze_days_positive",
            "CHECK(freeze_days >= 0)",
            "The freeze delay cannot be negative.",
        ),
    ]

    def _compute_counts(self):
        groups = self.env["rental.virtual.iban"]._read_group(
            [("pool_id", "in", self.ids)], ["pool_id", "state"], ["__count"]
        )
        counts = {(pool.id, state): count for pool, state, count in groups}
        for pool in self:
            pool.count_available = counts.get((pool.id, "available"), 0)
            pool.count_assigned = counts.get((pool.id, "assigned"), 0)
            pool.count_frozen = counts.get((pool.id, "frozen"), 0)

    @api.model
    def _get_default_pool(self, company, raise_if_none=True):
        pools = self.search([("company_id", "=", company.id)])
        pool = pools.filtered(lambda p: p.count_available or p.provider != "none")[:1] or pools[:1]
        if not pool and raise_if_none:
            raise UserError(
                _(
                    "%(company)s has no virtual IBAN pool. Create one under Rental > "
                    "Configuration > Virtual IBAN Pools.",
                    company=company.name,
                )
            )
        return pool

    # -- sources ----------------------------------------------------------------------

    def _add_ibans(self, rows):
        """Create virtual IBANs from ``[{"iban", "label", "provider_ref"}]``, all or none.

        Every IBAN is validated and checked against the whole database (an IBAN is
        globally unique); the first problem stops everything.
        """
        self.ensure_one()
        normalized = [viban.normalize(row["iban"]) for row in rows]
        errors = []
        for value in normalized:
            try:
                viban.validate(value)
            except viban.VirtualIbanError as exc:
                errors.append(str(exc))
        if self.master_iban and viban.normalize(self.master_iban) in normalized:
            errors.append(_("The master account's own IBAN cannot be a virtual IBAN."))
        existing = self.env["rental.virtual.iban"].with_context(active_test=False).search(
            [("name", "in", normalized)]
        )
        if existing:
            errors.append(
                _("Already in a pool: %(ibans)s", ibans=", ".join(existing.mapped("name")))
            )
        if len(set(normalized)) != len(normalized):
            errors.append(_("The same IBAN is given twice."))
        if errors:
            raise UserError("\n".join(errors))
        return self.env["rental.virtual.iban"].create(
            [
                {
                    "name": value,
                    "pool_id": self.id,
                    "label": row.get("label") or False,
                    "provider_ref": row.get("provider_ref") or False,
                }
                for value, row in zip(normalized, rows, strict=True)
            ]
        )

    def _add_range(self, bank_code, branch_code, first_account, count):
        """Compute and add the IBANs of a range of account numbers reserved by the bank."""
        self.ensure_one()
        country = (viban.normalize(self.master_iban)[:2] if self.master_iban else "") or "FR"
        try:
            ibans = viban.generate_range(country, bank_code, branch_code, first_account, count)
        except viban.VirtualIbanError as exc:
            raise UserError(str(exc)) from None
        return self._add_ibans([{"iban": iban} for iban in ibans])

    def _provider_create_ibans(self, count, properties=None):
        """Hook for bank APIs: create ``count`` new virtual IBANs at the bank.

        Returns the new ``rental.virtual.iban`` records (state available). Without a
        bank API nothing can be created and an empty recordset is returned; bank
        connectors (rental_flow_bank) override this for their provider.
        """
        self.ensure_one()
        return self.env["rental.virtual.iban"]

    # -- allocation -------------------------------------------------------------------

    def _allocate(self, properties):
        """Give each of ``properties`` (without one) a virtual IBAN of this pool.

        Bulk and concurrency-safe: free IBANs are claimed with ``FOR UPDATE SKIP LOCKED``
        and assigned with set-based SQL. Either every property gets one or none does
        (clear error when the pool is exhausted).
        """
        self.ensure_one()
        props = properties.filtered(lambda p: not p.virtual_iban_id)
        if not props:
            return self.env["rental.virtual.iban"]
        if props.filtered(lambda p: p.company_id != self.company_id):
            raise UserError(_("A pool only serves the properties of its own company."))
        self.env.flush_all()
        Iban = self.env["rental.virtual.iban"]
        ids = self._claim_available(len(props))
        if len(ids) < len(props):
            created = self._provider_create_ibans(len(props) - len(ids), props)
            if created:
                self.env.flush_all()
                ids += self._claim_available(len(props) - len(ids), created.ids)
        if len(ids) < len(props):
            raise UserError(
                _(
                    "The virtual IBAN pool %(pool)s is exhausted: %(needed)s needed, "
                    "%(available)s available. Import or compute more IBANs, or release "
                    "unused ones.",
                    pool=self.name,
                    needed=len(props),
                    available=len(ids),
                )
            )
        pairs = list(zip(ids, props.ids, strict=True))
        values = SQL(", ").join(SQL("(%s, %s)", vid, pid) for vid, pid in pairs)
        today = fields.Date.context_today(self)
        uid = self.env.uid
        self.env.cr.execute(
            SQL(
                """
                UPDATE rental_virtual_iban v
                   SET state = 'assigned', property_id = d.pid, assigned_date = %(today)s,
                       released_date = NULL, frozen_until = NULL,
                       write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
                  FROM (VALUES %(values)s) AS d(vid, pid)
                 WHERE v.id = d.vid
                """,
                today=today,
                uid=uid,
                values=values,
            )
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE rental_property p
                   SET virtual_iban_id = d.vid,
                       write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
                  FROM (VALUES %(values)s) AS d(vid, pid)
                 WHERE p.id = d.pid
                """,
                uid=uid,
                values=values,
            )
        )
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO rental_virtual_iban_assignment
                       (iban_id, property_id, company_id, date_from, user_id,
                        create_uid, create_date, write_uid, write_date)
                SELECT d.vid, d.pid, %(company)s, %(today)s, %(uid)s,
                       %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
                  FROM (VALUES %(values)s) AS d(vid, pid)
                """,
                company=self.company_id.id,
                today=today,
                uid=uid,
                values=values,
            )
        )
        Iban.invalidate_model(
            ["state", "property_id", "assigned_date", "released_date", "frozen_until"]
        )
        self.env["rental.property"].invalidate_model(["virtual_iban_id"])
        self.env["rental.virtual.iban.assignment"].invalidate_model()
        props.invalidate_recordset(["virtual_iban_assignment_ids"])
        return Iban.browse(ids)

    def _claim_available(self, limit, among_ids=None):
        """Lock and return up to ``limit`` available IBAN ids, skipping locked ones."""
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM rental_virtual_iban
                 WHERE pool_id = %(pool)s AND state = 'available' AND active
                   %(among)s
                 ORDER BY sequence, id
                 LIMIT %(limit)s
                   FOR UPDATE SKIP LOCKED
                """,
                pool=self.id,
                limit=limit,
                among=SQL("AND id IN %s", tuple(among_ids)) if among_ids else SQL(""),
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _cron_unfreeze(self):
        """Make available again the released IBANs whose freeze delay is over."""
        frozen = self.env["rental.virtual.iban"].search(
            [("state", "=", "frozen"), ("frozen_until", "<", fields.Date.context_today(self))]
        )
        frozen.write({"state": "available", "frozen_until": False})
        return frozen

    def _freeze_until(self, day):
        self.ensure_one()
        return day + timedelta(days=self.freeze_days)

    # -- actions ------------------------------------------------------------------------

    def action_view_ibans(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow.action_rental_virtual_iban"
        )
        action["domain"] = [("pool_id", "=", self.id)]
        action["context"] = {"default_pool_id": self.id}
        return action
