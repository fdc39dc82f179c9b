"""Render version-neutral bank statements as CAMT.053 / CAMT.054 XML with lxml.

Test helper (also used by ``bench/bench_camt_parse.py``): a statement is described
once with plain dicts and rendered in the element layout of each message version
(``Sts`` text or ``Sts/Cd``, party names under ``Pty`` from version 7, ``BIC`` or
``BICFI``, transaction amounts only in ``AmtDtls`` in version 2...). The output of
the versions used by the tests is validated against the official ISO 20022 XSDs.

Statement dict keys: ``id``, ``seq``, ``created``, ``from``, ``to``, ``account``
(``iban``|``other_id``, ``currency``, ``owner``, ``bic``), ``balances`` (list of
``(code, amount, "CRDT"|"DBIT", date)``), ``entries``.
Entry keys: ``amount`` (``Decimal``, always positive), ``cd``, ``ref``, ``reversal``,
``status``, ``booking``, ``value``, ``acct_svcr_ref``, ``btc`` (``(domain, family,
sub-family)``), ``btc_prtry``, ``batch`` (``{"pmt_inf_id", "count"}``), ``txs``,
``addtl``. Transaction keys: ``refs`` (dict of ``AcctSvcrRef``, ``InstrId``,
``EndToEndId``, ``UETR``, ``TxId``, ``MndtId``), ``amount`` (``None`` = omitted),
``cd``, ``ccy``, ``debtor`` / ``creditor`` (``name``, ``iban``, ``other_id``, ``bic``),
``ultimate_debtor``, ``ultimate_creditor``, ``ustrd`` (list), ``strd`` (``ref``,
``type``, ``docs``), ``rtr`` (``code``, ``info``), ``addtl``.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

REFS_ORDER = ("AcctSvcrRef", "PmtInfId", "InstrId", "EndToEndId", "UETR", "TxId", "MndtId")


class CamtBuilder:
    """Build one CAMT document of a given message (053/054) and version (2..13)."""

    def __init__(self, message: str = "053", version: int = 8):
        self.message = message
        self.version = version
        self.ns = f"urn:iso:std:iso:20022:tech:xsd:camt.{message}.001.{version:02d}"

    # -- element helpers ---------------------------------------------------------

    def _el(self, parent, tag: str, text=None, **attrib):
        element = etree.SubElement(parent, f"{{{self.ns}}}{tag}", attrib)
        if text is not None:
            element.text = str(text)
        return element

    def _path(self, parent, path: str, text=None):
        """Create nested elements ``A/B/C`` and return the last one."""
        element = parent
        names = path.split("/")
        for name in names[:-1]:
            element = self._el(element, name)
        return self._el(element, names[-1], text)

    @staticmethod
    def _amount(value: Decimal) -> str:
        return f"{Decimal(value):.2f}"

    # -- document ----------------------------------------------------------------

    def build(
        self,
        statements: list[dict],
        msg_id: str = "MSG-1",
        created: str = "2026-01-06T06:00:00+01:00",
        pretty: bool = True,
    ) -> bytes:
        """The XML document (UTF-8 bytes with declaration), indented unless ``pretty=False``."""
        root = etree.Element(f"{{{self.ns}}}Document", nsmap={None: self.ns})
        message = self._el(
            root, "BkToCstmrStmt" if self.message == "053" else "BkToCstmrDbtCdtNtfctn"
        )
        header = self._el(message, "GrpHdr")
        self._el(header, "MsgId", msg_id)
        self._el(header, "CreDtTm", created)
        for statement in statements:
            self._statement(message, statement)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=pretty)

    def _statement(self, parent, data: dict) -> None:
        stmt = self._el(parent, "Stmt" if self.message == "053" else "Ntfctn")
        self._el(stmt, "Id", data["id"])
        if data.get("seq") is not None:
            self._el(stmt, "ElctrncSeqNb", data["seq"])
        self._el(stmt, "CreDtTm", data.get("created", "2026-01-06T06:00:00+01:00"))
        if data.get("from"):
            period = self._el(stmt, "FrToDt")
            self._el(period, "FrDtTm", data["from"])
            self._el(period, "ToDtTm", data["to"])
        self._account(stmt, data["account"])
        if self.message == "053":
            for code, amount, indicator, day in data.get("balances", []):
                balance = self._el(stmt, "Bal")
                self._path(balance, "Tp/CdOrPrtry/Cd", code)
                self._el(balance, "Amt", self._amount(amount), Ccy=data["account"]["currency"])
                self._el(balance, "CdtDbtInd", indicator)
                self._path(balance, "Dt/Dt", day)
        for entry in data.get("entries", []):
            self._entry(stmt, entry, data["account"]["currency"])

    def _account(self, parent, account: dict) -> None:
        acct = self._el(parent, "Acct")
        if account.get("iban"):
            self._path(acct, "Id/IBAN", account["iban"])
        else:
            self._path(acct, "Id/Othr/Id", account["other_id"])
        if account.get("currency"):
            self._el(acct, "Ccy", account["currency"])
        if account.get("owner"):
            self._path(acct, "Ownr/Nm", account["owner"])
        if account.get("bic"):
            self._path(acct, "Svcr/FinInstnId/" + self._bic_tag(), account["bic"])

    def _bic_tag(self) -> str:
        return "BIC" if self.version <= 2 else "BICFI"

    # -- entries -----------------------------------------------------------------

    def _entry(self, parent, entry: dict, currency: str) -> None:
        ntry = self._el(parent, "Ntry")
        if entry.get("ref"):
            self._el(ntry, "NtryRef", entry["ref"])
        self._el(ntry, "Amt", self._amount(entry["amount"]), Ccy=entry.get("ccy", currency))
        self._el(ntry, "CdtDbtInd", entry["cd"])
        if entry.get("reversal"):
            self._el(ntry, "RvslInd", "true")
        status = entry.get("status", "BOOK")
        if self.version >= 7:
            self._path(ntry, "Sts/Cd", status)
        else:
            self._el(ntry, "Sts", status)
        if entry.get("booking"):
            self._path(ntry, "BookgDt/Dt", entry["booking"])
        if entry.get("value"):
            self._path(ntry, "ValDt/Dt", entry["value"])
        if entry.get("acct_svcr_ref"):
            self._el(ntry, "AcctSvcrRef", entry["acct_svcr_ref"])
        self._bank_transaction_code(ntry, entry.get("btc"), entry.get("btc_prtry"))
        txs = entry.get("txs", [])
        if txs or entry.get("batch"):
            details = self._el(ntry, "NtryDtls")
            if entry.get("batch"):
                batch = self._el(details, "Btch")
                self._el(batch, "PmtInfId", entry["batch"]["pmt_inf_id"])
                self._el(batch, "NbOfTxs", entry["batch"]["count"])
            for tx in txs:
                self._transaction(details, tx, entry, currency)
        if entry.get("addtl"):
            self._el(ntry, "AddtlNtryInf", entry["addtl"])

    def _bank_transaction_code(self, parent, code, proprietary) -> None:
        if not code and not proprietary:
            if parent.tag.endswith("}Ntry"):  # mandatory on entries
                code = ("PMNT", "MCOP", "OTHR")
            else:
                return
        btc = self._el(parent, "BkTxCd")
        if code:
            domain = self._el(btc, "Domn")
            self._el(domain, "Cd", code[0])
            family = self._el(domain, "Fmly")
            self._el(family, "Cd", code[1])
            self._el(family, "SubFmlyCd", code[2])
        if proprietary:
            prtry = self._el(btc, "Prtry")
            self._el(prtry, "Cd", proprietary)
            self._el(prtry, "Issr", "CFONB")

    def _transaction(self, parent, tx: dict, entry: dict, currency: str) -> None:
        element = self._el(parent, "TxDtls")
        refs = tx.get("refs", {})
        if refs:
            refs_element = self._el(element, "Refs")
            for name in REFS_ORDER:
                if name == "UETR" and self.version < 8:
                    continue
                if refs.get(name):
                    self._el(refs_element, name, refs[name])
        amount = tx.get("amount")
        ccy = tx.get("ccy", currency)
        if amount is not None:
            if self.version >= 3:
                self._el(element, "Amt", self._amount(amount), Ccy=ccy)
                self._el(element, "CdtDbtInd", tx.get("cd", entry["cd"]))
            else:
                self._path(element, "AmtDtls/TxAmt/Amt", self._amount(amount)).set("Ccy", ccy)
        if tx.get("btc"):
            self._bank_transaction_code(element, tx["btc"], None)
        self._parties(element, tx)
        self._agents(element, tx)
        self._remittance(element, tx)
        if tx.get("rtr"):
            rtr = self._el(element, "RtrInf")
            self._path(rtr, "Rsn/Cd", tx["rtr"]["code"])
            if tx["rtr"].get("info"):
                self._el(rtr, "AddtlInf", tx["rtr"]["info"])
        if tx.get("addtl"):
            self._el(element, "AddtlTxInf", tx["addtl"])

    def _party(self, parent, tag: str, name: str) -> None:
        party = self._el(parent, tag)
        if self.version >= 7:
            party = self._el(party, "Pty")
        self._el(party, "Nm", name)

    def _parties(self, parent, tx: dict) -> None:
        debtor, creditor = tx.get("debtor") or {}, tx.get("creditor") or {}
        if not (debtor or creditor or tx.get("ultimate_debtor") or tx.get("ultimate_creditor")):
            return
        parties = self._el(parent, "RltdPties")
        for side, data in (("Dbtr", debtor), ("Cdtr", creditor)):
            if data.get("name"):
                self._party(parties, side, data["name"])
            if data.get("iban"):
                self._path(parties, f"{side}Acct/Id/IBAN", data["iban"])
            elif data.get("other_id"):
                self._path(parties, f"{side}Acct/Id/Othr/Id", data["other_id"])
            ultimate = tx.get("ultimate_debtor" if side == "Dbtr" else "ultimate_creditor")
            if ultimate:
                self._party(parties, "UltmtDbtr" if side == "Dbtr" else "UltmtCdtr", ultimate)

    def _agents(self, parent, tx: dict) -> None:
        bics = [
            (side, (tx.get(key) or {}).get("bic"))
            for side, key in (("DbtrAgt", "debtor"), ("CdtrAgt", "creditor"))
        ]
        bics = [(side, bic) for side, bic in bics if bic]
        if not bics:
            return
        agents = self._el(parent, "RltdAgts")
        for side, bic in bics:
            self._path(agents, f"{side}/FinInstnId/{self._bic_tag()}", bic)

    def _remittance(self, parent, tx: dict) -> None:
        if not tx.get("ustrd") and not tx.get("strd"):
            return
        remittance = self._el(parent, "RmtInf")
        for text in tx.get("ustrd", []):
            self._el(remittance, "Ustrd", text)
        if tx.get("strd"):
            structured = self._el(remittance, "Strd")
            for number in tx["strd"].get("docs", []):
                self._path(structured, "RfrdDocInf/Nb", number)
            if tx["strd"].get("ref"):
                creditor_ref = self._el(structured, "CdtrRefInf")
                if tx["strd"].get("type"):
                    self._path(creditor_ref, "Tp/CdOrPrtry/Cd", tx["strd"]["type"])
                self._el(creditor_ref, "Ref", tx["strd"]["ref"])
