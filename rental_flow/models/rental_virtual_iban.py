from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..engines import viban


class RentalVirtualIban(models.Model):
    """A virtual IBAN issued by the bank on a master account, routed to one property."""

    _name = "rental.virtual.iban"
    _description = "Virtual IBAN"
    _inherit = ["mail.thread"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(string="IBAN", required=True, index=True, copy=False, readonly=True)
    formatted = fields.Char(compute="_compute_formatted", string="IBAN (formatted)")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    pool_id = fields.Many2one(
        "rental.virtual.iban.pool", required=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one(related="pool_id.company_id", store=True, index=True)
    journal_id = fields.Many2one(related="pool_id.journal_id", store=True)
    state = fields.Selection(
        [
            ("available", "Available"),
            ("assigned", "Assigned"),
            ("frozen", "Frozen"),
            ("retired", "Retired"),
        ],
        default="available",
        required=True,
        index=True,
        tracking=True,
        readonly=True,
    )
    property_id = fields.Many2one(
        "rental.property", index="btree_not_null", readonly=True, tracking=True
    )
    assigned_date = fields.Date(readonly=True)
    released_date = fields.Date(readonly=True)
    frozen_until = fields.Date(
        readonly=True, help="The IBAN cannot be given to another property before this date."
    )
    label = fields.Char(help="Name of the IBAN at the bank.")
    provider_ref = fields.Char(string="Bank Reference", index="btree_not_null", copy=False)
    bank_name = fields.Char(readonly=True)
    bic = fields.Char(string="BIC", readonly=True)
    assignment_ids = fields.One2many(
        "rental.virtual.iban.assignment", "iban_id", string="Assignments"
    )

    _sql_constraints = [
        ("name_uniq", "unique(name)", "This IBAN is already in a virtual IBAN pool."),
        (
            "assigned_has_property",
            "CHECK((state = 'assigned') = (property_id IS NOT NULL))",
            "An assigned virtual IBAN has a property, and only an assigned one has.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            try:
                value = viban.validate(vals.get("name"))
            except viban.VirtualIbanError as exc:
                raise ValidationError(str(exc)) from None
            vals["name"] = str(value)
            vals.setdefault("bank_name", value.bank_name or False)
            vals.setdefault("bic", str(value.bic) if value.bic else False)
        return super().create(vals_list)

    def write(self, vals):
        if "name" in vals:
            raise UserError(_("An IBAN cannot be changed; retire it and add the right one."))
        return super().write(vals)

    def unlink(self):
        if self.filtered(lambda i: i.state != "available" or i.assignment_ids):
            raise UserError(
                _("Only never-used available IBANs can be deleted; retire the others.")
            )
        return super().unlink()

    @api.depends("name")
    def _compute_formatted(self):
        for iban in self:
            value = iban.name or ""
            iban.formatted = " ".join(value[i : i + 4] for i in range(0, len(value), 4))

    @api.depends("name", "property_id")
    def _compute_display_name(self):
        for iban in self:
            iban.display_name = iban.formatted or ""

    def _release(self):
        """Unlink the IBAN from its property and freeze it for the pool's delay."""
        today = fields.Date.context_today(self)
        for iban in self:
            if iban.state != "assigned":
                raise UserError(_("%(iban)s is not assigned.", iban=iban.formatted))
            open_assignment = iban.assignment_ids.filtered(lambda a: not a.date_to)
            open_assignment.write({"date_to": today})
            prop = iban.property_id
            iban.write(
                {
                    "state": "frozen",
                    "property_id": False,
                    "released_date": today,
                    "frozen_until": iban.pool_id._freeze_until(today),
                }
            )
            prop.virtual_iban_id = False

    def action_retire(self):
        """Take an IBAN out of service for good (closed at the bank)."""
        for iban in self:
            if iban.state == "assigned":
                raise UserError(
                    _("%(iban)s is assigned to %(property)s: release it first.",
                      iban=iban.formatted, property=iban.property_id.display_name)
                )
        self.write({"state": "retired"})

    def action_unfreeze(self):
        """Manager override: make a frozen IBAN available before its delay is over."""
        for iban in self:
            if iban.state != "frozen":
                raise UserError(_("%(iban)s is not frozen.", iban=iban.formatted))
            iban.message_post(body=_("Unfrozen before %(date)s.", date=iban.frozen_until))
        self.write({"state": "available", "frozen_until": False})

    @api.model
    def _find_property(self, iban, on_date=None):
        """Property a payment credited to ``iban`` on ``on_date`` belongs to (or empty).

        Uses the assignment history, so a payment reaching a released IBAN still names
        the property that had it at that date.
        """
        value = viban.normalize(iban)
        record = self.with_context(active_test=False).search([("name", "=", value)], limit=1)
        return record._property_on(on_date)

    def _property_on(self, on_date=None):
        """Property that had this IBAN on ``on_date`` (today's property without a date)."""
        if not self:
            return self.env["rental.property"]
        self.ensure_one()
        if not on_date:
            return self.property_id
        for assignment in self.assignment_ids:
            if assignment.date_from <= on_date and (
                not assignment.date_to or on_date <= assignment.date_to
            ):
                return assignment.property_id
        return self.env["rental.property"]


class RentalVirtualIbanAssignment(models.Model):
    """History: which property had which virtual IBAN, and when."""

    _name = "rental.virtual.iban.assignment"
    _description = "Virtual IBAN Assignment"
    _order = "date_from desc, id desc"

    iban_id = fields.Many2one(
        "rental.virtual.iban", required=True, index=True, ondelete="cascade"
    )
    property_id = fields.Many2one("rental.property", required=True, index=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    date_from = fields.Date(required=True)
    date_to = fields.Date()
    user_id = fields.Many2one("res.users", string="Assigned by")
