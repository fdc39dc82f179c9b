"""CAMT.053 / CAMT.054 parser: field mapping, versions, options, ids and bad input."""

import os
from datetime import date
from decimal import Decimal

import bank_samples as S
import pytest
from bank_camt_builder import CamtBuilder
from bank_test_utils import read_sample, xsd_directory
from lxml import etree

from odoo.addons.rental_flow_bank.engines.statement_camt import CamtParser
from odoo.addons.rental_flow_bank.engines.statement_import import parse_statement_file
from odoo.addons.rental_flow_bank.engines.statement_types import (
    FLAG_BATCH_NOT_SPLIT,
    FLAG_INVALID_RF,
    FLAG_NOT_BOOKED,
    FLAG_RETURN,
    FLAG_REVERSAL,
    ParseOptions,
    StatementParseError,
)

ALL_VERSIONS = range(2, 15)


def parse(data: bytes, **options):
    return parse_statement_file(data, "statement.xml", ParseOptions(**options))


def by_reference(statement):
    return {line.bank_reference: line for line in statement.lines if line.bank_reference}


def comparable(result):
    """Version-independent view of a result (no raw XML, no version, no line numbers)."""
    out = []
    for statement in result.statements:
        data = statement.to_dict()
        data.pop("format_version")
        lines = data.pop("lines")
        for line in lines:
            line.pop("raw")
            line["source_location"] = line["source_location"].split("(", 1)[-1]
        out.append((data, lines))
    return out


# -- field mapping (camt.053.001.08 sample) ------------------------------------------


@pytest.fixture(scope="module")
def v08():
    return parse(read_sample("camt053_v08.xml"))


def test_statements_accounts_and_balances(v08):
    assert v08.format == "camt.053" and v08.format_version == "camt.053.001.08"
    assert v08.message_id == "MSG-053-08"
    main, second = v08.statements
    assert main.account_iban == S.MASTER_IBAN and second.account_iban == S.SECOND_IBAN
    assert main.currency == "EUR" and main.account_servicer_bic == S.MASTER_BIC
    assert main.statement_id == "STMT-00001725-20260105" and main.sequence_number == "5"
    assert (main.date_from, main.date_to) == (date(2026, 1, 5), date(2026, 1, 5))
    assert main.opening_balance.amount == Decimal("10000.00")
    assert main.opening_balance.type_code == "OPBD"
    assert main.closing_balance.amount == Decimal("10427.84")
    assert second.opening_balance.type_code == "PRCD"
    # opening + booked lines = closing, so no warning
    assert v08.warnings == []
    for statement in v08.statements:
        total = sum(line.amount for line in statement.lines)
        assert statement.opening_balance.amount + total == statement.closing_balance.amount


def test_credit_to_virtual_iban(v08):
    line = by_reference(v08.statements[0])["MB-TX-0001"]
    assert line.amount == Decimal("850.00") and line.currency == "EUR"
    assert line.credited_account == S.VIBANS[0]
    assert line.credited_account_source == "CdtrAcct"
    assert line.counterparty_name == "DUPONT MARIE"
    assert line.counterparty_iban == S.PAYERS[0][1]
    assert line.counterparty_bic == "BNPAFRPPXXX"
    assert line.end_to_end_id == "E2E-DUPONT-202601"
    assert line.entry_reference == "NTRY-0001"
    assert line.bank_transaction_code == "PMNT-RCDT-ESCT"
    assert line.booking_date == line.value_date == date(2026, 1, 5)
    assert line.label == line.remittance_unstructured == "LOYER JANVIER 2026 LOT 12"
    assert line.unique_import_id == f"{S.MASTER_IBAN}|ref|MB-TX-0001"
    assert line.raw["TxDtls"]["RltdPties"]["CdtrAcct"]["Id"]["IBAN"] == S.VIBANS[0]


def test_structured_rf_reference_and_ultimate_debtor(v08):
    line = by_reference(v08.statements[0])["MB-TX-0002"]
    assert line.structured_reference == S.VALID_RF
    assert line.structured_reference_type == "SCOR"
    assert line.rf_reference == S.VALID_RF
    assert line.document_references == ["AE-2026-01-0042"]
    assert line.counterparty_name == "CAISSE D'ALLOCATIONS FAMILIALES DE PARIS"
    assert line.ultimate_debtor_name == "MARTIN PAUL"


