import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup, escape

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.mail import generate_tracking_message_id

from ..engines import planner
from .bulk import bulk_insert

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
    def _dispatch(self, lines, today, deliver_now=True):
        """Send the reminders of ``lines`` as of ``today``.

        The reminders are created in bulk; their emails, SMS and posted letters are
        rendered and queued at once when ``deliver_now``, else by the delivery job
        (:meth:`rental.dunning.history._cron_deliver`) in committed batches.
        """
        lines = self._lock(lines)
        if not lines:
            return lines
        company = lines.company_id
        company.ensure_one()
        collection = self.env["rental.dunning.collector"]._collect(
            company, today, lines.lease_id.ids
        )
        cases = {case.key: case for case in collection.cases}
        labels = self.env["rental.dunning.run.line"]._presentation_labels()
        to_send = []
        for line in lines:
            case = cases.get(line.lease_id.id)
            spec = collection.specs.get(line.lease_id.id)
            decision = planner.plan(case, spec, today) if case else None
            if decision is None or decision.action not in ("send", "blocked"):
                self._cancel_line(line, decision, labels)
                continue
            self._refresh_line(line, decision, collection, labels)
            to_send.append((line, decision))
        if not to_send:
            return lines
        self = self.with_context(rental_dunning_summaries={})
        sent_lines = lines.browse([line.id for line, __ in to_send])
        sent_lines.move_ids.fetch(["name"])  # for the summaries, in one query
        histories = self._create_histories(to_send, collection, labels)
        self._schedule_activities(to_send, histories)
        self._post_notes(to_send)
        self._charge_fees(to_send)
        self._finish(to_send)
        if deliver_now:
            self._deliver(histories)
        return lines

    @api.model
    def _deliver(self, histories):
        """Hand the pending reminders to Odoo's queues: emails, SMS, posted letters.

        A reminder whose rent calls were all paid since the run is cancelled instead.
        """
        pending = self._drop_paid(self._lock_pending(histories))
        by_channel = pending.grouped("channel")
        empty = pending.browse()
        self._send_emails(by_channel.get("email", empty))
        self._queue_sms(by_channel.get("sms", empty))
        self._queue_letters(by_channel.get("letter", empty))
        return pending

    @api.model
    def _lock_pending(self, histories):
        """The reminders still pending, locked (a concurrent delivery skips them)."""
        pending = histories.filtered(lambda h: h.state == "pending")
        if not pending:
            return pending
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM rental_dunning_history WHERE id IN %s AND state = 'pending' "
                "FOR UPDATE SKIP LOCKED",
                tuple(pending.ids),
            )
        )
        return pending.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _drop_paid(self, histories):
        """Cancel the reminders whose rent calls are all paid; return the others."""
        if not histories:
            return histories
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT rel.line_id
                  FROM rental_dunning_run_line_move_rel rel
                  JOIN account_move m ON m.id = rel.move_id
                 WHERE rel.line_id IN %s
                 GROUP BY rel.line_id
                HAVING BOOL_AND(m.payment_state NOT IN ('not_paid', 'partial')
                                OR m.amount_residual <= 0)
                """,
                tuple(histories.run_line_id.ids),
            )
        )
        paid_lines = {row[0] for row in self.env.cr.fetchall()}
        paid = histories.filtered(lambda h: h.run_line_id.id in paid_lines)
        if paid:
            paid.write({"state": "cancelled", "failure_reason": _("Paid before sending.")})
        return histories - paid

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
    def _cancel_line(self, line, decision, labels):
        Line = self.env["rental.dunning.run.line"]
        if decision is None or set(decision.reason_codes()) & {"nothing_due",
                                                                 "unallocated_covers"}:
            reasons = [planner.Reason("paid_since_preview")]
        else:
            reasons = decision.reasons
        line.write(
            {
                "state": "cancelled",
                "reasons": "\n".join(
                    Line._reason_text(reason, labels["reasons"]) for reason in reasons
                ),
            }
        )

    @api.model
    def _refresh_line(self, line, decision, collection, labels):
        """Give the line the fresh decision's figures (only what changed is written)."""
        Line = self.env["rental.dunning.run.line"]
        if line.plan_signature and line.plan_signature == Line._signature(decision):
            return  # nothing changed since the preview
        values = self.env["rental.dunning.run.line"]._decision_values(
            decision, collection, labels
        )
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
            changed["reasons"] = (
                line._reason_text(reason, labels["reasons"]) + "\n" + values["reasons"]
            )
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
    def _create_histories(self, to_send, collection, labels):
        """One reminder per recipient and channel (and the missing ones), idempotently.

        Inserted in bulk; a reminder whose idempotency key exists is never created again.
        """
        Line = self.env["rental.dunning.run.line"]
        History = self.env["rental.dunning.history"].sudo()
        now = fields.Datetime.now()
        partners = self.env["res.partner"].browse(list(collection.contacts))
        rows = []
        for line, decision in to_send:
            base = self._history_base(line)
            policy = line.policy_id
            letter_state = "to_print" if policy._letter_mode() == "print" else "pending"
            deliveries = decision.deliveries if decision.action == "send" else ()
            for delivery in deliveries:
                partner = partners.browse(delivery.contact_key)
                is_letter = delivery.channel == "letter"
                rows.append({
                    **base,
                    "date": now,
                    "partner_id": delivery.contact_key,
                    "recipient_role": delivery.role,
                    "channel": delivery.channel,
                    "recipient": self._recipient_text(
                        delivery.channel, collection.contacts[delivery.contact_key], partner
                    ),
                    "state": letter_state if is_letter else "pending",
                    "subject": (line.level_id.letter_title or line.level_id.name)
                    if is_letter else None,
                    "failure_reason": None,
                    "idempotency_key": f"{line.id}:{delivery.channel}:{delivery.contact_key}",
                    "cost": policy.letter_cost if is_letter else 0.0,
                })
            for missing in decision.missing:
                rows.append({
                    **base,
                    "date": now,
                    "partner_id": missing.contact_key,
                    "recipient_role": missing.role,
                    "channel": missing.channel,
                    "recipient": None,
                    "state": "missing",
                    "subject": None,
                    "failure_reason": Line._problem_text(
                        missing.channel, missing.problem, labels["problems"]
                    ),
                    "idempotency_key": f"{line.id}:{missing.channel}:{missing.contact_key}",
                    "cost": 0.0,
                })
        ids = bulk_insert(
            History, rows, SQL("ON CONFLICT (idempotency_key) DO NOTHING")
        )
        return History.browse(ids)

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
            bodies = self._render_template_body(template, group)
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
                    "state": "queued",
                    "mail_mail_id": mail.id,
                    "mail_message_id": mail.mail_message_id.id,
                    "subject": mail.subject,
                    "body": mail.body_html,
                })

    @api.model
    def _render_template_body(self, template, histories):
        """``{history id: HTML}``: the template's body rendered on each reminder.

        Same result as ``template._render_field("body_html", ids, compute_lang=True)``, but
        the QWeb body is compiled once per language instead of once per record (Odoo
        compiles a mail template's body again for every record, which dominates a run of
        thousands of reminders).
        """
        results = {}
        for lang, (localized, ids) in template._classify_per_lang(histories.ids).items():
            source = localized.body_html
            if not source:
                results.update(dict.fromkeys(ids, ""))
                continue
            restricted = not template._unrestricted_rendering and not (
                self.env.is_admin()
                or self.env.user.has_group("mail.group_mail_template_editor")
            )
            rendered = self._render_qweb_bulk(
                str(source), histories.browse(ids), lang, restricted=restricted
            )
            results.update(
                self.env["mail.render.mixin"]._render_template_postprocess(
                    histories._name, rendered
                )
            )
        return results

    @api.model
    def _render_qweb_bulk(self, source, records, lang=None, restricted=False):
        """Render the QWeb ``source`` on each of ``records`` (as ``object``), compiling once.

        The evaluation context is the one of mail templates (``format_date``,
        ``format_amount``, ``user``, ``ctx``...). ``restricted`` applies the restrictions
        of mail templates rendered by users who may not edit templates (mail and SMS
        templates themselves are rendered unrestricted, as Odoo does).
        """
        from lxml import html as lxml_html

        from odoo.tools import safe_eval

        render_mixin = self.env["mail.render.mixin"].with_context(lang=lang or self.env.lang)
        variables = render_mixin._render_eval_context()
        options = {"lang": lang} if lang else {}
        if restricted:
            options["raise_on_forbidden_code_for_model"] = records._name
        ir_qweb = self.env["ir.qweb"].with_context(**options)
        element = lxml_html.fragment_fromstring(source, create_parent="div")
        functions, def_name = ir_qweb._compile(element)
        render = functions[def_name]
        results = {}
        for record in records.with_context(lang=lang or self.env.lang):
            values = dict(variables, object=record)
            environment = ir_qweb._prepare_environment(values)
            safe_eval.check_values(values)
            # strip the <div> added to wrap several root nodes, as mail templates do
            results[record.id] = Markup("".join(render(environment, values)))[5:-6]
        return results

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
                    "state": "queued",
                    "sms_uuid": sms.uuid,
                    "sms_provider_id": sms.rental_provider_id.id,
                    "mail_message_id": sms.mail_message_id.id,
                    "body": sms.body,
                })
            for at in {sms.rental_not_before for sms in sms_records if sms.rental_not_before}:
                Sms._rental_trigger_queue(at)

    @api.model
    def _queue_letters(self, histories):
        """Letters to post with Odoo Snailmail (letters to print wait for the batch PDF)."""
        if not histories:
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
            for history in histories
        ])
        for history, letter in zip(histories, letters, strict=True):
            history.write({"state": "queued", "snailmail_letter_id": letter.id})

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
        vals_list, owners, managers = [], [], {}
        for line, decision in to_send:
            lease, level = line.lease_id, line.level_id
            key = (lease.dunning_user_id.id, lease.company_id.id)
            if key not in managers:
                managers[key] = lease._dunning_manager().id
            base = {"res_model_id": model_id, "res_id": lease.id, "user_id": managers[key]}
            if decision.action == "send" and level.activity:
                vals_list.append({
                    **base,
                    "activity_type_id": level.activity_type_id.id,
                    "summary": level.activity_summary or level.name,
                    "note": level.activity_note or self._summary(line),
                    "date_deadline": today + timedelta(days=level.activity_days),
                })
                owners.append((line, "activity"))
            if decision.action == "send" and level.registered_letter:
                vals_list.append({
                    **base,
                    "activity_type_id": lrar_type.id,
                    "summary": _("Send %(level)s by registered post (LRAR)", level=level.name),
                    "note": self._summary(line),
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
        missing = histories.filtered(lambda h: h.state == "missing").grouped("run_line_id")
        now = fields.Datetime.now()
        rows = []
        for (line, kind), activity in zip(owners, activities, strict=True):
            if kind == "missing":
                if line in missing:
                    missing[line].write({"activity_id": activity.id})
                continue
            rows.append({
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
        bulk_insert(self.env["rental.dunning.history"].sudo(), rows,
                    SQL("ON CONFLICT (idempotency_key) DO NOTHING"))

    def _summary(self, line):
        """The line's chatter summary, computed once per line and dispatch."""
        cache = self.env.context.get("rental_dunning_summaries")
        if cache is None:
            return line._chatter_summary()
        if "texts" not in cache:
            cache["texts"] = line._summary_texts()
        if line.id not in cache:
            cache[line.id] = line._chatter_summary(cache["texts"])
        return cache[line.id]

    @api.model
    def _post_notes(self, to_send):
        """A note on the lease when the chatter would not show the reminder by itself.

        Emails and SMS are posted on the lease's chatter when they are queued; letters,
        activities, blocked levels and missing contacts get a summary note (level,
        amount, rent calls, recipients, what is missing). The notes are the same log
        messages ``_message_log_batch`` creates, inserted in bulk: their bodies are built
        from escaped values only (:meth:`rental.dunning.run.line._chatter_summary`).
        """
        bodies = {
            line.lease_id.id: self._summary(line)
            for line, decision in to_send
            if decision.action != "send" or decision.missing or decision.activity
            or "letter" in decision.channels
        }
        if not bodies:
            return
        leases = self.env["rental.lease"].browse(list(bodies))
        author_id, email_from = leases._message_compute_author(
            self._author().id, None, raise_on_email=False
        )
        reply_to = self.env["mail.thread"]._notify_get_reply_to(default=email_from)[False]
        note = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
        now = fields.Datetime.now()
        rows = [
            {
                "author_id": author_id,
                "email_from": email_from,
                "model": "rental.lease",
                "res_id": lease_id,
                "body": str(body),
                "message_type": "notification",
                "is_internal": True,
                "subtype_id": note,
                "email_add_signature": False,
                "message_id": generate_tracking_message_id("message-notify"),
                "reply_to": reply_to,
                "date": now,
            }
            for lease_id, body in bodies.items()
        ]
        bulk_insert(self.env["mail.message"].sudo(), rows)
        leases.invalidate_recordset(["message_ids"])

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
        Lease = self.env["rental.lease"].with_context(tracking_disable=True)
        for (level_id, run_date), lease_ids in by_level.items():
            Lease.browse(lease_ids).write(
                {"dunning_level_id": level_id, "dunning_last_date": run_date}
            )
