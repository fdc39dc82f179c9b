"""Payout runs: pay owners their available balance by SEPA credit transfer."""

import logging
from collections import defaultdict
from datetime import datetime

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_round, format_amount

from ..engines import sepa
from .rental_payout import partner_address

_logger = logging.getLogger(__name__)


class RentalPayoutRun(models.Model):
    """A batch of owner payouts, its outbound payments and its pain.001 file.

    Computing a run reads the owner balances of its mandates; confirming it posts one
    outbound payment per payout from the mandant bank journal (owner's account against
    the outstanding payments account, one line per property) and writes the SEPA
    pain.001.001.09 file, validated against the official XSD, attached to the run.
    """

    _name = "rental.payout.run"
    _description = "Owner Payout Run"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Number", required=True, copy=False, readonly=True, default=lambda self: _("New")
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company,
        readonly=True,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(
        string="Execution Date",
        required=True,
        default=fields.Date.context_today,
        help="Date the bank is asked to execute the transfers.",
    )
    origin = fields.Selection(
        [("manual", "Manual"), ("cron", "Payout day"), ("immediate", "At collection")],
        default="manual",
        required=True,
        readonly=True,
    )
    state = fields.Selection(
        [("draft", "Draft"), ("confirmed", "Sent"), ("done", "Paid"), ("cancel", "Cancelled")],
        default="draft",
        required=True,
        index=True,
        tracking=True,
        readonly=True,
    )
    mandate_ids = fields.Many2many("rental.mandate", string="Mandates", check_company=True)
    payout_ids = fields.One2many("rental.payout", "run_id", string="Payouts", readonly=True)
    payout_count = fields.Integer(compute="_compute_totals")
    blocked_count = fields.Integer(compute="_compute_totals")
    amount_total = fields.Monetary(compute="_compute_totals", string="Total")
    sepa_attachment_id = fields.Many2one("ir.attachment", string="SEPA File", readonly=True,
                                         copy=False)
    sepa_message_id = fields.Char(string="SEPA Message Id", readonly=True, copy=False)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", _("New")) == _("New"):
                company = self.env["res.company"].browse(vals.get("company_id"))
                seq = self.env["ir.sequence"].with_company(company or self.env.company)
                vals["name"] = seq.next_by_code("rental.payout.run") or _("New")
        return super().create(vals_list)

    @api.depends("payout_ids.state", "payout_ids.amount")
    def _compute_totals(self):
        for run in self:
            paying = run.payout_ids.filtered(lambda p: p.state in ("draft", "sent", "paid"))
            run.payout_count = len(paying)
            run.blocked_count = len(run.payout_ids.filtered(lambda p: p.state == "blocked"))
            run.amount_total = sum(paying.mapped("amount"))

    # ---------------------------------------------------------------- compute

    def action_compute(self):
        """Compute (again) the payouts of draft runs from the owner balances."""
        for run in self:
            if run.state != "draft":
                raise UserError(_("Only a draft payout run can be computed."))
            run._compute_payouts()
        return True

    def _compute_payouts(self, owner_ids=None, mark_mandates=True):
        self.ensure_one()
        self.payout_ids.unlink()
        mandates = self.mandate_ids or self.env["rental.mandate"].search(
            [("company_id", "=", self.company_id.id), ("state", "=", "active")]
        )
        if not self.mandate_ids:
            self.mandate_ids = mandates
        self._lock_mandates(mandates)
        rows = self.env["rental.owner.balance"]._balances(
            self.company_id, mandate_ids=mandates.ids, owner_ids=owner_ids
        )
        busy = self._owners_in_other_draft_runs(mandates)
        groups = defaultdict(list)
        for row in rows:
            groups[(row["mandate_id"], row["owner_id"])].append(row)
        # Browse everything at once so that the loop reads it in a few queries.
        all_mandates = self.env["rental.mandate"].browse({m for m, __ in groups})
        owners = self.env["res.partner"].browse({o for __, o in groups})
        properties = self.env["rental.property"].browse({r["property_id"] for r in rows})
        properties.mapped("payout_hold")
        all_mandates.mapped("owner_bank_id.acc_number")
        owners.mapped("bank_ids.acc_number")
        mandate_by_id = {mandate.id: mandate for mandate in all_mandates}
        owner_by_id = {owner.id: owner for owner in owners}
        property_by_id = {prop.id: prop for prop in properties}
        vals_list = []
        for (mandate_id, owner_id), owner_rows in groups.items():
            if (mandate_id, owner_id) in busy:
                continue
            vals = self._prepare_payout(
                mandate_by_id[mandate_id], owner_by_id[owner_id], owner_rows, property_by_id
            )
            if vals:
                vals_list.append(vals)
        payouts = self.env["rental.payout"]._create_quietly(vals_list)
        self.env["rental.payout"]._assign_end_to_end_ids(payouts)
        if mark_mandates:
            mandates.payout_last_date = fields.Date.context_today(self)
        return payouts

    def _lock_mandates(self, mandates):
        """Serialise payout runs of the same mandates (no owner paid twice)."""
        if mandates:
            self.env.cr.execute(
                SQL("SELECT id FROM rental_mandate WHERE id IN %s FOR UPDATE", tuple(mandates.ids))
            )

    def _owners_in_other_draft_runs(self, mandates):
        """``{(mandate id, owner id)}`` already waiting in another draft run."""
        payouts = self.env["rental.payout"].search(
            [
                ("mandate_id", "in", mandates.ids),
                ("run_id.state", "=", "draft"),
                ("run_id", "!=", self.id),
                ("state", "=", "draft"),
            ]
        )
        return {(p.mandate_id.id, p.owner_id.id) for p in payouts}

    def _prepare_payout(self, mandate, owner, rows, property_by_id=None):
        """Values of ``owner``'s payout under ``mandate``, or None when nothing is due.

        A negative property is netted with the owner's other properties only when the
        mandate allows it; it is never covered by another owner's money (the balances
        are per owner). Held properties are left out.
        """
        rounding = self.currency_id.rounding
        reasons = []
        lines = []
        held = []
        for row in rows:
            available = float_round(row["available"], precision_rounding=rounding)
            if not available:
                continue
            prop = (property_by_id or {}).get(row["property_id"]) or self.env[
                "rental.property"
            ].browse(row["property_id"])
            line = {
                "property_id": prop.id,
                "balance": row["balance"],
                "available": available,
                "amount": available,
            }
            if prop.payout_hold:
                if available > 0:
                    held.append(line)
                    reasons.append(_("%(property)s is on hold.", property=prop.display_name))
                continue
            if available < 0 and not mandate.allow_cross_property:
                continue
            lines.append(line)
        total = float_round(sum(line["amount"] for line in lines), precision_rounding=rounding)
        state = "draft"
        if total <= 0:
            if not held:
                return None  # nothing available: a negative balance pays nothing
            # Everything is on hold: show it, pay nothing.
            lines = held
            total = float_round(sum(line["amount"] for line in held),
                                precision_rounding=rounding)
            state = "held"
        bank, problem = self.env["rental.payout"]._payout_bank(mandate, owner)
        if mandate.payout_hold:
            state = "held"
            reasons.append(_("Payouts of mandate %(mandate)s are on hold.", mandate=mandate.name))
        elif self.currency_id.compare_amounts(total, mandate.payout_min_amount) < 0:
            state = "held"
            reasons.append(
                _(
                    "%(amount)s is below the minimum payout of %(minimum)s.",
                    amount=format_amount(self.env, total, self.currency_id),
                    minimum=format_amount(self.env, mandate.payout_min_amount, self.currency_id),
                )
            )
        if problem:
            state = "blocked" if state == "draft" else state
            reasons.append(problem)
        return {
            "run_id": self.id,
            "mandate_id": mandate.id,
            "owner_id": owner.id,
            "bank_id": bank.id,
            "amount": total,
            "state": state,
            "block_reason": "\n".join(reasons) or False,
            "line_ids": [fields.Command.create(line) for line in lines],
        }

    # ---------------------------------------------------------------- confirm

    def action_confirm(self):
        """Post the payments and write the SEPA file of draft runs."""
        for run in self:
            run._confirm()
        return True

    def _confirm(self, recheck=True):
        """Post the payments and write the file of this draft run.

        ``recheck``: compare each payout with the balances again (a draft run may have
        waited); the cron and "Send at once" confirm in the transaction that computed the
        run, the mandates locked, and skip it.
        """
        self.ensure_one()
        if self.state != "draft":
            raise UserError(_("Payout run %(name)s is not a draft.", name=self.name))
        journal = self.company_id.rental_bank_journal_id
        if not journal:
            raise UserError(_("Set the mandant bank journal in the Rental settings."))
        self._lock_mandates(self.payout_ids.mandate_id)
        payable = self.payout_ids.filtered(lambda p: p.state == "draft")
        if recheck:
            payable = payable - self._block_changed_balances(payable)
        payable = payable - self._block_sepa_problems(payable)
        via_connector = payable.filtered(lambda p: p._send_through_connector())
        in_file = payable - via_connector
        if in_file:
            self._write_sepa_file(in_file)
        payable._create_payments(journal)
        via_connector.write({"state": "sent", "sent_via": "connector"})
        in_file.write({"state": "sent", "sent_via": "file"})
        self.state = "confirmed"
        self.message_post(
            body=_(
                "%(count)s payouts sent for %(amount)s; %(blocked)s blocked.",
                count=len(payable),
                amount=format_amount(self.env, sum(payable.mapped("amount")), self.currency_id),
                blocked=self.blocked_count,
            )
        )
        self._check_done()

    def _block_changed_balances(self, payouts):
        """Block payouts whose properties no longer have the money (changed since)."""
        if not payouts:
            return payouts
        rows = self.env["rental.owner.balance"]._balances(
            self.company_id, owner_ids=payouts.owner_id.ids,
            property_ids=payouts.line_ids.property_id.ids,
        )
        available = {(r["owner_id"], r["property_id"]): r["available"] for r in rows}
        blocked = self.env["rental.payout"]
        for payout in payouts:
            for line in payout.line_ids:
                now = available.get((payout.owner_id.id, line.property_id.id), 0.0)
                if line.amount > 0 and self.currency_id.compare_amounts(line.amount, now) > 0:
                    blocked |= payout
                    payout.write(
                        {
                            "state": "blocked",
                            "block_reason": _(
                                "%(property)s now has %(amount)s available: compute the run "
                                "again.",
                                property=line.property_id.display_name,
                                amount=format_amount(self.env, now, self.currency_id),
                            ),
                        }
                    )
                    break
        return blocked

    def _block_sepa_problems(self, payouts):
        """Block the payouts the SEPA rules refuse (IBAN, name, address...)."""
        transfers = [payout._sepa_transfer() for payout in payouts]
        __, rejected = sepa.partition_credit_transfers(transfers)
        blocked = payouts.filtered(lambda p: p.end_to_end_id in rejected)
        for payout in blocked:
            payout.write(
                {"state": "blocked", "block_reason": "\n".join(rejected[payout.end_to_end_id])}
            )
        return blocked

    def _sepa_batch(self, payouts):
        """The :class:`sepa.CreditTransferBatch` of ``payouts`` from the mandant account."""
        company = self.company_id
        journal = company.rental_bank_journal_id
        bank = journal.bank_account_id
        if not bank:
            raise UserError(
                _("The mandant bank journal %(journal)s has no bank account.",
                  journal=journal.display_name)
            )
        today = fields.Date.context_today(self)
        message_id = self.sepa_message_id or self._sepa_message_id()
        self.sepa_message_id = message_id
        return sepa.CreditTransferBatch(
            message_id=message_id,
            creation_datetime=datetime.now(),
            initiating_party_name=company.name,
            debtor=sepa.Party(
                name=(bank.acc_holder_name or company.name).strip(),
                iban=bank.acc_number.replace(" ", ""),
                bic=bank.bank_bic or journal.bank_id.bic or None,
                address=partner_address(company.partner_id),
            ),
            requested_execution_date=max(self.date, today),
            transfers=[payout._sepa_transfer() for payout in payouts],
            payment_info_id=None,
        )

    def _sepa_message_id(self):
        base = "".join(c if c.isalnum() else "-" for c in self.name)
        return f"{base}-{self.id}"[:35]

    def _write_sepa_file(self, payouts):
        """Build the pain.001.001.09 file (XSD-validated) and attach it to the run."""
        batch = self._sepa_batch(payouts)
        try:
            xml = sepa.build_pain001(batch)
        except sepa.SepaError as exc:
            raise UserError(
                _("The SEPA file of %(run)s cannot be generated:\n%(error)s",
                  run=self.name, error=exc)
            ) from exc
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"{self.sepa_message_id}.xml",
                "raw": xml,
                "mimetype": "application/xml",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        self.sepa_attachment_id = attachment
        return attachment

    def _check_done(self):
        """A sent run is paid once every payout it sent is paid (or returned)."""
        for run in self.filtered(lambda r: r.state == "confirmed"):
            states = set(run.payout_ids.mapped("state"))
            if "sent" not in states and states & {"paid", "returned"}:
                run.state = "done"

    def action_cancel(self):
        for run in self:
            if run.state != "draft":
                raise UserError(
                    _("Run %(name)s is sent: cancel its payouts one by one.", name=run.name)
                )
            run.payout_ids.unlink()
            run.state = "cancel"
        return True

    def action_download_sepa(self):
        self.ensure_one()
        if not self.sepa_attachment_id:
            raise UserError(_("This run has no SEPA file."))
        return self.sepa_attachment_id._rental_download_action()

    def action_view_payouts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("rental_flow.action_rental_payout")
        action["domain"] = [("run_id", "=", self.id)]
        return action

    # ---------------------------------------------------------------- automatic runs

    @api.model
    def _cron_payout_runs(self):
        """Daily: a run for the mandates whose payout day has come this month."""
        today = fields.Date.context_today(self)
        month_start = today.replace(day=1)
        mandates = self.env["rental.mandate"].search(
            [
                ("state", "=", "active"),
                ("payout_day", "<=", today.day),
                "|",
                ("payout_last_date", "=", False),
                ("payout_last_date", "<", month_start),
            ]
        )
        runs = self.browse()
        for company in mandates.company_id:
            company_mandates = mandates.filtered(lambda m, c=company: m.company_id == c)
            run = self.with_company(company).create(
                {
                    "company_id": company.id,
                    "origin": "cron",
                    "date": today,
                    "mandate_ids": [fields.Command.set(company_mandates.ids)],
                }
            )
            run._compute_payouts()
            if run.payout_ids.filtered(lambda p: p.state == "draft"):
                run._confirm(recheck=False)
            runs |= run
        return runs

    @api.model
    def _run_immediate(self, splits):
        """Pay at once, through a bank connector, the owners of just-split rents.

        Only payouts a connector takes are kept; without a connector nothing is created
        and the money waits for the next payout run.
        """
        runs = self.browse()
        for company in splits.company_id:
            company_splits = splits.filtered(lambda s, c=company: s.company_id == c)
            try:
                with self.env.cr.savepoint():
                    run = self._run_immediate_company(company, company_splits)
            except (UserError, sepa.SepaError) as exc:
                _logger.warning("Immediate payouts of %s failed: %s", company.name, exc)
                continue
            if run:
                runs |= run
        return runs

    def _run_immediate_company(self, company, splits):
        journal = company.rental_bank_journal_id
        if not journal:
            return None
        run = self.with_company(company).create(
            {
                "company_id": company.id,
                "origin": "immediate",
                "mandate_ids": [fields.Command.set(splits.mandate_id.ids)],
            }
        )
        owners = splits.owner_id
        for split in splits:
            owners |= split.property_id.owner_line_ids.partner_id
        payouts = run._compute_payouts(owner_ids=owners.ids, mark_mandates=False)
        payouts = payouts.filtered(lambda p: p.state == "draft")
        payouts = payouts - run._block_sepa_problems(payouts)
        sent = payouts.filtered(lambda p: p._send_through_connector())
        if not sent:
            run.unlink()
            return None
        (run.payout_ids - sent).unlink()
        sent._create_payments(journal)
        sent.write({"state": "sent", "sent_via": "connector"})
        run.state = "confirmed"
        return run

    def unlink(self):
        for run in self:
            if run.payout_ids.filtered(lambda p: p.state in ("sent", "paid", "returned")):
                raise UserError(_("Run %(name)s has sent payouts: it cannot be deleted.",
                                  name=run.name))
        return super().unlink()

