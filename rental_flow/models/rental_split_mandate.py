"""Owner splits, balances and payouts on mandates, properties, leases and owners."""

from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


def _balance_totals(env, company_ids, key, ids):
    """Sum the owner balances per ``key`` (owner_id, property_id or mandate_id)."""
    totals = defaultdict(lambda: {"balance": 0.0, "available": 0.0})
    Balance = env["rental.owner.balance"]
    for company in env["res.company"].browse(company_ids):
        for row in Balance._balances(company, **{f"{key}s": ids}):
            totals[row[key]]["balance"] += row["balance"]
            totals[row[key]]["available"] += row["available"]
    return totals


class RentalMandate(models.Model):
    _inherit = "rental.mandate"

    payout_immediate = fields.Boolean(
        string="Pay Out at Once",
        help="Pay the owner as soon as a rent is collected and split, through the bank "
        "connector when one is configured (otherwise at the next payout run).",
    )
    payout_last_date = fields.Date(
        string="Last Payout Run", readonly=True, copy=False,
        help="Date of the last payout run that considered this mandate.",
    )
    owner_balance = fields.Monetary(compute="_compute_owner_balances", string="Owner Account")
    available_amount = fields.Monetary(compute="_compute_owner_balances", string="Available")
    split_count = fields.Integer(compute="_compute_split_count")

    @api.constrains("fee_tax_id")
    def _check_fee_tax(self):
        for mandate in self.filtered("fee_tax_id"):
            tax = mandate.fee_tax_id
            if tax.amount_type != "percent" or not 0 <= tax.amount <= 100:
                raise ValidationError(
                    _(
                        "The fee tax of mandate %(name)s must be a percentage between 0 and "
                        "100%%.",
                        name=mandate.name,
                    )
                )

    @api.constrains("insurance_rate", "insurer_id")
    def _check_insurer(self):
        for mandate in self:
            if mandate.insurance_rate > 0 and not mandate.insurer_id:
                raise ValidationError(
                    _("Mandate %(name)s: say who the insurer is.", name=mandate.name)
                )

    def _compute_owner_balances(self):
        totals = _balance_totals(self.env, self.company_id.ids, "mandate_id", self.ids)
        for mandate in self:
            mandate.owner_balance = totals[mandate.id]["balance"]
            mandate.available_amount = totals[mandate.id]["available"]

    def _compute_split_count(self):
        counts = dict(
            self.env["rental.owner.split"]._read_group(
                [("mandate_id", "in", self.ids)], ["mandate_id"], ["__count"]
            )
        )
        for mandate in self:
            mandate.split_count = counts.get(mandate, 0)

    def action_view_owner_balances(self):
        self.ensure_one()
        return self.env["rental.owner.balance"]._action_for([("mandate_id", "=", self.id)])

    def action_view_splits(self):
        self.ensure_one()
        return self.env["rental.owner.split"]._action_for([("mandate_id", "=", self.id)])


class RentalProperty(models.Model):
    _inherit = "rental.property"

    payout_hold = fields.Boolean(
        string="Hold Payouts",
        tracking=True,
        help="Keep this property's money: no payout until the hold is lifted.",
    )
    owner_balance = fields.Monetary(compute="_compute_owner_balances", string="Owner Account")
    available_amount = fields.Monetary(compute="_compute_owner_balances", string="Available")
    works_advance_ids = fields.One2many("rental.works.advance", "property_id")
    split_count = fields.Integer(compute="_compute_split_count")

    def _compute_owner_balances(self):
        totals = _balance_totals(self.env, self.company_id.ids, "property_id", self.ids)
        for prop in self:
            prop.owner_balance = totals[prop.id]["balance"]
            prop.available_amount = totals[prop.id]["available"]

    def _compute_split_count(self):
        counts = dict(
            self.env["rental.owner.split"]._read_group(
                [("property_id", "in", self.ids)], ["property_id"], ["__count"]
            )
        )
        for prop in self:
            prop.split_count = counts.get(prop, 0)

    def action_view_owner_balances(self):
        self.ensure_one()
        return self.env["rental.owner.balance"]._action_for([("property_id", "=", self.id)])

    def action_view_splits(self):
        self.ensure_one()
        return self.env["rental.owner.split"]._action_for([("property_id", "=", self.id)])

    def action_view_works_advances(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow.action_rental_works_advance"
        )
        action["domain"] = [("property_id", "=", self.id)]
        action["context"] = {"default_property_id": self.id}
        return action


class RentalLease(models.Model):
    _inherit = "rental.lease"

    split_count = fields.Integer(compute="_compute_split_count")

    def _compute_split_count(self):
        counts = dict(
            self.env["rental.owner.split"]._read_group(
                [("lease_id", "in", self.ids)], ["lease_id"], ["__count"]
            )
        )
        for lease in self:
            lease.split_count = counts.get(lease, 0)

    def action_view_splits(self):
        self.ensure_one()
        return self.env["rental.owner.split"]._action_for([("lease_id", "=", self.id)])


class ResPartner(models.Model):
    _inherit = "res.partner"

    def action_view_rental_owner_balances(self):
        self.ensure_one()
        return self.env["rental.owner.balance"]._action_for([("owner_id", "=", self.id)])
