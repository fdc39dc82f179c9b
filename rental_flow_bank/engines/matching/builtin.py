"""The five built-in rule types, in their default order.

Scoring table (score by evidence and by how the amount fits the lease's open items:
exact / several months / partial / overpaid / nothing open or combination not allowed).
The default automatic threshold is 90 for every rule.

=====================================  =====  =====  =======  ========  ====
Rule and evidence                      exact  multi  partial  overpaid  none
=====================================  =====  =====  =======  ========  ====
virtual_iban: current, running lease    100     98      95       92      60
virtual_iban: IBAN no longer valid       85     83      80       78      50
virtual_iban: earlier (ended) lease      88     86      60       55      40
reference: payment reference field      100     98      96       94      60
reference: payment reference in text     99     97      95       93      60
reference: rent-call number in text      98     96      94       92      60
reference: benefit file no. in text      96     94      91       90      60
reference: lease code in text            96     94      91       88      60
known_payer: IBAN of one lease           96     95      92       88      55
known_payer: IBAN of 2-3 leases          92     90      70       65      40
known_payer: name of one lease           93     91      88       85      50
known_payer: name of 2-3 leases          90     88      65       60      40
payer_name: same name                    95     93      90       85      45
payer_name: joint account / extra name   93     91      80       78      45
payer_name: misspelt name                92     90      75       72      45
payer_name: initial + family name        91     89      (65)     (60)    40
payer_name: family name only             90     88      (55)     (50)    40
payer_name: benefit payer, no name       85     80      50       50      30
combination: amount alone, one lease     50     45       0        0       0
=====================================  =====  =====  =======  ========  ====

``payer_name`` subtracts 3 when the name is found in the remittance text rather than as the
payer, and 5 when the payment is more than 40 days before or 190 days after the due date
of the first item it pays. The engine then applies, whatever the score: no automatic
reconciliation for a debit, a line in another currency, an unknown virtual IBAN, a virtual
IBAN of a property with no running lease and nothing open, a lease that is not running, an
ambiguous line (another lease within 10 points with evidence as strong) or conflicting
evidence (a stronger rule points to another lease).
"""

from collections import defaultdict

from .index import level_rank
from .model import KIND_HOUSING_BENEFIT, KINDS
from .reasons import Reason
from .rules import MatchingRule, is_valid_rf, reference_key, register_rule_type
from .text import DEPOSIT_WORDS

_row = MatchingRule.score_row


@register_rule_type
class VirtualIbanRule(MatchingRule):
    """The credited virtual IBAN names a property, hence its running lease."""

    code = "virtual_iban"
    label = "Virtual IBAN of the credited account"
    strength = 3
    default_sequence = 10
    scores = {
        "current": _row(100, 98, 95, 92, 60),
        "past": _row(85, 83, 80, 78, 50),
        "other_lease": _row(88, 86, 60, 55, 40),
    }

    def match(self, line, ctx):
        iban = ctx.credited_iban
        index = ctx.index
        if not iban or iban in index.master_ibans:
            return []
        found = index.viban_assignment(iban, line.date)
        if found is None:
            ctx.block(Reason.of("viban_unknown", iban=iban))
            return []
        assignment, current = found
        if assignment.property_id is None:
            ctx.block(Reason.of("viban_unallocated", iban=iban))
            return []
        proposals = []
        for lease_id in index.leases_by_property.get(assignment.property_id, ()):
            lease = index.leases[lease_id]
            if lease.state == "running":
                evidence = "current" if current else "past"
                if current:
                    reason = Reason.of(
                        "viban", iban=iban, property=assignment.property_name, lease=lease.code
                    )
                else:
                    reason = Reason.of(
                        "viban_past",
                        iban=iban,
                        property=assignment.property_name,
                        lease=lease.code,
                        date_to=assignment.date_to,
                    )
            elif any(ctx.ledger.has_open(lease_id, kind) for kind in KINDS):
                evidence = "other_lease"
                reason = Reason.of(
                    "viban_other_lease",
                    iban=iban,
                    property=assignment.property_name,
                    lease=lease.code,
                )
            else:
                continue
            proposal = ctx.propose(self, lease_id, evidence, [reason])
            if proposal is not None:
                proposals.append(proposal)
        if not proposals:
            ctx.block(Reason.of("viban_vacant", iban=iban, property=assignment.property_name))
        return proposals


