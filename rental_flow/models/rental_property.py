from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..engines import viban


class RentalProperty(models.Model):
    """A building, or a unit that can be let (flat, house, shop, parking...)."""

    _name = "rental.property"
    _description = "Property"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _parent_store = True
    _parent_name = "parent_id"
    _order = "complete_name, id"
    _rec_name = "complete_name"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(
        string="Reference",
        copy=False,
        index=True,
        help="Internal reference of the property (e.g. lot number).",
    )
    complete_name = fields.Char(compute="_compute_complete_name", store=True, recursive=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    kind = fields.Selection(
        [
            ("building", "Building"),
            ("flat", "Flat"),
            ("house", "House"),
            ("commercial", "Commercial premises"),
            ("office", "Office"),
            ("parking", "Parking space"),
            ("other", "Other"),
        ],
        required=True,
        default="flat",
        tracking=True,
    )
    is_building = fields.Boolean(compute="_compute_is_building", store=True)
    parent_id = fields.Many2one(
        "rental.property",
        string="Building",
        index=True,
        ondelete="restrict",
        check_company=True,
        domain="[('kind', '=', 'building')]",
    )
    parent_path = fields.Char(index=True)
    child_ids = fields.One2many("rental.property", "parent_id", string="Units")
    unit_count = fields.Integer(compute="_compute_unit_count")

    street = fields.Char()
    street2 = fields.Char()
    zip = fields.Char()
    city = fields.Char()
    country_id = fields.Many2one("res.country", default=lambda self: self.env.company.country_id)
    full_address = fields.Char(compute="_compute_full_address", recursive=True)
    floor = fields.Char()
    door = fields.Char(string="Door / Lot")
    surface = fields.Float(string="Surface (m²)", digits=(16, 2))
    rooms = fields.Integer()
    description = fields.Html()

    mandate_id = fields.Many2one(
        "rental.mandate",
        string="Management Mandate",
        tracking=True,
        index=True,
        check_company=True,
        ondelete="restrict",
    )
    owner_id = fields.Many2one(
        related="mandate_id.owner_id", string="Owner", store=True, index=True
    )
    owner_line_ids = fields.One2many(
        "rental.property.owner",
        "property_id",
        string="Ownership",
        help="Joint owners and their shares. Empty means the mandate's owner owns 100%.",
    )
    reserve_amount = fields.Monetary(
        string="Reserve",
        help="Amount kept on this property's account before any payout. Empty uses the "
        "mandate's reserve.",
    )

    lease_ids = fields.One2many("rental.lease", "property_id", string="Leases")
    lease_count = fields.Integer(compute="_compute_lease_count")
    current_lease_id = fields.Many2one(
        "rental.lease", compute="_compute_current_lease", store=True, string="Current Lease"
    )
    tenant_id = fields.Many2one(related="current_lease_id.tenant_id", string="Tenant")
    state = fields.Selection(
        [("vacant", "Vacant"), ("let", "Let")],
        compute="_compute_current_lease",
        store=True,
        index=True,
    )

    virtual_iban_id = fields.Many2one(
        "rental.virtual.iban",
        string="Virtual IBAN",
        readonly=True,
        copy=False,
        index="btree_not_null",
        tracking=True,
    )
    virtual_iban = fields.Char(
        related="virtual_iban_id.name", string="Virtual IBAN Number", store=False
    )
    virtual_iban_search = fields.Char(
        string="Virtual IBAN (current or past)",
        compute="_compute_virtual_iban_search",
        search="_search_virtual_iban_search",
    )
    virtual_iban_assignment_ids = fields.One2many(
        "rental.virtual.iban.assignment", "property_id", string="Virtual IBAN History"
    )

    _sql_constraints = [
        ("code_company_uniq", "unique(code, company_id)", "A property reference must be unique."),
        (
            "virtual_iban_uniq",
            "unique(virtual_iban_id)",
            "A virtual IBAN can only be assigned to one property.",
        ),
        ("surface_positive", "CHECK(surface >= 0)", "The surface cannot be negative."),
    ]

    def _compute_virtual_iban_search(self):
        for prop in self:
            prop.virtual_iban_search = prop.virtual_iban_id.name

    def _search_virtual_iban_search(self, operator, value):
        """Properties that have, or had, a virtual IBAN matching ``value`` (spaces ignored)."""
        if operator not in ("ilike", "=", "like", "=ilike") or not isinstance(value, str):
            raise UserError(_("Search virtual IBANs by (part of) their number."))
        ibans = self.env["rental.virtual.iban"].with_context(active_test=False).search(
            [("name", "ilike" if operator != "=" else "=", viban.normalize(value))]
        )
        history = self.env["rental.virtual.iban.assignment"].search([("iban_id", "in", ibans.ids)])
        return [("id", "in", (ibans.property_id | history.property_id).ids)]

    @api.depends("name", "parent_id.complete_name")
    def _compute_complete_name(self):
        for prop in self:
            if prop.parent_id:
                prop.complete_name = f"{prop.parent_id.complete_name} / {prop.name}"
            else:
                prop.complete_name = prop.name

    @api.depends("kind")
    def _compute_is_building(self):
        for prop in self:
            prop.is_building = prop.kind == "building"

    def _compute_unit_count(self):
        counts = dict(
            self.env["rental.property"]._read_group(
                [("parent_id", "in", self.ids)], ["parent_id"], ["__count"]
            )
        )
        for prop in self:
            prop.unit_count = counts.get(prop, 0)

    def _compute_lease_count(self):
        counts = dict(
            self.env["rental.lease"]._read_group(
                [("property_id", "in", self.ids)], ["property_id"], ["__count"]
            )
        )
        for prop in self:
            prop.lease_count = counts.get(prop, 0)

    @api.depends("street", "street2", "zip", "city", "country_id", "parent_id.full_address")
    def _compute_full_address(self):
        for prop in self:
            parts = [prop.street, prop.street2, " ".join(filter(None, [prop.zip, prop.city]))]
            address = ", ".join(p for p in parts if p)
            prop.full_address = address or (prop.parent_id.full_address if prop.parent_id else "")

    @api.depends("lease_ids.state")
    def _compute_current_lease(self):
        running = self.env["rental.lease"].search(
            [("property_id", "in", self.ids), ("state", "=", "running")], order="date_start desc"
        )
        by_property = {}
        for lease in running:
            by_property.setdefault(lease.property_id.id, lease)
        for prop in self:
            lease = by_property.get(prop.id, self.env["rental.lease"])
            prop.current_lease_id = lease
            prop.state = "let" if lease else "vacant"

    @api.constrains("parent_id", "kind")
    def _check_hierarchy(self):
        for prop in self:
            if prop.parent_id and prop.kind == "building":
                raise ValidationError(
                    _("%(name)s is a building: it cannot belong to another building.",
                      name=prop.name)
                )
            if prop.parent_id and prop.parent_id.kind != "building":
                raise ValidationError(
                    _("%(name)s can only belong to a building.", name=prop.name)
                )
        if self._has_cycle():
            raise ValidationError(_("A building cannot contain itself."))

    @api.constrains("owner_line_ids")
    def _check_owner_shares(self):
        for prop in self:
            lines = prop.owner_line_ids
            total = round(sum(lines.mapped("share")), 4)
            if lines and total != 100:
                raise ValidationError(
                    _(
                        "The shares of %(property)s sum to %(total)s%%, not 100%%.",
                        property=prop.display_name,
                        total=total,
                    )
                )
            if len(lines.filtered("is_principal")) > 1:
                raise ValidationError(
                    _(
                        "Only one joint owner of %(property)s can receive the rounding.",
                        property=prop.display_name,
                    )
                )

    @api.onchange("parent_id")
    def _onchange_parent_id(self):
        if self.parent_id:
            self.mandate_id = self.mandate_id or self.parent_id.mandate_id
            for fname in ("street", "street2", "zip", "city", "country_id"):
                self[fname] = self[fname] or self.parent_id[fname]

    def _address_values(self):
        """Address of the property, taken from its building where it has none."""
        self.ensure_one()
        source = self if (self.street or self.city or not self.parent_id) else self.parent_id
        return {
            "street": source.street,
            "street2": source.street2,
            "zip": source.zip,
            "city": source.city,
            "country_id": source.country_id,
        }

    def _get_reserve(self):
        self.ensure_one()
        return self.reserve_amount or self.mandate_id.reserve_amount

    def _get_owner_shares(self):
        """Owners of the property as ``[(partner, share percent, is_principal)]``."""
        self.ensure_one()
        if self.owner_line_ids:
            return [
                (line.partner_id, line.share, line.is_principal) for line in self.owner_line_ids
            ]
        if self.mandate_id:
            return [(self.mandate_id.owner_id, 100.0, True)]
        return []

    # -- virtual IBAN ----------------------------------------------------------------

    def action_assign_virtual_iban(self):
        """Give each selected property a virtual IBAN from its company's pool."""
        todo = self.filtered(lambda p: not p.virtual_iban_id)
        if not todo:
            raise UserError(_("The selected properties already have a virtual IBAN."))
        if todo.filtered("is_building"):
            raise UserError(_("Buildings are not let: assign virtual IBANs to their units."))
        for company in todo.company_id:
            props = todo.filtered(lambda p, c=company: p.company_id == c)
            pool = self.env["rental.virtual.iban.pool"]._get_default_pool(company)
            pool._allocate(props)
        for prop in todo:
            prop.message_post(
                body=_("Virtual IBAN %(iban)s assigned.", iban=prop.virtual_iban_id.formatted)
            )
        return True

    def action_release_virtual_iban(self):
        for prop in self.filtered("virtual_iban_id"):
            iban = prop.virtual_iban_id
            iban._release()
            prop.message_post(
                body=_(
                    "Virtual IBAN %(iban)s released; frozen until %(date)s.",
                    iban=iban.formatted,
                    date=iban.frozen_until,
                )
            )
        return True

    def action_view_leases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("rental_flow.action_rental_lease")
        action["domain"] = [("property_id", "=", self.id)]
        action["context"] = {"default_property_id": self.id}
        return action

    def action_view_units(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow.action_rental_property"
        )
        action["domain"] = [("parent_id", "=", self.id)]
        action["context"] = {
            "default_parent_id": self.id,
            "default_mandate_id": self.mandate_id.id,
        }
        return action


class RentalPropertyOwner(models.Model):
    """Share of a joint owner in a property."""

    _name = "rental.property.owner"
    _description = "Property Ownership Share"
    _order = "is_principal desc, share desc, id"

    property_id = fields.Many2one("rental.property", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="property_id.company_id", store=True)
    partner_id = fields.Many2one("res.partner", string="Owner", required=True, index=True)
    share = fields.Float(string="Share (%)", digits=(5, 4), required=True, default=100.0)
    is_principal = fields.Boolean(
        string="Receives Rounding",
        help="The remainder cent of a split between joint owners goes to this owner.",
    )

    _sql_constraints = [
        ("share_range", "CHECK(share > 0 AND share <= 100)", "A share must be within (0, 100]%."),
        (
            "owner_uniq",
            "unique(property_id, partner_id)",
            "An owner appears only once per property.",
        ),
    ]

    @api.constrains("share", "is_principal", "property_id")
    def _check_shares(self):
        self.property_id._check_owner_shares()
