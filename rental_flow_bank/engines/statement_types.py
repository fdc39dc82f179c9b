"""Plain data types of the bank statement parsers.

Everything here is a dataclass of plain values (``Decimal`` amounts, ``date``
objects, strings, lists and dicts) so that the Odoo side can turn a parse result
into statement records without knowing which file format it came from.

* :class:`ParseOptions` tells the parsers what the file cannot say (per-bank quirks,
  the CSV column mapping, size limit).
* :class:`ParseResult` holds one or several :class:`ParsedStatement`, each with its
  :class:`Balance` objects and :class:`ParsedLine` objects.
* :class:`CsvMapping` is the saved column mapping of a CSV/XLSX export; it round-trips
  through :meth:`CsvMapping.to_dict` / :meth:`CsvMapping.from_dict` (JSON storage).
* :class:`StatementParseError` is the only exception the parsers raise for bad input.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

FORMAT_CAMT053 = "camt.053"
FORMAT_CAMT054 = "camt.054"
FORMAT_CFONB120 = "cfonb120"
FORMAT_CSV = "csv"
FORMAT_XLSX = "xlsx"

# A camt.053 of 50,000 entries is 60 to 95 MB (compact or indented XML).
DEFAULT_MAX_BYTES = 100 * 1024 * 1024

# Line flags (``ParsedLine.flags``): short machine-readable markers for the import
# wizard and the matching engine.
FLAG_REVERSAL = "reversal"
FLAG_RETURN = "return"
FLAG_NOT_BOOKED = "not_booked"
FLAG_BATCH_NOT_SPLIT = "batch_not_split"
FLAG_INVALID_RF = "invalid_rf_reference"
FLAG_RF_FROM_TEXT = "rf_reference_from_text"
FLAG_INVALID_COUNTERPARTY_IBAN = "invalid_counterparty_iban"
FLAG_INVALID_CREDITED_IBAN = "invalid_credited_account_iban"

ColumnRef = str | int


class StatementParseError(ValueError):
    """A statement file could not be parsed; nothing from it may be imported.

    ``str(error)`` is a complete human message. ``location`` says where the problem
    is (line number, record number, XPath-like element path or CSV row), when known.
    """

    def __init__(self, message: str, location: str | None = None):
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


def _plain(value: Any) -> Any:
    """Convert a value to something ``json.dumps`` accepts (Decimal -> str...)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass
class Balance:
    """A statement balance: signed amount (credit positive) at a date."""

    amount: Decimal
    currency: str
    date: date | None
    type_code: str = ""

    def to_dict(self) -> dict:
        """JSON-serialisable dict (amount as a string)."""
        return _plain(self)


@dataclass
class ParsedLine:
    """One bank transaction, ready to become a statement line.

    ``amount`` is signed: money received is positive, money paid out negative.
    The *counterparty* is the other party of the transaction: the payer (debtor) of a
    credit, the payee (creditor) of a debit. For returns and reversals the parties of
    the original transaction are kept (the tenant of a returned direct debit stays the
    counterparty). ``credited_account`` is the account the payer addressed when we are
    the creditor side, i.e. the virtual IBAN of a rent payment.
    """

    amount: Decimal
    currency: str
    booking_date: date | None
    value_date: date | None = None
    label: str = ""
    counterparty_name: str | None = None
    counterparty_iban: str | None = None
    counterparty_account: str | None = None
    counterparty_bic: str | None = None
    ultimate_debtor_name: str | None = None
    ultimate_creditor_name: str | None = None
    credited_account: str | None = None
    credited_account_source: str | None = None
    remittance_unstructured: str | None = None
    structured_reference: str | None = None
    structured_reference_type: str | None = None
    rf_reference: str | None = None
    document_references: list[str] = field(default_factory=list)
    end_to_end_id: str | None = None
    bank_reference: str | None = None
    entry_reference: str | None = None
    instruction_id: str | None = None
    transaction_id: str | None = None
    mandate_id: str | None = None
    uetr: str | None = None
    bank_transaction_code: str | None = None
    bank_transaction_code_proprietary: str | None = None
    is_reversal: bool = False
    is_return: bool = False
    return_reason_code: str | None = None
    return_reason_info: str | None = None
    original_end_to_end_id: str | None = None
    status: str = "BOOK"
    additional_info: str | None = None
    entry_index: int = 0
    tx_index: int | None = None
    batch_size: int = 1
    source_location: str = ""
    flags: list[str] = field(default_factory=list)
    unique_import_id: str = ""
    raw: dict = field(default_factory=dict)

    def add_flag(self, flag: str) -> None:
        """Add ``flag`` once."""
        if flag not in self.flags:
            self.flags.append(flag)

    def to_dict(self) -> dict:
        """JSON-serialisable dict (amount as a string, dates in ISO format)."""
        return _plain(self)


