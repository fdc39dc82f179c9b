"""Direct debit collection runs: gather the rent calls due, write the pain.008 file."""

import logging
import re
from collections import defaultdict
from datetime import datetime, timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_amount, format_date

from odoo.addons.rental_flow.engines import sepa
from odoo.addons.rental_flow.models.rental_payout import partner_address

_logger = logging.getLogger(__name__)


class RentalSddCollection(models.Model):
    """A SEPA direct debit collection run on one collection date.

    Computing the run gathers the posted rent calls of direct-debit leases that are due
    by the collection date, still open and in no other open run; it makes one debit per
    lease, or says why a lease is skipped (blocked, no usable mandate, invalid account)
    or postponed (rent call issued too late for the pre-notification period).
    Generating it writes the pain.008.001.08 file (validated against the official XSD)
    or hands the debits to the bank connector of the collection account when it can
    take direct debits.
    """

    _name = "rental.sdd.collection"
    _description = "Direct Debit Collection"
    _inherit = ["mail.thread"]
    _order = "collection_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Number", required=True, copy=False, readonly=True, default=lambda self: _("New")
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company,
        readonly=True,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    collection_date = fields.Date(
        required=True, default=lambda self: fields.Date.context_today(self) + timedelta(days=1),
        help="Date the tenants' accounts are debited (requested collection date).",
    )
    origin = fields.Selection([("manual", "Manual"), ("cron", "Automatic")],
                              default="manual", required=True, readonly=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("generated", "Sent"),
            ("settled", "Settled"),
            ("partly_returned", "Partly Returned"),
            ("cancel", "Cancelled"),
        ],
        default="draft", required=True, index=True, tracking=True, readonly=True,
    )
    debit_ids = fields.One2many("rental.sdd.debit", "collection_id", string="Debits",
                                readonly=True)
    debit_count = fields.Integer(compute="_compute_totals")
    skipped_count = fields.Integer(compute="_compute_totals")
    returned_count = fields.Integer(compute="_compute_totals", string="Returned or Rejected")
    amount_total = fields.Monetary(compute="_compute_totals", string="Total")
    journal_id = fields.Many2one("account.journal", string="Collection Account", readonly=True)
    sent_via = fields.Selection([("file", "SEPA file"), ("connector", "Bank connector")],
                                readonly=True, copy=False)
    attachment_ids = fields.Many2many("ir.attachment", string="SEPA Files", readonly=True,
                                      copy=False)
    sepa_message_id = fields.Char(string="SEPA Message Id", readonly=True, copy=False)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", _("New")) == _("New"):
                company = self.env["res.company"].browse(vals.get("company_id"))
                seq = self.env["ir.sequence"].with_company(company or self.env.company)
                vals["name"] = seq.next_by_code("rental.sdd.collection") or _("New")
        return super().create(vals_list)

    def _compute_totals(self):
        rows = self.env["rental.sdd.debit"]._read_group(
            [("collection_id", "in", self.ids)], ["collection_id", "state"],
            ["__count", "amount:sum"],
        )
        stats = defaultdict(lambda: defaultdict(lambda: [0, 0.0]))
        for collection, state, count, amount in rows:
            stats[collection.id][state] = [count, amount]
        for run in self:
            by_state = stats[run.id]
            collected = ("draft", "sent", "settled", "returned", "rejected")
            run.debit_count = sum(by_state[s][0] for s in collected)
            run.amount_total = sum(by_state[s][1] for s in collected)
            run.skipped_count = by_state["skipped"][0] + by_state["postponed"][0]
            run.returned_count = by_state["returned"][0] + by_state["rejected"][0]

    # ---------------------------------------------------------------- compute

    def action_compute(self):
        """Gather (again) the debits of draft runs."""
        for run in self:
            if run.state != "draft":
                raise UserError(_("Only a draft collection can be computed."))
            run._gather()
        return True

    def _check_creditor(self):
        """Run-level check: nothing can be collected without a creditor identifier."""
        self.ensure_one()
        company = self.company_id
        if not company.rental_sdd_creditor_id:
            raise UserError(_(
                "Set the SEPA creditor identifier of %(company)s in the Rental settings "
                "before collecting direct debits.", company=company.name,
            ))
        journal = company._rental_sdd_journal()
        if not journal or not journal.bank_account_id.acc_number:
            raise UserError(_(
                "Set the direct debit journal (or the mandant bank journal) with its bank "
                "account in the Rental settings.",
            ))
        return journal

    @api.model
    def _busy_move_ids(self, company, run_id=0):
        """Rent calls already in an open debit of another run (to send or sent)."""
        self.env["rental.sdd.debit"].flush_model(["state", "collection_id", "move_ids"])
        self.env.cr.execute(SQL(
            """SELECT rel.move_id FROM rental_sdd_debit_move_rel rel
                 JOIN rental_sdd_debit debit ON debit.id = rel.debit_id
                WHERE debit.state IN ('draft', 'sent') AND debit.collection_id != %s
                  AND debit.company_id = %s""",
            run_id or 0, company.id,
        ))
        return {row[0] for row in self.env.cr.fetchall()}

    def _due_calls(self):
        """``{lease id: [call rows]}``: open posted rent calls of direct-debit leases due
        by the collection date, oldest first, not in another open run."""
        self.ensure_one()
        return self._due_calls_for(self.company_id, self.collection_date, self.id)

    @api.model
    def _due_calls_for(self, company, when, run_id=0):
        """:meth:`_due_calls` of ``company`` on ``when``, outside the run ``run_id``."""
        Move = self.env["account.move"]
        Move.flush_model()
        self.env["rental.lease"].flush_model(["payment_mode", "tenant_id"])
        busy = self._busy_move_ids(company, run_id)
        self.env.cr.execute(SQL(
            """SELECT move.id, move.rental_lease_id, move.partner_id, move.invoice_date,
                      move.invoice_date_due, move.amount_residual, move.name
                 FROM account_move move
                 JOIN rental_lease lease ON lease.id = move.rental_lease_id
                WHERE move.company_id = %s AND move.move_type = 'out_invoice'
                  AND move.state = 'posted' AND lease.payment_mode = 'direct_debit'
                  AND move.amount_residual > 0 AND move.invoice_date_due <= %s
                  AND move.partner_id = lease.tenant_id
                ORDER BY move.invoice_date_due, move.id""",
            company.id, when,
        ))
        calls = defaultdict(list)
        for row in self.env.cr.dictfetchall():
            if row["id"] not in busy:
                calls[row["rental_lease_id"]].append(row)
        return calls

    def _gather(self):
        """Create the debits (and the skipped / postponed lines) of this draft run."""
        self.ensure_one()
        self._check_creditor()
        self.debit_ids.unlink()
        company = self.company_id
        when = self.collection_date
        notice_days = company.rental_sdd_prenotification_days
        notice_limit = when - timedelta(days=notice_days)
        calls_by_lease = self._due_calls()
        leases = self.env["rental.lease"].browse(list(calls_by_lease))
        leases.mapped("tenant_id.name")
        leases.mapped("sdd_mandate_id.bank_id.acc_number")
        fallback = self._fallback_mandates(leases)
        currency = self.currency_id
        # Unique in the database (run id), readable on a bank statement (run number).
        prefix = f"{re.sub(r'[^A-Za-z0-9-]', '', self.name)[:18] or 'SDD'}-{self.id}"
        vals_list = []
        number = 0
        used_once = set()
        for lease in leases:
            rows = calls_by_lease[lease.id]
            base = {"collection_id": self.id, "lease_id": lease.id,
                    "partner_id": lease.tenant_id.id}
            reason = lease._rental_collection_block_reason()
            mandate = lease.sdd_mandate_id
            if not mandate or mandate.state != "valid":
                mandate = fallback.get((lease.tenant_id.id, lease.company_id.id)) or mandate
            if not reason and not mandate:
                reason = _("Lease %(lease)s has no direct debit mandate.", lease=lease.name)
            if not reason:
                reason = mandate._rental_sdd_problem(when)
            if not reason and mandate.mandate_type == "oneoff" and mandate in used_once:
                reason = _("One-off mandate %(mandate)s is already used in this run.",
                           mandate=mandate.name)
            ready = [row for row in rows if row["invoice_date"] <= notice_limit]
            late = [row for row in rows if row["invoice_date"] > notice_limit]
            total_rows = ready if ready else rows
            amount = currency.round(sum(row["amount_residual"] for row in total_rows))
            base.update({
                "mandate_id": mandate.id if mandate else False,
                "move_ids": [fields.Command.set([row["id"] for row in total_rows])],
                "amount": amount,
            })
            if reason:
                vals_list.append({**base, "state": "skipped", "reason": reason})
                continue
            late_note = "\n".join(
                _("%(call)s issued on %(issued)s: pre-notification of %(days)s days not "
                  "met, collected from %(from)s.", call=row["name"],
                  issued=format_date(self.env, row["invoice_date"]), days=notice_days,
                  **{"from": format_date(self.env, row["invoice_date"]
                                         + timedelta(days=notice_days))})
                for row in late
            )
            if not ready:
                vals_list.append({**base, "state": "postponed", "reason": late_note})
                continue
            number += 1
            if mandate.mandate_type == "oneoff":
                used_once.add(mandate)
            vals_list.append({
                **base,
                "state": "draft",
                "reason": late_note or False,
                "end_to_end_id": f"{prefix}-{number:06d}",
                "sequence_type": mandate._rental_sdd_sequence_type(),
                "scheme": mandate.scheme,
                "amendment": mandate.has_amendment,
            })
        Debit = self.env["rental.sdd.debit"].with_context(
            tracking_disable=True, mail_create_nolog=True, mail_notrack=True
        )
        debits = Debit.create(vals_list)
        self._skip_invalid(debits.filtered(lambda d: d.state == "draft"))
        return debits

    def _fallback_mandates(self, leases):
        """``{(tenant id, company id): mandate}``: the tenants' valid mandates, for the
        leases whose own mandate is missing or no longer valid."""
        missing = leases.filtered(
            lambda lease: not lease.sdd_mandate_id or lease.sdd_mandate_id.state != "valid"
        )
        if not missing:
            return {}
        mandates = self.env["rental.sdd.mandate"].search(
            [("partner_id", "in", missing.tenant_id.ids), ("state", "=", "valid"),
             ("company_id", "=", self.company_id.id)],
            order="signature_date desc, id desc",
        )
        result = {}
        for mandate in mandates:
            result.setdefault((mandate.partner_id.id, mandate.company_id.id), mandate)
        return result

    def _skip_invalid(self, debits):
        """Skip the debits the SEPA rules refuse (IBAN, name, mandate...), with why."""
        skipped = self.env["rental.sdd.debit"]
        for debit in debits:
            problems = sepa.validate_direct_debit(
                debit._sepa_direct_debit(debit.mandate_id._rental_sdd_amendment()),
                collection_date=self.collection_date,
            )
            if problems:
                debit.write({"state": "skipped", "reason": "\n".join(problems)})
                skipped |= debit
        return skipped

    # ---------------------------------------------------------------- generate

    def action_generate(self):
        """Send the debits of draft runs: SEPA file, or bank connector."""
        for run in self:
            run._generate()
        return True

    def _generate(self):
        self.ensure_one()
        if self.state != "draft":
            raise UserError(_("Collection %(name)s is not a draft.", name=self.name))
        journal = self._check_creditor()
        debits = self.debit_ids.filtered(lambda d: d.state == "draft")
        if not debits:
            raise UserError(_("Collection %(name)s has nothing to collect.", name=self.name))
        debits = debits - self._refresh_amounts(debits)
        if not debits:
            raise UserError(_("Collection %(name)s has nothing left to collect: the rent "
                              "calls were paid meanwhile.", name=self.name))
        self.journal_id = journal
        connector = self.env["rental.bank.connector"]._rental_sdd_connector(journal)
        if connector and connector._rental_sdd_send_debits(self, debits):
            via = "connector"
        else:
            debits = self._write_sepa_files(debits, journal)
            via = "file"
        # One message on the run says what was sent; no tracking message per debit.
        debits.with_context(tracking_disable=True).write({"state": "sent", "sent_via": via})
        debits.mandate_id._rental_sdd_mark_used(self.collection_date)
        self.write({"state": "generated", "sent_via": via})
        skipped = self.debit_ids.filtered(lambda d: d.state in ("skipped", "postponed"))
        self.message_post(body=_(
            "%(count)s direct debits sent (%(via)s) for %(amount)s; %(skipped)s skipped or "
            "postponed.",
            count=len(debits), via=dict(self._fields["sent_via"].selection)[via],
            amount=format_amount(self.env, sum(debits.mapped("amount")), self.currency_id),
            skipped=len(skipped),
        ))
        return debits

    def _refresh_amounts(self, debits):
        """Never collect more than is due: the rent calls may have been paid since the
        run was computed. Lower the debits to the calls' residual; skip those paid.
        Returns the debits skipped."""
        rows = self.env["account.move"].search_read(
            [("id", "in", debits.move_ids.ids)], ["amount_residual", "state"]
        )
        residual = {row["id"]: (row["amount_residual"] if row["state"] == "posted" else 0.0)
                    for row in rows}
        currency = self.currency_id
        skipped = self.env["rental.sdd.debit"]
        for debit in debits:
            due = currency.round(sum(residual.get(move_id, 0.0)
                                     for move_id in debit.move_ids.ids))
            if currency.compare_amounts(due, debit.amount) >= 0:
                continue
            if currency.compare_amounts(due, 0) <= 0:
                debit.write({"state": "skipped",
                             "reason": _("The rent calls were paid since the run was "
                                         "computed.")})
                skipped |= debit
            else:
                debit.message_post(body=_(
                    "Amount lowered from %(old)s to %(new)s: part of the rent calls was "
                    "paid since the run was computed.", old=debit.amount, new=due,
                ))
                debit.amount = due
        return skipped

    def _sepa_batch(self, debits, journal, scheme, message_id):
        """The :class:`sepa.DirectDebitBatch` of ``debits`` (one scheme)."""
        company = self.company_id
        bank = journal.bank_account_id
        today = fields.Date.context_today(self)
        return sepa.DirectDebitBatch(
            message_id=message_id,
            creation_datetime=datetime.now(),
            initiating_party_name=company.name,
            creditor=sepa.Party(
                name=(bank.acc_holder_name or company.name).strip(),
                iban=bank.acc_number.replace(" ", ""),
                bic=bank.bank_bic or journal.bank_id.bic or None,
                address=partner_address(company.partner_id),
            ),
            creditor_scheme_id=company.rental_sdd_creditor_id,
            requested_collection_date=max(self.collection_date, today),
            transactions=[
                debit._sepa_direct_debit(debit.mandate_id._rental_sdd_amendment())
                for debit in debits
            ],
            scheme=scheme,
        )

    def _write_sepa_files(self, debits, journal):
        """Build one pain.008.001.08 file per scheme (XSD-validated), attach them.

        A debit the SEPA checks refuse is skipped with its problems and the file is
        built with the others. Returns the debits written in a file.
        """
        attachments = self.env["ir.attachment"]
        written = self.env["rental.sdd.debit"]
        ids_by_scheme = defaultdict(list)
        for debit in debits:
            ids_by_scheme[debit.scheme or "CORE"].append(debit.id)
        for scheme, ids in sorted(ids_by_scheme.items()):
            group = debits.browse(ids)
            message_id = self._sepa_message_id(scheme)
            xml = None
            while group:
                try:
                    xml = sepa.build_pain008(self._sepa_batch(group, journal, scheme,
                                                              message_id))
                    break
                except sepa.SepaInputError as exc:
                    refused = group.filtered(
                        lambda d, bad=exc.item_problems: d.end_to_end_id in bad
                    )
                    if exc.batch_problems or not refused:
                        raise UserError(_(
                            "The SEPA file of %(run)s cannot be generated:\n%(error)s",
                            run=self.name, error=exc,
                        )) from exc
                    for debit in refused:
                        debit.write({
                            "state": "skipped",
                            "reason": "\n".join(exc.item_problems[debit.end_to_end_id]),
                        })
                    group -= refused
                except sepa.SepaError as exc:
                    raise UserError(_(
                        "The SEPA file of %(run)s cannot be generated:\n%(error)s",
                        run=self.name, error=exc,
                    )) from exc
            if not group or xml is None:
                continue
            attachments |= self.env["ir.attachment"].create({
                "name": f"{message_id}.xml",
                "raw": xml,
                "mimetype": "application/xml",
                "res_model": self._name,
                "res_id": self.id,
            })
            written |= group
        if not written:
            raise UserError(_("Collection %(name)s has nothing left to collect.",
                              name=self.name))
        self.write({"attachment_ids": [fields.Command.link(a.id) for a in attachments],
                    "sepa_message_id": ", ".join(attachments.mapped("name"))[:200]})
        return written

    def _sepa_message_id(self, scheme):
        """``MsgId`` of this run's pain.008 file of ``scheme`` (CORE or B2B)."""
        self.ensure_one()
        base = re.sub(r"[^A-Za-z0-9-]", "-", self.name)
        return f"{base}-{self.id}-{scheme}"[:35]

    def _update_state(self):
        """A sent run is settled once every debit is settled; partly returned as soon as a
        debit came back or was rejected."""
        for run in self.filtered(lambda r: r.state in ("generated", "settled",
                                                       "partly_returned")):
            states = set(run.debit_ids.mapped("state"))
            if states & {"returned", "rejected"}:
                run.state = "partly_returned"
            elif "sent" not in states and "settled" in states:
                run.state = "settled"

    def action_cancel(self):
        for run in self:
            if run.state != "draft":
                raise UserError(_("Collection %(name)s was sent: it cannot be cancelled.",
                                  name=run.name))
            run.debit_ids.unlink()
            run.state = "cancel"
        return True

    def action_download_sepa(self):
        self.ensure_one()
        if not self.attachment_ids:
            raise UserError(_("This collection has no SEPA file."))
        # one file per scheme (CORE, B2B): several files are offered in a list
        return self.attachment_ids._rental_download_action()

    def action_view_debits(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow_bank.action_rental_sdd_debit"
        )
        action["domain"] = [("collection_id", "=", self.id)]
        return action

    # ---------------------------------------------------------------- automatic runs

    @api.model
    def _cron_collect(self, lead_days=1):
        """Daily: collect the rent calls due by tomorrow, per company with a creditor id.

        A run without anything to collect is removed; a run-level problem (no creditor
        id, no collection account) is logged and the company is skipped.
        """
        companies = self.env["res.company"].search([("rental_sdd_creditor_id", "!=", False)])
        runs = self.browse()
        when = fields.Date.context_today(self) + timedelta(days=lead_days)
        for company in companies:
            if not self._due_calls_for(company, when):
                continue  # nothing due: no run (and no number taken)
            run = self.with_company(company).create(
                {"company_id": company.id, "collection_date": when, "origin": "cron"}
            )
            try:
                run._gather()
                if any(d.state == "draft" for d in run.debit_ids):
                    run._generate()
                    runs |= run
                else:
                    run.unlink()
            except UserError as exc:
                _logger.warning("Direct debit collection of %s not run: %s", company.name, exc)
                run.unlink()
        return runs
