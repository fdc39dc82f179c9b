"""Tests of the SEPA character-set conversion and identifier rules."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from odoo.addons.rental_flow.engines.sepa_text import (
    SEPA_CHARS,
    identifier_problem,
    is_sepa_text,
    to_sepa_text,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hélène Dupré", "Helene Dupre"),
        ("François Lefèvre-Noël", "Francois Lefevre-Noel"),
        ("Çà et là, où ?", "Ca et la, ou ?"),
        ("Straße", "Strasse"),
        ("Œuvre cœur", "OEuvre coeur"),
        ("Ærø æble", "AEro aeble"),
        ("Søren Ørsted", "Soren Orsted"),
        ("Łódź", "Lodz"),
        ("Þór Ðaði", "THor Dadi"),
        ("Dupont & Fils", "Dupont + Fils"),
        ("l’immeuble «Les Pins»", "l'immeuble 'Les Pins'"),
        ("2020–2021 — loyers", "2020-2021 - loyers"),
        ("a\u00a0b\tc\nd", "a b c d"),
        ("ﬁlm ﬂat", "film flat"),
        ("ＡＢＣ１２３", "ABC123"),
        ("N° 12", "N 12"),
        ("1er étage; porte 3!", "1er etage, porte 3."),
        ("mail_box", "mail-box"),
        ('dit "Jo"', "dit 'Jo'"),
        ("½ loyer", "1/2 loyer"),
        ("  trop   d'espaces  ", "trop d'espaces"),
        ("Иван", ""),
        ("", ""),
        (None, ""),
        ("Already clean /-?:().,'+ 09", "Already clean /-?:().,'+ 09"),
    ],
)
def test_to_sepa_text(text, expected):
    assert to_sepa_text(text) == expected


@given(st.text())
def test_to_sepa_text_always_gives_sepa_characters_and_is_idempotent(text):
    converted = to_sepa_text(text)
    assert is_sepa_text(converted)
    assert converted == converted.strip()
    assert "  " not in converted
    assert to_sepa_text(converted) == converted


@given(st.text(alphabet=sorted(SEPA_CHARS)))
def test_sepa_text_is_kept_apart_from_spaces(text):
    assert to_sepa_text(text) == " ".join(text.split())


def test_is_sepa_text():
    assert is_sepa_text("Loyer 2026-01 (lot 12)")
    assert not is_sepa_text("Loyer été")
    assert not is_sepa_text("a&b")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "missing"),
        (None, "missing"),
        ("A" * 36, "longer than 35"),
        ("OWN_PAY", "outside the SEPA set"),
        ("PAYÉ-1", "outside the SEPA set"),
        ("/ABC", "must not start or end with '/'"),
        ("ABC/", "must not start or end with '/'"),
        ("AB//C", "must not start or end with '/'"),
        (" ABC", "must not start or end with a space"),
    ],
)
def test_identifier_problem(value, fragment):
    problem = identifier_problem(value, "end-to-end id")
    assert problem is not None
    assert fragment in problem
    assert problem.startswith("end-to-end id")


@pytest.mark.parametrize("value", ["OWNPAY-2026-01-000012", "A", "A" * 35, "RUM/LOT 12", "a.b:c"])
def test_identifier_ok(value):
    assert identifier_problem(value, "end-to-end id") is None


def test_identifier_max_length_parameter():
    assert identifier_problem("A" * 36, "id", max_length=40) is None
    assert "longer than 4" in identifier_problem("ABCDE", "id", max_length=4)
