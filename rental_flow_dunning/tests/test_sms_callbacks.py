import json
from datetime import date

from odoo.tests import HttpCase, tagged

from odoo.addons.rental_flow_dunning.engines.sms_gateways import twilio_signature

from . import fake_gateways
from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestSmsCallbacks(DunningTestCommon, HttpCase):
    """Delivery reports posted over HTTP to the providers' controllers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lease = cls.make_overdue_lease(months=1)
        base = cls.base_url()
        cls.provider.callback_base_url = base
        cls.twilio = cls.env["rental.sms.provider"].create({
            "name": "Twilio test", "kind": "twilio", "company_id": cls.company.id,
            "endpoint": f"{cls.gateways.url}/2010-04-01", "login": fake_gateways.TWILIO_SID,
            "secret": fake_gateways.TWILIO_TOKEN, "sender": "+33700000000",
            "quiet_hours": False, "callback_base_url": base,
        })
        cls.brevo = cls.env["rental.sms.provider"].create({
            "name": "Brevo test", "kind": "brevo", "company_id": cls.company.id,
            "endpoint": f"{cls.gateways.url}/v3", "secret": fake_gateways.BREVO_KEY,
            "sender": "AGENCE", "quiet_hours": False, "callback_base_url": base,
            "credit_price": 0.04,
        })

    def send_sms(self, provider):
        """Send the tenant's reminder SMS through ``provider``; returns its reminder."""
        self.policy.sms_provider_id = provider
        self.dunning_run(date(2026, 11, 7), leases=self.lease)
        history = self.env["rental.dunning.history"].search(
            [("lease_id", "=", self.lease.id), ("channel", "=", "sms")]
        )
        self.env["sms.sms"].search([("rental_history_id", "=", history.id)]).send()
        self.assertEqual(history.state, "sent")
        self.assertTrue(history.provider_message_id)
        return history

    def tracker_status(self, history):
        tracker = self.env["sms.tracker"].search([("sms_uuid", "=", history.sms_uuid)])
        return tracker.mail_notification_id.notification_status

    # -- Twilio: signed callbacks ---------------------------------------------------------------

    def post_twilio(self, params, signature=None, provider=None):
        provider = provider or self.twilio
        url = provider._status_url()
        signature = signature if signature is not None else twilio_signature(
            fake_gateways.TWILIO_TOKEN, url, params
        )
        return self.url_open(url, data=params, headers={"X-Twilio-Signature": signature})

    def test_twilio_signed_delivery_report(self):
        history = self.send_sms(self.twilio)
        params = {"MessageSid": history.provider_message_id, "MessageStatus": "delivered",
                  "To": "+33612345678", "AccountSid": fake_gateways.TWILIO_SID}
        response = self.post_twilio(params)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(history.state, "delivered")
        self.assertEqual(self.tracker_status(history), "sent")
        # A late "sent" report never moves a delivered SMS back.
        self.post_twilio({**params, "MessageStatus": "sent"})
        self.assertEqual(history.state, "delivered")

    def test_twilio_bad_signature_is_refused(self):
        history = self.send_sms(self.twilio)
        params = {"MessageSid": history.provider_message_id, "MessageStatus": "failed"}
        response = self.post_twilio(params, signature="bm90IGEgc2lnbmF0dXJl")
        self.assertEqual(response.status_code, 403)
        response = self.post_twilio(params, signature="")
        self.assertEqual(response.status_code, 403)
        self.assertEqual(history.state, "sent")

    def test_twilio_undelivered_report(self):
        history = self.send_sms(self.twilio)
        response = self.post_twilio({"MessageSid": history.provider_message_id,
                                     "MessageStatus": "undelivered", "ErrorCode": "30003"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(history.state, "failed")
        self.assertIn("30003", history.failure_reason)
        self.assertEqual(self.tracker_status(history), "exception")

    # -- OVH and Brevo: secret token in the URL --------------------------------------------------

    def test_ovh_delivery_report_with_token(self):
        history = self.send_sms(self.provider)
        url = self.provider._status_url()
        response = self.url_open(f"{url}?id={history.provider_message_id}&dlr=1")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(history.state, "delivered")

    def test_bad_token_or_unknown_provider_is_refused(self):
        history = self.send_sms(self.provider)
        base = self.base_url()
        bad = f"{base}/rental_dunning/sms/ovh/{self.provider.id}/wrong-token/status"
        response = self.url_open(f"{bad}?id={history.provider_message_id}&dlr=2")
        self.assertEqual(response.status_code, 403)
        token = self.provider.sudo().callback_token
        wrong_kind = f"{base}/rental_dunning/sms/brevo/{self.provider.id}/{token}/status"
        self.assertEqual(self.url_open(wrong_kind).status_code, 404)
        self.assertEqual(history.state, "sent")

    def test_brevo_json_report_with_credits(self):
        history = self.send_sms(self.brevo)
        url = self.brevo._status_url()
        body = {"id": 77, "messageId": int(history.provider_message_id),
                "msg_status": "delivered", "credits_used": 1.5, "to": "33612345678"}
        response = self.url_open(url, data=json.dumps(body),
                                 headers={"Content-Type": "application/json"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(history.state, "delivered")
        self.assertEqual(history.credits, 1.5)
        self.assertAlmostEqual(history.cost, 0.06)

    def test_malformed_and_unknown_reports(self):
        history = self.send_sms(self.brevo)
        url = self.brevo._status_url()
        headers = {"Content-Type": "application/json"}
        self.assertEqual(self.url_open(url, data="{not json", headers=headers).status_code, 400)
        self.assertEqual(
            self.url_open(url, data=json.dumps({"msg_status": "delivered"}),
                          headers=headers).status_code, 400)
        unknown = {"messageId": 123456789, "msg_status": "hard_bounce"}
        self.assertEqual(
            self.url_open(url, data=json.dumps(unknown), headers=headers).status_code, 200)
        self.assertEqual(history.state, "sent")
