from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_compare, float_is_zero

from ..engines import planner
from .rental_dunning_policy import to_cents


class RentalPaymentPlan(models.Model):
    """A payment plan agreed with a tenant for arrears: instalments with dates.

    While it is honoured (what was paid on the rent calls it covers since it started is at
    least what the instalments due so far ask, after a few days of grace) the dunning of
    those rent calls is suspended; when an instalment is missed the plan is broken and the
    dunning resumes where it stood. New rent calls are dunned as usual.
    """

    _name = "rental.payment.plan"
    _description = "Payment Plan"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, copy=False, readonly=True, default=lambda self: _("New"))
    lease_id = fields.Many2one(
        "rental.lease", required=True, index=True, ondelete="restrict", tracking=True,
        check_company=True,
    )
    tenant_id = fields.Many2one(related="lease_id.tenant_id", store=True, string="Tenant")
    company_id = fields.Many2one(related="lease_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("active", "Running"),
            ("broken", "Instalment Missed"),
            ("done", "Paid Off"),
            ("cancel", "Cancelled"),
        ],
        default="draft",
        required=True,
        tracking=True,
        index=True,
    )
    date_start = fields.Date(
        required=True, default=fields.Date.context_today, tracking=True,
        help="Payments on the covered rent calls count from this date.",
    )
    move_ids = fields.Many2many(
        "account.move",
        "rental_payment_plan_move_rel",
        "plan_id",
        "move_id",
        string="Rent Calls Covered",
        domain="[('rental_lease_id', '=', lease_id), ('state', '=', 'posted'), "
        "('move_type', '=', 'out_invoice'), ('payment_state', 'in', ('not_paid', 'partial'))]",
    )
    instalment_ids = fields.One2many(
        "rental.payment.plan.instalment", "plan_id", string="Instalments", copy=True
    )
    instalment_count = fields.Integer(string="Number of Instalments", default=3)
    first_instalment_date = fields.Date(
        default=lambda self: fields.Date.context_today(self) + relativedelta(months=1, day=5)
    )
    grace_days = fields.Integer(
        default=5, help="Days after an instalment's date before it counts as missed."
    )
    amount_covered = fields.Monetary(
        compute="_compute_amounts", string="Open Amount Covered",
        help="What is still owed on the rent calls covered.",
    )
    amount_total = fields.Monetary(compute="_compute_amounts", string="Instalments Total")
    amount_paid = fields.Monetary(
        compute="_compute_amounts", string="Paid Since Start",
        help="Paid on the covered rent calls since the plan started.",
    )
    amount_due_to_date = fields.Monetary(
        compute="_compute_amounts", string="Due So Far",
        help="Instalments whose date (plus the grace days) has passed.",
    )
    honoured = fields.Boolean(compute="_compute_amounts")
    next_instalment_date = fields.Date(compute="_compute_amounts")
    note = fields.Html()

    _sql_constraints = [
        ("grace_positive", "CHECK(grace_days >= 0)", "Grace days cannot be negative."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", _("New")) == _("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("rental.payment.plan") or _(
                    "New"
                )
        return super().create(vals_list)

    # -- amounts ------------------------------------------------------------------------------

    def _paid_since_start(self):
        """``{plan id: amount}`` paid on the covered rent calls since each plan's start."""
        plans = self.filtered("id")
        if not plans:
            return {}
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id, COALESCE(SUM(apr.amount), 0)
                  FROM rental_payment_plan p
                  JOIN rental_payment_plan_move_rel rel ON rel.plan_id = p.id
                  JOIN account_move_line aml
                    ON aml.move_id = rel.move_id AND aml.display_type = 'payment_term'
                  JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
                 WHERE p.id IN %s AND apr.max_date >= p.date_start
                 GROUP BY p.id
                """,
                tuple(plans.ids),
            )
        )
        return dict(self.env.cr.fetchall())

    @api.depends("move_ids.amount_residual", "instalment_ids.amount", "instalment_ids.date",
                 "date_start", "grace_days")
    @api.depends_context("rental_plan_date")
    def _compute_amounts(self):
        paid = self._paid_since_start()
        today = self.env.context.get("rental_plan_date") or fields.Date.context_today(self)
        for plan in self:
            plan.amount_covered = sum(plan.move_ids.mapped("amount_residual"))
            plan.amount_total = sum(plan.instalment_ids.mapped("amount"))
            plan.amount_paid = paid.get(plan.id, 0.0)
            due = sum(
                i.amount for i in plan.instalment_ids
                if i.date + timedelta(days=plan.grace_days) < today
            )
            plan.amount_due_to_date = due
            plan.honoured = float_compare(
                plan.amount_paid, due, precision_rounding=plan.currency_id.rounding or 0.01
            ) >= 0
            upcoming = [i.date for i in plan.instalment_ids if i.date >= today]
            plan.next_instalment_date = min(upcoming) if upcoming else False

    @api.constrains("move_ids", "lease_id")
    def _check_moves(self):
        for plan in self:
            if plan.move_ids.rental_lease_id - plan.lease_id:
                raise ValidationError(
                    _("Payment plan %(plan)s covers rent calls of another lease.",
                      plan=plan.name)
                )

    # -- actions ------------------------------------------------------------------------------

    @api.onchange("lease_id")
    def _onchange_lease_id(self):
        if self.lease_id and not self.move_ids:
            self.move_ids = self.lease_id.rent_call_ids.filtered(
                lambda m: m.state == "posted" and m.move_type == "out_invoice"
                and m.payment_state in ("not_paid", "partial")
                and m.rental_call_kind in ("rent", "deposit")
            )

    def action_compute_instalments(self):
        """Split the open amount covered in equal monthly instalments (cents exact)."""
        for plan in self:
            if plan.state != "draft":
                raise UserError(_("Only a draft plan can be recomputed."))
            if plan.instalment_count < 1 or not plan.first_instalment_date:
                raise UserError(_("Give the number of instalments and the first date."))
            total = to_cents(plan.amount_covered)
            if total <= 0:
                raise UserError(_("The rent calls covered have nothing left to pay."))
            base, rest = divmod(total, plan.instalment_count)
            commands = [Command.clear()]
            for index in range(plan.instalment_count):
                cents = base + (1 if index < rest else 0)
                commands.append(Command.create({
                    "sequence": index + 1,
                    "date": plan.first_instalment_date + relativedelta(months=index),
                    "amount": cents / 100.0,
                }))
            plan.instalment_ids = commands
        return True

    def action_activate(self):
        for plan in self:
            if plan.state != "draft":
                raise UserError(_("Plan %(plan)s is not a draft.", plan=plan.name))
            if not plan.move_ids:
                raise UserError(_("Choose the rent calls the plan covers."))
            if not plan.instalment_ids:
                raise UserError(_("Add the instalments of the plan."))
            if plan.instalment_ids.filtered(lambda i: i.amount <= 0):
                raise UserError(_("Every instalment must be positive."))
            if not float_is_zero(plan.amount_total - plan.amount_covered,
                                 precision_rounding=plan.currency_id.rounding or 0.01):
                raise UserError(
                    _(
                        "The instalments (%(total)s) must add up to the open amount of the "
                        "rent calls covered (%(covered)s).",
                        total=plan.currency_id.format(plan.amount_total),
                        covered=plan.currency_id.format(plan.amount_covered),
                    )
                )
            others = self.search([
                ("id", "!=", plan.id), ("state", "=", "active"),
                ("move_ids", "in", plan.move_ids.ids),
            ])
            if others:
                raise UserError(
                    _("Rent calls of this plan are already in plan %(plan)s.",
                      plan=others[0].name)
                )
        self.write({"state": "active"})
        for plan in self:
            plan.lease_id.message_post(
                body=_("Payment plan %(plan)s started: dunning of its rent calls is suspended "
                       "while it is honoured.", plan=plan.name)
            )
        return True

    def action_cancel(self):
        self.filtered(lambda p: p.state in ("draft", "active", "broken")).write(
            {"state": "cancel"}
        )
        return True

    def action_draft(self):
        self.filtered(lambda p: p.state == "cancel").write({"state": "draft"})
        return True

    # -- dunning -------------------------------------------------------------------------------

    @api.model
    def _dunning_status(self, lease_ids, today):
        """``{lease id: PaymentPlanStatus}`` of the running (or broken) plans on ``today``."""
        if not lease_ids:
            return {}
        plans = self.sudo().search(
            [("lease_id", "in", list(lease_ids)), ("state", "in", ("active", "broken"))],
            order="date_start desc, id desc",
        ).with_context(rental_plan_date=today)
        result = {}
        for plan in plans:
            if plan.lease_id.id in result:
                continue  # the most recent plan of the lease decides
            result[plan.lease_id.id] = planner.PaymentPlanStatus(
                key=plan.id,
                covered_item_keys=frozenset(plan.move_ids.ids),
                honoured=plan.state == "active" and plan.honoured,
            )
        return result

    @api.model
    def _cron_check_plans(self):
        """Daily: paid-off plans are done; plans with a missed instalment are broken."""
        today = fields.Date.context_today(self)
        plans = self.search([("state", "=", "active")]).with_context(rental_plan_date=today)
        for plan in plans:
            if all(move.payment_state in ("paid", "in_payment", "reversed")
                   for move in plan.move_ids):
                plan.state = "done"
                plan.message_post(body=_("Every rent call of the plan is paid."))
            elif not plan.honoured:
                plan._break()

    def _break(self):
        for plan in self:
            plan.state = "broken"
            body = _(
                "Instalment missed: %(paid)s paid of %(due)s due. Dunning of the covered rent "
                "calls resumes.",
                paid=plan.currency_id.format(plan.amount_paid),
                due=plan.currency_id.format(plan.amount_due_to_date),
            )
            plan.message_post(body=body)
            plan.lease_id.message_post(body=body)
            plan.activity_schedule(
                "mail.mail_activity_data_call",
                summary=_("Payment plan %(plan)s: instalment missed", plan=plan.name),
                user_id=plan.lease_id._dunning_manager().id,
            )
