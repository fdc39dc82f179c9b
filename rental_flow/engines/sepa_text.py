"""Text rules of SEPA messages: the Latin character subset and identifier checks.

SEPA schemes (EPC rulebooks, "SEPA requirements for an extended character set") guarantee
only a small Latin subset end to end::

    a-z A-Z 0-9 / - ? : ( ) . , ' + space

:func:`to_sepa_text` converts free text (names, addresses, remittance information) to that
subset with Unicode normalisation: accents are stripped (``é`` → ``e``), compatibility
forms are unfolded (``ﬁ`` → ``fi``, full-width digits → digits), a handful of letters that
have no decomposition are spelled out (``ß`` → ``ss``, ``œ`` → ``oe``...), typographic
punctuation is mapped to its plain counterpart and anything else becomes a space.

Identifiers (end-to-end id, message id, mandate id...) are *never* converted: changing an
identifier silently would break reconciliation, so :func:`identifier_problem` reports them.
"""

import re
import unicodedata

SEPA_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")

# Letters that Unicode does not decompose into a base letter plus marks.
_LETTERS = {
    "ß": "ss",
    "ẞ": "SS",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ø": "o",
    "Ø": "O",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "TH",
    "ł": "l",
    "Ł": "L",
    "ı": "i",
    "ħ": "h",
    "Ħ": "H",
    "ŋ": "n",
    "Ŋ": "N",
}

# Plain punctuation outside the subset that has an obvious substitute.
_PUNCTUATION = {
    "&": "+",
    "_": "-",
    ";": ",",
    "!": ".",
    '"': "'",
    "`": "'",
    "´": "'",
    "\u2044": "/",  # fraction slash (from NFKD of ½)
    "\u2215": "/",  # division slash
}

# Unicode categories mapped wholesale.
_CATEGORY = {
    "Pd": "-",  # dashes: – — ‐ ...
    "Pi": "'",  # opening quotes: “ ‘ « ...
    "Pf": "'",  # closing quotes: ” ’ » ...
    "Zs": " ",  # space separators, including no-break space
    "Zl": " ",
    "Zp": " ",
    "Cc": " ",  # tabs, new lines
}

_SPACES = re.compile(r" {2,}")


def _convert_char(char):
    """Return the SEPA replacement of one character already in NFKD form."""
    if char in SEPA_CHARS:
        return char
    if char in _LETTERS:
        return _LETTERS[char]
    if char in _PUNCTUATION:
        return _PUNCTUATION[char]
    category = unicodedata.category(char)
    if category == "Mn":  # combining mark left by the decomposition: drop it
        return ""
    return _CATEGORY.get(category, " ")


def to_sepa_text(text):
    """Convert ``text`` to the SEPA Latin subset.

    Accents are removed, compatibility characters unfolded, a few letters spelled out,
    punctuation mapped and any other character replaced by a space; runs of spaces are
    collapsed and the result is stripped. ``None`` gives ``""``.

    >>> to_sepa_text("Hélène Dupré & Søren Œuvray")
    'Helene Dupre + Soren OEuvray'
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    converted = "".join(_convert_char(char) for char in decomposed)
    return _SPACES.sub(" ", converted).strip()


def is_sepa_text(text):
    """Return True when every character of ``text`` belongs to the SEPA Latin subset."""
    return all(char in SEPA_CHARS for char in text)


def identifier_problem(value, label, max_length=35):
    """Return why ``value`` is not a valid SEPA identifier, or ``None`` when it is.

    SEPA identifiers are 1 to ``max_length`` characters of the SEPA subset, must not start
    or end with ``/`` and must not contain ``//`` (EPC usage rules for references).
    """
    if not isinstance(value, str) or not value:
        return f"{label} is missing"
    if len(value) > max_length:
        return f"{label} {value!r} is longer than {max_length} characters"
    bad = sorted({char for char in value if char not in SEPA_CHARS})
    if bad:
        return f"{label} {value!r} has characters outside the SEPA set: {''.join(bad)!r}"
    if value.startswith("/") or value.endswith("/") or "//" in value:
        return f"{label} {value!r} must not start or end with '/' nor contain '//'"
    if value != value.strip():
        return f"{label} {value!r} must not start or end with a space"
    return None
