import logging
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_date

from ..engines import references, rent_schedule

_logger = logging.getLogger(__name__)

# Rent calls are created and posted by batches of this size (bulk, not one by one).
RENT_CALL_BATCH = 1000


class RentalLease(models.Model):
    """A lease of a unit to one or more tenants, with its rent schedule."""

    _name = "rental.lease"
    _description = "Lease"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Code",
        required=True,
        copy=False,
        readonly=True,
        index=True,
        default=lambda self: _("New"),
    )
    property_id = fields.Many2one(
        "rental.property",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
        domain="[('kind', '!=', 'building')]",
        ondelete="restrict",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    mandate_id = fields.Many2one(related="property_id.mandate_id", store=True, index=True)
    owner_id = fields.Many2one(related="property_id.owner_id", string="Owner", store=True)
    building_id = fields.Many2one(related="property_id.parent_id", string="Building", store=True)
    virtual_iban_id = fields.Many2one(related="property_id.virtual_iban_id")

    tenant_id = fields.Many2one(
        "res.partner",
        string="Tenant",
        required=True,
        index=True,
        tracking=True,
        help="Main tenant: the rent calls are addressed to him.",
    )
    cotenant_ids = fields.Many2many(
        "res.partner",
        "rental_lease_cotenant_rel",
        "lease_id",
        "partner_id",
        string="Co-tenants",
    )
    guarantor_ids = fields.Many2many(
        "res.partner",
        "rental_lease_guarantor_rel",
        "lease_id",
        "partner_id",
        string="Guarantors",
    )
    lease_kind = fields.Selection(
        [
            ("residential", "Residential (unfurnished)"),
            ("residential_furnished", "Residential (furnished)"),
            ("commercial", "Commercial"),
            ("professional", "Professional"),
            ("parking", "Parking"),
            ("other", "Other"),
        ],
        string="Lease Type",
        required=True,
        default="residential",
        help="Residential leases allow no late fees and no reminder fees (French law).",
    )
    date_start = fields.Date(required=True, tracking=True)
    date_end = fields.Date(tracking=True)
    call_from_date = fields.Date(
        string="Call Rents From",
        help="First day of the periods to call. Empty means the lease start; set it for a "
        "lease taken over from another manager, whose earlier rents were called there.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("running", "Running"), ("ended", "Ended")],
        default="draft",
        required=True,
        tracking=True,
        index=True,
        copy=False,
    )

    litigation_state = fields.Selection(
        [("none", "None"), ("dispute", "In dispute"), ("legal", "Legal proceedings")],
        string="Litigation",
        default="none",
        required=True,
        tracking=True,
        help="A lease in dispute or in legal proceedings is left out of automatic dunning "
        "and direct debits.",
    )

    rent = fields.Monetary(string="Monthly Rent", required=True, tracking=True)
    charges = fields.Monetary(
        string="Monthly Service Charges", tracking=True, help="Provision for service charges."
    )
    deposit = fields.Monetary(string="Security Deposit", tracking=True)
    due_day = fields.Integer(default=1, required=True, help="Day of the month the rent is due.")
    rent_period = fields.Selection(
        [("monthly", "Monthly"), ("quarterly", "Quarterly")],
        string="Rent Call Period",
        default="monthly",
        required=True,
    )
    payment_mode = fields.Selection(
        [("transfer", "Bank transfer"), ("direct_debit", "Direct debit")],
        default="transfer",
        required=True,
        tracking=True,
    )
    housing_benefit_amount = fields.Monetary(
        string="Housing Benefit (monthly)",
        tracking=True,
        help="Share of the rent paid directly by a third party (CAF/MSA 'tiers payant'). "
        "It is called from the payer and deducted from the tenant's rent call.",
    )
    housing_benefit_payer_id = fields.Many2one(
        "res.partner", string="Housing Benefit Payer", help="E.g. the tenant's CAF."
    )

    index_type = fields.Selection(
        [
            ("none", "No indexation"),
            ("irl", "IRL (residential)"),
            ("ilc", "ILC (commercial)"),
            ("ilat", "ILAT (tertiary)"),
        ],
        string="Rent Index",
        default="irl",
        required=True,
    )
    index_base_value = fields.Float(string="Reference Index Value", digits=(12, 2))
    index_base_quarter = fields.Char(string="Reference Quarter", help="E.g. 2026-Q2.")
    revision_date = fields.Date(string="Next Revision")
    energy_class = fields.Selection(
        [(c, c) for c in "ABCDEFG"],
        string="Energy Class (DPE)",
        help="Residential homes in class F or G cannot have their rent indexed (loi Climat).",
    )

    rent_call_ids = fields.One2many("account.move", "rental_lease_id", string="Rent Calls")
    rent_call_count = fields.Integer(compute="_compute_rent_call_stats")
    amount_due = fields.Monetary(
        string="Balance Due",
        compute="_compute_rent_call_stats",
        help="Open amount of the rent calls.",
    )
    last_period_start = fields.Date(
        string="Last Period Called", compute="_compute_rent_call_stats"
    )
    note = fields.Html()

    _sql_constraints = [
        ("name_company_uniq", "unique(name, company_id)", "The lease code must be unique."),
        ("rent_positive", "CHECK(rent > 0)", "The rent must be positive."),
        ("charges_positive", "CHECK(charges >= 0)", "The service charges cannot be negative."),
        ("deposit_positive", "CHECK(deposit >= 0)", "The deposit cannot be negative."),
        (
            "due_day_range",
            "CHECK(due_day >= 1 AND due_day <= 31)",
            "The due day must be between 1 and 31.",
        ),
        (
            "dates_order",
            "CHECK(date_end IS NULL OR date_end >= date_start)",
            "A lease cannot end before it starts.",
        ),
        (
            "housing_benefit_positive",
            "CHECK(housing_benefit_amount >= 0)",
            "The housing benefit cannot be negative.",
        ),
    ]

    # -- CRUD ------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("property_id") and not vals.get("company_id"):
                vals["company_id"] = (
                    self.env["rental.property"].browse(vals["property_id"]).company_id.id
                )
            if vals.get("name", _("New")) == _("New"):
                company = self.env["res.company"].browse(vals.get("company_id"))
                seq = self.env["ir.sequence"].with_company(company or self.env.company)
                vals["name"] = seq.next_by_code("rental.lease") or _("New")
        return super().create(vals_list)

    def unlink(self):
        if self.filtered(lambda rec: rec.state != "draft"):
            raise UserError(_("Only draft leases can be deleted; end the others instead."))
        return super().unlink()

    # -- computes and constraints ---------------------------------------------------------

    def _compute_rent_call_stats(self):
        groups = self.env["account.move"]._read_group(
            [
                ("rental_lease_id", "in", self.ids),
                ("state", "=", "posted"),
                ("move_type", "in", ("out_invoice", "out_refund")),
            ],
            ["rental_lease_id"],
            ["__count", "amount_residual_signed:sum", "rental_period_start:max"],
        )
        stats = {lease: (count, due, last) for lease, count, due, last in groups}
        for lease in self:
            count, due, last = stats.get(lease, (0, 0.0, False))
            lease.rent_call_count = count
            lease.amount_due = due
            lease.last_period_start = last

    @api.constrains("date_start", "date_end", "state", "property_id")
    def _check_overlap(self):
        running = self.filtered(lambda rec: rec.state == "running")
        if not running:
            return
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT a.name, b.name, p.name
                  FROM rental_lease a
                  JOIN rental_lease b
                    ON b.property_id = a.property_id AND b.id != a.id AND b.state = 'running'
                  JOIN rental_property p ON p.id = a.property_id
                 WHERE a.id IN %s
                   AND daterange(a.date_start, a.date_end, '[]')
                       && daterange(b.date_start, b.date_end, '[]')
                 LIMIT 1
                """,
                tuple(running.ids),
            )
        )
        row = self.env.cr.fetchone()
        if row:
            raise ValidationError(
                _(
                    "Leases %(lease)s and %(other)s would both run on %(property)s at the same "
                    "dates.",
                    lease=row[0],
                    other=row[1],
                    property=row[2],
                )
            )

    @api.constrains("property_id")
    def _check_property_kind(self):
        for lease in self:
            if lease.property_id.kind == "building":
                raise ValidationError(
                    _("%(property)s is a building: lease one of its units.",
                      property=lease.property_id.display_name)
                )

    @api.constrains("housing_benefit_amount", "housing_benefit_payer_id", "rent", "charges")
    def _check_housing_benefit(self):
        for lease in self.filtered("housing_benefit_amount"):
            if not lease.housing_benefit_payer_id:
                raise ValidationError(
                    _("Lease %(lease)s: say who pays the housing benefit.", lease=lease.name)
                )
            if lease.housing_benefit_amount > lease.rent + lease.charges:
                raise ValidationError(
                    _(
                        "Lease %(lease)s: the housing benefit cannot exceed the rent and "
                        "charges.",
                        lease=lease.name,
                    )
                )

    @api.constrains("tenant_id", "cotenant_ids", "guarantor_ids")
    def _check_parties(self):
        for lease in self:
            tenants = lease.tenant_id | lease.cotenant_ids
            if tenants & lease.guarantor_ids:
                raise ValidationError(
                    _("Lease %(lease)s: a tenant cannot be his own guarantor.", lease=lease.name)
                )

    def _rental_collection_block_reason(self):
        """Why automatic collection actions (dunning, direct debits) must leave this lease alone.

        Returns a human-readable reason, or an empty string when nothing blocks. Extended by
        other addons (e.g. a payment plan being honoured suspends dunning and debits).
        """
        self.ensure_one()
        if self.litigation_state == "dispute":
            return _("Lease %(lease)s is in dispute.", lease=self.name)
        if self.litigation_state == "legal":
            return _("Lease %(lease)s is in legal proceedings.", lease=self.name)
        return ""

    # -- state changes --------------------------------------------------------------------

    def action_start(self):
        for lease in self:
            if lease.state != "draft":
                raise UserError(_("Lease %(lease)s is not a draft.", lease=lease.name))
            if not lease.property_id.mandate_id:
                raise UserError(
                    _(
                        "%(property)s has no management mandate: the rents would have no owner.",
                        property=lease.property_id.display_name,
                    )
                )
            if lease.date_end and lease.date_end < fields.Date.context_today(self):
                raise UserError(
                    _("Lease %(lease)s has already ended: it cannot start.", lease=lease.name)
                )
        # Serialise concurrent starts on the same units before the overlap check.
        self.env.cr.execute(
            SQL(
                "SELECT id FROM rental_property WHERE id IN %s FOR UPDATE",
                tuple(self.property_id.ids),
            )
        )
        self.write({"state": "running"})
        self._assign_virtual_ibans()
        for lease in self:
            lease.message_post(body=_("Lease started."))
        return True

    def _assign_virtual_ibans(self):
        """Automatic virtual IBAN for the units of starting leases, where the pool says so."""
        props = self.property_id.filtered(lambda p: not p.virtual_iban_id)
        for company in props.company_id:
            pool = self.env["rental.virtual.iban.pool"]._get_default_pool(
                company, raise_if_none=False
            )
            if pool and pool.auto_assign:
                pool._allocate(props.filtered(lambda p, c=company: p.company_id == c))

    def action_end(self):
        """End the leases at their end date (today if none) and credit unused days."""
        today = fields.Date.context_today(self)
        for lease in self:
            if lease.state != "running":
                raise UserError(_("Lease %(lease)s is not running.", lease=lease.name))
            if not lease.date_end:
                lease.date_end = today
        self.write({"state": "ended"})
        self._credit_periods_after_end()
        for lease in self:
            lease.message_post(
                body=_("Lease ended on %(date)s.", date=format_date(self.env, lease.date_end))
            )
        return True

    def action_reset_to_draft(self):
        for lease in self:
            if lease.state != "running" or lease.rent_call_ids.filtered(
                lambda m: m.state == "posted"
            ):
                raise UserError(
                    _("Lease %(lease)s has rent calls: end it instead.", lease=lease.name)
                )
        self.write({"state": "draft"})

    @api.model
    def _cron_end_leases(self):
        """End running leases whose end date is past."""
        leases = self.search(
            [("state", "=", "running"), ("date_end", "<", fields.Date.context_today(self))]
        )
        leases.action_end()

    # -- rent calls -----------------------------------------------------------------------

    def action_issue_rent_calls(self):
        """Button: issue the rent calls due up to now (plus the company's advance)."""
        moves = self._issue_rent_calls()
        if not moves:
            raise UserError(_("All the rent calls due so far have already been issued."))
        return self._action_open_moves(moves)

    def action_issue_deposit_call(self):
        moves = self.env["account.move"]
        for lease in self:
            if not lease.deposit:
                raise UserError(_("Lease %(lease)s has no security deposit.", lease=lease.name))
            exists = lease.rent_call_ids.filtered(
                lambda m: m.rental_call_kind == "deposit" and m.state != "cancel"
            )
            if exists:
                raise UserError(
                    _("The deposit of lease %(lease)s is already called.", lease=lease.name)
                )
            lease.company_id._rental_ensure_setup()
            vals = lease._prepare_deposit_call_vals(fields.Date.context_today(self))
            moves |= self._create_calls([vals])
        return self._action_open_moves(moves)

    def action_view_rent_calls(self):
        self.ensure_one()
        return self._action_open_moves(self.rent_call_ids)

    def _action_open_moves(self, moves):
        action = self.env["ir.actions.act_window"]._for_xml_id("rental_flow.action_rent_calls")
        action["domain"] = [("id", "in", moves.ids)]
        action["context"] = {"default_move_type": "out_invoice"}
        return action

    @api.model
    def _cron_issue_rent_calls(self, batch_size=2000):
        """Issue the rent calls due within each company's advance, by batches.

        Each run handles at most ``batch_size`` leases and reports its progress: the
        scheduler commits and runs the job again at once while leases remain, so a large
        portfolio is processed in several transactions and a failure loses one batch only.
        """
        todo = self._leases_missing_current_call()
        batch = todo[:batch_size]
        batch._issue_rent_calls()
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=len(todo) - len(batch))

    def _leases_missing_current_call(self):
        """Running leases whose period due within the advance has no rent call yet."""
        today = fields.Date.context_today(self)
        lease_ids = []
        for company in self.env["res.company"].search([]):
            horizon = today + timedelta(days=company.rental_call_advance_days)
            month = rent_schedule.period_start_of(horizon, "monthly")
            quarter = rent_schedule.period_start_of(horizon, "quarterly")
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    """
                    SELECT l.id FROM rental_lease l
                     WHERE l.state = 'running' AND l.company_id = %(company)s
                       AND l.date_start <= %(horizon)s
                       AND NOT EXISTS (
                           SELECT 1 FROM account_move m
                            WHERE m.rental_lease_id = l.id
                              AND m.move_type = 'out_invoice'
                              AND m.state != 'cancel'
                              AND m.rental_call_kind = 'rent'
                              AND m.rental_period_start = CASE l.rent_period
                                  WHEN 'quarterly' THEN %(quarter)s::date ELSE %(month)s::date END)
                       AND (l.date_end IS NULL OR l.date_end >= CASE l.rent_period
                                  WHEN 'quarterly' THEN %(quarter)s::date ELSE %(month)s::date END)
                     ORDER BY l.id
                    """,
                    company=company.id,
                    horizon=horizon,
                    month=month,
                    quarter=quarter,
                )
            )
            lease_ids += [row[0] for row in self.env.cr.fetchall()]
        return self.browse(lease_ids)

    def _issue_rent_calls(self, until=None, invoice_date=None):
        """Issue the missing rent calls of the leases up to ``until`` and post them.

        ``until`` defaults to today plus the company's advance: a period is issued once
        its start minus the advance is reached. A period already called (not cancelled)
        is never called twice: the leases are locked, the existing periods read in one
        query, and a unique index guards against any other path.
        Returns the new rent calls.
        """
        leases = self.filtered(lambda rec: rec.state in ("running", "ended"))
        if not leases:
            return self.env["account.move"]
        today = fields.Date.context_today(self)
        self.env.cr.execute(
            SQL("SELECT id FROM rental_lease WHERE id IN %s FOR UPDATE", tuple(leases.ids))
        )
        issued = leases._issued_periods()
        vals_list = []
        for company in leases.company_id:
            company._rental_ensure_setup()
            company_leases = leases.filtered(lambda rec, c=company: rec.company_id == c)
            horizon = until or today + timedelta(days=company.rental_call_advance_days)
            cache = {}
            for lease in company_leases:
                vals_list.extend(
                    lease._prepare_period_calls(horizon, invoice_date or today, issued, cache)
                )
        moves = self._create_calls(vals_list)
        if moves:
            _logger.info("Issued %d rent calls for %d leases", len(moves), len(leases))
        return moves

    def _issued_periods(self):
        """``{(lease id, period start, kind)}`` already called (cancelled calls excluded)."""
        self.env["account.move"].flush_model(
            ["rental_lease_id", "rental_period_start", "rental_call_kind", "state", "move_type"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT rental_lease_id, rental_period_start, rental_call_kind
                  FROM account_move
                 WHERE rental_lease_id IN %s
                   AND move_type = 'out_invoice'
                   AND state != 'cancel'
                """,
                tuple(self.ids),
            )
        )
        return set(self.env.cr.fetchall())

    def _prepare_period_calls(self, until, invoice_date, issued, cache=None):
        """Values of the rent calls (tenant, and housing-benefit payer) still to issue."""
        self.ensure_one()
        vals_list = []
        call_from = self.call_from_date or self.date_start
        for period in rent_schedule.iter_periods(
            self.date_start, self.date_end or None, until, self.rent_period
        ):
            if period.end < call_from:
                continue
            if (self.id, period.start, "rent") not in issued:
                vals_list.append(self._prepare_rent_call_vals(period, invoice_date, cache))
            if self.housing_benefit_amount and (
                (self.id, period.start, "housing_benefit") not in issued
            ):
                vals_list.append(self._prepare_benefit_call_vals(period, invoice_date, cache))
        return vals_list

    def _period_amounts(self, period):
        """Rent, charges and housing benefit due for ``period`` (Decimals, prorated)."""
        months = rent_schedule.PERIOD_MONTHS[self.rent_period]

        def amount(monthly):
            return rent_schedule.prorate(Decimal(str(monthly or 0)) * months, period)

        return amount(self.rent), amount(self.charges), amount(self.housing_benefit_amount)

    def _period_label(self, period, partner):
        lang = partner.lang or self.env.lang
        if period.is_full:
            return _(
                "%(start)s to %(end)s",
                start=format_date(self.env, period.start, lang_code=lang),
                end=format_date(self.env, period.end, lang_code=lang),
            )
        return _(
            "%(start)s to %(end)s (%(days)s/%(total)s days)",
            start=format_date(self.env, period.covered_start, lang_code=lang),
            end=format_date(self.env, period.covered_end, lang_code=lang),
            days=period.covered_days,
            total=period.days,
        )

    def _common_call_vals(self, period, invoice_date, kind, partner):
        company = self.company_id
        suffix = {"rent": "", "housing_benefit": "A", "deposit": "D"}[kind]
        return {
            "move_type": "out_invoice",
            "journal_id": company.rental_journal_id.id,
            "company_id": company.id,
            "currency_id": company.currency_id.id,
            "partner_id": partner.id,
            "invoice_date": invoice_date,
            "invoice_date_due": rent_schedule.due_date(period, self.due_day),
            "invoice_payment_term_id": False,
            "invoice_origin": self.name,
            "payment_reference": references.rf_reference(
                self.name, period.start.strftime("%Y%m"), suffix
            ),
            "rental_lease_id": self.id,
            "rental_property_id": self.property_id.id,
            "rental_period_start": period.start,
            "rental_period_end": period.end,
            "rental_call_kind": kind,
            "rental_virtual_iban_id": self.property_id.virtual_iban_id.id,
        }

    def _call_line(self, product, name, amount, account, kind):
        """Values of one product line of a rent call (credited to the owner's account)."""
        return {
            "product_id": product.id,
            "name": name,
            "quantity": 1,
            "price_unit": float(amount),
            "account_id": account.id,
            "tax_ids": [Command.clear()],
            "rental_owner_id": self.mandate_id.owner_id.id,
            "rental_property_id": self.property_id.id,
            "rental_line_kind": kind,
        }

    def _set_call_lines(self, vals, lines, refund=False, cache=None):
        """Give a rent call its complete journal lines.

        Rent calls carry no tax and one due date, so their lines are given complete (the
        products' lines with their totals and analytic distribution, and the receivable
        line) and created without Odoo's generic invoice synchronisation: this is what
        makes issuing thousands of rent calls fast. A rent call edited later by hand is
        synchronised as any invoice. ``cache`` is shared by the calls of one batch.
        """
        cache = {} if cache is None else cache
        sign = 1 if refund else -1
        total = sum(Decimal(str(line["price_unit"])) for line in lines)
        line_ids = [
            Command.create(
                {
                    **line,
                    "display_type": "product",
                    "balance": sign * line["price_unit"],
                    "amount_currency": sign * line["price_unit"],
                    "price_subtotal": line["price_unit"],
                    "price_total": line["price_unit"],
                    "analytic_distribution": self._call_line_analytic(line, cache),
                }
            )
            for line in lines
        ]
        line_ids.append(
            Command.create(
                {
                    "display_type": "payment_term",
                    "name": vals.get("payment_reference") or "",
                    "account_id": self.company_id.rental_tenant_account_id.id,
                    "balance": -sign * float(total),
                    "amount_currency": -sign * float(total),
                    "date_maturity": vals.get("invoice_date_due") or vals.get("invoice_date"),
                    "rental_property_id": self.property_id.id,
                }
            )
        )
        vals["line_ids"] = line_ids
        return vals

    def _call_product(self, kind, cache=None):
        """Product of a rent call line (rent, charges, housing_benefit, deposit)."""
        cache = {} if cache is None else cache
        key = ("product", kind)
        if key not in cache:
            cache[key] = self.env.ref(f"rental_flow.product_{kind}")
        return cache[key]

    def _call_line_analytic(self, line, cache):
        """Analytic distribution of a rent call line, from the accountant's analytic models.

        The line belongs to the owner: the models are matched on the owner, the product
        and the account (once per combination in a batch).
        """
        key = (line["rental_owner_id"], line["product_id"], line["account_id"])
        if key not in cache:
            owner = self.env["res.partner"].browse(line["rental_owner_id"])
            product = self.env["product.product"].browse(line["product_id"])
            cache[key] = self.env["account.analytic.distribution.model"]._get_distribution(
                {
                    "product_id": product.id,
                    "product_categ_id": product.categ_id.id,
                    "partner_id": owner.id,
                    "partner_category_id": owner.category_id.ids,
                    "account_prefix": self.env["account.account"].browse(line["account_id"]).code,
                    "company_id": self.company_id.id,
                }
            ) or False
        return cache[key]

    @api.model
    def _create_calls(self, vals_list):
        """Create and post rent calls (or their credit notes) in bulk."""
        Move = self.env["account.move"].with_context(
            skip_invoice_sync=True,
            tracking_disable=True,
            mail_create_nolog=True,
            mail_create_nosubscribe=True,
            mail_notrack=True,
        )
        moves = self.env["account.move"]
        for start in range(0, len(vals_list), RENT_CALL_BATCH):
            batch = Move.create(vals_list[start : start + RENT_CALL_BATCH])
            batch._rental_subscribe_partners()
            # Posting ticks each entry as checked (``move.checked = ...`` entry by entry,
            # when the journal says so): one full write per entry, each with its balance
            # check. Protected, the value is only put in the cache and written with the
            # batch's other fields. The tenants' customer ranks are raised once for the
            # batch rather than tenant by tenant (a query and a savepoint each).
            ranks = {}
            with self.env.protecting([Move._fields["checked"]], batch):
                batch.with_context(rental_sequence_memo={},
                                   rental_defer_rank=ranks).action_post()
            self.env["res.partner"]._rental_apply_ranks(ranks)
            moves |= batch
        moves._rental_set_owner_partners()
        return moves.with_env(self.env)

    def _prepare_rent_call_vals(self, period, invoice_date, cache=None):
        self.ensure_one()
        rent, charges, benefit = self._period_amounts(period)
        tenant = self.tenant_id
        label = self._period_label(period, tenant)
        env = self.with_context(lang=tenant.lang or self.env.lang).env
        owner_account = self.company_id.rental_owner_account_id
        lines = [
            self._call_line(
                self._call_product("rent", cache),
                env._("Rent %(period)s", period=label),
                rent,
                owner_account,
                "rent",
            )
        ]
        if charges:
            lines.append(
                self._call_line(
                    self._call_product("charges", cache),
                    env._("Service charges provision %(period)s", period=label),
                    charges,
                    owner_account,
                    "charges",
                )
            )
        if benefit:
            lines.append(
                self._call_line(
                    self._call_product("housing_benefit", cache),
                    env._(
                        "Housing benefit paid by %(payer)s %(period)s",
                        payer=self.housing_benefit_payer_id.name,
                        period=label,
                    ),
                    -benefit,
                    owner_account,
                    "housing_benefit",
                )
            )
        vals = self._common_call_vals(period, invoice_date, "rent", tenant)
        return self._set_call_lines(vals, lines, cache=cache)

    def _prepare_benefit_call_vals(self, period, invoice_date, cache=None):
        self.ensure_one()
        __, __, benefit = self._period_amounts(period)
        payer = self.housing_benefit_payer_id
        env = self.with_context(lang=payer.lang or self.env.lang).env
        vals = self._common_call_vals(period, invoice_date, "housing_benefit", payer)
        lines = [
            self._call_line(
                self._call_product("housing_benefit", cache),
                env._(
                    "Housing benefit of %(tenant)s, %(property)s, %(period)s",
                    tenant=self.tenant_id.name,
                    property=self.property_id.display_name,
                    period=self._period_label(period, payer),
                ),
                benefit,
                self.company_id.rental_owner_account_id,
                "rent",
            )
        ]
        return self._set_call_lines(vals, lines, cache=cache)

    def _prepare_deposit_call_vals(self, invoice_date, cache=None):
        self.ensure_one()
        tenant = self.tenant_id
        start, end = rent_schedule.period_of(self.date_start, self.rent_period)
        period = rent_schedule.Period(start, end, self.date_start, end)
        env = self.with_context(lang=tenant.lang or self.env.lang).env
        vals = self._common_call_vals(period, invoice_date, "deposit", tenant)
        vals["invoice_date_due"] = max(self.date_start, invoice_date)
        line = self._call_line(
            self._call_product("deposit", cache),
            env._("Security deposit, lease %(lease)s", lease=self.name),
            Decimal(str(self.deposit)),
            self.company_id.rental_deposit_account_id,
            "deposit",
        )
        return self._set_call_lines(vals, [line])

    def _credit_periods_after_end(self):
        """Credit the days called beyond the end date of ended leases.

        A rent call covering days after the end is credited for the difference between
        what was called and what is due over the shortened period (a credit note, never an
        edit of an issued rent call).
        """
        refunds = []
        for lease in self:
            moves = lease.rent_call_ids.filtered(lambda m: m.state == "posted")
            credited = defaultdict(float)
            for refund in moves.filtered(lambda m: m.move_type == "out_refund"):
                credited[refund.reversed_entry_id] += refund.amount_total
            end = lease.date_end
            for call in moves.filtered(
                lambda m, end=end: m.move_type == "out_invoice"
                and m.rental_call_kind in ("rent", "housing_benefit")
                and m.rental_period_end > end
            ):
                refund_vals = lease._prepare_end_refund(call, credited[call])
                if refund_vals:
                    refunds.append(refund_vals)
        if refunds:
            self._create_calls(refunds)

    def _prepare_end_refund(self, call, already_credited):
        """Credit note for the part of ``call`` beyond the lease end, or None."""
        start, end = call.rental_period_start, call.rental_period_end
        covered_start = max(start, self.date_start)
        # The call covered ``covered_start``..``end``; the lease now stops at date_end.
        called_days = (end - covered_start).days + 1
        kept_days = max(0, (min(end, self.date_end) - covered_start).days + 1)
        ratio = Decimal(kept_days) / Decimal(called_days)
        lines = []
        for line in call.invoice_line_ids.filtered(lambda rec: rec.display_type == "product"):
            subtotal = Decimal(str(line.price_subtotal))
            credit = subtotal - rent_schedule.quantize(subtotal * ratio)
            if credit:
                lines.append(
                    {
                        "product_id": line.product_id.id,
                        "name": _("%(line)s: days after the lease end", line=line.name),
                        "quantity": 1,
                        "price_unit": float(credit),
                        "account_id": line.account_id.id,
                        "tax_ids": [Command.clear()],
                        "rental_owner_id": line.rental_owner_id.id,
                        "rental_property_id": line.rental_property_id.id,
                        "rental_line_kind": line.rental_line_kind,
                    }
                )
        total = sum(line["price_unit"] for line in lines)
        if not lines or total <= already_credited + 0.001:
            return None
        vals = {
            "move_type": "out_refund",
            "journal_id": call.journal_id.id,
            "company_id": call.company_id.id,
            "currency_id": call.currency_id.id,
            "partner_id": call.partner_id.id,
            "invoice_date": fields.Date.context_today(self),
            "invoice_date_due": fields.Date.context_today(self),
            "invoice_payment_term_id": False,
            "reversed_entry_id": call.id,
            "ref": _(
                "Lease %(lease)s ended on %(date)s",
                lease=self.name,
                date=format_date(self.env, self.date_end),
            ),
            "invoice_origin": call.name,
            "rental_lease_id": self.id,
            "rental_property_id": call.rental_property_id.id,
            "rental_period_start": call.rental_period_start,
            "rental_period_end": call.rental_period_end,
            "rental_call_kind": call.rental_call_kind,
        }
        return self._set_call_lines(vals, lines, refund=True)
