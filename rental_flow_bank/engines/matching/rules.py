"""Matching rules: the base class, the registry and the context a rule works with.

A rule type is a subclass of :class:`MatchingRule` registered with
:func:`register_rule_type`. A rule *record* (on the Odoo side, or a :class:`RuleConfig` here)
chooses a type by its ``code`` and sets its sequence, whether it is active, its automatic
threshold and its parameters. The engine runs the active rules in sequence on every line;
each returns zero or more :class:`~.model.Proposal` objects built with
:meth:`MatchContext.propose`, which allocates the amount and computes the score from the
rule's ``scores`` table.

Adding a rule type (the extension point)::

    from odoo.addons.rental_flow_bank.engines.matching import (
        MatchingRule, Reason, register_reason_template, register_rule_type,
    )

    register_reason_template("tenant_number", "tenant number %(ref)s → lease %(lease)s")

    @register_rule_type
    class TenantNumberRule(MatchingRule):
        '''Tenants write their tenant number ("LOC-1234") in the remittance text.'''

        code = "tenant_number"
        label = "Tenant number in the remittance text"
        strength = 3                 # as decisive as a reference
        default_sequence = 25
        default_threshold = 95
        default_params = {"prefix": "LOC"}
        scores = {"tenant_number": MatchingRule.score_row(98, 96, 93, 90, 60)}

        def match(self, line, ctx):
            prefix = self.params["prefix"]
            words = ctx.text_tokens
            proposals = []
            for word, following in zip(words, words[1:]):
                if word == prefix:
                    lease_id = my_tenant_numbers.get(following)   # your own lookup table
                    if lease_id is not None:
                        reason = Reason.of("tenant_number", ref=following,
                                           lease=ctx.lease(lease_id).code)
                        proposals.append(ctx.propose(self, lease_id, "tenant_number", [reason]))
            return proposals

Then add a rule record with code ``tenant_number`` (or a ``RuleConfig`` in tests). Rules must
read their candidates from the index or from tables built once, never scan all leases.
"""

from dataclasses import dataclass, field
from functools import cached_property

from stdnum import iso11649

from .allocation import (
    FIT_EXACT,
    FIT_MISMATCH,
    FIT_MULTI,
    FIT_NONE,
    FIT_OVERPAID,
    FIT_PARTIAL,
    FITS,
    AllocationPolicy,
    allocate,
)
from .model import (
    KIND_DEPOSIT,
    KIND_HOUSING_BENEFIT,
    KIND_RENT,
    Allocation,
    MatchingInputError,
    Proposal,
    from_cents,
    to_cents,
)
from .reasons import Reason
from .text import compact, compact_iban, has_deposit_words, is_company, name_tokens, tokens


class MatchingConfigError(MatchingInputError):
    """Raised for an unknown rule code or bad rule parameters."""


@dataclass(frozen=True)
class RuleConfig:
    """A rule record: which rule type, in what order, from what score it is automatic.

    ``auto_threshold`` is 0-100 (``None``: the type's default; 101: never automatic).
    ``params`` override the type's ``default_params`` (unknown keys are refused).
    """

    code: str
    sequence: int = 10
    active: bool = True
    auto_threshold: int | None = None
    params: dict = field(default_factory=dict)
    name: str = ""
    rule_id: int | None = None


#: Registered rule types by code.
RULE_TYPES = {}


def register_rule_type(cls=None, *, replace=False):
    """Register a :class:`MatchingRule` subclass under its ``code`` (usable as decorator).

    Raises ``ValueError`` if the code is empty or already taken (unless ``replace``).
    """

    def register(rule_cls):
        if not (isinstance(rule_cls, type) and issubclass(rule_cls, MatchingRule)):
            raise TypeError(f"{rule_cls!r} is not a MatchingRule subclass")
        code = rule_cls.code
        if not code or not isinstance(code, str):
            raise ValueError(f"{rule_cls.__name__}: a rule type needs a code")
        if code in RULE_TYPES and RULE_TYPES[code] is not rule_cls and not replace:
            raise ValueError(f"rule type {code!r} is already registered")
        for evidence, row in rule_cls.scores.items():
            if set(row) != set(FITS) or not all(0 <= s <= 100 for s in row.values()):
                raise ValueError(f"{rule_cls.__name__}: bad score row {evidence!r}")
        RULE_TYPES[code] = rule_cls
        return rule_cls

    return register(cls) if cls is not None else register


def unregister_rule_type(code):
    """Remove a rule type from the registry (e.g. when its module is uninstalled)."""
    RULE_TYPES.pop(code, None)


