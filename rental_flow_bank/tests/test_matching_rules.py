"""Each matching rule end to end: bank line → proposal → standard reconciliation."""

from datetime import date

from odoo.tests import tagged

from .common_matching import MatchingCommon


@tagged("post_install", "-at_install")
class TestMatchingRules(MatchingCommon):
    def test_virtual_iban_reconciles_automatically(self):
        line = self.bank_line(960.0, rental_credited_iban=self.viban_of(self.unit),
                              partner_name="SOMEONE ELSE")
        stats = self.match(line)
        self.assertEqual((stats["lines"], stats["auto"], stats["review"]), (1, 1, 0))
        proposal = self.proposal(line)
        self.assertEqual(proposal.state, "auto")
        self.assertEqual(proposal.lease_id, self.lease_a)
        self.assertGreaterEqual(proposal.score, 90)
        self.assertIn("virtual IBAN", proposal.reason)
        self.assertEqual(proposal.line_ids.move_id, self.jan_a)
        self.assertEqual(proposal.score_band, "high")
        self.assertTrue(line.is_reconciled)
        self.assertEqual(self.jan_a.payment_state, "paid")
        self.assertEqual(self.feb_a.payment_state, "not_paid")
        self.assertEqual(len(self.splits(self.jan_a)), 1, "the owner split follows")
        # the proposal is the log of the automatic reconciliation
        self.assertEqual(proposal.rule_id,
                         self.env.ref("rental_flow_bank.matching_rule_virtual_iban"))
        self.assertTrue(proposal.decided_on)
        self.assertEqual(line.rental_proposal_ids, proposal)

    def test_score_band_given_at_creation_follows_the_score(self):
        """The matching gives the band with the score; it stays computed from the score
        (in the database as in the cache), and the queue filters by it."""
        line = self.bank_line(960.0, partner_name="SOMEONE ELSE")
        self.match(line)
        proposal = self.proposal(line)
        Proposal = self.env["rental.match.proposal"]
        for score, band in ((95, "high"), (72, "medium"), (10, "low")):
            proposal.score = score
            self.env.flush_all()
            proposal.invalidate_recordset(["score_band"])
            self.assertEqual(proposal.score_band, band)
            self.assertEqual(Proposal.search([("id", "=", proposal.id),
                                              ("score_band", "=", band)]), proposal)

    def test_reasons_in_the_user_language(self):
        """The queue explains itself in the accountant's language (French here): the
        engine's templates and words come from the addon's translations."""
        self.env["res.lang"]._activate_lang("fr_FR")
        line = self.bank_line(960.0, partner_name="BERNARD MOREAUX")
        self.match(line.with_context(lang="fr_FR"))
        reason = self.proposal(line).reason
        self.assertIn("le payeur BERNARD MOREAUX", reason)
        self.assertIn("(garant) du bail", reason)
        self.assertNotIn("guarantor", reason)
        # in English otherwise
        line_en = self.bank_line(960.0, partner_name="BERNARD MOREAUX")
        self.match(line_en.with_context(lang="en_US"))
        self.assertIn("guarantor", self.proposal(line_en).reason)

    def test_reference_in_the_label(self):
        line = self.bank_line(960.0, payment_ref=f"LOYER {self.jan_a.payment_reference}",
                              partner_name="M OU MME X")
        self.match(line)
        proposal = self.proposal(line)
        self.assertEqual(proposal.state, "auto", proposal.reason)
        self.assertEqual(proposal.rule_id.rule_type, "reference")
        self.assertIn(self.jan_a.payment_reference, proposal.reason)
        self.assertEqual(self.jan_a.payment_state, "paid")

    def test_known_payer_iban(self):
        self.env["rental.known.payer"].create(
            {"lease_id": self.lease_b.id, "iban": "FR76 3000 4000 0312 3456 7890 143"}
        )
        line = self.bank_line(750.0, partner_name="SCI DES TILLEULS",
                              account_number="FR7630004000031234567890143")
        self.match(line)
        proposal = self.proposal(line)
        self.assertEqual(proposal.lease_id, self.lease_b)
        self.assertEqual(proposal.rule_id.rule_type, "known_payer")
        self.assertEqual(proposal.state, "auto", proposal.reason)
        self.assertEqual(self.jan_b.payment_state, "paid")

    def test_guarantor_with_a_misspelt_name(self):
        line = self.bank_line(960.0, partner_name="BERNARD MOREAUX")
        self.match(line)
        proposal = self.proposal(line)
        self.assertEqual(proposal.lease_id, self.lease_a)
        self.assertEqual(proposal.rule_id.rule_type, "payer_name")
        self.assertIn("guarantor", proposal.reason)
        self.assertEqual(proposal.state, "auto", proposal.reason)
        self.assertEqual(self.jan_a.payment_state, "paid")

    def test_cotenant_name(self):
        line = self.bank_line(750.0, partner_name="MME SOFIA BENALI")
        self.match(line)
        proposal = self.proposal(line)
        self.assertEqual(proposal.lease_id, self.lease_b)
        self.assertEqual(proposal.state, "auto", proposal.reason)

    def test_two_months_oldest_first(self):
        line = self.bank_line(1920.0, rental_credited_iban=self.viban_of(self.unit))
        self.match(line)
        proposal = self.proposal(line)
        self.assertEqual(proposal.state, "auto", proposal.reason)
        self.assertEqual(proposal.line_ids.move_id, self.jan_a | self.feb_a)
        self.assertEqual((self.jan_a | self.feb_a).mapped("payment_state"), ["paid", "paid"])

    def test_partial_payment_goes_to_the_oldest(self):
        line = self.bank_line(500.0, rental_credited_iban=self.viban_of(self.unit))
        self.match(line)
        proposal = self.proposal(line)
        self.assertEqual(proposal.state, "auto", proposal.reason)
        self.assertEqual(self.jan_a.payment_state, "partial")
        self.assertAlmostEqual(self.jan_a.amount_residual, 460.0)
        self.assertEqual(self.feb_a.payment_state, "not_paid")

    def test_overpayment_kept_as_the_tenants_credit(self):
        line = self.bank_line(2000.0, rental_credited_iban=self.viban_of(self.unit))
        self.match(line)
        proposal = self.proposal(line)
        self.assertEqual(proposal.state, "auto", proposal.reason)
        self.assertAlmostEqual(proposal.unallocated, 80.0)
        self.assertEqual((self.jan_a | self.feb_a).mapped("payment_state"), ["paid", "paid"])
        credit = line.move_id.line_ids.filtered(
            lambda aml: aml.account_id == self.tenant_account and not aml.reconciled
        )
        self.assertEqual(credit.partner_id, self.marie)
        self.assertAlmostEqual(credit.amount_residual, -80.0)

    def test_deposit_told_apart_from_rent(self):
        unit = self.env["rental.property"].create(
            {"name": "Flat 3", "parent_id": self.building.id, "mandate_id": self.mandate.id}
        )
        lease = self.make_lease(unit=unit, rent=900.0, charges=60.0, deposit=1800.0,
                                tenant_id=self.karim.id)
        unit.virtual_iban_assignment_ids.write({"date_from": date(2025, 1, 1)})
        lease.action_issue_deposit_call()
        rent_calls = self.issue(lease, until=date(2026, 2, 1))
        deposit = self.calls(lease, "deposit")
        self.assertEqual(len(deposit), 1)
        line = self.bank_line(1800.0, rental_credited_iban=self.viban_of(unit),
                              payment_ref="DEPOT DE GARANTIE")
        self.match(line)
        proposal = self.proposal(line)
        self.assertEqual(proposal.state, "auto", proposal.reason)
        self.assertEqual(proposal.kind, "deposit")
        self.assertEqual(deposit.payment_state, "paid")
        self.assertEqual(set(rent_calls.mapped("payment_state")), {"not_paid"})

    def test_housing_benefit_paid_by_the_caf(self):
        unit = self.env["rental.property"].create(
            {"name": "Flat 4", "parent_id": self.building.id, "mandate_id": self.mandate.id}
        )
        julie = self.env["res.partner"].create({"name": "Julie MARTIN"})
        lease = self.make_lease(unit=unit, rent=700.0, charges=40.0, tenant_id=julie.id,
                                housing_benefit_amount=200.0,
                                housing_benefit_payer_id=self.caf.id,
                                guarantor_ids=[])
        self.issue(lease, until=date(2026, 1, 1))
        benefit = self.calls(lease, "housing_benefit")
        self.assertEqual(len(benefit), 1)
        line = self.bank_line(200.0, partner_name="CAF DE PARIS",
                              payment_ref="AL MARTIN JULIE 012026")
        self.match(line)
        proposal = self.proposal(line)
        self.assertEqual(proposal.lease_id, lease)
        self.assertEqual(proposal.kind, "housing_benefit")
        self.assertEqual(proposal.line_ids.move_id, benefit)
        self.assertEqual(proposal.state, "auto", proposal.reason)
        self.assertEqual(benefit.payment_state, "paid")
        self.assertEqual(self.calls(lease).payment_state, "not_paid")

    def test_amount_alone_waits_for_review(self):
        line = self.bank_line(750.0, partner_name="X")
        stats = self.match(line)
        proposal = self.proposal(line)
        self.assertEqual(stats["review"], 1)
        self.assertEqual(proposal.state, "review")
        self.assertEqual(proposal.lease_id, self.lease_b)
        self.assertLess(proposal.score, 90)
        self.assertFalse(line.is_reconciled)

    def test_nothing_found_is_visible_as_unmatched(self):
        line = self.bank_line(123.45, partner_name="UNKNOWN PAYER", payment_ref="REMBOURSEMENT")
        stats = self.match(line)
        proposal = self.proposal(line)
        self.assertEqual(stats["unmatched"], 1)
        self.assertEqual(proposal.state, "unmatched")
        self.assertFalse(proposal.lease_id)
        self.assertTrue(proposal.reason)

    def test_threshold_decides_auto_or_review(self):
        rule = self.env.ref("rental_flow_bank.matching_rule_payer_name")
        rule.auto_threshold = 100
        line = self.bank_line(960.0, partner_name="BERNARD MOREAUX")
        self.match(line)
        proposal = self.proposal(line)
        self.assertEqual(proposal.state, "review")
        self.assertIn("below the automatic threshold 100", proposal.reason)
        self.assertFalse(line.is_reconciled)
        # a rule that never reconciles by itself
        viban_rule = self.env.ref("rental_flow_bank.matching_rule_virtual_iban")
        viban_rule.auto_reconcile = False
        line2 = self.bank_line(750.0, rental_credited_iban=self.viban_of(self.unit2))
        self.match(line2)
        self.assertEqual(self.proposal(line2).state, "review")
        self.assertEqual(self.proposal(line2).score, 100)

    def test_inactive_rule_is_not_applied(self):
        self.env.ref("rental_flow_bank.matching_rule_virtual_iban").active = False
        line = self.bank_line(960.0, rental_credited_iban=self.viban_of(self.unit),
                              partner_name="NOBODY")
        self.match(line)
        self.assertNotEqual(self.proposal(line).rule_id.rule_type, "virtual_iban")


