"""Rule records, the extension point, and bad input."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from matching_builders import Portfolio, codes, line, viban

from odoo.addons.rental_flow_bank.engines.matching import (
    RULE_TYPES,
    BankLine,
    CandidateIndex,
    LeaseInfo,
    MatchingConfigError,
    MatchingEngine,
    MatchingInputError,
    MatchingRule,
    OpenItem,
    Reason,
    RuleConfig,
    default_rule_configs,
    register_reason_template,
    register_rule_type,
    unregister_rule_type,
)


def book():
    portfolio = Portfolio()
    portfolio.lease(42, "Jean Dupont", rent="712.43")
    return portfolio


def configs(**changes):
    """Default rule records, with ``code={...}`` changes."""
    return [replace(c, **changes.get(c.code, {})) for c in default_rule_configs()]


def test_default_pipeline_order():
    assert [c.code for c in default_rule_configs()] == [
        "virtual_iban",
        "reference",
        "known_payer",
        "payer_name",
        "combination",
    ]


def test_inactive_rule_is_skipped():
    result = book().one(
        line("712.43", credited=viban(42)), rules=configs(virtual_iban={"active": False})
    )
    assert result.status == "review"
    assert result.proposal.rule_code == "combination"


def test_threshold_of_the_rule_record_decides():
    never = book().one(
        line("712.43", credited=viban(42)), rules=configs(virtual_iban={"auto_threshold": 101})
    )
    assert never.status == "review"
    assert "score 100 below the automatic threshold 101" in never.reason
    lowered = book().one(
        line("712.43", payer="VIREMENT SEPA"), rules=configs(combination={"auto_threshold": 50})
    )
    assert lowered.status == "auto"


def test_rule_parameters_are_applied():
    result = book().one(
        line("712.43", text="LOYER L0042"),
        rules=configs(reference={"params": {"lease_code": False}}),
    )
    assert result.proposal.rule_code != "reference"


def test_combinations_switched_off_allow_exact_amounts_only():
    rules = configs(combination={"active": False})
    exact = book().one(line("712.43", credited=viban(42)), rules=rules)
    assert exact.status == "auto"
    two_months = book().one(line("1424.86", credited=viban(42), day=date(2026, 2, 6)), rules=rules)
    assert two_months.status == "review"
    assert two_months.proposal.fit == "mismatch"
    assert "several months not allowed" in two_months.reason


def test_bad_rule_records():
    with pytest.raises(MatchingConfigError):
        MatchingEngine([RuleConfig("no_such_rule")])
    with pytest.raises(MatchingConfigError):
        MatchingEngine([RuleConfig("payer_name", params={"fuzy_min": 80})])
    with pytest.raises(MatchingConfigError):
        MatchingEngine([RuleConfig("payer_name", auto_threshold=150)])
    with pytest.raises(MatchingConfigError):
        MatchingEngine([RuleConfig("combination", params={"max_month": 2})])
    with pytest.raises(MatchingConfigError):
        MatchingEngine([RuleConfig("payer_name", params={"fuzzy_min": "high"})])
    with pytest.raises(MatchingConfigError):
        MatchingEngine([RuleConfig("reference", params={"lease_code": 1})])
    with pytest.raises(MatchingInputError):
        MatchingEngine([RuleConfig("combination", params={"amount_tolerance": "abc"})])


# ------------------------------------------------------------------ extension


class TenantNumberRule(MatchingRule):
    """Tenants write their tenant number ("LOC 1234") in the remittance text."""

    code = "test_tenant_number"
    label = "Tenant number"
    strength = 3
    default_sequence = 25
    default_threshold = 95
    default_params = {"prefix": "LOC"}
    scores = {"tenant_number": MatchingRule.score_row(98, 96, 93, 90, 60)}
    numbers = {"1234": 42}

    def match(self, line, ctx):
        words = ctx.text_tokens
        proposals = []
        for word, following in zip(words, words[1:], strict=False):
            lease_id = self.numbers.get(following) if word == self.params["prefix"] else None
            if lease_id is not None:
                reason = Reason.of(
                    "test_tenant_number", ref=following, lease=ctx.lease(lease_id).code
                )
                proposals.append(ctx.propose(self, lease_id, "tenant_number", [reason]))
        return proposals


@pytest.fixture
def custom_rule():
    register_reason_template("test_tenant_number", "tenant number %(ref)s → lease %(lease)s")
    register_rule_type(TenantNumberRule)
    yield TenantNumberRule
    unregister_rule_type(TenantNumberRule.code)


def test_custom_rule_type_joins_the_pipeline(custom_rule):
    assert RULE_TYPES["test_tenant_number"] is custom_rule
    assert "test_tenant_number" in [c.code for c in default_rule_configs()]
    result = book().one(line("712.43", payer="X", text="loyer LOC 1234"))
    assert (result.status, result.proposal.rule_code, result.proposal.score) == (
        "auto",
        "test_tenant_number",
        98,
    )
    assert result.reason.startswith("tenant number 1234 → lease L0042; amount equals")
    result = book().one(
        line("712.43", payer="X", text="loyer LOC 1234"),
        rules=[RuleConfig("test_tenant_number", auto_threshold=99)],
    )
    assert result.status == "review"


def test_registry_refuses_duplicates_and_bad_classes(custom_rule):
    class Other(MatchingRule):
        code = "test_tenant_number"

    with pytest.raises(ValueError):
        register_rule_type(Other)
    with pytest.raises(TypeError):
        register_rule_type(object)

    class NoCode(MatchingRule):
        pass

    with pytest.raises(ValueError):
        register_rule_type(NoCode)

    class BadScores(MatchingRule):
        code = "test_bad_scores"
        scores = {"x": {"exact": 120}}

    with pytest.raises(ValueError):
        register_rule_type(BadScores)
    with pytest.raises(ValueError):
        register_reason_template("test_tenant_number", "another text")


# ------------------------------------------------------------------ bad input


def lease(lease_id=1, **changes):
    return LeaseInfo(**{"id": lease_id, "code": f"L{lease_id}", **changes})


def item(item_id=1, lease_id=1, **changes):
    values = {
        "id": item_id,
        "lease_id": lease_id,
        "kind": "rent",
        "amount_residual": Decimal("700.00"),
        "due_date": date(2026, 1, 5),
    }
    return OpenItem(**{**values, **changes})


@pytest.mark.parametrize(
    ("items", "leases", "message"),
    [
        ([item()], [lease(), lease()], "duplicate id"),
        ([item(), item()], [lease()], "duplicate id"),
        ([item(lease_id=9)], [lease()], "unknown lease"),
        ([item(kind="fee")], [lease()], "unknown kind"),
        ([item(amount_residual=700.0)], [lease()], "must be a Decimal"),
        ([item(amount_residual=Decimal("1.005"))], [lease()], "more than two decimal places"),
        ([item(amount_residual=Decimal("-1"))], [lease()], "negative residual"),
        ([item()], [lease(state="closed")], "unknown state"),
        ([item()], [lease(code="")], "empty code"),
        ([item()], ["L1"], "not a LeaseInfo"),
    ],
)
def test_malformed_candidates_are_refused(items, leases, message):
    with pytest.raises(MatchingInputError, match=message):
        CandidateIndex.build(items, leases)


def test_malformed_lines_are_refused_before_anything_is_matched():
    portfolio = book()
    index = portfolio.index()
    ledger = index.new_ledger()
    before = dict(ledger.residual)
    good = line("712.43", credited=viban(42))
    bad = BankLine(id=99, amount=712.43, date=date(2026, 1, 6))
    with pytest.raises(MatchingInputError, match="must be a Decimal"):
        MatchingEngine().run([good, bad], index, ledger=ledger)
    assert ledger.residual == before
    with pytest.raises(MatchingInputError, match="duplicate line ids"):
        MatchingEngine().run([good, good], index, ledger=ledger)
    with pytest.raises(MatchingInputError, match="no date"):
        MatchingEngine().run([replace(good, date=None)], index, ledger=ledger)
    assert ledger.residual == before


def test_runs_do_not_share_residuals():
    portfolio = book()
    index = portfolio.index()
    engine = MatchingEngine()
    payment = line("712.43", credited=viban(42))
    first = engine.run([payment], index)[0]
    again = engine.run([payment], index)[0]
    assert first.proposal.allocations == again.proposal.allocations
    assert "viban" in codes(first)
