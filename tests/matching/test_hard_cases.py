"""Each rule and each hard matching case of a French rent ledger."""

from datetime import date
from decimal import Decimal

from matching_builders import MASTER, Portfolio, allocated, codes, line, personal_iban, rf, viban

from odoo.addons.rental_flow_bank.engines.matching import KnownPayer, Party, VirtualIban


def two_leases():
    book = Portfolio()
    book.lease(42, "Jean Dupont", rent="712.43", guarantors=["Pierre Martin"])
    book.lease(43, "Marie Lefèvre", rent="650.00")
    return book


# ------------------------------------------------------------------ virtual IBAN


def test_virtual_iban_names_the_lease_whatever_the_payer():
    book = two_leases()
    result = book.one(line("712.43", payer="SOMEONE ELSE", credited=viban(42)))
    assert result.status == "auto"
    proposal = result.proposal
    assert (proposal.lease_code, proposal.rule_code, proposal.score) == (
        "L0042",
        "virtual_iban",
        100,
    )
    assert allocated(result) == {book.items_of(42)[0].id: Decimal("712.43")}
    assert proposal.unallocated == Decimal("0.00")
    assert result.reason.startswith(f"virtual IBAN {viban(42)} of Flat 42 → lease L0042; ")
    assert "amount equals rent call RENT/2026/01/0042" in result.reason


def test_virtual_iban_written_with_spaces_and_lower_case():
    book = two_leases()
    spaced = " ".join(viban(43)[i : i + 4] for i in range(0, 27, 4)).lower()
    result = book.one(line("650.00", credited=spaced))
    assert (result.status, result.proposal.lease_code) == ("auto", "L0043")


def test_master_account_is_not_a_virtual_iban():
    book = two_leases()
    result = book.one(line("650.00", credited=MASTER, payer="VIREMENT SEPA"))
    assert result.status != "auto"
    assert "viban_unknown" not in codes(result)


def test_unknown_virtual_iban_is_never_automatic_even_with_a_reference():
    book = two_leases()
    item = book.items_of(42)[0]
    result = book.one(line("712.43", credited=viban(999), reference=item.payment_reference))
    assert result.status == "review"
    assert result.proposal.lease_code == "L0042"
    assert "viban_unknown" in codes(result)
    assert "is not a known virtual IBAN" in result.reason


def test_virtual_iban_of_a_vacant_property():
    book = two_leases()
    book.vibans.append(VirtualIban(viban(77), 77, "Flat 77", date_from=date(2025, 1, 1)))
    result = book.one(line("650.00", credited=viban(77), payer="Marie Lefèvre"))
    assert result.status == "review"
    assert "viban_vacant" in codes(result)
    assert "no running lease and nothing open" in result.reason


def test_virtual_iban_of_the_pool_not_allocated():
    book = two_leases()
    book.vibans.append(VirtualIban(viban(78), None))
    result = book.one(line("650.00", credited=viban(78)))
    assert result.status == "review"
    assert "viban_unallocated" in codes(result)
    assert "is not allocated to a property: never automatic" in result.reason


def test_virtual_iban_no_longer_valid_waits_for_review():
    book = Portfolio()
    book.lease(42, "Jean Dupont", with_viban=False)
    book.vibans.append(VirtualIban(viban(42), 42, "Flat 42", date(2025, 1, 1), date(2025, 12, 31)))
    result = book.one(line("700.00", credited=viban(42)))
    assert result.status == "review"
    assert result.proposal.score == 85
    assert "no longer valid since 2025-12-31" in result.reason


def test_reassigned_virtual_iban_follows_the_assignment_at_the_payment_date():
    book = Portfolio()
    book.lease(1, "Jean Dupont", with_viban=False)
    book.lease(2, "Marie Lefèvre", rent="650.00", with_viban=False)
    book.vibans += [
        VirtualIban(viban(5), 1, "Flat 1", date(2024, 1, 1), date(2025, 6, 30)),
        VirtualIban(viban(5), 2, "Flat 2", date(2025, 7, 1)),
    ]
    result = book.one(line("650.00", credited=viban(5)))
    assert (result.status, result.proposal.lease_code) == ("auto", "L0002")


