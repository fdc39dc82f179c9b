from datetime import date
from unittest.mock import MagicMock, patch

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningRules(DunningTestCommon):
    """Fees, chronic late payers, policies, figures, delivery states, access rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lease = cls.make_overdue_lease(months=1)

    def histories(self, lease=None, **domain):
        return self.env["rental.dunning.history"].search(
            [("lease_id", "=", (lease or self.lease).id)]
            + [(key, "=", value) for key, value in domain.items()]
        )

    # -- fees: never on residential leases --------------------------------------------------

    def fee_policy(self):
        policy = self.env["rental.dunning.policy"].create({
            "name": "Commercial", "company_id": self.company.id, "fee_on_commercial": True,
            "min_interval_days": 0,
        })
        self.env["rental.dunning.level"].create({
            "policy_id": policy.id, "name": "Reminder with fee", "delay_days": 5,
            "channel_email": True, "fee_amount": 40.0,
            "mail_template_id": self.env.ref("rental_flow_dunning.mail_template_reminder").id,
        })
        return policy

    def test_fee_invoice_on_a_commercial_lease(self):
        shop = self.env["rental.property"].create(
            {"name": "Shop", "kind": "commercial", "parent_id": self.building.id,
             "mandate_id": self.mandate.id}
        )
        lease = self.make_overdue_lease(months=1, unit=shop, lease_kind="commercial",
                                        dunning_policy_id=self.fee_policy().id)
        run = self.dunning_run(date(2026, 11, 7), leases=lease)
        line = self.line_of(run, lease)
        self.assertEqual(line.fee_amount, 40.0)
        fee = line.fee_move_id
        self.assertEqual(fee.state, "posted")
        self.assertEqual(fee.rental_call_kind, "dunning_fee")
        self.assertEqual((fee.partner_id, fee.amount_total), (self.tenant, 40.0))
        self.assertEqual(fee.rental_lease_id, lease)
        product_line = fee.line_ids.filtered(lambda ml: ml.display_type == "product")
        self.assertEqual(product_line.account_id, self.company.rental_owner_account_id)
        self.assertEqual(product_line.rental_line_kind, "dunning_fee")

    def test_no_fee_on_residential_leases(self):
        self.lease.dunning_policy_id = self.fee_policy()
        run = self.dunning_run(date(2026, 11, 7), leases=self.lease)
        line = self.line_of(run, self.lease)
        self.assertEqual(line.state, "sent")
        self.assertEqual(line.fee_amount, 0.0)
        self.assertFalse(line.fee_move_id)
        self.assertIn("No reminder fee on a residential lease", line.reasons)
        self.assertFalse(self.lease.rent_call_ids.filtered(
            lambda m: m.rental_call_kind == "dunning_fee"))
        # Even asked directly, the code refuses to charge one.
        with self.assertRaisesRegex(UserError, "No reminder fee may be charged"):
            self.env["rental.dunning.dispatcher"]._create_fee(line, 4000)

    def test_policy_cannot_allow_fees_on_residential_leases(self):
        policy = self.fee_policy()
        self.assertEqual(policy._fee_lease_kinds(), frozenset({"commercial"}))
        self.assertNotIn("fee_on_residential", policy._fields)

    # -- chronic late payers ---------------------------------------------------------------------

    def test_chronic_late_payer_skips_the_gentle_levels(self):
        self.policy.write({"chronic_late_count": 3,
                           "chronic_start_level_id": self.level(3).id})
        old = self.make_lease(unit=self.unit2, start=date(2025, 1, 1), end=date(2025, 12, 31),
                              call_from_date=date(2025, 11, 1), start_it=False)
        old.state = "running"
        old._issue_rent_calls(until=date(2025, 12, 1))  # due 2025-11-01 and 2025-12-01
        calls = self.calls(old)
        self.pay(calls[0], pay_date=date(2025, 12, 20))  # 49 days late
        self.pay(calls[1], pay_date=date(2025, 12, 3))  # within the grace days
        collector = self.env["rental.dunning.collector"]
        counts = collector._late_counts(self.company, self.tenant.ids, date(2026, 11, 7))
        self.assertEqual(counts.get(self.tenant.id), 2)  # 2025-11 late, 2026-11 open
        self.policy.chronic_late_count = 2
        run = self.dunning_run(date(2026, 11, 7), leases=self.lease)
        line = self.line_of(run, self.lease)
        self.assertEqual(line.level_id, self.level(3))
        self.assertIn("starts at level 3", line.reasons)

    # -- policies -------------------------------------------------------------------------------

    def test_levels_must_be_consistent(self):
        with self.assertRaisesRegex(ValidationError, "strictly increase"), self.cr.savepoint():
            self.level(3).delay_days = 2  # before level 2
        with self.assertRaisesRegex(ValidationError, "email template"), self.cr.savepoint():
            self.env["rental.dunning.level"].create({
                "policy_id": self.policy.id, "name": "x", "delay_days": 90,
                "channel_email": True,
            })
        with self.assertRaisesRegex(ValidationError, "does nothing"), self.cr.savepoint():
            self.env["rental.dunning.level"].create(
                {"policy_id": self.policy.id, "name": "x", "delay_days": 90}
            )
        other = self.make_policy(name="Other")
        with self.assertRaisesRegex(ValidationError, "another policy"), self.cr.savepoint():
            self.policy.guarantor_from_level_id = other.level_ids[0]

    def test_policy_resolution_lease_then_tenant_then_company(self):
        self.assertEqual(self.lease.effective_dunning_policy_id, self.policy)
        tenant_policy = self.make_policy(name="Tenant's")
        self.tenant.rental_dunning_policy_id = tenant_policy
        self.lease.invalidate_recordset()
        self.assertEqual(self.lease.effective_dunning_policy_id, tenant_policy)
        lease_policy = self.make_policy(name="Lease's")
        self.lease.dunning_policy_id = lease_policy
        self.assertEqual(self.lease.effective_dunning_policy_id, lease_policy)
        self.assertEqual(lease_policy.lease_count, 1)

    def test_shipped_default_policies(self):
        standard = self.env.ref("rental_flow_dunning.policy_standard").sudo()
        levels = standard._ordered_levels()
        self.assertEqual(levels.mapped("delay_days"), [-3, 5, 15, 30, 45])
        self.assertTrue(levels[3].registered_letter)
        self.assertEqual(standard.guarantor_from_level_id, levels[2])
        self.assertFalse(self.env.ref("rental_flow_dunning.policy_new_tenant").sudo().level_ids)
        commercial = self.env.ref("rental_flow_dunning.policy_commercial").sudo()
        self.assertEqual(commercial._fee_lease_kinds(), frozenset({"commercial"}))
        main = self.env.ref("base.main_company")
        self.assertEqual(main.sudo().rental_dunning_policy_id, standard)

    # -- figures --------------------------------------------------------------------------------

    def test_recovery_is_credited_to_the_latest_reminder(self):
        self.company.rental_dunning_recovery_days = 15
        run = self.dunning_run(date(2026, 11, 7), leases=self.lease)
        line = self.line_of(run, self.lease)
        line.sent_date = "2026-11-07 10:00:00"
        self.pay(self.calls(self.lease), amount=500.0, pay_date=date(2026, 11, 12))
        self.env["rental.dunning.run.line"]._cron_update_recovery()
        self.assertEqual(line.amount_recovered, 500.0)
        self.assertTrue(line.recovery_final, "window over by today (2026-11-25)")
        self.assertAlmostEqual(line.recovery_rate, 100 * 500 / 960, places=1)
        groups = self.env["rental.dunning.run.line"].read_group(
            [("state", "=", "sent"), ("lease_id", "=", self.lease.id)],
            ["amount_recovered:sum", "amount_overdue:sum"], ["level_id"],
        )
        self.assertEqual(groups[0]["amount_recovered"], 500.0)

    def test_payment_outside_the_window_is_not_credited(self):
        self.company.rental_dunning_recovery_days = 3
        run = self.dunning_run(date(2026, 11, 7), leases=self.lease)
        line = self.line_of(run, self.lease)
        line.sent_date = "2026-11-07 10:00:00"
        self.pay(self.calls(self.lease), amount=500.0, pay_date=date(2026, 11, 12))
        self.env["rental.dunning.run.line"]._cron_update_recovery()
        self.assertEqual(line.amount_recovered, 0.0)

    def test_overdue_by_level_report(self):
        self.dunning_run(date(2026, 11, 7), leases=self.lease)
        self.env.flush_all()
        rows = self.env["rental.dunning.report"].search([("lease_id", "=", self.lease.id)])
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows.level_id, self.level(2))
        self.assertEqual(rows.amount_overdue, 960.0)
        self.assertEqual(rows.age, "a")
        groups = self.env["rental.dunning.report"].read_group(
            [("lease_id", "=", self.lease.id)], ["amount_overdue:sum"], ["level_id"]
        )
        self.assertEqual(groups[0]["amount_overdue"], 960.0)

    # -- delivery states of emails and letters ----------------------------------------------------

    def test_email_state_follows_the_mail_server(self):
        self.dunning_run(date(2026, 11, 7), leases=self.lease)
        email = self.histories(channel="email")
        server = type(self.env["ir.mail_server"])
        with patch.object(server, "connect", return_value=MagicMock()), \
                patch.object(server, "send_email", return_value="<msg@agency.example>"):
            email.mail_mail_id.send()
        self.assertEqual(email.state, "sent", email.failure_reason)
        self.run_second_email_failing()

    def run_second_email_failing(self):
        self.dunning_run(date(2026, 11, 17), leases=self.lease)
        email = self.histories(channel="email").filtered(lambda h: h.state == "queued")

        def refuse(*args, **kwargs):
            raise ConnectionRefusedError("SMTP down")

        server = type(self.env["ir.mail_server"])
        with patch.object(server, "connect", return_value=MagicMock()), \
                patch.object(server, "send_email", refuse), \
                mute_logger("odoo.addons.mail.models.mail_mail"):
            email.mail_mail_id.send(raise_exception=False)
        self.assertEqual(email.partner_id, self.tenant | self.guarantor)
        self.assertEqual(email.mapped("state"), ["failed", "failed"])
        self.assertTrue(all("SMTP down" in reason for reason in email.mapped("failure_reason")))

    def test_letters_posted_with_snailmail(self):
        self.company.rental_dunning_letter_mode = "snailmail"
        self.policy.letter_cost = 1.65
        self.dunning_run(date(2026, 11, 7), leases=self.lease)
        self.dunning_run(date(2026, 11, 17), leases=self.lease)
        letters = self.histories(channel="letter")
        self.assertEqual(set(letters.mapped("state")), {"queued"})
        self.assertEqual(len(letters.snailmail_letter_id), 2)
        self.assertEqual(letters.snailmail_letter_id.mapped("state"), ["pending", "pending"])
        self.assertEqual(letters.mapped("cost"), [1.65, 1.65])
        tenant_letter = letters.filtered(lambda h: h.partner_id == self.tenant)
        tenant_letter.snailmail_letter_id.write({"state": "sent"})
        self.assertEqual(tenant_letter.state, "sent")
        other = letters - tenant_letter
        other.snailmail_letter_id.write({"state": "error", "error_code": "FORMAT_ERROR"})
        self.assertEqual(other.state, "failed")

    # -- access rights -----------------------------------------------------------------------

    def test_property_manager_runs_dunning_but_cannot_configure_it(self):
        env = self.env(user=self.manager)
        run = env["rental.dunning.run"].create({"company_id": self.company.id,
                                                 "date": date(2026, 11, 7),
                                                 "lease_ids": [Command.set(self.lease.ids)]})
        run.action_preview()
        run.action_send()
        self.assertEqual(self.line_of(run, self.lease).state, "sent")
        self.assertTrue(env["rental.dunning.history"].search([("lease_id", "=", self.lease.id)]))
        with self.assertRaises(AccessError):
            env["rental.dunning.policy"].browse(self.policy.id).write({"min_amount": 0})
        with self.assertRaises(AccessError):
            env["rental.dunning.history"].create({
                "company_id": self.company.id, "lease_id": self.lease.id, "channel": "email",
                "idempotency_key": "forged",
            })
        with self.assertRaises(AccessError):
            env["rental.dunning.history"].search([]).unlink()

    def test_other_company_records_are_invisible(self):
        other_company = self.env["res.company"].create({"name": "Other agency"})
        policy = self.env["rental.dunning.policy"].create(
            {"name": "Elsewhere", "company_id": other_company.id}
        )
        env = self.env(user=self.manager)
        self.assertFalse(env["rental.dunning.policy"].search([("id", "=", policy.id)]))
