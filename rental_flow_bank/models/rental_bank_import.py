import base64
import hashlib
import logging
import time
from decimal import Decimal

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_amount

from ..engines.sdd_status import StatusReportError, detect_pain002, parse_pain002
from ..engines.statement_import import detect_format, parse_statement_file
from ..engines.statement_types import (
    FLAG_NOT_BOOKED,
    FORMAT_CSV,
    FORMAT_XLSX,
    ParseOptions,
    StatementParseError,
)
from .bank_import_writer import import_savepoint

_logger = logging.getLogger(__name__)

MAX_ERRORS_SHOWN = 50


class RentalBankImport(models.Model):
    """Log of every bank statement import: files, bank API synchronisations.

    One record per attempt, successful or not: file name and SHA-256 checksum, who
    and when, the journals and statements it fed, line counts (created, already
    imported, not booked), the error that stopped it or the warnings it raised
    (balances that do not chain...). A failed import created nothing.
    """

    _name = "rental.bank.import"
    _description = "Bank Statement Import"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True)
    source = fields.Selection(
        [("file", "File"), ("api", "Bank API")], required=True, default="file", readonly=True
    )
    state = fields.Selection(
        [("done", "Imported"), ("nothing_new", "Nothing New"), ("failed", "Failed")],
        required=True,
        default="done",
        readonly=True,
        tracking=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True,
        default=lambda self: self.env.company,
    )
    user_id = fields.Many2one(
        "res.users", string="Imported By", readonly=True, default=lambda self: self.env.user
    )
    date = fields.Datetime(readonly=True, default=fields.Datetime.now, index=True)
    file_name = fields.Char(readonly=True)
    file_size = fields.Integer(string="Size (bytes)", readonly=True)
    checksum = fields.Char(string="SHA-256", readonly=True, index=True)
    file_format = fields.Char(string="Format", readonly=True)
    attachment_id = fields.Many2one("ir.attachment", string="File", readonly=True)
    connector_id = fields.Many2one("rental.bank.connector", readonly=True, index="btree_not_null")
    journal_ids = fields.Many2many(
        "account.journal", string="Journals", readonly=True, check_company=True
    )
    statement_ids = fields.One2many(
        "account.bank.statement", "rental_import_id", string="Statements", readonly=True
    )
    line_ids = fields.One2many(
        "account.bank.statement.line", "rental_import_id", string="Lines", readonly=True
    )
    statement_count = fields.Integer(string="Statements in File", readonly=True)
    total_count = fields.Integer(string="Transactions", readonly=True)
    created_count = fields.Integer(string="Lines Created", readonly=True)
    duplicate_count = fields.Integer(
        string="Already Imported", readonly=True,
        help="Transactions skipped because a line with the same import id exists.",
    )
    skipped_count = fields.Integer(
        string="Not Booked", readonly=True,
        help="Pending or information-only entries the bank had not booked.",
    )
    duration = fields.Float(string="Duration (s)", readonly=True, digits=(16, 2))
    error = fields.Text(readonly=True)
    warnings = fields.Text(readonly=True)
    has_warnings = fields.Boolean(compute="_compute_has_warnings", store=True)

    @api.depends("warnings")
    def _compute_has_warnings(self):
        for record in self:
            record.has_warnings = bool(record.warnings)

    # -- file import ------------------------------------------------------------------

    @api.model
    def _import_file(self, data, filename, journal=None, csv_mapping=None, after_import=True):
        """Import a statement file; return its log record (``state`` tells the outcome).

        All or nothing: the file is parsed and every statement checked (journal found
        by exact IBAN, currency, amounts, dates) before anything is created; any
        problem leaves the database unchanged except for a ``failed`` log record with
        the error. ``journal`` is used for statements that do not name their account
        (CSV without an account column) and gives the default CSV mapping;
        ``csv_mapping`` (a ``rental.bank.csv.mapping``) overrides it. After a
        successful import, :meth:`account.bank.statement.line._rental_after_import`
        runs on the new lines unless ``after_import`` is false.
        """
        if isinstance(data, str):
            data = base64.b64decode(data)
        started = time.perf_counter()
        base_vals = {
            "name": filename or _("Statement file"),
            "source": "file",
            "file_name": filename,
            "file_size": len(data or b""),
            "checksum": hashlib.sha256(data or b"").hexdigest(),
            "company_id": (journal.company_id if journal else self.env.company).id,
        }
        if data and detect_pain002(data):
            return self._import_status_report(data, base_vals, started)
        try:
            with import_savepoint(self.env):
                log = self.create(base_vals)
                log._run_file_import(data, filename, journal, csv_mapping)
        except psycopg2.OperationalError:
            raise  # serialisation failure, lock timeout: let Odoo retry the request
        except (StatementParseError, UserError, ValidationError) as exc:
            return self._log_failure(base_vals, data, exc, started)
        except Exception as exc:
            _logger.exception("Unexpected error while importing %s", filename)
            return self._log_failure(base_vals, data, exc, started, unexpected=True)
        log.duration = time.perf_counter() - started
        log._attach_file(data)
        log._post_summary()
        if after_import and log.line_ids:
            log.line_ids._rental_after_import()
        return log

    def _import_status_report(self, data, base_vals, started):
        """A payment status report (pain.002) of a direct debit file, dropped where bank
        statements are imported: the debits the bank rejected are marked so (see
        ``rental.sdd.collection._rental_apply_status_report``). All or nothing, logged
        like a statement file."""
        try:
            with import_savepoint(self.env):
                report = parse_pain002(data)
                log = self.create({**base_vals, "file_format": report.version})
                result = self.env["rental.sdd.collection"]._rental_apply_status_report(report)
                log.write({
                    "state": "done" if result["rejected"] else "nothing_new",
                    "total_count": result["transactions"],
                    "company_id": result["runs"][:1].company_id.id or log.company_id.id,
                    "warnings": _("End-to-end ids of no debit here: %(ids)s",
                                  ids=", ".join(result["unknown"]))
                    if result["unknown"] else False,
                })
        except psycopg2.OperationalError:
            raise
        except StatusReportError as exc:
            return self._log_failure(base_vals, data, UserError(
                _("Payment status report: %(error)s", error=exc)), started)
        except (UserError, ValidationError) as exc:
            return self._log_failure(base_vals, data, exc, started)
        except Exception as exc:
            _logger.exception("Unexpected error while importing status report %s",
                              base_vals.get("file_name"))
            return self._log_failure(base_vals, data, exc, started, unexpected=True)
        log.duration = time.perf_counter() - started
        log._attach_file(data)
        log.message_post(body=result["summary"])
        return log

    def _log_failure(self, base_vals, data, exc, started, unexpected=False):
        message = str(exc.args[0] if isinstance(exc, UserError | ValidationError) and exc.args
                      else exc)
        if unexpected:
            message = _("Unexpected error, nothing was imported: %(error)s", error=message)
        log = self.create({**base_vals, "state": "failed", "error": message,
                           "duration": time.perf_counter() - started})
        log._attach_file(data)
        log.message_post(body=_("Import failed, nothing was imported: %(error)s",
                                error=message))
        return log

    def _attach_file(self, data):
        self.ensure_one()
        if not data:
            return
        self.attachment_id = self.env["ir.attachment"].create(
            {
                "name": self.file_name or "statement",
                "raw": data,
                "res_model": self._name,
                "res_id": self.id,
            }
        )

    def _parse_options(self, data, filename, journal, csv_mapping):
        """Parser options; CSV and Excel files need a column mapping."""
        fmt = detect_format(data, filename or "")
        options = ParseOptions()
        if fmt in (FORMAT_CSV, FORMAT_XLSX):
            mapping = csv_mapping or (journal.rental_csv_mapping_id if journal else None)
            if not mapping:
                raise UserError(
                    _("%(file)s is a CSV or Excel file: choose its column mapping (or set "
                      "one on the bank journal).", file=filename or _("The file"))
                )
            options.csv_mapping = mapping._get_csv_mapping()
        return options

    def _run_file_import(self, data, filename, journal, csv_mapping):
        """Parse, check everything, then create statements and lines (raises on bad input)."""
        self.ensure_one()
        started = time.perf_counter()
        options = self._parse_options(data, filename, journal, csv_mapping)
        result = parse_statement_file(data, filename or "", options)
        parsed = time.perf_counter()
        self.file_format = result.statements[0].format_version if result.statements else \
            result.format
        plan = self._plan_statements(result.statements, journal)
        self.write({
            "statement_count": len(result.statements),
            "total_count": sum(len(s.lines) + s.skipped_entries for s in result.statements),
            "journal_ids": [(6, 0, list({p["journal"].id for p in plan}))],
            "company_id": plan[0]["journal"].company_id.id,
        })
        warnings = [w for s in result.statements for w in s.warnings]
        created = duplicates = skipped = 0
        for item in plan:
            stats = self._create_statement(item, filename, result)
            created += stats["created"]
            duplicates += stats["duplicates"]
            skipped += stats["skipped"]
            warnings += stats["warnings"]
        self.write({
            "created_count": created,
            "duplicate_count": duplicates,
            "skipped_count": skipped,
            "state": "done" if created else "nothing_new",
            "warnings": "\n".join(warnings) or False,
        })
        _logger.info(
            "Imported %s: %d lines created, %d already imported (parse %.1f s, "
            "creation %.1f s)", filename, created, duplicates, parsed - started,
            time.perf_counter() - parsed,
        )

    # -- checks -----------------------------------------------------------------------

    def _plan_statements(self, statements, journal):
        """Journal of each statement, after checking everything; raise with all problems."""
        Journal = self.env["account.journal"]
        found = Journal._rental_find_bank_journals(
            [s.account_key for s in statements], companies=self.env.companies
        )
        errors, plan = [], []
        for number, statement in enumerate(statements, start=1):
            where = _("Statement %(number)s (%(id)s)", number=number,
                      id=statement.statement_id or statement.account_key or "-")
            key = "".join((statement.account_key or "").split()).upper()
            if not key:
                target = journal
                if not target:
                    errors.append(_("%(where)s does not name its bank account: choose the "
                                    "journal to import it into.", where=where))
                    continue
            else:
                target = found.get(key, Journal)
                if not target:
                    target = self._virtual_iban_journal(key)
                    if target:  # a statement of one virtual IBAN (sub-account)
                        self._credit_virtual_iban(statement, key)
                        errors += self._check_statement(where, statement, target)
                        plan.append({"statement": statement, "journal": target,
                                     "virtual_iban": key})
                        continue
                if not target:
                    errors.append(_("%(where)s: no bank journal has the account %(account)s. "
                                    "Set this IBAN as the bank account of a bank journal.",
                                    where=where, account=key))
                    continue
                if len(target) > 1:
                    errors.append(_("%(where)s: several bank journals have the account "
                                    "%(account)s (%(journals)s).", where=where, account=key,
                                    journals=", ".join(target.mapped("display_name"))))
                    continue
            errors += self._check_statement(where, statement, target)
            plan.append({"statement": statement, "journal": target})
        if errors:
            shown = errors[:MAX_ERRORS_SHOWN]
            if len(errors) > MAX_ERRORS_SHOWN:
                shown.append(_("... and %(count)s more problems.",
                               count=len(errors) - MAX_ERRORS_SHOWN))
            raise UserError("\n".join(shown))
        return plan

    def _virtual_iban_journal(self, iban):
        """Master bank journal of a virtual IBAN of the pools (empty when unknown).

        Some banks send one statement per virtual account: its lines belong to the
        master account's journal.
        """
        virtual = self.env["rental.virtual.iban"].with_context(active_test=False).search(
            [("name", "=", iban), ("company_id", "in", self.env.companies.ids)], limit=1
        )
        return virtual.journal_id

    @staticmethod
    def _credit_virtual_iban(statement, iban):
        """Lines of a virtual IBAN's own statement were paid to that IBAN."""
        for line in statement.lines:
            if not line.credited_account and (line.amount > 0 or line.is_return
                                              or line.is_reversal):
                line.credited_account = iban
                line.credited_account_source = "statement_account"

    def _check_statement(self, where, statement, journal):
        """Problems that forbid importing ``statement`` into ``journal`` (list of messages)."""
        currency = journal.currency_id or journal.company_id.currency_id
        if (statement.currency or currency.name).upper() != currency.name:
            return [_("%(where)s is in %(currency)s but the journal %(journal)s is in "
                      "%(journal_currency)s.", where=where, currency=statement.currency,
                      journal=journal.display_name, journal_currency=currency.name)]
        return self._check_lines(where, statement.lines, journal)

    @api.model
    def _check_lines(self, where, lines, journal):
        """Problems of individual lines: currency, decimals, date, import id."""
        currency = journal.currency_id or journal.company_id.currency_id
        quantum = Decimal(1).scaleb(-currency.decimal_places)
        errors = []
        for line in lines:
            place = f"{where}, {line.source_location or line.bank_reference or line.entry_index}"
            if (line.currency or currency.name).upper() != currency.name:
                errors.append(_("%(place)s: amount in %(currency)s in a %(journal_currency)s "
                                "journal.", place=place, currency=line.currency,
                                journal_currency=currency.name))
            elif line.amount != line.amount.quantize(quantum):
                errors.append(_("%(place)s: amount %(amount)s has more decimals than "
                                "%(currency)s allows.", place=place, amount=line.amount,
                                currency=currency.name))
            if not (line.booking_date or line.value_date):
                errors.append(_("%(place)s: the transaction has no date.", place=place))
            if not line.unique_import_id:
                errors.append(_("%(place)s: the transaction has no import id.", place=place))
        return errors

    # -- creation -----------------------------------------------------------------------

    def _create_statement(self, item, filename, result):
        """Create one parsed statement's new lines (and its statement when it has balances)."""
        statement, journal = item["statement"], item["journal"]
        Line = self.env["account.bank.statement.line"]
        Line._rental_lock_journal(journal)
        booked = [line for line in statement.lines if FLAG_NOT_BOOKED not in line.flags]
        existing = Line._rental_existing_import_ids(
            journal, [line.unique_import_id for line in booked]
        )
        new = [line for line in booked if line.unique_import_id not in existing]
        stats = {"created": len(new), "duplicates": len(booked) - len(new),
                 "skipped": statement.skipped_entries + len(statement.lines) - len(booked),
                 "warnings": []}
        if not new:
            return stats
        if item.get("virtual_iban"):
            # a virtual account's balances are not the master account's: no statement
            bank_statement = self.env["account.bank.statement"]
        else:
            bank_statement = self._make_statement(statement, journal, new, stats, filename)
        details = {"source": "file", "file_name": filename, "format": statement.format_version,
                   "statement_id": statement.statement_id}
        Line._rental_create_from_parsed(journal, new, bank_import=self,
                                        statement=bank_statement, details=details)
        if bank_statement:
            stats["warnings"] += self._check_chain(bank_statement, journal)
        return stats

    def _make_statement(self, statement, journal, new_lines, stats, filename):
        """The ``account.bank.statement`` of a parsed statement that has both balances."""
        opening, closing = statement.opening_balance, statement.closing_balance
        if not (opening and closing):
            return self.env["account.bank.statement"]
        balance_start = opening.amount
        if stats["duplicates"]:
            balance_start = closing.amount - sum((line.amount for line in new_lines), Decimal(0))
            stats["warnings"].append(_(
                "%(journal)s: %(count)s transactions of statement %(statement)s were already "
                "imported and skipped; its starting balance is taken as the closing balance "
                "minus the new lines.",
                journal=journal.display_name, count=stats["duplicates"],
                statement=statement.statement_id or statement.date_to or "",
            ))
        day = statement.date_to or max(line.booking_date or line.value_date for line in new_lines)
        return self.env["account.bank.statement"].create({
            "name": statement.statement_id or f"{journal.code} {day}",
            "reference": filename,
            "balance_start": float(balance_start),
            "balance_end_real": float(closing.amount),
            "rental_import_id": self.id,
        })

    def _check_chain(self, bank_statement, journal):
        """Warn when a statement does not start where the previous one ended."""
        bank_statement.flush_recordset()
        previous = self.env["account.bank.statement"].search(
            [
                ("journal_id", "=", journal.id),
                ("first_line_index", "<", bank_statement.first_line_index),
                ("id", "!=", bank_statement.id),
            ],
            order="first_line_index desc",
            limit=1,
        )
        currency = journal.currency_id or journal.company_id.currency_id
        if not previous or currency.compare_amounts(
            previous.balance_end_real, bank_statement.balance_start
        ) == 0:
            return []
        message = _(
            "%(journal)s: statement %(statement)s starts at %(start)s but the previous "
            "statement %(previous)s ended at %(end)s (difference %(diff)s): a statement is "
            "missing or the balances are wrong.",
            journal=journal.display_name,
            statement=bank_statement.name,
            start=format_amount(self.env, bank_statement.balance_start, currency),
            previous=previous.name,
            end=format_amount(self.env, previous.balance_end_real, currency),
            diff=format_amount(
                self.env, bank_statement.balance_start - previous.balance_end_real, currency
            ),
        )
        journal.message_post(body=message)
        return [message]

    def _post_summary(self):
        self.ensure_one()
        body = _(
            "%(created)s lines created, %(duplicates)s already imported, %(skipped)s not "
            "booked, in %(seconds).1f s.",
            created=self.created_count, duplicates=self.duplicate_count,
            skipped=self.skipped_count, seconds=self.duration,
        )
        if self.warnings:
            body += "\n" + self.warnings
        self.message_post(body=body)

    # -- bank API ------------------------------------------------------------------------

    @api.model
    def _import_api_lines(self, connector, parsed_lines, after_import=True):
        """Import transactions fetched from a bank API (already mapped to parsed lines).

        Same checks as files (currency, decimals, date) and same creation path; returns
        the log record.
        """
        journal = connector.journal_id
        started = time.perf_counter()
        booked = [line for line in parsed_lines if FLAG_NOT_BOOKED not in line.flags]
        log = self.create({
            "name": _("%(connector)s synchronisation", connector=connector.name),
            "source": "api",
            "connector_id": connector.id,
            "company_id": journal.company_id.id,
            "journal_ids": [(6, 0, journal.ids)],
            "total_count": len(parsed_lines),
            "skipped_count": len(parsed_lines) - len(booked),
        })
        errors = self._check_lines(_("Bank API"), booked, journal)
        if errors:
            log.write({"state": "failed", "error": "\n".join(errors[:MAX_ERRORS_SHOWN])})
            return log
        Line = self.env["account.bank.statement.line"]
        details = {"source": "api", "provider": connector.provider, "connector": connector.name}
        lines = Line._rental_create_from_parsed(journal, booked, bank_import=log, details=details)
        log.write({
            "created_count": len(lines),
            "duplicate_count": len(booked) - len(lines),
            "state": "done" if lines else "nothing_new",
            "duration": time.perf_counter() - started,
        })
        if after_import and lines:
            lines._rental_after_import()
        return log

    # -- actions -----------------------------------------------------------------------

    def action_view_lines(self):
        self.ensure_one()
        return self.env["account.bank.statement.line"]._rental_action_lines(
            [("rental_import_id", "=", self.id)]
        )

    def action_view_statements(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_bank_statement_tree")
        action["domain"] = [("rental_import_id", "=", self.id)]
        action["context"] = {}
        return action
