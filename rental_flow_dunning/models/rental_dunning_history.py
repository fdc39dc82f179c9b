from odoo import _, api, fields, models

#: States a delivery report may not move back from.
FINAL_STATES = ("delivered", "failed", "cancelled", "missing")


class RentalDunningHistory(models.Model):
    """One reminder to one recipient by one channel: the evidence of the dunning.

    Kept on the tenant and the lease (smart buttons), in the chatter (the email, SMS and a
    summary note are posted on the lease) and in list/pivot views. Its delivery state
    follows the email (``mail.mail``), the SMS (provider answers and delivery reports) and
    the letter (printed, or Odoo Snailmail's state). ``idempotency_key`` is unique per run
    line, channel and recipient: a reminder is never created, hence never sent, twice.
    It is also the record the email, SMS and letter templates are rendered on.
    """

    _name = "rental.dunning.history"
    _description = "Reminder Sent"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _rec_name = "display_name"

    date = fields.Datetime(required=True, default=fields.Datetime.now)
    company_id = fields.Many2one("res.company", required=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    run_id = fields.Many2one("rental.dunning.run", index=True, ondelete="restrict")
    run_line_id = fields.Many2one("rental.dunning.run.line", index=True, ondelete="set null")
    lease_id = fields.Many2one("rental.lease", required=True, index=True, ondelete="cascade")
    property_id = fields.Many2one(related="lease_id.property_id", string="Property")
    tenant_id = fields.Many2one("res.partner", string="Tenant", index="btree_not_null")
    partner_id = fields.Many2one("res.partner", string="Recipient", index=True)
    recipient_role = fields.Selection(
        [("tenant", "Tenant"), ("guarantor", "Guarantor"), ("manager", "Manager")],
        default="tenant",
        required=True,
    )
    policy_id = fields.Many2one("rental.dunning.policy", string="Policy")
    level_id = fields.Many2one("rental.dunning.level", string="Level")
    level_position = fields.Integer(string="Level #")
    move_ids = fields.Many2many(related="run_line_id.move_ids", string="Rent Calls")
    amount_overdue = fields.Monetary(string="Amount Overdue")
    channel = fields.Selection(
        [("email", "Email"), ("sms", "SMS"), ("letter", "Letter"), ("activity", "Activity")],
        required=True,
        index=True,
    )
    subject = fields.Char()
    body = fields.Text(string="Content")
    recipient = fields.Char(
        string="Sent To", help="Email address, mobile number or postal address used."
    )
    state = fields.Selection(
        [
            ("pending", "To Deliver"),
            ("queued", "Queued"),
            ("to_print", "To Print"),
            ("sent", "Sent"),
            ("delivered", "Delivered"),
            ("failed", "Failed"),
            ("missing", "Contact Missing"),
            ("cancelled", "Cancelled"),
        ],
        default="pending",
        required=True,
        index=True,
        help="To Deliver: waiting for its email, SMS or posted letter to be made. Queued: in "
        "Odoo's email, SMS or post queue. Sent: handed to the provider (or printed). "
        "Delivered: the provider confirmed the delivery.",
    )
    failure_reason = fields.Text()
    mail_mail_id = fields.Many2one("mail.mail", string="Email", ondelete="set null",
                                   index="btree_not_null")
    mail_message_id = fields.Many2one("mail.message", string="Chatter Message",
                                      ondelete="set null")
    sms_uuid = fields.Char(string="SMS UUID", index="btree_not_null", copy=False)
    sms_provider_id = fields.Many2one("rental.sms.provider", string="SMS Provider")
    provider_message_id = fields.Char(index="btree_not_null", copy=False)
    snailmail_letter_id = fields.Many2one("snailmail.letter", string="Postal Letter",
                                          ondelete="set null", index="btree_not_null")
    activity_id = fields.Many2one("mail.activity", ondelete="set null")
    printed_date = fields.Datetime()
    credits = fields.Float(digits=(12, 3), help="Provider credits used (SMS).")
    cost = fields.Monetary()
    idempotency_key = fields.Char(required=True, copy=False, readonly=True)
    # Values for the templates (emails, SMS, letters): plain fields, safe to render.
    days_late = fields.Integer(related="run_line_id.days_late")
    oldest_due_date = fields.Date(related="run_line_id.oldest_due_date")
    amount_text = fields.Char(compute="_compute_template_values")
    open_move_ids = fields.Many2many("account.move", compute="_compute_template_values",
                                     string="Open Rent Calls")
    pay_iban = fields.Char(compute="_compute_template_values", string="Pay to IBAN")
    pay_reference = fields.Char(compute="_compute_template_values", string="Payment Reference")

    _sql_constraints = [
        (
            "idempotency_key_uniq",
            "unique(idempotency_key)",
            "This reminder was already created: it is never sent twice.",
        )
    ]

    @api.depends("level_id", "channel", "partner_id")
    def _compute_display_name(self):
        channels = dict(self._fields["channel"]._description_selection(self.env))
        for history in self:
            history.display_name = " - ".join(
                part for part in (
                    history.level_id.name, channels.get(history.channel),
                    history.partner_id.display_name,
                ) if part
            )

    @api.depends("amount_overdue", "partner_id.lang", "run_line_id.move_ids")
    def _compute_template_values(self):
        for history in self:
            lang = history.partner_id.lang or self.env.lang
            history.amount_text = history.currency_id.with_context(lang=lang).format(
                history.amount_overdue
            ) if history.currency_id else str(history.amount_overdue)
            moves = history.move_ids.filtered(lambda m: m.amount_residual > 0).sorted(
                lambda m: (m.invoice_date_due or m.date, m.id)
            )
            history.open_move_ids = moves
            pay_to = moves[:1]._rental_pay_to() if moves else {}
            history.pay_iban = pay_to.get("iban_formatted") or ""
            history.pay_reference = pay_to.get("reference") or ""

    # -- delivery state --------------------------------------------------------------------

    def _set_delivery_state(self, state, detail=""):
        """Move to ``state`` unless a final state was already reached."""
        for history in self:
            if history.state in FINAL_STATES:
                continue
            if state == "sent" and history.state == "delivered":
                continue
            values = {"state": state}
            if state == "failed":
                values["failure_reason"] = detail or _("Failed")
            history.write(values)

    def _sms_sent(self, provider, result):
        """The provider accepted the SMS."""
        for history in self:
            values = {"provider_message_id": result.provider_id,
                      "sms_provider_id": provider.id}
            if history.state not in FINAL_STATES:
                values["state"] = "sent"
            history.write(values)
        if result.credits is not None:
            self._set_cost(provider, result.credits)

    def _set_cost(self, provider, credits):
        for history in self:
            history.write(
                {"credits": float(credits), "cost": float(credits) * (provider.credit_price or 0)}
            )

    def _sync_from_mails(self, mails):
        """Follow the state of the emails sent (``mail.mail``)."""
        for history in self.search([("mail_mail_id", "in", mails.ids)]):
            mail = history.mail_mail_id
            if mail.state == "sent":
                history._set_delivery_state("sent")
            elif mail.state == "exception":
                history._set_delivery_state("failed", mail.failure_reason or _("Email failed"))
            elif mail.state == "cancel":
                history._set_delivery_state("cancelled")

    def _sync_from_letters(self, letters):
        """Follow the state of the letters posted with Odoo Snailmail."""
        for history in self.search([("snailmail_letter_id", "in", letters.ids)]):
            letter = history.snailmail_letter_id
            if letter.state == "sent":
                history._set_delivery_state("sent")
            elif letter.state == "error":
                history.write({"failure_reason": letter.error_code or _("Letter error")})
                if letter.error_code not in ("CREDIT_ERROR", "TRIAL_ERROR", "ATTACHMENT_ERROR"):
                    history._set_delivery_state("failed", letter.error_code)
            elif letter.state == "canceled":
                history._set_delivery_state("cancelled")

    def _mark_printed(self):
        self.write({"state": "sent", "printed_date": fields.Datetime.now()})

    @api.model
    def _cron_deliver(self, batch_size=500):
        """Deliver the pending reminders of large runs, batch by batch.

        Each call handles ``batch_size`` reminders and reports its progress: the scheduler
        commits and calls again while some remain, so a run of thousands of reminders is
        rendered in several transactions and a failure loses one batch only.
        """
        domain = [("state", "=", "pending"), ("channel", "in", ("email", "sms", "letter"))]
        todo = self.sudo().search(domain, order="id", limit=batch_size)
        self.env["rental.dunning.dispatcher"]._deliver(todo)
        remaining = self.sudo().search_count(domain)
        self.env["ir.cron"]._notify_progress(done=len(todo), remaining=remaining)

    # -- letter report -----------------------------------------------------------------------

    def _letter_body(self):
        """The level's letter text rendered on this reminder (recipient's language)."""
        self.ensure_one()
        lang = self.partner_id.lang or self.env.lang
        level = self.level_id.with_context(lang=lang)
        if not level.letter_body:
            return ""
        # Letters are written by the dunning managers, like mail templates: unrestricted.
        return self.env["rental.dunning.dispatcher"]._render_qweb_bulk(
            str(level.letter_body), self, lang
        )[self.id]

    def _letter_title(self):
        self.ensure_one()
        return self.level_id.with_context(lang=self.partner_id.lang or self.env.lang).letter_title

    # -- views -------------------------------------------------------------------------------

    def action_open_document(self):
        self.ensure_one()
        target = self.mail_mail_id or self.snailmail_letter_id
        if not target:
            return self.lease_id.get_formview_action()
        return target.get_formview_action()