def test_invalid_rf_reference_is_flagged_not_trusted(v08):
    line = by_reference(v08.statements[0])["MB-TX-0010"]
    assert line.structured_reference == S.INVALID_RF
    assert line.rf_reference is None
    assert FLAG_INVALID_RF in line.flags


def test_batch_is_split_per_transaction(v08):
    lines = [line for line in v08.statements[0].lines if line.entry_reference == "NTRY-0003"]
    assert [line.amount for line in lines] == [Decimal("500"), Decimal("400"), Decimal("600")]
    assert [line.credited_account for line in lines] == S.VIBANS[2:5]
    assert [line.tx_index for line in lines] == [0, 1, 2]
    assert all(line.batch_size == 3 for line in lines)
    assert [line.end_to_end_id for line in lines] == ["B-0003-1", "B-0003-2", "B-0003-3"]
    assert len({line.unique_import_id for line in lines}) == 3
    assert lines[2].rf_reference == "RF16LEASE0042"  # spaced reference compacted


def test_batch_that_cannot_be_split_stays_one_line(v08):
    line = by_reference(v08.statements[1])["BNP-000003"]
    assert line.amount == Decimal("1100.00")
    assert FLAG_BATCH_NOT_SPLIT in line.flags and line.batch_size == 2
    assert line.instruction_id == "LOT-0003"
    assert line.remittance_unstructured == "LOYER A LOYER B"
    assert len(line.raw["TxDtls"]) == 2


def test_debit_counterparty_is_the_creditor(v08):
    line = by_reference(v08.statements[0])["MB-TX-0004"]
    assert line.amount == Decimal("-1234.56")
    assert line.counterparty_name == "SCI LES TILLEULS"
    assert line.counterparty_iban == S.PAYERS[4][1]
    assert line.counterparty_bic == S.PAYERS[4][2]
    assert line.credited_account is None
    assert line.instruction_id == "PAYOUT-2026-01"
    assert line.end_to_end_id == "OWNPAY-2026-01-000012"


def test_returned_direct_debit(v08):
    line = by_reference(v08.statements[0])["MB-TX-0005"]
    assert line.amount == Decimal("-850.00")
    assert line.is_return and FLAG_RETURN in line.flags
    assert line.return_reason_code == "AM04"
    assert line.return_reason_info == "INSUFFICIENT FUNDS"
    assert line.original_end_to_end_id == "SDD-2026-01-LOT12"
    assert line.mandate_id == "RUM-LOT12-0001"
    # the tenant who did not pay stays the counterparty; our vIBAN is kept
    assert line.counterparty_name == "DURAND LUC"
    assert line.credited_account == S.VIBANS[5]
    assert line.bank_transaction_code == "PMNT-IDDT-UPDD"


def test_reversal(v08):
    line = by_reference(v08.statements[0])["MB-TX-0006"]
    assert line.amount == Decimal("-300.00")
    assert line.is_reversal and FLAG_REVERSAL in line.flags
    assert line.counterparty_name == "LEROY ANNE"
    assert line.additional_info == "ANNULATION VIREMENT ERRONE"


def test_pending_entries_are_skipped_or_flagged():
    data = read_sample("camt053_v08.xml")
    skipped = parse(data).statements[0]
    assert skipped.skipped_entries == 1
    assert "MB-TX-0007" not in by_reference(skipped)
    kept = parse(data, keep_non_booked=True).statements[0]
    line = by_reference(kept)["MB-TX-0007"]
    assert line.status == "PDNG" and FLAG_NOT_BOOKED in line.flags
    assert kept.warnings == []  # pending lines are left out of the balance check


def test_identical_lines_without_reference_get_distinct_ids(v08):
    twins = [line for line in v08.statements[0].lines if line.label == "CHARGES"]
    assert len(twins) == 2
    first, second = (line.unique_import_id for line in twins)
    assert first != second and second == first + "|2"
    assert "|sha256|" in first


