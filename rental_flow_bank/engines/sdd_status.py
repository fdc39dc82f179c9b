"""ISO 20022 payment status reports (pain.002): what the bank says of a pain.008 it received.

A bank answers a direct debit file with a status report before the collection date:
accepted, or rejected (the whole file, a payment information block or single debits),
each rejection with its reason code (``AC04`` account closed, ``AM04`` insufficient funds,
``MD01`` no mandate, ...). A rejected debit is never collected: its rent calls stay open.

Every message version from pain.002.001.03 to .001.15 has the same elements for what is
read here (read by local name, whatever the namespace version):

``CstmrPmtStsRpt/GrpHdr/MsgId``, ``OrgnlGrpInfAndSts/(OrgnlMsgId, OrgnlMsgNmId, GrpSts,
StsRsnInf)``, ``OrgnlPmtInfAndSts/(OrgnlPmtInfId, PmtInfSts, StsRsnInf,
TxInfAndSts/(OrgnlEndToEndId, TxSts, StsRsnInf))``, with ``StsRsnInf/(Rsn/Cd | Rsn/Prtry,
AddtlInf)``.

Pure Python (lxml): no Odoo import. The file is parsed with entities, DTDs and network
access disabled; a malformed file, another message or a report without any status raises
:class:`StatusReportError` with a complete message.
"""

import re
from dataclasses import dataclass, field

from lxml import etree

PAIN002_NAMESPACE_RE = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:pain\.002\.001\.(\d{2})")
#: Largest status report read (a report of 100,000 debits is about 60 MB).
MAX_SIZE = 100 * 1024 * 1024
#: Status meaning the bank refused the instruction: nothing will be collected.
REJECTED = "RJCT"
#: Statuses of a report that are not a rejection (accepted at some stage, pending, ...).
KNOWN_STATUSES = {"ACCP", "ACSC", "ACSP", "ACTC", "ACWC", "ACWP", "ACFC", "ACCC", "PART",
                  "PATC", "PDNG", "RCVD", "STLD", "CANC", REJECTED}


class StatusReportError(ValueError):
    """The file is not a readable pain.002 status report; nothing may be applied."""


@dataclass(frozen=True)
class StatusReason:
    """Why: an ISO reason code (or a bank's proprietary one) and free text."""

    code: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class TransactionStatus:
    """Status of one direct debit, found by its end-to-end id."""

    end_to_end_id: str | None
    status: str | None
    reason: StatusReason = field(default_factory=StatusReason)


@dataclass(frozen=True)
class PaymentInfoStatus:
    """Status of one ``PmtInf`` block of the original file and of its debits."""

    payment_info_id: str | None
    status: str | None
    reason: StatusReason = field(default_factory=StatusReason)
    transactions: tuple[TransactionStatus, ...] = ()


@dataclass(frozen=True)
class StatusReport:
    """A pain.002 message."""

    version: str
    message_id: str | None
    original_message_id: str
    original_message_name: str | None
    group_status: str | None
    group_reason: StatusReason = field(default_factory=StatusReason)
    payment_infos: tuple[PaymentInfoStatus, ...] = ()

    @property
    def is_direct_debit_report(self) -> bool:
        """Whether the report is about a pain.008 (direct debits); unknown counts as yes."""
        name = (self.original_message_name or "").lower()
        return not name or name.startswith("pain.008")

    def rejected_transactions(self) -> list[TransactionStatus]:
        """Debits rejected one by one (their end-to-end id known)."""
        return [
            tx for info in self.payment_infos for tx in info.transactions
            if tx.status == REJECTED and tx.end_to_end_id
        ]

    def rejected_payment_infos(self) -> list[PaymentInfoStatus]:
        """Whole ``PmtInf`` blocks rejected."""
        return [info for info in self.payment_infos if info.status == REJECTED]

    @property
    def file_rejected(self) -> bool:
        """The whole original file was rejected."""
        return self.group_status == REJECTED