@register_rule_type
class ReferenceRule(MatchingRule):
    """A structured reference names the rent call or the lease: the payment reference
    (ISO 11649 ``RF`` or other) in its field or in the text, the rent-call number, the
    lease code or the housing-benefit file number in the remittance text."""

    code = "reference"
    label = "Structured reference (payment reference, rent-call number, lease code)"
    strength = 3
    default_sequence = 20
    default_params = {"lease_code": True, "housing_benefit_reference": True, "free_text": True}
    scores = {
        "rf": _row(100, 98, 96, 94, 60),
        "ref_text": _row(99, 97, 95, 93, 60),
        "number": _row(98, 96, 94, 92, 60),
        "hb_reference": _row(96, 94, 91, 90, 60),
        "lease_code": _row(96, 94, 91, 88, 60),
    }
    _ORDER = ("rf", "ref_text", "number", "hb_reference", "lease_code")

    def match(self, line, ctx):
        index = ctx.index
        found = defaultdict(lambda: {"targets": [], "evidence": None, "reasons": [], "kind": None})

        def add(lease_id, evidence, reason, item_id=None, kind=None):
            entry = found[lease_id]
            if item_id is not None and item_id not in entry["targets"]:
                entry["targets"].append(item_id)
            current = entry["evidence"]
            if current is None or self._ORDER.index(evidence) < self._ORDER.index(current):
                entry["evidence"] = evidence
            if reason not in entry["reasons"] and len(entry["reasons"]) < 3:
                entry["reasons"].append(reason)
            entry["kind"] = entry["kind"] or kind

        if line.structured_reference:
            self._structured(line, ctx, add)
        if self.params["free_text"]:
            for table, key, ids in index.lookup_references(ctx.text_tokens):
                ctx.stats.lookups += 1
                self._from_text(ctx, table, key, ids, add)
        proposals = []
        for lease_id, entry in found.items():
            proposal = ctx.propose(
                self,
                lease_id,
                entry["evidence"],
                entry["reasons"],
                targets=tuple(entry["targets"]),
                kind=entry["kind"],
            )
            if proposal is not None:
                proposals.append(proposal)
        return proposals

    def _structured(self, line, ctx, add):
        index = ctx.index
        key = reference_key(line.structured_reference)
        ids = index.by_reference.get(key) or index.by_number.get(key)
        ctx.stats.lookups += 1
        if ids:
            for item_id in ids:
                item = index.items[item_id]
                lease = index.leases[item.lease_id]
                add(
                    item.lease_id,
                    "rf",
                    Reason.of(
                        "rf_reference",
                        ref=line.structured_reference,
                        number=item.number,
                        lease=lease.code,
                    ),
                    item_id,
                )
        elif key.startswith("RF") and not is_valid_rf(key):
            ctx.note(Reason.of("reference_bad_check", ref=line.structured_reference))
        elif key:
            ctx.note(Reason.of("reference_unknown", ref=line.structured_reference))

    def _from_text(self, ctx, table, key, ids, add):
        index = ctx.index
        if table in ("reference", "number"):
            evidence = "ref_text" if table == "reference" else "number"
            for item_id in ids:
                item = index.items[item_id]
                lease = index.leases[item.lease_id]
                if evidence == "ref_text":
                    reason = Reason.of(
                        "reference_in_text", ref=key, number=item.number, lease=lease.code
                    )
                else:
                    reason = Reason.of("invoice_number", number=item.number, lease=lease.code)
                add(item.lease_id, evidence, reason, item_id)
        elif table == "lease_code" and self.params["lease_code"]:
            for lease_id in ids:
                lease = index.leases[lease_id]
                add(
                    lease_id,
                    "lease_code",
                    Reason.of("lease_code", code=lease.code, lease=lease.code),
                )
        elif table == "hb_reference" and self.params["housing_benefit_reference"]:
            for lease_id in ids:
                lease = index.leases[lease_id]
                kind = (
                    KIND_HOUSING_BENEFIT
                    if ctx.ledger.has_open(lease_id, KIND_HOUSING_BENEFIT)
                    else None
                )
                add(
                    lease_id,
                    "hb_reference",
                    Reason.of(
                        "hb_reference", ref=lease.housing_benefit_reference, lease=lease.code
                    ),
                    kind=kind,
                )