def test_bank_fees_entry_without_details(v08):
    line = by_reference(v08.statements[1])["BNP-000002"]
    assert line.amount == Decimal("-12.50")
    assert line.tx_index is None and line.label == "FRAIS TENUE DE COMPTE"
    assert line.bank_transaction_code == "ACMT-MDOP-CHRG"
    assert line.bank_transaction_code_proprietary == "FRAIS"


def test_keep_raw_false_leaves_raw_empty():
    result = parse(read_sample("camt053_v08.xml"), keep_raw=False)
    assert all(line.raw == {} for line in result.lines)


# -- camt.054 and the alias in NtryRef ---------------------------------------------


def test_camt054_notification_has_no_balances():
    result = parse(read_sample("camt054_v02.xml"))
    assert result.format == "camt.054"
    (statement,) = result.statements
    assert statement.opening_balance is None and statement.closing_balance is None
    assert [line.credited_account for line in statement.lines] == S.VIBANS[:3]


def test_alias_in_ntry_ref_option():
    data = read_sample("camt054_v08_alias_ntryref.xml")
    with_alias = parse(data, alias_in_ntry_ref=True).lines
    assert [line.credited_account for line in with_alias] == S.VIBANS[:3]
    assert {line.credited_account_source for line in with_alias} == {"NtryRef"}
    without = parse(data).lines
    assert {line.credited_account for line in without} == {S.MASTER_IBAN}
    assert {line.credited_account_source for line in without} == {"CdtrAcct"}
    # the option changes no id
    assert [x.unique_import_id for x in with_alias] == [x.unique_import_id for x in without]


# -- every message version ---------------------------------------------------------


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_every_version_is_xsd_valid_and_parses_the_same(version):
    statements = [S.master_statement(version), S.second_statement(version)]
    data = CamtBuilder("053", version).build(statements, msg_id="SAME")
    schema = etree.XMLSchema(
        etree.parse(os.path.join(xsd_directory(), f"camt.053.001.{version:02d}.xsd"))
    )
    assert schema.validate(etree.fromstring(data)), list(schema.error_log)[:3]
    reference = CamtBuilder("053", 8).build(
        [S.master_statement(8), S.second_statement(8)], msg_id="SAME"
    )
    actual, expected = comparable(parse(data)), comparable(parse(reference))
    if 3 <= version <= 6:  # TxDtls/Amt is mandatory there: the unsplit batch has amounts
        assert actual[:1] == expected[:1]
        assert actual[1][1][:2] == expected[1][1][:2]
    else:
        assert actual == expected


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_every_camt054_version_parses(version):
    data = CamtBuilder("054", version).build([S.notification_statement(alias=False)])
    schema = etree.XMLSchema(
        etree.parse(os.path.join(xsd_directory(), f"camt.054.001.{version:02d}.xsd"))
    )
    assert schema.validate(etree.fromstring(data)), list(schema.error_log)[:3]
    lines = parse(data).lines
    assert [line.credited_account for line in lines] == S.VIBANS[:3]
    assert [line.counterparty_name for line in lines] == [
        "DUPONT MARIE",
        "MARTIN PAUL",
        "LEROY ANNE",
    ]


# -- idempotency -------------------------------------------------------------------


def test_same_file_twice_gives_same_ids():
    data = read_sample("camt053_v04.xml")
    first = [line.unique_import_id for line in parse(data).lines]
    second = [line.unique_import_id for line in parse(data).lines]
    assert first == second and len(set(first)) == len(first)


def _statement_with(entries):
    statement = S.master_statement(8)
    statement["entries"] = entries
    statement["balances"] = []
    return statement


def test_overlapping_files_share_ids():
    entries = S.master_statement(8)["entries"]
    early = CamtBuilder("053", 8).build([_statement_with(entries[:6])])
    late = CamtBuilder("053", 8).build([_statement_with(entries[3:])])
    early_ids = {
        line.end_to_end_id or line.label: line.unique_import_id for line in parse(early).lines
    }
    late_ids = {
        line.end_to_end_id or line.label: line.unique_import_id for line in parse(late).lines
    }
    shared = set(early_ids) & set(late_ids)
    assert {"OWNPAY-2026-01-000012", "SDD-2026-01-LOT12"} <= shared
    for key in shared:
        assert early_ids[key] == late_ids[key]
    # lines present in only one file have ids of their own
    assert not (set(early_ids.values()) & {late_ids[k] for k in set(late_ids) - shared})


