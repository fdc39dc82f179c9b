from datetime import date, timedelta

from odoo import Command

from odoo.addons.rental_flow.tests.common import RentalTestCommon

from . import fake_gateways


class DunningTestCommon(RentalTestCommon):
    """A company with a dunning policy, an OVH provider on a local fake server, tenants."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.currency_id = cls.env.ref("base.EUR")
        cls.company.country_id = cls.env.ref("base.fr")
        cls.gateways = fake_gateways.FakeGateways().start()
        cls.addClassCleanup(cls.gateways.stop)
        cls.provider = cls.env["rental.sms.provider"].create(
            {
                "name": "OVH test",
                "kind": "ovh",
                "company_id": cls.company.id,
                "endpoint": f"{cls.gateways.url}/1.0",
                "login": fake_gateways.OVH_AK,
                "secret": fake_gateways.OVH_AS,
                "consumer_key": fake_gateways.OVH_CK,
                "account": fake_gateways.OVH_SERVICE,
                "sender": "AGENCE",
                "quiet_hours": False,
                "credit_price": 0.05,
                "timeout": 5,
            }
        )
        cls.company.rental_sms_provider_id = cls.provider
        cls.manager = cls.env["res.users"].create(
            {
                "name": "Dunning Manager",
                "login": "dunning_manager",
                "email": "manager@agency.example",
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
                "groups_id": [Command.set([cls.env.ref("rental_flow.group_rental_user").id])],
            }
        )
        cls.company.rental_dunning_user_id = cls.manager
        cls.policy = cls.make_policy()
        cls.company.rental_dunning_policy_id = cls.policy
        cls.tenant.write(
            {
                "email": "tenant.one@example.com",
                "mobile": "06 12 34 56 78",
                "street": "3 rue des Lilas",
                "zip": "75011",
                "city": "Paris",
                "country_id": cls.env.ref("base.fr").id,
                "lang": "en_US",
            }
        )
        cls.guarantor.write(
            {
                "email": "guarantor@example.com",
                "mobile": "07 81 23 45 67",
                "street": "8 avenue Foch",
                "zip": "69006",
                "city": "Lyon",
                "country_id": cls.env.ref("base.fr").id,
            }
        )

    @classmethod
    def make_policy(cls, name="Test standard", **values):
        """A copy of the shipped Standard ladder for the test company."""
        ref = cls.env.ref
        policy = cls.env["rental.dunning.policy"].create(
            {
                "name": name,
                "company_id": cls.company.id,
                "min_amount": 10,
                "min_interval_days": 5,
                **values,
            }
        )
        levels = cls.env["rental.dunning.level"].create([
            {
                "policy_id": policy.id, "sequence": 1, "name": "Courteous", "delay_days": -3,
                "channel_email": True, "channel_sms": True,
                "mail_template_id": ref("rental_flow_dunning.mail_template_courteous").id,
                "sms_template_id": ref("rental_flow_dunning.sms_template_courteous").id,
            },
            {
                "policy_id": policy.id, "sequence": 2, "name": "First reminder",
                "delay_days": 5, "channel_email": True, "channel_sms": True,
                "mail_template_id": ref("rental_flow_dunning.mail_template_reminder").id,
                "sms_template_id": ref("rental_flow_dunning.sms_template_reminder").id,
            },
            {
                "policy_id": policy.id, "sequence": 3, "name": "Reminder letter",
                "delay_days": 15, "channel_email": True, "channel_letter": True,
                "mail_template_id": ref("rental_flow_dunning.mail_template_formal").id,
                "letter_title": "Unpaid rent reminder",
                "letter_body": ref("rental_flow_dunning.level_standard_letter").sudo().letter_body,
            },
            {
                "policy_id": policy.id, "sequence": 4, "name": "Formal notice",
                "delay_days": 30, "channel_letter": True, "registered_letter": True,
                "letter_title": "Formal notice",
                "letter_body": ref("rental_flow_dunning.level_standard_notice").sudo().letter_body,
            },
            {
                "policy_id": policy.id, "sequence": 5, "name": "Bailiff", "delay_days": 45,
                "activity": True,
                "activity_type_id": ref("rental_flow_dunning.mail_activity_bailiff").id,
                "activity_summary": "Hand over to a bailiff",
            },
        ])
        policy.guarantor_from_level_id = levels[2]
        return policy

    def level(self, position, policy=None):
        return (policy or self.policy)._ordered_levels()[position - 1]

    @classmethod
    def make_overdue_lease(cls, months=1, unit=None, **values):
        """A running lease whose last ``months`` monthly rents, up to November 2026, are
        called (due on the 1st of each month) and unpaid."""
        first = date(2026, 12 - months, 1)
        lease = cls.make_lease(unit=unit, start=date(2026, 1, 1), call_from_date=first,
                               **values)
        lease._issue_rent_calls(until=date(2026, 11, 1), invoice_date=first - timedelta(days=10))
        return lease

    def calls(self, lease):
        return lease.rent_call_ids.filtered(
            lambda m: m.move_type == "out_invoice" and m.rental_call_kind == "rent"
        ).sorted("rental_period_start")

    def pay(self, moves, amount=None, pay_date=None):
        """Register a payment on ``moves`` from the mandant bank journal."""
        values = {"journal_id": self.bank_journal.id,
                  "payment_date": pay_date or date(2026, 11, 25)}
        if amount is not None:
            values.update(amount=amount, payment_difference_handling="open")
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=moves.ids
        ).create(values)._create_payments()

    def dunning_run(self, run_date, leases=None, send=True):
        """A previewed (and by default sent) run at ``run_date``."""
        run = self.env["rental.dunning.run"].create(
            {"company_id": self.company.id, "date": run_date,
             "lease_ids": [Command.set(leases.ids)] if leases else False}
        )
        run.action_preview()
        if send:
            run.action_send()
        return run

    def line_of(self, run, lease):
        return run.line_ids.filtered(lambda line: line.lease_id == lease)