@dataclass
class ParsedStatement:
    """One account's statement (or notification) of a file."""

    format_version: str
    account_iban: str | None
    currency: str
    statement_id: str | None = None
    account_number: str | None = None
    account_owner: str | None = None
    account_servicer_bic: str | None = None
    sequence_number: str | None = None
    creation_datetime: datetime | None = None
    date_from: date | None = None
    date_to: date | None = None
    opening_balance: Balance | None = None
    closing_balance: Balance | None = None
    lines: list[ParsedLine] = field(default_factory=list)
    skipped_entries: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def account_key(self) -> str:
        """The identifier of the statement's account: IBAN, else the bank's number."""
        return self.account_iban or self.account_number or ""

    def to_dict(self) -> dict:
        """JSON-serialisable dict."""
        data = _plain(self)
        data["account_key"] = self.account_key
        return data


@dataclass
class ParseResult:
    """What a statement file contained: one or more statements."""

    format: str
    format_version: str
    statements: list[ParsedStatement] = field(default_factory=list)
    message_id: str | None = None
    creation_datetime: datetime | None = None
    filename: str = ""

    @property
    def lines(self) -> list[ParsedLine]:
        """All lines of all statements, in file order."""
        return [line for statement in self.statements for line in statement.lines]

    @property
    def warnings(self) -> list[str]:
        """All statement warnings (non-blocking remarks for the user)."""
        return [w for statement in self.statements for w in statement.warnings]

    def to_dict(self) -> dict:
        """JSON-serialisable dict (used for golden files and audit logs)."""
        return _plain(self)