def get_rule_type(code):
    """Return the rule class registered under ``code``; ``MatchingConfigError`` if none."""
    try:
        return RULE_TYPES[code]
    except KeyError:
        raise MatchingConfigError(f"unknown matching rule type {code!r}") from None


def default_rule_configs():
    """One :class:`RuleConfig` per registered rule type, with the type's defaults."""
    return [
        RuleConfig(code=cls.code, sequence=cls.default_sequence, name=cls.label)
        for cls in sorted(RULE_TYPES.values(), key=lambda c: (c.default_sequence, c.code))
    ]


class MatchingRule:
    """Base class of rule types. Subclass it, set the class attributes, implement
    :meth:`match`, and register the class with :func:`register_rule_type`.

    Class attributes:

    - ``code``: unique identifier, stored on rule records;
    - ``label``: what the user sees;
    - ``strength``: how decisive the evidence is (3: names the lease, like a virtual IBAN or
      a reference; 2: learned payer; 1: heuristic; 0: amount only). The engine ranks leases
      by strength, then score, and checks the best one against leases of the same strength
      (ambiguity) and, below 3, against weaker ones that fit the amount better (conflict);
    - ``default_sequence``, ``default_threshold``, ``default_params``;
    - ``scores``: ``{evidence: {fit: score}}``, the scoring table (see :meth:`score_row`);
    - ``evidence_strength``: ``{evidence: strength}`` for evidence weaker or stronger than
      the rule's ``strength`` (e.g. a confirmed payer *name* is no stronger than a name).
    """

    code = ""
    label = ""
    strength = 1
    default_sequence = 100
    default_threshold = 90
    default_params = {}
    scores = {}
    evidence_strength = {}

    def __init__(self, config):
        unknown = set(config.params) - set(self.default_params)
        if unknown:
            raise MatchingConfigError(f"rule {config.code!r}: unknown parameters {sorted(unknown)}")
        threshold = config.auto_threshold
        if threshold is None:
            threshold = self.default_threshold
        if isinstance(threshold, bool) or not isinstance(threshold, int):
            raise MatchingConfigError(f"rule {config.code!r}: threshold must be an integer")
        if not 0 <= threshold <= 101:
            raise MatchingConfigError(f"rule {config.code!r}: threshold must be 0-101")
        self.config = config
        self.threshold = threshold
        self.params = {**self.default_params, **config.params}
        for key, default in self.default_params.items():
            if not _same_kind(self.params[key], default):
                raise MatchingConfigError(
                    f"rule {config.code!r}: parameter {key!r} must be like {default!r}"
                )

    @property
    def sequence(self):
        """Position of the rule in the pipeline."""
        return self.config.sequence

    @staticmethod
    def score_row(exact, multi, partial, overpaid, none, mismatch=None):
        """Build a score row: one score per allocation fit (``mismatch`` defaults to
        ``none``)."""
        return {
            FIT_EXACT: exact,
            FIT_MULTI: multi,
            FIT_PARTIAL: partial,
            FIT_OVERPAID: overpaid,
            FIT_NONE: none,
            FIT_MISMATCH: none if mismatch is None else mismatch,
        }

    @classmethod
    def max_strength(cls):
        """The strongest evidence this rule type can produce."""
        return max((cls.strength, *cls.evidence_strength.values()))

    def strength_of(self, evidence):
        """Evidence strength of a proposal found with ``evidence``."""
        return self.evidence_strength.get(evidence, self.strength)

    def score(self, evidence, fit):
        """Score of a proposal found with ``evidence`` whose allocation has ``fit``."""
        return self.scores[evidence][fit]

    def match(self, line, ctx):
        """Return a list of proposals for ``line`` (a :class:`~.model.BankLine`).

        Use ``ctx`` (a :class:`MatchContext`) to reach the index and to build proposals.
        """
        raise NotImplementedError


def _same_kind(value, default):
    """Whether a parameter value has the type of its default (bool, int, str, list)."""
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
    return isinstance(value, type(default))


_KIND_LABELS = {
    KIND_RENT: "rent call",
    KIND_DEPOSIT: "deposit call",
    KIND_HOUSING_BENEFIT: "housing-benefit share",
}


