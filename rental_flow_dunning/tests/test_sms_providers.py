from datetime import date, datetime
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.addons.sms.tools.sms_api import SmsApi
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import config, mute_logger

from . import fake_gateways
from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestSmsProviders(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lease = cls.make_overdue_lease(months=1)

    def setUp(self):
        super().setUp()
        self.gateways.reset()

    def queue(self, run_date=date(2026, 11, 7)):
        """Run the dunning: returns the SMS queued for the tenant and its reminder."""
        self.dunning_run(run_date, leases=self.lease)
        history = self.env["rental.dunning.history"].search(
            [("lease_id", "=", self.lease.id), ("channel", "=", "sms")], order="id desc", limit=1
        )
        sms = self.env["sms.sms"].search([("rental_history_id", "=", history.id)])
        return sms, history

    def tracker_status(self, history):
        tracker = self.env["sms.tracker"].search([("sms_uuid", "=", history.sms_uuid)])
        return tracker.mail_notification_id.notification_status

    # -- OVHcloud ------------------------------------------------------------------------

    def test_sms_goes_through_ovh_signed_and_is_tracked(self):
        sms, history = self.queue()
        self.env["sms.sms"]._process_queue()
        sent = self.gateways.sent("ovh")
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent[0]["json"]["receivers"], ["+33612345678"])
        self.assertEqual(sent[0]["json"]["tag"], sms.uuid, "our reference goes to the provider")
        self.assertTrue(sent[0]["json"]["noStopClause"])
        self.assertEqual(sms.state, "pending")
        self.assertTrue(sms.to_delete)
        self.assertEqual(sms.rental_provider_message_id, str(sent[0]["ids"][0]))
        self.assertEqual(history.state, "sent")
        self.assertEqual(history.provider_message_id, sms.rental_provider_message_id)
        self.assertEqual(history.credits, 1.0)
        self.assertAlmostEqual(history.cost, 0.05)
        self.assertEqual(self.tracker_status(history), "pending")

    def test_invalid_number_is_refused_before_any_call(self):
        sms = self.env["sms.sms"].create(
            {"number": "12", "body": "test", "rental_provider_id": self.provider.id}
        )
        sms.send()
        self.assertEqual((sms.state, sms.failure_type), ("error", "sms_number_format"))
        self.assertIn("does not exist", sms.rental_last_error)
        self.assertFalse(self.gateways.received)

    def test_number_refused_by_the_provider(self):
        self.tenant.mobile = "+33699999999"
        sms, history = self.queue()
        sms.send()
        self.assertEqual((sms.state, sms.failure_type), ("error", "sms_number_format"))
        self.assertEqual(history.state, "failed")
        self.assertIn("refused", history.failure_reason)
        self.assertEqual(self.tracker_status(history), "exception")

    def test_provider_error_is_retried_with_backoff_then_reported(self):
        self.provider.write({"max_attempts": 2, "retry_delay": 60})
        sms, history = self.queue()
        self.gateways.script(("status", 503))
        with freeze_time("2026-11-25 10:00:00"):
            sms.send()
        self.assertEqual(sms.state, "outgoing")
        self.assertEqual(sms.rental_attempts, 1)
        self.assertEqual(sms.rental_not_before, datetime(2026, 11, 25, 10, 1))
        self.assertIn("503", sms.rental_last_error)
        self.assertEqual(history.state, "queued")
        with freeze_time("2026-11-25 10:00:30"):
            sms.send()  # not due yet: nothing happens
        self.assertEqual(sms.rental_attempts, 1)
        self.gateways.script(("status", 500))
        with freeze_time("2026-11-25 10:01:30"):
            sms.send()
        self.assertEqual((sms.state, sms.failure_type), ("error", "sms_server"))
        self.assertEqual(history.state, "failed")
        self.assertFalse(self.gateways.sent())

    def test_retry_succeeds_and_sends_once(self):
        sms, history = self.queue()
        self.gateways.script(("status", 503))
        with freeze_time("2026-11-25 10:00:00"):
            sms.send()
        with freeze_time("2026-11-25 10:05:00"):
            self.env["sms.sms"]._process_queue()
        self.assertEqual(sms.state, "pending")
        self.assertEqual(len(self.gateways.sent()), 1)
        self.assertEqual(history.state, "sent")

    def test_lost_answer_is_checked_with_the_provider_never_sent_twice(self):
        sms, history = self.queue()
        self.gateways.script(("process_drop",))
        sms.send()
        self.assertEqual(sms.state, "pending", "OVH found the message by its tag")
        self.assertEqual(len(self.gateways.sent("ovh")), 1)
        self.assertEqual(history.state, "sent")
        # A worker killed mid-send: the next attempt asks the provider before sending.
        sms2 = self.env["sms.sms"].create({
            "number": "+33612345678", "body": "second", "rental_provider_id": self.provider.id,
            "rental_attempts": 1, "rental_outcome_unknown": True,
        })
        gateway = self.provider._gateway()
        gateway.send(fake_gateways_sms(sms2))  # it did reach the provider
        sms2.send()
        self.assertEqual(sms2.state, "pending")
        self.assertEqual(len(self.gateways.sent("ovh")), 2, "not sent a second time")

    def test_lost_answer_without_provider_lookup_is_reported_not_resent(self):
        twilio = self.env["rental.sms.provider"].create({
            "name": "Twilio test", "kind": "twilio", "company_id": self.company.id,
            "endpoint": f"{self.gateways.url}/2010-04-01", "login": fake_gateways.TWILIO_SID,
            "secret": fake_gateways.TWILIO_TOKEN, "sender": "+33700000000",
            "quiet_hours": False,
        })
        self.company.rental_sms_provider_id = twilio
        sms, history = self.queue()
        self.gateways.script(("process_drop",))
        sms.send()
        self.assertEqual((sms.state, sms.failure_type), ("error", "unknown"))
        self.assertIn("outcome unknown", history.failure_reason)
        sms.send()
        self.env["sms.sms"]._process_queue()
        self.assertEqual(len(self.gateways.sent("twilio")), 1)

    # -- quiet hours ------------------------------------------------------------------------

    def test_quiet_hours_hold_sunday_sms_until_monday_morning(self):
        self.provider.quiet_hours = True
        with freeze_time("2026-11-29 10:00:00"):  # Sunday, 11:00 in Paris
            sms, history = self.queue(date(2026, 11, 29))
            self.assertEqual(sms.rental_not_before, datetime(2026, 11, 30, 7, 0))
            self.env["sms.sms"]._process_queue()
        self.assertEqual(sms.state, "outgoing")
        self.assertFalse(self.gateways.received)
        with freeze_time("2026-11-30 07:05:00"):
            self.env["sms.sms"]._process_queue()
        self.assertEqual(sms.state, "pending")
        self.assertEqual(history.state, "sent")

    def test_quiet_hours_hold_reminders_that_reach_the_queue_at_night(self):
        self.provider.quiet_hours = True
        with freeze_time("2026-11-25 16:00:00"):  # 17:00 in Paris: queued to go at once
            sms, history = self.queue()
        self.assertFalse(sms.rental_not_before)
        self.gateways.script(("status", 503))
        with freeze_time("2026-11-25 18:59:30"):  # 19:59: fails, retry falls at night
            sms.send()
        self.assertEqual(sms.rental_not_before, datetime(2026, 11, 26, 7, 0))
        with freeze_time("2026-11-25 22:30:00"):  # 23:30: still held
            sms.send()
        self.assertEqual(sms.state, "outgoing")
        self.assertEqual(len(self.gateways.received), 1)
        with freeze_time("2026-11-26 07:00:00"):
            sms.send()
        self.assertEqual(sms.state, "pending")

    def test_other_sms_are_not_held_by_the_quiet_hours(self):
        """Quiet hours are for reminders; codes and other apps' SMS go at once."""
        self.provider.quiet_hours = True
        sms = self.env["sms.sms"].create(
            {"number": "+33612345678", "body": "Your code: 1234",
             "rental_provider_id": self.provider.id}
        )
        with freeze_time("2026-11-25 22:30:00"):  # 23:30 in Paris
            sms.send()
        self.assertEqual(sms.state, "pending")
        self.assertEqual(len(self.gateways.sent("ovh")), 1)

    # -- other providers ---------------------------------------------------------------------

    def test_brevo_provider(self):
        brevo = self.env["rental.sms.provider"].create({
            "name": "Brevo test", "kind": "brevo", "company_id": self.company.id,
            "endpoint": f"{self.gateways.url}/v3", "secret": fake_gateways.BREVO_KEY,
            "sender": "AGENCE", "quiet_hours": False,
        })
        self.policy.sms_provider_id = brevo
        sms, history = self.queue()
        self.assertEqual(sms.rental_provider_id, brevo)
        sms.send()
        sent = self.gateways.sent("brevo")
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent[0]["json"]["recipient"], "33612345678")
        self.assertIn(f"/rental_dunning/sms/brevo/{brevo.id}/", sent[0]["json"]["webUrl"])
        self.assertEqual(history.provider_message_id, str(sent[0]["message_id"]))

    def test_odoo_iap_provider_keeps_odoo_sending(self):
        iap = self.env["rental.sms.provider"].create(
            {"name": "IAP", "kind": "iap", "company_id": self.company.id, "quiet_hours": False}
        )
        self.company.rental_sms_provider_id = iap
        sms, __ = self.queue()

        def fake_batch(api, messages, delivery_reports_url=False):
            return [{"uuid": n["uuid"], "state": "success"}
                    for message in messages for n in message["numbers"]]

        with patch.object(SmsApi, "_send_sms_batch", fake_batch):
            sms.send()
        self.assertEqual(sms.state, "pending")
        self.assertFalse(self.gateways.received)

    # -- credentials ---------------------------------------------------------------------------

    def test_credentials_are_encrypted_and_for_admins_only(self):
        provider = self.provider.sudo()
        self.assertTrue(provider.secret_enc.startswith("rfs1:"))
        self.assertNotIn(fake_gateways.OVH_AS, provider.secret_enc)
        self.assertEqual(provider.secret, "********")
        self.assertEqual(provider._get_secret("secret"), fake_gateways.OVH_AS)
        # Writing the mask back (an untouched form) keeps the secret.
        provider.secret = "********"
        self.assertEqual(provider._get_secret("secret"), fake_gateways.OVH_AS)
        as_manager = self.provider.with_user(self.manager)
        self.assertEqual(as_manager.name, "OVH test")
        with self.assertRaises(AccessError):
            as_manager.read(["secret_enc"])
        with self.assertRaises(AccessError):
            as_manager.read(["login"])
        with self.assertRaises(AccessError):
            as_manager.write({"sender": "HACK"})

    def test_changed_encryption_key_is_reported(self):
        with patch.dict(config.options, {"rental_flow_secret_key": "another key"}):
            with self.assertRaisesRegex(UserError, "cannot be decrypted"):
                self.provider._gateway()

    def test_a_reminder_cannot_be_created_twice(self):
        __, history = self.queue()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.cr.savepoint():
                history.copy({"idempotency_key": history.idempotency_key})

    def test_stuck_sms_are_recovered_by_asking_the_provider(self):
        sms = self.env["sms.sms"].create({
            "number": "+33612345678", "body": "stuck", "rental_provider_id": self.provider.id,
            "rental_attempts": 1, "rental_outcome_unknown": True,
            "rental_process_date": datetime(2026, 11, 25, 8, 0),
        })
        with freeze_time("2026-11-25 09:00:00"):
            self.env["sms.sms"]._rental_recover_stuck()
        self.assertEqual(sms.state, "pending")
        self.assertEqual(len(self.gateways.sent("ovh")), 1)
        self.assertEqual(sms.rental_attempts, 2)


def fake_gateways_sms(sms):
    """The gateway message of an ``sms.sms`` record (to simulate an earlier attempt)."""
    from odoo.addons.rental_flow_dunning.engines.sms_gateways import OutgoingSms

    return OutgoingSms(sms.uuid, sms.number, sms.body)
