"""ISO 20022 CAMT.053 (statement) and CAMT.054 (debit/credit notification) parser.

Message versions ``camt.053.001.02`` to ``.14`` and ``camt.054.001.02`` to ``.14`` are
read with one version-agnostic code path: the differences that matter (``Sts`` as
text or ``Sts/Cd``; party names under ``Pty`` from version 7; ``BIC`` or ``BICFI``;
transaction amounts only in ``AmtDtls`` in version 2) are handled where they occur.

The file is read with :func:`lxml.etree.iterparse` and a safe configuration (no
entity resolution, no network, no huge trees, no DTD at all). Each ``Ntry`` is
converted once into plain nested dicts (:func:`element_to_dict`: local names as keys,
lists for repeated elements, ``{"@Ccy": ..., "#text": ...}`` for leaves with
attributes), read into lines and dropped, so memory stays flat and a 50,000-entry
statement parses in seconds. The same dicts are the lines' ``raw`` audit data. Line
numbers are looked up only when an error is reported.

Field mapping (per ``TxDtls``; the entry's data when there is none):

* amount, sign: ``Ntry/Amt`` + ``CdtDbtInd`` (split batches: ``TxDtls/Amt`` or
  ``TxDtls/AmtDtls/TxAmt/Amt``); reversal: ``Ntry/RvslInd``;
* counterparty: ``RltdPties/Dbtr``, ``DbtrAcct``, ``RltdAgts/DbtrAgt`` for a credit,
  the ``Cdtr`` side for a debit (sides swapped back for returns and reversals);
* credited account (virtual IBAN): ``RltdPties/CdtrAcct/Id/IBAN`` when we are the
  creditor, or ``Ntry/NtryRef`` with ``ParseOptions.alias_in_ntry_ref``;
* references: ``Refs/EndToEndId``, ``InstrId``, ``TxId``, ``MndtId``, ``UETR``,
  ``AcctSvcrRef`` (else ``Ntry/AcctSvcrRef``), ``Ntry/NtryRef``;
* remittance: ``RmtInf/Ustrd`` (joined), ``RmtInf/Strd/CdtrRefInf/Ref`` and
  ``RfrdDocInf/Nb``; returns: ``RtrInf/Rsn/Cd`` and ``AddtlInf``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO

from lxml import etree

from .statement_base import BaseParser, clean_text, normalize_iban, parse_decimal
from .statement_types import (
    FLAG_BATCH_NOT_SPLIT,
    FLAG_INVALID_COUNTERPARTY_IBAN,
    FLAG_INVALID_CREDITED_IBAN,
    FLAG_NOT_BOOKED,
    FLAG_RETURN,
    FLAG_REVERSAL,
    FORMAT_CAMT053,
    FORMAT_CAMT054,
    Balance,
    ParsedLine,
    ParsedStatement,
    ParseResult,
    StatementParseError,
)

CAMT_NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:"
CAMT_NAMESPACE_RE = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:(camt\.(\d{3})\.001\.(\d{2}))")
SUPPORTED_VERSIONS = {
    FORMAT_CAMT053: tuple(range(2, 15)),
    FORMAT_CAMT054: tuple(range(2, 15)),
}
# Message-specific element names: (message root, statement element).
_MESSAGE_ELEMENTS = {
    FORMAT_CAMT053: ("BkToCstmrStmt", "Stmt"),
    FORMAT_CAMT054: ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}
OPENING_BALANCE_CODES = ("OPBD", "PRCD")
CLOSING_BALANCE_CODES = ("CLBD",)
NOT_PROVIDED = {"NOTPROVIDED", "NOT PROVIDED"}


# -- element dicts ---------------------------------------------------------------------


def element_to_dict(element, ns_len: int, skip: str | None = None) -> dict:
    """Children of ``element`` as nested dicts keyed by local name (namespace cut off).

    A leaf becomes its text (``""`` when empty), or ``{"@attr": ..., "#text": ...}``
    when it has attributes; an element repeated under one parent becomes a list.
    ``skip`` names children to leave out. The result is JSON-serialisable.
    """
    data: dict = {}
    for child in element:
        tag = child.tag
        if type(tag) is not str:  # comments, processing instructions
            continue
        name = tag[ns_len:]
        if name == skip:
            continue
        if len(child):
            value = element_to_dict(child, ns_len)
        else:
            value = child.text or ""
            attributes = child.items()
            if attributes:
                value = {**{"@" + k: v for k, v in attributes}, "#text": value}
        if name in data:
            previous = data[name]
            if type(previous) is list:
                previous.append(value)
            else:
                data[name] = [previous, value]
        else:
            data[name] = value
    return data


def first(data, *path: str):
    """The value at ``path`` (first occurrence of repeated elements), or ``None``."""
    for name in path:
        if type(data) is not dict:
            return None
        data = data.get(name)
        if data is None:
            return None
        if type(data) is list:
            data = data[0]
    return data


def every(data, name: str) -> list:
    """All occurrences of child ``name`` (an empty list when absent)."""
    value = data.get(name) if type(data) is dict else None
    if value is None:
        return []
    return value if type(value) is list else [value]


def text(data, *path: str) -> str | None:
    """Stripped text at ``path``; ``None`` when absent, empty or not a leaf."""
    for name in path:  # same walk as first(), inlined: this is the hot path
        if type(data) is not dict:
            return None
        data = data.get(name)
        if type(data) is list:
            data = data[0]
    if type(data) is dict:
        data = data.get("#text")
    if type(data) is not str:
        return None
    return data.strip() or None


def attribute(data, name: str) -> str | None:
    """Attribute ``name`` of a leaf converted by :func:`element_to_dict`."""
    return data.get("@" + name) if type(data) is dict else None


def _safe_xml_events(data: bytes, tags: list[str]):
    """iterparse with entity resolution, network access and huge trees disabled."""
    return etree.iterparse(
        BytesIO(data),
        events=("start", "end"),
        tag=tags,
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )


def detect_camt_message(data: bytes) -> tuple[str, str, int] | None:
    """``(format, version string, version number)`` of a CAMT file, from its namespace."""
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode("ascii", errors="ignore")
    match = CAMT_NAMESPACE_RE.search(head)
    if not match:
        return None
    return f"camt.{match.group(2).decode()}", match.group(1).decode(), int(match.group(3))


class _StatementContext:
    """What the entries of one statement need to know about it while being read."""

    def __init__(self, statement: ParsedStatement, path: str):
        self.statement = statement
        self.path = path
        self.entry_count = 0


class CamtParser(BaseParser):
    """Parser of CAMT.053 and CAMT.054 files (see the module docstring).

    An instance parses one file at a time (it remembers the element being read to
    report error locations).
    """

    format_name = "camt"

    def __init__(self, options=None):
        super().__init__(options)
        self._namespace = ""
        self._element = None
        self._element_path = ""

    # -- error locations -----------------------------------------------------------

    def _where(self, relative: str = "") -> str:
        """``line N (Stmt[1]/Ntry[3]/Amt)`` for an element of the one being read."""
        element, base = self._element, self._element_path
        path = f"{base}/{relative}" if relative and base else (relative or base)
        if element is None:
            return path
        line = element.sourceline
        if relative:
            steps = "/".join("c:" + step for step in relative.split("/"))
            try:
                found = element.xpath(steps, namespaces={"c": self._namespace})
            except etree.XPathError:
                found = []
            if found:
                line = found[0].sourceline
        return f"line {line} ({path})"

    def _decimal(self, value: str | None, what: str, relative: str) -> Decimal:
        """Parse an amount; the (costly) error location is computed only on error."""
        try:
            amount = parse_decimal(value, what)
        except StatementParseError as error:
            raise StatementParseError(error.message, self._where(relative)) from None
        if amount < 0 or value.lstrip().startswith(("-", "+")):
            raise StatementParseError(
                f"{what} {value.strip()!r} must be written without a sign (the sign is given "
                "by CdtDbtInd).",
                self._where(relative),
            )
        return amount

    def _reading(self, element, path: str) -> None:
        self._element, self._element_path = element, path

    # -- reading the XML -----------------------------------------------------------

    def _parse(self, data: bytes, filename: str) -> ParseResult:
        detected = detect_camt_message(data)
        if detected is None:
            raise StatementParseError(
                "The file is not an ISO 20022 CAMT message (no camt namespace found)."
            )
        fmt, version, number = detected
        if fmt not in SUPPORTED_VERSIONS:
            raise StatementParseError(
                f"{version} is not supported: only camt.053 (statements) and camt.054 "
                "(debit/credit notifications) can be imported."
            )
        if number not in SUPPORTED_VERSIONS[fmt]:
            versions = SUPPORTED_VERSIONS[fmt]
            raise StatementParseError(
                f"Message version {version} is not supported (supported: "
                f"{fmt}.001.{versions[0]:02d} to {fmt}.001.{versions[-1]:02d})."
            )
        result = ParseResult(format=fmt, format_version=version)
        try:
            self._read_document(data, fmt, version, result)
        except etree.XMLSyntaxError as error:
            line, column = (error.position or (None, None))[:2]
            raise StatementParseError(
                f"The XML is malformed or truncated: {error.msg}.",
                f"line {line}, column {column}" if line else None,
            ) from None
        finally:
            self._reading(None, "")
        return result

    def _read_document(self, data: bytes, fmt: str, version: str, result: ParseResult):
        """Stream the document: group header, then each statement and its entries."""
        self._namespace = CAMT_NAMESPACE_PREFIX + version
        ns = "{" + self._namespace + "}"
        ns_len = len(ns)
        root_name, stmt_name = _MESSAGE_ELEMENTS[fmt]
        tags = [ns + "Document", ns + root_name, ns + "GrpHdr", ns + stmt_name, ns + "Ntry"]
        context: _StatementContext | None = None
        seen_document = False
        for event, element in _safe_xml_events(data, tags):
            name = element.tag[ns_len:]
            if event == "start":
                if name == "Document":
                    self._check_root(element, version)
                    seen_document = True
                elif not seen_document:
                    raise StatementParseError(
                        f"the root element must be Document in namespace {version}.",
                        f"line {element.sourceline}",
                    )
                elif name == stmt_name:
                    context = None
            elif name == "GrpHdr":
                self._read_group_header(element, ns_len, result)
            elif name == "Ntry":
                parent = element.getparent()
                if parent is None or parent.tag != ns + stmt_name:
                    raise StatementParseError(
                        f"an Ntry element must be inside {stmt_name}.",
                        f"line {element.sourceline}",
                    )
                if context is None:
                    context = self._start_statement(parent, ns_len, version, result, stmt_name)
                self._read_entry(element, ns_len, context)
            elif name == stmt_name:
                if context is None:  # a statement without entries
                    self._start_statement(element, ns_len, version, result, stmt_name)
                context = None
                element.clear()
        if not seen_document:
            raise StatementParseError(
                f"no Document element in namespace {version} was found at the root."
            )
        if not result.statements:
            raise StatementParseError(f"The {fmt} file contains no {stmt_name} element.")

    def _read_group_header(self, element, ns_len: int, result: ParseResult) -> None:
        self._reading(element, "GrpHdr")
        header = element_to_dict(element, ns_len)
        result.message_id = text(header, "MsgId")
        result.creation_datetime = self._datetime(text(header, "CreDtTm"), "CreDtTm")

    def _read_entry(self, element, ns_len: int, context: _StatementContext) -> None:
        """Turn one ``Ntry`` into lines, then free it (and the entries read before)."""
        context.entry_count += 1
        self._reading(element, f"{context.path}/Ntry[{context.entry_count}]")
        entry = element_to_dict(element, ns_len)
        context.statement.lines.extend(self._lines_from_entry(context, entry))
        element.clear()
        parent = element.getparent()
        previous = element.getprevious()
        while previous is not None and previous.tag == element.tag:
            parent.remove(previous)
            previous = element.getprevious()

    def _check_root(self, element, version: str) -> None:
        docinfo = element.getroottree().docinfo
        if docinfo.internalDTD is not None or docinfo.doctype:
            raise StatementParseError(
                "The XML declares a DTD (<!DOCTYPE ...>); DTDs and entity declarations "
                "are refused in bank statements for security reasons."
            )
        if element.getparent() is not None:
            raise StatementParseError(
                f"the root element must be Document in namespace {version}.",
                f"line {element.sourceline}",
            )

    # -- statement header ----------------------------------------------------------

    def _start_statement(self, element, ns_len, version, result, stmt_name) -> _StatementContext:
        path = f"{stmt_name}[{len(result.statements) + 1}]"
        self._reading(element, path)
        header = element_to_dict(element, ns_len, skip="Ntry")
        statement = self._statement_from_header(header, version)
        result.statements.append(statement)
        return _StatementContext(statement, path)

    def _statement_from_header(self, header: dict, version: str) -> ParsedStatement:
        """Build a :class:`ParsedStatement` (no lines yet) from a ``Stmt``/``Ntfctn``."""
        acct = first(header, "Acct")
        if acct is None:
            raise StatementParseError("the statement has no Acct element.", self._where())
        iban_text = text(acct, "Id", "IBAN")
        account_iban = None
        warnings = []
        if iban_text:
            account_iban, valid = normalize_iban(iban_text)
            if not valid:
                warnings.append(
                    f"{self._element_path}: account IBAN {account_iban} is not a valid IBAN."
                )
        balances = [
            self._balance(node, f"Bal[{i}]") for i, node in enumerate(every(header, "Bal"), 1)
        ]
        currency = text(acct, "Ccy") or next((b.currency for b in balances), None) or ""
        statement = ParsedStatement(
            format_version=version,
            account_iban=account_iban,
            account_number=text(acct, "Id", "Othr", "Id"),
            currency=currency,
            statement_id=text(header, "Id"),
            account_owner=clean_text(text(acct, "Ownr", "Nm")),
            account_servicer_bic=text(acct, "Svcr", "FinInstnId", "BICFI")
            or text(acct, "Svcr", "FinInstnId", "BIC"),
            sequence_number=text(header, "ElctrncSeqNb") or text(header, "LglSeqNb"),
            creation_datetime=self._datetime(text(header, "CreDtTm"), "CreDtTm"),
            date_from=self._date_of_datetime(text(header, "FrToDt", "FrDtTm"), "FrToDt/FrDtTm"),
            date_to=self._date_of_datetime(text(header, "FrToDt", "ToDtTm"), "FrToDt/ToDtTm"),
            opening_balance=self._pick_balance(balances, OPENING_BALANCE_CODES),
            closing_balance=self._pick_balance(balances, CLOSING_BALANCE_CODES),
            warnings=warnings,
        )
        if not statement.account_key:
            raise StatementParseError(
                "the account has neither an IBAN nor another id.", self._where("Acct")
            )
        return statement

    def _balance(self, node: dict, path: str) -> Balance:
        amount_node = first(node, "Amt")
        if amount_node is None:
            raise StatementParseError("the balance has no amount.", self._where(path))
        amount = self._decimal(text(amount_node), "balance amount", f"{path}/Amt")
        if text(node, "CdtDbtInd") == "DBIT":
            amount = -amount
        code = text(node, "Tp", "CdOrPrtry", "Cd") or text(node, "Tp", "CdOrPrtry", "Prtry")
        return Balance(
            amount=amount,
            currency=attribute(amount_node, "Ccy") or "",
            date=self._date_choice(first(node, "Dt"), f"{path}/Dt"),
            type_code=code or "",
        )

    @staticmethod
    def _pick_balance(balances: list[Balance], codes: tuple[str, ...]) -> Balance | None:
        for code in codes:
            for balance in balances:
                if balance.type_code == code:
                    return balance
        return None

    # -- dates -------------------------------------------------------------------------

    def _datetime(self, value: str | None, path: str) -> datetime | None:
        if not value:
            return None
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise StatementParseError(
                f"{value!r} is not a valid date and time.", self._where(path)
            ) from None

    def _date_of_datetime(self, value: str | None, path: str) -> date | None:
        parsed = self._datetime(value, path)
        return parsed.date() if parsed else None

    def _date_choice(self, node, path: str) -> date | None:
        """A ``DateAndDateTimeChoice``: ``Dt`` or ``DtTm``."""
        if node is None:
            return None
        value = text(node, "Dt")
        if value:
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise StatementParseError(
                    f"{value!r} is not a valid date.", self._where(f"{path}/Dt")
                ) from None
        return self._date_of_datetime(text(node, "DtTm"), f"{path}/DtTm")

    # -- entries -------------------------------------------------------------------

    def _lines_from_entry(self, ctx: _StatementContext, entry: dict) -> list[ParsedLine]:
        """All lines of one ``Ntry``: one per ``TxDtls`` when the batch can be split."""
        info = self._entry_info(entry)
        info["entry_index"] = ctx.entry_count
        info["statement_currency"] = ctx.statement.currency
        if info["status"] != "BOOK" and not self.options.keep_non_booked:
            ctx.statement.skipped_entries += 1
            return []
        transactions = [
            tx for details in every(entry, "NtryDtls") for tx in every(details, "TxDtls")
        ]
        if len(transactions) <= 1:
            tx = transactions[0] if transactions else None
            return [self._line_from_tx(entry, info, tx, 0, 1, info["amount"])]
        amounts = [
            self._tx_amount(tx, info, f"NtryDtls/TxDtls[{i}]")
            for i, tx in enumerate(transactions, start=1)
        ]
        if None not in amounts and sum(amounts, Decimal(0)) == info["amount"]:
            count = len(transactions)
            return [
                self._line_from_tx(entry, info, tx, i, count, amount)
                for i, (tx, amount) in enumerate(zip(transactions, amounts, strict=True))
            ]
        return [self._line_from_unsplit_batch(entry, info, transactions)]

    def _entry_info(self, entry: dict) -> dict:
        """Entry-level values shared by the lines of an entry."""
        amount_node = first(entry, "Amt")
        if amount_node is None:
            raise StatementParseError("the entry has no amount (Amt).", self._where())
        amount = self._decimal(text(amount_node), "entry amount", "Amt")
        indicator = text(entry, "CdtDbtInd")
        if indicator not in ("CRDT", "DBIT"):
            raise StatementParseError(
                f"credit/debit indicator {indicator!r} must be CRDT or DBIT.",
                self._where("CdtDbtInd" if indicator else ""),
            )
        status = first(entry, "Sts")
        if type(status) is dict:  # version 7 and later: Sts/Cd or Sts/Prtry
            status = text(status, "Cd") or text(status, "Prtry")
        else:
            status = text(status)
        return {
            "amount": amount if indicator == "CRDT" else -amount,
            "credit": indicator == "CRDT",
            "currency": attribute(amount_node, "Ccy") or "",
            "reversal": (text(entry, "RvslInd") or "").lower() in ("true", "1"),
            "status": (status or "BOOK").upper(),
            "booking_date": self._date_choice(first(entry, "BookgDt"), "BookgDt"),
            "value_date": self._date_choice(first(entry, "ValDt"), "ValDt"),
            "entry_reference": text(entry, "NtryRef"),
            "bank_reference": text(entry, "AcctSvcrRef"),
            "btc": self._bank_transaction_code(first(entry, "BkTxCd")),
            "additional_info": clean_text(text(entry, "AddtlNtryInf")),
            "location": f"line {self._element.sourceline} ({self._element_path})",
        }

    def _tx_amount(self, tx: dict, info: dict, path: str) -> Decimal | None:
        """Signed amount of one ``TxDtls`` in the entry currency, or ``None``."""
        node, name = first(tx, "Amt"), "Amt"
        if node is None:
            node, name = first(tx, "AmtDtls", "TxAmt", "Amt"), "AmtDtls/TxAmt/Amt"
        if node is None or (attribute(node, "Ccy") or info["currency"]) != info["currency"]:
            return None
        amount = self._decimal(text(node), "transaction amount", f"{path}/{name}")
        indicator = text(tx, "CdtDbtInd")
        credit = info["credit"] if indicator is None else indicator == "CRDT"
        return amount if credit else -amount

    @staticmethod
    def _bank_transaction_code(node) -> tuple[str | None, str | None]:
        """``("PMNT-RCDT-ESCT", proprietary code)`` of a ``BkTxCd``."""
        if node is None:
            return None, None
        parts = [
            text(node, "Domn", "Cd"),
            text(node, "Domn", "Fmly", "Cd"),
            text(node, "Domn", "Fmly", "SubFmlyCd"),
        ]
        domain = "-".join(p for p in parts if p) or None
        return domain, text(node, "Prtry", "Cd")

    def _new_line(self, info: dict, amount: Decimal) -> ParsedLine:
        line = ParsedLine(
            amount=amount,
            currency=info["currency"] or info["statement_currency"],
            booking_date=info["booking_date"],
            value_date=info["value_date"],
            entry_reference=info["entry_reference"],
            bank_reference=info["bank_reference"],
            bank_transaction_code=info["btc"][0],
            bank_transaction_code_proprietary=info["btc"][1],
            is_reversal=info["reversal"],
            status=info["status"],
            additional_info=info["additional_info"],
            entry_index=info["entry_index"],
            source_location=info["location"],
        )
        if info["reversal"]:
            line.add_flag(FLAG_REVERSAL)
        if info["status"] != "BOOK":
            line.add_flag(FLAG_NOT_BOOKED)
        return line

    def _line_from_tx(
        self,
        entry: dict,
        info: dict,
        tx: dict | None,
        tx_index: int,
        batch_size: int,
        amount: Decimal,
    ) -> ParsedLine:
        """One line from one ``TxDtls`` (``tx`` is ``None`` for an entry without details)."""
        line = self._new_line(info, amount)
        line.batch_size = batch_size
        if tx is not None:
            line.tx_index = tx_index
            if batch_size > 1:
                line.source_location = self._where(f"NtryDtls/TxDtls[{tx_index + 1}]")
            self._read_tx_details(line, tx, info)
        self._set_credited_account(line, info, tx)
        if self.options.keep_raw:
            line.raw = self._raw(entry, [tx] if tx is not None else [])
        return line

    def _line_from_unsplit_batch(self, entry: dict, info: dict, transactions: list) -> ParsedLine:
        """A batch whose details cannot be split: one line with the entry amount."""
        line = self._new_line(info, info["amount"])
        line.batch_size = len(transactions)
        line.add_flag(FLAG_BATCH_NOT_SPLIT)
        texts = [self._remittance(tx)[0] for tx in transactions]
        line.remittance_unstructured = clean_text(" ".join(t for t in texts if t))
        line.instruction_id = text(entry, "NtryDtls", "Btch", "PmtInfId")
        self._set_credited_account(line, info, None)
        if self.options.keep_raw:
            line.raw = self._raw(entry, transactions)
        return line

    # -- transaction details -------------------------------------------------------

    def _read_tx_details(self, line: ParsedLine, tx: dict, info: dict) -> None:
        """Fill a line from its ``TxDtls``: references, return, parties, remittance."""
        refs = first(tx, "Refs")
        if refs is not None:
            end_to_end = text(refs, "EndToEndId")
            line.end_to_end_id = None if (end_to_end or "").upper() in NOT_PROVIDED else end_to_end
            line.instruction_id = text(refs, "InstrId")
            line.transaction_id = text(refs, "TxId")
            line.mandate_id = text(refs, "MndtId")
            line.uetr = text(refs, "UETR")
            line.bank_reference = text(refs, "AcctSvcrRef") or line.bank_reference
        code, proprietary = self._bank_transaction_code(first(tx, "BkTxCd"))
        line.bank_transaction_code = code or line.bank_transaction_code
        line.bank_transaction_code_proprietary = (
            proprietary or line.bank_transaction_code_proprietary
        )
        return_info = first(tx, "RtrInf")
        if return_info is not None:
            line.is_return = True
            line.add_flag(FLAG_RETURN)
            line.return_reason_code = text(return_info, "Rsn", "Cd") or text(
                return_info, "Rsn", "Prtry"
            )
            line.return_reason_info = clean_text(
                " ".join(text(n) or "" for n in every(return_info, "AddtlInf"))
            )
            line.original_end_to_end_id = line.end_to_end_id
        self._read_parties(line, tx, info)
        unstructured, structured, structured_type, documents = self._remittance(tx)
        line.remittance_unstructured = unstructured
        line.structured_reference = structured
        line.structured_reference_type = structured_type
        line.document_references = documents
        line.additional_info = clean_text(text(tx, "AddtlTxInf")) or line.additional_info

    def _we_are_creditor(self, line: ParsedLine, info: dict) -> bool:
        """Our side: creditor of credits; sides swapped back for returns and reversals."""
        return info["credit"] != (line.is_return or line.is_reversal)

    def _read_parties(self, line: ParsedLine, tx: dict, info: dict) -> None:
        parties = first(tx, "RltdPties")
        side = "Dbtr" if self._we_are_creditor(line, info) else "Cdtr"
        if parties is not None:
            line.counterparty_name = self._party_name(first(parties, side))
            iban_text = text(parties, side + "Acct", "Id", "IBAN")
            if iban_text:
                line.counterparty_iban, valid = normalize_iban(iban_text)
                if not valid:
                    line.add_flag(FLAG_INVALID_COUNTERPARTY_IBAN)
            line.counterparty_account = text(parties, side + "Acct", "Id", "Othr", "Id")
            line.ultimate_debtor_name = self._party_name(first(parties, "UltmtDbtr"))
            line.ultimate_creditor_name = self._party_name(first(parties, "UltmtCdtr"))
        agent = first(tx, "RltdAgts", side + "Agt", "FinInstnId")
        if agent is not None:
            line.counterparty_bic = text(agent, "BICFI") or text(agent, "BIC")

    @staticmethod
    def _party_name(party) -> str | None:
        """Name of a party: ``Nm`` (up to v06) or ``Pty/Nm`` / ``Agt/FinInstnId/Nm`` (v07+)."""
        if party is None:
            return None
        return clean_text(
            text(party, "Nm") or text(party, "Pty", "Nm") or text(party, "Agt", "FinInstnId", "Nm")
        )

    @staticmethod
    def _remittance(tx: dict) -> tuple[str | None, str | None, str | None, list[str]]:
        """``(unstructured text, creditor reference, its type, referred document numbers)``."""
        unstructured_parts, documents = [], []
        reference = reference_type = None
        for remittance in every(tx, "RmtInf"):
            unstructured_parts += [text(n) or "" for n in every(remittance, "Ustrd")]
            for structured in every(remittance, "Strd"):
                for document in every(structured, "RfrdDocInf"):
                    number = text(document, "Nb")
                    if number:
                        documents.append(number)
                creditor_ref = first(structured, "CdtrRefInf")
                if creditor_ref is not None and reference is None:
                    reference = text(creditor_ref, "Ref")
                    reference_type = text(creditor_ref, "Tp", "CdOrPrtry", "Cd") or text(
                        creditor_ref, "Tp", "CdOrPrtry", "Prtry"
                    )
                unstructured_parts += [text(n) or "" for n in every(structured, "AddtlRmtInf")]
        return clean_text(" ".join(unstructured_parts)), reference, reference_type, documents

    def _set_credited_account(self, line: ParsedLine, info: dict, tx: dict | None) -> None:
        """The account the payer addressed (virtual IBAN) when we are the creditor.

        ``TxDtls/RltdPties/CdtrAcct`` (IBAN, else other id); with the option
        ``alias_in_ntry_ref``, ``Ntry/NtryRef`` first.
        """
        if not self._we_are_creditor(line, info):
            return
        if self.options.alias_in_ntry_ref and info["entry_reference"]:
            alias = info["entry_reference"]
            compact, valid = normalize_iban(alias)
            line.credited_account = compact if valid else alias
            line.credited_account_source = "NtryRef"
            return
        parties = first(tx, "RltdPties") if tx is not None else None
        if parties is None:
            return
        iban_text = text(parties, "CdtrAcct", "Id", "IBAN")
        if iban_text:
            line.credited_account, valid = normalize_iban(iban_text)
            if not valid:
                line.add_flag(FLAG_INVALID_CREDITED_IBAN)
        else:
            line.credited_account = text(parties, "CdtrAcct", "Id", "Othr", "Id")
        if line.credited_account:
            line.credited_account_source = "CdtrAcct"

    # -- audit data ----------------------------------------------------------------

    @staticmethod
    def _raw(entry: dict, transactions: list) -> dict:
        """The original entry (without the other transactions) and its ``TxDtls``."""
        raw = {"Ntry": {name: value for name, value in entry.items() if name != "NtryDtls"}}
        batch = first(entry, "NtryDtls", "Btch")
        if batch is not None:
            raw["Btch"] = batch
        if len(transactions) == 1:
            raw["TxDtls"] = transactions[0]
        elif transactions:
            raw["TxDtls"] = transactions
        return raw
