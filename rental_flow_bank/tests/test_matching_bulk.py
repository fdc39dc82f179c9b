"""Automatic reconciliation in bulk (``_rental_reconcile_auto`` on
``_rental_replace_suspense_many``): the batch path, a stale proposal left out of it, and
no tracking message per rent call."""

from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.rental_flow_bank.models.rental_match_proposal import RentalMatchProposal

from .common_matching import MatchingCommon


@tagged("post_install", "-at_install")
class TestMatchingBulk(MatchingCommon):
    def two_lines(self):
        first = self.bank_line(960.0, rental_credited_iban=self.viban_of(self.unit))
        second = self.bank_line(750.0, rental_credited_iban=self.viban_of(self.unit2))
        return first, second

    def test_batch_does_not_go_line_by_line(self):
        first, second = self.two_lines()
        original = RentalMatchProposal._rental_reconcile
        calls = []

        def counted(proposal):
            calls.append(proposal.id)
            return original(proposal)

        with patch.object(RentalMatchProposal, "_rental_reconcile", counted):
            stats = self.match(first | second)
        self.assertEqual((stats["auto"], stats["errors"]), (2, 0))
        self.assertEqual(calls, [], "both lines in the batch, none alone")
        self.assertTrue(first.is_reconciled and second.is_reconciled)
        self.assertEqual((self.jan_a | self.jan_b).mapped("payment_state"), ["paid", "paid"])
        self.assertEqual(len(self.splits(self.jan_a | self.jan_b)), 2)
        for line, call in ((first, self.jan_a), (second, self.jan_b)):
            __, suspense, other = line._seek_for_lines()
            self.assertFalse(suspense)
            self.assertEqual(other.account_id, self.receivable(call).account_id)
            self.assertEqual(other.partner_id, self.receivable(call).partner_id)
            self.assertEqual(other.name, call.name)
            self.assertEqual(other.full_reconcile_id, self.receivable(call).full_reconcile_id)

    def test_stale_proposal_is_left_out_and_the_rest_reconciled(self):
        first, second = self.two_lines()
        original = RentalMatchProposal._rental_reconcile_spec

        def stale(proposal):
            spec = original(proposal)
            if proposal.statement_line_id == first:  # as if the rent call were paid since
                spec["allocations"] = [(item, amount * 2) for item, amount in
                                       spec["allocations"]]
            return spec

        with patch.object(RentalMatchProposal, "_rental_reconcile_spec", stale):
            stats = self.match(first | second)
        self.assertEqual((stats["auto"], stats["errors"], stats["review"]), (1, 1, 1))
        self.assertFalse(first.is_reconciled)
        __, suspense, other = first._seek_for_lines()
        self.assertEqual((len(suspense), len(other)), (1, 0), "nothing changed on it")
        self.assertEqual(self.proposal(first).state, "review")
        self.assertIn("not open for that much", self.proposal(first).reason)
        self.assertEqual(self.jan_a.payment_state, "not_paid")
        self.assertTrue(second.is_reconciled)
        self.assertEqual(self.jan_b.payment_state, "paid")

    def tracked(self):
        """Journal entries whose tracked fields wait for their tracking message."""
        self.env.flush_all()
        return set(self.env.cr.precommit.data.get("mail.tracking.account.move", {}))

    def test_no_tracking_message_per_entry(self):
        """The proposal logs an automatic reconciliation: no tracking message is left
        to post on the entries it changes (bank entry, rent call, owner split), as one
        message per entry would cost more than the reconciliation."""
        first, __ = self.two_lines()
        self.env.flush_all()
        self.env.cr.precommit.run()  # as committed: the rent calls' issue is tracked
        self.assertFalse(self.tracked())
        self.match(first)
        self.assertEqual(self.jan_a.payment_state, "paid")
        self.assertEqual(self.proposal(first).state, "auto", "the proposal is the log")
        self.assertFalse({first.move_id.id, self.jan_a.id} & self.tracked())
        # a reconciliation by hand keeps Odoo's tracking
        by_hand = self.bank_line(960.0)
        by_hand._rental_reconcile_with([(self.receivable(self.feb_a), 960.0)])
        self.assertIn(by_hand.move_id.id, self.tracked())
