"""Shared machinery of the bank statement parsers.

:class:`BaseParser` runs a format parser and then completes its result the same way
for every format: RF creditor references, line labels, balance checks and the stable
unique import ids. Each step is a small method that an integrator may override in a
subclass (and register with :func:`statement_import.register_parser`).

The helper functions (amount, IBAN and RF reference handling) are shared by the
format modules.
"""

from __future__ import annotations

import gc
import hashlib
import json
import re
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import iso11649

from .statement_types import (
    FLAG_INVALID_RF,
    FLAG_NOT_BOOKED,
    FLAG_RF_FROM_TEXT,
    ParsedLine,
    ParsedStatement,
    ParseOptions,
    ParseResult,
    StatementParseError,
)

_PLAIN_DECIMAL = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_WHITESPACE = re.compile(r"\s+")
# Characters used as thousands separators in bank exports: space, no-break space,
# narrow no-break space, apostrophe (Swiss), plus '.'/',' when not the decimal mark.
_SPACE_SEPARATORS = (" ", "\u00a0", "\u202f", "'", "\u2019")
_CURRENCY_SIGNS = "€$£"


def clean_text(value: str | None) -> str | None:
    """Collapse runs of whitespace; ``None`` for an empty value."""
    if value is None:
        return None
    value = _WHITESPACE.sub(" ", value).strip()
    return value or None


def parse_decimal(text: str | None, what: str, location: str | None = None) -> Decimal:
    """Parse a plain decimal number such as ``"1234.56"`` (no separators)."""
    value = (text or "").strip()
    if not _PLAIN_DECIMAL.fullmatch(value):
        raise StatementParseError(f"{what} {value!r} is not a valid amount.", location)
    return Decimal(value)


def parse_localized_amount(
    text: str,
    decimal_separator: str = ",",
    thousands_separator: str | None = None,
    location: str | None = None,
) -> Decimal:
    """Parse an amount as written by people: ``"1 234,56"``, ``"1.234,56"``, ``"-1,234.56"``.

    ``decimal_separator`` is ``","`` or ``"."``. Without an explicit
    ``thousands_separator``, spaces, apostrophes and the other of ``.``/``,`` are
    accepted as thousands separators, and must then group digits by three. A trailing
    minus sign, a leading ``+`` and parentheses (accounting negatives) are understood;
    a currency sign or ISO code around the number is ignored.
    """
    original = text
    value = (text or "").strip().strip(_CURRENCY_SIGNS).strip()
    value = re.sub(r"^[A-Z]{3}\s+|\s+[A-Z]{3}$", "", value)
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1].strip()
    if value.endswith("-"):
        negative, value = not negative, value[:-1].strip()
    if value and value[0] in "+-":
        negative, value = (not negative if value[0] == "-" else negative), value[1:].strip()
    if thousands_separator is not None:  # "" means: no thousands separator at all
        separators = (thousands_separator,) if thousands_separator else ()
    else:
        separators = (*_SPACE_SEPARATORS, "." if decimal_separator == "," else ",")
    integer, _, fraction = value.partition(decimal_separator)
    if decimal_separator in fraction:
        integer = ""  # two decimal marks: reject below
    if not integer:
        groups = []
    elif separators:
        groups = re.split("|".join(re.escape(s) for s in separators), integer)
    else:
        groups = [integer]
    valid = (
        bool(groups)
        and all(g.isdigit() and g.isascii() for g in groups)
        and (len(groups) == 1 or (len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])))
        and (fraction == "" or (fraction.isdigit() and fraction.isascii()))
        and not (value.endswith(decimal_separator))
    )
    if not valid:
        raise StatementParseError(
            f"amount {original!r} is not a valid number (decimal separator {decimal_separator!r}).",
            location,
        )
    number = Decimal("".join(groups) + ("." + fraction if fraction else ""))
    return -number if negative else number


@lru_cache(maxsize=65536)
def normalize_iban(value: str) -> tuple[str, bool]:
    """Return ``(compact upper-case IBAN, is_valid)`` for an IBAN as found in a file."""
    compact = "".join(value.split()).upper()
    try:
        return str(IBAN(compact)), True
    except SchwiftyException:
        return compact, False


