"""Virtual IBAN validation, range computation, bank list parsing, RF references, EPC QR."""

from decimal import Decimal

import pytest
from schwifty import IBAN

from odoo.addons.rental_flow.engines import references, viban

GOOD = "FR7617338000030000000000143"


def test_validate_accepts_and_normalises():
    assert str(viban.validate("fr76 1733 8000 0300 0000 0000 143")) == GOOD


@pytest.mark.parametrize(
    "value, reason",
    [
        ("", "empty"),
        ("FR7617338000030000000000144", "checksum"),
        ("FR76173380000300000000001", "length"),
        ("XX7617338000030000000000143", "country"),
    ],
)
def test_validate_refuses_with_a_reason(value, reason):
    with pytest.raises(viban.VirtualIbanError) as error:
        viban.validate(value)
    assert str(error.value)


def test_validate_checks_the_french_rib_key():
    # Valid ISO 13616 check digits computed over a wrong RIB key (00 instead of 43).
    bban = "17338000030000000000100"
    wrong_key = "FR" + IBAN.from_bban("FR", bban).checksum_digits + bban
    assert IBAN(wrong_key, validate_bban=False)
    with pytest.raises(viban.VirtualIbanError):
        viban.validate(wrong_key)


def test_generate_range_computes_rib_key_and_check_digits():
    ibans = viban.generate_range("FR", "17338", "00003", 1, 3)
    assert ibans[0] == GOOD
    assert len(set(ibans)) == 3
    for value in ibans:
        assert viban.is_valid(value)


def test_generate_range_refuses_bad_parameters():
    with pytest.raises(viban.VirtualIbanError):
        viban.generate_range("FR", "17338", "00003", 1, 0)
    with pytest.raises(viban.VirtualIbanError):
        viban.generate_range("FR", "17338", "00003", 99999999999, 2)
    with pytest.raises(viban.VirtualIbanError):
        viban.generate_range("FR", "1733X", "00003", 1, 1)


def test_parse_import_with_header_label_and_reference():
    data = (
        "IBAN;Libellé;Reference\n"
        f"{GOOD};Lot 1;abc\n"
        "FR76 1733 8000 0300 0000 0000 240;Lot 2;def\n"
    ).encode("cp1252")
    report = viban.parse_import(data)
    assert report.ok
    assert [(r.line, r.iban, r.label, r.provider_ref) for r in report.rows] == [
        (2, GOOD, "Lot 1", "abc"),
        (3, "FR7617338000030000000000240", "Lot 2", "def"),
    ]


def test_parse_import_reports_every_problem_with_its_line():
    lines = [GOOD, "FR7617338000030000000000144", GOOD, "", "not an iban",
             "FR7617338000030000000000240"]
    data = "\n".join(lines).encode()
    report = viban.parse_import(data, existing=["FR7617338000030000000000240"])
    assert not report.ok
    lines = {line: message for line, message in report.errors}
    assert set(lines) == {2, 3, 5, 6}
    assert "checksum" in lines[2].lower()
    assert "line 1" in lines[3]
    assert "already in a virtual IBAN pool" in lines[6]
    assert [r.line for r in report.rows] == [1]


def test_parse_import_empty_file():
    report = viban.parse_import(b"\n\n")
    assert not report.ok


def test_rf_reference_is_valid_iso11649():
    ref = references.rf_reference("L00042", "202611")
    assert ref.startswith("RF") and references.is_rf_reference(ref)
    assert references.rf_reference("l00042", "2026-11") == ref
    assert not references.is_rf_reference(ref[:-1] + "9")
    with pytest.raises(ValueError):
        references.rf_reference("X" * 22)


def test_epc_qr_payload_structure():
    payload = references.epc_qr_payload(
        "Agence", GOOD, Decimal("812.50"), bic="MEMOFRP2XXX",
        reference=references.rf_reference("L1", "202611"),
    )
    lines = payload.split("\n")
    assert lines[:4] == ["BCD", "002", "1", "SCT"]
    assert lines[4] == "MEMOFRP2XXX" and lines[6] == GOOD and lines[7] == "EUR812.50"
    assert lines[9].startswith("RF") and len(lines) == 10


def test_epc_qr_payload_refuses_bad_amount():
    with pytest.raises(ValueError):
        references.epc_qr_payload("Agence", GOOD, Decimal("0"))
