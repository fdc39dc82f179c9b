"""CSV and XLSX parser with saved column mappings, amount parsing and bad input."""

import io
import json
from datetime import date, datetime
from decimal import Decimal

import bank_samples as S
import pytest
from bank_test_utils import read_sample
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from odoo.addons.rental_flow_bank.engines.statement_base import parse_localized_amount
from odoo.addons.rental_flow_bank.engines.statement_import import parse_statement_file
from odoo.addons.rental_flow_bank.engines.statement_types import (
    CsvMapping,
    ParseOptions,
    StatementParseError,
)


def parse(data: bytes, mapping: dict | CsvMapping | None, filename: str = "export.csv"):
    if isinstance(mapping, dict):
        mapping = CsvMapping.from_dict(mapping)
    return parse_statement_file(data, filename, ParseOptions(csv_mapping=mapping))


@pytest.mark.parametrize(
    "text, decimal, thousands, expected",
    [
        ("1 234,56", ",", None, "1234.56"),
        ("1\u00a0234,56", ",", None, "1234.56"),
        ("1\u202f234\u202f567,8", ",", None, "1234567.8"),
        ("1.234,56", ",", None, "1234.56"),
        ("-1.234,56", ",", None, "-1234.56"),
        ("1,234.56", ".", None, "1234.56"),
        ("-1,234,567.00", ".", None, "-1234567.00"),
        ("1'234.50", ".", None, "1234.50"),
        ("1234", ",", None, "1234"),
        ("+12,5", ",", None, "12.5"),
        ("12,50-", ",", None, "-12.50"),
        ("(12,50)", ",", None, "-12.50"),
        ("12,50 €", ",", None, "12.50"),
        ("EUR 1,234.56", ".", None, "1234.56"),
        ("1.234,56", ",", ".", "1234.56"),
        ("0,00", ",", None, "0.00"),
        ("1234,56", ",", "", "1234.56"),
    ],
)
def test_localized_amounts(text, decimal, thousands, expected):
    assert parse_localized_amount(text, decimal, thousands) == Decimal(expected)


@pytest.mark.parametrize(
    "text, decimal, thousands",
    [
        ("12.34", ",", None),  # '.' cannot be a thousands separator here
        ("1,23,456.00", ".", None),
        ("1 234,56", ",", "."),  # explicit separator: space refused
        ("12,34,5", ",", None),
        ("abc", ",", None),
        ("", ",", None),
        ("-", ",", None),
        ("12,", ",", None),
        ("1e5", ".", None),
        ("\uff11\uff12", ",", None),  # full-width digits
        ("1 234,56", ",", ""),  # no thousands separator allowed
    ],
)
def test_invalid_localized_amounts(text, decimal, thousands):
    with pytest.raises(StatementParseError, match="is not a valid number"):
        parse_localized_amount(text, decimal, thousands)


def _written(amount: Decimal, decimal_separator: str, thousands_separator: str) -> str:
    """How a person or a bank export writes ``amount`` (two decimals, grouped by 3)."""
    integer, _, fraction = f"{abs(amount):.2f}".partition(".")
    groups = []
    while integer:
        groups.insert(0, integer[-3:])
        integer = integer[:-3]
    sign = "-" if amount < 0 else ""
    return sign + thousands_separator.join(groups) + decimal_separator + fraction


@given(
    st.decimals(min_value=-(10**10), max_value=10**10, places=2, allow_nan=False),
    st.sampled_from([(",", " "), (",", "."), (",", "\u00a0"), (".", ","), (".", "'"), (",", "")]),
)
def test_localized_amount_round_trip(amount, separators):
    decimal_separator, thousands_separator = separators
    written = _written(amount, decimal_separator, thousands_separator)
    assert parse_localized_amount(written, decimal_separator) == amount


# -- samples ---------------------------------------------------------------------------


def test_french_export():
    result = parse(read_sample("csv_french.csv"), S.FRENCH_CSV_MAPPING)
    (statement,) = result.statements
    assert statement.account_iban == S.MASTER_IBAN and statement.currency == "EUR"
    assert [line.amount for line in statement.lines] == [
        Decimal("850.00"),
        Decimal("1312.40"),
        Decimal("-1234.56"),
        Decimal("-12.50"),
        Decimal("-12.50"),
        Decimal("1004.00"),
    ]
    first, caf, payout, fee, fee_again, last = statement.lines
    assert first.booking_date == date(2026, 1, 5) and payout.value_date == date(2026, 1, 6)
    assert first.counterparty_iban == "FR7630004000010000055500044"  # spaces removed
    assert first.credited_account == S.VIBANS[0]
    assert first.label == "VIR SEPA DUPONT MARIE LOYER JANVIER 2026"
    assert caf.label == "VIR CAF ALLOCATION; LOGEMENT"  # quoted delimiter kept
    assert caf.rf_reference == S.VALID_RF
    assert payout.counterparty_name == "SCI LES TILLEULS"
    assert fee_again.unique_import_id == fee.unique_import_id + "|2"
    assert last.source_location == "row 8"  # the blank row 6 was skipped
    assert first.raw["row"][2] == "VIR SEPA DUPONT MARIE"