def test_overlap_of_lines_without_bank_reference():
    entries = S.master_statement(8)["entries"]
    twins = entries[7:9]
    alone = CamtBuilder("053", 8).build([_statement_with(twins[:1])])
    both = CamtBuilder("053", 8).build([_statement_with(twins)])
    (single,) = parse(alone).lines
    first, second = parse(both).lines
    assert single.unique_import_id == first.unique_import_id != second.unique_import_id


def test_notification_then_statement_give_the_same_ids():
    """A credit notified intraday (camt.054) and then booked (camt.053) is one line."""
    entries = S.master_statement(8)["entries"][:2]
    notification = S.notification_statement(alias=False)
    notification["entries"] = entries
    intraday = parse(CamtBuilder("054", 8).build([notification])).lines
    end_of_day = parse(CamtBuilder("053", 2).build([_statement_with(entries)])).lines
    assert [x.unique_import_id for x in intraday] == [x.unique_import_id for x in end_of_day]


# -- bad input -----------------------------------------------------------------------


def expect_error(data: bytes, *fragments: str, **options) -> StatementParseError:
    with pytest.raises(StatementParseError) as info:
        parse(data, **options)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return info.value


V08_NS = b"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def test_malformed_xml():
    data = read_sample("camt053_v08.xml").replace(b"</NtryRef>", b"</NtryRefX>", 1)
    error = expect_error(data, "The XML is malformed or truncated", "mismatch")
    assert error.location.startswith("line ")


