from odoo import _, api, fields, models
from odoo.exceptions import UserError


class RentalLease(models.Model):
    _inherit = "rental.lease"

    dunning_policy_id = fields.Many2one(
        "rental.dunning.policy",
        string="Dunning Policy",
        tracking=True,
        check_company=True,
        help="Empty: the tenant's policy, else the company's default policy.",
    )
    effective_dunning_policy_id = fields.Many2one(
        "rental.dunning.policy",
        string="Policy Applied",
        compute="_compute_effective_dunning_policy",
    )
    dunning_paused = fields.Boolean(
        string="Pause Dunning",
        tracking=True,
        help="No reminder is sent for this lease while checked.",
    )
    dunning_user_id = fields.Many2one(
        "res.users",
        string="Dunning Manager",
        help="Gets the dunning activities of this lease (calls, formal notices, missing "
        "contacts). Empty: the company's dunning manager.",
    )
    dunning_level_id = fields.Many2one(
        "rental.dunning.level", string="Last Reminder Level", readonly=True, copy=False
    )
    dunning_last_date = fields.Date(string="Last Reminder", readonly=True, copy=False)
    dunning_history_ids = fields.One2many("rental.dunning.history", "lease_id",
                                          string="Reminders")
    dunning_history_count = fields.Integer(compute="_compute_dunning_counts")
    payment_plan_ids = fields.One2many("rental.payment.plan", "lease_id", string="Payment Plans")
    payment_plan_count = fields.Integer(compute="_compute_dunning_counts")

    def _rental_collection_block_reason(self):
        """A payment plan being honoured also suspends direct debits of the lease."""
        reason = super()._rental_collection_block_reason()
        if reason:
            return reason
        running = self.payment_plan_ids.filtered(lambda plan: plan.state == "active")
        if running:
            return _(
                "Lease %(lease)s has a payment plan being honoured (%(plan)s).",
                lease=self.name,
                plan=running[0].name,
            )
        return ""

    @api.depends("dunning_policy_id", "tenant_id.rental_dunning_policy_id", "company_id")
    def _compute_effective_dunning_policy(self):
        collector = self.env["rental.dunning.collector"]
        for lease in self:
            lease.effective_dunning_policy_id = collector._policy_for(lease)

    def _compute_dunning_counts(self):
        histories = dict(self.env["rental.dunning.history"]._read_group(
            [("lease_id", "in", self.ids), ("channel", "!=", "activity")],
            ["lease_id"], ["__count"],
        ))
        plans = dict(self.env["rental.payment.plan"]._read_group(
            [("lease_id", "in", self.ids)], ["lease_id"], ["__count"]
        ))
        for lease in self:
            lease.dunning_history_count = histories.get(lease, 0)
            lease.payment_plan_count = plans.get(lease, 0)

    def _dunning_manager(self):
        """Who gets the dunning activities of this lease."""
        self.ensure_one()
        user = self.dunning_user_id or self.company_id.rental_dunning_user_id
        if not user and not self.env.user._is_superuser():
            user = self.env.user
        return user or self.env.ref("base.user_admin")

    def action_view_dunning_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow_dunning.action_rental_dunning_history"
        )
        action["domain"] = [("lease_id", "=", self.id)]
        action["context"] = {"search_default_group_by_run": 0}
        return action

    def action_view_payment_plans(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow_dunning.action_rental_payment_plan"
        )
        action["domain"] = [("lease_id", "=", self.id)]
        action["context"] = {"default_lease_id": self.id}
        return action

    def action_dunning_preview(self):
        """Preview the reminders of these leases (a run limited to them)."""
        companies = self.company_id
        if len(companies) > 1:
            raise UserError(_("Preview the reminders of one company at a time."))
        run = self.env["rental.dunning.run"].create(
            {"company_id": companies.id, "lease_ids": [(6, 0, self.ids)]}
        )
        run.action_preview()
        return {
            "type": "ir.actions.act_window",
            "res_model": "rental.dunning.run",
            "res_id": run.id,
            "view_mode": "form",
        }
