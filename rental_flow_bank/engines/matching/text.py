"""Text normalisation shared by the index and the rules.

Everything is folded to upper-case ASCII (accents removed, ligatures expanded) and split on
anything that is not a letter or a digit, so that ``"M. et Mme Lefèvre"`` and
``"M ET MME LEFEVRE"`` give the same tokens. Three word lists remove what never identifies a
person: civilities and joiners (``M``, ``MME``, ``ET``, ``OU``, ``EPOUX``...), name particles
(``DE``, ``LE``...) and banking / rent vocabulary (``VIREMENT``, ``SEPA``, ``LOYER``, month
names...).
"""

import re
import unicodedata
from functools import lru_cache

_NON_ALNUM = re.compile(r"[^0-9A-Z]+")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})

#: Civilities and joiners found in account-holder names ("M. OU MME DUPONT").
CIVILITIES = frozenset(
    "M MR MRS MM MME MMES MLLE MLE MELLE MONSIEUR MADAME MADEMOISELLE MESSIEURS MESDAMES "
    "ET OU EPOUX EPX EP EPOUSE EPSE VVE VEUVE DR DOCTEUR ME MAITRE CHEZ CO".split()
)

#: Name particles: dropped so that "Le Goff" and "LEGOFF" differ only by one token.
PARTICLES = frozenset("DE DU DES D LE LA LES L DA DI DOS DAS VAN VON DEL DELLA Y".split())

#: Banking and rent vocabulary that never names a person.
TEXT_NOISE = frozenset(
    """
    VIREMENT VIREMENTS VIR VIRT VRT SEPA SCT RECU RECUE EMIS INST INSTANTANE INSTANTANEE
    PAIEMENT PAIEMENTS REGLEMENT REGL REMISE TRANSFERT ORDRE DONNEUR BENEFICIAIRE MOTIF
    LOYER LOYERS LOY MOIS MENSUALITE MENSUEL ACOMPTE PARTIEL PARTIELLE PARTIE SOLDE RESTE
    DEPOT GARANTIE CAUTION DG APL AL ALS ALF CAF ALLOC ALLOCATAIRE ALLOCATION ALLOCATIONS
    AIDE AIDES LOGEMENT N NO NUM NUMERO REF REFERENCE FACTURE FACT AVIS ECHEANCE QUITTANCE
    APPT APPART APPARTEMENT STUDIO MAISON LOGT BAIL RUE AVENUE AV BD BOULEVARD CHEMIN PLACE
    POUR PAR SUR AU AUX EN A CHARGES CHARGE PROVISION PROVISIONS NOTPROVIDED
    JANVIER JANV JAN FEVRIER FEVR FEV MARS MAR AVRIL AVR MAI JUIN JUILLET JUIL AOUT SEPTEMBRE
    SEPT SEP OCTOBRE OCT NOVEMBRE NOV DECEMBRE DEC
    """.split()
)

#: Legal-form words: a payer carrying one is a company, never matched on a surname alone.
COMPANY_MARKERS = frozenset(
    "SARL SAS SASU SA EURL SCI SNC SCP SCM SELARL ETS ETABLISSEMENTS STE SOCIETE ENTREPRISE "
    "CABINET BANQUE ASSOCIATION ASSO MUTUELLE GROUPE HOLDING CIE COMPAGNIE".split()
)

#: Words that say a transfer pays a security deposit ("dépôt de garantie", "DG", "caution").
DEPOSIT_WORDS = ("DEPOT DE GARANTIE", "DEPOT GARANTIE", "DG", "CAUTION")

_DROP_FROM_NAMES = CIVILITIES | PARTICLES | TEXT_NOISE


def fold(text):
    """Return ``text`` in upper-case ASCII: accents removed, ligatures expanded.

    >>> fold("Hélène Lefèvre-Cœur")
    'HELENE LEFEVRE-COEUR'
    """
    if not text:
        return ""
    if text.isascii():
        return text.upper()
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def tokens(text):
    """Split ``text`` into folded alphanumeric tokens.

    >>> tokens("Loyer RENT/2026/11-0042, Mme Hélène")
    ['LOYER', 'RENT', '2026', '11', '0042', 'MME', 'HELENE']
    """
    return [t for t in _NON_ALNUM.split(fold(text)) if t]


def compact(text):
    """Return the folded alphanumeric characters of ``text`` (a reference key).

    >>> compact("RF18 5390 0754-7034")
    'RF18539007547034'
    """
    return "".join(tokens(text))


def compact_iban(iban):
    """Return an IBAN without spaces, upper-case, or ``""`` for an empty value."""
    if not iban:
        return ""
    return "".join(iban.split()).upper()


def name_tokens(text):
    """Split a person's or account holder's name into identifying tokens and initials.

    Returns ``(tokens, initials)``: ``tokens`` keeps words of two letters or more that are
    not civilities, particles, banking words or pure digits (in order, without duplicates);
    ``initials`` keeps the single letters (``"J. DUPONT"`` gives ``(["DUPONT"], ["J"])``).

    >>> name_tokens("M. ou Mme Jean DUPONT")
    (['JEAN', 'DUPONT'], [])
    >>> name_tokens("VIREMENT SEPA J. Le Goff")
    (['GOFF'], ['J'])
    """
    words, initials = [], []
    for token in tokens(text):
        if token in _DROP_FROM_NAMES or token.isdigit():
            continue
        if len(token) == 1:
            if token not in initials:
                initials.append(token)
        elif token not in words:
            words.append(token)
    return words, initials


def lastname_tokens(name, lastname=None):
    """Return the tokens of the family name of ``name``.

    ``lastname`` wins when given (e.g. from a first-name/last-name split). Otherwise the
    French convention of writing the family name in capitals is used ("Jean DUPONT",
    "DUPONT Jean"); failing that, the last word is taken ("Jean Dupont").
    """
    if lastname:
        return name_tokens(lastname)[0]
    words = [w for w in re.split(r"[^\w]+", name or "") if w]
    capitals = [w for w in words if len(w) > 1 and w.isupper()]
    if capitals and len(capitals) < len(words):
        return name_tokens(" ".join(capitals))[0]
    found = name_tokens(name)[0]
    return found[-1:]


def is_company(words):
    """Tell whether name tokens carry a legal-form word (SARL, SCI, SOCIETE...)."""
    return any(w in COMPANY_MARKERS for w in words)


@lru_cache(maxsize=64)
def _phrases(words):
    return tuple(" " + " ".join(tokens(w)) + " " for w in words if tokens(w))


def has_deposit_words(text, words=DEPOSIT_WORDS):
    """Tell whether ``text`` mentions a security deposit (whole words, accents ignored)."""
    if not text:
        return False
    padded = " " + " ".join(tokens(text)) + " "
    return any(phrase in padded for phrase in _phrases(tuple(words)))