def detect_pain002(data: bytes) -> str | None:
    """``"pain.002.001.NN"`` when ``data`` looks like a payment status report."""
    match = PAIN002_NAMESPACE_RE.search(data[:4096])
    return f"pain.002.001.{match.group(1).decode()}" if match else None


def _local(element) -> str:
    return etree.QName(element).localname


def _child(element, name):
    if element is None:
        return None
    for child in element:
        if isinstance(child.tag, str) and _local(child) == name:
            return child
    return None


def _children(element, name):
    return [child for child in element
            if isinstance(child.tag, str) and _local(child) == name]


def _text(element, *path) -> str | None:
    for name in path:
        element = _child(element, name)
        if element is None:
            return None
    value = (element.text or "").strip()
    return value or None


def _reason(element) -> StatusReason:
    """The first ``StsRsnInf`` of ``element``: code and additional information."""
    info = _child(element, "StsRsnInf")
    if info is None:
        return StatusReason()
    code = _text(info, "Rsn", "Cd") or _text(info, "Rsn", "Prtry")
    texts = [(node.text or "").strip() for node in _children(info, "AddtlInf")]
    text = " ".join(value for value in texts if value)
    return StatusReason(code=code.upper() if code else None, text=text or None)


def _status(value: str | None, where: str) -> str | None:
    if value is None:
        return None
    value = value.upper()
    if value not in KNOWN_STATUSES:
        raise StatusReportError(f"{where}: unknown status {value!r}.")
    return value


def parse_pain002(data: bytes) -> StatusReport:
    """Read a pain.002 status report (any version from .001.03); raise
    :class:`StatusReportError` on bad input."""
    if not data:
        raise StatusReportError("The file is empty.")
    if len(data) > MAX_SIZE:
        raise StatusReportError(
            f"The file is too large ({len(data) // (1024 * 1024)} MB, at most "
            f"{MAX_SIZE // (1024 * 1024)} MB).")
    version = detect_pain002(data)
    if not version:
        raise StatusReportError(
            "The file is not an ISO 20022 pain.002 payment status report (no "
            "urn:iso:std:iso:20022:tech:xsd:pain.002 namespace found).")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        line = (error.position or (None,))[0]
        raise StatusReportError(
            f"The XML is malformed or truncated: {error.msg}"
            + (f" (line {line})." if line else ".")) from None
    report = _child(root, "CstmrPmtStsRpt")
    if report is None:
        raise StatusReportError("No CstmrPmtStsRpt element: not a customer payment status "
                                "report.")
    group = _child(report, "OrgnlGrpInfAndSts")
    original_id = _text(group, "OrgnlMsgId")
    if not original_id:
        raise StatusReportError("The report does not say which file it is about "
                                "(OrgnlGrpInfAndSts/OrgnlMsgId missing).")
    infos = []
    for number, block in enumerate(_children(report, "OrgnlPmtInfAndSts"), start=1):
        info_id = _text(block, "OrgnlPmtInfId")
        where = f"payment information {info_id or number}"
        transactions = tuple(
            TransactionStatus(
                end_to_end_id=_text(tx, "OrgnlEndToEndId"),
                status=_status(_text(tx, "TxSts"), f"{where}, transaction {index}"),
                reason=_reason(tx),
            )
            for index, tx in enumerate(_children(block, "TxInfAndSts"), start=1)
        )
        infos.append(PaymentInfoStatus(
            payment_info_id=info_id,
            status=_status(_text(block, "PmtInfSts"), where),
            reason=_reason(block),
            transactions=transactions,
        ))
    group_status = _status(_text(group, "GrpSts"), "group status")
    if not group_status and not infos:
        raise StatusReportError("The report gives no status (no GrpSts and no "
                                "OrgnlPmtInfAndSts).")
    return StatusReport(
        version=version,
        message_id=_text(report, "GrpHdr", "MsgId"),
        original_message_id=original_id,
        original_message_name=_text(group, "OrgnlMsgNmId"),
        group_status=group_status,
        group_reason=_reason(group),
        payment_infos=tuple(infos),
    )
