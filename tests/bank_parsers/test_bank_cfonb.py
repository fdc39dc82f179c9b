"""CFONB 120 parser: amounts, statements per account, complements, ids and bad input."""

from datetime import date
from decimal import Decimal

import bank_samples as S
import pytest
from bank_test_utils import read_sample
from hypothesis import given
from hypothesis import strategies as st

from odoo.addons.rental_flow_bank.engines.statement_cfonb import (
    Cfonb120Parser,
    decode_cfonb_amount,
)
from odoo.addons.rental_flow_bank.engines.statement_import import parse_statement_file
from odoo.addons.rental_flow_bank.engines.statement_types import (
    FLAG_RETURN,
    FLAG_RF_FROM_TEXT,
    ParseOptions,
    StatementParseError,
)

SAMPLE = "cfonb120_two_accounts.cfo"
MAIN = ("17338", "00001", "00000000017")


def parse(data: bytes, filename: str = "releve.cfo"):
    return parse_statement_file(data, filename, ParseOptions())


@pytest.mark.parametrize(
    "field, decimals, expected",
    [
        ("0000000000000{", 2, "0.00"),
        ("0000010173118I", 2, "1017311.89"),
        ("0000000008500}", 2, "-850.00"),
        ("0000000012345J", 2, "-1234.51"),
        ("0000000012345R", 2, "-1234.59"),
        ("0000000012345A", 2, "1234.51"),
        ("0000000012345E", 0, "123455"),
        ("0000000012345}", 3, "-123.450"),
    ],
)
def test_amount_decoding(field, decimals, expected):
    assert decode_cfonb_amount(field, decimals) == Decimal(expected)


@pytest.mark.parametrize("amount", ["0.00", "1.00", "-1.00", "9.99", "-9.90", "1234567.89"])
def test_amount_round_trip_with_the_sample_encoder(amount):
    assert decode_cfonb_amount(S.cfonb_amount(Decimal(amount)), 2) == Decimal(amount)


@given(st.decimals(min_value=-(10**11), max_value=10**11, places=2, allow_nan=False))
def test_amount_round_trip_property(amount):
    assert decode_cfonb_amount(S.cfonb_amount(amount), 2) == amount


@pytest.mark.parametrize("field", ["0000000012345", "00000000123X5A", "0000000012345S", ""])
def test_invalid_amount_fields(field):
    with pytest.raises(ValueError):
        decode_cfonb_amount(field, 2)


@pytest.fixture(scope="module")
def result():
    return parse(read_sample(SAMPLE))


def test_one_statement_per_block_and_account(result):
    assert result.format == "cfonb120"
    assert [s.account_iban for s in result.statements] == [
        S.MASTER_IBAN,
        S.SECOND_IBAN,
        S.MASTER_IBAN,
    ]
    assert [s.account_number for s in result.statements] == [
        "00000000017",
        "00012345678",
        "00000000017",
    ]
    first, second, third = result.statements
    assert first.opening_balance.amount == Decimal("10000.00")
    assert first.opening_balance.date == date(2026, 1, 4)
    assert first.closing_balance.amount == Decimal("9077.84")
    assert second.opening_balance.amount == Decimal("-150.00")
    assert (third.date_from, third.date_to) == (date(2026, 1, 6), date(2026, 1, 6))
    assert [len(s.lines) for s in result.statements] == [4, 3, 1]
    assert result.warnings == []


def test_movement_with_complements(result):
    line = result.statements[0].lines[0]
    assert line.amount == Decimal("850.00") and line.currency == "EUR"
    assert line.booking_date == line.value_date == date(2026, 1, 5)
    assert line.counterparty_name == "DUPONT MARIE"
    assert line.remittance_unstructured == "LOYER JANVIER 2026 LOT 12"
    assert line.end_to_end_id == "E2E-DUPONT-202601"
    assert line.label == "VIR SEPA DUPONT MARIE LOYER JANVIER 2026 LOT 12"
    assert line.bank_transaction_code == "18"
    assert line.bank_transaction_code_proprietary == "0005"
    assert len(line.raw["records_05"]) == 3


def test_debit_beneficiary_and_reference(result):
    line = result.statements[0].lines[1]
    assert line.amount == Decimal("-1234.56")
    assert line.counterparty_name == "SCI LES TILLEULS"
    assert line.bank_reference == "PAYOUT2026010012"
    assert line.remittance_unstructured == "REVERSEMENT LOYERS 2026-01 LOT 12"


def test_rejected_direct_debit(result):
    line = result.statements[0].lines[2]
    assert line.amount == Decimal("-850.00")
    assert line.is_return and FLAG_RETURN in line.flags
    assert line.return_reason_code == "11"
    assert line.mandate_id == "RUM-LOT12-0001"
    assert line.counterparty_name == "DURAND LUC"


def test_rf_reference_found_in_remittance_text(result):
    line = result.statements[0].lines[3]
    assert line.rf_reference == S.VALID_RF and FLAG_RF_FROM_TEXT in line.flags


