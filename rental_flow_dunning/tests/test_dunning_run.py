import base64
import io
from datetime import date
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.pdf import PdfFileReader

from .common import DunningTestCommon


@tagged("post_install", "-at_install")
class TestDunningRun(DunningTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lease = cls.make_overdue_lease(months=1)  # 960.00 due on 2026-11-01

    def histories(self, lease=None):
        return self.env["rental.dunning.history"].search(
            [("lease_id", "=", (lease or self.lease).id)]
        )

    # -- preview ---------------------------------------------------------------------------

    def test_preview_shows_what_would_be_sent_and_sends_nothing(self):
        run = self.dunning_run(date(2026, 11, 7), leases=self.lease, send=False)
        self.assertEqual(run.state, "previewed")
        line = self.line_of(run, self.lease)
        self.assertEqual(line.state, "planned")
        self.assertEqual(line.level_id, self.level(2))
        self.assertEqual(line.amount_overdue, 960.0)
        self.assertEqual(line.days_late, 6)
        self.assertEqual(line.move_ids, self.calls(self.lease))
        self.assertEqual(line.tenant_id, self.tenant)
        self.assertTrue(line.channel_email and line.channel_sms)
        self.assertFalse(line.channel_letter)
        self.assertIn("tenant.one@example.com", line.recipients)
        self.assertIn("+33612345678", line.recipients)
        self.assertFalse(line.has_missing)
        self.assertIn("Level 2 due", line.reasons)
        self.assertFalse(self.histories())
        self.assertFalse(self.env["mail.mail"].search([("rental_history_id", "!=", False)]))

    def test_preview_again_replaces_the_lines(self):
        run = self.dunning_run(date(2026, 11, 7), leases=self.lease, send=False)
        run.action_preview()
        self.assertEqual(len(run.line_ids), 1)

    def test_courteous_reminder_before_the_due_date(self):
        lease = self.make_overdue_lease(months=0, unit=self.unit2)
        lease._issue_rent_calls(until=date(2026, 12, 1))
        run = self.dunning_run(date(2026, 11, 28), leases=lease, send=False)
        line = self.line_of(run, lease)
        self.assertEqual(line.level_id, self.level(1))
        self.assertEqual(line.days_late, -3)

    # -- sending -----------------------------------------------------------------------------

    def test_send_queues_email_sms_and_history(self):
        run = self.dunning_run(date(2026, 11, 7), leases=self.lease)
        self.assertEqual(run.state, "done")
        line = self.line_of(run, self.lease)
        self.assertEqual(line.state, "sent")
        histories = self.histories()
        self.assertEqual(sorted(histories.mapped("channel")), ["email", "sms"])
        email = histories.filtered(lambda h: h.channel == "email")
        self.assertEqual(email.state, "queued")
        self.assertEqual(email.partner_id, self.tenant)
        self.assertEqual(email.recipient, "tenant.one@example.com")
        mail = email.mail_mail_id
        self.assertEqual((mail.model, mail.res_id), ("rental.lease", self.lease.id))
        self.assertEqual(mail.recipient_ids, self.tenant)
        self.assertFalse(mail.auto_delete, "reminders are evidence: kept")
        self.assertIn("960.00", mail.subject)
        self.assertIn("960.00", mail.body_html)
        self.assertIn(self.calls(self.lease).name, mail.body_html)
        self.assertIn(self.calls(self.lease).payment_reference, mail.body_html)
        sms_history = histories.filtered(lambda h: h.channel == "sms")
        sms = self.env["sms.sms"].search([("rental_history_id", "=", sms_history.id)])
        self.assertEqual(sms.number, "+33612345678")
        self.assertEqual(sms.state, "outgoing")
        self.assertEqual(sms.rental_provider_id, self.provider)
        self.assertIn("960.00", sms.body)
        self.assertEqual(sms_history.sms_uuid, sms.uuid)
        notification = self.env["mail.notification"].search([("sms_id_int", "=", sms.id)])
        self.assertEqual(notification.notification_type, "sms")
        self.assertTrue(notification.sms_tracker_ids)
        # Chatter: the email and the SMS are on the lease (no extra note needed).
        messages = self.lease.message_ids
        self.assertIn("email_outgoing", messages.mapped("message_type"))
        self.assertIn("sms", messages.mapped("message_type"))
        self.assertFalse(any("Reminder First reminder" in (m.body or "") for m in messages))
        self.assertEqual(self.lease.dunning_level_id, self.level(2))
        self.assertEqual(self.lease.dunning_last_date, date(2026, 11, 7))
        self.assertEqual(self.lease.dunning_history_count, 2)
        self.assertEqual(self.tenant.rental_dunning_history_count, 2)

    def test_french_tenant_gets_french_reminders(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(
            ["rental_flow_dunning"], ["fr_FR"], overwrite=True
        )
        self.tenant.lang = "fr_FR"
        self.dunning_run(date(2026, 11, 7), leases=self.lease)
        email = self.histories().filtered(lambda h: h.channel == "email").mail_mail_id
        self.assertIn("loyer impayé", email.subject)
        self.assertIn("Sauf erreur de notre part", email.body_html)
        self.assertIn("960,00", email.body_html)
        sms = self.histories().filtered(lambda h: h.channel == "sms")
        self.assertIn("de loyer impayés depuis le", sms.body)

    def test_nothing_is_ever_sent_twice(self):
        run = self.dunning_run(date(2026, 11, 7), leases=self.lease)
        count = len(self.histories())
        with self.assertRaises(UserError):
            run.action_send()
        # Dispatching the same lines again does nothing: they are no longer to send.
        self.env["rental.dunning.dispatcher"]._dispatch(run.line_ids, run.date)
        self.assertEqual(len(self.histories()), count)
        # A second run the same day finds the level sent: it waits for the interval.
        second = self.dunning_run(date(2026, 11, 7), leases=self.lease)
        self.assertEqual(self.line_of(second, self.lease).state, "waiting")
        self.assertEqual(len(self.histories()), count)

    def test_next_run_escalates_to_the_letter_with_guarantor_copy(self):
        self.dunning_run(date(2026, 11, 7), leases=self.lease)
        run = self.dunning_run(date(2026, 11, 17), leases=self.lease)
        line = self.line_of(run, self.lease)
        self.assertEqual(line.level_id, self.level(3))
        letters = self.histories().filtered(lambda h: h.channel == "letter")
        self.assertEqual(letters.partner_id, self.tenant | self.guarantor)
        self.assertEqual(set(letters.mapped("state")), {"to_print"})
        self.assertEqual(
            letters.filtered(lambda h: h.partner_id == self.guarantor).recipient_role,
            "guarantor",
        )
        # The guarantor gets the email copy too, never an SMS.
        guarantor = self.histories().filtered(lambda h: h.partner_id == self.guarantor)
        self.assertEqual(sorted(guarantor.mapped("channel")), ["email", "letter"])
        self.assertEqual(run.letter_count, 2)
        # Letters are not otherwise in the chatter: a summary note is.
        note = self.lease.message_ids.filtered(
            lambda m: "Reminder Reminder letter" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn("Guarantor One", note.body)
        action = run.action_print_letters()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertTrue(run.letter_attachment_id)
        self.assertEqual(set(letters.mapped("state")), {"sent"})
        self.assertTrue(all(letters.mapped("printed_date")))

    def test_letter_renders_the_level_text_in_the_recipient_language(self):
        self.dunning_run(date(2026, 11, 7), leases=self.lease)
        self.dunning_run(date(2026, 11, 17), leases=self.lease)
        letter = self.histories().filtered(
            lambda h: h.channel == "letter" and h.partner_id == self.guarantor
        )
        html, __ = self.env["ir.actions.report"]._render_qweb_html(
            "rental_flow_dunning.report_dunning_letter", letter.ids
        )
        html = html.decode()
        self.assertIn("You stood guarantor for the lease of", html)
        self.assertIn(self.tenant.name, html)
        self.assertIn("960.00", html)
        self.assertIn(self.calls(self.lease).name, html)
        self.assertIn("Lyon", html)

    def test_letters_of_a_run_print_as_one_pdf(self):
        self.dunning_run(date(2026, 11, 7), leases=self.lease)
        run = self.dunning_run(date(2026, 11, 17), leases=self.lease)
        run.with_context(force_report_rendering=True).action_print_letters()
        document = base64.b64decode(run.letter_attachment_id.datas)
        self.assertTrue(document.startswith(b"%PDF"))
        self.assertEqual(len(PdfFileReader(io.BytesIO(document)).pages), 2)
        with self.assertRaises(UserError):
            run.action_print_letters()  # nothing left to print

    def test_registered_letter_and_bailiff_levels_schedule_activities(self):
        for run_date in (date(2026, 11, 7), date(2026, 11, 17), date(2026, 12, 1)):
            self.dunning_run(run_date, leases=self.lease)
        self.assertEqual(self.lease.dunning_level_id, self.level(4))
        lrar = self.lease.activity_ids.filtered(
            lambda a: a.activity_type_id
            == self.env.ref("rental_flow_dunning.mail_activity_registered_letter")
        )
        self.assertEqual(len(lrar), 1)
        self.assertEqual(lrar.user_id, self.manager)
        self.dunning_run(date(2026, 12, 16), leases=self.lease)
        self.assertEqual(self.lease.dunning_level_id, self.level(5))
        bailiff = self.lease.activity_ids.filtered(
            lambda a: a.activity_type_id
            == self.env.ref("rental_flow_dunning.mail_activity_bailiff")
        )
        self.assertEqual(bailiff.summary, "Hand over to a bailiff")
        activity_history = self.histories().filtered(lambda h: h.channel == "activity")
        self.assertEqual(len(activity_history), 2)
        # After the last level nothing more is sent.
        last = self.dunning_run(date(2027, 1, 15), leases=self.lease)
        self.assertEqual(self.line_of(last, self.lease).state, "skipped")

    def test_large_runs_deliver_in_the_background(self):
        self.company.rental_dunning_inline_limit = 0
        run = self.dunning_run(date(2026, 11, 7), leases=self.lease)
        self.assertEqual(self.line_of(run, self.lease).state, "sent")
        histories = self.histories()
        self.assertEqual(set(histories.mapped("state")), {"pending"})
        self.assertFalse(histories.mail_mail_id)
        self.env["rental.dunning.history"]._cron_deliver(batch_size=1)
        self.assertEqual(len(histories.filtered(lambda h: h.state == "queued")), 1)
        self.env["rental.dunning.history"]._cron_deliver()
        self.assertEqual(set(histories.mapped("state")), {"queued"})
        self.assertTrue(histories.filtered(lambda h: h.channel == "email").mail_mail_id)
        self.assertTrue(histories.filtered(lambda h: h.channel == "sms").sms_uuid)

    def test_rent_paid_before_delivery_is_not_sent(self):
        self.company.rental_dunning_inline_limit = 0
        self.dunning_run(date(2026, 11, 7), leases=self.lease)
        self.pay(self.calls(self.lease))
        self.env["rental.dunning.history"]._cron_deliver()
        histories = self.histories()
        self.assertEqual(set(histories.mapped("state")), {"cancelled"})
        self.assertIn("Paid before sending", histories[0].failure_reason)
        self.assertFalse(histories.mail_mail_id)

    # -- re-check at send time ---------------------------------------------------------------

    def test_rent_paid_since_the_preview_is_not_reminded(self):
        run = self.dunning_run(date(2026, 11, 7), leases=self.lease, send=False)
        self.pay(self.calls(self.lease))
        run.action_send()
        line = self.line_of(run, self.lease)
        self.assertEqual(line.state, "cancelled")
        self.assertIn("Paid since the preview", line.reasons)
        self.assertFalse(self.histories())

    def test_partial_payment_since_the_preview_lowers_the_amount(self):
        run = self.dunning_run(date(2026, 11, 7), leases=self.lease, send=False)
        self.pay(self.calls(self.lease), amount=500.0)
        run.action_send()
        line = self.line_of(run, self.lease)
        self.assertEqual(line.state, "sent")
        self.assertEqual(line.amount_overdue, 460.0)
        email = self.histories().filtered(lambda h: h.channel == "email")
        self.assertIn("460.00", email.mail_mail_id.subject)

    def test_dispute_since_the_preview_stops_the_reminder(self):
        run = self.dunning_run(date(2026, 11, 7), leases=self.lease, send=False)
        self.lease.litigation_state = "dispute"
        run.action_send()
        self.assertEqual(self.line_of(run, self.lease).state, "cancelled")
        self.assertFalse(self.histories())

    # -- exclusions ----------------------------------------------------------------------------

    def test_litigation_and_pause_exclude(self):
        self.lease.litigation_state = "legal"
        run = self.dunning_run(date(2026, 11, 7), leases=self.lease, send=False)
        line = self.line_of(run, self.lease)
        self.assertEqual(line.state, "excluded")
        self.assertIn("legal", line.reasons)
        self.lease.litigation_state = "none"
        self.lease.dunning_paused = True
        run = self.dunning_run(date(2026, 11, 7), leases=self.lease)
        self.assertEqual(self.line_of(run, self.lease).state, "excluded")
        self.assertFalse(self.histories())

    def test_empty_policy_of_a_new_tenant(self):
        empty = self.env["rental.dunning.policy"].create(
            {"name": "New tenant", "company_id": self.company.id}
        )
        self.tenant.rental_dunning_policy_id = empty
        self.assertEqual(self.lease.effective_dunning_policy_id, empty)
        run = self.dunning_run(date(2026, 11, 7), leases=self.lease)
        line = self.line_of(run, self.lease)
        self.assertEqual(line.state, "excluded")
        self.assertIn("no level", line.reasons)
        # Moved to a policy later: the lease's own policy wins over the tenant's.
        self.lease.dunning_policy_id = self.policy
        run = self.dunning_run(date(2026, 11, 7), leases=self.lease)
        self.assertEqual(self.line_of(run, self.lease).state, "sent")

    def test_below_the_minimum_amount(self):
        self.pay(self.calls(self.lease), amount=955.0)
        run = self.dunning_run(date(2026, 11, 7), leases=self.lease)
        self.assertEqual(self.line_of(run, self.lease).state, "skipped")

    # -- missing contacts ----------------------------------------------------------------------

    def test_missing_contacts_other_channels_still_go_and_manager_is_asked(self):
        self.tenant.write({"email": False, "mobile": "01 45 67 89 10", "phone": False})
        run = self.dunning_run(date(2026, 11, 17), leases=self.lease, send=False)
        line = self.line_of(run, self.lease)
        self.assertEqual(line.level_id, self.level(2))
        self.assertEqual(line.state, "blocked", "no tenant channel of level 2 works")
        self.assertIn("email missing", line.missing_contacts)
        self.assertIn("mobile number not a mobile number", line.missing_contacts)
        run.action_send()
        activity = self.lease.activity_ids.filtered(
            lambda a: a.activity_type_id
            == self.env.ref("rental_flow_dunning.mail_activity_missing_contact")
        )
        self.assertEqual(activity.user_id, self.manager)
        self.assertIn("not a mobile number", str(activity.note))
        missing = self.histories().filtered(lambda h: h.state == "missing")
        self.assertEqual(sorted(missing.mapped("channel")), ["email", "sms"])
        self.assertEqual(missing.activity_id, activity)
        # Blocked: the level is not counted as sent; completed, the next run sends it.
        self.assertFalse(self.lease.dunning_level_id)
        self.tenant.mobile = "+33 6 11 22 33 44"
        run = self.dunning_run(date(2026, 11, 18), leases=self.lease)
        line = self.line_of(run, self.lease)
        self.assertEqual((line.state, line.level_id), ("sent", self.level(2)))
        sms = self.histories().filtered(lambda h: h.channel == "sms" and h.state == "queued")
        self.assertEqual(sms.recipient, "+33611223344")
        # One open "complete the contact" activity, not one per run.
        self.assertEqual(len(self.lease.activity_ids.filtered(
            lambda a: a.activity_type_id
            == self.env.ref("rental_flow_dunning.mail_activity_missing_contact"))), 1)

    def test_letter_goes_when_email_and_mobile_are_missing(self):
        self.dunning_run(date(2026, 11, 7), leases=self.lease)
        self.tenant.write({"email": "not-an-email", "mobile": False, "phone": False})
        run = self.dunning_run(date(2026, 11, 17), leases=self.lease)
        line = self.line_of(run, self.lease)
        self.assertEqual(line.state, "sent")
        tenant_histories = self.histories().filtered(
            lambda h: h.partner_id == self.tenant and h.run_id == run
        )
        self.assertEqual(
            {(h.channel, h.state) for h in tenant_histories},
            {("letter", "to_print"), ("email", "missing")},
        )
        self.assertIn("email invalid", line.missing_contacts)

    # -- failures ------------------------------------------------------------------------------

    def test_one_tenant_failure_does_not_stop_the_run(self):
        other_tenant = self.env["res.partner"].create(
            {"name": "Tenant Two", "email": "two@example.com", "mobile": "0698765432"}
        )
        other = self.make_overdue_lease(months=1, unit=self.unit2, tenant_id=other_tenant.id)
        dispatcher = type(self.env["rental.dunning.dispatcher"])
        original = dispatcher._post_notes

        def failing(self_, to_send):
            if any(line.lease_id == other for line, __ in to_send):
                raise RuntimeError("chatter is down for this lease")
            return original(self_, to_send)

        with patch.object(dispatcher, "_post_notes", failing):
            run = self.dunning_run(date(2026, 11, 7), leases=self.lease | other)
        self.assertEqual(self.line_of(run, self.lease).state, "sent")
        failed = self.line_of(run, other)
        self.assertEqual(failed.state, "failed")
        self.assertIn("chatter is down", failed.error)
        self.assertFalse(self.histories(other), "the failed lease's work is rolled back")
        self.assertTrue(self.histories())
        # The failed lease goes out with the next run.
        run = self.dunning_run(date(2026, 11, 8), leases=other)
        self.assertEqual(self.line_of(run, other).state, "sent")

    # -- cron ------------------------------------------------------------------------------------

    def test_cron_prepares_a_run_to_check_or_sends_it(self):
        self.env["rental.dunning.run"].search([]).filtered(
            lambda r: r.state != "done").action_cancel()
        self.company.rental_dunning_cron_mode = "preview"
        self.env["rental.dunning.run"]._cron_run()
        run = self.env["rental.dunning.run"].search(
            [("company_id", "=", self.company.id), ("trigger", "=", "cron")])
        self.assertEqual(run.state, "previewed")
        self.assertTrue(self.line_of(run, self.lease))
        self.env["rental.dunning.run"]._cron_run()  # once a day
        self.assertEqual(len(self.env["rental.dunning.run"].search(
            [("company_id", "=", self.company.id), ("trigger", "=", "cron")])), 1)
        run.action_cancel()
        self.company.rental_dunning_cron_mode = "send"
        self.env["rental.dunning.run"]._cron_run()
        run = self.env["rental.dunning.run"].search(
            [("company_id", "=", self.company.id), ("trigger", "=", "cron"),
             ("state", "!=", "cancel")])
        self.assertEqual(run.state, "done")
        self.assertEqual(self.line_of(run, self.lease).state, "sent")

    def test_sent_run_cannot_be_deleted_or_cancelled(self):
        run = self.dunning_run(date(2026, 11, 7), leases=self.lease)
        with self.assertRaises(UserError):
            run.unlink()
        with self.assertRaises(UserError):
            run.action_cancel()

    def test_launch_wizard_previews_the_selected_leases(self):
        wizard = self.env["rental.dunning.launch"].with_context(
            active_model="rental.lease", active_ids=self.lease.ids
        ).create({"date": date(2026, 11, 7)})
        self.assertEqual(wizard.lease_ids, self.lease)
        action = wizard.action_preview()
        run = self.env["rental.dunning.run"].browse(action["res_id"])
        self.assertEqual(run.state, "previewed")
        self.assertEqual(run.line_ids.lease_id, self.lease)
