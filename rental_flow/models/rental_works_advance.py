"""Works advances: money the agency advanced for works on a property, recovered from rents."""

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_amount


class RentalWorksAdvance(models.Model):
    """An advance for works on a property, recovered from its owner's next rents.

    Posting it books the agency's claim on the owner (works advances account, partner =
    owner, property set) against the account the money came from (by default the
    agency's own bank, never the owners' funds). The owner split entries recover it,
    oldest first, from the rents collected on the property.
    """

    _name = "rental.works.advance"
    _description = "Works Advance"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Number", required=True, copy=False, readonly=True, default=lambda self: _("New")
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    property_id = fields.Many2one(
        "rental.property",
        required=True,
        index=True,
        check_company=True,
        tracking=True,
        domain="[('kind', '!=', 'building')]",
    )
    owner_id = fields.Many2one(
        "res.partner",
        string="Owner",
        required=True,
        compute="_compute_owner_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
    )
    contractor_id = fields.Many2one("res.partner", string="Paid to", tracking=True)
    date = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    description = fields.Char(required=True)
    amount = fields.Monetary(required=True, tracking=True)
    journal_id = fields.Many2one(
        "account.journal",
        string="Paid from",
        required=True,
        check_company=True,
        domain="[('type', 'in', ('bank', 'cash', 'general'))]",
        help="Journal of the payment of the works: the agency's own bank account.",
    )
    counterpart_account_id = fields.Many2one(
        "account.account",
        string="Counterpart Account",
        compute="_compute_counterpart_account_id",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
        help="Account credited by the advance: the journal's account by default.",
    )
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True, copy=False)
    line_ids = fields.One2many(
        "account.move.line",
        "rental_works_advance_id",
        string="Journal Items",
        readonly=True,
    )
    state = fields.Selection(
        [("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled")],
        default="draft",
        required=True,
        tracking=True,
        index=True,
        copy=False,
    )
    amount_open = fields.Monetary(
        string="Still to Recover",
        compute="_compute_amounts",
        store=True,
        help="Advance not yet recovered from the owner's rents.",
    )
    amount_recovered = fields.Monetary(compute="_compute_amounts", store=True)

    _sql_constraints = [
        ("amount_positive", "CHECK(amount > 0)", "A works advance must be positive."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", _("New")) == _("New"):
                company = self.env["res.company"].browse(vals.get("company_id"))
                seq = self.env["ir.sequence"].with_company(company or self.env.company)
                vals["name"] = seq.next_by_code("rental.works.advance") or _("New")
        return super().create(vals_list)

    @api.depends("property_id")
    def _compute_owner_id(self):
        for advance in self:
            if not advance.owner_id or advance.state == "draft":
                advance.owner_id = advance.property_id.mandate_id.owner_id or advance.owner_id

    @api.depends("journal_id")
    def _compute_counterpart_account_id(self):
        for advance in self:
            advance.counterpart_account_id = advance.journal_id.default_account_id

    @api.depends(
        "amount", "state", "line_ids.balance", "line_ids.parent_state", "line_ids.account_id"
    )
    def _compute_amounts(self):
        for advance in self:
            account = advance.company_id.rental_works_advance_account_id
            lines = advance.line_ids.filtered(
                lambda line, a=account: line.parent_state == "posted" and line.account_id == a
            )
            if advance.state != "posted":
                advance.amount_open = 0.0
                advance.amount_recovered = 0.0
                continue
            balance = sum(lines.mapped("balance"))
            advance.amount_open = advance.currency_id.round(balance)
            advance.amount_recovered = advance.currency_id.round(advance.amount - balance)

    @api.constrains("owner_id", "property_id")
    def _check_owner(self):
        for advance in self:
            owners = {partner for partner, __, __ in advance.property_id._get_owner_shares()}
            if owners and advance.owner_id not in owners:
                raise ValidationError(
                    _(
                        "%(owner)s does not own %(property)s.",
                        owner=advance.owner_id.display_name,
                        property=advance.property_id.display_name,
                    )
                )

    def action_post(self):
        """Book the advance: the agency's claim on the owner against the paying account."""
        for advance in self:
            if advance.state != "draft":
                raise UserError(_("Advance %(name)s is not a draft.", name=advance.name))
            if advance.journal_id == advance.company_id.rental_bank_journal_id:
                raise UserError(
                    _(
                        "Advance %(name)s: an advance is the agency's own money; it cannot be "
                        "paid from the owners' (mandant) bank account.",
                        name=advance.name,
                    )
                )
            if not advance.company_id._rental_split_ready():
                raise UserError(_("Set the works advances account in the Rental settings."))
            move = self.env["account.move"].create(advance._move_vals())
            move.action_post()
            advance.write({"move_id": move.id, "state": "posted"})
        return True

    def _move_vals(self):
        self.ensure_one()
        account = self.company_id.rental_works_advance_account_id
        label = _("Works advance %(name)s: %(description)s", name=self.name,
                  description=self.description)
        return {
            "move_type": "entry",
            "journal_id": self.journal_id.id,
            "company_id": self.company_id.id,
            "date": self.date,
            "ref": label,
            "rental_property_id": self.property_id.id,
            "line_ids": [
                Command.create(
                    {
                        "account_id": account.id,
                        "partner_id": self.owner_id.id,
                        "name": label,
                        "debit": self.amount,
                        "rental_property_id": self.property_id.id,
                        "rental_owner_id": self.owner_id.id,
                        "rental_works_advance_id": self.id,
                    }
                ),
                Command.create(
                    {
                        "account_id": self.counterpart_account_id.id,
                        "partner_id": (self.contractor_id or self.owner_id).id,
                        "name": label,
                        "credit": self.amount,
                    }
                ),
            ],
        }

    def action_cancel(self):
        """Cancel an advance nothing was recovered on (its entry is reversed)."""
        for advance in self:
            if advance.state == "cancel":
                continue
            if advance.state == "posted":
                if advance.amount_recovered:
                    raise UserError(
                        _(
                            "%(amount)s of advance %(name)s was already recovered: it cannot "
                            "be cancelled.",
                            amount=format_amount(
                                self.env, advance.amount_recovered, advance.currency_id
                            ),
                            name=advance.name,
                        )
                    )
                reversal = advance.move_id._reverse_moves(
                    [{"ref": _("Cancellation of %(name)s", name=advance.name)}]
                )
                reversal.action_post()
            advance.state = "cancel"
        return True

    def action_view_move(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
        }