@dataclass
class CsvMapping:
    """Saved column mapping of a bank's CSV or XLSX export.

    Columns are given by header name (``str``, matched case- and space-insensitively)
    or by 0-based index (``int``). Amounts come from ``amount_column`` (signed), or
    from ``debit_column``/``credit_column`` (debits become negative whatever their
    sign in the file), optionally corrected by ``direction_column`` whose value is
    compared with ``debit_values``. ``account_column`` (per row) or ``account_iban``
    (whole file) name the bank account; rows of several accounts give several
    statements. ``date_formats`` are tried in order (``datetime.strptime`` formats).
    """

    date_column: ColumnRef
    amount_column: ColumnRef | None = None
    debit_column: ColumnRef | None = None
    credit_column: ColumnRef | None = None
    direction_column: ColumnRef | None = None
    debit_values: list[str] = field(
        default_factory=lambda: ["D", "DB", "DBIT", "DEBIT", "DÉBIT", "-"]
    )
    value_date_column: ColumnRef | None = None
    currency_column: ColumnRef | None = None
    currency: str = "EUR"
    counterparty_name_column: ColumnRef | None = None
    counterparty_iban_column: ColumnRef | None = None
    counterparty_bic_column: ColumnRef | None = None
    label_columns: list[ColumnRef] = field(default_factory=list)
    reference_column: ColumnRef | None = None
    end_to_end_id_column: ColumnRef | None = None
    bank_reference_column: ColumnRef | None = None
    credited_account_column: ColumnRef | None = None
    account_column: ColumnRef | None = None
    account_iban: str | None = None
    delimiter: str = ";"
    quotechar: str = '"'
    encoding: str = "utf-8"
    has_header: bool = True
    skip_rows: int = 0
    decimal_separator: str = ","
    thousands_separator: str | None = None
    date_formats: list[str] = field(default_factory=lambda: ["%d/%m/%Y"])
    sheet_name: str | None = None

    def __post_init__(self):
        # A single value where a list is expected (hand-written JSON) is accepted.
        for name in ("date_formats", "label_columns", "debit_values"):
            value = getattr(self, name)
            if isinstance(value, str | int) and not isinstance(value, bool):
                setattr(self, name, [value])
        self.validate()

    def column_fields(self) -> dict[str, ColumnRef]:
        """The mapped single columns, by field name (``*_column`` fields that are set)."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if f.name.endswith("_column") and getattr(self, f.name) is not None
        }

    def validate(self) -> None:
        """Raise :class:`StatementParseError` if the mapping cannot work."""
        problems = []
        if (
            self.amount_column is None
            and self.debit_column is None
            and (self.credit_column is None)
        ):
            problems.append("map an amount column, or debit and/or credit columns")
        if self.amount_column is not None and (
            self.debit_column is not None or self.credit_column is not None
        ):
            problems.append("map either an amount column or debit/credit columns, not both")
        if self.decimal_separator not in (",", "."):
            problems.append("the decimal separator must be ',' or '.'")
        if self.thousands_separator == self.decimal_separator:
            problems.append("the thousands separator must differ from the decimal separator")
        if len(self.delimiter) != 1 or len(self.quotechar) != 1:
            problems.append("the delimiter and the quote character must be one character each")
        if (
            not isinstance(self.date_formats, list)
            or not self.date_formats
            or not all(isinstance(f, str) and "%" in f for f in self.date_formats)
        ):
            problems.append("give at least one date format, e.g. '%d/%m/%Y'")
        if (
            isinstance(self.skip_rows, bool)
            or not isinstance(self.skip_rows, int)
            or (self.skip_rows < 0)
        ):
            problems.append("skip_rows must be a non-negative integer")
        if not isinstance(self.label_columns, list) or not isinstance(self.debit_values, list):
            problems.append("label_columns and debit_values must be lists")
        columns = list(self.column_fields().items()) + [
            ("label_columns", c) for c in self.label_columns
        ]
        for name, column in columns:
            if isinstance(column, bool) or not isinstance(column, str | int):
                problems.append(f"{name}: a column is a header name or a 0-based index")
            elif isinstance(column, int) and column < 0:
                problems.append(f"{name}: a column index cannot be negative")
            elif isinstance(column, str) and not self.has_header:
                problems.append(f"{name}: without a header row, columns must be indexes")
        if problems:
            raise StatementParseError("Invalid CSV column mapping: " + "; ".join(problems) + ".")

    def to_dict(self) -> dict:
        """JSON-serialisable dict, the inverse of :meth:`from_dict`."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> CsvMapping:
        """Build a mapping from :meth:`to_dict` output; unknown keys are an error."""
        if not isinstance(data, dict):
            raise StatementParseError("Invalid CSV column mapping: expected a JSON object.")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise StatementParseError(
                "Invalid CSV column mapping: unknown key(s) " + ", ".join(unknown) + "."
            )
        if "date_column" not in data:
            raise StatementParseError("Invalid CSV column mapping: 'date_column' is required.")
        return cls(**data)


@dataclass
class ParseOptions:
    """Per-bank and per-import settings of the parsers.

    ``alias_in_ntry_ref``: the bank reports the virtual account (alias) a credit was
    paid to in ``Ntry/NtryRef`` instead of ``TxDtls/RltdPties/CdtrAcct``.
    ``csv_mapping``: required for CSV/XLSX files (a :class:`CsvMapping` or its dict).
    ``max_bytes``: larger files are refused (0 = no limit).
    ``keep_non_booked``: keep pending/information entries (flagged ``not_booked``)
    instead of skipping them. ``keep_raw``: fill ``ParsedLine.raw``.
    """

    alias_in_ntry_ref: bool = False
    csv_mapping: CsvMapping | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    keep_non_booked: bool = False
    keep_raw: bool = True
