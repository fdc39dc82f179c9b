"""The review queue: accept, reassign, split, not rent, stale proposals, undo, learning,
the cron and the import hook."""

from datetime import date
from decimal import Decimal

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common_bankfeeds import MASTER_IBAN, VIBANS, camt_statement, credit_entry
from .common_matching import MatchingCommon


@tagged("post_install", "-at_install")
class TestMatchingQueue(MatchingCommon):
    def review_line(self, amount=750.0, state="review", **values):
        """A line the engine proposes for lease B from its amount alone (to review)."""
        values.setdefault("partner_name", "J DOE")
        values.setdefault("account_number", "FR7630004000031234567890143")
        line = self.bank_line(amount, **values)
        self.match(line)
        proposal = self.proposal(line)
        self.assertEqual(proposal.state, state, proposal.reason)
        return line, proposal

    def test_accept_reconciles_and_learns_the_payer(self):
        line, proposal = self.review_line()
        self.assertEqual(proposal.lease_id, self.lease_b)
        proposal.action_accept()
        self.assertEqual(proposal.state, "accepted")
        self.assertEqual(proposal.decided_by_id, self.env.user)
        self.assertTrue(any("accepted by" in (m.body or "") for m in line.move_id.message_ids))
        self.assertTrue(line.is_reconciled)
        self.assertEqual(self.jan_b.payment_state, "paid")
        known = self.env["rental.known.payer"].search([("lease_id", "=", self.lease_b.id)])
        self.assertEqual(known.iban, "FR7630004000031234567890143")
        self.assertEqual(known.name, "J DOE")
        self.assertEqual((known.source, known.count), ("imported", 1))
        # learning: the next payment from that account is recognised and reconciled
        line2 = self.bank_line(750.0, day=date(2026, 3, 5), partner_name="J DOE",
                               account_number="FR76 3000 4000 0312 3456 7890 143")
        self.match(line2)
        second = self.proposal(line2)
        self.assertEqual(second.rule_id.rule_type, "known_payer")
        self.assertEqual(second.state, "auto", second.reason)
        self.assertEqual(self.feb_b.payment_state, "paid")
        # accepting again counts the payer instead of duplicating it
        __, third = self.review_line(10.0, partner_name="J DOE")
        self.assertEqual(third.rule_id.rule_type, "known_payer")
        third.action_accept()
        self.assertEqual(len(known.search([("lease_id", "=", self.lease_b.id)])), 1)
        self.assertEqual(known.count, 2)

    def test_multi_record_accept(self):
        line1, first = self.review_line()
        line2, second = self.review_line(960.0, partner_name="ZZ", account_number=False)
        self.assertEqual(second.lease_id, self.lease_a)
        (first | second).action_accept()
        self.assertEqual((first | second).mapped("state"), ["accepted", "accepted"])
        self.assertTrue(line1.is_reconciled and line2.is_reconciled)

    def test_stale_proposals_give_a_clear_error(self):
        line, proposal = self.review_line()
        # the rent call is paid by another line meanwhile
        other = self.bank_line(750.0, payment_ref=f"VIR {self.jan_b.payment_reference}")
        self.match(other)
        self.assertEqual(self.jan_b.payment_state, "paid")
        with self.assertRaisesRegex(UserError, "paid meanwhile"):
            proposal.action_accept()
        self.assertFalse(line.is_reconciled)
        # the line is reconciled meanwhile (by hand)
        line2, proposal2 = self.review_line(960.0, partner_name="ZZ", account_number=False)
        line2._rental_reconcile_with([(self.receivable(self.jan_a), 960.0)])
        with self.assertRaisesRegex(UserError, "reconciled or set aside meanwhile"):
            proposal2.action_accept()
        # a decided proposal cannot be accepted twice
        with self.assertRaisesRegex(UserError, "cannot be applied"):
            self.proposal(other).action_accept()

    def test_reassign_to_another_lease_oldest_first(self):
        line, proposal = self.review_line(960.0, partner_name="ZZ", account_number=False)
        self.assertEqual(proposal.lease_id, self.lease_a)
        action = proposal.action_reassign()
        wizard = self.env[action["res_model"]].with_context(action["context"]).create({})
        self.assertEqual(wizard.line_ids.move_id, self.jan_a)
        wizard.lease_id = self.lease_b
        wizard.move_ids = False
        wizard._rental_allocate_oldest_first()
        self.assertEqual(wizard.line_ids.mapped("amount"), [750.0, 210.0])
        wizard.action_apply()
        self.assertEqual(proposal.state, "rejected")
        accepted = self.proposal(line)
        self.assertEqual(accepted.state, "accepted")
        self.assertEqual(accepted.lease_id, self.lease_b)
        self.assertIn("Reassign", accepted.reason)
        self.assertEqual(self.jan_b.payment_state, "paid")
        self.assertEqual(self.feb_b.payment_state, "partial")
        self.assertEqual(self.jan_a.payment_state, "not_paid")
        self.assertTrue(self.env["rental.known.payer"].search([("lease_id", "=", self.lease_b.id)]))

    def test_reassign_through_the_form(self):
        from odoo.tests import Form

        line, proposal = self.review_line(960.0, partner_name="ZZ", account_number=False)
        action = proposal.action_reassign()
        with Form(self.env[action["res_model"]].with_context(action["context"])) as form:
            self.assertEqual(form.line_ids._records[0]["amount"], 960.0)
            form.lease_id = self.lease_b
            form.move_ids.clear()
            self.assertEqual([r["amount"] for r in form.line_ids._records], [750.0, 210.0])
            self.assertEqual(form.rest, 0.0)
        form.record.action_apply()
        self.assertEqual(self.proposal(line).lease_id, self.lease_b)
        self.assertEqual((self.jan_b | self.feb_b).mapped("payment_state"), ["paid", "partial"])

    def test_split_across_rent_calls_with_a_credit(self):
        line, proposal = self.review_line(1000.0, partner_name="ZZ", account_number=False,
                                          payment_ref="LOYERS", state="unmatched")
        action = proposal.action_split()
        wizard = self.env[action["res_model"]].with_context(action["context"]).create(
            {"lease_id": self.lease_a.id}
        )
        wizard.move_ids = self.jan_a | self.feb_a
        wizard._rental_allocate_oldest_first()
        self.assertEqual(wizard.line_ids.mapped("amount"), [0.0, 0.0], "split: typed amounts")
        wizard.line_ids[1].amount = 400.0
        wizard._rental_allocate_oldest_first()
        self.assertEqual(wizard.line_ids.mapped("amount"), [0.0, 400.0], "typed amounts kept")
        wizard.line_ids[0].amount = 500.0
        wizard.line_ids[1].amount = 400.0
        self.assertAlmostEqual(wizard.rest, 100.0)
        wizard.action_apply()
        self.assertAlmostEqual(self.jan_a.amount_residual, 460.0)
        self.assertAlmostEqual(self.feb_a.amount_residual, 560.0)
        self.assertTrue(line.is_reconciled)
        credit = line.move_id.line_ids.filtered(
            lambda aml: aml.account_id == self.tenant_account and not aml.reconciled
        )
        self.assertAlmostEqual(credit.amount_residual, -100.0)
        self.assertEqual(credit.partner_id, self.marie)

    def test_split_refuses_bad_amounts(self):
        line, proposal = self.review_line(1000.0, partner_name="ZZ", account_number=False,
                                          state="unmatched")
        action = proposal.action_split()
        wizard = self.env[action["res_model"]].with_context(action["context"]).create(
            {"lease_id": self.lease_a.id}
        )
        wizard._rental_allocate_oldest_first()
        wizard.line_ids[0].amount = 961.0
        with self.assertRaisesRegex(UserError, "between 0 and its residual"):
            wizard.action_apply()
        wizard.line_ids[0].amount = 960.0
        wizard.line_ids[1].amount = 100.0
        with self.assertRaisesRegex(UserError, "exceed the bank line"):
            wizard.action_apply()
        wizard.line_ids[1].amount = 0.0
        wizard.lease_id = self.lease_b
        with self.assertRaisesRegex(UserError, "is not a rent call of lease"):
            wizard.action_apply()
        self.assertFalse(line.is_reconciled)
        self.assertEqual(proposal.state, "unmatched")

    def test_not_rent_leaves_the_queue(self):
        line, proposal = self.review_line()
        proposal.action_not_rent()
        self.assertEqual(proposal.state, "not_rent")
        self.assertTrue(line.rental_not_rent)
        self.assertEqual(self.match(line)["lines"], 0)
        self.assertEqual(self.env["account.bank.statement.line"]._rental_match()["lines"], 0)
        queue = self.env["rental.match.proposal"].search(
            [("state", "in", ("review", "unmatched")), ("statement_line_id", "=", line.id)]
        )
        self.assertFalse(queue)

    def test_undo_returns_the_line_to_the_queue(self):
        line = self.bank_line(960.0, rental_credited_iban=self.viban_of(self.unit))
        self.match(line)
        auto = self.proposal(line)
        self.assertEqual(auto.state, "auto")
        self.assertEqual(len(self.splits(self.jan_a)), 1)
        auto.action_undo_reconciliation()
        self.assertFalse(line.is_reconciled)
        self.assertEqual(self.jan_a.payment_state, "not_paid")
        self.assertEqual(auto.state, "undone", "history kept")
        again = self.proposal(line)
        self.assertEqual(again.state, "review", "never automatic again by itself")
        self.assertEqual(again.lease_id, self.lease_a)
        self.assertEqual(sum(self.splits(self.jan_a).mapped("amount")), 0.0, "split reversed")
        again.action_accept()
        self.assertEqual(self.jan_a.payment_state, "paid")

    def test_undo_of_a_line_reconciled_by_hand(self):
        line = self.bank_line(960.0, payment_ref="LOYER MARIE")
        line._rental_reconcile_with([(self.receivable(self.jan_a), 960.0)])
        self.assertFalse(line.rental_proposal_ids)
        line.action_undo_reconciliation()
        self.assertEqual(self.jan_a.payment_state, "not_paid")
        self.assertIn(self.proposal(line).state, ("review", "unmatched"))

    def test_a_second_run_never_reconciles_twice(self):
        line = self.bank_line(960.0, rental_credited_iban=self.viban_of(self.unit))
        self.match(line)
        self.assertTrue(line.is_reconciled)
        moves_before = line.move_id.line_ids
        stats = self.match(line)
        self.assertEqual(stats["lines"], 0)
        stats = self.env["account.bank.statement.line"]._rental_match()
        self.assertNotIn(line.id, line.rental_proposal_ids.filtered(
            lambda p: p.state == "review").statement_line_id.ids)
        self.assertEqual(line.move_id.line_ids, moves_before)
        self.assertEqual(len(line.rental_proposal_ids), 1)

    def test_cron_matches_pending_lines_of_mandant_journals(self):
        lines = self.bank_line(960.0, rental_credited_iban=self.viban_of(self.unit)) | \
            self.bank_line(750.0, rental_credited_iban=self.viban_of(self.unit2)) | \
            self.bank_line(12.0, payment_ref="FRAIS")
        totals = self.env["account.bank.statement.line"]._cron_rental_match(batch_size=2)
        self.assertGreaterEqual(totals["lines"], 3)
        self.assertEqual(lines.mapped("is_reconciled"), [True, True, False])
        self.assertEqual(self.proposal(lines[2]).state, "unmatched")
        # pending lines only: nothing left for a second run
        self.assertEqual(self.env["account.bank.statement.line"]._cron_rental_match()["lines"], 0)

    def test_match_button_reports(self):
        line = self.bank_line(960.0, rental_credited_iban=self.viban_of(self.unit))
        action = line.action_rental_match()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("1 reconciled", action["params"]["message"])

    def test_candidates_are_loaded_with_a_fixed_number_of_queries(self):
        Line = self.env["account.bank.statement.line"]

        def load_queries(lines):
            bank_lines = [Line._rental_bank_line(row) for row in lines._rental_read_lines()]
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            index = Line._rental_candidate_index(self.company, bank_lines)
            return self.env.cr.sql_log_count - before, index

        one = self.bank_line(960.0, rental_credited_iban=self.viban_of(self.unit))
        count_one, __ = load_queries(one)
        many = one
        for n in range(8):
            many |= self.bank_line(100.0 + n, rental_credited_iban=self.viban_of(self.unit2),
                                   partner_name=f"PAYER {n}")
        count_many, index = load_queries(many)
        self.assertEqual(count_one, count_many)
        self.assertLessEqual(count_many, 12)
        self.assertIn(self.receivable(self.jan_a).id, index.items)
        self.assertEqual(index.items[self.receivable(self.jan_a).id].amount_residual,
                         Decimal("960.00"))


@tagged("post_install", "-at_install")
class TestMatchingImportHook(MatchingCommon):
    def test_camt_import_reconciles_through_the_hook(self):
        flat = self.flats[0]
        lease = self.make_lease(unit=flat, rent=800.0, charges=50.0, tenant_id=self.karim.id,
                                guarantor_ids=[])
        jan = self.issue(lease, until=date(2026, 1, 1))
        entry = credit_entry("MATCH-1", "850.00", "2026-01-05", VIBANS[0],
                             payer=0, text="LOYER JANVIER")
        self.import_file(camt_statement([entry], "1000.00", iban=MASTER_IBAN, stmt_id="MATCH1"),
                         "match.xml")
        line = self.line_by_ref("MATCH-1")
        self.assertEqual(len(line), 1)
        self.assertEqual(line.rental_property_id, flat)
        proposal = self.proposal(line)
        self.assertEqual(proposal.state, "auto", proposal.reason)
        self.assertEqual(proposal.lease_id, lease)
        self.assertTrue(line.is_reconciled)
        self.assertEqual(jan.payment_state, "paid")
