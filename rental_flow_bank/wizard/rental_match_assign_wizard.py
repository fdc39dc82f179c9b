from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError


class RentalMatchAssignWizard(models.TransientModel):
    """Reassign a bank line to another lease or other rent calls, or split it across
    rent calls, then reconcile it.

    *Reassign* spreads the amount over the chosen rent calls (all open ones of the lease
    by default) oldest first; *Split* lets the user type the amount of each rent call.
    The total may be less than the line: the rest stays as the tenant's credit. The
    engine's proposal is kept as history (rejected) and the person's choice recorded as
    an accepted proposal; the payer is learnt for the lease.
    """

    _name = "rental.match.assign.wizard"
    _description = "Reassign or Split a Bank Line"

    proposal_id = fields.Many2one("rental.match.proposal", required=True, readonly=True)
    mode = fields.Selection([("reassign", "Reassign"), ("split", "Split")], required=True,
                            default="reassign")
    statement_line_id = fields.Many2one(related="proposal_id.statement_line_id")
    company_id = fields.Many2one(related="proposal_id.company_id")
    currency_id = fields.Many2one(related="proposal_id.currency_id")
    amount = fields.Monetary(related="proposal_id.amount", string="Line Amount")
    lease_id = fields.Many2one("rental.lease", domain="[('company_id', '=', company_id)]")
    move_ids = fields.Many2many(
        "account.move", string="Rent Calls",
        domain="[('rental_lease_id', '=', lease_id), ('state', '=', 'posted'), "
        "('move_type', '=', 'out_invoice'), ('payment_state', 'in', ('not_paid', 'partial'))]",
        help="Empty: every open rent call of the lease, oldest first.",
    )
    line_ids = fields.One2many("rental.match.assign.wizard.line", "wizard_id",
                               string="Allocation")
    allocated = fields.Monetary(compute="_compute_allocated")
    rest = fields.Monetary(string="Left as Credit", compute="_compute_allocated")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        proposal = self.env["rental.match.proposal"].browse(values.get("proposal_id"))
        if proposal:
            values.setdefault("lease_id", proposal.lease_id.id)
            values["line_ids"] = [
                Command.create({"move_line_id": row.move_line_id.id, "amount": row.amount})
                for row in proposal.line_ids
            ]
            values.setdefault("move_ids", [Command.set(proposal.line_ids.move_id.ids)])
        return values

    @api.depends("line_ids.amount", "amount")
    def _compute_allocated(self):
        for wizard in self:
            wizard.allocated = sum(wizard.line_ids.mapped("amount"))
            wizard.rest = wizard.amount - wizard.allocated

    def _rental_open_items(self):
        """Receivable items of the chosen rent calls (or of all open calls of the lease),
        oldest first."""
        self.ensure_one()
        account = self.company_id.rental_tenant_account_id
        domain = [
            ("account_id", "=", account.id),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
            ("amount_residual_currency", ">", 0),
        ]
        if self.move_ids:
            domain.append(("move_id", "in", self.move_ids.ids))
        elif self.lease_id:
            domain.append(("move_id.rental_lease_id", "=", self.lease_id.id))
        else:
            return self.env["account.move.line"]
        return self.env["account.move.line"].search(domain, order="date_maturity, id")

    def _rental_allocate_oldest_first(self):
        """Reassign: spread the line's amount over the open items, oldest first.
        Split: list the open items, keeping the amounts already typed (0 for the others)."""
        self.ensure_one()
        remaining = self.amount
        typed = {row.move_line_id.id: row.amount for row in self.line_ids}
        commands = [Command.clear()]
        for item in self._rental_open_items():
            if self.mode == "reassign":
                share = min(remaining, item.amount_residual_currency)
            else:
                share = min(typed.get(item.id, 0.0), item.amount_residual_currency)
            commands.append(Command.create({"move_line_id": item.id,
                                            "amount": self.currency_id.round(share)}))
            remaining = self.currency_id.round(remaining - share)
        self.line_ids = commands

    @api.onchange("lease_id", "move_ids")
    def _onchange_targets(self):
        if self.lease_id and self.move_ids.rental_lease_id - self.lease_id:
            self.move_ids = self.move_ids.filtered(lambda m: m.rental_lease_id == self.lease_id)
        self._rental_allocate_oldest_first()

    def action_apply(self):
        self.ensure_one()
        proposal = self.proposal_id
        proposal._rental_check_open()
        currency = self.currency_id
        rows = self.line_ids.filtered(lambda r: not currency.is_zero(r.amount))
        lease = self.lease_id or rows.move_line_id.move_id.rental_lease_id[:1]
        if not lease:
            raise UserError(_("Choose the lease the bank line pays."))
        for row in rows:
            item = row.move_line_id
            if item.move_id.rental_lease_id != lease:
                raise UserError(_("%(call)s is not a rent call of lease %(lease)s.",
                                  call=item.move_id.display_name, lease=lease.name))
            if currency.compare_amounts(row.amount, 0) < 0 or currency.compare_amounts(
                row.amount, item.amount_residual_currency
            ) > 0:
                raise UserError(_(
                    "%(amount)s cannot go to %(call)s: between 0 and its residual "
                    "%(residual)s.", amount=row.amount, call=item.move_id.display_name,
                    residual=item.amount_residual_currency))
        if currency.compare_amounts(sum(rows.mapped("amount")), self.amount) > 0:
            raise UserError(_("The amounts (%(total)s) exceed the bank line (%(amount)s).",
                              total=sum(rows.mapped("amount")), amount=self.amount))
        kinds = set(rows.move_line_id.move_id.mapped("rental_call_kind"))
        choice = proposal.copy({
            "state": "review",
            "lease_id": lease.id,
            "property_id": lease.property_id.id,
            "partner_id": lease.tenant_id.id,
            "kind": kinds.pop() if len(kinds) == 1 else "rent",
            "score": 100,
            "rule_id": False,
            "rule_type": False,
            "unallocated": currency.round(self.amount - sum(rows.mapped("amount"))),
            "reason": _("%(mode)s by %(user)s (engine proposed: %(reason)s)",
                        mode=dict(self._fields["mode"].selection)[self.mode],
                        user=self.env.user.name, reason=proposal.reason or "-"),
            "line_ids": [Command.create({"move_line_id": r.move_line_id.id, "amount": r.amount})
                         for r in rows],
        })
        proposal.write({"state": "rejected", "decided_by_id": self.env.uid,
                        "decided_on": fields.Datetime.now()})
        choice.action_accept()
        return {"type": "ir.actions.act_window_close"}


class RentalMatchAssignWizardLine(models.TransientModel):
    _name = "rental.match.assign.wizard.line"
    _description = "Reassign or Split a Bank Line: one rent call"
    _order = "date_maturity, id"

    wizard_id = fields.Many2one("rental.match.assign.wizard", required=True,
                                ondelete="cascade")
    move_line_id = fields.Many2one("account.move.line", string="Journal Item", required=True)
    move_id = fields.Many2one(related="move_line_id.move_id", string="Rent Call")
    date_maturity = fields.Date(related="move_line_id.date_maturity", string="Due Date",
                                store=True)
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    residual = fields.Monetary(related="move_line_id.amount_residual_currency",
                               string="Open")
    amount = fields.Monetary()
