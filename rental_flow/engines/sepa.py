"""SEPA payment files: pain.001.001.09 credit transfers and pain.008.001.08 direct debits.

Owner payouts are SEPA credit transfers (``pain.001.001.09``) from the agency's mandant
account; rent collections are SEPA direct debits (``pain.008.001.08``). Both are built
with lxml and validated against the official ISO 20022 XSD before they are returned: a
generator never returns an invalid file.

Flow of :func:`build_pain001` / :func:`build_pain008`:

1. every input is checked (IBAN and BIC with schwifty, creditor identifier with
   python-stdnum, amounts, identifiers, lengths, addresses); all problems are collected
   and raised together as :class:`SepaInputError`, each item's problems keyed by its
   end-to-end id so that the caller can hold back one owner and pay the others
   (:func:`validate_credit_transfer`, :func:`partition_credit_transfers`);
2. free text is converted to the SEPA Latin subset (:func:`to_sepa_text`);
3. the document is built, serialised (UTF-8, XML declaration), parsed again and validated
   against the XSD; :class:`SepaValidationError` carries the schema message, the line and
   the element.

Postal addresses are written either **structured** (``StrtNm``, ``BldgNb``, ``PstCd``,
``TwnNm``, ``Ctry``) or **hybrid** (``PstCd``, ``TwnNm`` and ``Ctry`` structured plus at
most two ``AdrLine``: the street line, then the free address lines). Unstructured
addresses are never produced (refused by SEPA schemes from November 2026). The mode is
chosen per address (``address_mode="auto"``: hybrid when the address has free lines,
structured otherwise) or forced for the whole file.

Names are written as given (converted to the SEPA subset): for owner payouts,
``Cdtr/Nm`` must be the account holder's name so that Verification of Payee matches.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from lxml import etree
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import iso11649
from stdnum.eu import at_02

from .sepa_schema import (
    SepaError,
    SepaSchemaUnavailable,
    SepaValidationError,
    load_schema,
    validate_document,
)
from .sepa_text import identifier_problem, to_sepa_text

__all__ = [
    "ADDRESS_MODES",
    "CreditTransfer",
    "CreditTransferBatch",
    "DirectDebit",
    "DirectDebitBatch",
    "MandateAmendment",
    "Pain001Builder",
    "Pain008Builder",
    "Party",
    "PostalAddress",
    "SepaError",
    "SepaInputError",
    "SepaSchemaUnavailable",
    "SepaValidationError",
    "build_pain001",
    "build_pain008",
    "load_schema",
    "partition_credit_transfers",
    "to_sepa_text",
    "validate_credit_transfer",
    "validate_credit_transfer_batch",
    "validate_direct_debit",
    "validate_direct_debit_batch",
    "validate_document",
]

ADDRESS_MODES = ("auto", "structured", "hybrid")
SEQUENCE_TYPES = ("FRST", "RCUR", "OOFF", "FNAL")  # also the order of the pain.008 groups
DIRECT_DEBIT_SCHEMES = ("CORE", "B2B")
SEPA_CURRENCY = "EUR"
MAX_AMOUNT = Decimal("999999999.99")
CENT = Decimal("0.01")
NAME_MAX = 70  # EPC usage rule (the XSD allows 140)
REMITTANCE_MAX = 140
ADDRESS_LINE_MAX = 70
ADDRESS_LINES_MAX = 2  # hybrid address
NOT_PROVIDED = "NOTPROVIDED"  # agent identification when no BIC is given (IBAN-only)
SMNDA = "SMNDA"  # "same mandate, new debtor agent": the debtor moved to another bank
BATCH = "batch"  # prefix of batch-level problems


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, kw_only=True)
class PostalAddress:
    """A postal address; ``town`` and ``country`` (ISO 3166 alpha-2) are required."""

    street: str | None = None
    building_number: str | None = None
    postcode: str | None = None
    town: str | None = None
    country: str | None = None
    address_lines: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Party:
    """A debtor or creditor: account holder's name, account and optional details.

    ``org_id`` is written as ``Id/OrgId/Othr/Id`` (e.g. a SIREN number).
    """

    name: str
    iban: str | None = None
    bic: str | None = None
    address: PostalAddress | None = None
    org_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class CreditTransfer:
    """One SEPA credit transfer (an owner payout).

    Give either ``remittance_unstructured`` (free text, 140 characters) or
    ``remittance_rf_reference`` (ISO 11649 creditor reference), not both.
    """

    end_to_end_id: str
    amount: Decimal
    creditor: Party
    currency: str = SEPA_CURRENCY
    remittance_unstructured: str | None = None
    remittance_rf_reference: str | None = None
    instruction_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class CreditTransferBatch:
    """A pain.001 file: transfers from ``debtor`` (the agency's mandant account)."""

    message_id: str
    creation_datetime: datetime
    initiating_party_name: str
    debtor: Party
    requested_execution_date: date
    transfers: list = field(default_factory=list)
    batch_booking: bool = True
    category_purpose: str | None = None
    initiating_party_id: str | None = None
    payment_info_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class MandateAmendment:
    """What changed on a direct-debit mandate since the previous collection.

    ``original_debtor_iban``: the debtor changed account within the same bank.
    ``debtor_bank_changed``: the debtor moved to another bank (written as ``SMNDA``);
    both cannot be given together.
    """

    original_mandate_id: str | None = None
    original_creditor_scheme_id: str | None = None
    original_creditor_name: str | None = None
    original_debtor_iban: str | None = None
    debtor_bank_changed: bool = False


@dataclass(frozen=True, kw_only=True)
class DirectDebit:
    """One SEPA direct debit (a rent collection).

    ``collection_date`` overrides the batch's requested collection date.
    """

    end_to_end_id: str
    amount: Decimal
    mandate_id: str
    mandate_signature_date: date
    debtor: Party
    sequence_type: str
    currency: str = SEPA_CURRENCY
    amendment: MandateAmendment | None = None
    remittance_unstructured: str | None = None
    remittance_rf_reference: str | None = None
    instruction_id: str | None = None
    collection_date: date | None = None


@dataclass(frozen=True, kw_only=True)
class DirectDebitBatch:
    """A pain.008 file: collections into ``creditor``'s account under one creditor id."""

    message_id: str
    creation_datetime: datetime
    initiating_party_name: str
    creditor: Party
    creditor_scheme_id: str
    requested_collection_date: date
    transactions: list = field(default_factory=list)
    scheme: str = "CORE"
    batch_booking: bool = True
    category_purpose: str | None = None
    initiating_party_id: str | None = None


class SepaInputError(SepaError):
    """The inputs of a SEPA file are invalid; nothing was generated.

    ``batch_problems`` concern the whole file; ``item_problems`` maps each faulty item's
    end-to-end id to its problems; ``problems`` lists them all.
    """

    def __init__(self, batch_problems, item_problems):
        self.batch_problems = list(batch_problems)
        self.item_problems = {key: list(value) for key, value in item_problems.items()}
        self.problems = self.batch_problems + [
            problem for problems in self.item_problems.values() for problem in problems
        ]
        super().__init__(
            f"{len(self.problems)} problem(s) in the SEPA file:\n"
            + "\n".join(f"- {problem}" for problem in self.problems)
        )

    @property
    def invalid_end_to_end_ids(self):
        """End-to-end ids of the items that must be held back."""
        return list(self.item_problems)


# --------------------------------------------------------------------------- checks


def _text_problems(value, label, max_length, required=True):
    """Problems of a free-text field once converted to the SEPA subset."""
    if value is None or value == "":
        return [f"{label} is missing"] if required else []
    if not isinstance(value, str):
        return [f"{label} must be text, not {type(value).__name__}"]
    cleaned = to_sepa_text(value)
    if not cleaned:
        return [f"{label} {value!r} has no character left in the SEPA character set"]
    if len(cleaned) > max_length:
        return [f"{label} {cleaned!r} is longer than {max_length} characters"]
    return []


def _iban_problems(value, label):
    if not value:
        return [f"{label} IBAN is missing"]
    try:
        iban = IBAN(value, validate_bban=True)
    except (SchwiftyException, TypeError) as exc:
        return [f"{label} IBAN {value!r} is invalid: {exc}"]
    if not iban.in_sepa_zone:
        return [f"{label} IBAN {value!r} is not in the SEPA zone"]
    return []


def _bic_problems(value, label):
    if value is None or value == "":
        return []
    try:
        BIC(value)
    except (SchwiftyException, TypeError) as exc:
        return [f"{label} BIC {value!r} is invalid: {exc}"]
    return []


def _amount_problems(amount, currency):
    problems = []
    if currency != SEPA_CURRENCY:
        problems.append(f"currency {currency!r} is not allowed: SEPA payments are in EUR")
    if not isinstance(amount, Decimal) or not amount.is_finite():
        return [*problems, f"amount {amount!r} must be a finite Decimal"]
    if amount <= 0:
        problems.append(f"amount {amount} must be greater than zero")
    elif amount != amount.quantize(CENT):
        problems.append(f"amount {amount} has more than 2 decimals")
    elif amount > MAX_AMOUNT:
        problems.append(f"amount {amount} is above the SEPA maximum {MAX_AMOUNT}")
    return problems


def _address_problems(address, label, address_mode):
    if address is None:
        return []
    if not isinstance(address, PostalAddress):
        return [f"{label} address must be a PostalAddress"]
    problems = _text_problems(address.town, f"{label} town", 35)
    country = address.country
    if not (
        isinstance(country, str)
        and len(country) == 2
        and country.isascii()
        and country.isalpha()
        and country.isupper()
    ):
        problems.append(f"{label} country {country!r} must be an ISO 3166 alpha-2 code")
    problems += _text_problems(address.postcode, f"{label} postcode", 16, required=False)
    problems += _text_problems(address.street, f"{label} street", 70, required=False)
    problems += _text_problems(
        address.building_number, f"{label} building number", 16, required=False
    )
    if not isinstance(address.address_lines, tuple | list):
        return [*problems, f"{label} address lines must be a tuple of texts"]
    if not _address_is_hybrid(address, address_mode):
        if address.address_lines:
            problems.append(f"{label} address lines cannot be sent in a structured address")
        return problems
    lines = _address_lines(address, address_mode)
    if len(lines) > ADDRESS_LINES_MAX:
        problems.append(
            f"{label} hybrid address has {len(lines)} address lines (street line "
            f"included), at most {ADDRESS_LINES_MAX} are allowed"
        )
    for line in lines:
        problems += _text_problems(line, f"{label} address line", ADDRESS_LINE_MAX)
    return problems


def _address_is_hybrid(address, address_mode):
    if address_mode == "auto":
        return bool(address.address_lines)
    return address_mode == "hybrid"


def _address_lines(address, address_mode):
    """The ``AdrLine`` values of a hybrid address: street line first, then free lines."""
    if not _address_is_hybrid(address, address_mode):
        return []
    street = " ".join(str(part) for part in (address.building_number, address.street) if part)
    return ([street] if street else []) + [line for line in address.address_lines if line]


def _party_problems(party, label, address_mode, iban_required=True):
    if not isinstance(party, Party):
        return [f"{label} must be a Party"]
    problems = _text_problems(party.name, f"{label} name", NAME_MAX)
    if iban_required or party.iban:
        problems += _iban_problems(party.iban, label)
    problems += _bic_problems(party.bic, label)
    problems += _address_problems(party.address, label, address_mode)
    if party.org_id is not None:
        problem = identifier_problem(party.org_id, f"{label} organisation id")
        problems += [problem] if problem else []
    return problems


def _remittance_problems(unstructured, rf_reference):
    problems = _text_problems(
        unstructured, "remittance information", REMITTANCE_MAX, required=False
    )
    if rf_reference:
        if unstructured:
            problems.append("give either an unstructured remittance or an RF reference, not both")
        if not (isinstance(rf_reference, str) and iso11649.is_valid(rf_reference)):
            problems.append(f"RF creditor reference {rf_reference!r} is invalid (ISO 11649)")
    return problems


def _identifier_problems(value, label, required=True):
    if value is None and not required:
        return []
    problem = identifier_problem(value, label)
    return [problem] if problem else []


def _creditor_id_problems(value, label):
    if not (isinstance(value, str) and at_02.is_valid(value)):
        return [f"{label} {value!r} is not a valid SEPA creditor identifier"]
    return []


def _check_address_mode(address_mode):
    if address_mode not in ADDRESS_MODES:
        raise ValueError(f"address_mode must be one of {ADDRESS_MODES}, not {address_mode!r}")


def _item_label(item):
    value = getattr(item, "end_to_end_id", None)
    return value if isinstance(value, str) and value else "<no end-to-end id>"


def _prefixed(label, problems):
    return [f"{label}: {problem}" for problem in problems]


def validate_credit_transfer(tx, address_mode="auto"):
    """Return the problems of one credit transfer, each prefixed by its end-to-end id.

    An empty list means the transfer can go into a file (apart from file-level checks
    such as duplicate end-to-end ids).
    """
    _check_address_mode(address_mode)
    if not isinstance(tx, CreditTransfer):
        return [f"<no end-to-end id>: {tx!r} is not a CreditTransfer"]
    problems = _identifier_problems(tx.end_to_end_id, "end-to-end id")
    problems += _identifier_problems(tx.instruction_id, "instruction id", required=False)
    problems += _amount_problems(tx.amount, tx.currency)
    problems += _party_problems(tx.creditor, "creditor", address_mode)
    problems += _remittance_problems(tx.remittance_unstructured, tx.remittance_rf_reference)
    return _prefixed(_item_label(tx), problems)


def _amendment_problems(amendment):
    if amendment is None:
        return []
    if not isinstance(amendment, MandateAmendment):
        return ["amendment must be a MandateAmendment"]
    problems = []
    if not (
        amendment.original_mandate_id
        or amendment.original_creditor_scheme_id
        or amendment.original_creditor_name
        or amendment.original_debtor_iban
        or amendment.debtor_bank_changed
    ):
        problems.append("mandate amendment gives no original information")
    problems += _identifier_problems(
        amendment.original_mandate_id, "original mandate id", required=False
    )
    if amendment.original_creditor_scheme_id is not None:
        problems += _creditor_id_problems(
            amendment.original_creditor_scheme_id, "original creditor identifier"
        )
    problems += _text_problems(
        amendment.original_creditor_name, "original creditor name", NAME_MAX, required=False
    )
    if amendment.original_debtor_iban is not None:
        problems += _iban_problems(amendment.original_debtor_iban, "original debtor")
        if amendment.debtor_bank_changed:
            problems.append(
                "give the original debtor IBAN (same bank) or the bank change flag "
                "(SMNDA), not both"
            )
    return problems


def validate_direct_debit(tx, address_mode="auto", collection_date=None):
    """Return the problems of one direct debit, each prefixed by its end-to-end id.

    ``collection_date`` is the batch's date, used when the debit has none of its own, to
    check that the mandate was signed before the collection.
    """
    _check_address_mode(address_mode)
    if not isinstance(tx, DirectDebit):
        return [f"<no end-to-end id>: {tx!r} is not a DirectDebit"]
    problems = _identifier_problems(tx.end_to_end_id, "end-to-end id")
    problems += _identifier_problems(tx.instruction_id, "instruction id", required=False)
    problems += _amount_problems(tx.amount, tx.currency)
    problems += _identifier_problems(tx.mandate_id, "mandate id")
    if tx.sequence_type not in SEQUENCE_TYPES:
        problems.append(
            f"sequence type {tx.sequence_type!r} must be one of {', '.join(SEQUENCE_TYPES)}"
        )
    when = tx.collection_date or collection_date
    if not _is_date(tx.mandate_signature_date):
        problems.append(f"mandate signature date {tx.mandate_signature_date!r} is not a date")
    elif _is_date(when) and tx.mandate_signature_date > when:
        problems.append(
            f"mandate signed on {tx.mandate_signature_date} after the collection date {when}"
        )
    if tx.collection_date is not None and not _is_date(tx.collection_date):
        problems.append(f"collection date {tx.collection_date!r} is not a date")
    problems += _party_problems(tx.debtor, "debtor", address_mode)
    problems += _amendment_problems(tx.amendment)
    problems += _remittance_problems(tx.remittance_unstructured, tx.remittance_rf_reference)
    return _prefixed(_item_label(tx), problems)


def _is_date(value):
    return isinstance(value, date) and not isinstance(value, datetime)


def _header_problems(batch):
    problems = _identifier_problems(batch.message_id, "message id")
    if not isinstance(batch.creation_datetime, datetime):
        problems.append(f"creation date-time {batch.creation_datetime!r} is not a datetime")
    problems += _text_problems(batch.initiating_party_name, "initiating party name", NAME_MAX)
    problems += _identifier_problems(
        batch.initiating_party_id, "initiating party id", required=False
    )
    if not isinstance(batch.batch_booking, bool):
        problems.append("batch booking must be True or False")
    purpose = batch.category_purpose
    if purpose is not None and not (
        isinstance(purpose, str)
        and 1 <= len(purpose) <= 4
        and purpose.isascii()
        and purpose.isalnum()
        and purpose.isupper()
    ):
        problems.append(f"category purpose {purpose!r} must be an ISO code of 1-4 capitals")
    return problems


def _duplicate_problems(items, attribute, label):
    """Item problems for identifiers used more than once in the file."""
    values = [getattr(item, attribute, None) for item in items]
    counts = Counter(value for value in values if isinstance(value, str))
    found = {}
    for item, value in zip(items, values, strict=True):
        if isinstance(value, str) and counts[value] > 1:
            found.setdefault(_item_label(item), []).append(
                f"{_item_label(item)}: {label} {value!r} is used {counts[value]} times in this file"
            )
    return found


def _merge(target, extra):
    for key, problems in extra.items():
        for problem in problems:
            if problem not in target.setdefault(key, []):
                target[key].append(problem)
    return target


def _credit_transfer_batch_problems(batch, address_mode):
    """Return ``(batch_problems, item_problems)`` for a credit transfer batch."""
    _check_address_mode(address_mode)
    if not isinstance(batch, CreditTransferBatch):
        return [f"{BATCH}: {batch!r} is not a CreditTransferBatch"], {}
    problems = _header_problems(batch)
    problems += _party_problems(batch.debtor, "debtor", address_mode)
    problems += _identifier_problems(batch.payment_info_id, "payment info id", required=False)
    if not _is_date(batch.requested_execution_date):
        problems.append(f"execution date {batch.requested_execution_date!r} is not a date")
    transfers = list(batch.transfers or [])
    if not transfers:
        problems.append("the file has no transfer")
    items = {}
    for tx in transfers:
        item = validate_credit_transfer(tx, address_mode)
        if item:
            _merge(items, {_item_label(tx): item})
    _merge(items, _duplicate_problems(transfers, "end_to_end_id", "end-to-end id"))
    _merge(items, _duplicate_problems(transfers, "instruction_id", "instruction id"))
    return _prefixed(BATCH, problems), items


def _direct_debit_batch_problems(batch, address_mode):
    """Return ``(batch_problems, item_problems)`` for a direct debit batch."""
    _check_address_mode(address_mode)
    if not isinstance(batch, DirectDebitBatch):
        return [f"{BATCH}: {batch!r} is not a DirectDebitBatch"], {}
    problems = _header_problems(batch)
    problems += _party_problems(batch.creditor, "creditor", address_mode)
    problems += _creditor_id_problems(batch.creditor_scheme_id, "creditor identifier")
    if batch.scheme not in DIRECT_DEBIT_SCHEMES:
        problems.append(f"scheme {batch.scheme!r} must be CORE or B2B")
    if not _is_date(batch.requested_collection_date):
        problems.append(f"collection date {batch.requested_collection_date!r} is not a date")
    transactions = list(batch.transactions or [])
    if not transactions:
        problems.append("the file has no direct debit")
    items = {}
    for tx in transactions:
        item = validate_direct_debit(tx, address_mode, batch.requested_collection_date)
        if item:
            _merge(items, {_item_label(tx): item})
    _merge(items, _duplicate_problems(transactions, "end_to_end_id", "end-to-end id"))
    _merge(items, _duplicate_problems(transactions, "instruction_id", "instruction id"))
    return _prefixed(BATCH, problems), items


def validate_credit_transfer_batch(batch, address_mode="auto"):
    """Return every problem of a pain.001 batch (file-level first), ``[]`` when valid."""
    batch_problems, items = _credit_transfer_batch_problems(batch, address_mode)
    return SepaInputError(batch_problems, items).problems


def validate_direct_debit_batch(batch, address_mode="auto"):
    """Return every problem of a pain.008 batch (file-level first), ``[]`` when valid."""
    batch_problems, items = _direct_debit_batch_problems(batch, address_mode)
    return SepaInputError(batch_problems, items).problems


def partition_credit_transfers(transfers, address_mode="auto"):
    """Split ``transfers`` into those that can be paid and those to hold back.

    Returns ``(valid, rejected)`` where ``valid`` keeps the input order and ``rejected``
    maps each held-back end-to-end id to its problems. Duplicated end-to-end ids are all
    held back (the file cannot tell which one is right).
    """
    transfers = list(transfers)
    rejected = {}
    for tx in transfers:
        problems = validate_credit_transfer(tx, address_mode)
        if problems:
            _merge(rejected, {_item_label(tx): problems})
    _merge(rejected, _duplicate_problems(transfers, "end_to_end_id", "end-to-end id"))
    _merge(rejected, _duplicate_problems(transfers, "instruction_id", "instruction id"))
    valid = [tx for tx in transfers if _item_label(tx) not in rejected]
    return valid, rejected


# --------------------------------------------------------------------------- builders


def payment_info_id(base, index):
    """An identifier derived from ``base``, unique per ``index``, at most 35 characters:
    the ``PmtInfId`` of the ``index``-th payment information block (from 1) of message
    ``base``, which the bank's status reports (pain.002) name."""
    suffix = f"-{index}"
    return base[: 35 - len(suffix)] + suffix


def _format_amount(amount):
    return f"{amount:.2f}"


class _PainBuilder:
    """Common parts of the pain.001 / pain.008 builders.

    Subclasses define ``schema_name``, ``root_tag``, :meth:`problems` and
    :meth:`add_payment_informations`; every ``add_*`` method is an extension point.
    """

    schema_name = None
    root_tag = None

    def __init__(self, address_mode="auto"):
        _check_address_mode(address_mode)
        self.address_mode = address_mode
        self.namespace = f"urn:iso:std:iso:20022:tech:xsd:{self.schema_name}"

    # -- entry point
    def build(self, batch):
        """Check ``batch``, build the document, validate it, return UTF-8 bytes."""
        batch_problems, item_problems = self.problems(batch)
        if batch_problems or item_problems:
            raise SepaInputError(batch_problems, item_problems)
        load_schema(self.schema_name)  # fail early when the XSD package is missing
        root = etree.Element(self.tag("Document"), nsmap={None: self.namespace})
        initiation = self.sub(root, self.root_tag)
        self.add_group_header(initiation, batch)
        self.add_payment_informations(initiation, batch)
        xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        validate_document(xml, self.schema_name)
        return xml

    def problems(self, batch):
        """Return ``(batch_problems, item_problems)``."""
        raise NotImplementedError

    def add_payment_informations(self, parent, batch):
        """Add the ``PmtInf`` blocks."""
        raise NotImplementedError

    # -- element helpers
    def tag(self, name):
        """Qualified tag name in the message namespace."""
        return f"{{{self.namespace}}}{name}"

    def sub(self, parent, name, text=None, **attrib):
        """Append a child element, with optional text and attributes."""
        element = etree.SubElement(parent, self.tag(name), attrib)
        if text is not None:
            element.text = text
        return element

    def transactions(self, batch):
        """The batch's items."""
        raise NotImplementedError

    # -- blocks
    def add_group_header(self, parent, batch):
        """``GrpHdr``: message id, creation time, totals, initiating party."""
        items = self.transactions(batch)
        header = self.sub(parent, "GrpHdr")
        self.sub(header, "MsgId", batch.message_id)
        created = batch.creation_datetime.replace(microsecond=0)
        self.sub(header, "CreDtTm", created.isoformat())
        self.sub(header, "NbOfTxs", str(len(items)))
        self.sub(header, "CtrlSum", _format_amount(sum(tx.amount for tx in items)))
        party = self.sub(header, "InitgPty")
        self.sub(party, "Nm", to_sepa_text(batch.initiating_party_name))
        if batch.initiating_party_id:
            self.add_organisation_id(party, batch.initiating_party_id)
        return header

    def add_totals(self, parent, items):
        """``NbOfTxs`` and ``CtrlSum`` of a payment information block."""
        self.sub(parent, "NbOfTxs", str(len(items)))
        self.sub(parent, "CtrlSum", _format_amount(sum(tx.amount for tx in items)))

    def add_organisation_id(self, parent, identifier):
        """``Id/OrgId/Othr/Id``."""
        other = self.sub(self.sub(self.sub(parent, "Id"), "OrgId"), "Othr")
        self.sub(other, "Id", identifier)

    def add_party(self, parent, name, party):
        """A party block: account holder's name, postal address, organisation id."""
        element = self.sub(parent, name)
        self.sub(element, "Nm", to_sepa_text(party.name))
        if party.address is not None:
            self.add_postal_address(element, party.address)
        if party.org_id:
            self.add_organisation_id(element, party.org_id)
        return element

    def add_postal_address(self, parent, address):
        """``PstlAdr``, structured or hybrid (see the module docstring)."""
        element = self.sub(parent, "PstlAdr")
        hybrid = _address_is_hybrid(address, self.address_mode)
        if not hybrid:
            if address.street:
                self.sub(element, "StrtNm", to_sepa_text(address.street))
            if address.building_number:
                self.sub(element, "BldgNb", to_sepa_text(address.building_number))
        if address.postcode:
            self.sub(element, "PstCd", to_sepa_text(address.postcode))
        self.sub(element, "TwnNm", to_sepa_text(address.town))
        self.sub(element, "Ctry", address.country)
        for line in _address_lines(address, self.address_mode):
            self.sub(element, "AdrLine", to_sepa_text(line))
        return element

    def add_account(self, parent, name, iban):
        """An account block ``<name>/Id/IBAN``."""
        element = self.sub(parent, name)
        self.sub(self.sub(element, "Id"), "IBAN", IBAN(iban).compact)
        return element

    def add_agent(self, parent, name, bic):
        """An agent block: ``BICFI``, or ``Othr/Id=NOTPROVIDED`` without a BIC."""
        element = self.sub(parent, name)
        institution = self.sub(element, "FinInstnId")
        if bic:
            self.sub(institution, "BICFI", BIC(bic).compact)
        else:
            self.sub(self.sub(institution, "Othr"), "Id", NOT_PROVIDED)
        return element

    def add_payment_id(self, parent, tx):
        """``PmtId``: optional instruction id and the end-to-end id."""
        element = self.sub(parent, "PmtId")
        if tx.instruction_id:
            self.sub(element, "InstrId", tx.instruction_id)
        self.sub(element, "EndToEndId", tx.end_to_end_id)
        return element

    def add_payment_type(self, parent, batch, sequence_type=None, local_instrument=None):
        """``PmtTpInf``: service level SEPA, local instrument, sequence, category purpose."""
        element = self.sub(parent, "PmtTpInf")
        self.sub(self.sub(element, "SvcLvl"), "Cd", "SEPA")
        if local_instrument:
            self.sub(self.sub(element, "LclInstrm"), "Cd", local_instrument)
        if sequence_type:
            self.sub(element, "SeqTp", sequence_type)
        if batch.category_purpose:
            self.sub(self.sub(element, "CtgyPurp"), "Cd", batch.category_purpose)
        return element

    def add_remittance(self, parent, tx):
        """``RmtInf``: unstructured text or an RF creditor reference (``SCOR``)."""
        if tx.remittance_rf_reference:
            element = self.sub(parent, "RmtInf")
            reference = self.sub(self.sub(element, "Strd"), "CdtrRefInf")
            kind = self.sub(reference, "Tp")
            self.sub(self.sub(kind, "CdOrPrtry"), "Cd", "SCOR")
            self.sub(kind, "Issr", "ISO")
            self.sub(reference, "Ref", iso11649.compact(tx.remittance_rf_reference))
            return element
        if tx.remittance_unstructured:
            element = self.sub(parent, "RmtInf")
            self.sub(element, "Ustrd", to_sepa_text(tx.remittance_unstructured))
            return element
        return None


class Pain001Builder(_PainBuilder):
    """Builder of pain.001.001.09 SEPA credit transfer files (one ``PmtInf``)."""

    schema_name = "pain.001.001.09"
    root_tag = "CstmrCdtTrfInitn"

    def problems(self, batch):
        """Return ``(batch_problems, item_problems)``."""
        return _credit_transfer_batch_problems(batch, self.address_mode)

    def transactions(self, batch):
        """The batch's transfers."""
        return list(batch.transfers)

    def add_payment_informations(self, parent, batch):
        """One ``PmtInf`` debiting the mandant account on the execution date."""
        transfers = self.transactions(batch)
        info = self.sub(parent, "PmtInf")
        self.sub(info, "PmtInfId", batch.payment_info_id or payment_info_id(batch.message_id, 1))
        self.sub(info, "PmtMtd", "TRF")
        self.sub(info, "BtchBookg", "true" if batch.batch_booking else "false")
        self.add_totals(info, transfers)
        self.add_payment_type(info, batch)
        execution = self.sub(info, "ReqdExctnDt")
        self.sub(execution, "Dt", batch.requested_execution_date.isoformat())
        self.add_party(info, "Dbtr", batch.debtor)
        self.add_account(info, "DbtrAcct", batch.debtor.iban)
        self.add_agent(info, "DbtrAgt", batch.debtor.bic)
        self.sub(info, "ChrgBr", "SLEV")
        for tx in transfers:
            self.add_transfer(info, tx)
        return info

    def add_transfer(self, parent, tx):
        """One ``CdtTrfTxInf``; ``Cdtr/Nm`` is the account holder's name (VoP)."""
        element = self.sub(parent, "CdtTrfTxInf")
        self.add_payment_id(element, tx)
        amount = self.sub(element, "Amt")
        self.sub(amount, "InstdAmt", _format_amount(tx.amount), Ccy=tx.currency)
        if tx.creditor.bic:
            self.add_agent(element, "CdtrAgt", tx.creditor.bic)
        self.add_party(element, "Cdtr", tx.creditor)
        self.add_account(element, "CdtrAcct", tx.creditor.iban)
        self.add_remittance(element, tx)
        return element


class Pain008Builder(_PainBuilder):
    """Builder of pain.008.001.08 SEPA direct debit files.

    Debits are grouped into one ``PmtInf`` per (sequence type, collection date), ordered
    by date then FRST, RCUR, OOFF, FNAL; the input order is kept inside a group.
    """

    schema_name = "pain.008.001.08"
    root_tag = "CstmrDrctDbtInitn"

    def problems(self, batch):
        """Return ``(batch_problems, item_problems)``."""
        return _direct_debit_batch_problems(batch, self.address_mode)

    def transactions(self, batch):
        """The batch's direct debits."""
        return list(batch.transactions)

    def groups(self, batch):
        """Return ``[((sequence_type, collection_date), [debits])]`` in file order."""
        groups = {}
        for tx in self.transactions(batch):
            key = (tx.sequence_type, tx.collection_date or batch.requested_collection_date)
            groups.setdefault(key, []).append(tx)
        return sorted(groups.items(), key=lambda kv: (kv[0][1], SEQUENCE_TYPES.index(kv[0][0])))

    def add_payment_informations(self, parent, batch):
        """One ``PmtInf`` per (sequence type, collection date)."""
        for index, ((sequence_type, when), debits) in enumerate(self.groups(batch), start=1):
            self.add_payment_information(parent, batch, index, sequence_type, when, debits)

    def add_payment_information(self, parent, batch, index, sequence_type, when, debits):
        """One ``PmtInf`` block collecting ``debits`` on ``when``."""
        info = self.sub(parent, "PmtInf")
        self.sub(info, "PmtInfId", payment_info_id(batch.message_id, index))
        self.sub(info, "PmtMtd", "DD")
        self.sub(info, "BtchBookg", "true" if batch.batch_booking else "false")
        self.add_totals(info, debits)
        self.add_payment_type(info, batch, sequence_type, batch.scheme)
        self.sub(info, "ReqdColltnDt", when.isoformat())
        self.add_party(info, "Cdtr", batch.creditor)
        self.add_account(info, "CdtrAcct", batch.creditor.iban)
        self.add_agent(info, "CdtrAgt", batch.creditor.bic)
        self.sub(info, "ChrgBr", "SLEV")
        self.add_creditor_scheme_id(info, "CdtrSchmeId", batch.creditor_scheme_id)
        for tx in debits:
            self.add_debit(info, tx)
        return info

    def add_creditor_scheme_id(self, parent, name, creditor_id, creditor_name=None):
        """A SEPA creditor identifier: ``Id/PrvtId/Othr/Id`` with ``SchmeNm/Prtry=SEPA``."""
        element = self.sub(parent, name)
        if creditor_name:
            self.sub(element, "Nm", to_sepa_text(creditor_name))
        if creditor_id:
            other = self.sub(self.sub(self.sub(element, "Id"), "PrvtId"), "Othr")
            self.sub(other, "Id", at_02.compact(creditor_id))
            self.sub(self.sub(other, "SchmeNm"), "Prtry", "SEPA")
        return element

    def add_debit(self, parent, tx):
        """One ``DrctDbtTxInf``."""
        element = self.sub(parent, "DrctDbtTxInf")
        self.add_payment_id(element, tx)
        self.sub(element, "InstdAmt", _format_amount(tx.amount), Ccy=tx.currency)
        self.add_mandate(self.sub(element, "DrctDbtTx"), tx)
        self.add_agent(element, "DbtrAgt", tx.debtor.bic)
        self.add_party(element, "Dbtr", tx.debtor)
        self.add_account(element, "DbtrAcct", tx.debtor.iban)
        self.add_remittance(element, tx)
        return element

    def add_mandate(self, parent, tx):
        """``MndtRltdInf``: mandate id, signature date, amendment indicator and details."""
        element = self.sub(parent, "MndtRltdInf")
        self.sub(element, "MndtId", tx.mandate_id)
        self.sub(element, "DtOfSgntr", tx.mandate_signature_date.isoformat())
        self.sub(element, "AmdmntInd", "true" if tx.amendment else "false")
        if tx.amendment:
            self.add_amendment(element, tx.amendment)
        return element

    def add_amendment(self, parent, amendment):
        """``AmdmntInfDtls``: original mandate id, creditor id, debtor account or SMNDA."""
        element = self.sub(parent, "AmdmntInfDtls")
        if amendment.original_mandate_id:
            self.sub(element, "OrgnlMndtId", amendment.original_mandate_id)
        if amendment.original_creditor_scheme_id or amendment.original_creditor_name:
            self.add_creditor_scheme_id(
                element,
                "OrgnlCdtrSchmeId",
                amendment.original_creditor_scheme_id,
                amendment.original_creditor_name,
            )
        if amendment.original_debtor_iban:
            self.add_account(element, "OrgnlDbtrAcct", amendment.original_debtor_iban)
        if amendment.debtor_bank_changed:
            agent = self.sub(element, "OrgnlDbtrAgt")
            other = self.sub(self.sub(agent, "FinInstnId"), "Othr")
            self.sub(other, "Id", SMNDA)
        return element


def build_pain001(batch, address_mode="auto"):
    """Return the pain.001.001.09 file (UTF-8 bytes) of a :class:`CreditTransferBatch`.

    Raises :class:`SepaInputError` (every problem, per end-to-end id) before building,
    :class:`SepaValidationError` if the document does not match the official XSD and
    :class:`SepaSchemaUnavailable` if the XSD package is not installed.
    """
    return Pain001Builder(address_mode).build(batch)


def build_pain008(batch, address_mode="auto"):
    """Return the pain.008.001.08 file (UTF-8 bytes) of a :class:`DirectDebitBatch`.

    Same errors as :func:`build_pain001`.
    """
    return Pain008Builder(address_mode).build(batch)
