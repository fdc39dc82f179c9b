"""Normalisation of names and references."""

from odoo.addons.rental_flow_bank.engines.matching.text import (
    compact,
    compact_iban,
    fold,
    has_deposit_words,
    is_company,
    lastname_tokens,
    name_tokens,
    tokens,
)


def test_fold_removes_accents_and_ligatures():
    assert fold("Hélène Lefèvre-Cœur") == "HELENE LEFEVRE-COEUR"
    assert fold("") == ""
    assert fold(None) == ""


def test_tokens_and_compact_keys():
    assert tokens("Loyer RENT/2026/11-0042") == ["LOYER", "RENT", "2026", "11", "0042"]
    assert compact("rf18 5390 0754 7034") == "RF18539007547034"
    assert compact_iban(" fr76 1733 8000 ") == "FR7617338000"
    assert compact_iban(None) == ""


def test_name_tokens_drop_civilities_banking_words_and_keep_initials():
    assert name_tokens("M. ou Mme Jean DUPONT") == (["JEAN", "DUPONT"], [])
    assert name_tokens("VIREMENT SEPA J. Le Goff") == (["GOFF"], ["J"])
    assert name_tokens("M. ET MME DUPONT") == (["DUPONT"], [])
    assert name_tokens("VIREMENT SEPA") == ([], [])
    assert name_tokens("Jean Jean 2026") == (["JEAN"], [])


def test_lastname_from_capitals_explicit_value_or_last_word():
    assert lastname_tokens("DUPONT Jean") == ["DUPONT"]
    assert lastname_tokens("Jean DUPONT") == ["DUPONT"]
    assert lastname_tokens("Jean Dupont") == ["DUPONT"]
    assert lastname_tokens("Jean Dupont", lastname="Dupont-Moretti") == ["DUPONT", "MORETTI"]


def test_deposit_words_are_whole_words():
    assert has_deposit_words("Dépôt de garantie appartement 12")
    assert has_deposit_words("loyer + DG")
    assert has_deposit_words("caution")
    assert not has_deposit_words("LOYER DGFIP")
    assert not has_deposit_words("")


def test_company_markers():
    assert is_company(["SARL", "DUPONT"])
    assert not is_company(["JEAN", "DUPONT"])


def test_reasons_rendered_through_a_translation():
    """Templates and the engine's words go through ``translate``; a broken translation
    falls back to English rather than losing the explanation."""
    from odoo.addons.rental_flow_bank.engines.matching import Reason, render

    french = {
        "payer %(payer)s is %(role)s %(name)s of lease %(lease)s":
            "le payeur %(payer)s est %(name)s (%(role)s) du bail %(lease)s",
        "guarantor": "garant",
        "zero amount: nothing to match": "montant nul %(oops)s",
    }
    reasons = [
        Reason.of("name_exact", payer="M DUPONT", role="guarantor", name="Marc Dupont",
                  lease="L1"),
        Reason.of("zero_amount"),
    ]
    text = render(reasons, lambda source: french.get(source, source))
    assert text == ("le payeur M DUPONT est Marc Dupont (garant) du bail L1; "
                    "zero amount: nothing to match")
    assert render(reasons) == ("payer M DUPONT is guarantor Marc Dupont of lease L1; "
                               "zero amount: nothing to match")
