from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..engines import viban


class RentalMandate(models.Model):
    """Management mandate signed by an owner: what the agency manages and on what terms."""

    _name = "rental.mandate"
    _description = "Management Mandate"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Number",
        required=True,
        copy=False,
        readonly=True,
        default=lambda self: _("New"),
        help="Number of the mandate in the agency's mandate register.",
    )
    owner_id = fields.Many2one(
        "res.partner", string="Owner", required=True, index=True, tracking=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_start = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    date_end = fields.Date(tracking=True)
    state = fields.Selection(
        [("draft", "Draft"), ("active", "Active"), ("ended", "Ended")],
        default="draft",
        required=True,
        tracking=True,
        index=True,
    )
    property_ids = fields.One2many("rental.property", "mandate_id", string="Properties")
    property_count = fields.Integer(compute="_compute_property_count")

    fee_rate = fields.Float(
        string="Management Fee (%)",
        digits=(5, 3),
        tracking=True,
        help="Rate applied to the amounts collected (not to the amounts called).",
    )
    fee_base = fields.Selection(
        [("rent", "Rent only"), ("rent_charges", "Rent and charges")],
        default="rent_charges",
        required=True,
        string="Fee Base",
    )
    fee_tax_id = fields.Many2one(
        "account.tax",
        string="Fee Tax",
        check_company=True,
        domain="[('type_tax_use', '=', 'sale')]",
        help="Output VAT charged on the management fee.",
    )
    fee_min = fields.Monetary(string="Minimum Fee", help="Per rent call; 0 for none.")
    fee_max = fields.Monetary(string="Maximum Fee", help="Per rent call; 0 for none.")
    insurance_rate = fields.Float(
        string="Rent Guarantee Insurance (%)",
        digits=(5, 3),
        tracking=True,
        help="Rent-guarantee insurance (GLI) premium, as a rate of the amounts collected.",
    )
    insurer_id = fields.Many2one("res.partner", string="Insurer")

    payout_day = fields.Integer(default=10, help="Day of the month the owner is paid.")
    payout_min_amount = fields.Monetary(
        string="Minimum Payout", help="No transfer below this amount."
    )
    reserve_amount = fields.Monetary(
        string="Reserve per Property",
        help="Amount kept on each property's account before any payout.",
    )
    allow_cross_property = fields.Boolean(
        string="Net Across Properties",
        help="Allow a negative property of this owner to be covered by his other properties.",
    )
    payout_hold = fields.Boolean(string="Hold Payouts", tracking=True)
    owner_bank_id = fields.Many2one(
        "res.partner.bank",
        string="Owner's Bank Account",
        tracking=True,
        domain="[('partner_id', '=', owner_id)]",
        help="Account the owner's payouts are transferred to.",
    )
    owner_iban_warning = fields.Char(compute="_compute_owner_iban_warning")
    note = fields.Html()

    _sql_constraints = [
        ("name_company_uniq", "unique(name, company_id)", "The mandate number must be unique."),
        (
            "fee_rate_range",
            "CHECK(fee_rate >= 0 AND fee_rate <= 100)",
            "The management fee rate must be between 0% and 100%.",
        ),
        (
            "insurance_rate_range",
            "CHECK(insurance_rate >= 0 AND insurance_rate <= 100)",
            "The insurance rate must be between 0% and 100%.",
        ),
        ("fee_min_positive", "CHECK(fee_min >= 0)", "The minimum fee cannot be negative."),
        ("fee_max_positive", "CHECK(fee_max >= 0)", "The maximum fee cannot be negative."),
        (
            "payout_day_range",
            "CHECK(payout_day >= 1 AND payout_day <= 28)",
            "The payout day must be between 1 and 28.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", _("New")) == _("New"):
                company = self.env["res.company"].browse(vals.get("company_id"))
                seq = self.env["ir.sequence"].with_company(company or self.env.company)
                vals["name"] = seq.next_by_code("rental.mandate") or _("New")
        return super().create(vals_list)

    def _compute_property_count(self):
        counts = dict(
            self.env["rental.property"]._read_group(
                [("mandate_id", "in", self.ids)], ["mandate_id"], ["__count"]
            )
        )
        for mandate in self:
            mandate.property_count = counts.get(mandate, 0)

    @api.depends("owner_bank_id.acc_number")
    def _compute_owner_iban_warning(self):
        for mandate in self:
            mandate.owner_iban_warning = mandate._owner_iban_problem() or False

    def _owner_iban_problem(self):
        """Why the owner cannot be paid by SEPA transfer, or an empty string."""
        self.ensure_one()
        if not self.owner_bank_id:
            return _("No bank account for the owner.")
        try:
            viban.validate(self.owner_bank_id.acc_number)
        except viban.VirtualIbanError as exc:
            return _("The owner's IBAN is not valid: %(error)s", error=exc)
        return ""

    @api.constrains("fee_min", "fee_max")
    def _check_fee_bounds(self):
        for mandate in self:
            if mandate.fee_max and mandate.fee_min > mandate.fee_max:
                raise ValidationError(_("The minimum fee cannot exceed the maximum fee."))

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for mandate in self:
            if mandate.date_end and mandate.date_end < mandate.date_start:
                raise ValidationError(
                    _("Mandate %(name)s ends before it starts.", name=mandate.name)
                )

    @api.constrains("owner_bank_id", "owner_id")
    def _check_owner_bank(self):
        for mandate in self.filtered("owner_bank_id"):
            if mandate.owner_bank_id.partner_id != mandate.owner_id:
                raise ValidationError(
                    _("The payout account must belong to the owner %(owner)s.",
                      owner=mandate.owner_id.display_name)
                )
            problem = mandate._owner_iban_problem()
            if problem:
                raise ValidationError(problem)

    @api.onchange("owner_id")
    def _onchange_owner_id(self):
        if self.owner_bank_id.partner_id != self.owner_id:
            self.owner_bank_id = self.owner_id.bank_ids[:1]

    def action_activate(self):
        for mandate in self:
            if mandate.state != "draft":
                raise UserError(_("Only a draft mandate can be activated."))
        self.state = "active"

    def action_end(self):
        for mandate in self:
            running = mandate.property_ids.lease_ids.filtered(lambda rec: rec.state == "running")
            if running:
                raise UserError(
                    _(
                        "Mandate %(name)s still has running leases: %(leases)s.",
                        name=mandate.name,
                        leases=", ".join(running.mapped("name")),
                    )
                )
            mandate.write(
                {"state": "ended", "date_end": mandate.date_end or fields.Date.context_today(self)}
            )

    def action_view_properties(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow.action_rental_property"
        )
        action["domain"] = [("mandate_id", "=", self.id)]
        action["context"] = {"default_mandate_id": self.id}
        return action