def test_identical_movements_get_distinct_ids(result):
    fees = result.statements[1].lines[1:]
    assert fees[0].raw == fees[1].raw
    assert fees[1].unique_import_id == fees[0].unique_import_id + "|2"


def test_same_file_twice_and_overlapping_files():
    data = read_sample(SAMPLE)
    ids = [line.unique_import_id for line in parse(data).lines]
    assert ids == [line.unique_import_id for line in parse(data).lines]
    assert len(set(ids)) == len(ids)
    records = data.decode("latin-1").split("\r\n")
    last_block = "\r\n".join(records[19:23]).encode("latin-1")  # third statement only
    assert [line.unique_import_id for line in parse(last_block).lines] == ids[-1:]


def test_file_without_line_breaks_parses_the_same():
    data = read_sample(SAMPLE)
    joined = parse(data.replace(b"\r\n", b""), "export").to_dict()
    split = parse(data, "export").to_dict()
    assert joined["statements"][0]["lines"][1]["source_location"] == "record 6 (record 04)"
    for result in (joined, split):
        for statement in result["statements"]:
            for line in statement["lines"]:
                line.pop("source_location")
    assert joined == split


def test_no_decimals_currency():
    record = S.cfonb_record("01", MAIN, "040126", Decimal("0")).replace("EUR2", "XPF0")
    movement = S.cfonb_record("04", MAIN, "050126", Decimal("12345"), label="VIR").replace(
        "EUR2", "XPF0"
    )
    closing = S.cfonb_record("07", MAIN, "050126", Decimal("12345")).replace("EUR2", "XPF0")
    # the sample encoder writes two implied decimals: 12345 -> 1234500
    result = parse("\n".join([record, movement, closing]).encode())
    assert result.lines[0].amount == Decimal("1234500")
    assert result.lines[0].currency == "XPF"


def test_dos_end_of_file_mark_and_missing_value_date():
    lines = records()
    lines[1] = lines[1][:42] + "000000" + lines[1][48:]
    data = ("\r\n".join(lines) + "\r\n\x1a").encode("latin-1")
    result = parse(data)
    assert result.statements[0].lines[0].value_date is None
    joined = "".join(lines).encode("latin-1") + b"\x1a"
    assert len(parse(joined).lines) == len(result.lines)


def test_balance_mismatch_is_a_warning():
    lines = records()
    lines[13] = S.cfonb_record("07", MAIN, "050126", Decimal("9077.85"))
    result = parse("\r\n".join(lines).encode("latin-1"))
    assert result.warnings == [
        f"Statement of {S.MASTER_IBAN}: opening balance 10000.00 + lines -922.16 = 9077.84, "
        "but the closing balance is 9077.85."
    ]


# -- bad input -----------------------------------------------------------------------


def records() -> list[str]:
    return read_sample(SAMPLE).decode("latin-1").split("\r\n")[:-1]


def expect_error(lines: list[str], *fragments: str) -> StatementParseError:
    with pytest.raises(StatementParseError) as info:
        parse("\r\n".join(lines).encode("latin-1"))
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)
    return info.value


def test_record_of_wrong_length():
    lines = records()
    lines[4] = lines[4][:118]
    expect_error(lines, "line 5: the record has 118 characters", "exactly 120")


def test_unknown_record_code():
    lines = records()
    lines[3] = "09" + lines[3][2:]
    expect_error(lines, "line 4: unknown record code '09'")


def test_truncated_file_without_closing_record():
    expect_error(
        records()[:10],
        "has no closing 07 record (truncated file?)",
        "17338 00001 00000000017 (EUR)",
    )


def test_movement_before_opening_record():
    expect_error(records()[1:], "line 1 (record 04): this record is outside a statement")


def test_complement_without_movement():
    lines = records()
    del lines[1]
    expect_error(lines, "line 2 (record 05): a 05 complement record must follow a 04")


def test_new_statement_before_closing():
    lines = records()
    del lines[13]
    expect_error(
        lines,
        "line 14 (record 01): a new statement starts before the statement "
        "opened at line 1 (record 01) was closed",
    )


def test_account_change_inside_a_statement():
    lines = records()
    lines[1] = lines[1][:21] + "00000000099" + lines[1][32:]
    expect_error(lines, "line 2 (record 04): account 17338 00001 00000000099 (EUR) differs")


def test_bad_amount():
    lines = records()
    lines[1] = lines[1][:103] + "X" + lines[1][104:]
    expect_error(lines, "line 2 (record 04): amount '0000000008500X'", "positions 91-104")


def test_bad_date():
    lines = records()
    lines[1] = lines[1][:34] + "320126" + lines[1][40:]
    expect_error(lines, "line 2 (record 04): booking date '320126'", "DDMMYY")


def test_bad_decimals():
    lines = records()
    lines[0] = lines[0][:19] + "X" + lines[0][20:]
    expect_error(lines, "line 1 (record 01): the number of decimals 'X'")


def test_no_line_breaks_and_wrong_total_length():
    data = read_sample(SAMPLE).replace(b"\r\n", b"")[:-5]
    with pytest.raises(StatementParseError, match="must be a multiple of 120 characters"):
        Cfonb120Parser().parse(data)