def test_ended_lease_is_never_automatic():
    book = Portfolio()
    book.lease(42, "Jean Dupont", state="ended")
    result = book.one(line("700.00", credited=viban(42)))
    assert result.status == "review"
    assert result.proposal.lease_code == "L0042"
    assert "lease L0042 is ended: never automatic" in result.reason


def test_new_lease_wins_over_the_arrears_of_the_previous_one():
    book = Portfolio()
    book.lease(41, "Jean Dupont", rent="612.00", state="ended", property_id=9, months=1)
    book.lease(42, "Marie Lefèvre", rent="700.00", property_id=9)
    result = book.one(line("700.00", credited=viban(9)))
    assert (result.status, result.proposal.lease_code) == ("auto", "L0042")
    assert [p.lease_code for p in result.alternatives] == ["L0041"]


def test_other_currency_is_never_automatic():
    book = two_leases()
    result = book.one(line("712.43", credited=viban(42), currency="USD"))
    assert result.status == "review"
    assert "line in USD, company currency is EUR: never automatic" in result.reason
    assert result.proposal.allocations == ()


# --------------------------------------------------------------- references


def test_rf_reference_in_its_field():
    book = two_leases()
    item = book.items_of(42)[1]
    result = book.one(line("712.43", reference=item.payment_reference, payer="X"))
    assert (result.status, result.proposal.rule_code, result.proposal.score) == (
        "auto",
        "reference",
        100,
    )
    assert allocated(result) == {item.id: Decimal("712.43")}


def test_rf_reference_written_in_the_text_with_spaces():
    book = two_leases()
    item = book.items_of(43)[0]
    spaced = " ".join(item.payment_reference[i : i + 4] for i in range(0, 20, 4))
    result = book.one(line("650.00", text=f"loyer {spaced}"))
    assert (result.status, result.proposal.lease_code) == ("auto", "L0043")
    assert "reference_in_text" in codes(result)


def test_rf_reference_with_bad_check_digits_is_reported():
    book = two_leases()
    bad = "RF00" + book.items_of(42)[0].payment_reference[4:]
    result = book.one(line("712.43", reference=bad, payer="NOBODY"))
    assert "reference_bad_check" in codes(result)
    assert result.status != "auto" or result.proposal.rule_code != "reference"


def test_unknown_reference_is_reported():
    book = two_leases()
    result = book.one(line("5.00", reference=rf("ZZZ999")))
    assert result.status == "unmatched"
    assert "reference_unknown" in codes(result)


def test_rent_call_number_in_free_text():
    book = two_leases()
    result = book.one(line("712.43", text="Règlement avis rent 2026 02 0042 merci"))
    assert (result.status, result.proposal.rule_code) == ("auto", "reference")
    assert allocated(result) == {book.items_of(42)[1].id: Decimal("712.43")}
    assert "rent call number RENT/2026/02/0042 in the remittance text" in result.reason


def test_lease_code_in_free_text_pays_oldest_first():
    book = two_leases()
    result = book.one(line("1424.86", text="LOYER BAIL L-0042"))
    assert (result.status, result.proposal.fit) == ("auto", "multi")
    first, second = book.items_of(42)[:2]
    assert allocated(result) == {first.id: Decimal("712.43"), second.id: Decimal("712.43")}


def test_references_of_two_leases_contradict_each_other():
    book = two_leases()
    a, b = book.items_of(42)[0], book.items_of(43)[0]
    result = book.one(line("650.00", text=f"{a.number} {b.number}"))
    assert result.status == "review"
    assert "ambiguous" in codes(result)
    result = book.one(line("650.00", credited=viban(42), text=b.number))
    assert result.status == "review"


# --------------------------------------------------------------- known payers


def test_known_payer_iban_confirmed_for_the_lease():
    book = Portfolio()
    book.lease(42, "Jean Dupont", known_payers=[KnownPayer(iban=personal_iban(5))])
    result = book.one(line("700.00", payer="VIREMENT SEPA", payer_iban=personal_iban(5)))
    assert (result.status, result.proposal.rule_code) == ("auto", "known_payer")
    assert "confirmed for lease L0042" in result.reason


