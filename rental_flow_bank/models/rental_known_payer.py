from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


def normalize_payer_iban(value):
    """Compact, upper-case form of an IBAN; ``False`` when empty or not a valid IBAN."""
    if not value:
        return False
    try:
        return IBAN(value).compact
    except SchwiftyException:
        return False


class RentalKnownPayer(models.Model):
    """A payer confirmed for a lease: a bank account (IBAN) and/or a name.

    Recorded when a person accepts a match (learning) or entered by hand; the
    ``known_payer`` matching rule recognises the lease of later payments from it.
    """

    _name = "rental.known.payer"
    _description = "Known Payer of a Lease"
    _order = "date desc, id desc"
    _rec_name = "name"

    lease_id = fields.Many2one("rental.lease", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="lease_id.company_id", store=True, index=True)
    property_id = fields.Many2one(related="lease_id.property_id", store=True)
    partner_id = fields.Many2one(
        "res.partner", string="Partner", help="The contact who pays, when known."
    )
    iban = fields.Char(string="IBAN", index="btree_not_null")
    name = fields.Char(string="Payer Name")
    source = fields.Selection(
        [("manual", "Entered by hand"), ("imported", "Learnt from a validated payment")],
        required=True,
        default="manual",
    )
    date = fields.Date(default=fields.Date.context_today, string="Last Confirmed")
    count = fields.Integer(string="Payments", default=0,
                           help="Payments of this payer validated for the lease.")
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("iban_or_name", "CHECK(iban IS NOT NULL OR name IS NOT NULL)",
         "A known payer needs an IBAN or a name."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._normalize_vals(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._normalize_vals(vals)
        return super().write(vals)

    @api.model
    def _normalize_vals(self, vals):
        if vals.get("iban"):
            iban = normalize_payer_iban(vals["iban"])
            if not iban:
                raise ValidationError(_("%(iban)s is not a valid IBAN.", iban=vals["iban"]))
            vals["iban"] = iban
        if "name" in vals:
            vals["name"] = (vals["name"] or "").strip() or False

    @api.model
    def _rental_learn(self, entries):
        """Record confirmed payers: ``entries`` is a list of ``(lease, iban, name,
        partner)``. An existing payer of the lease with the same IBAN (or, without IBAN,
        the same name) is counted again instead of duplicated."""
        today = fields.Date.context_today(self)
        leases = self.env["rental.lease"].browse({e[0].id for e in entries})
        existing = self.with_context(active_test=False).search([("lease_id", "in", leases.ids)])
        for lease, iban, name, partner in entries:
            iban = normalize_payer_iban(iban)
            name = (name or "").strip() or False
            if not iban and not name:
                continue
            mine = existing.filtered(lambda p, lease=lease: p.lease_id == lease)
            found = (
                mine.filtered(lambda p, iban=iban: p.iban == iban) if iban
                else mine.filtered(lambda p, name=name: not p.iban and p.name == name)
            )[:1]
            if found:
                found.write({"count": found.count + 1, "date": today, "active": True,
                             "name": found.name or name})
            else:
                existing |= self.create({
                    "lease_id": lease.id, "iban": iban, "name": name,
                    "partner_id": partner.id if partner else False,
                    "source": "imported", "date": today, "count": 1,
                })
