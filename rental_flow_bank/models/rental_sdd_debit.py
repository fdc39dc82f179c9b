"""One direct debit of a collection run: the rent calls of one lease."""

from decimal import Decimal

from odoo import _, api, fields, models
from odoo.tools import create_unique_index, index_exists

from odoo.addons.rental_flow.engines import sepa
from odoo.addons.rental_flow.models.rental_payout import partner_address

UNIQUE_E2E_INDEX = "rental_sdd_debit_end_to_end_id_unique_idx"

# Reasons that end the mandate: the account or the mandate no longer exists.
CLOSING_RETURN_CODES = {
    "AC01": "Incorrect account number",
    "AC04": "Account closed",
    "AC06": "Account blocked",
    "AG01": "Transaction forbidden on this account",
    "MD01": "No mandate",
    "MD07": "Debtor deceased",
}
# Reasons after which the mandate stays valid (next collection as usual).
OTHER_RETURN_CODES = {
    "AM04": "Insufficient funds",
    "MS02": "Refused by the debtor",
    "MS03": "Reason not specified",
    "MD06": "Refund requested by the debtor",
    "SL01": "Specific service offered by the debtor agent",
    "FF05": "Invalid direct debit type",
    "RR04": "Regulatory reason",
}


class RentalSddDebit(models.Model):
    """A SEPA direct debit of one lease in a collection run.

    Several rent calls of a lease go into one debit; its end-to-end id, unique in the
    database, comes back on the bank statement with the credit (settlement) or with the
    R-transaction (return), so that both find the rent calls again.
    """

    _name = "rental.sdd.debit"
    _description = "SEPA Direct Debit"
    _inherit = ["mail.thread"]
    _order = "collection_id desc, id"
    _check_company_auto = True
    _rec_name = "end_to_end_id"

    collection_id = fields.Many2one(
        "rental.sdd.collection", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="collection_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    collection_date = fields.Date(related="collection_id.collection_date", store=True)
    lease_id = fields.Many2one("rental.lease", required=True, index=True, readonly=True,
                               ondelete="restrict")
    partner_id = fields.Many2one("res.partner", string="Tenant", readonly=True, index=True)
    mandate_id = fields.Many2one("rental.sdd.mandate", readonly=True, index=True,
                                 ondelete="restrict")
    move_ids = fields.Many2many(
        "account.move", "rental_sdd_debit_move_rel", "debit_id", "move_id",
        string="Rent Calls", readonly=True,
    )
    amount = fields.Monetary(readonly=True)
    end_to_end_id = fields.Char(string="End-to-End Id", readonly=True, copy=False, index=True)
    sequence_type = fields.Selection(
        [("FRST", "First"), ("RCUR", "Recurrent"), ("OOFF", "One-off"), ("FNAL", "Final")],
        readonly=True,
    )
    scheme = fields.Selection([("CORE", "CORE"), ("B2B", "B2B")], readonly=True)
    amendment = fields.Boolean(string="Amendment Sent", readonly=True)
    state = fields.Selection(
        [
            ("draft", "To Send"),
            ("skipped", "Skipped"),
            ("postponed", "Postponed"),
            ("sent", "Sent"),
            ("settled", "Settled"),
            ("returned", "Returned"),
            ("rejected", "Rejected by the Bank"),
            ("cancel", "Cancelled"),
        ],
        default="draft", required=True, index=True, readonly=True, tracking=True,
    )
    reason = fields.Text(string="Skip Reason", readonly=True)
    sent_via = fields.Selection([("file", "SEPA file"), ("connector", "Bank connector")],
                                readonly=True)
    settlement_line_id = fields.Many2one("account.bank.statement.line", readonly=True,
                                         copy=False, index="btree_not_null")
    return_line_id = fields.Many2one("account.bank.statement.line", readonly=True,
                                     copy=False, index="btree_not_null")
    return_code = fields.Char(string="Return Reason", readonly=True, copy=False)
    return_text = fields.Char(string="Return Details", readonly=True, copy=False)
    return_date = fields.Date(readonly=True, copy=False)

    def init(self):
        super().init()
        if not index_exists(self.env.cr, UNIQUE_E2E_INDEX):
            create_unique_index(self.env.cr, UNIQUE_E2E_INDEX, self._table, ["end_to_end_id"])

    @api.depends("end_to_end_id", "lease_id")
    def _compute_display_name(self):
        for debit in self:
            debit.display_name = debit.end_to_end_id or debit.lease_id.display_name or _("Debit")

    # -- SEPA ------------------------------------------------------------------------------

    def _sepa_direct_debit(self, amendment=None):
        """The :class:`sepa.DirectDebit` of this debit."""
        self.ensure_one()
        mandate = self.mandate_id
        bank = mandate.bank_id
        references = ", ".join(
            ref for ref in self.move_ids.mapped(lambda m: m.payment_reference or m.name) if ref
        )
        return sepa.DirectDebit(
            end_to_end_id=self.end_to_end_id,
            amount=Decimal(repr(self.amount)).quantize(Decimal("0.01")),
            mandate_id=mandate.name,
            mandate_signature_date=mandate.signature_date,
            debtor=sepa.Party(
                name=(mandate.debtor_name or self.partner_id.name or "").strip(),
                iban=(bank.acc_number or "").replace(" ", ""),
                bic=bank.bank_bic or None,
                address=partner_address(self.partner_id),
            ),
            sequence_type=self.sequence_type,
            amendment=amendment,
            remittance_unstructured=sepa.to_sepa_text(
                _("Rent %(refs)s", refs=references)
            )[:140] or None,
        )

    # -- settlement and returns ------------------------------------------------------------

    def _receivable_items(self):
        """Open receivable items of the rent calls, oldest due first."""
        self.ensure_one()
        items = self.move_ids.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
            and not line.reconciled
            and line.partner_id.commercial_partner_id
            == self.partner_id.commercial_partner_id
            and line.amount_residual > 0
        )
        return items.sorted(lambda line: (line.date_maturity or line.date, line.id))

    def _settlement_spec(self, st_line):
        """How the collection credit ``st_line`` settles this debit's rent calls:
        ``(spec, left)``, ``spec`` being the keyword arguments of
        ``account.bank.statement.line._rental_reconcile_with`` (oldest call first, what
        the calls no longer owe left as the tenant's credit) and ``left`` that credit;
        None, with the reason on the debit, when the line's amount is not the debit's.
        The bank line keeps the payer as the bank gave it (name, IBAN); the tenant is on
        its counterparts, as when the matching engine reconciles a line."""
        self.ensure_one()
        currency = self.currency_id
        if currency.compare_amounts(st_line.amount, self.amount) != 0:
            self.message_post(body=_(
                "Bank line %(line)s carries %(amount)s, the debit %(expected)s: left to "
                "the matching.", line=st_line.display_name, amount=st_line.amount,
                expected=self.amount,
            ))
            return None
        allocations = []
        left = st_line.amount
        for item in self._receivable_items():
            if currency.compare_amounts(left, 0) <= 0:
                break
            part = min(left, item.amount_residual)
            allocations.append((item, part))
            left = currency.round(left - part)
        tenant_account = self.company_id.rental_tenant_account_id or (
            allocations[0][0].account_id if allocations else False
        )
        spec = {
            "allocations": allocations,
            "rest_partner": self.partner_id,
            "rest_account": tenant_account or None,
            "label": _("Direct debit %(e2e)s", e2e=self.end_to_end_id),
        }
        return spec, left

    def _settle(self, st_line):
        """Reconcile the collection credit ``st_line`` with the rent calls.

        Returns True when reconciled; False (with the reason on the debit) when the
        line does not fit, the line then goes to the matching.
        """
        self.ensure_one()
        prepared = self._settlement_spec(st_line)
        if prepared is None:
            return False
        spec, left = prepared
        st_line._rental_reconcile_with(**spec)
        self.write({"state": "settled", "settlement_line_id": st_line.id})
        self.message_post(body=_("Settled by bank line %(line)s.", line=st_line.display_name))
        self._note_credit_left(left)
        return True

    @api.model
    def _settle_many(self, pairs):
        """Settle many debits at once: ``pairs`` of ``(collection credit, debit)``.

        The same entries as :meth:`_settle` line by line, reconciled together
        (``account.bank.statement.line._rental_reconcile_many``: a few ORM calls for the
        batch); each run gets one message listing how many of its debits were settled
        instead of one message per debit. All or nothing: raises on any failure (the
        caller then settles line by line). Returns the statement lines settled.
        """
        plan, done = {}, []
        for st_line, debit in pairs:
            prepared = debit._settlement_spec(st_line)
            if prepared is None:
                continue
            plan[st_line], left = prepared
            done.append((debit, st_line, left))
        if not plan:
            return self.env["account.bank.statement.line"]
        lines = self.env["account.bank.statement.line"].union(*plan)
        lines._rental_reconcile_many(plan)
        debits = self.union(*(debit for debit, __, ___ in done))
        quiet = debits.with_context(tracking_disable=True)
        for debit, st_line, left in done:
            debit.with_env(quiet.env).write(
                {"state": "settled", "settlement_line_id": st_line.id})
            debit._note_credit_left(left)
        for run, settled in debits.grouped("collection_id").items():
            run.message_post(body=_(
                "%(count)s direct debits settled by the bank statement (lines %(first)s "
                "to %(last)s).", count=len(settled),
                first=settled[:1].settlement_line_id.display_name,
                last=settled[-1:].settlement_line_id.display_name,
            ))
        return lines

    def _note_credit_left(self, left):
        if self.currency_id.compare_amounts(left, 0) > 0:
            self.message_post(body=_(
                "%(amount)s more than the rent calls still owed (paid meanwhile): left as "
                "a credit of the tenant.", amount=left,
            ))

    def _register_return(self, st_line, code, text):
        """The debit came back (R-transaction ``st_line``): reopen the rent calls.

        The credit of the collection (found by the end-to-end id), if reconciled, has
        its reconciliation undone (the rent calls open again, the owner split is
        reversed); it is then booked on the tenant's account and reconciled with the
        return, so that the bank account nets to zero. When the bank sent the return
        only, the debit is marked returned and the return line waits for a manual
        reconciliation.
        """
        self.ensure_one()
        code = (code or "").upper() or False
        label = CLOSING_RETURN_CODES.get(code) or OTHER_RETURN_CODES.get(code) or ""
        text = " - ".join(part for part in (label, text) if part) or False
        credit_line = self.settlement_line_id or self.env["account.bank.statement.line"].search(
            [("rental_end_to_end_id", "=", self.end_to_end_id), ("amount", ">", 0),
             ("company_id", "=", self.company_id.id)], limit=1,
        )
        if credit_line.is_reconciled:
            # Settled here, or reconciled by the matching or by hand: the collection
            # did not happen, its reconciliation goes (the owner split is reversed).
            credit_line.action_undo_reconciliation()
        tenant_account = self.company_id.rental_tenant_account_id
        if credit_line and st_line and tenant_account:
            if not credit_line.is_reconciled:
                credit_line._rental_reconcile_with(
                    [], rest_partner=self.partner_id, rest_account=tenant_account,
                    label=_("Returned direct debit %(e2e)s", e2e=self.end_to_end_id),
                )
            pending = credit_line.move_id.line_ids.filtered(
                lambda line: line.account_id == tenant_account and not line.reconciled
                and line.amount_residual < 0
            )
            if pending and not st_line.is_reconciled:
                amount = min(abs(st_line.amount), -sum(pending.mapped("amount_residual")))
                allocations = []
                for item in pending:
                    part = min(amount, -item.amount_residual)
                    if part > 0:
                        allocations.append((item, part))
                        amount -= part
                st_line._rental_reconcile_with(
                    allocations, rest_partner=self.partner_id, rest_account=tenant_account,
                    label=_("Returned direct debit %(e2e)s", e2e=self.end_to_end_id),
                )
        self.write({
            "state": "returned",
            "return_line_id": st_line.id if st_line else False,
            "return_code": code,
            "return_text": text,
            "return_date": st_line.date if st_line else fields.Date.context_today(self),
        })
        if not credit_line:
            self.message_post(body=_(
                "Returned before its credit reached the bank statement: the return line "
                "%(line)s is left for a manual reconciliation.",
                line=st_line.display_name if st_line else "-",
            ))
        self.mandate_id._rental_register_return(self, code, text)
        self._notify_return(code, text)
        self.collection_id._update_state()
        return True

    def _register_reject(self, code, text, report):
        """The bank rejected these debits before collecting them (status report
        ``report``, reason ``code``): nothing was collected, their rent calls stay open
        (no longer waiting for the debit: dunning and the next collection take them).

        As for a return: the reason is recorded on the debit and on the mandate (closed
        for reasons such as "account closed" or "no mandate"), the lease's manager is
        told. A rejected first collection makes the next one a first collection again.
        Only debits still sent are changed.
        """
        debits = self.filtered(lambda d: d.state == "sent")
        code = (code or "").upper() or False
        label = CLOSING_RETURN_CODES.get(code) or OTHER_RETURN_CODES.get(code) or ""
        text = " - ".join(part for part in (label, text) if part) or False
        debits.write({
            "state": "rejected",
            "return_code": code,
            "return_text": text,
            "return_date": fields.Date.context_today(self),
        })
        for debit in debits:
            debit.message_post(body=_("Rejected by the bank (status report %(report)s).",
                                      report=report))
            debit.mandate_id._rental_register_return(debit, code, text)
            debit._notify_return(code, text)
        debits.collection_id._update_state()
        return debits

    def _notify_return(self, code, text):
        """Tell the lease: a message, and an activity for its manager."""
        self.ensure_one()
        lease = self.lease_id
        body = _(
            "Direct debit %(e2e)s of %(amount)s rejected by the bank before collection "
            "(%(code)s %(text)s): the rent calls %(calls)s are still open.",
            e2e=self.end_to_end_id, amount=self.amount, code=code or "?", text=text or "",
            calls=", ".join(self.move_ids.mapped("name")),
        ) if self.state == "rejected" else _(
            "Direct debit %(e2e)s of %(amount)s returned (%(code)s %(text)s): the rent calls "
            "%(calls)s are open again.",
            e2e=self.end_to_end_id, amount=self.amount, code=code or "?", text=text or "",
            calls=", ".join(self.move_ids.mapped("name")),
        )
        self.message_post(body=body)
        lease.message_post(body=body)
        user = lease.create_uid
        if not (user.active and user._is_internal()):
            user = self.env.user
        lease.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_("Rejected direct debit") if self.state == "rejected"
            else _("Returned direct debit"),
            note=body,
            user_id=user.id,
        )