def iban_from_french_rib(bank_code: str, branch_code: str, account_code: str) -> str | None:
    """Compute the French IBAN of a RIB (bank, branch, account); ``None`` if impossible."""
    try:
        return str(IBAN.generate("FR", bank_code, account_code, branch_code=branch_code))
    except (SchwiftyException, ValueError):
        return None


def canonical_amount(amount: Decimal) -> str:
    """``Decimal`` as a canonical string: ``850.00`` and ``850.0`` give ``"850"``."""
    text = format(amount.normalize(), "f")
    return "0" if text in ("-0", "+0") else text


def find_rf_reference(text: str | None) -> str | None:
    """Find a valid ISO 11649 (RF) creditor reference in free text, compacted."""
    if not text or "RF" not in text.upper():
        return None
    tokens = text.upper().replace(",", " ").replace(";", " ").split()
    for start, token in enumerate(tokens):
        if not token.startswith("RF"):
            continue
        best = None
        candidate = ""
        for part in tokens[start : start + 7]:
            candidate += part
            if len(candidate) > 25:
                break
            if iso11649.is_valid(candidate):
                best = candidate
        if best:
            return best
    return None


@contextmanager
def _no_cyclic_gc():
    """Pause the cyclic garbage collector while a file is parsed.

    Parsing allocates hundreds of thousands of small, acyclic objects (dicts, lines);
    the collector would repeatedly scan them all, which makes large files several
    times slower. Reference counting still frees everything; the collector resumes
    afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class BaseParser:
    """Base class of the format parsers.

    Subclasses implement :meth:`_parse` (bytes -> :class:`ParseResult` with its
    statements and lines) and may override the small hooks below. Use
    :meth:`parse`, which also enforces the size limit and completes the result.
    """

    format_name = ""

    def __init__(self, options: ParseOptions | None = None):
        self.options = options or ParseOptions()

    # -- entry point -------------------------------------------------------------

    def parse(self, data: bytes, filename: str = "") -> ParseResult:
        """Parse a whole file. Raises :class:`StatementParseError` on bad input."""
        data = self._check_input(data)
        with _no_cyclic_gc():
            result = self._parse(data, filename)
            result.filename = filename
            self._finalise(result)
        return result

    def _parse(self, data: bytes, filename: str) -> ParseResult:
        raise NotImplementedError

    def _check_input(self, data: bytes) -> bytes:
        if isinstance(data, bytearray | memoryview):
            data = bytes(data)
        if not isinstance(data, bytes):
            raise StatementParseError("The statement file content must be bytes.")
        check_size(data, self.options.max_bytes)
        return data

    # -- completion of a parsed result -----------------------------------------

    def _finalise(self, result: ParseResult) -> None:
        if not result.statements:
            raise StatementParseError("The file contains no statement.")
        for statement in result.statements:
            for line in statement.lines:
                self._complete_line(statement, line)
            self._complete_statement(statement)
        self._assign_unique_ids(result)

    def _complete_line(self, statement: ParsedStatement, line: ParsedLine) -> None:
        """Fill the derived fields of a line: RF reference, label."""
        self._set_rf_reference(line)
        line.label = self._label(line)

    def _set_rf_reference(self, line: ParsedLine) -> None:
        if line.structured_reference:
            compact = "".join(line.structured_reference.split()).upper()
            if compact.startswith("RF"):
                if iso11649.is_valid(compact):
                    line.rf_reference = compact
                else:
                    line.add_flag(FLAG_INVALID_RF)
        if line.rf_reference is None:
            found = find_rf_reference(line.remittance_unstructured)
            if found:
                line.rf_reference = found
                line.add_flag(FLAG_RF_FROM_TEXT)

    def _label(self, line: ParsedLine) -> str:
        """Human label of a line (Odoo ``payment_ref``); never empty."""
        for candidate in (
            line.remittance_unstructured,
            line.structured_reference,
            line.additional_info,
            line.end_to_end_id,
            line.bank_transaction_code,
        ):
            if candidate:
                return candidate
        return "/"

    def _complete_statement(self, statement: ParsedStatement) -> None:
        """Fill a missing period from the lines (else the balances) and check balances.

        ``date_from`` falls back on the first booking date, then on the opening
        balance date; ``date_to`` on the closing balance date, then the last booking.
        """
        dates = [line.booking_date for line in statement.lines if line.booking_date]
        opening, closing = statement.opening_balance, statement.closing_balance
        if statement.date_from is None:
            statement.date_from = min(dates) if dates else (opening.date if opening else None)
        if statement.date_to is None:
            if closing and closing.date:
                statement.date_to = closing.date
            elif dates:
                statement.date_to = max(dates)
        self._check_balances(statement)

    def _check_balances(self, statement: ParsedStatement) -> None:
        """Warn when opening balance + booked lines differs from the closing balance."""
        opening, closing = statement.opening_balance, statement.closing_balance
        if opening is None or closing is None:
            return
        total = sum(
            (line.amount for line in statement.lines if FLAG_NOT_BOOKED not in line.flags),
            Decimal(0),
        )
        if opening.amount + total != closing.amount:
            name = f"Statement {statement.statement_id}" if statement.statement_id else "Statement"
            statement.warnings.append(
                f"{name} of {statement.account_key}: opening balance {opening.amount} + lines "
                f"{total} = {opening.amount + total}, but the closing balance is "
                f"{closing.amount}."
            )

    # -- unique import ids -------------------------------------------------------

    def _unique_id_basis(self, statement: ParsedStatement, line: ParsedLine) -> tuple[str, list]:
        """What identifies a line: ``("ref", [bank reference...])`` or ``("sha256", fields)``.

        Changing this changes the ids of lines already imported (and so lets them be
        imported twice): override only for a new format or bank, never in place.
        """
        if line.bank_reference:
            parts = [line.bank_reference]
            if line.batch_size > 1 and line.tx_index is not None:
                parts.append(f"tx{line.tx_index}")
            return "ref", parts
        return "sha256", self._hash_fields(statement, line)

    def _hash_fields(self, statement: ParsedStatement, line: ParsedLine) -> list:
        """The discriminating fields hashed when the bank gives no unique reference."""
        return [
            statement.account_key,
            line.booking_date.isoformat() if line.booking_date else "",
            canonical_amount(line.amount),
            line.currency,
            line.end_to_end_id or "",
            line.entry_reference or "",
            line.remittance_unstructured or "",
            line.structured_reference or "",
            line.counterparty_iban or line.counterparty_account or "",
            line.tx_index if line.tx_index is not None else "",
        ]

    def _unique_id(self, statement: ParsedStatement, line: ParsedLine) -> str:
        kind, parts = self._unique_id_basis(statement, line)
        account = statement.account_key or "-"
        if kind == "sha256":
            payload = json.dumps(parts, ensure_ascii=False, separators=(",", ":"), default=str)
            digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]
            return f"{account}|sha256|{digest}"
        return "|".join([account, kind, *[str(p) for p in parts]])

    def _assign_unique_ids(self, result: ParseResult) -> None:
        """Give every line its id; identical lines get an occurrence suffix (|2, |3...)."""
        seen: dict[str, int] = {}
        for statement in result.statements:
            for line in statement.lines:
                base = self._unique_id(statement, line)
                count = seen.get(base, 0) + 1
                seen[base] = count
                line.unique_import_id = base if count == 1 else f"{base}|{count}"


def check_size(data: bytes, max_bytes: int) -> None:
    """Refuse empty input and input above ``max_bytes``."""
    if not data:
        raise StatementParseError("The statement file is empty.")
    if max_bytes and len(data) > max_bytes:
        raise StatementParseError(
            f"The statement file is {len(data) / 1048576:.1f} MB, above the limit of "
            f"{max_bytes / 1048576:.1f} MB; split it or raise the limit."
        )
