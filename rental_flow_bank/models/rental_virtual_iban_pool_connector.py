from odoo import _, fields, models
from odoo.exceptions import UserError

from odoo.addons.rental_flow.engines import viban


class RentalVirtualIbanPool(models.Model):
    """Virtual IBAN pools fed by a bank API connector (Memo Bank...).

    With ``provider = "connector"``, allocating IBANs on an exhausted pool creates the
    missing ones at the bank through the pool's connector; the bank's existing virtual
    IBANs can also be imported into the pool.
    """

    _inherit = "rental.virtual.iban.pool"

    provider = fields.Selection(
        selection_add=[("connector", "Bank API connector")],
        ondelete={"connector": "set default"},
    )
    connector_id = fields.Many2one(
        "rental.bank.connector",
        string="Bank Connector",
        check_company=True,
        domain="[('journal_id', '=', journal_id)]",
        help="Connector that creates the virtual IBANs at the bank when the pool runs out.",
    )

    def _provider_create_ibans(self, count, properties=None):
        """Create ``count`` virtual IBANs at the bank and add them to the pool.

        Each IBAN is named after the property it is for. The idempotency keys depend
        on the pool, the property and its assignment history: if the transaction that
        allocates them is rolled back and the allocation retried, the bank replays the
        same creations instead of issuing new IBANs.
        """
        self.ensure_one()
        if self.provider != "connector":
            return super()._provider_create_ibans(count, properties)
        if not self.connector_id:
            raise UserError(
                _("The virtual IBAN pool %(pool)s has no bank connector.", pool=self.name)
            )
        targets = list(properties or [])[:count]
        labels, keys = [], []
        db_uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
        for index in range(count):
            prop = targets[index] if index < len(targets) else None
            labels.append(prop.display_name if prop else _("%(pool)s %(n)s", pool=self.name,
                                                           n=index + 1))
            history = len(prop.virtual_iban_assignment_ids) if prop else index
            keys.append(f"{db_uuid}:{self.id}:{prop.id if prop else 'free'}:{history}")
        rows = []
        for label, key in zip(labels, keys, strict=True):
            rows += self.connector_id._create_virtual_ibans([label], key)
        return self._add_ibans(rows)

    def action_import_connector_ibans(self):
        """Add to the pool the bank's virtual IBANs that it does not hold yet."""
        self.ensure_one()
        if not self.connector_id:
            raise UserError(_("Set the pool's bank connector first."))
        rows = self.connector_id._list_virtual_ibans()
        known = set(
            self.env["rental.virtual.iban"].with_context(active_test=False).search(
                [("name", "in", [viban.normalize(r["iban"]) for r in rows])]
            ).mapped("name")
        )
        master = viban.normalize(self.master_iban)
        new = [r for r in rows if viban.normalize(r["iban"]) not in known
               and viban.normalize(r["iban"]) != master]
        created = self._add_ibans(new) if new else self.env["rental.virtual.iban"]
        self.message_post(body=_("%(count)s virtual IBANs imported from the bank.",
                                 count=len(created)))
        return created
