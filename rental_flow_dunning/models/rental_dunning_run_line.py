import hashlib
from datetime import timedelta

from markupsafe import Markup, escape

from odoo import _, api, fields, models
from odoo.tools import SQL

#: Planner action -> line state at preview.
ACTION_STATES = {
    "send": "planned",
    "blocked": "blocked",
    "wait": "waiting",
    "skip": "skipped",
    "exclude": "excluded",
}


class RentalDunningRunLine(models.Model):
    """What a dunning run does (or did) for one lease: level, calls, channels, recipients."""

    _name = "rental.dunning.run.line"
    _description = "Dunning Run Line"
    _order = "run_id desc, state_sequence, days_late desc, id"
    _rec_name = "lease_id"

    run_id = fields.Many2one("rental.dunning.run", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(related="run_id.date", store=True)
    lease_id = fields.Many2one("rental.lease", required=True, index=True, ondelete="cascade")
    tenant_id = fields.Many2one("res.partner", string="Tenant")
    property_id = fields.Many2one(related="lease_id.property_id", string="Property")
    policy_id = fields.Many2one("rental.dunning.policy", string="Policy")
    level_id = fields.Many2one("rental.dunning.level", string="Level", index=True)
    level_position = fields.Integer(string="Level #")
    move_ids = fields.Many2many(
        "account.move",
        "rental_dunning_run_line_move_rel",
        "line_id",
        "move_id",
        string="Rent Calls",
    )
    move_count = fields.Integer(string="Calls")
    amount_overdue = fields.Monetary(string="Amount Overdue")
    oldest_due_date = fields.Date(string="Oldest Due Date")
    days_late = fields.Integer()
    action = fields.Selection(
        [
            ("send", "Send"),
            ("blocked", "Blocked"),
            ("wait", "Wait"),
            ("skip", "Skip"),
            ("exclude", "Exclude"),
        ],
        readonly=True,
    )
    state = fields.Selection(
        [
            ("planned", "To Send"),
            ("blocked", "Contact Missing"),
            ("waiting", "Waiting"),
            ("skipped", "Nothing to Send"),
            ("excluded", "Excluded"),
            ("sent", "Sent"),
            ("cancelled", "Cancelled"),
            ("failed", "Failed"),
        ],
        default="planned",
        required=True,
        index=True,
    )
    state_sequence = fields.Integer(compute="_compute_state_sequence", store=True)
    channel_email = fields.Boolean(string="Email")
    channel_sms = fields.Boolean(string="SMS")
    channel_letter = fields.Boolean(string="Letter")
    channel_activity = fields.Boolean(string="Activity")
    guarantor_copy = fields.Boolean()
    recipients = fields.Text()
    missing_contacts = fields.Text(string="Missing Contacts")
    has_missing = fields.Boolean(string="Contact Missing")
    reasons = fields.Text()
    plan_signature = fields.Char(
        readonly=True, copy=False,
        help="Fingerprint of the planner's decision at preview: at sending, an unchanged "
        "decision is not rewritten.",
    )
    fee_amount = fields.Monetary(string="Fee")
    fee_move_id = fields.Many2one("account.move", string="Fee Invoice", readonly=True)
    error = fields.Text()
    sent_date = fields.Datetime(index=True)
    history_ids = fields.One2many("rental.dunning.history", "run_line_id", string="Reminders")
    amount_recovered = fields.Monetary(
        string="Recovered",
        help="Paid on these rent calls within the company's recovery window after the "
        "reminder.",
    )
    recovery_final = fields.Boolean(help="The recovery window is over: the figure is final.")
    recovery_rate = fields.Float(
        compute="_compute_recovery_rate", store=True, aggregator="avg", digits=(5, 1)
    )

    def init(self):
        super().init()
        self.env["rental.dunning.report"].init()

    @api.model
    def _state_order(self):
        """States in the order the lines are listed (what needs attention first)."""
        return ["planned", "blocked", "failed", "sent", "waiting", "skipped", "excluded",
                "cancelled"]

    @api.depends("state")
    def _compute_state_sequence(self):
        order = self._state_order()
        for line in self:
            line.state_sequence = order.index(line.state) if line.state in order else 99

    @api.depends("amount_recovered", "amount_overdue")
    def _compute_recovery_rate(self):
        for line in self:
            line.recovery_rate = (
                100.0 * line.amount_recovered / line.amount_overdue if line.amount_overdue else 0.0
            )

    # -- presentation of the planner's decision ----------------------------------------------

    @api.model
    def _reason_labels(self):
        """Translated labels of the planner's reason codes (see :meth:`_reason_text`)."""
        return {
            "litigation": _("Lease in dispute or in legal proceedings (%(state)s)."),
            "paused": _("Dunning paused on this lease."),
            "empty_policy": _("The policy has no level: nothing is sent."),
            "no_policy": _("No dunning policy applies to this lease."),
            "nothing_due": _("Nothing is owed any more."),
            "unallocated_covers": _("A payment not yet matched (%(amount)s) covers the debt."),
            "below_minimum": _("%(amount)s overdue is below the policy's minimum %(minimum)s."),
            "payment_plan_honoured": _(
                "%(items)s rent call(s) covered by a payment plan that is honoured."
            ),
            "payment_plan_missed": _("An instalment of the payment plan was missed."),
            "last_level_reached": _("The last level (%(level)s) was already sent."),
            "interval": _("Previous reminder %(days)s day(s) ago; %(minimum)s required."),
            "not_due_yet": _("No new level due yet (%(days)s day(s) late)."),
            "chronic_skip": _(
                "Late %(late_count)s times in twelve months: starts at level %(level)s."
            ),
            "jump": _("Straight to level %(level)s."),
            "level_due": _("Level %(level)s due: %(days)s day(s) after the due date."),
            "guarantor_copy": _("Copy to the guarantors."),
            "missing_contact": _("%(count)s channel(s) cannot reach a recipient."),
            "no_reachable_tenant": _(
                "No tenant can be reached by this level's channels: the level is held until "
                "the contact is completed."
            ),
            "no_fee_residential": _(
                "No reminder fee on a residential lease (French law, loi du 6 juillet 1989 "
                "art. 4)."
            ),
            "no_fee_kind": _("The policy charges no fee on %(kind)s leases."),
            "fee": _("Reminder fee %(amount)s."),
            "paid_since_preview": _("Paid since the preview: not sent."),
            "changed_since_preview": _("Changed since the preview: %(detail)s"),
        }

    @api.model
    def _problem_labels(self):
        channels = {"email": _("email"), "sms": _("mobile number"), "letter": _("postal address")}
        problems = {
            "missing": _("missing"),
            "invalid": _("invalid"),
            "unparsable": _("not a phone number"),
            "not_mobile": _("not a mobile number"),
            "incomplete": _("incomplete"),
        }
        return channels, problems

    @api.model
    def _reason_text(self, reason, labels=None):
        """Readable, translated text of a planner :class:`Reason`.

        ``labels`` (from :meth:`_reason_labels`) can be passed when many reasons are
        formatted, to translate the labels once.
        """
        params = reason.as_dict()
        if "cents" in params:
            params["amount"] = f"{params['cents'] / 100:.2f}"
        if reason.code == "below_minimum":
            params["minimum"] = f"{params['minimum'] / 100:.2f}"
        label = (labels or self._reason_labels()).get(reason.code)
        if label is None:
            return reason.code
        try:
            return label % params
        except (KeyError, TypeError, ValueError):
            return label

    @api.model
    def _problem_text(self, channel, problem, labels=None):
        channels, problems = labels or self._problem_labels()
        return _("%(what)s %(problem)s", what=channels.get(channel, channel),
                 problem=problems.get(problem, problem))

    @api.model
    def _decision_values(self, decision, collection, labels=None):
        """Line values shown in the preview for a planner decision.

        ``labels`` caches the translated texts when many decisions are formatted (see
        :meth:`_presentation_labels`).
        """
        labels = labels or self._presentation_labels()
        partners = self.env["res.partner"].browse(
            {d.contact_key for d in decision.deliveries} | {m.contact_key for m in decision.missing}
        )
        names = {partner.id: partner.name or "" for partner in partners}
        recipients = []
        for delivery in decision.deliveries:
            contact = collection.contacts.get(delivery.contact_key)
            address = {
                "email": contact.email if contact else "",
                "sms": contact.mobile if contact else "",
                "letter": labels["postal_address"],
            }[delivery.channel]
            role = labels["guarantor"] if delivery.role == "guarantor" else ""
            recipients.append(
                f"{delivery.channel.upper()}: {names.get(delivery.contact_key, '')}{role} "
                f"<{address}>"
            )
        missing = [
            f"{names.get(m.contact_key, '')}: "
            f"{self._problem_text(m.channel, m.problem, labels['problems'])}"
            for m in decision.missing
        ]
        channels = set(decision.channels)
        return {
            "action": decision.action,
            "state": ACTION_STATES[decision.action],
            "level_id": decision.level_key or False,
            "level_position": (decision.level_index + 1)
            if decision.level_index is not None else 0,
            "amount_overdue": decision.amount_cents / 100.0,
            "oldest_due_date": decision.oldest_due_date,
            "days_late": decision.days_late or 0,
            "move_count": len(decision.item_keys),
            "channel_email": "email" in channels,
            "channel_sms": "sms" in channels,
            "channel_letter": "letter" in channels,
            "channel_activity": decision.activity,
            "guarantor_copy": any(d.role == "guarantor" for d in decision.deliveries),
            "recipients": "\n".join(recipients),
            "missing_contacts": "\n".join(missing),
            "has_missing": bool(missing),
            "reasons": "\n".join(
                self._reason_text(reason, labels["reasons"]) for reason in decision.reasons
            ),
            "fee_amount": decision.fee_cents / 100.0,
            "plan_signature": self._signature(decision),
        }

    @api.model
    def _signature(self, decision):
        """Fingerprint of a planner decision (what would be sent, to whom, and why)."""
        facts = (
            decision.action, decision.level_key, decision.amount_cents, decision.item_keys,
            decision.deliveries, decision.missing, decision.activity, decision.fee_cents,
            tuple(decision.reasons), decision.days_late,
        )
        return hashlib.sha1(repr(facts).encode()).hexdigest()

    @api.model
    def _presentation_labels(self):
        """Every translated text :meth:`_decision_values` needs, translated once."""
        return {
            "reasons": self._reason_labels(),
            "problems": self._problem_labels(),
            "postal_address": _("postal address"),
            "guarantor": _(" (guarantor)"),
        }

    @api.model
    def _summary_texts(self):
        """Translated texts of :meth:`_chatter_summary` (translate once for many lines)."""
        return {
            "title": _("Reminder %(level)s (%(policy)s)"),
            "amount": _("%(amount)s overdue, %(days)s day(s) late: %(calls)s"),
            "missing": _("Missing:"),
        }

    def _chatter_summary(self, texts=None):
        """HTML note posted on the lease when the line is sent (built from escaped values)."""
        self.ensure_one()
        texts = texts or self._summary_texts()
        calls = ", ".join(move.name or "" for move in self.move_ids)
        amount = f"{self.amount_overdue:.2f} {self.currency_id.symbol or ''}".strip()
        parts = [
            Markup("<p><b>%s</b></p>") % (texts["title"] % {
                "level": self.level_id.name or "", "policy": self.policy_id.name or "",
            }),
            Markup("<p>%s</p>") % (texts["amount"] % {
                "amount": amount, "days": self.days_late, "calls": calls,
            }),
        ]
        if self.recipients:
            parts.append(Markup("<p>%s</p>") % Markup("<br/>").join(
                escape(row) for row in self.recipients.splitlines()
            ))
        if self.missing_contacts:
            parts.append(Markup("<p>%s %s</p>") % (texts["missing"], Markup("<br/>").join(
                escape(row) for row in self.missing_contacts.splitlines()
            )))
        return Markup("").join(parts)

    def action_open_lease(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "rental.lease",
            "res_id": self.lease_id.id,
            "view_mode": "form",
        }

    # -- recovery figures --------------------------------------------------------------------

    @api.model
    def _cron_update_recovery(self):
        """Credit each payment on a reminded rent call to the latest reminder before it.

        A payment counts for a reminder when it comes at most the company's recovery window
        after it; lines whose window is over are marked final and no longer recomputed.
        """
        for company in self.env["res.company"].search([]):
            lines = self.search([
                ("company_id", "=", company.id), ("state", "=", "sent"),
                ("recovery_final", "=", False),
            ])
            if lines:
                lines._update_recovery(company.rental_dunning_recovery_days)

    def _update_recovery(self, window_days):
        if not self:
            return
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                WITH candidate_moves AS (
                    SELECT DISTINCT rel.move_id
                      FROM rental_dunning_run_line_move_rel rel
                     WHERE rel.line_id IN %(lines)s
                ), payments AS (
                    SELECT apr.id AS payment_id, apr.amount, apr.max_date, aml.move_id
                      FROM account_partial_reconcile apr
                      JOIN account_move_line aml ON aml.id = apr.debit_move_id
                     WHERE aml.display_type = 'payment_term'
                       AND aml.move_id IN (SELECT move_id FROM candidate_moves)
                ), credited AS (
                    SELECT DISTINCT ON (p.payment_id) p.payment_id, p.amount, rl.id AS line_id
                      FROM payments p
                      JOIN rental_dunning_run_line_move_rel rel ON rel.move_id = p.move_id
                      JOIN rental_dunning_run_line rl ON rl.id = rel.line_id AND rl.state = 'sent'
                     WHERE p.max_date >= rl.sent_date::date
                       AND p.max_date <= rl.sent_date::date + %(window)s
                     ORDER BY p.payment_id, rl.sent_date DESC, rl.id DESC
                )
                SELECT line_id, SUM(amount) FROM credited
                 WHERE line_id IN %(lines)s
                 GROUP BY line_id
                """,
                lines=tuple(self.ids),
                window=window_days,
            )
        )
        recovered = dict(self.env.cr.fetchall())
        today = fields.Date.context_today(self)
        for line in self:
            final = bool(line.sent_date) and (
                line.sent_date.date() + timedelta(days=window_days) < today
            )
            amount = recovered.get(line.id, 0.0)
            if line.amount_recovered != amount or final != line.recovery_final:
                line.write({"amount_recovered": amount, "recovery_final": final})
