"""Matching engine: recognise which lease an incoming bank line pays, and how much of
which open item it settles.

Pure Python (no Odoo import). The Odoo side reads candidates in bulk, fills the input
dataclasses, builds one :class:`CandidateIndex` per run and calls
:meth:`MatchingEngine.run`::

    from odoo.addons.rental_flow_bank.engines.matching import (
        BankLine, CandidateIndex, LeaseInfo, MatchingEngine, OpenItem, RuleConfig, VirtualIban,
    )

    index = CandidateIndex.build(open_items, leases, virtual_ibans, master_ibans=[master])
    engine = MatchingEngine(rule_configs, company_currency="EUR")
    for result in engine.run(bank_lines, index):
        if result.status == "auto":
            reconcile(result.line_id, result.proposal.allocations,
                      credit=result.proposal.unallocated)
        elif result.status == "review":
            queue(result.line_id, result.proposal, result.alternatives, result.reason)

Rules (by default, in this order): ``virtual_iban``, ``reference``, ``known_payer``,
``payer_name``, ``combination``; their scoring table is in :mod:`.builtin`. New rule types
subclass :class:`MatchingRule` and are registered with :func:`register_rule_type` (see
:mod:`.rules`).
"""

from . import builtin  # noqa: F401  (registers the built-in rule types)
from .allocation import AllocationPolicy, allocate
from .builtin import CombinationRule, KnownPayerRule, PayerNameRule, ReferenceRule, VirtualIbanRule
from .engine import MatchingEngine, match_lines
from .index import CandidateIndex, Ledger, MatchStats, NameHit
from .model import (
    KIND_DEPOSIT,
    KIND_HOUSING_BENEFIT,
    KIND_RENT,
    KINDS,
    STATUS_AUTO,
    STATUS_REVIEW,
    STATUS_SKIPPED,
    STATUS_UNMATCHED,
    Allocation,
    BankLine,
    KnownPayer,
    LeaseInfo,
    LineResult,
    MatchingInputError,
    OpenItem,
    Party,
    Proposal,
    VirtualIban,
)
from .reasons import REASON_TEMPLATES, Reason, register_reason_template, render
from .rules import (
    RULE_TYPES,
    MatchContext,
    MatchingConfigError,
    MatchingRule,
    RuleConfig,
    default_rule_configs,
    get_rule_type,
    register_rule_type,
    unregister_rule_type,
)

__all__ = [
    "KIND_DEPOSIT",
    "KIND_HOUSING_BENEFIT",
    "KIND_RENT",
    "KINDS",
    "REASON_TEMPLATES",
    "RULE_TYPES",
    "STATUS_AUTO",
    "STATUS_REVIEW",
    "STATUS_SKIPPED",
    "STATUS_UNMATCHED",
    "Allocation",
    "AllocationPolicy",
    "BankLine",
    "CandidateIndex",
    "CombinationRule",
    "KnownPayer",
    "KnownPayerRule",
    "LeaseInfo",
    "Ledger",
    "LineResult",
    "MatchContext",
    "MatchStats",
    "MatchingConfigError",
    "MatchingEngine",
    "MatchingInputError",
    "MatchingRule",
    "NameHit",
    "OpenItem",
    "Party",
    "PayerNameRule",
    "Proposal",
    "Reason",
    "ReferenceRule",
    "RuleConfig",
    "VirtualIban",
    "VirtualIbanRule",
    "allocate",
    "default_rule_configs",
    "get_rule_type",
    "match_lines",
    "register_reason_template",
    "register_rule_type",
    "render",
    "unregister_rule_type",
]
