from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class RentalLease(models.Model):
    """Leases paid by direct debit use a mandate of their tenant."""

    _inherit = "rental.lease"

    sdd_mandate_id = fields.Many2one(
        "rental.sdd.mandate",
        string="Direct Debit Mandate",
        compute="_compute_sdd_mandate_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        tracking=True,
        check_company=True,
        domain="[('partner_id', '=', tenant_id), ('state', '=', 'valid')]",
        help="Mandate the rents are collected under; by default the tenant's valid mandate.",
    )
    sdd_warning = fields.Char(compute="_compute_sdd_warning")

    @api.depends("payment_mode", "tenant_id")
    def _compute_sdd_mandate_id(self):
        leases = self.filtered(lambda lease: lease.payment_mode == "direct_debit")
        (self - leases).sdd_mandate_id = False
        if not leases:
            return
        mandates = self.env["rental.sdd.mandate"].search(
            [("partner_id", "in", leases.tenant_id.ids), ("state", "=", "valid")],
            order="signature_date desc, id desc",
        )
        by_key = {}
        for mandate in mandates:
            by_key.setdefault((mandate.partner_id.id, mandate.company_id.id), mandate)
        for lease in leases:
            current = lease.sdd_mandate_id
            if current and current.partner_id == lease.tenant_id and current.state == "valid":
                continue
            lease.sdd_mandate_id = by_key.get((lease.tenant_id.id, lease.company_id.id), False)

    @api.constrains("sdd_mandate_id", "tenant_id", "cotenant_ids")
    def _check_sdd_mandate_id(self):
        for lease in self.filtered("sdd_mandate_id"):
            payers = (lease.tenant_id | lease.cotenant_ids).commercial_partner_id
            if lease.sdd_mandate_id.partner_id.commercial_partner_id not in payers:
                raise ValidationError(_(
                    "Lease %(lease)s: mandate %(mandate)s was signed by %(partner)s, who is "
                    "not a tenant of the lease.", lease=lease.name,
                    mandate=lease.sdd_mandate_id.name,
                    partner=lease.sdd_mandate_id.partner_id.display_name,
                ))

    @api.depends("payment_mode", "sdd_mandate_id.state")
    def _compute_sdd_warning(self):
        for lease in self:
            warning = False
            if lease.payment_mode == "direct_debit":
                if not lease.sdd_mandate_id:
                    warning = _("Paid by direct debit, but the tenant has no valid mandate: "
                                "the rents will not be collected.")
                elif lease.sdd_mandate_id.state != "valid":
                    warning = _("Mandate %(mandate)s is no longer valid: the rents will not "
                                "be collected.", mandate=lease.sdd_mandate_id.name)
            lease.sdd_warning = warning