@register_rule_type
class KnownPayerRule(MatchingRule):
    """The payer's IBAN or name was confirmed for a lease (learned from validations), or
    the IBAN is a bank account on record of one of the lease's parties."""

    code = "known_payer"
    label = "Known payer (confirmed IBAN or name)"
    strength = 2
    default_sequence = 30
    default_params = {"max_leases": 3}
    scores = {
        "iban": _row(96, 95, 92, 88, 55),
        "iban_shared": _row(92, 90, 70, 65, 40),
        "name": _row(93, 91, 88, 85, 50),
        "name_shared": _row(90, 88, 65, 60, 40),
    }
    # a name, even confirmed, is shared by homonyms: no stronger than a name match
    evidence_strength = {"name": 1, "name_shared": 1}

    def match(self, line, ctx):
        index = ctx.index
        max_leases = int(self.params["max_leases"])
        found = {}
        if ctx.payer_iban:
            ctx.stats.lookups += 1
            entries = index.payer_ibans.get(ctx.payer_iban, ())
            leases = list(dict.fromkeys(lease_id for lease_id, _r, _n in entries))
            if 0 < len(leases) <= max_leases:
                shared = len(leases) > 1
                for lease_id, role, name in entries:
                    if lease_id in found:
                        continue
                    code = index.leases[lease_id].code
                    if shared:
                        reason = Reason.of(
                            "known_iban_shared", iban=ctx.payer_iban, count=len(leases), lease=code
                        )
                    elif role == "known":
                        reason = Reason.of("known_iban", iban=ctx.payer_iban, lease=code)
                    else:
                        reason = Reason.of(
                            "party_iban", iban=ctx.payer_iban, role=role, name=name, lease=code
                        )
                    found[lease_id] = ("iban_shared" if shared else "iban", [reason])
        words = ctx.payer_name_tokens[0]
        if words:
            ctx.stats.lookups += 1
            leases = index.known_names.get(" ".join(sorted(words)), ())
            if 0 < len(leases) <= max_leases:
                shared = len(leases) > 1
                for lease_id in sorted(leases):
                    code = index.leases[lease_id].code
                    reason = Reason.of(
                        "known_name_shared" if shared else "known_name",
                        payer=line.payer_name,
                        count=len(leases),
                        lease=code,
                    )
                    if lease_id in found:
                        found[lease_id][1].append(reason)
                    else:
                        found[lease_id] = ("name_shared" if shared else "name", [reason])
        proposals = []
        for lease_id, (evidence, reasons) in found.items():
            proposal = ctx.propose(self, lease_id, evidence, reasons)
            if proposal is not None:
                proposals.append(proposal)
        return proposals