@tagged("post_install", "-at_install")
class TestMatchingBadData(MatchingCommon):
    def test_foreign_currency_line_is_skipped(self):
        usd = self.env.ref("base.USD")
        usd.active = True
        line = self.bank_line(960.0, rental_credited_iban=self.viban_of(self.unit),
                              foreign_currency_id=usd.id, amount_currency=1100.0)
        stats = self.match(line)
        self.assertEqual((stats["skipped"], stats["auto"]), (1, 0))
        proposal = self.proposal(line)
        self.assertEqual(proposal.state, "unmatched")
        self.assertIn("USD", proposal.reason)
        self.assertFalse(line.is_reconciled)
        self.assertEqual(self.jan_a.payment_state, "not_paid")

    def test_unknown_virtual_iban_is_never_automatic(self):
        line = self.bank_line(960.0, rental_credited_iban="FR7617338000030000000009988",
                              payment_ref=f"LOYER {self.jan_a.payment_reference}")
        self.match(line)
        proposal = self.proposal(line)
        self.assertEqual(proposal.state, "review")
        self.assertEqual(proposal.lease_id, self.lease_a)
        self.assertIn("not a known virtual IBAN", proposal.reason)
        self.assertFalse(line.is_reconciled)

    def test_ended_lease_is_never_automatic(self):
        unit = self.env["rental.property"].create(
            {"name": "Flat 5", "parent_id": self.building.id, "mandate_id": self.mandate.id}
        )
        lease = self.make_lease(unit=unit, start=date(2025, 10, 1), tenant_id=self.karim.id)
        calls = self.issue(lease, until=date(2026, 1, 1))
        lease.date_end = date(2026, 1, 31)
        lease.action_end()
        self.assertEqual(lease.state, "ended")
        line = self.bank_line(960.0, payment_ref=f"VIR {calls[-1].payment_reference}")
        self.match(line)
        proposal = self.proposal(line)
        self.assertEqual(proposal.lease_id, lease)
        self.assertEqual(proposal.state, "review")
        self.assertIn("ended", proposal.reason)
        self.assertFalse(line.is_reconciled)

    def test_outgoing_reconciled_and_not_rent_lines_are_left_alone(self):
        out = self.bank_line(-50.0)
        not_rent = self.bank_line(960.0, rental_credited_iban=self.viban_of(self.unit))
        not_rent.action_rental_not_rent()
        stats = self.match(out | not_rent)
        self.assertEqual(stats["lines"], 0)
        self.assertFalse(out.rental_proposal_ids)
        self.assertFalse(not_rent.rental_proposal_ids)

    def test_one_failure_does_not_stop_the_batch(self):
        from unittest.mock import patch

        from odoo.exceptions import UserError

        from odoo.addons.rental_flow_bank.models.rental_match_proposal import (
            RentalMatchProposal,
        )

        first = self.bank_line(960.0, rental_credited_iban=self.viban_of(self.unit))
        second = self.bank_line(750.0, rental_credited_iban=self.viban_of(self.unit2))
        original = RentalMatchProposal._rental_reconcile

        def flaky(proposal):
            if proposal.statement_line_id == first:
                original(proposal)  # changes the database, then fails
                raise UserError("bank is down")
            return original(proposal)

        Line = type(self.env["account.bank.statement.line"])
        original_many = Line._rental_replace_suspense_many

        def flaky_many(lines, plan):
            result = original_many(lines, plan)  # changes the database, then fails
            if first in lines:
                raise UserError("bank is down")
            return result

        with patch.object(RentalMatchProposal, "_rental_reconcile", flaky), \
                patch.object(Line, "_rental_replace_suspense_many", flaky_many):
            stats = self.match(first | second)
        self.assertEqual((stats["auto"], stats["errors"], stats["review"]), (1, 1, 1))
        self.assertFalse(first.is_reconciled, "rolled back to its savepoint")
        self.assertEqual(self.jan_a.payment_state, "not_paid")
        self.assertEqual(self.proposal(first).state, "review")
        self.assertIn("bank is down", self.proposal(first).reason)
        self.assertTrue(second.is_reconciled)
        self.assertEqual(self.jan_b.payment_state, "paid")

    def test_batch_reconciliation_failure_falls_back_line_by_line(self):
        from unittest.mock import patch

        from odoo.exceptions import UserError

        first = self.bank_line(960.0, rental_credited_iban=self.viban_of(self.unit))
        second = self.bank_line(750.0, rental_credited_iban=self.viban_of(self.unit2))
        Line = type(self.env["account.move.line"])
        original = Line._reconcile_plan
        poisoned = self.receivable(self.jan_a)
        calls = []

        def plan(records, reconciliation_plan):
            calls.append(len(reconciliation_plan))
            if any(poisoned & pair for pair in reconciliation_plan):
                raise UserError("locked period")
            return original(records, reconciliation_plan)

        with patch.object(Line, "_reconcile_plan", plan):
            stats = self.match(first | second)
        self.assertEqual(calls, [2, 1, 1], "one batch, then line by line")
        self.assertEqual((stats["auto"], stats["errors"]), (1, 1))
        self.assertFalse(first.is_reconciled)
        __, suspense, other = first._seek_for_lines()
        self.assertEqual((len(suspense), len(other)), (1, 0), "suspense item restored")
        self.assertEqual(self.proposal(first).state, "review")
        self.assertIn("locked period", self.proposal(first).reason)
        self.assertTrue(second.is_reconciled)
        self.assertEqual(self.jan_b.payment_state, "paid")
        self.assertEqual(self.jan_a.payment_state, "not_paid")

    def test_engine_refusing_the_data_leaves_the_lines_visible(self):
        from unittest.mock import patch

        from odoo.addons.rental_flow_bank.engines.matching import MatchingInputError
        from odoo.addons.rental_flow_bank.models import account_bank_statement_line_match as mod

        line = self.bank_line(960.0, rental_credited_iban=self.viban_of(self.unit))
        with patch.object(mod.MatchingEngine, "run",
                          side_effect=MatchingInputError("item 7: no due date")):
            stats = self.match(line)
        self.assertEqual((stats["errors"], stats["auto"]), (1, 0))
        proposal = self.proposal(line)
        self.assertEqual(proposal.state, "unmatched")
        self.assertIn("no due date", proposal.reason)
        self.assertEqual(proposal.journal_id, self.bank_journal)
        self.assertFalse(line.is_reconciled)
        # the cron leaves it alone; a person can match it again once the data is fixed
        self.assertEqual(self.env["account.bank.statement.line"]._rental_match()["lines"], 0)
        self.assertEqual(self.match(line)["auto"], 1)
        self.assertEqual(self.proposal(line).state, "auto")

    def test_bad_rule_parameters_are_refused(self):
        from odoo.exceptions import ValidationError

        rule = self.env.ref("rental_flow_bank.matching_rule_payer_name")
        with self.assertRaises(ValidationError):
            rule.auto_threshold = 120
        with self.assertRaises(ValidationError):
            rule.extra_params = '{"no_such_param": 1}'
        with self.assertRaises(ValidationError):
            rule.extra_params = "not json"
        config = rule._to_rule_config()
        self.assertEqual(config.params["fuzzy_min"], 88)
        self.assertEqual(config.code, "payer_name")


