from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command

from ..engines import viban


class AccountBankStatementLine(models.Model):
    """What a bank line says about rents: the virtual IBAN credited and the end-to-end id.

    Filled by the bank feeds (statement files, bank APIs); used by the matching engine,
    the owner payouts (a payout is paid when its debit shows, by end-to-end id) and the
    direct debits.
    """

    _inherit = "account.bank.statement.line"

    rental_end_to_end_id = fields.Char(
        string="End-to-End Id", index="btree_not_null", readonly=True, copy=False
    )
    rental_structured_ref = fields.Char(
        string="Structured Reference",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="ISO 11649 creditor reference (RF...) given by the payer, if any.",
    )
    rental_credited_iban = fields.Char(
        string="Credited Account",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="Account the money was paid into: the virtual IBAN of a property when the "
        "payer used one.",
    )
    rental_virtual_iban_id = fields.Many2one(
        "rental.virtual.iban",
        string="Virtual IBAN",
        compute="_compute_rental_virtual_iban",
        store=True,
        index="btree_not_null",
    )
    rental_property_id = fields.Many2one(
        "rental.property",
        string="Property",
        compute="_compute_rental_virtual_iban",
        store=True,
        index="btree_not_null",
        help="Property that had the credited virtual IBAN on the day of the payment.",
    )

    @api.depends("rental_credited_iban", "date")
    def _compute_rental_virtual_iban(self):
        values = {viban.normalize(v) for v in self.mapped("rental_credited_iban") if v}
        ibans = self.env["rental.virtual.iban"].with_context(active_test=False).search(
            [("name", "in", list(values))]
        )
        by_name = {iban.name: iban for iban in ibans}
        for line in self:
            iban = by_name.get(viban.normalize(line.rental_credited_iban or ""))
            line.rental_virtual_iban_id = iban
            line.rental_property_id = iban._property_on(line.date) if iban else False

    # -- reconciliation --------------------------------------------------------------

    def _rental_reconcile_with(self, allocations, rest_partner=None, rest_account=None,
                               label=None):
        """Reconcile this bank line with open journal items, as Odoo's own bank
        reconciliation does: the line's suspense item is replaced by one counterpart per
        allocation, each reconciled with its target.

        Shared by the matching engine, the direct debits and any integration that knows
        what a bank line pays. ``allocations`` is a list of ``(move_line, amount)``, the
        amount (> 0, in the line's currency) being how much of the item's residual the
        line settles: an incoming payment settles receivable debits, an outgoing one
        (a returned debit) payable or receivable credits. What the bank line carries
        beyond the allocations is booked on ``rest_account`` (default: the account of
        the first target) for ``rest_partner`` and stays open (a tenant's credit for an
        overpayment).

        Raises :class:`UserError`, changing nothing, when the line is already reconciled
        or in a foreign currency, a target is not open, has the wrong sign or is smaller
        than its allocation, or the allocations exceed the line. Returns the
        counterpart items created (allocations first, then the rest if any).

        One line at a time, through the bank entry (as a person editing it would); for
        many lines at once, :meth:`_rental_reconcile_many` gives the same entries.
        """
        self.ensure_one()
        suspense, merged, vals_list = self._rental_reconcile_prepare(
            allocations, rest_partner=rest_partner, rest_account=rest_account, label=label
        )
        before = self.move_id.line_ids
        commands = [Command.update(suspense.id, vals_list[0])]
        commands += [Command.create(vals) for vals in vals_list[1:]]
        self.move_id.with_context(skip_readonly_check=True).write({"line_ids": commands})
        counterparts = suspense | (self.move_id.line_ids - before).sorted("id")
        for counterpart, (target, __) in zip(counterparts, merged, strict=False):
            (counterpart | target).reconcile()
        return counterparts

    def _rental_reconcile_prepare(self, allocations, rest_partner=None, rest_account=None,
                                  label=None):
        """Check that this line can be reconciled as :meth:`_rental_reconcile_with`
        says and compute its counterparts, changing nothing.

        Returns ``(suspense, merged, vals_list)``: the suspense item to replace, the
        ``(target, amount)`` pairs (one per target, in the order given) and the values of
        the counterparts (the first one is written on the suspense item, the others are
        created). Raises :class:`UserError` on bad input.
        """
        self.ensure_one()
        currency = self.currency_id
        __, suspense, other = self._seek_for_lines()
        if len(suspense) != 1 or other:
            raise UserError(_("Bank line %(line)s is already reconciled.",
                              line=self.display_name))
        if self.foreign_currency_id or suspense.currency_id != currency:
            raise UserError(_("Bank line %(line)s is in a foreign currency: reconcile it by "
                              "hand.", line=self.display_name))
        sign = 1 if self.amount > 0 else -1
        merged = {}
        for target, amount in allocations:
            target.ensure_one()
            merged[target] = merged.get(target, 0.0) + amount
        total = 0.0
        for target, amount in merged.items():
            residual = sign * target.amount_residual_currency
            if (
                target.reconciled
                or target.parent_state != "posted"
                or not target.account_id.reconcile
                or target.currency_id != currency
                or currency.compare_amounts(amount, 0) <= 0
                or currency.compare_amounts(amount, residual) > 0
            ):
                raise UserError(_(
                    "Bank line %(line)s cannot settle %(amount)s of %(item)s: the item is not "
                    "open for that much (residual %(residual)s).",
                    line=self.display_name, amount=amount, item=target.move_id.display_name,
                    residual=target.amount_residual_currency,
                ))
            total += amount
        rest = currency.round(abs(self.amount) - total)
        if currency.compare_amounts(rest, 0) < 0:
            raise UserError(_(
                "The allocations (%(total)s) exceed bank line %(line)s (%(amount)s).",
                total=currency.round(total), line=self.display_name, amount=abs(self.amount),
            ))
        vals_list = [
            {
                "account_id": target.account_id.id,
                "partner_id": target.partner_id.id,
                "name": label or target.move_id.name,
                "amount_currency": -sign * amount,
                "balance": -sign * amount,
                "currency_id": currency.id,
            }
            for target, amount in merged.items()
        ]
        if not currency.is_zero(rest):
            account = rest_account or (next(iter(merged)).account_id if merged else None)
            if not account:
                raise UserError(_("Bank line %(line)s: say on which account its amount goes.",
                                  line=self.display_name))
            vals_list.append({
                "account_id": account.id,
                "partner_id": (rest_partner or self.partner_id).id,
                "name": label or self.payment_ref or "/",
                "amount_currency": -sign * rest,
                "balance": -sign * rest,
                "currency_id": currency.id,
            })
        if not vals_list:
            raise UserError(_("Nothing to reconcile bank line %(line)s with.",
                              line=self.display_name))
        return suspense, list(merged.items()), vals_list

    def _rental_reconcile_many(self, plan):
        """Reconcile many bank lines at once, each as :meth:`_rental_reconcile_with`
        would: same counterparts (accounts, partners, amounts, labels), same
        reconciliations, same bank entries and statement lines afterwards.

        ``plan`` maps each line of ``self`` to the keyword arguments of
        :meth:`_rental_reconcile_with` (``allocations``, and optionally
        ``rest_partner``, ``rest_account``, ``label``). Every line is checked before
        anything changes: one bad line raises :class:`UserError` and changes nothing.
        The allocations of all lines to one item together may not exceed its residual.
        All the pairs are reconciled in one Odoo reconciliation plan
        (``account.move.line._rental_reconcile_plan_bulk``). Returns
        ``{line: counterparts}``.
        """
        replaced = self._rental_replace_suspense_many(plan)
        self.env["account.move.line"]._rental_reconcile_plan_bulk(
            [counterpart | target for __, pairs in replaced.values()
             for counterpart, target in pairs]
        )
        return {line: counterparts for line, (counterparts, __) in replaced.items()}

    def _rental_replace_suspense_many(self, plan, prepared=None):
        """First half of :meth:`_rental_reconcile_many`: check every line, then replace
        the suspense items of all the bank entries by their counterparts in a few ORM
        calls (the first counterparts written on the suspense items in one batch, the
        others created in one call, the balance of all the entries checked once, then
        Odoo's statement line/entry synchronisation run once over the lines). The
        entries are those of :meth:`_rental_reconcile_with`. Where a distribution model
        may apply, the counterparts are all created and the suspense items removed (the
        creation books their analytic distribution): the same entries but for the
        database id of the first counterpart.
        Reconciles nothing: returns ``{line: (counterparts, pairs)}``, the counterparts
        as :meth:`_rental_reconcile_with` returns them and the ``(counterpart, target)``
        pairs to reconcile, in the order of the allocations, for the caller to reconcile
        (e.g. in a larger plan). ``prepared``: what :meth:`_rental_reconcile_prepare`
        returned for some of the lines, when the caller just checked them.
        """
        if len(set(self.ids)) != len(self):
            raise UserError(_("A bank line cannot be reconciled twice in one batch."))
        known = prepared or {}
        prepared = {}
        for line in self:
            spec = plan.get(line)
            if spec is None:
                raise UserError(_("Bank line %(line)s: nothing planned to reconcile it with.",
                                  line=line.display_name))
            prepared[line] = known.get(line) or line._rental_reconcile_prepare(**spec)
        # the residual of an item must cover what all the lines settle of it together
        allocated = {}
        for __, merged, ___ in prepared.values():
            for target, amount in merged:
                allocated[target] = allocated.get(target, 0.0) + amount
        for target, amount in allocated.items():
            currency = target.currency_id
            if currency.compare_amounts(amount, abs(target.amount_residual_currency)) > 0:
                raise UserError(_(
                    "The bank lines of this batch settle %(amount)s of %(item)s together, "
                    "more than its residual (%(residual)s).",
                    amount=currency.round(amount), item=target.move_id.display_name,
                    residual=target.amount_residual_currency,
                ))
        if not prepared:
            return {}
        Line = self.env["account.move.line"].with_context(
            check_move_validity=False, skip_account_move_synchronization=True,
            skip_invoice_sync=True,
        )
        if self._rental_no_analytic_model() and not self.move_id.filtered("inalterable_hash"):
            # As one by one: the first counterpart of each line is written on its suspense
            # item, in one batch (``_rental_write_many``: the values differ line by line),
            # the others are created in one call. No distribution model can apply: the
            # counterparts get no analytic distribution (it is not recomputed on the
            # suspense items, it is set on the new ones), which saves computing it: one
            # model search per item.
            suspense_items = Line.union(*(suspense for suspense, __, ___ in prepared.values()))
            suspense_items._rental_write_many(
                [vals_list[0] for __, ___, vals_list in prepared.values()],
                unchanged=["analytic_distribution"],
            )
            created = iter(Line.with_context(skip_analytic_sync=True).create([
                {**vals, "analytic_distribution": False, "move_id": line.move_id.id}
                for line, (__, ___, vals_list) in prepared.items()
                for vals in vals_list[1:]
            ]))
            counterparts_of = {
                line: Line.union(suspense, *(next(created) for __ in vals_list[1:]))
                for line, (suspense, __, vals_list) in prepared.items()
            }
        else:
            # The counterparts of all the lines are created in one call, then the
            # suspense items removed in one call, as Odoo's own undo rebuilds a bank entry
            # (``force_delete``): a distribution model may give them an analytic
            # distribution, which the creation computes and books.
            created = iter(Line.create([
                {**vals, "move_id": line.move_id.id}
                for line, (__, ___, vals_list) in prepared.items()
                for vals in vals_list
            ]))
            counterparts_of = {
                line: Line.union(*(next(created) for __ in vals_list))
                for line, (__, ___, vals_list) in prepared.items()
            }
            Line.union(*(suspense for suspense, __, ___ in prepared.values())).with_context(
                force_delete=True
            ).unlink()
        # Bank entries have no taxes: no invoice line synchronisation. As a write on the
        # entry does: marked as edited by hand; all the entries' balance checked here at
        # once, then the statement lines synchronised.
        self.move_id.with_context(skip_readonly_check=True,
                                  skip_account_move_synchronization=True).write(
            {"is_manually_modified": True}
        )
        self.with_context(skip_account_move_synchronization=False)._synchronize_from_moves(
            {"line_ids"}
        )
        replaced = {}
        for line, (__, merged, ___) in prepared.items():
            counterparts = counterparts_of[line].with_env(self.env)
            targets = [target for target, __ in merged]
            replaced[line] = (counterparts, list(zip(counterparts, targets, strict=False)))
        return replaced

    def _rental_no_analytic_model(self):
        """Whether no analytic distribution model can apply to these lines' companies
        (then a journal item of theirs gets no analytic distribution)."""
        return not self.env["account.analytic.distribution.model"].sudo().search_count(
            [("company_id", "in", [*self.company_id.ids, False])], limit=1
        )
