"""Format detection, the public entry point, limits and extension points."""

import io
import zipfile

import bank_samples as S
import pytest
from bank_test_utils import read_sample
from test_bank_csv import XLSX_MAPPING, make_xlsx

from odoo.addons.rental_flow_bank.engines import statement_import
from odoo.addons.rental_flow_bank.engines.statement_camt import CamtParser, text
from odoo.addons.rental_flow_bank.engines.statement_import import (
    PARSERS,
    detect_format,
    get_parser,
    parse_statement_file,
    register_parser,
)
from odoo.addons.rental_flow_bank.engines.statement_types import (
    CsvMapping,
    ParseOptions,
    StatementParseError,
)


@pytest.mark.parametrize(
    "sample, expected",
    [
        ("camt053_v02.xml", "camt.053"),
        ("camt053_v08.xml", "camt.053"),
        ("camt054_v02.xml", "camt.054"),
        ("camt054_v08_alias_ntryref.xml", "camt.054"),
        ("cfonb120_two_accounts.cfo", "cfonb120"),
        ("csv_french.csv", "csv"),
        ("csv_english.csv", "csv"),
    ],
)
def test_detect_samples(sample, expected):
    data = read_sample(sample)
    assert detect_format(data) == expected
    assert detect_format(data, "whatever.bin") == expected


def test_detect_camt_with_bom_and_utf16():
    data = read_sample("camt054_v02.xml")
    assert detect_format(b"\xef\xbb\xbf" + data) == "camt.054"
    utf16 = data.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert detect_format(utf16) == "camt.054"
    result = parse_statement_file(utf16)
    assert len(result.lines) == 3


def test_detect_xlsx():
    assert detect_format(make_xlsx([["Date"]])) == "xlsx"


def test_detect_cfonb_without_line_breaks():
    assert detect_format(read_sample("cfonb120_two_accounts.cfo").replace(b"\r\n", b"")) == (
        "cfonb120"
    )


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Legacy Excel (.xls)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "Unrecognised statement format"),
        (b"%PDF-1.7\n", "Unrecognised statement format"),
        (b"<html><body>relev\xc3\xa9</body></html>", "not an ISO 20022 camt.053 or camt.054"),
        (b"", "The statement file is empty"),
    ],
)
def test_unknown_or_unsupported_formats(data, message):
    with pytest.raises(StatementParseError, match=message.replace("(", r"\(").replace(")", r"\)")):
        detect_format(data)


def test_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("statement.xml", read_sample("camt053_v08.xml"))
    with pytest.raises(StatementParseError, match="not an Excel workbook"):
        parse_statement_file(buffer.getvalue(), "statements.zip")


def test_size_limit_and_input_types():
    data = read_sample("camt053_v08.xml")
    with pytest.raises(
        StatementParseError,
        match=r"The statement file is 0\.0 MB, above the "
        r"limit of 0\.0 MB; split it or raise",
    ):
        parse_statement_file(data, options=ParseOptions(max_bytes=len(data) - 1))
    assert parse_statement_file(data, options=ParseOptions(max_bytes=len(data))).lines
    assert parse_statement_file(bytearray(data)).lines
    with pytest.raises(StatementParseError, match="must be bytes"):
        parse_statement_file(data.decode())


def test_default_limit_is_100_mb():
    assert ParseOptions().max_bytes == 100 * 1024 * 1024
    with pytest.raises(StatementParseError, match=r"above the limit of 100\.0 MB"):
        parse_statement_file(b"x" * (100 * 1024 * 1024 + 1))


def test_mapping_given_as_dict_is_accepted():
    options = ParseOptions(csv_mapping=dict(S.ENGLISH_CSV_MAPPING))
    assert len(parse_statement_file(read_sample("csv_english.csv"), "", options).lines) == 4
    options = ParseOptions(csv_mapping=CsvMapping.from_dict(XLSX_MAPPING))
    assert get_parser("xlsx", options).mapping.sheet_name == "Relevé"


def test_unknown_parser_name():
    with pytest.raises(StatementParseError, match="No parser for format 'mt940'"):
        get_parser("mt940")


def test_integrator_can_override_a_small_method():
    """Example of extension: a bank that puts the tenant code in AddtlTxInf."""

    class MyBankCamtParser(CamtParser):
        def _read_tx_details(self, line, tx, info):
            super()._read_tx_details(line, tx, info)
            line.structured_reference = line.structured_reference or text(tx, "AddtlTxInf")

    statement = S.master_statement(8)
    statement["entries"] = statement["entries"][:1]
    statement["entries"][0]["txs"][0]["addtl"] = "LEASE-0042"
    from bank_camt_builder import CamtBuilder

    data = CamtBuilder("053", 8).build([statement])
    original = dict(PARSERS)
    try:
        register_parser("camt.053", MyBankCamtParser)
        (line,) = parse_statement_file(data).lines
        assert line.structured_reference == "LEASE-0042"
    finally:
        PARSERS.clear()
        PARSERS.update(original)
    (line,) = parse_statement_file(data).lines
    assert line.structured_reference is None


def test_custom_detector():
    original = list(statement_import.DETECTORS)
    try:
        statement_import.register_detector(
            lambda data, filename: "csv" if filename.endswith(".bank") else None
        )
        assert detect_format(b"anything", "export.bank") == "csv"
    finally:
        statement_import.DETECTORS[:] = original
