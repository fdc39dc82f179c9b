import base64
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, pdf, split_every

from ..engines import planner
from .bulk import bulk_insert

_logger = logging.getLogger(__name__)

#: Lines sent per transaction savepoint; a failing batch is retried line by line.
SEND_BATCH = 500


class RentalDunningRun(models.Model):
    """A dunning run: a preview (dry run) of the reminders due, then their sending.

    ``draft`` -> :meth:`action_preview` computes one line per lease with open rent calls
    (what would be sent, to whom, what is missing, and why) -> ``previewed`` ->
    :meth:`action_send` plans each line again with fresh data (a rent call paid since the
    preview is never reminded) and queues the emails, SMS, letters and activities ->
    ``done``. The cron does both steps for each company (or only the preview, for a
    person to check and send).
    """

    _name = "rental.dunning.run"
    _description = "Dunning Run"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, copy=False, readonly=True, default=lambda self: _("New"))
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(
        required=True,
        default=fields.Date.context_today,
        tracking=True,
        help="Reminders are computed as of this date.",
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("previewed", "Previewed"),
            ("done", "Done"),
            ("cancel", "Cancelled"),
        ],
        default="draft",
        required=True,
        tracking=True,
        index=True,
    )
    trigger = fields.Selection(
        [("manual", "Manual"), ("cron", "Scheduled")], default="manual", required=True
    )
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user, string="By")
    lease_ids = fields.Many2many(
        "rental.lease",
        string="Only These Leases",
        check_company=True,
        help="Empty: every lease of the company.",
    )
    line_ids = fields.One2many("rental.dunning.run.line", "run_id", string="Lines")
    history_ids = fields.One2many("rental.dunning.history", "run_id", string="Reminders")
    line_count = fields.Integer(compute="_compute_counts")
    to_send_count = fields.Integer(compute="_compute_counts", string="To Send")
    blocked_count = fields.Integer(compute="_compute_counts", string="Contact Missing")
    sent_count = fields.Integer(compute="_compute_counts", string="Sent")
    failed_count = fields.Integer(compute="_compute_counts", string="Failed")
    letter_count = fields.Integer(compute="_compute_counts", string="Letters to Print")
    amount_to_send = fields.Monetary(compute="_compute_counts", string="Amount Reminded")
    letter_attachment_id = fields.Many2one("ir.attachment", string="Letters PDF", readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", _("New")) == _("New"):
                company = self.env["res.company"].browse(vals.get("company_id"))
                seq = self.env["ir.sequence"].with_company(company or self.env.company)
                vals["name"] = seq.next_by_code("rental.dunning.run") or _("New")
        return super().create(vals_list)

    def _compute_counts(self):
        counts = {
            (run, state): (count, amount)
            for run, state, count, amount in self.env["rental.dunning.run.line"]._read_group(
                [("run_id", "in", self.ids)], ["run_id", "state"],
                ["__count", "amount_overdue:sum"],
            )
        }
        letters = dict(
            self.env["rental.dunning.history"]._read_group(
                [("run_id", "in", self.ids), ("state", "=", "to_print")],
                ["run_id"], ["__count"],
            )
        )
        for run in self:
            def get(state, index=0, run=run):
                return counts.get((run, state), (0, 0.0))[index]

            run.line_count = sum(c for (r, __), (c, __a) in counts.items() if r == run)
            run.to_send_count = get("planned")
            run.blocked_count = get("blocked")
            run.sent_count = get("sent")
            run.failed_count = get("failed")
            run.amount_to_send = get("planned", 1) + get("sent", 1)
            run.letter_count = letters.get(run, 0)

    # -- preview ---------------------------------------------------------------------------

    def action_preview(self):
        """Compute (again) what the run would send: one line per lease with open calls."""
        for run in self:
            if run.state not in ("draft", "previewed"):
                raise UserError(_("Run %(run)s was already sent.", run=run.name))
            run._preview()
        return True

    def _preview(self):
        self.ensure_one()
        self.env.cr.execute(
            SQL("DELETE FROM rental_dunning_run_line WHERE run_id = %s", self.id)
        )
        self.invalidate_recordset(["line_ids"])
        collector = self.env["rental.dunning.collector"]
        collection = collector._collect(
            self.company_id, self.date, self.lease_ids.ids or None
        )
        Line = self.env["rental.dunning.run.line"]
        labels = Line._presentation_labels()
        vals_list, moves = [], {}
        for case in collection.cases:
            policy = collection.policies[case.key]
            decision = planner.plan(case, collection.specs[case.key], self.date)
            if not decision.item_keys:
                continue  # nothing open once payment plans are applied
            moves[case.key] = decision.item_keys
            values = Line._decision_values(decision, collection, labels)
            if not policy:
                values.update(
                    state="excluded", action="exclude",
                    reasons=Line._reason_text(planner.Reason("no_policy"), labels["reasons"]),
                )
            vals_list.append(
                {
                    "run_id": self.id,
                    "lease_id": case.key,
                    "tenant_id": collection.leases[case.key].tenant_id.id,
                    "policy_id": policy.id if policy else False,
                    **values,
                }
            )
        self._create_lines(vals_list, moves)
        self.state = "previewed"
        _logger.info("Dunning run %s: %d lines previewed", self.name, len(vals_list))

    def _create_lines(self, vals_list, moves):
        """Create the preview lines in bulk, and their rent calls (``moves``: lease id ->
        move ids) with one insert per 20,000 rows."""
        Line = self.env["rental.dunning.run.line"]
        order = Line._state_order()
        rows = [
            {
                **{key: (value if value is not False else None) for key, value in vals.items()},
                "company_id": self.company_id.id,
                "date": self.date,
                "state_sequence": order.index(vals["state"]),
                "amount_recovered": 0.0,
                "recovery_rate": 0.0,
                "recovery_final": False,
            }
            for vals in vals_list
        ]
        ids = bulk_insert(Line, rows)
        pairs = [
            (line_id, move_id)
            for line_id, vals in zip(ids, vals_list, strict=True)
            for move_id in moves[vals["lease_id"]]
        ]
        for chunk in split_every(20000, pairs):
            self.env.cr.execute(
                SQL(
                    "INSERT INTO rental_dunning_run_line_move_rel (line_id, move_id) "
                    "SELECT * FROM unnest(%s::int[], %s::int[]) ON CONFLICT DO NOTHING",
                    [pair[0] for pair in chunk],
                    [pair[1] for pair in chunk],
                )
            )
        self.invalidate_recordset(["line_ids"])
        return Line.browse(ids)

    # -- sending -----------------------------------------------------------------------------

    def action_send(self):
        """Send the reminders of the previewed lines (fresh check of every line first)."""
        for run in self:
            if run.state != "previewed":
                raise UserError(_("Preview run %(run)s before sending it.", run=run.name))
            run._send()
        return True

    def _send(self, batch_size=SEND_BATCH):
        self.ensure_one()
        dispatcher = self.env["rental.dunning.dispatcher"]
        todo = self.line_ids.filtered(lambda line: line.state in ("planned", "blocked"))
        deliver_now = len(todo) <= self.company_id.rental_dunning_inline_limit
        for batch_ids in split_every(batch_size, todo.ids):
            batch = self.env["rental.dunning.run.line"].browse(batch_ids)
            try:
                with self.env.cr.savepoint():
                    dispatcher._dispatch(batch, self.date, deliver_now)
            except Exception:  # noqa: BLE001 - isolate the failing lease below
                _logger.warning("Dunning run %s: a batch failed, sending it line by line",
                                self.name, exc_info=True)
                self._send_one_by_one(batch, deliver_now)
        self.state = "done"
        if not deliver_now:
            self.env.ref("rental_flow_dunning.ir_cron_dunning_deliver").sudo()._trigger()
        self.env["sms.sms"]._rental_trigger_queue()
        mail_cron = self.env.ref("mail.ir_cron_mail_scheduler_action", raise_if_not_found=False)
        if mail_cron:
            mail_cron.sudo()._trigger()

    def _send_one_by_one(self, lines, deliver_now=True):
        dispatcher = self.env["rental.dunning.dispatcher"]
        for line in lines:
            try:
                with self.env.cr.savepoint():
                    dispatcher._dispatch(line, self.date, deliver_now)
            except Exception as exc:  # noqa: BLE001 - one tenant's failure stops nobody else
                _logger.exception("Dunning run %s: lease %s failed", self.name,
                                  line.lease_id.display_name)
                line.write({"state": "failed", "error": str(exc)[:2000]})

    def action_cancel(self):
        for run in self:
            if run.state == "done":
                raise UserError(_("Run %(run)s was sent: it cannot be cancelled.", run=run.name))
        self.line_ids.unlink()
        self.state = "cancel"

    def action_reset_to_draft(self):
        for run in self:
            if run.state != "cancel":
                raise UserError(_("Only a cancelled run goes back to draft."))
        self.state = "draft"

    def unlink(self):
        if any(run.state == "done" for run in self):
            raise UserError(_("A sent dunning run is evidence: it cannot be deleted."))
        return super().unlink()

    # -- letters ----------------------------------------------------------------------------

    def action_print_letters(self):
        """One PDF with every letter of the run still to print; they are marked sent."""
        self.ensure_one()
        letters = self.history_ids.filtered(lambda h: h.channel == "letter"
                                            and h.state == "to_print")
        if not letters:
            raise UserError(_("No letter to print in run %(run)s.", run=self.name))
        document = self._render_letters(letters)
        attachment = self.env["ir.attachment"].create(
            {
                "name": _("Letters %(run)s.pdf", run=self.name).replace("/", "-"),
                "datas": base64.b64encode(document),
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": "application/pdf",
            }
        )
        letters._mark_printed()
        self.letter_attachment_id = attachment
        self.message_post(
            body=_("%(count)s letter(s) printed.", count=len(letters)),
            attachment_ids=attachment.ids,
        )
        return attachment._rental_download_action()

    def _render_letters(self, letters, chunk_size=50):
        """One document with every letter, rendered by chunks and merged.

        A chunk that wkhtmltopdf cannot render at once (some builds fail on multi-record
        documents) is rendered letter by letter, so one bad letter is found, not hidden.
        """
        report = self.env.ref("rental_flow_dunning.action_report_dunning_letter")
        Report = self.env["ir.actions.report"]
        parts = []
        for chunk in split_every(chunk_size, letters.ids):
            try:
                content, __ = Report._render_qweb_pdf(report, list(chunk))
            except Exception:  # noqa: BLE001 - retried one by one below
                _logger.info("Letters rendered one by one (chunk of %d failed)", len(chunk))
                content = None
            if content:
                parts.append(content)
            else:
                parts += [Report._render_qweb_pdf(report, [letter_id])[0] for letter_id in chunk]
        if all(part.startswith(b"%PDF") for part in parts):
            return pdf.merge_pdf(parts) if len(parts) > 1 else parts[0]
        return b"".join(parts)  # HTML previews (test mode without PDF rendering)

    # -- views ---------------------------------------------------------------------------------

    def action_view_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow_dunning.action_rental_dunning_run_line"
        )
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {"search_default_to_send": 1}
        return action

    def action_view_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow_dunning.action_rental_dunning_history"
        )
        action["domain"] = [("run_id", "=", self.id)]
        return action

    # -- cron ----------------------------------------------------------------------------------

    @api.model
    def _cron_run(self):
        """Daily: a run per company with a dunning policy; sent too when the company says so."""
        today = fields.Date.context_today(self)
        companies = self.env["res.company"].search([("rental_dunning_cron_mode", "!=", "off")])
        for company in companies:
            if not self.env["rental.dunning.policy"].search_count(
                [("company_id", "=", company.id)], limit=1
            ):
                continue
            existing = self.search(
                [("company_id", "=", company.id), ("date", "=", today),
                 ("trigger", "=", "cron"), ("state", "!=", "cancel")], limit=1
            )
            if existing:
                continue
            run = self.with_company(company).create(
                {"company_id": company.id, "date": today, "trigger": "cron",
                 "user_id": self.env.user.id}
            )
            run._preview()
            if company.rental_dunning_cron_mode == "send":
                run._send()