class MatchContext:
    """What a rule sees while matching one line: the line, the index, the residuals and
    normalised views of the line's text (computed once, on first use)."""

    def __init__(self, line, index, ledger, policy, stats, min_score=30):
        self.line = line
        self.index = index
        self.ledger = ledger
        self.policy = policy
        self.stats = stats
        self.min_score = min_score
        self.amount = to_cents(line.amount, f"line {line.id}")
        self.notes = []
        self.blockers = []

    # ------------------------------------------------------------- line views
    @cached_property
    def payer_iban(self):
        """The payer's IBAN, compact."""
        return compact_iban(self.line.payer_iban)

    @cached_property
    def credited_iban(self):
        """The credited account, compact (a virtual IBAN or a master account)."""
        return compact_iban(self.line.credited_iban)

    @cached_property
    def payer_name_tokens(self):
        """``(words, initials)`` of the payer's name."""
        return name_tokens(self.line.payer_name)

    @cached_property
    def text_tokens(self):
        """Tokens of the remittance text and end-to-end id."""
        return tokens(f"{self.line.remittance or ''} {self.line.end_to_end_id or ''}")

    @cached_property
    def remittance_words(self):
        """Words of the remittance text that are known name words."""
        vocab = self.index.by_token
        return [w for w in name_tokens(self.line.remittance)[0] if w in vocab][:6]

    @cached_property
    def payer_is_company(self):
        """Whether the payer's name carries a legal form (SARL, SCI...)."""
        return is_company(tokens(self.line.payer_name))

    @cached_property
    def hb_leases(self):
        """Leases whose housing-benefit payer is this line's payer."""
        return self.index.hb_payer_leases(self.payer_name_tokens[0], self.payer_iban)

    @cached_property
    def mentions_deposit(self):
        """Whether the remittance text mentions a security deposit."""
        return has_deposit_words(self.line.remittance, self.policy.deposit_words)

    @cached_property
    def amount_items(self):
        """Open items whose residual equals the line's amount."""
        return self.ledger.items_with_amount(self.amount)

    @cached_property
    def leases_fitting(self):
        """Leases where the amount may equal one open item or the 2-3 oldest (a superset)."""
        leases = {self.index.items[i].lease_id for i in self.amount_items}
        leases.update(lease_id for lease_id, _kind in self.ledger.leases_with_sum(self.amount))
        return leases

    def lease(self, lease_id):
        """The :class:`~.model.LeaseInfo` of an id."""
        return self.index.leases[lease_id]

    # ----------------------------------------------------------------- notes
    def note(self, reason):
        """Add an explanation that does not prevent automatic reconciliation."""
        if reason not in self.notes:
            self.notes.append(reason)

    def block(self, reason):
        """Add a reason that forbids any automatic reconciliation of this line."""
        if reason not in self.blockers:
            self.blockers.append(reason)

    # ------------------------------------------------------------ allocation
    def open_items(self, lease_id, kind):
        """Open items of a lease and kind in the line's currency, oldest first."""
        return self.ledger.open_items(lease_id, kind, self.line.currency, self.stats)

    def allocate(self, lease_id, *, kind=None, targets=()):
        """Choose the kind of items the line pays and allocate its amount.

        Named ``targets`` fix the kind. Otherwise: the housing-benefit share when the payer
        is the lease's benefit payer; the deposit when the text says so (or when the amount
        equals the open deposit and does not fit the rent); the rent otherwise.
        Returns ``(kind, outcome)``.
        """
        line_date = self.line.date
        if targets:
            kinds = list(dict.fromkeys(self.index.items[t].kind for t in targets))
            rows = sorted(
                (row for k in kinds for row in self.open_items(lease_id, k)),
                key=lambda r: (r[2], r[0]),
            )
            return kinds[0], allocate(
                self.amount, rows, self.policy, self.stats, line_date=line_date, targets=targets
            )
        if kind is None:
            if lease_id in self.hb_leases:
                kind = KIND_HOUSING_BENEFIT
            elif self.mentions_deposit and self.ledger.has_open(lease_id, KIND_DEPOSIT):
                kind = KIND_DEPOSIT
        if kind is not None:
            rows = self.open_items(lease_id, kind)
            return kind, allocate(self.amount, rows, self.policy, self.stats, line_date=line_date)
        rent = allocate(
            self.amount,
            self.open_items(lease_id, KIND_RENT),
            self.policy,
            self.stats,
            line_date=line_date,
        )
        if rent.fit not in (FIT_EXACT, FIT_MULTI) and self.ledger.has_open(lease_id, KIND_DEPOSIT):
            deposit = allocate(
                self.amount,
                self.open_items(lease_id, KIND_DEPOSIT),
                self.policy,
                self.stats,
                line_date=line_date,
            )
            if deposit.fit == FIT_EXACT:
                return KIND_DEPOSIT, deposit
        return KIND_RENT, rent

    def propose(
        self,
        rule,
        lease_id,
        evidence,
        reasons,
        *,
        targets=(),
        kind=None,
        penalty=0,
        date_window=None,
    ):
        """Allocate the line on a lease and build a scored :class:`~.model.Proposal`.

        ``evidence`` selects the row of ``rule.scores``; ``penalty`` is subtracted;
        ``date_window`` = ``(days_before_due, days_after_due, penalty)`` lowers the score when
        the payment is far from the due date of the first item it pays. Returns ``None`` when
        the score is below the engine's minimum.
        """
        lease = self.index.leases[lease_id]
        kind, outcome = self.allocate(lease_id, kind=kind, targets=targets)
        score = rule.score(evidence, outcome.fit) - penalty
        reasons = list(reasons)
        if targets and outcome.paid_targets:
            for item_id in outcome.paid_targets:
                reasons.append(Reason.of("target_paid", number=self.index.items[item_id].number))
            if len(outcome.paid_targets) == len(targets):
                score = min(score, rule.score(evidence, FIT_NONE))
        if kind == KIND_DEPOSIT and self.mentions_deposit:
            reasons.append(Reason.of("deposit_words"))
        reasons.extend(self._fit_reasons(lease, kind, outcome))
        if date_window and outcome.allocations:
            score -= self._date_penalty(outcome, date_window, reasons)
        score = max(0, min(100, score))
        if score < self.min_score:
            return None
        blockers = ()
        if lease.state != "running":
            blockers = (Reason.of("lease_not_running", lease=lease.code, state=lease.state),)
        return Proposal(
            line_id=self.line.id,
            lease_id=lease_id,
            lease_code=lease.code,
            rule_code=rule.code,
            score=score,
            reasons=tuple(reasons),
            allocations=tuple(Allocation(i, from_cents(c)) for i, c in outcome.allocations),
            unallocated=from_cents(outcome.unallocated),
            kind=kind,
            fit=outcome.fit,
            strength=rule.strength_of(evidence),
            threshold=rule.threshold,
            blockers=blockers,
            sequence=rule.sequence,
            evidence=evidence,
            base_score=rule.score(evidence, FIT_EXACT) - penalty,
        )

    def _numbers(self, allocations):
        numbers = [self.index.items[i].number or str(i) for i, _c in allocations]
        if len(numbers) > 4:
            numbers = numbers[:3] + [f"… ({len(numbers)} items)"]
        return ", ".join(numbers)

    def _fit_reasons(self, lease, kind, outcome):
        what = _KIND_LABELS.get(kind, kind)
        if outcome.fit == FIT_EXACT:
            yield Reason.of("fit_exact", what=what, numbers=self._numbers(outcome.allocations))
        elif outcome.fit == FIT_MULTI:
            yield Reason.of(
                "fit_multi",
                what=what,
                count=len(outcome.allocations),
                numbers=self._numbers(outcome.allocations),
            )
        elif outcome.fit == FIT_PARTIAL:
            due = sum(self.ledger.residual[i] for i, _c in outcome.allocations)
            yield Reason.of(
                "fit_partial",
                amount=from_cents(self.amount),
                due=from_cents(due),
                numbers=self._numbers(outcome.allocations),
            )
        elif outcome.fit == FIT_OVERPAID:
            yield Reason.of(
                "fit_overpaid",
                numbers=self._numbers(outcome.allocations),
                credit=from_cents(outcome.unallocated),
            )
        elif outcome.fit == FIT_NONE:
            yield Reason.of(
                "fit_none", what=what, lease=lease.code, credit=from_cents(outcome.unallocated)
            )
        else:
            yield Reason.of(
                "fit_mismatch", amount=from_cents(self.amount), lease=lease.code, why=outcome.why
            )

    def _date_penalty(self, outcome, window, reasons):
        days_before, days_after, penalty = window
        item = self.index.items[outcome.allocations[0][0]]
        days = (self.line.date - item.due_date).days
        if -days > days_before or days > days_after:
            reasons.append(Reason.of("date_window", days=abs(days), number=item.number))
            return penalty
        return 0


def default_policy(configs):
    """The allocation policy set by the first ``combination`` rule record of ``configs``.

    No such record: every combination allowed; an inactive one: exact amounts only.
    """
    for config in sorted(configs, key=lambda c: (c.sequence, c.code)):
        if config.code == "combination":
            if not config.active:
                return AllocationPolicy.exact_only()
            unknown = set(config.params) - set(RULE_TYPES["combination"].default_params)
            if unknown:
                raise MatchingConfigError(
                    f"rule 'combination': unknown parameters {sorted(unknown)}"
                )
            return AllocationPolicy.from_params(config.params)
    return AllocationPolicy()


def reference_key(text):
    """Normalise a structured reference (payment reference, RF reference) into an index key."""
    return compact(text)


def is_valid_rf(key):
    """Whether ``key`` is a valid ISO 11649 creditor reference (``RF`` + check digits)."""
    return iso11649.is_valid(key)
