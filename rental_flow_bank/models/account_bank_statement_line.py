import json
import logging
from collections import defaultdict

from odoo import _, api, fields, models
from odoo.tools import SQL, create_unique_index, index_exists

from odoo.addons.rental_flow.engines import viban

from ..engines.statement_base import normalize_iban
from ..engines.statement_types import FLAG_NOT_BOOKED, ParsedLine
from .bank_import_writer import StatementLineWriter, import_savepoint

_logger = logging.getLogger(__name__)

UNIQUE_IMPORT_INDEX = "account_bank_statement_line_rental_unique_import_idx"


class AccountBankStatementLine(models.Model):
    """Bank statement lines as bank feeds create them (files, bank APIs, webhooks).

    Every imported line keeps what the bank said about it: value date, payer BIC,
    ultimate debtor, bank reference and transaction code, return reason, original
    end-to-end id, and the whole raw record in ``transaction_details``. The
    ``unique_import_id`` (unique per journal, enforced by a database index) makes
    re-imports and replayed webhooks harmless.
    """

    _inherit = "account.bank.statement.line"

    unique_import_id = fields.Char(
        string="Import Id",
        readonly=True,
        copy=False,
        help="Identifier of the bank transaction, unique per journal: a line already "
        "imported is never imported again.",
    )
    rental_import_id = fields.Many2one(
        "rental.bank.import",
        string="Import",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
    )
    rental_value_date = fields.Date(string="Value Date", readonly=True, copy=False)
    rental_payer_bic = fields.Char(string="Payer BIC", readonly=True, copy=False)
    rental_ultimate_debtor = fields.Char(
        string="Ultimate Debtor",
        readonly=True,
        copy=False,
        help="Party on whose behalf the payer paid (e.g. the tenant when a relative or the "
        "housing benefit office pays).",
    )
    rental_remittance_ref = fields.Char(
        string="Remittance Reference",
        readonly=True,
        copy=False,
        help="Structured remittance reference as sent, whatever its type (the valid RF "
        "creditor reference is in Structured Reference).",
    )
    rental_bank_reference = fields.Char(
        string="Bank Reference", readonly=True, copy=False, index="btree_not_null"
    )
    rental_bank_transaction_code = fields.Char(
        string="Bank Transaction Code", readonly=True, copy=False
    )
    rental_return_reason_code = fields.Char(
        string="Return Reason", readonly=True, copy=False,
        help="ISO 20022 reason code of a returned or rejected payment (AC04, AM04, MS02...).",
    )
    rental_original_end_to_end_id = fields.Char(
        string="Original End-to-End Id", readonly=True, copy=False, index="btree_not_null"
    )
    rental_is_reversal = fields.Boolean(string="Reversal", readonly=True, copy=False)
    rental_import_flags = fields.Char(
        string="Import Remarks",
        readonly=True,
        copy=False,
        help="Remarks of the parser: reversal, return, batch not split, invalid RF or IBAN...",
    )

    rental_details_text = fields.Text(
        string="Bank Data", compute="_compute_rental_details_text",
        help="Raw data of the transaction as the bank sent it (audit).",
    )

    @api.depends("transaction_details")
    def _compute_rental_details_text(self):
        for line in self:
            details = line.transaction_details
            line.rental_details_text = (
                json.dumps(details, indent=2, ensure_ascii=False, sort_keys=True)
                if details else False
            )

    def init(self):
        super().init()
        # A line's import id is unique within its journal (the ids start with the
        # account's IBAN; API ids with the journal's account too).
        if not index_exists(self.env.cr, UNIQUE_IMPORT_INDEX):
            create_unique_index(
                self.env.cr,
                UNIQUE_IMPORT_INDEX,
                self._table,
                ["journal_id", "unique_import_id"],
            )

    # -- mapping ----------------------------------------------------------------------

    @api.model
    def _rental_credited_account(self, journal, line: ParsedLine, master=None):
        """The account the payer addressed (virtual IBAN), per the journal's setting.

        ``cdtr_acct``: only the transaction's creditor account; ``ntry_ref``: only the
        entry reference (banks that report the alias there); ``auto``: the creditor
        account when it is not the master account itself, else an entry reference that
        is a valid IBAN other than the master account's. ``master`` is the journal's
        compact IBAN (computed when not given).
        """
        if line.amount <= 0 and not line.is_return:
            return line.credited_account or False
        source = journal.rental_credited_account_source or "auto"
        if master is None:
            master = viban.normalize(journal.bank_acc_number)

        def entry_reference_iban():
            if not line.entry_reference:
                return None
            compact, valid = normalize_iban(line.entry_reference)
            return compact if valid else None

        if source == "ntry_ref":
            return entry_reference_iban() or False
        credited = viban.normalize(line.credited_account) or False
        if source == "cdtr_acct" or (credited and credited != master):
            return credited
        ntry = entry_reference_iban()
        return ntry if ntry and ntry != master else credited

    @api.model
    def _rental_prepare_import_vals(self, journal, line: ParsedLine, bank_import=None,
                                    statement=None, details=None, master=None):
        """Values of the statement line of one parsed line (file or bank API).

        ``details`` are extra keys of the audit JSON (format, file location...);
        ``master`` the journal's compact IBAN (computed when not given).
        """
        end_to_end = line.end_to_end_id
        return {
            "journal_id": journal.id,
            "statement_id": statement.id if statement else False,
            "date": line.booking_date or line.value_date,
            "amount": float(line.amount),
            "payment_ref": line.label or "/",
            "partner_name": line.counterparty_name or False,
            "account_number": line.counterparty_iban or line.counterparty_account or False,
            "transaction_type": (line.bank_transaction_code or "")[:64] or False,
            "unique_import_id": line.unique_import_id,
            "transaction_details": {
                **(details or {}),
                "location": line.source_location or None,
                "status": line.status,
                "flags": line.flags,
                "credited_account_source": line.credited_account_source,
                "instruction_id": line.instruction_id,
                "transaction_id": line.transaction_id,
                "mandate_id": line.mandate_id,
                "uetr": line.uetr,
                "entry_reference": line.entry_reference,
                "return_reason_info": line.return_reason_info,
                "raw": line.raw,
            },
            "rental_end_to_end_id": end_to_end or False,
            "rental_structured_ref": line.rf_reference or False,
            "rental_credited_iban": self._rental_credited_account(journal, line, master),
            "rental_value_date": line.value_date or False,
            "rental_payer_bic": line.counterparty_bic or False,
            "rental_ultimate_debtor": line.ultimate_debtor_name or False,
            "rental_remittance_ref": line.structured_reference or False,
            "rental_bank_reference": line.bank_reference or False,
            "rental_bank_transaction_code": (
                " / ".join(
                    c for c in (line.bank_transaction_code,
                                line.bank_transaction_code_proprietary) if c
                ) or False
            ),
            "rental_return_reason_code": line.return_reason_code or False,
            "rental_original_end_to_end_id": line.original_end_to_end_id
            or (end_to_end if line.is_return else False)
            or False,
            "rental_is_reversal": line.is_reversal,
            "rental_import_flags": ", ".join(line.flags) or False,
            "rental_import_id": bank_import.id if bank_import else False,
        }

    @api.model
    def _rental_resolve_virtual_ibans(self, pairs):
        """Virtual IBAN and property of many ``(credited IBAN, date)`` pairs at once.

        Same rule as rental_flow's ``_compute_rental_virtual_iban`` (the IBAN by its
        compact form, archived ones included; the property that held it on that date,
        from the assignment history), with two queries for any number of lines.
        Returns a list of ``(virtual IBAN id or None, property id or None)``.
        """
        names = {viban.normalize(iban) for iban, __ in pairs if iban}
        if not names:
            return [(None, None)] * len(pairs)
        ibans = self.env["rental.virtual.iban"].with_context(active_test=False).search_read(
            [("name", "in", list(names))], ["name", "property_id"]
        )
        by_name = {row["name"]: row for row in ibans}
        history = defaultdict(list)
        for row in self.env["rental.virtual.iban.assignment"].search_read(
            [("iban_id", "in", [row["id"] for row in ibans])],
            ["iban_id", "property_id", "date_from", "date_to"],
            order="date_from desc, id desc",
        ):
            history[row["iban_id"][0]].append(row)
        result = []
        for iban, day in pairs:
            row = by_name.get(viban.normalize(iban or ""))
            if not row:
                result.append((None, None))
                continue
            prop = None
            if not day:
                prop = row["property_id"][0] if row["property_id"] else None
            else:
                for assignment in history[row["id"]]:
                    if assignment["date_from"] <= day and (
                        not assignment["date_to"] or day <= assignment["date_to"]
                    ):
                        prop = assignment["property_id"][0]
                        break
            result.append((row["id"], prop))
        return result

    # -- creation -----------------------------------------------------------------------

    @api.model
    def _rental_existing_import_ids(self, journal, unique_ids):
        """The ``unique_ids`` already imported in ``journal`` (one query)."""
        if not unique_ids:
            return set()
        self.flush_model(["unique_import_id", "journal_id"])
        self.env.cr.execute(
            SQL(
                "SELECT unique_import_id FROM account_bank_statement_line "
                "WHERE journal_id = %s AND unique_import_id = ANY(%s)",
                journal.id,
                list(unique_ids),
            )
        )
        return {row[0] for row in self.env.cr.fetchall()}

    @api.model
    def _rental_lock_journal(self, journal):
        """Serialise imports into ``journal`` until the end of the transaction.

        Two imports (a file and a webhook, two workers) of overlapping data then never
        both pass the duplicate check: the second waits and sees the first's lines.
        """
        self.env.cr.execute(
            SQL("SELECT pg_advisory_xact_lock(%s, %s)", 0x52464231, journal.id)  # 'RFB1'
        )

    @api.model
    def _rental_create_from_parsed(self, journal, parsed_lines, bank_import=None,
                                   statement=None, details=None, line_details=None):
        """Create the statement lines of ``parsed_lines`` in ``journal``, in bulk.

        The public entry point of every bank feed (files, bank APIs, webhooks):
        lines whose ``unique_import_id`` is already in the journal are skipped, the
        others are created with their journal entries (the first line of each day
        through Odoo's own ``create``, the others by :class:`StatementLineWriter`
        from it). Lines flagged not booked are skipped. Returns the new lines, in the
        order of ``parsed_lines``. The caller decides what runs after the import:
        see :meth:`_rental_after_import`. ``details`` are added to the audit JSON
        (``transaction_details``) of every line, ``line_details`` (a list aligned with
        ``parsed_lines``) to each line's.
        """
        self._rental_lock_journal(journal)
        extra = line_details or [None] * len(parsed_lines)
        pairs = [(line, more) for line, more in zip(parsed_lines, extra, strict=True)
                 if FLAG_NOT_BOOKED not in line.flags]
        existing = self._rental_existing_import_ids(
            journal, [line.unique_import_id for line, __ in pairs]
        )
        master = viban.normalize(journal.bank_acc_number)
        vals_list = [
            self._rental_prepare_import_vals(
                journal, line, bank_import, statement, {**(details or {}), **(more or {})},
                master,
            )
            for line, more in pairs
            if line.unique_import_id not in existing
        ]
        if not vals_list:
            return self.browse()
        return StatementLineWriter(self.env, journal).create(vals_list)

    def _rental_after_import(self):
        """Hook run on the lines of each import once they are created.

        Runs the rent matching of rental_flow_bank's matching engine when it is
        installed (``_rental_match``), in a savepoint: a matching failure is logged
        and leaves the imported lines in place for a later matching run. Override to
        chain other automatic processing.
        """
        if not self or not hasattr(self, "_rental_match"):
            return
        try:
            with import_savepoint(self.env):
                self._rental_match()
        except Exception:
            _logger.exception(
                "Matching of %d imported bank lines failed; they stay unmatched.", len(self)
            )

    # -- actions -----------------------------------------------------------------------

    def action_rental_open_import(self):
        """Open the import that created this line."""
        self.ensure_one()
        return self.rental_import_id._get_formview_action() if self.rental_import_id else False

    @api.model
    def _rental_action_lines(self, domain=None, context=None):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow_bank.action_rental_bank_statement_lines"
        )
        action["domain"] = domain or []
        action["context"] = {**(context or {})}
        action["name"] = _("Bank Lines")
        return action
