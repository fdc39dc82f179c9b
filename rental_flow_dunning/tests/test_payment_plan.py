from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestPaymentPlan(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lease = cls.make_overdue_lease(months=2)  # Oct and Nov: 1920.00

    def make_plan(self, count=3, first=date(2026, 12, 5), activate=True):
        plan = self.env["rental.payment.plan"].create({
            "lease_id": self.lease.id,
            "date_start": date(2026, 11, 20),
            "move_ids": [Command.set(self.calls(self.lease).ids)],
            "instalment_count": count,
            "first_instalment_date": first,
        })
        plan.action_compute_instalments()
        if activate:
            plan.action_activate()
        return plan

    def test_instalments_split_the_debt_to_the_cent(self):
        self.pay(self.calls(self.lease)[0], amount=0.01)  # 1919.99 left
        plan = self.make_plan(count=3, activate=False)
        amounts = plan.instalment_ids.sorted("date").mapped("amount")
        self.assertEqual(amounts, [640.0, 640.0, 639.99])
        self.assertEqual(plan.instalment_ids.sorted("date").mapped("date"),
                         [date(2026, 12, 5), date(2027, 1, 5), date(2027, 2, 5)])
        self.assertAlmostEqual(plan.amount_total, plan.amount_covered)

    def test_activation_checks(self):
        plan = self.make_plan(activate=False)
        plan.instalment_ids[0].amount += 10
        with self.assertRaisesRegex(UserError, "must add up"):
            plan.action_activate()
        empty = self.env["rental.payment.plan"].create({"lease_id": self.lease.id})
        with self.assertRaisesRegex(UserError, "rent calls"):
            empty.action_activate()
        other = self.make_overdue_lease(months=1, unit=self.unit2)
        with self.assertRaises(ValidationError):
            self.env["rental.payment.plan"].create(
                {"lease_id": self.lease.id,
                 "move_ids": [Command.set(self.calls(other).ids)]}
            )
        self.make_plan()
        with self.assertRaisesRegex(UserError, "already in plan"):
            self.make_plan()

    def test_honoured_plan_suspends_dunning_of_its_calls(self):
        plan = self.make_plan()
        self.assertEqual(plan.state, "active")
        run = self.dunning_run(date(2026, 11, 30), leases=self.lease)
        line = self.line_of(run, self.lease)
        self.assertEqual(line.state, "skipped")
        self.assertIn("payment plan that is honoured", line.reasons)
        self.assertFalse(line.history_ids)

    def test_new_rent_calls_are_still_dunned_during_a_plan(self):
        self.make_plan()
        self.lease._issue_rent_calls(until=date(2026, 12, 1))
        run = self.dunning_run(date(2026, 12, 7), leases=self.lease)
        line = self.line_of(run, self.lease)
        self.assertEqual(line.state, "sent")
        self.assertEqual(line.move_ids, self.calls(self.lease)[-1])
        self.assertEqual(line.amount_overdue, 960.0)

    def test_missed_instalment_breaks_the_plan_and_dunning_resumes(self):
        plan = self.make_plan()
        self.pay(self.calls(self.lease)[0], amount=640.0, pay_date=date(2026, 12, 4))
        with freeze_time("2027-01-06"):
            plan.invalidate_recordset()
            self.assertTrue(plan.honoured, "first instalment paid, second within grace")
            self.env["rental.payment.plan"]._cron_check_plans()
            self.assertEqual(plan.state, "active")
        states = plan.with_context(rental_plan_date=date(2027, 1, 6)).instalment_ids.sorted(
            "date").mapped("state")
        self.assertEqual(states, ["paid", "due", "due"])
        with freeze_time("2027-01-11"):
            plan.invalidate_recordset()
            self.assertFalse(plan.honoured)
            self.env["rental.payment.plan"]._cron_check_plans()
        self.assertEqual(plan.state, "broken")
        self.assertTrue(plan.activity_ids)
        run = self.dunning_run(date(2027, 1, 11), leases=self.lease)
        line = self.line_of(run, self.lease)
        self.assertEqual(line.state, "sent")
        self.assertIn("instalment of the payment plan was missed", line.reasons)
        self.assertEqual(line.amount_overdue, 1280.0)

    def test_plan_not_honoured_resumes_dunning_even_before_the_cron(self):
        self.make_plan(first=date(2026, 11, 21))
        run = self.dunning_run(date(2026, 11, 30), leases=self.lease)
        self.assertEqual(self.line_of(run, self.lease).state, "sent")

    def test_paid_off_plan_is_done(self):
        plan = self.make_plan()
        self.pay(self.calls(self.lease), pay_date=date(2026, 12, 1))
        self.env["rental.payment.plan"]._cron_check_plans()
        self.assertEqual(plan.state, "done")

    def test_honoured_plan_blocks_automatic_collection_of_the_lease(self):
        self.assertEqual(self.lease._rental_collection_block_reason(), "")
        plan = self.make_plan()
        self.assertIn(plan.name, self.lease._rental_collection_block_reason())
        plan.state = "broken"
        self.assertEqual(self.lease._rental_collection_block_reason(), "")
        self.lease.litigation_state = "dispute"
        self.assertIn("dispute", self.lease._rental_collection_block_reason())