def test_payer_iban_on_record_for_a_guarantor():
    book = Portfolio()
    book.lease(42, "Jean Dupont", with_viban=False)
    book.leases[0] = book.leases[0].__class__(
        **{
            **book.leases[0].__dict__,
            "guarantors": (Party("Paul Roche", ibans=(personal_iban(9),)),),
        }
    )
    result = book.one(line("700.00", payer="P ROCHE SCI", payer_iban=personal_iban(9)))
    assert result.status == "auto"
    assert "is the bank account of guarantor Paul Roche" in result.reason


def test_payer_iban_confirmed_for_too_many_leases_is_ignored():
    book = Portfolio()
    shared = [KnownPayer(iban=personal_iban(3))]
    for lease_id in range(1, 6):
        book.lease(lease_id, f"Tenant Number{lease_id}", rent="700.00", known_payers=shared)
    result = book.one(line("700.00", payer="AGENCY", payer_iban=personal_iban(3)))
    assert result.status != "auto"
    assert all(p.rule_code != "known_payer" for p in (result.proposal, *result.alternatives) if p)


def test_known_payer_name_is_no_stronger_than_a_homonym():
    book = Portfolio()
    book.lease(1, "Jean Dupont", rent="700.00", known_payers=[KnownPayer(name="DUPONT JEAN")])
    book.lease(2, "Jean Dupont", rent="650.00")
    result = book.one(line("650.00", payer="DUPONT JEAN"))
    assert (result.status, result.proposal.lease_code) == ("auto", "L0002")


def test_confirmed_iban_with_partial_amount_conflicts_with_exact_name_elsewhere():
    book = Portfolio()
    book.lease(1, "Paul Roche", rent="800.00", known_payers=[KnownPayer(iban=personal_iban(4))])
    book.lease(2, "Jean Moreau", rent="650.00", guarantors=["Pierre Moreau"])
    result = book.one(line("650.00", payer="PIERRE MOREAU", payer_iban=personal_iban(4)))
    assert result.status == "review"
    assert "conflict" in codes(result)


# ------------------------------------------------------------- names, amounts


def test_guarantor_pays():
    book = two_leases()
    result = book.one(line("712.43", payer="MARTIN PIERRE"))
    assert (result.status, result.proposal.lease_code) == ("auto", "L0042")
    assert "payer MARTIN PIERRE is guarantor Pierre Martin of lease L0042" in result.reason


def test_co_tenant_pays():
    book = Portfolio()
    book.lease(42, "Jean Dupont", cotenants=["Léa Benali"])
    result = book.one(line("700.00", payer="Mlle Lea BENALI"))
    assert (result.status, result.proposal.lease_code) == ("auto", "L0042")


def test_parent_with_the_same_family_name_and_the_exact_amount():
    book = two_leases()
    result = book.one(line("712.43", payer="M BERNARD DUPONT"))
    assert (result.status, result.proposal.lease_code, result.proposal.score) == (
        "auto",
        "L0042",
        90,
    )
    assert "has the family name of tenant Jean Dupont" in result.reason


def test_family_name_alone_with_a_partial_amount_is_not_proposed():
    book = two_leases()
    result = book.one(line("300.00", payer="M BERNARD DUPONT"))
    assert result.status == "unmatched"


def test_joint_accounts():
    book = two_leases()
    for payer in (
        "M. ET MME DUPONT",
        "M OU MME DUPONT JEAN",
        "DUPONT JEAN OU CLAIRE",
        "EPOUX DUPONT",
    ):
        result = book.one(line("712.43", payer=payer))
        assert (result.status, result.proposal.lease_code) == ("auto", "L0042"), payer


def test_misspelt_names():
    book = two_leases()
    for payer in ("JEAN DUPOND", "DUPNOT JEAN", "Jaen Dupont", "MARIE LEFEBVRE", "M LEFEVRE MARIE"):
        amount = "712.43" if "DUP" in payer.upper() else "650.00"
        result = book.one(line(amount, payer=payer))
        assert result.status == "auto", (payer, result.reason)


def test_initial_and_family_name():
    book = two_leases()
    result = book.one(line("712.43", payer="J. DUPONT"))
    assert (result.status, result.proposal.lease_code) == ("auto", "L0042")
    assert "initial and family name" in result.reason


