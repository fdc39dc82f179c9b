"""Where the owner splits hook into accounting: reconciliations and journal items."""

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import OrderedSet

from .rental_split import DEPTH_KEY


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        self.env["rental.owner.split"]._queue_partials(partials)
        return partials

    def unlink(self):
        ids = self.ids
        Split = self.env["rental.owner.split"]
        Split._unqueue_partials(ids)
        res = super().unlink()
        # Unreconciling, a returned or a reversed payment: reverse the split of each
        # removed partial, exactly for its amount (a reversal entry, never a deletion).
        Split._reverse_for_partials(ids)
        return res


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    rental_split_part = fields.Selection(
        [
            ("fee", "Management fee"),
            ("fee_tax", "Fee VAT"),
            ("insurance", "Insurance"),
            ("advance", "Works advance"),
            ("owner_share", "Joint owner's share"),
            ("rounding", "Rounding"),
        ],
        string="Split Part",
        readonly=True,
        help="Part of an owner split entry this journal item books.",
    )
    rental_works_advance_id = fields.Many2one(
        "rental.works.advance",
        string="Works Advance",
        index="btree_not_null",
        readonly=True,
    )

    def _reconcile_plan(self, reconciliation_plan):
        """Split the rent calls collected once the outermost reconciliation is done.

        Partials are created many at a time; their splits are created in one batch at the
        end (``rental_split_defer`` in the context leaves them queued for the caller, who
        calls ``rental.owner.split._process_pending()`` or lets the commit do it).
        """
        data = self.env.cr.precommit.data
        depth = data.get(DEPTH_KEY, 0)
        data[DEPTH_KEY] = depth + 1
        try:
            res = super()._reconcile_plan(reconciliation_plan)
        finally:
            data[DEPTH_KEY] = depth
        if not depth and not self.env.context.get("rental_split_defer"):
            self.env["rental.owner.split"]._process_pending()
        return res

    @api.model
    def _rental_reconcile_plan_bulk(self, reconciliation_plan):
        """:meth:`_reconcile_plan` for many bank counterparts and rent calls at once.

        Odoo wraps a reconciliation plan in the dynamic-line synchronisation of every entry
        concerned (payment terms, taxes, cash rounding, early-payment discounts: a snapshot
        before, another after, the difference applied). Reconciling changes none of what
        that synchronisation derives (only residuals and payment states), and Odoo itself
        disables it for everything the plan creates (exchange differences, cash-basis
        entries); over thousands of rent calls the two snapshots cost about a third of the
        plan, so they are left out here. The balance of the entries is still checked.

        The owner splits of the new partial reconciliations are then created as
        :meth:`_reconcile_plan` does (or left queued under ``rental_split_defer``), in an
        environment without that setting.
        """
        # Odoo reads each group of the plan on its own (its prefetch set): read them all
        # in one go instead of one query per group.
        every = self.browse(OrderedSet(
            line_id for amls in reconciliation_plan if isinstance(amls, models.BaseModel)
            for line_id in amls.ids
        ))
        reconciliation_plan = [
            amls.with_prefetch(every._prefetch_ids)
            if isinstance(amls, models.BaseModel) else amls
            for amls in reconciliation_plan
        ]
        self.with_context(skip_invoice_sync=True, rental_split_defer=True)._reconcile_plan(
            reconciliation_plan
        )
        if not self.env.context.get("rental_split_defer"):
            self.env["rental.owner.split"]._process_pending()

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._rental_set_bill_owner()
        return lines

    def write(self, vals):
        res = super().write(vals)
        if "rental_property_id" in vals or "account_id" in vals:
            self._rental_set_bill_owner()
        return res

    def _rental_set_bill_owner(self):
        """Owner of lines booked on the owners' account for a property (e.g. a bill).

        The owners' balances are kept per owner and property: a line on the owners'
        account that names a property but no owner belongs to the property's owner.
        """
        todo = self.filtered(
            lambda line: line.rental_property_id
            and not line.rental_owner_id
            and line.account_id
            and line.account_id == line.company_id.rental_owner_account_id
        )
        for line in todo:
            owner = line.rental_property_id.mandate_id.owner_id
            if owner:
                line.rental_owner_id = owner


class AccountMove(models.Model):
    _inherit = "account.move"

    rental_split_ids = fields.One2many(
        "rental.owner.split", "call_id", string="Owner Splits", readonly=True
    )
    rental_split_count = fields.Integer(compute="_compute_rental_split_count")
    rental_split_entry_ids = fields.One2many(
        "rental.owner.split", "move_id", string="Split of", readonly=True
    )

    @api.depends("rental_split_ids", "rental_split_entry_ids")
    def _compute_rental_split_count(self):
        for move in self:
            move.rental_split_count = len(move.rental_split_ids | move.rental_split_entry_ids)

    def button_draft(self):
        if not self.env.context.get("rental_split_force") and self.sudo().rental_split_entry_ids:
            raise UserError(
                _(
                    "An owner split entry cannot be reset to draft: unreconcile the payment "
                    "of the rent call, its split is then reversed."
                )
            )
        return super().button_draft()

    def action_view_rental_splits(self):
        self.ensure_one()
        splits = self.rental_split_ids | self.rental_split_entry_ids
        return self.env["rental.owner.split"]._action_for([("id", "in", splits.ids)])
