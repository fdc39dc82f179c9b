import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup, escape

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engines import planner

_logger = logging.getLogger(__name__)

QUIET_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
    "mail_activity_quick_update": True,
}


class RentalDunningDispatcher(models.AbstractModel):
    """Sends the reminders of dunning run lines, in bulk.

    For a batch of lines: lock them and their leases, plan them again with fresh facts
    (what was paid since the preview is dropped), then create the reminders
    (``rental.dunning.history``, one per recipient and channel, idempotent) and queue what
    goes out: emails (``mail.mail`` on the lease), SMS (``sms.sms`` through the policy's
    provider, after the quiet hours), letters (to print, or Odoo Snailmail), activities
    for people (level activities, registered letters, missing contacts), a note on the
    lease and, where the law and the policy allow it, a reminder fee. Each step is a small
    method an integrator can extend.
    """

    _name = "rental.dunning.dispatcher"
    _description = "Dunning Dispatcher"

    @api.model
    def _dispatch(self, lines, today):
        lines = self._lock(lines)
        if not lines:
            return lines
        company = lines.company_id
        company.ensure_one()
        collection = self.env["rental.dunning.collector"]._collect(
            company, today, lines.lease_id.ids
        )
        cases = {case.key: case for case in collection.cases}
        to_send = []
        for line in lines:
            case = cases.get(line.lease_id.id)
            spec = collection.specs.get(line.lease_id.id)
            decision = planner.plan(case, spec, today) if case else None
            if decision is None or decision.action not in ("send", "blocked"):
                self._cancel_line(line, decision)
                continue
            self._refresh_line(line, decision, collection)
            to_send.append((line, decision))
        if not to_send:
            return lines
        histories = self._create_histories(to_send, collection)
        by_channel = histories.grouped("channel")
        states = ("queued", "to_print")
        self._send_emails(by_channel.get("email", histories[:0]).filtered(
            lambda h: h.state in states))
        self._queue_sms(by_channel.get("sms", histories[:0]).filtered(
            lambda h: h.state in states))
        self._queue_letters(by_channel.get("letter", histories[:0]).filtered(
            lambda h: h.state in states))
        self._schedule_activities(to_send, histories)
        self._post_notes(to_send)
        self._charge_fees(to_send)
        self._finish(to_send)
        return lines

    # -- preparation -------------------------------------------------------------------------

    @api.model
    def _lock(self, lines):
        """Lock the lines still to send, and their leases (concurrent runs wait here)."""
        if not lines:
            return lines
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM rental_dunning_run_line
                 WHERE id IN %s AND state IN ('planned', 'blocked')
                   FOR UPDATE
                """,
                tuple(lines.ids),
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        locked = lines.browse(ids)
        if locked:
            self.env.cr.execute(
                SQL("SELECT id FROM rental_lease WHERE id IN %s FOR UPDATE",
                    tuple(locked.lease_id.ids))
            )
        return locked

    @api.model
    def _cancel_line(self, line, decision):
        Line = self.env["rental.dunning.run.line"]
        if decision is None or set(decision.reason_codes()) & {"nothing_due",
                                                                 "unallocated_covers"}:
            reasons = [planner.Reason("paid_since_preview")]
        else:
            reasons = decision.reasons
        line.write(
            {
                "state": "cancelled",
                "reasons": "\n".join(Line._reason_text(reason) for reason in reasons),
            }
        )

    @api.model
    def _refresh_line(self, line, decision, collection):
        """Give the line the fresh decision's figures (only what changed is written)."""
        values = self.env["rental.dunning.run.line"]._decision_values(decision, collection)
        changed = {}
        for key, value in values.items():
            if key in ("state", "action"):
                continue
            current = line[key]
            if isinstance(current, models.BaseModel):
                current = current.id or False
            if isinstance(value, float):
                differs = abs((current or 0.0) - value) > 0.001
            else:
                differs = (current or False) != (value or False)
            if differs:
                changed[key] = value
        if "level_id" in changed:
            reason = planner.Reason("changed_since_preview", (("detail", _("level")),))
            changed["reasons"] = line._reason_text(reason) + "\n" + values["reasons"]
        if set(decision.item_keys) != set(line.move_ids.ids):
            changed["move_ids"] = [Command.set(list(decision.item_keys))]
        if changed:
            line.write(changed)

    @api.model
    def _history_base(self, line):
        return {
            "company_id": line.company_id.id,
            "run_id": line.run_id.id,
            "run_line_id": line.id,
            "lease_id": line.lease_id.id,
            "tenant_id": line.tenant_id.id,
            "policy_id": line.policy_id.id,
            "level_id": line.level_id.id,
            "level_position": line.level_position,
            "amount_overdue": line.amount_overdue,
        }

    @api.model
    def _recipient_text(self, channel, contact, partner):
        if channel == "email":
            return contact.email or ""
        if channel == "sms":
            return contact.mobile or ""
        return ", ".join(
            part for part in (partner.street, partner.street2,
                              f"{partner.zip or ''} {partner.city or ''}".strip(),
                              partner.country_id.name) if part
        )

    @api.model
    def _create_histories(self, to_send, collection):
        """One reminder per recipient and channel (and the missing ones), idempotently."""
        Line = self.env["rental.dunning.run.line"]
        now = fields.Datetime.now()
        vals_list = []
        for line, decision in to_send:
            base = self._history_base(line)
            letter_state = "to_print" if line.policy_id._letter_mode() == "print" else "queued"
            if decision.action == "send":
                for delivery in decision.deliveries:
                    partner = self.env["res.partner"].browse(delivery.contact_key)
                    vals_list.append({
                        **base,
                        "date": now,
                        "partner_id": delivery.contact_key,
                        "recipient_role": delivery.role,
                        "channel": delivery.channel,
                        "recipient": self._recipient_text(
                            delivery.channel, collection.contacts[delivery.contact_key], partner
                        ),
                        "state": letter_state if delivery.channel == "letter" else "queued",
                        "idempotency_key": f"{line.id}:{delivery.channel}:{delivery.contact_key}",
                        "cost": line.policy_id.letter_cost if delivery.channel == "letter" else 0,
                    })
            for missing in decision.missing:
                vals_list.append({
                    **base,
                    "date": now,
                    "partner_id": missing.contact_key,
                    "recipient_role": missing.role,
                    "channel": missing.channel,
                    "state": "missing",
                    "failure_reason": Line._problem_text(missing.channel, missing.problem),
                    "idempotency_key": f"{line.id}:{missing.channel}:{missing.contact_key}",
                })
        keys = [vals["idempotency_key"] for vals in vals_list]
        History = self.env["rental.dunning.history"].sudo().with_context(**QUIET_CONTEXT)
        existing = set(History.search([("idempotency_key", "in", keys)]).mapped(
            "idempotency_key")) if keys else set()
        return History.create([v for v in vals_list if v["idempotency_key"] not in existing])

    # -- channels --------------------------------------------------------------------------------

    @api.model
    def _author(self):
        user = self.env.user
        if user._is_superuser() or not user.active:
            return self.env.ref("base.partner_root")
        return user.partner_id

    @api.model
    def _send_emails(self, histories):
        """Render each level's email template on its reminders and queue the emails."""
        if not histories:
            return
        author = self._author()
        note = self.env.ref("mail.mt_note")
        Mail = self.env["mail.mail"].sudo().with_context(**QUIET_CONTEXT)
        for template, group in histories.grouped(lambda h: h.level_id.mail_template_id).items():
            ids = group.ids
            subjects = template._render_field("subject", ids, compute_lang=True)
            bodies = template._render_field("body_html", ids, compute_lang=True)
            senders = (template._render_field("email_from", ids) if template.email_from
                       else {})
            reply_tos = (template._render_field("reply_to", ids) if template.reply_to else {})
            vals_list = []
            for history in group:
                company = history.company_id
                vals_list.append({
                    "subject": subjects[history.id],
                    "body_html": bodies[history.id],
                    "body": bodies[history.id],
                    "email_from": senders.get(history.id) or company.email_formatted
                    or author.email_formatted,
                    "reply_to": reply_tos.get(history.id) or False,
                    "author_id": author.id,
                    "recipient_ids": [Command.link(history.partner_id.id)],
                    "model": "rental.lease",
                    "res_id": history.lease_id.id,
                    "record_name": history.lease_id.name,
                    "subtype_id": note.id,
                    "message_type": "email_outgoing",
                    "auto_delete": False,
                    "mail_server_id": template.mail_server_id.id,
                    "rental_history_id": history.id,
                })
            mails = Mail.create(vals_list)
            for history, mail in zip(group, mails, strict=True):
                history.write({
                    "mail_mail_id": mail.id,
                    "mail_message_id": mail.mail_message_id.id,
                    "subject": mail.subject,
                    "body": mail.body_html,
                })

    @api.model
    def _queue_sms(self, histories):
        """Render the SMS templates and queue the SMS through the policy's provider.

        Each SMS gets a message on the lease's chatter with its notification (as Odoo's own
        SMS do) and is held until the provider's quiet hours end.
        """
        if not histories:
            return
        # Imported here: the engines' tests import this addon without Odoo's addons path.
        from odoo.addons.sms.tools.sms_tools import sms_content_to_rendered_html

        author = self._author()
        note = self.env.ref("mail.mt_note")
        now = fields.Datetime.now()
        Message = self.env["mail.message"].sudo().with_context(**QUIET_CONTEXT)
        Sms = self.env["sms.sms"].sudo()
        for template, group in histories.grouped(lambda h: h.level_id.sms_template_id).items():
            bodies = template._render_field("body", group.ids, compute_lang=True)
            messages = Message.create([
                {
                    "model": "rental.lease",
                    "res_id": history.lease_id.id,
                    "record_name": history.lease_id.name,
                    "body": sms_content_to_rendered_html(bodies[history.id]),
                    "message_type": "sms",
                    "subtype_id": note.id,
                    "author_id": author.id,
                    "partner_ids": [Command.link(history.partner_id.id)],
                }
                for history in group
            ])
            sms_vals = []
            for history, message in zip(group, messages, strict=True):
                provider = history.policy_id._sms_provider()
                not_before = provider._next_send_time(now) if provider else now
                sms_vals.append({
                    "number": history.recipient,
                    "body": bodies[history.id],
                    "partner_id": history.partner_id.id,
                    "mail_message_id": message.id,
                    "state": "outgoing",
                    "rental_provider_id": provider.id,
                    "rental_history_id": history.id,
                    "rental_not_before": not_before if not_before > now else False,
                })
            sms_records = Sms.create(sms_vals)
            self.env["mail.notification"].sudo().create([
                {
                    "author_id": author.id,
                    "mail_message_id": sms.mail_message_id.id,
                    "res_partner_id": sms.partner_id.id,
                    "sms_number": sms.number,
                    "notification_type": "sms",
                    "sms_id_int": sms.id,
                    "sms_tracker_ids": [Command.create({"sms_uuid": sms.uuid})],
                    "is_read": True,
                    "notification_status": "ready",
                }
                for sms in sms_records
            ])
            for history, sms in zip(group, sms_records, strict=True):
                history.write({
                    "sms_uuid": sms.uuid,
                    "sms_provider_id": sms.rental_provider_id.id,
                    "mail_message_id": sms.mail_message_id.id,
                    "body": sms.body,
                })
            for at in {sms.rental_not_before for sms in sms_records if sms.rental_not_before}:
                Sms._rental_trigger_queue(at)

    @api.model
    def _queue_letters(self, histories):
        """Letters: printed in one batch PDF from the run, or posted by Odoo Snailmail."""
        if not histories:
            return
        for history in histories:
            history.subject = history._letter_title() or history.level_id.name
        to_post = histories.filtered(lambda h: h.state == "queued")
        if not to_post:
            return
        report = self.env.ref("rental_flow_dunning.action_report_dunning_letter")
        letters = self.env["snailmail.letter"].sudo().create([
            {
                "model": history._name,
                "res_id": history.id,
                "partner_id": history.partner_id.id,
                "company_id": history.company_id.id,
                "report_template": report.id,
                "user_id": self.env.user.id,
            }
            for history in to_post
        ])
        for history, letter in zip(to_post, letters, strict=True):
            history.snailmail_letter_id = letter

    # -- activities, notes, fees -----------------------------------------------------------------

    @api.model
    def _schedule_activities(self, to_send, histories):
        """Activities on the lease: the level's, the registered letter's, missing contacts."""
        today = fields.Date.context_today(self)
        model_id = self.env["ir.model"]._get_id("rental.lease")
        missing_type = self.env.ref("rental_flow_dunning.mail_activity_missing_contact")
        lrar_type = self.env.ref("rental_flow_dunning.mail_activity_registered_letter")
        open_missing = set(
            self.env["mail.activity"].sudo().search([
                ("res_model", "=", "rental.lease"),
                ("res_id", "in", [line.lease_id.id for line, __ in to_send]),
                ("activity_type_id", "=", missing_type.id),
            ]).mapped("res_id")
        )
        vals_list, owners = [], []
        for line, decision in to_send:
            lease, level = line.lease_id, line.level_id
            user = lease._dunning_manager()
            base = {"res_model_id": model_id, "res_id": lease.id, "user_id": user.id}
            if decision.action == "send" and level.activity:
                vals_list.append({
                    **base,
                    "activity_type_id": level.activity_type_id.id,
                    "summary": level.activity_summary or level.name,
                    "note": level.activity_note or line._chatter_summary(),
                    "date_deadline": today + timedelta(days=level.activity_days),
                })
                owners.append((line, "activity"))
            if decision.action == "send" and level.registered_letter:
                vals_list.append({
                    **base,
                    "activity_type_id": lrar_type.id,
                    "summary": _("Send %(level)s by registered post (LRAR)", level=level.name),
                    "note": line._chatter_summary(),
                    "date_deadline": today + timedelta(days=1),
                })
                owners.append((line, "registered"))
            if decision.missing and lease.id not in open_missing:
                vals_list.append({
                    **base,
                    "activity_type_id": missing_type.id,
                    "summary": _("Complete the contact details for the reminders"),
                    "note": Markup("<p>%s</p><p>%s</p>") % (
                        _("Reminder %(level)s could not reach everyone:", level=level.name),
                        Markup("<br/>").join(
                            escape(row) for row in (line.missing_contacts or "").splitlines()
                        ),
                    ),
                    "date_deadline": today + timedelta(days=2),
                })
                owners.append((line, "missing"))
                open_missing.add(lease.id)
        if not vals_list:
            return
        activities = self.env["mail.activity"].sudo().with_context(**QUIET_CONTEXT).create(
            vals_list
        )
        History = self.env["rental.dunning.history"].sudo().with_context(**QUIET_CONTEXT)
        now = fields.Datetime.now()
        history_vals = []
        for (line, kind), activity in zip(owners, activities, strict=True):
            if kind == "missing":
                histories.filtered(
                    lambda h, line=line: h.run_line_id == line and h.state == "missing"
                ).write({"activity_id": activity.id})
                continue
            history_vals.append({
                **self._history_base(line),
                "date": now,
                "partner_id": activity.user_id.partner_id.id,
                "recipient_role": "manager",
                "channel": "activity",
                "subject": activity.summary,
                "recipient": activity.user_id.name,
                "state": "sent",
                "activity_id": activity.id,
                "idempotency_key": f"{line.id}:activity:{kind}",
            })
        History.create(history_vals)

    @api.model
    def _post_notes(self, to_send):
        """A note on each lease: level, amount, rent calls, recipients, what is missing."""
        bodies = {line.lease_id.id: line._chatter_summary() for line, __ in to_send}
        leases = self.env["rental.lease"].browse(list(bodies))
        leases._message_log_batch(bodies=bodies, author_id=self._author().id)

    @api.model
    def _charge_fees(self, to_send):
        for line, decision in to_send:
            if decision.action == "send" and decision.fee_cents and not line.fee_move_id:
                line.fee_move_id = self._create_fee(line, decision.fee_cents)

    @api.model
    def _create_fee(self, line, cents):
        """A reminder-fee invoice to the tenant; refused on residential leases (French law)."""
        lease = line.lease_id
        try:
            planner.check_fee_allowed(lease.lease_kind, line.policy_id._fee_lease_kinds())
        except planner.FeeNotAllowed as exc:
            raise UserError(
                _("No reminder fee may be charged on lease %(lease)s (%(kind)s).",
                  lease=lease.name, kind=lease.lease_kind)
            ) from exc
        company = lease.company_id
        today = fields.Date.context_today(self)
        product = self.env.ref("rental_flow_dunning.product_dunning_fee")
        vals = {
            "move_type": "out_invoice",
            "journal_id": company.rental_journal_id.id,
            "company_id": company.id,
            "currency_id": company.currency_id.id,
            "partner_id": lease.tenant_id.id,
            "invoice_date": today,
            "invoice_date_due": today,
            "invoice_payment_term_id": False,
            "invoice_origin": line.run_id.name,
            "rental_lease_id": lease.id,
            "rental_property_id": lease.property_id.id,
            "rental_call_kind": "dunning_fee",
        }
        label = _("Reminder fee: %(level)s", level=line.level_id.name)
        fee_line = lease._call_line(product, label, cents / 100.0,
                                    company.rental_owner_account_id, "dunning_fee")
        lease._set_call_lines(vals, [fee_line])
        return lease._create_calls([vals])

    @api.model
    def _finish(self, to_send):
        now = fields.Datetime.now()
        sent_lines = [line for line, decision in to_send if decision.action == "send"]
        by_level = defaultdict(list)
        for line in sent_lines:
            by_level[(line.level_id.id, line.date)].append(line.lease_id.id)
        Line = self.env["rental.dunning.run.line"]
        Line.browse([line.id for line in sent_lines]).write(
            {"state": "sent", "sent_date": now}
        )
        Line.browse([line.id for line, d in to_send if d.action == "blocked"]).write(
            {"state": "blocked"}
        )
        for (level_id, run_date), lease_ids in by_level.items():
            self.env["rental.lease"].browse(lease_ids).write(
                {"dunning_level_id": level_id, "dunning_last_date": run_date}
            )