def test_company_sharing_a_family_name_is_not_a_relative():
    book = two_leases()
    result = book.one(line("712.43", payer="SARL DUPONT BATIMENT"))
    assert result.status != "auto"


def test_name_in_the_remittance_text():
    book = two_leases()
    result = book.one(line("712.43", payer="VIREMENT SEPA", text="LOYER JEAN DUPONT JANVIER"))
    assert (result.status, result.proposal.lease_code) == ("auto", "L0042")
    assert "the remittance text names tenant Jean Dupont" in result.reason


def test_several_months_in_one_payment_oldest_first():
    book = two_leases()
    result = book.one(line("1300.00", payer="MARIE LEFEVRE", day=date(2026, 2, 3)))
    assert (result.status, result.proposal.fit) == ("auto", "multi")
    jan, feb, _mar = book.items_of(43)
    assert allocated(result) == {jan.id: Decimal("650.00"), feb.id: Decimal("650.00")}
    assert "amount equals 2 rent calls RENT/2026/01/0043, RENT/2026/02/0043, oldest first" in (
        result.reason
    )


def test_partial_payment_by_the_tenant():
    book = two_leases()
    result = book.one(line("300.00", payer="Jean Dupont"))
    assert (result.status, result.proposal.fit) == ("auto", "partial")
    assert allocated(result) == {book.items_of(42)[0].id: Decimal("300.00")}
    assert "partial payment: 300.00 of 712.43 due on RENT/2026/01/0042" in result.reason


def test_overpayment_is_kept_as_the_tenant_credit():
    book = two_leases()
    result = book.one(line("2500.00", credited=viban(43), day=date(2026, 3, 10)))
    assert (result.status, result.proposal.fit) == ("auto", "overpaid")
    assert result.proposal.allocated == Decimal("1950.00")
    assert result.proposal.unallocated == Decimal("550.00")
    assert "550.00 kept as the tenant's credit" in result.reason


def test_successive_payments_consume_what_is_open():
    book = two_leases()
    first = line("650.00", payer="Marie Lefèvre", day=date(2026, 1, 6))
    second = line("650.00", payer="Marie Lefèvre", day=date(2026, 2, 6))
    partial = line("200.00", payer="Marie Lefèvre", day=date(2026, 3, 1))
    rest = line("450.00", payer="Marie Lefèvre", day=date(2026, 3, 8))
    results = book.run(rest, second, first, partial)
    jan, feb, mar = book.items_of(43)
    assert [allocated(r) for r in results] == [
        {mar.id: Decimal("450.00")},
        {feb.id: Decimal("650.00")},
        {jan.id: Decimal("650.00")},
        {mar.id: Decimal("200.00")},
    ]
    assert results[0].proposal.fit == "exact"


def test_review_proposals_do_not_consume():
    book = Portfolio()
    book.lease(1, "Jean Dupont", rent="700.00")
    book.lease(2, "Jean Dupont", rent="700.00")
    ambiguous = line("700.00", payer="JEAN DUPONT", day=date(2026, 1, 6))
    referenced = line("700.00", text="RENT/2026/01/0001", day=date(2026, 1, 7))
    first, second = book.run(ambiguous, referenced)
    assert first.status == "review"
    assert second.status == "auto"
    assert second.proposal.fit == "exact"


# ------------------------------------------------------------ deposit, benefit


def test_deposit_told_apart_by_words():
    book = Portfolio()
    book.lease(42, "Jean Dupont", rent="700.00", deposit="700.00")
    result = book.one(line("700.00", payer="Jean Dupont", text="Dépôt de garantie"))
    assert (result.status, result.proposal.kind) == ("auto", "deposit")
    assert "the remittance text mentions a security deposit" in result.reason


def test_deposit_told_apart_by_amount():
    book = Portfolio()
    book.lease(42, "Jean Dupont", rent="745.00", deposit="650.00")
    deposit = book.one(line("650.00", credited=viban(42)))
    assert (deposit.status, deposit.proposal.kind) == ("auto", "deposit")
    rent = book.one(line("745.00", credited=viban(42)))
    assert (rent.status, rent.proposal.kind) == ("auto", "rent")