def test_english_export_with_two_accounts():
    result = parse(read_sample("csv_english.csv"), S.ENGLISH_CSV_MAPPING)
    first, second = result.statements
    assert (first.account_iban, second.account_iban) == (S.MASTER_IBAN, S.SECOND_IBAN)
    assert [line.amount for line in first.lines] == [Decimal("850.00"), Decimal("-1234.56")]
    assert [line.amount for line in second.lines] == [Decimal("2640.00"), Decimal("-12.50")]
    assert second.lines[0].booking_date == date(2026, 1, 6)  # %m/%d/%Y fallback
    assert first.lines[1].end_to_end_id == "OWNPAY-2026-01-000012"
    assert first.lines[0].unique_import_id == f"{S.MASTER_IBAN}|ref|TX-1001"


def test_same_csv_twice_and_overlap():
    data = read_sample("csv_french.csv")
    ids = [line.unique_import_id for line in parse(data, S.FRENCH_CSV_MAPPING).lines]
    assert ids == [line.unique_import_id for line in parse(data, S.FRENCH_CSV_MAPPING).lines]
    rows = data.split(b"\r\n")
    overlap = b"\r\n".join([rows[0], *rows[3:]])
    later = [line.unique_import_id for line in parse(overlap, S.FRENCH_CSV_MAPPING).lines]
    assert later == ids[2:]


def test_mapping_round_trips_through_json():
    mapping = CsvMapping.from_dict(S.FRENCH_CSV_MAPPING)
    again = CsvMapping.from_dict(json.loads(json.dumps(mapping.to_dict())))
    assert again == mapping
    assert mapping.to_dict()["label_columns"] == ["Libellé", "Détail"]


def test_single_values_where_lists_are_expected():
    mapping = CsvMapping.from_dict(
        {"date_column": "d", "amount_column": "a", "date_formats": "%Y-%m-%d", "label_columns": "l"}
    )
    assert mapping.date_formats == ["%Y-%m-%d"] and mapping.label_columns == ["l"]


def test_columns_by_index_without_header():
    data = b"05/01/2026;VIR A;100,00\n06/01/2026;VIR B;-1 000,00\n"
    mapping = {
        "date_column": 0,
        "label_columns": [1],
        "amount_column": 2,
        "has_header": False,
        "account_iban": S.SECOND_IBAN,
    }
    lines = parse(data, mapping).lines
    assert [line.amount for line in lines] == [Decimal("100.00"), Decimal("-1000.00")]


def test_direction_column_and_skip_rows():
    data = (
        "Export du 07/01/2026\n"
        "Date;Sens;Montant;Libellé\n"
        "05/01/2026;C;100,00;VIR\n"
        "05/01/2026;D;30,00;PRLV\n"
    ).encode()
    mapping = {
        "date_column": "date",
        "direction_column": "SENS",
        "amount_column": "Montant",
        "label_columns": ["Libellé"],
        "skip_rows": 1,
    }
    lines = parse(data, mapping).lines
    assert [line.amount for line in lines] == [Decimal("100.00"), Decimal("-30.00")]
    assert lines[0].unique_import_id.startswith("-|sha256|")  # no account known


# -- XLSX ------------------------------------------------------------------------------


def make_xlsx(rows, sheet="Relevé") -> bytes:
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


XLSX_MAPPING = {
    "date_column": "Date",
    "amount_column": "Montant",
    "label_columns": ["Libellé"],
    "counterparty_iban_column": "IBAN",
    "account_iban": S.MASTER_IBAN,
    "sheet_name": "Relevé",
}


def test_xlsx_export():
    data = make_xlsx(
        [
            ["Date", "Libellé", "Montant", "IBAN"],
            [datetime(2026, 1, 5), "VIR DUPONT", 850.1, "FR76 3000 4000 0100 0005 5500 044"],
            ["06/01/2026", "PRLV EDF", "-1 234,56", None],
            [date(2026, 1, 7), "FRAIS", -12, None],
            [None, None, None, None],
        ]
    )
    result = parse(data, XLSX_MAPPING, "releve.xlsx")
    assert result.format == "xlsx"
    lines = result.lines
    assert [line.amount for line in lines] == [
        Decimal("850.1"),
        Decimal("-1234.56"),
        Decimal("-12"),
    ]
    assert [line.booking_date for line in lines] == [
        date(2026, 1, 5),
        date(2026, 1, 6),
        date(2026, 1, 7),
    ]
    assert lines[0].counterparty_iban == "FR7630004000010000055500044"
    assert lines[0].raw["row"][0] == "2026-01-05T00:00:00"
    assert json.dumps(result.to_dict())  # serialisable
    ids = [line.unique_import_id for line in lines]
    assert ids == [line.unique_import_id for line in parse(data, XLSX_MAPPING).lines]