def test_truncated_xml():
    data = read_sample("camt053_v08.xml")
    expect_error(data[: len(data) // 2], "The XML is malformed or truncated")


def test_unsupported_version():
    data = read_sample("camt053_v08.xml").replace(V08_NS, V08_NS[:-2] + b"01")
    expect_error(
        data,
        "Message version camt.053.001.01 is not supported",
        "camt.053.001.02 to camt.053.001.14",
    )


def test_camt052_is_refused():
    data = read_sample("camt053_v08.xml").replace(b"camt.053.001.08", b"camt.052.001.08")
    expect_error(data, "camt.052.001.08 files are not supported")


def test_other_xml_is_refused():
    expect_error(
        b"<?xml version='1.0'?><invoice><total>12</total></invoice>",
        "not an ISO 20022 camt.053 or camt.054",
    )


def test_root_element_in_another_namespace():
    data = b"<?xml version='1.0'?><Foo xmlns:x='" + V08_NS + b"'><x:Document/></Foo>"
    expect_error(data, "the root element must be Document")


def test_bad_amount_names_the_entry_and_line():
    data = read_sample("camt053_v08.xml").replace(b">312.40</Amt>", b">312,40</Amt>", 1)
    error = expect_error(data, "entry amount '312,40' is not a valid amount")
    assert "Stmt[1]/Ntry[2]/Amt" in error.location and error.location.startswith("line ")


def test_signed_amount_is_refused():
    data = read_sample("camt053_v08.xml").replace(b">312.40</Amt>", b">-312.40</Amt>", 1)
    expect_error(data, "entry amount '-312.40' must be written without a sign")


def test_bad_credit_debit_indicator():
    data = read_sample("camt053_v08.xml").replace(
        b"<CdtDbtInd>CRDT</CdtDbtInd>", b"<CdtDbtInd>CREDIT</CdtDbtInd>"
    )
    expect_error(data, "credit/debit indicator 'CREDIT' must be CRDT or DBIT")


def test_bad_booking_date():
    data = read_sample("camt053_v08.xml").replace(
        b"<BookgDt>\n          <Dt>2026-01-05</Dt>", b"<BookgDt>\n          <Dt>05/01/2026</Dt>", 1
    )
    error = expect_error(data, "'05/01/2026' is not a valid date")
    assert "Ntry[1]/BookgDt/Dt" in error.location


def test_bad_balance_amount():
    data = read_sample("camt053_v08.xml").replace(b">10000.00</Amt>", b">1O000.00</Amt>", 1)
    expect_error(data, "balance amount '1O000.00' is not a valid amount", "Stmt[1]/Bal[1]")


def test_statement_without_account():
    statement = S.master_statement(8)
    data = CamtBuilder("053", 8).build([statement])
    root = etree.fromstring(data)
    for acct in root.iter(f"{{{V08_NS.decode()}}}Acct"):
        acct.getparent().remove(acct)
    expect_error(etree.tostring(root), "the statement has no Acct element", "Stmt[1]")


def test_entry_outside_a_statement():
    data = (
        b"<?xml version='1.0'?><Document xmlns='" + V08_NS + b"'><BkToCstmrStmt>"
        b"<GrpHdr><MsgId>X</MsgId><CreDtTm>2026-01-01T00:00:00</CreDtTm></GrpHdr>"
        b"<Ntry><Amt Ccy='EUR'>1.00</Amt></Ntry></BkToCstmrStmt></Document>"
    )
    expect_error(data, "line 1: an Ntry element must be inside Stmt")


def test_no_statement_in_file():
    data = (
        b"<?xml version='1.0'?><Document xmlns='" + V08_NS + b"'><BkToCstmrStmt>"
        b"<GrpHdr><MsgId>X</MsgId><CreDtTm>2026-01-01T00:00:00</CreDtTm></GrpHdr>"
        b"</BkToCstmrStmt></Document>"
    )
    expect_error(data, "The camt.053 file contains no Stmt element")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Document [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>&lol9;</MsgId><CreDtTm>2026-01-01T00:00:00</CreDtTm></GrpHdr>
</BkToCstmrStmt></Document>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>&xxe;</MsgId><CreDtTm>2026-01-01T00:00:00</CreDtTm></GrpHdr>
</BkToCstmrStmt></Document>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_entity_expansion_and_external_entities_are_refused(data):
    expect_error(data, "declares a DTD", "refused in bank statements for security reasons")


def test_oversized_file_is_refused():
    data = read_sample("camt053_v08.xml")
    expect_error(data, "above the limit of 0.0 MB", max_bytes=1000)
    with pytest.raises(StatementParseError, match="above the limit"):
        CamtParser(ParseOptions(max_bytes=1000)).parse(data)


def test_nothing_is_returned_for_a_bad_file():
    """A bad entry late in the file fails the whole file (no partial result)."""
    data = read_sample("camt053_v08.xml").replace(b">640.00</Amt>", b">6x0.00</Amt>", 1)
    error = expect_error(data, "'6x0.00'")
    assert "Stmt[2]/Ntry[1]" in error.location


def test_invalid_account_iban_is_a_warning():
    statement = S.master_statement(8)
    statement["account"]["iban"] = "FR7617338000010000000001726"
    result = parse(CamtBuilder("053", 8).build([statement]))
    assert result.statements[0].account_iban == "FR7617338000010000000001726"
    assert any("is not a valid IBAN" in w for w in result.warnings)


def test_balance_mismatch_is_a_warning():
    statement = S.master_statement(8)
    code, amount, indicator, day = statement["balances"][1]
    statement["balances"][1] = (code, amount + 1, indicator, day)
    result = parse(CamtBuilder("053", 8).build([statement]))
    assert result.warnings == [
        f"Statement STMT-00001725-20260105 of {S.MASTER_IBAN}: opening balance 10000.00 + "
        "lines 427.84 = 10427.84, but the closing balance is 10428.84."
    ]


def test_account_without_iban_uses_other_id():
    statement = S.notification_statement(alias=False)
    statement["account"] = {"other_id": "0012345678", "currency": "EUR"}
    (parsed,) = parse(CamtBuilder("054", 8).build([statement])).statements
    assert parsed.account_iban is None and parsed.account_number == "0012345678"
    assert parsed.lines[0].unique_import_id.startswith("0012345678|ref|")