@tagged("post_install", "-at_install")
class TestMatchingExtension(MatchingCommon):
    """The extension point of USAGE.md: a rule type registered in the engine and chosen
    by a rule record, with its parameter in 'Other Parameters'."""

    def test_custom_rule_type(self):
        from unittest.mock import patch

        from odoo.addons.rental_flow_bank.engines.matching import (
            MatchingRule,
            Reason,
            register_reason_template,
            register_rule_type,
            unregister_rule_type,
        )

        register_reason_template("tenant_number", "tenant number %(ref)s → lease %(lease)s")

        class TenantNumberRule(MatchingRule):
            code = "tenant_number"
            label = "Tenant number in the remittance text"
            strength = 3
            default_sequence = 25
            default_params = {"prefix": "LOC"}
            scores = {"tenant_number": MatchingRule.score_row(97, 95, 92, 90, 60)}

            def match(self, line, ctx):
                words = ctx.text_tokens
                proposals = []
                for word, following in zip(words, words[1:], strict=False):
                    if word == self.params["prefix"]:
                        for lease_id in ctx.index.by_lease_code.get(following, ()):
                            reason = Reason.of("tenant_number", ref=following,
                                               lease=ctx.lease(lease_id).code)
                            proposal = ctx.propose(self, lease_id, "tenant_number", [reason])
                            if proposal is not None:
                                proposals.append(proposal)
                return proposals

        register_rule_type(TenantNumberRule)
        self.addCleanup(unregister_rule_type, "tenant_number")
        # what ``selection_add`` does in the integrator's module
        field = self.env["rental.matching.rule"]._fields["rule_type"]
        values = {**field._selection, "tenant_number": "Tenant number"}
        with patch.object(field, "_selection", values):
            rule = self.env["rental.matching.rule"].create({
                "name": "Tenant number", "rule_type": "tenant_number", "sequence": 25,
                "extra_params": '{"prefix": "LOCATAIRE"}',
            })
            self.assertEqual(rule._to_rule_config().params, {"prefix": "LOCATAIRE"})
            line = self.bank_line(750.0, payment_ref=f"LOCATAIRE {self.lease_b.name} FEVRIER")
            self.match(line)
        proposal = self.proposal(line)
        self.assertEqual(proposal.rule_id, rule)
        self.assertEqual(proposal.lease_id, self.lease_b)
        self.assertEqual(proposal.state, "auto", proposal.reason)
        self.assertIn(f"tenant number {self.lease_b.name}", proposal.reason)
        self.assertEqual(self.jan_b.payment_state, "paid")
