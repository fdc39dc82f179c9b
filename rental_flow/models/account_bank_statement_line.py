from odoo import api, fields, models

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
