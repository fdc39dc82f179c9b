import json

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engines.matching import RULE_TYPES, RuleConfig, get_rule_type
from ..engines.matching.text import DEPOSIT_WORDS


def _builtin_selection():
    """The rule types registered when this module is imported (the built-in ones).

    An integrator adding a type registers its class with ``register_rule_type`` and adds
    its code to ``rule_type`` with ``selection_add``.
    """
    return [
        (cls.code, cls.label)
        for cls in sorted(RULE_TYPES.values(), key=lambda c: (c.default_sequence, c.code))
    ]


#: Typed fields of the built-in rule parameters: parameter key -> field name.
PARAM_FIELDS = {
    "lease_code": "lease_code",
    "housing_benefit_reference": "housing_benefit_reference",
    "free_text": "free_text",
    "max_leases": "max_leases",
    "fuzzy_min": "fuzzy_min",
    "typos": "typos",
    "remittance_names": "remittance_names",
    "remittance_penalty": "remittance_penalty",
    "days_before_due": "days_before_due",
    "days_after_due": "days_after_due",
    "date_penalty": "date_penalty",
    "multi_month": "multi_month",
    "max_months": "max_months",
    "partial": "partial",
    "overpayment": "overpayment",
    "amount_tolerance": "amount_tolerance",
    "advance_days": "advance_days",
    "deposit_words": "deposit_words",
    "amount_only": "amount_only",
}


class RentalMatchingRule(models.Model):
    """A step of the matching pipeline: which rule type, in what order, for which
    company, and from what score its proposals are reconciled without a person.

    The built-in types' parameters are typed fields; a custom type's parameters go in
    ``extra_params`` (JSON). :meth:`_to_rule_config` turns a record into the engine's
    :class:`RuleConfig`.
    """

    _name = "rental.matching.rule"
    _description = "Rent Matching Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", index=True, help="Empty: the rule applies to every company."
    )
    rule_type = fields.Selection(_builtin_selection(), required=True)
    auto_reconcile = fields.Boolean(
        string="Automatic Reconciliation",
        default=True,
        help="Untick to send every proposal of this rule to the review queue.",
    )
    auto_threshold = fields.Integer(
        string="Automatic Threshold",
        default=90,
        help="Proposals scoring at least this much (0-100) are reconciled automatically.",
    )
    description = fields.Text(compute="_compute_description")
    # reference
    lease_code = fields.Boolean(string="Lease Code in Text", default=True)
    housing_benefit_reference = fields.Boolean(string="Benefit File Number in Text", default=True)
    free_text = fields.Boolean(
        string="References in Free Text", default=True,
        help="Look for payment references and rent-call numbers in the remittance text.",
    )
    # known payer
    max_leases = fields.Integer(
        string="Max Leases per Payer", default=3,
        help="A payer confirmed for more leases than this is not used.",
    )
    # payer name
    fuzzy_min = fields.Integer(
        string="Minimum Name Similarity", default=88,
        help="Similarity (0-100) from which a misspelt name is accepted.",
    )
    typos = fields.Boolean(string="Accept Misspelt Names", default=True)
    remittance_names = fields.Boolean(string="Names in Remittance Text", default=True)
    remittance_penalty = fields.Integer(string="Penalty for Names in Text", default=3)
    days_before_due = fields.Integer(string="Days Before Due Date", default=40)
    days_after_due = fields.Integer(string="Days After Due Date", default=190)
    date_penalty = fields.Integer(string="Penalty outside the Date Window", default=5)
    # combination
    multi_month = fields.Boolean(string="Several Months in One Payment", default=True)
    max_months = fields.Integer(string="Max Months per Payment", default=6)
    partial = fields.Boolean(string="Partial Payments", default=True)
    overpayment = fields.Boolean(string="Overpayments as Credit", default=True)
    amount_tolerance = fields.Float(
        string="Amount Tolerance", digits=(16, 2), default=0.0,
        help="Difference accepted between the amount paid and the amount due.",
    )
    advance_days = fields.Integer(
        string="Days in Advance", default=40,
        help="A payment may settle a rent call due up to this many days later.",
    )
    deposit_words = fields.Char(
        default=lambda self: ", ".join(DEPOSIT_WORDS),
        help="Comma-separated words telling that a payment is a security deposit.",
    )
    amount_only = fields.Boolean(
        string="Propose from the Amount Alone", default=True,
        help="When only one lease has exactly that much open (never automatic by default).",
    )
    extra_params = fields.Text(
        string="Other Parameters (JSON)",
        help="Parameters of a custom rule type, as a JSON object.",
    )

    @api.depends("rule_type")
    def _compute_description(self):
        for rule in self:
            cls = RULE_TYPES.get(rule.rule_type)
            rule.description = (cls.__doc__ or "").strip() if cls else False

    @api.constrains("auto_threshold")
    def _check_auto_threshold(self):
        for rule in self:
            if not 0 <= rule.auto_threshold <= 100:
                raise ValidationError(_(
                    "Rule %(rule)s: the automatic threshold must be between 0 and 100.",
                    rule=rule.name,
                ))

    @api.constrains("rule_type", "extra_params", "fuzzy_min", "max_months", "max_leases",
                    "amount_tolerance", "advance_days", "deposit_words")
    def _check_params(self):
        for rule in self:
            if not 0 <= rule.fuzzy_min <= 100:
                raise ValidationError(_("The minimum name similarity is between 0 and 100."))
            if rule.max_months < 1 or rule.max_leases < 1:
                raise ValidationError(_("Maximum months and leases must be at least 1."))
            if rule.amount_tolerance < 0 or rule.advance_days < 0:
                raise ValidationError(_("Tolerance and days in advance cannot be negative."))
            try:
                config = rule._to_rule_config()
                get_rule_type(config.code)(config)
            except ValueError as exc:  # MatchingConfigError, bad JSON
                raise ValidationError(_("Rule %(rule)s: %(error)s", rule=rule.name,
                                        error=exc)) from exc

    def _extra_params(self):
        self.ensure_one()
        if not (self.extra_params or "").strip():
            return {}
        try:
            params = json.loads(self.extra_params)
        except ValueError as exc:
            raise ValueError(_("other parameters are not valid JSON (%(error)s)",
                               error=exc)) from exc
        if not isinstance(params, dict):
            raise ValueError(_("other parameters must be a JSON object"))
        return params

    def _param_value(self, key, default):
        value = self[PARAM_FIELDS[key]]
        if key == "deposit_words":
            return [w.strip() for w in (value or "").split(",") if w.strip()]
        if key == "amount_tolerance":
            return f"{value:.2f}"
        if isinstance(default, bool):
            return bool(value)
        if isinstance(default, int):
            return int(value)
        return value

    def _to_rule_config(self):
        """The engine's :class:`RuleConfig` of this record."""
        self.ensure_one()
        cls = get_rule_type(self.rule_type)
        params = {
            key: self._param_value(key, default)
            for key, default in cls.default_params.items()
            if key in PARAM_FIELDS
        }
        params.update(self._extra_params())
        return RuleConfig(
            code=self.rule_type,
            sequence=self.sequence,
            active=self.active,
            auto_threshold=self.auto_threshold if self.auto_reconcile else 101,
            params=params,
            name=self.name,
            rule_id=self.id,
        )

    @api.model
    def _rental_rules_for(self, company):
        """The active rules of ``company`` (its own and those of every company)."""
        return self.search(["|", ("company_id", "=", False), ("company_id", "=", company.id)])