def test_xlsx_missing_sheet():
    data = make_xlsx([["Date", "Libellé", "Montant"]], sheet="Feuil1")
    with pytest.raises(StatementParseError, match="The workbook has no sheet 'Relevé'"):
        parse(data, XLSX_MAPPING, "releve.xlsx")


def test_damaged_xlsx():
    data = make_xlsx([["Date"]])
    damaged = data[:200] + b"\x00" * 50 + data[250:]
    with pytest.raises(StatementParseError):
        parse(damaged, XLSX_MAPPING, "releve.xlsx")


# -- bad input -------------------------------------------------------------------------


def expect_error(data, mapping, *fragments) -> StatementParseError:
    with pytest.raises(StatementParseError) as info:
        parse(data, mapping)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)
    return info.value


def french(**changes) -> dict:
    return {**S.FRENCH_CSV_MAPPING, **changes}


def test_missing_mapped_column():
    expect_error(
        read_sample("csv_french.csv"),
        french(counterparty_name_column="Payeur"),
        "Column 'Payeur' (counterparty_name) was not found in the header row",
        "'tiers'",
    )


def test_unparsable_amount_gives_the_row():
    data = read_sample("csv_french.csv").replace(b";850,00;", b";85O,00;")
    expect_error(data, S.FRENCH_CSV_MAPPING, "row 2: amount '85O,00' is not a valid number")


def test_unparsable_date_gives_the_row():
    data = read_sample("csv_french.csv").replace(b"07/01/2026;07/01/2026", b"2026-01-07;x")
    expect_error(
        data,
        S.FRENCH_CSV_MAPPING,
        "row 8: date '2026-01-07' does not match the date format(s) %d/%m/%Y",
    )


def test_empty_date():
    data = read_sample("csv_french.csv").replace(b"07/01/2026;07/01/2026", b";07/01/2026")
    expect_error(data, S.FRENCH_CSV_MAPPING, "row 8: the date is empty")


def test_debit_and_credit_on_one_row():
    data = read_sample("csv_french.csv").replace(b";;850,00;", b";1,00;850,00;")
    expect_error(data, S.FRENCH_CSV_MAPPING, "row 2: the row has both a debit")


def test_row_too_short():
    data = read_sample("csv_french.csv") + b"08/01/2026;08/01/2026\r\n"
    expect_error(data, S.FRENCH_CSV_MAPPING, "row 9: the row has 2 columns")


def test_wrong_encoding():
    expect_error(
        read_sample("csv_french.csv"), french(encoding="utf-8"), "cannot be read as utf-8", "cp1252"
    )


def test_malformed_quoting():
    data = b'Date;Montant\n05/01/2026;"12,00"x\n'
    expect_error(data, {"date_column": "Date", "amount_column": "Montant"}, "The CSV is malformed")


def test_header_only():
    expect_error(
        b"Date;Montant\n",
        {"date_column": "Date", "amount_column": "Montant"},
        "The file contains no transaction row",
    )


def test_csv_without_mapping():
    with pytest.raises(StatementParseError, match="needs a column mapping"):
        parse(read_sample("csv_english.csv"), None)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"amount_column": "x"}, "'date_column' is required"),
        ({"date_column": "d", "amount_column": "a", "colour": 1}, "unknown key(s) colour"),
        ({"date_column": "d"}, "map an amount column"),
        ({"date_column": "d", "amount_column": "a", "debit_column": "b"}, "not both"),
        (
            {"date_column": "d", "amount_column": "a", "decimal_separator": ";"},
            "decimal separator must be",
        ),
        (
            {"date_column": "d", "amount_column": 1, "has_header": False},
            "date_column: without a header row",
        ),
        ({"date_column": -1, "amount_column": 1}, "cannot be negative"),
        ({"date_column": "d", "amount_column": "a", "date_formats": []}, "date format"),
        ({"date_column": "d", "amount_column": "a", "date_formats": ["dd/mm/yyyy"]}, "date format"),
        ({"date_column": "d", "amount_column": "a", "label_columns": {"x": 1}}, "must be lists"),
    ],
)
def test_invalid_mappings(data, message):
    with pytest.raises(StatementParseError, match="Invalid CSV column mapping") as info:
        CsvMapping.from_dict(data)
    assert message in str(info.value)