def caf_book():
    caf = Party("CAF DE PARIS", 900, ibans=(personal_iban(900),))
    book = Portfolio()
    book.lease(
        42, "Jean Dupont", rent="700.00", hb_payer=caf, hb_amount="212.37", hb_reference="1234567"
    )
    book.lease(
        43, "Marie Lefèvre", rent="650.00", hb_payer=caf, hb_amount="180.00", hb_reference="7654321"
    )
    return book


def test_housing_benefit_with_the_file_number():
    book = caf_book()
    result = book.one(
        line(
            "212.37",
            payer="CAF DE PARIS",
            payer_iban=personal_iban(900),
            text="APL 01/2026 ALLOCATAIRE 1234567 DUPONT JEAN",
        )
    )
    assert (result.status, result.proposal.kind, result.proposal.lease_code) == (
        "auto",
        "housing_benefit",
        "L0042",
    )
    assert allocated(result) == {book.items_of(42, "housing_benefit")[0].id: Decimal("212.37")}


def test_housing_benefit_with_the_beneficiary_name_only():
    book = caf_book()
    result = book.one(line("180.00", payer="C.A.F. DE PARIS", text="AL 01 2026 LEFEVRE MARIE"))
    assert (result.status, result.proposal.kind, result.proposal.lease_code) == (
        "auto",
        "housing_benefit",
        "L0043",
    )
    assert "payer C.A.F. DE PARIS pays the housing benefit of lease L0043" in result.reason


def test_tenant_share_is_not_the_benefit_share():
    book = caf_book()
    result = book.one(line("487.63", payer="Jean Dupont"))
    assert (result.status, result.proposal.kind) == ("auto", "rent")
    assert allocated(result) == {book.items_of(42)[0].id: Decimal("487.63")}


# ------------------------------------------------------------ safety and noise


def test_two_leases_with_the_same_rent_and_family_name_are_ambiguous():
    book = Portfolio()
    book.lease(1, "Jean Dupont", rent="700.00")
    book.lease(2, "Claire Dupont", rent="700.00")
    result = book.one(line("700.00", payer="M ET MME DUPONT"))
    assert result.status == "review"
    assert "ambiguous" in codes(result)
    assert result.proposal.score < 90
    assert {result.proposal.lease_code, result.alternatives[0].lease_code} == {"L0001", "L0002"}


def test_exact_amount_dominates_a_homonym_partial():
    book = Portfolio()
    book.lease(1, "Jean Dupont", rent="700.00")
    book.lease(2, "Jean Dupont", rent="800.00")
    result = book.one(line("800.00", payer="JEAN DUPONT"))
    assert (result.status, result.proposal.lease_code) == ("auto", "L0002")


def test_homonyms_paying_part_are_ambiguous():
    book = Portfolio()
    book.lease(1, "Jean Dupont", rent="700.00")
    book.lease(2, "Jean Dupont", rent="800.00")
    result = book.one(line("300.00", payer="JEAN DUPONT"))
    assert result.status == "review"
    assert "ambiguous" in codes(result)


def test_amount_alone_is_only_a_suggestion():
    book = two_leases()
    result = book.one(line("712.43", payer="VIREMENT SEPA"))
    assert result.status == "review"
    assert (result.proposal.rule_code, result.proposal.score) == ("combination", 50)


def test_noise_matches_nothing():
    book = two_leases()
    result = book.one(line("84.12", payer="REMBOURSEMENT AXA", text="SINISTRE 2026-1234"))
    assert result.status == "unmatched"
    assert result.proposal is None
    assert result.reason == "no rule found a lease for this line"


def test_debit_and_zero_lines_are_skipped():
    book = two_leases()
    debit, zero = book.run(line("-712.43", credited=viban(42)), line("0.00"))
    assert (debit.status, zero.status) == ("skipped", "skipped")
    assert debit.reason == "outgoing payment: not matched against rent calls"


def test_reasons_keep_codes_and_parameters_for_translation():
    book = two_leases()
    result = book.one(line("712.43", credited=viban(42)))
    first = result.proposal.reasons[0]
    assert first.code == "viban"
    assert first.values == {"iban": viban(42), "property": "Flat 42", "lease": "L0042"}
