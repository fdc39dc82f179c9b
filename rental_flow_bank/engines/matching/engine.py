"""The pipeline: run the active rules on every line, pick the best proposal, decide
whether it is automatic, and reconcile automatic proposals in the run's ledger so that later
lines see what is still open.

Lines are processed by date, then id. The active rules run in sequence; once a decisive
proposal (strength 3: a virtual IBAN or a reference) could be automatic, the weaker rules
are skipped (they could neither beat nor contest it). Proposals are grouped by lease: a
lease's evidence strength is that of the strongest rule that proposed it, its proposal the
best-scored one. Leases are ranked by strength, then score. The best proposal is automatic
only when:

- its score reaches its rule's threshold, and it allocates something;
- no blocker applies: a debit or zero line, another currency than the company's, an unknown
  or unallocated virtual IBAN, a virtual IBAN of a property with no running lease and nothing
  open, a lease that is not running;
- no other lease with evidence as strong scores within ``ambiguity_margin`` points
  (ambiguity: the score is then lowered by the margin), unless the best one dominates it: an
  exact amount (one or several months) against a partial or excess one, with evidence at
  least as good (not for decisive evidence: two leases named by a virtual IBAN or a
  reference contradict each other);
- below decisive evidence, no lease found by weaker evidence fits the amount better within
  the margin (a conflict: e.g. a payer IBAN confirmed for lease A with a partial amount,
  while the payer's name matches lease B with the exact amount).

Only automatic proposals change the residuals; proposals waiting for review do not.
"""

from dataclasses import replace

from .index import CandidateIndex, MatchStats, line_problems
from .model import (
    STATUS_AUTO,
    STATUS_REVIEW,
    STATUS_SKIPPED,
    STATUS_UNMATCHED,
    LineResult,
    MatchingInputError,
    to_cents,
)
from .reasons import Reason
from .rules import MatchContext, default_policy, default_rule_configs, get_rule_type

_NOT_RECONCILABLE = ("none", "mismatch")
#: Evidence strength that names a lease by itself (virtual IBAN, reference).
DECISIVE = 3
#: How much an allocation confirms the lease: an exact amount, a plausible one, none.
_FIT_QUALITY = {"exact": 2, "multi": 2, "partial": 1, "overpaid": 1, "none": 0, "mismatch": 0}


