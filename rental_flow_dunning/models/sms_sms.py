import logging
import threading
from datetime import timedelta

from odoo import api, fields, models

from ..engines import sms_gateways as gateways
from ..engines.phone import normalize_mobile

_logger = logging.getLogger(__name__)

#: Our gateway error codes -> ``sms.sms`` failure types.
FAILURE_TYPES = {
    "number_format": "sms_number_format",
    "not_mobile": "sms_number_format",
    "credit": "sms_credit",
    "auth": "sms_acc",
    "optout": "sms_optout",
    "rejected": "sms_server",
    "server": "sms_server",
    "timeout": "sms_server",
}
#: SMS left in "Processing" longer than this are checked by the recovery cron.
STUCK_AFTER = timedelta(minutes=15)


class SmsSms(models.Model):
    """Route Odoo's SMS through the chosen provider, with quiet hours and retries.

    An SMS goes through its ``rental_provider_id`` (or the company's provider): Odoo IAP
    keeps Odoo's own sending; an HTTP provider (OVHcloud, Twilio, Brevo) is called here,
    one message at a time, and the SMS keeps Odoo's states and failure types. An SMS is
    kept in the queue until ``rental_not_before`` (quiet hours, retry back-off).
    """

    _inherit = "sms.sms"

    rental_provider_id = fields.Many2one(
        "rental.sms.provider", string="Provider", index="btree_not_null", ondelete="set null"
    )
    rental_history_id = fields.Many2one(
        "rental.dunning.history", string="Reminder", index="btree_not_null", ondelete="set null"
    )
    rental_not_before = fields.Datetime(
        string="Not Before", index="btree_not_null",
        help="Kept in the queue until then (quiet hours, retry back-off).",
    )
    rental_attempts = fields.Integer(string="Attempts", copy=False)
    rental_outcome_unknown = fields.Boolean(
        copy=False, help="The last attempt may have reached the provider (answer lost)."
    )
    rental_provider_message_id = fields.Char(
        string="Provider Message ID", index="btree_not_null", copy=False
    )
    rental_last_error = fields.Char(string="Last Error", copy=False)
    rental_process_date = fields.Datetime(copy=False)

    # -- queue -------------------------------------------------------------------------------

    def send(self, unlink_failed=False, unlink_sent=True, auto_commit=False,
             raise_exception=False):
        """Send the SMS due now; those held until later stay in the queue."""
        now = fields.Datetime.now()
        due = self.filtered(lambda sms: not sms.rental_not_before or sms.rental_not_before <= now)
        return super(SmsSms, due.with_context(rental_sms_auto_commit=auto_commit)).send(
            unlink_failed=unlink_failed,
            unlink_sent=unlink_sent,
            auto_commit=auto_commit,
            raise_exception=raise_exception,
        )

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        default = self.env.company.sudo().rental_sms_provider_id
        for provider, batch in self.grouped(
            lambda sms: sms.rental_provider_id or default
        ).items():
            if not provider or provider.kind == "iap":
                super(SmsSms, batch)._send(
                    unlink_failed=unlink_failed,
                    unlink_sent=unlink_sent,
                    raise_exception=raise_exception,
                )
            else:
                batch._rental_send_http(provider.sudo(), unlink_failed, unlink_sent)

    def _rental_auto_commit(self):
        return bool(self.env.context.get("rental_sms_auto_commit")) and not getattr(
            threading.current_thread(), "testing", False
        )

    @api.model
    def _rental_trigger_queue(self, at=None):
        """Wake Odoo's SMS queue up (now, or at ``at``)."""
        cron = self.env.ref("sms.ir_cron_sms_scheduler_action", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at)

    # -- HTTP providers ------------------------------------------------------------------------

    def _rental_send_http(self, provider, unlink_failed, unlink_sent):
        """Send through an HTTP provider, one SMS at a time.

        Reminders (SMS of a dunning reminder) respect the provider's quiet hours: at night
        or on a day without SMS they stay queued until the next allowed time. Other SMS
        (codes, notifications of other apps) go at once.
        """
        now = fields.Datetime.now()
        allowed_at = provider._next_send_time(now)
        todo = self.sudo()
        if allowed_at > now:
            held = todo.filtered("rental_history_id")
            if held:
                held.write({"rental_not_before": allowed_at})
                self._rental_trigger_queue(allowed_at)
            todo -= held
        if not todo:
            return
        gateway = provider._gateway()
        callback_url = provider._status_url()
        for sms in todo:
            if sms.state != "outgoing":
                continue
            if not sms.number:
                sms._rental_fail("sms_number_missing", "no phone number", unlink_failed)
                continue
            region = sms.partner_id.country_id.code or provider.company_id.country_id.code
            check = normalize_mobile(sms.number, region or "FR")
            if not check.ok:
                sms._rental_fail("sms_number_format", check.detail, unlink_failed)
                continue
            result = sms._rental_lookup_previous(gateway)
            if result is None:
                sms._rental_mark_in_flight()
                result = gateway.send(
                    gateways.OutgoingSms(sms.uuid, check.e164, sms.body or "", callback_url)
                )
                if result.status == "unknown" and gateway.supports_lookup:
                    result = sms._rental_lookup_previous(gateway, force=True) or result
            sms._rental_apply_result(provider, result, unlink_failed, unlink_sent)
            if self._rental_auto_commit():
                self.env.cr.commit()

    def _rental_mark_in_flight(self):
        """Count the attempt before calling the provider (committed in cron mode)."""
        self.write(
            {
                "rental_attempts": self.rental_attempts + 1,
                "rental_process_date": fields.Datetime.now(),
                "rental_outcome_unknown": True,
            }
        )
        if self._rental_auto_commit():
            self.env.cr.commit()

    def _rental_lookup_previous(self, gateway, force=False):
        """After an attempt whose outcome is unknown, ask the provider before resending.

        Returns a ``sent`` result when the provider has the message, a ``retry`` result
        when it cannot be asked right now, or None to send (again).
        """
        if not (self.rental_outcome_unknown or force) or not self.rental_attempts:
            return None
        if not gateway.supports_lookup:
            return None if not self.rental_outcome_unknown else gateways.SendResult(
                self.uuid, "unknown", error_code="timeout",
                error="the provider cannot be asked whether an earlier attempt went out",
            )
        try:
            provider_id = gateway.lookup(self.uuid)
        except Exception as exc:  # noqa: BLE001 - any provider problem means "ask later"
            return gateways.SendResult(self.uuid, "retry", error_code="server", error=str(exc))
        if provider_id:
            return gateways.SendResult(self.uuid, "sent", provider_id=provider_id)
        return None

    def _rental_apply_result(self, provider, result, unlink_failed, unlink_sent):
        """Give the SMS (and its reminder) the state the provider's answer means."""
        self.ensure_one()
        if result.status == "sent":
            self._update_sms_state_and_trackers("pending")
            self.write(
                {
                    "rental_provider_message_id": result.provider_id,
                    "rental_outcome_unknown": False,
                    "rental_last_error": False,
                    "rental_not_before": False,
                    "to_delete": bool(unlink_sent),
                }
            )
            self.rental_history_id._sms_sent(provider, result)
        elif result.status == "retry" and self.rental_attempts < provider.max_attempts:
            delay = gateways.backoff_seconds(max(self.rental_attempts, 1), provider.retry_delay)
            retry_at = fields.Datetime.now() + timedelta(seconds=delay)
            if self.rental_history_id:
                retry_at = provider._next_send_time(retry_at)
            self.write(
                {
                    "rental_not_before": retry_at,
                    "rental_last_error": result.error[:500],
                    "rental_outcome_unknown": False,
                }
            )
            self._rental_trigger_queue(retry_at)
        elif result.status == "unknown":
            self._rental_fail(
                "unknown",
                "outcome unknown, not sent again to avoid a duplicate: check the provider's "
                f"console ({result.error})",
                unlink_failed,
            )
        else:
            failure = FAILURE_TYPES.get(result.error_code, "sms_server")
            self._rental_fail(failure, result.error or result.error_code, unlink_failed)

    def _rental_fail(self, failure_type, reason, unlink_failed=False):
        self.ensure_one()
        self._update_sms_state_and_trackers("error", failure_type=failure_type)
        self.write(
            {
                "rental_last_error": (reason or "")[:500],
                "rental_outcome_unknown": False,
                "to_delete": bool(unlink_failed),
            }
        )
        self.rental_history_id._set_delivery_state("failed", reason or failure_type)

    @api.model
    def _rental_recover_stuck(self):
        """Cron: SMS whose attempt was cut off (worker killed) go back to the queue.

        Their ``rental_outcome_unknown`` flag makes the next attempt ask the provider first
        (where it can) instead of sending blindly.
        """
        limit = fields.Datetime.now() - STUCK_AFTER
        stuck = self.sudo().search(
            [
                ("state", "=", "outgoing"),
                ("rental_outcome_unknown", "=", True),
                ("rental_process_date", "<", limit),
            ]
        )
        if stuck:
            stuck._process_queue(stuck.ids)

    # -- delivery reports --------------------------------------------------------------------------

    @api.model
    def _rental_handle_report(self, provider, message_id, state, detail="", credits=None):
        """Apply a provider's delivery report; returns the reminders updated."""
        histories = self.env["rental.dunning.history"].sudo().search(
            [("sms_provider_id", "=", provider.id), ("provider_message_id", "=", message_id)]
        )
        sms = self.sudo().search(
            [("rental_provider_id", "=", provider.id),
             ("rental_provider_message_id", "=", message_id)]
        )
        trackers = self.env["sms.tracker"].sudo().search(
            [("sms_uuid", "in", list(set(histories.mapped("sms_uuid")) | set(sms.mapped("uuid"))))]
        )
        if state == "delivered":
            trackers._action_update_from_sms_state("sent")
            sms.filtered(lambda s: s.state in ("pending", "process")).write({"state": "sent"})
            histories._set_delivery_state("delivered", detail)
        elif state == "failed":
            trackers._action_update_from_provider_error("not_delivered")
            sms.write({"state": "error", "failure_type": "unknown",
                       "rental_last_error": (detail or "")[:500]})
            histories._set_delivery_state("failed", detail)
        elif state == "accepted":
            histories._set_delivery_state("sent", detail)
        if credits is not None:
            histories._set_cost(provider, credits)
        return histories
