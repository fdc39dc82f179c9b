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
        before = self.move_id.line_ids
        commands = [Command.update(suspense.id, vals_list[0])]
        commands += [Command.create(vals) for vals in vals_list[1:]]
        self.move_id.with_context(skip_readonly_check=True).write({"line_ids": commands})
        counterparts = suspense | (self.move_id.line_ids - before).sorted("id")
        for counterpart, target in zip(counterparts, merged, strict=False):
            (counterpart | target).reconcile()
        return counterparts
