"""Owner payouts: one SEPA credit transfer per owner and mandate in a payout run."""

import logging
import re
from decimal import Decimal

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_amount

from ..engines import sepa, viban
from .rental_split import BULK_MIN
from .rental_split_bulk import PaymentWriter, can_write_in_bulk, insert_records

_logger = logging.getLogger(__name__)

REMITTANCE_MAX = 140
_STREET_NUMBER = re.compile(r"^\s*(\d+[ ]?(?:bis|ter|quater|[a-d])?)\b[ ,]*(.+)$", re.IGNORECASE)


class RentalPayout(models.Model):
    """What one owner is paid for one mandate in a payout run.

    ``draft``: to pay when the run is confirmed; ``held``: not paid this time (hold,
    below the minimum); ``blocked``: cannot be paid (no valid IBAN, SEPA data refused),
    the reason says why; ``sent``: the payment is posted and the transfer is in the
    SEPA file (or handed to a bank connector); ``paid``: the bank statement shows the
    debit (matched by end-to-end id); ``returned``: the bank sent the money back.
    """

    _name = "rental.payout"
    _description = "Owner Payout"
    _inherit = ["mail.thread"]
    _order = "run_id desc, owner_id, id"
    _check_company_auto = True
    _rec_name = "end_to_end_id"

    run_id = fields.Many2one(
        "rental.payout.run", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    mandate_id = fields.Many2one("rental.mandate", required=True, index=True, readonly=True)
    owner_id = fields.Many2one("res.partner", string="Owner", required=True, index=True,
                               readonly=True)
    bank_id = fields.Many2one("res.partner.bank", string="Owner's Account", readonly=True)
    amount = fields.Monetary(readonly=True)
    line_ids = fields.One2many("rental.payout.line", "payout_id", readonly=True)
    state = fields.Selection(
        [
            ("draft", "To Pay"),
            ("held", "Held"),
            ("blocked", "Blocked"),
            ("sent", "Sent"),
            ("paid", "Paid"),
            ("returned", "Returned"),
            ("cancel", "Cancelled"),
        ],
        default="draft",
        required=True,
        index=True,
        readonly=True,
        tracking=True,
    )
    block_reason = fields.Text(string="Reason", readonly=True)
    end_to_end_id = fields.Char(string="End-to-End Id", readonly=True, copy=False, index=True)
    sent_via = fields.Selection(
        [("file", "SEPA file"), ("connector", "Bank connector")], readonly=True
    )
    payment_id = fields.Many2one("account.payment", readonly=True, copy=False, index=True)
    statement_line_id = fields.Many2one(
        "account.bank.statement.line", string="Bank Line", readonly=True, copy=False
    )
    date_paid = fields.Date(readonly=True, copy=False)
    remittance = fields.Char(compute="_compute_remittance")

    _sql_constraints = [
        ("end_to_end_uniq", "unique(end_to_end_id)", "An end-to-end id is used only once."),
    ]

    @api.depends("line_ids.property_id", "run_id.date")
    def _compute_remittance(self):
        for payout in self:
            period = payout.run_id.date.strftime("%m/%Y") if payout.run_id.date else ""
            names = ", ".join(
                line.property_id.name for line in payout.line_ids if line.property_id
            )
            text = _("Owner payout %(period)s %(properties)s", period=period, properties=names)
            payout.remittance = sepa.to_sepa_text(text)[:REMITTANCE_MAX]

    # ---------------------------------------------------------------- hooks

    def _send_through_connector(self):
        """Hand this payout to a bank connector; return True when one took it.

        Called for every payout ready to pay when its run is confirmed (or right after a
        split, for mandates paid at once). Without a connector (this implementation),
        return False: the payout goes into the run's SEPA pain.001 file. A connector
        (rental_flow_bank) overrides this: it sends ``amount`` to ``bank_id`` with
        ``end_to_end_id`` and ``remittance``, and must defer the bank API call until the
        transaction commits (``self.env.cr.postcommit.add``) so that nothing leaves the
        bank if the transaction is rolled back. The payment is posted here either way and
        the payout is paid when the bank statement shows the debit (``_mark_paid``).
        """
        self.ensure_one()
        return False

    def _mark_paid(self, statement_line):
        """Mark this payout paid by ``statement_line`` (the debit on the mandant account).

        Reconciles the statement line with the payout's payment. Returns True when done,
        False (with a message on the payout) when the line does not fit.
        """
        self.ensure_one()
        problem = self._statement_line_problem(statement_line)
        if problem:
            self.message_post(body=problem)
            _logger.warning("Payout %s not matched: %s", self.end_to_end_id, problem)
            return False
        payment = self.payment_id
        pay_lines = payment.move_id.line_ids.filtered(
            lambda line: line.account_id == payment.outstanding_account_id and not line.reconciled
        )
        __, suspense, other = statement_line._seek_for_lines()
        if len(suspense) != 1 or other or len(pay_lines) != 1:
            self.message_post(
                body=_("Bank line %(line)s is already reconciled.",
                       line=statement_line.display_name)
            )
            return False
        suspense.write({"account_id": pay_lines.account_id.id, "partner_id": self.owner_id.id})
        (suspense | pay_lines).reconcile()
        self.write(
            {"state": "paid", "statement_line_id": statement_line.id,
             "date_paid": statement_line.date}
        )
        self.run_id._check_done()
        return True

    def _statement_line_problem(self, statement_line):
        if self.state != "sent" or not self.payment_id:
            return _("Bank line %(line)s names this payout, which is not waiting for its debit.",
                     line=statement_line.display_name)
        if statement_line.journal_id != self.payment_id.journal_id:
            return _("Bank line %(line)s is not on the journal of the payment.",
                     line=statement_line.display_name)
        if self.currency_id.compare_amounts(-statement_line.amount, self.amount):
            return _(
                "Bank line %(line)s debits %(amount)s, the payout is %(payout)s.",
                line=statement_line.display_name,
                amount=format_amount(self.env, -statement_line.amount, self.currency_id),
                payout=format_amount(self.env, self.amount, self.currency_id),
            )
        return ""

    def _register_return(self, statement_line):
        """The bank returned a paid payout: credit the owner's account back."""
        self.ensure_one()
        if self.state != "paid" or self.currency_id.compare_amounts(
            statement_line.amount, self.amount
        ):
            self.message_post(
                body=_("Bank line %(line)s names this payout but does not return it.",
                       line=statement_line.display_name)
            )
            return False
        __, suspense, other = statement_line._seek_for_lines()
        if len(suspense) != 1 or other:
            return False
        account = self.company_id.rental_owner_account_id
        lines = self.line_ids.filtered("amount")
        commands = []
        for index, line in enumerate(lines):
            vals = {
                "account_id": account.id,
                "partner_id": self.owner_id.id,
                "rental_owner_id": self.owner_id.id,
                "rental_property_id": line.property_id.id,
                "name": _("Returned payout %(ref)s", ref=self.end_to_end_id),
                "balance": -line.amount,
                "amount_currency": -line.amount,
            }
            commands.append(
                Command.update(suspense.id, vals) if index == 0
                else Command.create(vals)
            )
        statement_line.move_id.with_context(skip_readonly_check=True).write({"line_ids": commands})
        self.state = "returned"
        self.message_post(
            body=_("Returned by the bank (%(line)s): the owner's account is credited back.",
                   line=statement_line.display_name)
        )
        return True

    @api.model
    def _match_statement_lines(self, statement_lines):
        """Bank lines carrying the end-to-end id of a payout: paid (debit) or returned."""
        lines = statement_lines.filtered("rental_end_to_end_id")
        if not lines:
            return
        payouts = self.sudo().search(
            [("end_to_end_id", "in", lines.mapped("rental_end_to_end_id"))]
        )
        by_reference = {payout.end_to_end_id: payout for payout in payouts}
        for line in lines:
            payout = by_reference.get(line.rental_end_to_end_id)
            if not payout:
                continue
            if line.amount < 0:
                payout._mark_paid(line)
            elif line.amount > 0:
                payout._register_return(line)

    # ---------------------------------------------------------------- SEPA

    def _creditor_name(self):
        self.ensure_one()
        return (self.bank_id.acc_holder_name or self.owner_id.name or "").strip()

    def _sepa_transfer(self):
        """The :class:`sepa.CreditTransfer` of this payout."""
        self.ensure_one()
        bank = self.bank_id
        return sepa.CreditTransfer(
            end_to_end_id=self.end_to_end_id,
            amount=Decimal(repr(self.amount)).quantize(Decimal("0.01")),
            currency=self.currency_id.name,
            creditor=sepa.Party(
                name=self._creditor_name(),
                iban=(bank.acc_number or "").replace(" ", ""),
                bic=bank.bank_bic or None,
                address=partner_address(self.owner_id),
            ),
            remittance_unstructured=self.remittance or None,
        )

    def _create_payments(self, journal):
        """Post one outbound payment per payout, in bulk (one line per property)."""
        if not self:
            return self.env["account.payment"]
        owner_account = journal.company_id.rental_owner_account_id
        vals_list = [
            {
                "payment_type": "outbound",
                "partner_type": "supplier",
                "partner_id": payout.owner_id.id,
                "partner_bank_id": payout.bank_id.id,
                "amount": payout.amount,
                "currency_id": payout.currency_id.id,
                "date": max(payout.run_id.date, fields.Date.context_today(self)),
                "journal_id": journal.id,
                "destination_account_id": owner_account.id,
                "memo": payout.remittance,
                "rental_payout_id": payout.id,
            }
            for payout in self
        ]
        bulk_min = self.env.context.get("rental_split_bulk_min", BULK_MIN)
        if len(vals_list) >= bulk_min and can_write_in_bulk(journal):
            ids = PaymentWriter(self.env, journal).write(vals_list, self)
            if ids is not None:
                self.env.cr.execute(
                    SQL(
                        """
                        UPDATE rental_payout r SET payment_id = p.id
                          FROM account_payment p
                         WHERE p.rental_payout_id = r.id AND r.id IN %s
                        """,
                        tuple(self.ids),
                    )
                )
                self.invalidate_recordset(["payment_id"])
                return self.env["account.payment"].browse(ids)
        Payment = self.env["account.payment"].with_context(
            tracking_disable=True, mail_create_nolog=True, mail_notrack=True
        )
        payments = Payment.create(vals_list)
        payments.with_context(rental_sequence_memo={}).action_post()
        for payout, payment in zip(self, payments, strict=True):
            payout.payment_id = payment
        return payments

    def action_cancel(self):
        """Cancel payouts not paid yet; their payments are cancelled too."""
        for payout in self:
            if payout.state in ("paid", "returned"):
                raise UserError(
                    _("Payout %(ref)s is paid: it cannot be cancelled.", ref=payout.end_to_end_id)
                )
            if payout.payment_id and payout.payment_id.state != "canceled":
                payout.payment_id.action_draft()
                payout.payment_id.action_cancel()
            payout.state = "cancel"
        self.run_id._check_done()
        return True

    def action_view_payment(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.payment",
            "res_id": self.payment_id.id,
            "view_mode": "form",
        }

    # ---------------------------------------------------------------- helpers

    @api.model
    def _create_quietly(self, vals_list):
        """Create payouts and their lines in bulk, without chatter messages.

        A large batch (a payout run) is inserted in SQL: payouts and lines are plain
        values (see ``rental_split_bulk.insert_records``).
        """
        lines = [vals.pop("line_ids", []) for vals in vals_list]
        bulk_min = self.env.context.get("rental_split_bulk_min", BULK_MIN)
        if len(vals_list) >= bulk_min:
            run_companies = {
                run.id: run.company_id.id
                for run in self.env["rental.payout.run"].browse(
                    {vals["run_id"] for vals in vals_list}
                )
            }
            for vals in vals_list:
                vals.setdefault("block_reason", False)
                vals["company_id"] = run_companies[vals["run_id"]]
            payouts = self.browse(insert_records(self.env, self._name, vals_list))
        else:
            payouts = self.with_context(
                tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True,
                mail_notrack=True,
            ).create(vals_list).with_env(self.env)
        line_vals = [
            {**command[2], "payout_id": payout.id, "company_id": company_id}
            for payout, commands, company_id in zip(
                payouts, lines, [payout.company_id.id for payout in payouts], strict=True
            )
            for command in commands
        ]
        if len(vals_list) >= bulk_min:
            insert_records(self.env, "rental.payout.line", line_vals)
            payouts.invalidate_recordset(["line_ids"])
        else:
            for vals in line_vals:
                vals.pop("company_id")
            self.env["rental.payout.line"].create(line_vals)
        return payouts

    @api.model
    def _payout_bank(self, mandate, owner):
        """``(bank account, problem)`` of ``owner`` paid under ``mandate``."""
        if owner == mandate.owner_id:
            return mandate.owner_bank_id, mandate._owner_iban_problem()
        banks = owner.bank_ids
        for bank in banks:
            try:
                viban.validate(bank.acc_number)
            except viban.VirtualIbanError:
                continue
            return bank, ""
        if not banks:
            return banks, _("No bank account for %(owner)s.", owner=owner.display_name)
        return banks[:1], _("The IBAN of %(owner)s is not valid.", owner=owner.display_name)

    @api.model
    def _assign_end_to_end_ids(self, payouts):
        """Unique end-to-end ids (letters, digits and dashes, 35 characters at most)."""
        if not payouts:
            return
        payouts.flush_model()
        self.env.cr.execute(
            SQL(
                """
                UPDATE rental_payout
                   SET end_to_end_id = 'RFPO-' || company_id || '-' || LPAD(id::text, 10, '0')
                 WHERE id IN %s AND end_to_end_id IS NULL
                """,
                tuple(payouts.ids),
            )
        )
        payouts.invalidate_recordset(["end_to_end_id"])


class RentalPayoutLine(models.Model):
    """A property's part of a payout (negative when it nets another property)."""

    _name = "rental.payout.line"
    _description = "Owner Payout Line"
    _order = "payout_id, property_id"

    payout_id = fields.Many2one("rental.payout", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="payout_id.company_id", store=True)
    currency_id = fields.Many2one(related="payout_id.currency_id")
    property_id = fields.Many2one("rental.property", required=True, index=True)
    balance = fields.Monetary(string="Owner Account", readonly=True)
    available = fields.Monetary(readonly=True)
    amount = fields.Monetary(string="Paid", readonly=True)


def partner_address(partner):
    """Structured (or hybrid, when there is a second street line) SEPA postal address.

    The house number is taken out of the street when it starts it ("12 bis rue X").
    No address (``None``) without a town and a country: the address is optional.
    """
    if not partner.city or not partner.country_id:
        return None
    street = (partner.street or "").strip()
    number = None
    match = _STREET_NUMBER.match(street)
    if match:
        number, street = match.group(1).strip(), match.group(2).strip()
    lines = tuple(line for line in [(partner.street2 or "").strip()] if line)
    return sepa.PostalAddress(
        street=street or None,
        building_number=number,
        postcode=(partner.zip or "").strip() or None,
        town=partner.city.strip(),
        country=partner.country_id.code,
        address_lines=lines,
    )