@register_rule_type
class PayerNameRule(MatchingRule):
    """The payer's name (or a name in the remittance text) matches a tenant, co-tenant or
    guarantor, possibly misspelt, abbreviated to an initial or reduced to the family name
    (a parent, a joint account); the amount and the date must fit. For a housing-benefit
    payer (CAF), the beneficiary's name is looked for in the remittance text."""

    code = "payer_name"
    label = "Payer name, amount and date"
    strength = 1
    default_sequence = 40
    default_params = {
        "fuzzy_min": 88,
        "typos": True,
        "remittance_names": True,
        "remittance_penalty": 3,
        "days_before_due": 40,
        "days_after_due": 190,
        "date_penalty": 5,
    }
    scores = {
        "exact": _row(95, 93, 90, 85, 45),
        "subset": _row(93, 91, 80, 78, 45),
        "fuzzy": _row(92, 90, 75, 72, 45),
        "initial": _row(91, 89, 65, 60, 40),
        "surname": _row(90, 88, 55, 50, 40),
        "hb_payer": _row(85, 80, 50, 50, 30),
    }
    _REASONS = {
        "exact": "name_exact",
        "subset": "name_subset",
        "fuzzy": "name_fuzzy",
        "initial": "name_initial",
        "surname": "name_surname",
    }

    def match(self, line, ctx):
        params = self.params
        window = (
            int(params["days_before_due"]),
            int(params["days_after_due"]),
            int(params["date_penalty"]),
        )
        hb_leases = ctx.hb_leases
        # a family name or an initial only counts with an amount that fits exactly
        fitting = ctx.leases_fitting
        best = {}
        if hb_leases:
            hits = self._search(ctx, ctx.remittance_words, [], surnames=True, fitting=fitting)
            self._keep(best, hits, 0, "text", restrict=hb_leases)
        else:
            words, initials = ctx.payer_name_tokens
            hits = self._search(
                ctx, words, initials, surnames=not ctx.payer_is_company, fitting=fitting
            )
            self._keep(best, hits, 0, "payer")
            if params["remittance_names"] and ctx.remittance_words:
                hits = self._search(
                    ctx, ctx.remittance_words, [], surnames=True, typos=False, fitting=fitting
                )
                self._keep(best, hits, int(params["remittance_penalty"]), "text")
        proposals = []
        for lease_id, (hit, penalty, source) in best.items():
            lease = ctx.lease(lease_id)
            if source == "text":
                reason = Reason.of(
                    "name_in_text", role=hit.party.role, name=hit.party.name, lease=lease.code
                )
            else:
                reason = Reason.of(
                    self._REASONS[hit.level],
                    payer=line.payer_name,
                    role=hit.party.role,
                    name=hit.party.name,
                    lease=lease.code,
                    similarity=hit.similarity,
                )
            reasons = [reason]
            if lease_id in hb_leases:
                reasons.insert(0, Reason.of("hb_payer", payer=line.payer_name, lease=lease.code))
            proposal = ctx.propose(
                self, lease_id, hit.level, reasons, penalty=penalty, date_window=window
            )
            if proposal is not None:
                proposals.append(proposal)
        if hb_leases and not best:
            proposals.extend(self._benefit_amount(line, ctx, hb_leases))
        return proposals

    def _search(self, ctx, words, initials, *, surnames, fitting, typos=None):
        if not words:
            return []
        return ctx.index.search_names(
            words,
            initials,
            ctx.stats,
            fuzzy_min=int(self.params["fuzzy_min"]),
            typos=self.params["typos"] if typos is None else typos,
            surnames=surnames,
            surname_leases=fitting,
        )

    @staticmethod
    def _keep(best, hits, penalty, source, restrict=None):
        for hit in hits:
            lease_id = hit.party.lease_id
            if restrict is not None and lease_id not in restrict:
                continue
            rank = (level_rank(hit.level), penalty, -hit.similarity)
            current = best.get(lease_id)
            if current is None or rank < (
                level_rank(current[0].level),
                current[1],
                -current[0].similarity,
            ):
                best[lease_id] = (hit, penalty, source)

    def _benefit_amount(self, line, ctx, hb_leases):
        """A benefit payer without a name: only the amount can tell the lease."""
        leases = {
            ctx.index.items[item_id].lease_id
            for item_id in ctx.amount_items
            if ctx.index.items[item_id].kind == KIND_HOUSING_BENEFIT
        } & set(hb_leases)
        if len(leases) != 1:
            return []
        lease_id = leases.pop()
        reason = Reason.of("hb_payer", payer=line.payer_name, lease=ctx.lease(lease_id).code)
        proposal = ctx.propose(self, lease_id, "hb_payer", [reason], kind=KIND_HOUSING_BENEFIT)
        return [proposal] if proposal is not None else []


@register_rule_type
class CombinationRule(MatchingRule):
    """Sets how amounts are spread once a lease is found (several months, partial payment,
    overpayment kept as credit, deposit words), and proposes a lease from the amount alone
    when exactly one lease has that much open (never automatic at the default scores)."""

    code = "combination"
    label = "Combinations (several months, partial, overpayment, deposit) and amount alone"
    strength = 0
    default_sequence = 50
    default_params = {
        "multi_month": True,
        "max_months": 6,
        "partial": True,
        "overpayment": True,
        "amount_tolerance": "0.00",
        "advance_days": 40,
        "deposit_words": list(DEPOSIT_WORDS),
        "amount_only": True,
    }
    scores = {"amount_only": _row(50, 45, 0, 0, 0)}

    def match(self, line, ctx):
        if not self.params["amount_only"] or ctx.hb_leases:
            return []
        index = ctx.index
        ctx.stats.lookups += 1
        leases = {
            index.items[item_id].lease_id
            for item_id in ctx.amount_items
            if index.items[item_id].currency == line.currency
        }
        for lease_id, _kind in ctx.ledger.leases_with_sum(ctx.amount):
            leases.add(lease_id)
            if len(leases) > 1:
                return []
        if len(leases) != 1:
            return []
        lease_id = leases.pop()
        reason = Reason.of("amount_only", amount=line.amount, lease=ctx.lease(lease_id).code)
        proposal = ctx.propose(self, lease_id, "amount_only", [reason])
        return [proposal] if proposal is not None and proposal.fit in ("exact", "multi") else []


__all__ = [
    "CombinationRule",
    "KnownPayerRule",
    "PayerNameRule",
    "ReferenceRule",
    "VirtualIbanRule",
]
