from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engines import planner

#: Lease kinds a policy may charge a reminder fee on (never the residential ones).
FEE_KIND_FIELDS = {
    "commercial": "fee_on_commercial",
    "professional": "fee_on_professional",
    "parking": "fee_on_parking",
    "other": "fee_on_other",
}


def to_cents(amount):
    """Monetary float -> integer cents (rounded half away from zero)."""
    return int(round((amount or 0.0) * 100))


class RentalDunningPolicy(models.Model):
    """A dunning plan: ordered reminder levels and the rules around them.

    A policy applies to a lease (``rental.lease.dunning_policy_id``), else to its tenant
    (``res.partner.rental_dunning_policy_id``), else the company's default. A policy
    without any level sends nothing: new tenants can start on such an empty plan.
    """

    _name = "rental.dunning.policy"
    _description = "Dunning Policy"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    description = fields.Text(translate=True)
    level_ids = fields.One2many("rental.dunning.level", "policy_id", string="Levels", copy=True)
    level_count = fields.Integer(compute="_compute_level_count")
    min_amount = fields.Monetary(
        string="Minimum Amount", help="No reminder while less than this is overdue."
    )
    min_interval_days = fields.Integer(
        string="Days Between Reminders",
        default=5,
        help="A new level is never sent sooner than this after the previous reminder.",
    )
    catch_up = fields.Selection(
        [("in_order", "Every level in order"), ("jump", "Straight to the level reached")],
        string="Late Start",
        default="in_order",
        required=True,
        help="When the first reminder comes late (e.g. the policy was just assigned): send "
        "the levels one after the other, or go straight to the level the delay has reached.",
    )
    chronic_late_count = fields.Integer(
        string="Chronic Late Payer After",
        help="A tenant late this many times or more in the last twelve months skips the "
        "gentler levels: he gets the level below as soon as a reminder is due. 0 disables "
        "the rule.",
    )
    chronic_start_level_id = fields.Many2one(
        "rental.dunning.level",
        string="Chronic Late Payers Start At",
        domain="[('policy_id', '=', id)]",
    )
    guarantor_from_level_id = fields.Many2one(
        "rental.dunning.level",
        string="Copy Guarantors From",
        domain="[('policy_id', '=', id)]",
        help="From this level on, the guarantors get a copy by email and letter.",
    )
    fee_on_commercial = fields.Boolean(string="Fees on Commercial Leases")
    fee_on_professional = fields.Boolean(string="Fees on Professional Leases")
    fee_on_parking = fields.Boolean(string="Fees on Parking Leases")
    fee_on_other = fields.Boolean(string="Fees on Other Leases")
    letter_mode = fields.Selection(
        [
            ("company", "Company default"),
            ("print", "Print (batch PDF)"),
            ("snailmail", "Post with Odoo Snailmail"),
        ],
        string="Letters",
        default="company",
        required=True,
    )
    letter_cost = fields.Monetary(help="Cost of one letter, to value the reminders sent.")
    sms_provider_id = fields.Many2one(
        "rental.sms.provider",
        string="SMS Provider",
        check_company=True,
        help="Empty: the company's SMS provider.",
    )
    lease_count = fields.Integer(compute="_compute_assignments")
    partner_count = fields.Integer(compute="_compute_assignments")

    @api.depends("level_ids")
    def _compute_level_count(self):
        for policy in self:
            policy.level_count = len(policy.level_ids)

    def _compute_assignments(self):
        leases = dict(
            self.env["rental.lease"]._read_group(
                [("dunning_policy_id", "in", self.ids)], ["dunning_policy_id"], ["__count"]
            )
        )
        partners = dict(
            self.env["res.partner"]._read_group(
                [("rental_dunning_policy_id", "in", self.ids)],
                ["rental_dunning_policy_id"],
                ["__count"],
            )
        )
        for policy in self:
            policy.lease_count = leases.get(policy, 0)
            policy.partner_count = partners.get(policy, 0)

    @api.constrains("level_ids", "chronic_late_count", "chronic_start_level_id",
                    "guarantor_from_level_id", "min_amount", "min_interval_days")
    def _check_levels(self):
        for policy in self:
            for level in (policy.chronic_start_level_id, policy.guarantor_from_level_id):
                if level and level.policy_id != policy:
                    raise ValidationError(
                        _("Level %(level)s belongs to another policy.", level=level.name)
                    )
            if policy.chronic_late_count < 0:
                raise ValidationError(_("The chronic late payers' count cannot be negative."))
            try:
                policy._to_spec()
            except planner.FeeNotAllowed as exc:
                raise ValidationError(
                    _("French law forbids late fees and reminder fees on residential leases.")
                ) from exc
            except ValueError as exc:
                raise ValidationError(
                    _(
                        "Policy %(policy)s: the levels' delays must strictly increase with "
                        "their order, and amounts and intervals cannot be negative (%(error)s).",
                        policy=policy.name,
                        error=exc,
                    )
                ) from exc

    def _fee_lease_kinds(self):
        self.ensure_one()
        return frozenset(kind for kind, name in FEE_KIND_FIELDS.items() if self[name])

    def _ordered_levels(self):
        self.ensure_one()
        return self.level_ids.sorted(lambda level: (level.sequence, level.delay_days, level.id))

    def _to_spec(self):
        """The :class:`planner.PolicySpec` of this policy."""
        self.ensure_one()
        levels = self._ordered_levels()
        index = {level.id: position for position, level in enumerate(levels)}
        return planner.PolicySpec(
            key=self.id,
            levels=tuple(level._to_spec() for level in levels),
            min_amount_cents=to_cents(self.min_amount),
            min_interval_days=self.min_interval_days,
            chronic_late_count=self.chronic_late_count,
            chronic_start_index=index.get(self.chronic_start_level_id.id, 0),
            catch_up=self.catch_up,
            guarantor_from_index=index.get(self.guarantor_from_level_id.id),
            fee_lease_kinds=self._fee_lease_kinds(),
        )

    def _letter_mode(self):
        self.ensure_one()
        if self.letter_mode == "company":
            return self.company_id.rental_dunning_letter_mode or "print"
        return self.letter_mode

    def _sms_provider(self):
        self.ensure_one()
        return self.sms_provider_id or self.company_id.sudo().rental_sms_provider_id

    def action_view_leases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("rental_flow.action_rental_lease")
        action["domain"] = [("dunning_policy_id", "=", self.id)]
        return action
