"""CSV and XLSX bank export parser driven by a saved :class:`CsvMapping`.

Banks' spreadsheet exports have no standard: the mapping says which column holds
what, how numbers and dates are written, and which account the rows belong to.
Rows of several accounts (``CsvMapping.account_column``) give several statements.
Blank rows are skipped; any other row that cannot be read stops the import with its
row number.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

from .statement_base import (
    BaseParser,
    clean_text,
    normalize_iban,
    parse_localized_amount,
)
from .statement_types import (
    FLAG_INVALID_COUNTERPARTY_IBAN,
    FLAG_INVALID_CREDITED_IBAN,
    FORMAT_CSV,
    FORMAT_XLSX,
    CsvMapping,
    ParsedLine,
    ParsedStatement,
    ParseResult,
    StatementParseError,
)


def _normalise_header(value) -> str:
    return " ".join(str(value or "").split()).casefold()


class CsvParser(BaseParser):
    """Parser of CSV exports (see the module docstring)."""

    format_name = FORMAT_CSV

    @property
    def mapping(self) -> CsvMapping:
        mapping = self.options.csv_mapping
        if mapping is None:
            raise StatementParseError(
                "A CSV or Excel statement needs a column mapping (date, amount, label...): "
                "configure one for this bank account."
            )
        if isinstance(mapping, dict):
            mapping = CsvMapping.from_dict(mapping)
        return mapping

    # -- rows --------------------------------------------------------------------

    def _rows(self, data: bytes, mapping: CsvMapping) -> list[tuple[int, list]]:
        """``(row number, cells)`` of the file, before header handling."""
        try:
            text = data.decode(mapping.encoding)
        except UnicodeDecodeError as error:
            raise StatementParseError(
                f"The file cannot be read as {mapping.encoding} (byte {error.start}); check "
                "the encoding of the CSV mapping (e.g. cp1252 for Excel exports)."
            ) from None
        except LookupError:
            raise StatementParseError(f"Unknown encoding {mapping.encoding!r}.") from None
        text = text.lstrip("\ufeff")
        reader = csv.reader(
            io.StringIO(text, newline=""),
            delimiter=mapping.delimiter,
            quotechar=mapping.quotechar,
            strict=True,
        )
        try:
            return [(number, row) for number, row in enumerate(reader, start=1)]
        except csv.Error as error:
            raise StatementParseError(
                f"The CSV is malformed: {error}.", f"row {reader.line_num}"
            ) from None

    def _parse(self, data: bytes, filename: str) -> ParseResult:
        mapping = self.mapping
        rows = self._rows(data, mapping)[mapping.skip_rows :]
        columns = self._resolve_columns(rows, mapping)
        if mapping.has_header:
            rows = rows[1:]
        result = ParseResult(format=self.format_name, format_version=self.format_name)
        statements: dict[str, ParsedStatement] = {}
        for number, row in rows:
            if all(cell is None or str(cell).strip() == "" for cell in row):
                continue
            where = f"row {number}"
            account = self._row_account(row, columns, mapping, where)
            statement = statements.get(account)
            if statement is None:
                statement = self._new_statement(account, mapping)
                statements[account] = statement
                result.statements.append(statement)
            line = self._line_from_row(row, columns, mapping, where)
            line.entry_index = len(statement.lines) + 1
            statement.lines.append(line)
        if not result.statements:
            raise StatementParseError("The file contains no transaction row.")
        return result

    def _resolve_columns(self, rows: list, mapping: CsvMapping) -> dict[str, list[int]]:
        """Column indexes of every mapped field (``label_columns`` may hold several)."""
        wanted = {name: [column] for name, column in mapping.column_fields().items()}
        wanted["label_columns"] = list(mapping.label_columns)
        header = []
        if mapping.has_header:
            if not rows:
                raise StatementParseError("The file is empty: no header row.")
            header = [_normalise_header(cell) for cell in rows[0][1]]
        resolved = {}
        for name, columns in wanted.items():
            resolved[name] = [self._column_index(name, c, header, mapping) for c in columns]
        return resolved

    @staticmethod
    def _column_index(name: str, column, header: list[str], mapping: CsvMapping) -> int:
        if isinstance(column, int):
            return column
        key = _normalise_header(column)
        if key not in header:
            shown = ", ".join(repr(h) for h in header if h)
            raise StatementParseError(
                f"Column {column!r} ({name.removesuffix('_column')}) was not found in the "
                f"header row; columns found: {shown}."
            )
        return header.index(key)

    @staticmethod
    def _cell(row: list, columns: dict[str, list[int]], name: str, where: str):
        indexes = columns.get(name) or []
        if not indexes:
            return None
        index = indexes[0]
        if index >= len(row):
            raise StatementParseError(
                f"the row has {len(row)} columns; the {name.removesuffix('_column')} column "
                f"is number {index + 1}.",
                where,
            )
        value = row[index]
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    def _text(self, row, columns, name, where) -> str | None:
        value = self._cell(row, columns, name, where)
        return clean_text(str(value)) if value is not None else None

    # -- statements and lines ----------------------------------------------------

    def _row_account(self, row, columns, mapping: CsvMapping, where: str) -> str:
        account = self._text(row, columns, "account_column", where) or mapping.account_iban or ""
        if account:
            compact, valid = normalize_iban(account)
            if valid:
                return compact
        return account

    def _new_statement(self, account: str, mapping: CsvMapping) -> ParsedStatement:
        iban, valid = normalize_iban(account) if account else (None, False)
        return ParsedStatement(
            format_version=self.format_name,
            account_iban=iban if valid else None,
            account_number=None if valid else (account or None),
            currency=mapping.currency,
        )

    def _line_from_row(self, row, columns, mapping: CsvMapping, where: str) -> ParsedLine:
        """Build one line from one row."""
        line = ParsedLine(
            amount=self._row_amount(row, columns, mapping, where),
            currency=(
                self._text(row, columns, "currency_column", where) or mapping.currency
            ).upper(),
            booking_date=self._row_date(row, columns, "date_column", mapping, where),
            value_date=self._row_date(row, columns, "value_date_column", mapping, where),
            counterparty_name=self._text(row, columns, "counterparty_name_column", where),
            counterparty_bic=self._text(row, columns, "counterparty_bic_column", where),
            structured_reference=self._text(row, columns, "reference_column", where),
            end_to_end_id=self._text(row, columns, "end_to_end_id_column", where),
            bank_reference=self._text(row, columns, "bank_reference_column", where),
            source_location=where,
        )
        labels = [self._label_cell(row, index, where) for index in columns["label_columns"]]
        line.remittance_unstructured = clean_text(" ".join(t for t in labels if t))
        iban = self._text(row, columns, "counterparty_iban_column", where)
        if iban:
            line.counterparty_iban, valid = normalize_iban(iban)
            if not valid:
                line.add_flag(FLAG_INVALID_COUNTERPARTY_IBAN)
        credited = self._text(row, columns, "credited_account_column", where)
        if credited:
            line.credited_account, valid = normalize_iban(credited)
            line.credited_account_source = "column"
            if not valid:
                line.add_flag(FLAG_INVALID_CREDITED_IBAN)
        if self.options.keep_raw:
            line.raw = {"row": [self._raw_cell(cell) for cell in row]}
        return line

    @staticmethod
    def _raw_cell(cell):
        if isinstance(cell, datetime | date):
            return cell.isoformat()
        if isinstance(cell, Decimal | float):
            return str(cell)
        return cell

    def _label_cell(self, row, index: int, where: str) -> str | None:
        if index >= len(row):
            raise StatementParseError(
                f"the row has {len(row)} columns; a label column is number {index + 1}.", where
            )
        value = row[index]
        return clean_text(str(value)) if value is not None else None

    def _amount_value(self, value, mapping: CsvMapping, name: str, where: str) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, bool):
            raise StatementParseError(f"{name} {value!r} is not an amount.", where)
        if isinstance(value, int):
            return Decimal(value)
        if isinstance(value, float):
            return Decimal(repr(value))
        if isinstance(value, Decimal):
            return value
        return parse_localized_amount(
            str(value), mapping.decimal_separator, mapping.thousands_separator, where
        )

    def _row_amount(self, row, columns, mapping: CsvMapping, where: str) -> Decimal:
        """Signed amount: amount column, or credit minus debit columns."""
        if mapping.amount_column is not None:
            value = self._cell(row, columns, "amount_column", where)
            amount = self._amount_value(value, mapping, "amount", where)
            if amount is None:
                raise StatementParseError("the amount is empty.", where)
        else:
            debit = self._amount_value(
                self._cell(row, columns, "debit_column", where), mapping, "debit", where
            )
            credit = self._amount_value(
                self._cell(row, columns, "credit_column", where), mapping, "credit", where
            )
            if not debit and not credit:
                if debit is None and credit is None:
                    raise StatementParseError("both the debit and credit cells are empty.", where)
                return Decimal(0)
            if debit and credit:
                raise StatementParseError(
                    f"the row has both a debit ({debit}) and a credit ({credit}).", where
                )
            amount = -abs(debit) if debit else abs(credit)
        direction = self._text(row, columns, "direction_column", where)
        if direction is not None:
            is_debit = direction.upper() in {v.upper() for v in mapping.debit_values}
            amount = -abs(amount) if is_debit else abs(amount)
        return amount

    def _row_date(self, row, columns, name: str, mapping: CsvMapping, where: str) -> date | None:
        value = self._cell(row, columns, name, where)
        what = "value date" if name == "value_date_column" else "date"
        if value is None:
            if name == "date_column":
                raise StatementParseError("the date is empty.", where)
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = str(value).strip()
        for date_format in mapping.date_formats:
            try:
                return datetime.strptime(text, date_format).date()
            except ValueError:
                continue
        raise StatementParseError(
            f"{what} {text!r} does not match the date format(s) {', '.join(mapping.date_formats)}.",
            where,
        )


class XlsxParser(CsvParser):
    """Parser of Excel (.xlsx) exports, read with openpyxl in read-only mode."""

    format_name = FORMAT_XLSX

    def _rows(self, data: bytes, mapping: CsvMapping) -> list[tuple[int, list]]:
        from openpyxl import load_workbook  # imported here: only XLSX imports need it

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
            raise StatementParseError(
                f"The Excel file cannot be read ({type(error).__name__}: {error})."
            ) from None
        try:
            if mapping.sheet_name:
                if mapping.sheet_name not in workbook.sheetnames:
                    raise StatementParseError(
                        f"The workbook has no sheet {mapping.sheet_name!r} (sheets: "
                        f"{', '.join(workbook.sheetnames)})."
                    )
                sheet = workbook[mapping.sheet_name]
            else:
                sheet = workbook.worksheets[0]
            return [
                (number, list(values))
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            ]
        finally:
            workbook.close()
