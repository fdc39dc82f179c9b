from collections import defaultdict

from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    rental_lease_ids = fields.One2many("rental.lease", "tenant_id", string="Leases as Tenant")
    rental_lease_count = fields.Integer(compute="_compute_rental_counts", string="Leases")
    rental_mandate_count = fields.Integer(compute="_compute_rental_counts", string="Mandates")
    rental_is_owner = fields.Boolean(
        compute="_compute_rental_roles", search="_search_rental_is_owner", string="Is an Owner"
    )
    rental_is_tenant = fields.Boolean(
        compute="_compute_rental_roles", search="_search_rental_is_tenant", string="Is a Tenant"
    )

    def _increase_rank(self, field, n=1):
        """Within ``rental_defer_rank`` (a dict in the context), only count: posting
        thousands of rent calls raises the rank of each tenant in a query and a
        savepoint of its own; :meth:`_rental_apply_ranks` applies the counts in a few."""
        deferred = self.env.context.get("rental_defer_rank")
        if deferred is None or not self.ids:
            return super()._increase_rank(field, n)
        counts = deferred.setdefault(field, defaultdict(int))
        for partner_id in self.ids:
            counts[partner_id] += n
        return None

    @api.model
    def _rental_apply_ranks(self, deferred):
        """Apply the ranks counted in ``deferred`` (see :meth:`_increase_rank`): one
        update per field and count, as Odoo's own (skipped when another transaction
        holds the partners)."""
        for field, counts in deferred.items():
            by_count = defaultdict(list)
            for partner_id, count in counts.items():
                by_count[count].append(partner_id)
            for count, partner_ids in by_count.items():
                self.browse(partner_ids)._increase_rank(field, count)
        deferred.clear()

    def _compute_rental_roles(self):
        owners = set(self._rental_owner_ids())
        tenants = set(self._rental_tenant_ids())
        for partner in self:
            partner.rental_is_owner = partner.id in owners
            partner.rental_is_tenant = partner.id in tenants

    def _rental_owner_ids(self):
        mandates = self.env["rental.mandate"].search([])
        lines = self.env["rental.property.owner"].search([])
        return (mandates.owner_id | lines.partner_id).ids

    def _rental_tenant_ids(self):
        leases = self.env["rental.lease"].search([("state", "!=", "draft")])
        return (leases.tenant_id | leases.cotenant_ids).ids

    def _search_rental_is_owner(self, operator, value):
        return self._rental_role_domain(operator, value, self._rental_owner_ids())

    def _search_rental_is_tenant(self, operator, value):
        return self._rental_role_domain(operator, value, self._rental_tenant_ids())

    def _rental_role_domain(self, operator, value, ids):
        positive = (operator == "=") == bool(value)
        return [("id", "in" if positive else "not in", ids)]

    def _compute_rental_counts(self):
        Lease = self.env["rental.lease"]
        leases = dict(
            Lease._read_group([("tenant_id", "in", self.ids)], ["tenant_id"], ["__count"])
        )
        mandates = dict(
            self.env["rental.mandate"]._read_group(
                [("owner_id", "in", self.ids)], ["owner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.rental_lease_count = leases.get(partner, 0)
            partner.rental_mandate_count = mandates.get(partner, 0)

    def action_view_rental_leases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("rental_flow.action_rental_lease")
        action["domain"] = [
            "|",
            "|",
            ("tenant_id", "=", self.id),
            ("cotenant_ids", "in", self.ids),
            ("guarantor_ids", "in", self.ids),
        ]
        return action

    def action_view_rental_mandates(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow.action_rental_mandate"
        )
        action["domain"] = [("owner_id", "=", self.id)]
        action["context"] = {"default_owner_id": self.id}
        return action
