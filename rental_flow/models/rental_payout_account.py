"""Payout payments (one owner's-account line per property) and payouts paid by bank lines."""

from odoo import api, fields, models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    rental_payout_id = fields.Many2one(
        "rental.payout", string="Owner Payout", index="btree_not_null", readonly=True,
        copy=False,
    )

    def _prepare_move_line_default_vals(self, write_off_line_vals=None, force_balance=None):
        """A payout's payment debits the owner's account once per property it pays."""
        lines = super()._prepare_move_line_default_vals(
            write_off_line_vals=write_off_line_vals, force_balance=force_balance
        )
        payout = self.rental_payout_id
        if not payout or write_off_line_vals or not payout.line_ids.filtered("amount"):
            return lines
        counterpart = lines[1]
        sign = 1 if self.payment_type == "outbound" else -1
        property_lines = []
        for line in payout.line_ids.filtered("amount"):
            amount = sign * line.amount
            property_lines.append(
                {
                    **counterpart,
                    "amount_currency": amount,
                    "debit": amount if amount > 0 else 0.0,
                    "credit": -amount if amount < 0 else 0.0,
                    "partner_id": payout.owner_id.id,
                    "rental_owner_id": payout.owner_id.id,
                    "rental_property_id": line.property_id.id,
                    "name": f"{counterpart['name']} - {line.property_id.name}",
                }
            )
        return [lines[0], *property_lines, *lines[2:]]


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        if any(vals.get("rental_end_to_end_id") for vals in vals_list):
            self.env["rental.payout"]._match_statement_lines(lines)
        return lines

    def write(self, vals):
        res = super().write(vals)
        if vals.get("rental_end_to_end_id"):
            self.env["rental.payout"]._match_statement_lines(self)
        return res
