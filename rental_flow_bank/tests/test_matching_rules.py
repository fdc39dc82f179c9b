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
        self.assertTrue(line.is_reconciled)
        self.assertEqual(self.jan_a.payment_state, "paid")
        self.assertEqual(self.feb_a.payment_state, "not_paid")
        self.assertEqual(len(self.splits(self.jan_a)), 1, "the owner split follows")
        self.assertTrue(any("Reconciled automatically" in (m.body or "")
                            for m in line.move_id.message_ids))
