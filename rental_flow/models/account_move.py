import base64
import io
from contextlib import contextmanager

import qrcode

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engines import references


class AccountMove(models.Model):
    _inherit = "account.move"

    rental_lease_id = fields.Many2one(
        "rental.lease", string="Lease", index="btree_not_null", readonly=True, copy=False
    )
    rental_property_id = fields.Many2one(
        "rental.property", string="Property", index="btree_not_null", readonly=True, copy=False
    )
    rental_period_start = fields.Date(string="Period Start", readonly=True, copy=False)
    rental_period_end = fields.Date(string="Period End", readonly=True, copy=False)
    rental_call_kind = fields.Selection(
        [
            ("rent", "Rent call"),
            ("housing_benefit", "Housing benefit call"),
            ("deposit", "Deposit call"),
        ],
        string="Rent Call Type",
        readonly=True,
        copy=False,
    )
    rental_virtual_iban_id = fields.Many2one(
        "rental.virtual.iban",
        string="Pay to Virtual IBAN",
        readonly=True,
        copy=False,
        help="Virtual IBAN printed on the rent call: the account the tenant pays into.",
    )
    rental_owner_id = fields.Many2one(
        related="rental_lease_id.owner_id", string="Owner", store=True, index="btree_not_null"
    )
    rental_receipt_kind = fields.Selection(
        [("quittance", "Rent receipt"), ("receipt", "Payment receipt")],
        compute="_compute_rental_receipt_kind",
        help="A rent receipt (quittance) once the period is fully paid, a plain payment "
        "receipt while it is partly paid.",
    )

    def init(self):
        super().init()
        # One rent call per lease, period and kind: the database refuses a duplicate
        # whatever creates it (cron, button, import, two workers at once).
        self.env.cr.execute(
            SQL(
                """
                CREATE UNIQUE INDEX IF NOT EXISTS account_move_rental_period_uniq
                    ON account_move (rental_lease_id, rental_period_start, rental_call_kind)
                 WHERE rental_lease_id IS NOT NULL
                   AND move_type = 'out_invoice'
                   AND state != 'cancel'
                """
            )
        )

    @api.model
    def _rental_payment_pending_sql(self, alias="m"):
        """SQL condition, true for the rent calls (``account_move`` under ``alias``) whose
        payment is already on its way, e.g. a direct debit sent to the bank and neither
        settled nor returned yet: dunning does not chase them. None here; the addons that
        collect payments extend it (``SQL("(%s OR ...)", super()...)``).
        """
        return SQL("FALSE")

    @contextmanager
    def _sync_invoice(self, container):
        with super()._sync_invoice(container):
            yield
        # An invoice forces its partner on every line; the owners' third-party lines keep
        # their owner as partner (the rent is owed to him, not to the tenant).
        lines = container["records"].line_ids.filtered(
            lambda rec: rec.rental_owner_id and rec.partner_id != rec.rental_owner_id
        )
        for owner in lines.rental_owner_id:
            lines.filtered(lambda rec, o=owner: rec.rental_owner_id == o).partner_id = owner

    def _get_last_sequence(self, relaxed=False, with_prefix=None):
        """Memoise the last sequence while a batch of rent calls is posted.

        Posting numbers each move; Odoo looks the journal's last number up once per move
        (two searches and a query), which dominates when thousands of rent calls are
        posted at once. Within such a batch (context key ``rental_sequence_memo``, a dict
        owned by the caller) the lookup is done once per journal, period and kind: the
        numbers themselves still come from Odoo's locked increment and its transaction
        cache, which continue from the first number taken.
        """
        memo = self.env.context.get("rental_sequence_memo")
        if memo is None or not self.journal_id or not self.date:
            return super()._get_last_sequence(relaxed=relaxed, with_prefix=with_prefix)
        key = (
            self.journal_id.id,
            self.date.year,
            self.date.month,
            self.move_type,
            bool(self.origin_payment_id),
            relaxed,
            with_prefix,
        )
        if key not in memo:
            memo[key] = super()._get_last_sequence(relaxed=relaxed, with_prefix=with_prefix)
        return memo[key]

    def _rental_subscribe_partners(self):
        """Make each rent call's debtor a follower in one insert, as posting would one by one.

        Posting an invoice subscribes its partner; for thousands of rent calls that is
        thousands of follower inserts. Subscribing them together first leaves posting
        nothing to do. Same default subtypes as Odoo's own subscription.
        """
        if not self:
            return
        Followers = self.env["mail.followers"].sudo().with_context(default_partner_id=False)
        partners = self.partner_id
        default, __, external = self.env["mail.message.subtype"].default_subtypes("account.move")
        customers = set(partners.filtered("partner_share").ids)
        existing = {
            (res_id, partner_id)
            for __, res_id, partner_id, __ in Followers._get_subscription_data(
                [("account.move", self.ids)], partners.ids
            )
        }
        Followers.create(
            [
                {
                    "res_model": "account.move",
                    "res_id": move.id,
                    "partner_id": move.partner_id.id,
                    "subtype_ids": [
                        Command.set((external if move.partner_id.id in customers else default).ids)
                    ],
                }
                for move in self
                if move.partner_id and (move.id, move.partner_id.id) not in existing
            ]
        )
        self.invalidate_recordset(["message_follower_ids", "message_partner_ids"])

    def _rental_set_owner_partners(self):
        """Set the owner as partner of the owners' lines of bulk-created rent calls.

        Creating an invoice puts its partner on every line; rewriting thousands of lines
        through the ORM would re-run the invoice synchronisation line by line, so this is
        one set-based update.
        """
        if not self:
            return
        self.env["account.move.line"].flush_model(["partner_id", "rental_owner_id", "move_id"])
        self.env.cr.execute(
            SQL(
                """
                UPDATE account_move_line
                   SET partner_id = rental_owner_id
                 WHERE move_id IN %s
                   AND rental_owner_id IS NOT NULL
                   AND partner_id IS DISTINCT FROM rental_owner_id
                """,
                tuple(self.ids),
            )
        )
        self.env["account.move.line"].invalidate_model(["partner_id"])

    @api.depends("payment_state", "rental_lease_id", "move_type", "state")
    def _compute_rental_receipt_kind(self):
        for move in self:
            kind = False
            if move.rental_lease_id and move.move_type == "out_invoice" and move.state == "posted":
                if move.payment_state in ("paid", "in_payment"):
                    kind = "quittance" if move.rental_call_kind != "deposit" else "receipt"
                elif move.payment_state == "partial":
                    kind = "receipt"
            move.rental_receipt_kind = kind

    def _rental_check_receipt(self, kinds):
        for move in self:
            if move.rental_receipt_kind not in kinds:
                raise UserError(
                    _(
                        "%(move)s: a rent receipt needs the period fully paid, a payment "
                        "receipt a payment received.",
                        move=move.name,
                    )
                )

    def _rental_pay_to(self):
        """Payment instructions of a rent call: beneficiary, IBAN, BIC, reference."""
        self.ensure_one()
        iban = self.rental_virtual_iban_id
        if iban:
            account, bic = iban.name, iban.bic
        else:
            journal = self.company_id.rental_bank_journal_id
            account = journal.bank_account_id.acc_number or ""
            bic = journal.bank_account_id.bank_bic or ""
        return {
            "name": self.company_id.name,
            "iban": account,
            "iban_formatted": iban.formatted if iban else account,
            "bic": bic,
            "reference": self.payment_reference or self.name,
        }

    def _rental_epc_qr_image(self):
        """EPC QR code (base64 PNG data URI) pre-filling the transfer, or ''."""
        self.ensure_one()
        pay_to = self._rental_pay_to()
        if not pay_to["iban"] or self.amount_residual <= 0 or self.currency_id.name != "EUR":
            return ""
        payload = references.epc_qr_payload(
            pay_to["name"],
            pay_to["iban"],
            f"{self.amount_residual:.2f}",
            bic=pay_to["bic"],
            reference=pay_to["reference"],
        )
        # The EPC guidelines ask for error correction level M.
        image = qrcode.make(
            payload, error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=2
        )
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()

    def _rental_previous_balance(self):
        """Open amount of the lease's earlier calls, shown on the rent call."""
        self.ensure_one()
        if not self.rental_lease_id:
            return 0.0
        earlier = self.search(
            [
                ("rental_lease_id", "=", self.rental_lease_id.id),
                ("partner_id", "=", self.partner_id.id),
                ("state", "=", "posted"),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("rental_period_start", "<", self.rental_period_start),
            ]
        )
        return sum(earlier.mapped("amount_residual_signed"))