class MatchingEngine:
    """Runs rule records on bank lines against a :class:`~.index.CandidateIndex`.

    ``rules``: :class:`~.rules.RuleConfig` records (default: one per registered type).
    ``company_currency``: lines in another currency are never automatic.
    ``ambiguity_margin``: two leases closer than this (same evidence strength) are ambiguous.
    ``min_score``: proposals scoring less are dropped. ``max_alternatives``: how many other
    leases are kept for the review queue.
    """

    def __init__(
        self,
        rules=None,
        *,
        company_currency="EUR",
        ambiguity_margin=10,
        min_score=30,
        max_alternatives=4,
    ):
        configs = list(default_rule_configs() if rules is None else rules)
        if not company_currency:
            raise MatchingInputError("company currency is required")
        self.configs = configs
        self.rules = [
            get_rule_type(config.code)(config)
            for config in sorted(configs, key=lambda c: (c.sequence, c.code))
            if config.active
        ]
        self.policy = default_policy(configs)
        self.company_currency = company_currency
        self.ambiguity_margin = int(ambiguity_margin)
        self.min_score = int(min_score)
        self.max_alternatives = int(max_alternatives)

    def run(self, lines, index, *, ledger=None, stats=None):
        """Match ``lines`` (:class:`~.model.BankLine`) and return one
        :class:`~.model.LineResult` per line, in the order given.

        Every line is checked first: malformed input raises
        :class:`~.model.MatchingInputError` before anything is matched. ``ledger``
        (default: a fresh one from the index) receives the automatic reconciliations;
        ``stats`` (a :class:`~.index.MatchStats`) receives work counters.
        """
        lines = list(lines)
        problems = [p for line in lines for p in line_problems(line)]
        ids = [line.id for line in lines if hasattr(line, "id")]
        if len(set(ids)) != len(ids):
            problems.append("duplicate line ids")
        if problems:
            raise MatchingInputError("; ".join(problems[:10]))
        ledger = index.new_ledger() if ledger is None else ledger
        stats = MatchStats() if stats is None else stats
        results = [None] * len(lines)
        order = sorted(range(len(lines)), key=lambda n: _line_order(lines[n]))
        for position in order:
            results[position] = self.match_line(lines[position], index, ledger, stats)
        return results

    def match_line(self, line, index, ledger, stats):
        """Match one line and, when automatic, apply its allocations to ``ledger``."""
        stats.lines += 1
        amount = to_cents(line.amount, f"line {line.id}")
        if amount == 0:
            return LineResult(line.id, STATUS_SKIPPED, notes=(Reason.of("zero_amount"),))
        if amount < 0:
            return LineResult(line.id, STATUS_SKIPPED, notes=(Reason.of("debit"),))
        ctx = MatchContext(line, index, ledger, self.policy, stats, self.min_score)
        if line.currency != self.company_currency:
            ctx.block(
                Reason.of(
                    "currency", currency=line.currency, company_currency=self.company_currency
                )
            )
        proposals = []
        decided = False
        for rule in self.rules:
            if decided and rule.max_strength() < DECISIVE:
                continue
            stats.rule_calls += 1
            for proposal in rule.match(line, ctx):
                if proposal is None:
                    continue
                proposals.append(proposal)
                decided = decided or (proposal.strength >= DECISIVE and _eligible(proposal, ctx))
        if not proposals:
            notes = (*ctx.blockers, *ctx.notes, Reason.of("no_match"))
            return LineResult(line.id, STATUS_UNMATCHED, notes=notes)
        best, alternatives = self._decide(proposals, ctx)
        if best.auto:
            ledger.apply([(a.item_id, to_cents(a.amount, "allocation")) for a in best.allocations])
        status = STATUS_AUTO if best.auto else STATUS_REVIEW
        return LineResult(line.id, status, best, alternatives, tuple(ctx.notes))

    @staticmethod
    def _rank(proposal):
        return (proposal.score, proposal.strength, -proposal.sequence, -proposal.lease_id)

    def _decide(self, proposals, ctx):
        """Pick the best lease and decide whether its proposal is automatic."""
        per_lease = {}
        strength = {}
        for proposal in proposals:
            lease_id = proposal.lease_id
            if lease_id not in per_lease or self._rank(proposal) > self._rank(per_lease[lease_id]):
                per_lease[lease_id] = proposal
            strength[lease_id] = max(strength.get(lease_id, 0), proposal.strength)
        leases = [replace(p, strength=strength[p.lease_id]) for p in per_lease.values()]
        leases.sort(key=lambda p: (p.strength, *self._rank(p)), reverse=True)
        best = leases[0]
        reasons = list(best.reasons)
        for proposal in proposals:
            same_lease = proposal.lease_id == best.lease_id
            if same_lease and proposal.rule_code != best.rule_code and proposal.reasons:
                if proposal.reasons[0] not in reasons:
                    reasons.append(proposal.reasons[0])
        blockers = [*ctx.blockers, *best.blockers]
        score = self._contest(best, leases[1:], blockers)
        if not best.allocations or best.fit in _NOT_RECONCILABLE:
            blockers.append(Reason.of("nothing_to_reconcile"))
        elif score < best.threshold:
            blockers.append(Reason.of("below_threshold", score=score, threshold=best.threshold))
        best = replace(
            best, score=score, reasons=tuple(reasons), blockers=tuple(blockers), auto=not blockers
        )
        alternatives = tuple(replace(p, auto=False) for p in leases[1 : 1 + self.max_alternatives])
        return best, alternatives

    def _contest(self, best, others, blockers):
        """Check the best lease against the others; return its (possibly lowered) score.

        Leases are ranked by evidence strength (the strongest rule that proposed them), then
        score. Another lease with evidence as strong and a score within the margin makes the
        line ambiguous (score lowered by the margin), unless the best one dominates it: its
        amount fits better (exactly, against a partial or an overpayment) and its evidence
        is at least as good -- never for decisive evidence: two leases named by virtual IBAN
        or reference contradict each other. Below decisive evidence (a virtual IBAN, a
        reference), a lease found by weaker evidence whose amount fits better, within the
        margin, is a conflict.
        """
        for other in others:
            if other.score < best.score - self.ambiguity_margin:
                continue
            better_fit = _FIT_QUALITY[other.fit] > _FIT_QUALITY[best.fit]
            if other.strength == best.strength:
                dominates = (
                    best.strength < DECISIVE
                    and _FIT_QUALITY[best.fit] > _FIT_QUALITY[other.fit]
                    and best.base_score >= other.base_score
                )
                if not dominates:
                    blockers.append(
                        Reason.of("ambiguous", other=other.lease_code, other_score=other.score)
                    )
                    return max(0, min(best.score, other.score) - self.ambiguity_margin)
            elif best.strength < DECISIVE and better_fit:
                blockers.append(Reason.of("conflict", rule=other.rule_code, other=other.lease_code))
                return best.score
        return best.score


def _eligible(proposal, ctx):
    """Whether a proposal could be automatic on its own (score, allocation, no blocker)."""
    return (
        not ctx.blockers
        and not proposal.blockers
        and proposal.score >= proposal.threshold
        and bool(proposal.allocations)
        and proposal.fit not in _NOT_RECONCILABLE
    )


def _line_order(line):
    """Lines are processed by date, then id (numbers before other ids)."""
    if isinstance(line.id, int):
        return (line.date, 0, line.id, "")
    return (line.date, 1, 0, str(line.id))


def match_lines(
    lines, items, leases, virtual_ibans=(), *, rules=None, company_currency="EUR", master_ibans=()
):
    """Convenience: build the index and run the engine once. Returns the line results."""
    index = CandidateIndex.build(items, leases, virtual_ibans, master_ibans=master_ibans)
    engine = MatchingEngine(rules, company_currency=company_currency)
    return engine.run(lines, index)
