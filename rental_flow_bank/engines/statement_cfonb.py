"""French CFONB 120 statement parser ("relevé de compte 120 caractères").

Records of exactly 120 characters, one per line (or concatenated without line
breaks): ``01`` old balance, ``04`` movement, ``05`` complement of the preceding
movement, ``07`` new balance. Several accounts (and several days of one account)
follow each other in one file: each ``01``...``07`` block is one statement.

Positions (0-based slices): bank code ``[2:7]``, internal operation code ``[7:11]``,
branch ``[11:16]``, currency ``[16:19]``, number of decimals ``[19]``, account number
``[21:32]``, interbank operation code ``[32:34]``, date DDMMYY ``[34:40]``, reject
reason ``[40:42]``, value date ``[42:48]``, label ``[48:79]``, entry number
``[81:88]``, amount ``[90:104]``, reference ``[104:120]``; complements: qualifier
``[45:48]``, text ``[48:118]``.

The amount's last character is its last digit and its sign: ``{`` = 0 and ``A``..``I``
= 1..9 for a credit, ``}`` = 0 and ``J``..``R`` = 1..9 for a debit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .statement_base import BaseParser, clean_text, iban_from_french_rib
from .statement_types import (
    FLAG_RETURN,
    FORMAT_CFONB120,
    Balance,
    ParsedLine,
    ParsedStatement,
    ParseResult,
    StatementParseError,
)

RECORD_LENGTH = 120
RECORD_CODES = ("01", "04", "05", "07")
_SIGN_DIGITS = {"{": (1, 0), "}": (-1, 0)}
_SIGN_DIGITS.update({chr(ord("A") + i): (1, i + 1) for i in range(9)})
_SIGN_DIGITS.update({chr(ord("J") + i): (-1, i + 1) for i in range(9)})
# Complement qualifiers whose text belongs to the remittance information.
REMITTANCE_QUALIFIERS = ("LIB", "LCC", "LC2", "LCS", "   ")


def decode_cfonb_amount(field: str, decimals: int) -> Decimal:
    """Decode a 14-character CFONB amount (13 digits + sign/digit character)."""
    if len(field) != 14 or not field[:13].isdigit() or field[13] not in _SIGN_DIGITS:
        raise ValueError(field)
    sign, last = _SIGN_DIGITS[field[13]]
    units = int(field[:13]) * 10 + last
    return Decimal(sign * units).scaleb(-decimals)


class _Record:
    """One 120-character record and where it was found."""

    __slots__ = ("line", "number", "text")

    def __init__(self, text: str, number: int, line: int | None):
        self.text = text
        self.number = number
        self.line = line

    @property
    def code(self) -> str:
        return self.text[:2]

    @property
    def where(self) -> str:
        place = f"line {self.line}" if self.line else f"record {self.number}"
        return f"{place} (record {self.code})"

    @property
    def account_key(self) -> tuple[str, str, str, str]:
        """(bank code, branch code, account number, currency)."""
        t = self.text
        return t[2:7], t[11:16], t[21:32].strip(), t[16:19]


class Cfonb120Parser(BaseParser):
    """Parser of CFONB 120 files (see the module docstring)."""

    format_name = FORMAT_CFONB120
    encoding = "latin-1"

    def _parse(self, data: bytes, filename: str) -> ParseResult:
        records = self._split_records(data.decode(self.encoding))
        result = ParseResult(format=FORMAT_CFONB120, format_version=FORMAT_CFONB120)
        statement: ParsedStatement | None = None
        opened_at: _Record | None = None
        last_line: ParsedLine | None = None
        for record in records:
            code = record.code
            if code == "01":
                if statement is not None:
                    raise StatementParseError(
                        f"a new statement starts before the statement opened at "
                        f"{opened_at.where} was closed by a 07 record.",
                        record.where,
                    )
                statement, opened_at, last_line = self._statement_from_01(record), record, None
                continue
            if statement is None:
                raise StatementParseError(
                    "this record is outside a statement (no preceding 01 record).", record.where
                )
            if record.account_key != opened_at.account_key:
                raise StatementParseError(
                    f"account {self._key_text(record)} differs from the account "
                    f"{self._key_text(opened_at)} of the statement opened at {opened_at.where}.",
                    record.where,
                )
            if code == "04":
                last_line = self._line_from_04(statement, record)
                statement.lines.append(last_line)
            elif code == "05":
                if last_line is None:
                    raise StatementParseError(
                        "a 05 complement record must follow a 04 movement record.", record.where
                    )
                self._apply_05(last_line, record)
            else:  # "07"
                statement.closing_balance = self._balance(record, "CLBD")
                result.statements.append(statement)
                statement, last_line = None, None
        if statement is not None:
            raise StatementParseError(
                f"the statement of account {self._key_text(opened_at)} opened at "
                f"{opened_at.where} has no closing 07 record (truncated file?)."
            )
        return result

    # -- records -----------------------------------------------------------------

    def _split_records(self, text: str) -> list[_Record]:
        """Cut the text into records, checking their length and code."""
        text = text.rstrip("\x1a")  # DOS end-of-file mark
        if "\n" in text or "\r" in text:
            raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            # blank lines and a DOS end-of-file mark (Ctrl-Z) are ignored
            records = [(t, n) for n, t in enumerate(raw_lines, start=1) if t.strip(" \t\x1a")]
        else:
            if len(text) % RECORD_LENGTH:
                raise StatementParseError(
                    f"a CFONB 120 file without line breaks must be a multiple of "
                    f"{RECORD_LENGTH} characters; this one has {len(text)}."
                )
            records = [
                (text[i : i + RECORD_LENGTH], None) for i in range(0, len(text), RECORD_LENGTH)
            ]
        result = []
        for number, (content, line) in enumerate(records, start=1):
            place = f"line {line}" if line else f"record {number}"
            if len(content) != RECORD_LENGTH:
                raise StatementParseError(
                    f"the record has {len(content)} characters; CFONB 120 records have "
                    f"exactly {RECORD_LENGTH}.",
                    place,
                )
            if content[:2] not in RECORD_CODES:
                raise StatementParseError(
                    f"unknown record code {content[:2]!r} (expected 01, 04, 05 or 07).", place
                )
            result.append(_Record(content, number, line))
        if not result:
            raise StatementParseError("The CFONB 120 file contains no record.")
        return result

    @staticmethod
    def _key_text(record: _Record) -> str:
        bank, branch, account, currency = record.account_key
        return f"{bank} {branch} {account} ({currency})"

    def _decimals(self, record: _Record) -> int:
        digit = record.text[19]
        if not digit.isdigit():
            raise StatementParseError(
                f"the number of decimals {digit!r} (position 20) is not a digit.", record.where
            )
        return int(digit)

    def _amount(self, record: _Record) -> Decimal:
        field, decimals = record.text[90:104], self._decimals(record)
        try:
            return decode_cfonb_amount(field, decimals)
        except ValueError:
            raise StatementParseError(
                f"amount {field!r} (positions 91-104) is not a valid CFONB amount.", record.where
            ) from None

    @staticmethod
    def _date(record: _Record, start: int, what: str, required: bool = True) -> date | None:
        text = record.text[start : start + 6]
        if not required and text in ("      ", "000000"):
            return None
        try:
            if not text.isdigit():
                raise ValueError(text)
            year = int(text[4:6])
            return date(2000 + year if year < 70 else 1900 + year, int(text[2:4]), int(text[0:2]))
        except ValueError:
            raise StatementParseError(
                f"{what} {text!r} (positions {start + 1}-{start + 6}) is not a valid DDMMYY date.",
                record.where,
            ) from None

    def _balance(self, record: _Record, type_code: str) -> Balance:
        return Balance(
            amount=self._amount(record),
            currency=record.text[16:19],
            date=self._date(record, 34, "balance date"),
            type_code=type_code,
        )

    # -- statement and lines -----------------------------------------------------

    def _statement_from_01(self, record: _Record) -> ParsedStatement:
        bank, branch, account, currency = record.account_key
        statement = ParsedStatement(
            format_version=FORMAT_CFONB120,
            account_iban=self._account_iban(bank, branch, account),
            account_number=account,
            currency=currency,
            opening_balance=self._balance(record, "OPBD"),
        )
        if statement.account_iban is None:
            statement.warnings.append(
                f"No IBAN could be computed for account {self._key_text(record)}."
            )
        return statement

    def _account_iban(self, bank: str, branch: str, account: str) -> str | None:
        """IBAN of the account (French RIB: bank, branch, account; key computed)."""
        return iban_from_french_rib(bank, branch, account)

    def _line_from_04(self, statement: ParsedStatement, record: _Record) -> ParsedLine:
        t = record.text
        line = ParsedLine(
            amount=self._amount(record),
            currency=t[16:19],
            booking_date=self._date(record, 34, "booking date"),
            value_date=self._date(record, 42, "value date", required=False),
            entry_index=len(statement.lines) + 1,
            source_location=record.where,
            bank_transaction_code=clean_text(t[32:34]),
            bank_transaction_code_proprietary=clean_text(t[7:11]),
            bank_reference=clean_text(t[104:120]),
            additional_info=clean_text(t[48:79]),
        )
        reject_code = clean_text(t[40:42])
        if reject_code:
            line.is_return = True
            line.return_reason_code = reject_code
            line.add_flag(FLAG_RETURN)
        # The records themselves are the audit data and the basis of the unique id.
        line.raw = {"record_04": t, "records_05": []}
        return line

    def _apply_05(self, line: ParsedLine, record: _Record) -> None:
        """Attach a complement record to its movement."""
        qualifier, text = record.text[45:48], clean_text(record.text[48:118])
        line.raw["records_05"].append(record.text)
        if not text:
            return
        # We are the creditor of a credit, and of a returned direct debit.
        we_are_creditor = (line.amount >= 0) != line.is_return
        if qualifier in REMITTANCE_QUALIFIERS:
            line.remittance_unstructured = clean_text(
                f"{line.remittance_unstructured or ''} {text}"
            )
        elif qualifier == ("NPY" if we_are_creditor else "NBE"):
            line.counterparty_name = line.counterparty_name or text
        elif qualifier == "RCN":
            line.end_to_end_id = clean_text(record.text[48:83])
        elif qualifier == "RUM":
            line.mandate_id = clean_text(record.text[48:83])
        elif qualifier == "NBU":
            line.ultimate_creditor_name = text
        elif qualifier == "NPO":
            line.ultimate_debtor_name = text

    def _label(self, line: ParsedLine) -> str:
        """The movement label of the 04 record, completed by the remittance text."""
        parts = [line.additional_info, line.remittance_unstructured]
        return " ".join(p for p in parts if p) or "/"

    def _unique_id_basis(self, statement: ParsedStatement, line: ParsedLine) -> tuple[str, list]:
        """CFONB references are not unique: always hash the movement and its complements.

        The 04 record holds the account, dates, amount, label, entry number and
        reference; the 05 records hold payer, remittance and end-to-end id.
        """
        return "sha256", [
            statement.account_key,
            line.raw["record_04"].rstrip(),
            [record.rstrip() for record in line.raw["records_05"]],
        ]
