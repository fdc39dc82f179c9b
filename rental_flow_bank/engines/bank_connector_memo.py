"""Memo Bank Premium API provider (REST, RS256 JWT per request, bearer-token webhooks).

Authentication (Memo Bank API documentation, "Authentication"): every request carries
``Authorization: Bearer <JWT>``; the JWT is signed RS256 with the client's private
key, header ``{"alg": "RS256", "typ": "JWT", "x5t#S256": <certificate thumbprint>}``,
claims ``sub`` = ``"<METHOD> <path with query>"``, ``aud`` = the API host, ``iat``,
``jti`` (a new UUID per request), ``sec`` (the secret code) and, when the request has
a body, ``dig#S256`` = base64url(SHA-256(body)). Built here with ``cryptography``
(:func:`build_jwt`); no JWT library is needed.

Endpoints used: ``GET /v2/transactions`` (``page_token`` pagination, ``results`` and
``next_page_token``), ``GET /v2/transactions/{id}``, ``POST /v2/ibans``,
``GET /v2/ibans``, ``POST /v2/transfers``. Amounts are integers in minor units with a
separate ``direction`` (``credit``/``debit``); ``local_iban`` is the IBAN the money
went through: the virtual IBAN of a rent.

Webhooks are thin: ``{"id", "date", "event_type", "resource_type", "resource_id"}``,
authenticated by the bearer token given when the webhook was created; processing a
``transaction_confirmed`` event fetches the transaction.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .bank_connector_base import (
    BankApiError,
    BankProvider,
    WebhookEvent,
    WebhookRejected,
    amount_from_minor,
    decode_json_object,
    parse_datetime,
    parse_day,
    reference_unique_id,
    register_provider,
)
from .statement_base import clean_text, find_rf_reference, normalize_iban
from .statement_types import FLAG_RETURN, ParsedLine

PAGE_SIZE = 100
BOOKED_STATUSES = ("confirmed",)
RETURN_SOURCES = (
    "transfer_incoming_return",
    "transfer_outgoing_return",
    "collection_incoming_return",
    "collection_outgoing_return",
    "rtgs_transfer_incoming_return",
    "rtgs_transfer_outgoing_return",
    "wire_transfer_outgoing_return",
)


def b64url(data: bytes) -> str:
    """base64url without padding (RFC 7515 appendix C)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    """Load an RSA private key from PEM text; :class:`BankApiError` if it is not one."""
    try:
        key = serialization.load_pem_private_key(pem.encode("utf-8"), password=None)
    except (ValueError, TypeError):
        raise BankApiError("The Memo Bank private key is not a valid unencrypted PEM key.") \
            from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise BankApiError("The Memo Bank private key must be an RSA key (RS256).")
    return key


def build_jwt(
    private_key: rsa.RSAPrivateKey,
    thumbprint: str,
    secret_code: str,
    method: str,
    path_query: str,
    audience: str,
    body: bytes = b"",
    issued_at: int | None = None,
    token_id: str | None = None,
) -> str:
    """The signed RS256 JWT of one request (see the module docstring for the claims)."""
    header = {"alg": "RS256", "typ": "JWT", "x5t#S256": thumbprint}
    claims = {
        "sub": f"{method.upper()} {path_query}",
        "aud": audience,
        "iat": int(time.time()) if issued_at is None else issued_at,
        "jti": token_id or str(uuid.uuid4()),
        "sec": secret_code,
    }
    if body:
        claims["dig#S256"] = b64url(hashlib.sha256(body).digest())
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode("utf-8"))
        for part in (header, claims)
    )
    signature = private_key.sign(
        signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
    )
    return f"{signing_input}.{b64url(signature)}"


@register_provider
class MemoBankProvider(BankProvider):
    """Memo Bank: transactions, virtual IBANs, transfers and thin webhooks.

    Credentials: ``private_key`` (PEM), ``thumbprint`` (``x5t#S256`` of the
    certificate) and ``secret_code``; ``ConnectorConfig.account_id`` is the Memo Bank
    account the virtual IBANs and transfers belong to.
    """

    code = "memo_bank"
    name = "Memo Bank"
    webhook_auth = "bearer"
    supports_virtual_ibans = True
    supports_transfers = True

    _key_cache: tuple[str, rsa.RSAPrivateKey] | None = None

    def _private_key(self) -> rsa.RSAPrivateKey:
        pem = self.credential("private_key")
        if self._key_cache is None or self._key_cache[0] != pem:
            self._key_cache = (pem, load_private_key(pem))
        return self._key_cache[1]

    def auth_headers(self, method: str, path_query: str, body: bytes) -> dict[str, str]:
        token = build_jwt(
            self._private_key(),
            self.credential("thumbprint"),
            self.credential("secret_code"),
            method,
            path_query,
            urlsplit(self.config.base_url).hostname or "",
            body,
        )
        return {"Authorization": f"Bearer {token}"}

    # -- transactions ------------------------------------------------------------------

    def iter_transactions(self, since: datetime | None = None,
                          until: datetime | None = None) -> Iterator[dict]:
        params = {
            "account_id": self.config.account_id,
            "size": PAGE_SIZE,
            "order_by": "execution_date",
            "start_date": since.isoformat() if since else None,
            "end_date": until.isoformat() if until else None,
        }
        seen_tokens = set()
        while True:
            page = self.http.request("GET", "/v2/transactions", params=params).data or {}
            yield from page.get("results") or []
            token = page.get("next_page_token")
            if not token:
                return
            if token in seen_tokens:
                raise BankApiError("Memo Bank returned the same page token twice.")
            seen_tokens.add(token)
            params = {"page_token": token, "size": PAGE_SIZE}

    def get_transaction(self, transaction_id: str) -> dict:
        data = self.http.request("GET", f"/v2/transactions/{transaction_id}").data
        if not isinstance(data, dict) or not data.get("id"):
            raise BankApiError(f"Memo Bank returned no transaction for {transaction_id}.")
        return data

    def is_booked(self, transaction: dict) -> bool:
        return transaction.get("status") in BOOKED_STATUSES

    def transaction_to_line(self, transaction: dict, account_key: str) -> ParsedLine:
        """Map a Memo Bank transaction; ``local_iban`` becomes the credited account."""
        try:
            currency = (transaction.get("currency") or "EUR").upper()
            amount = abs(amount_from_minor(transaction["amount"], currency))
            direction = transaction["direction"]
            tx_id = transaction["id"]
        except (KeyError, ValueError) as exc:
            raise BankApiError(f"Memo Bank transaction without a valid {exc}.") from None
        if direction not in ("credit", "debit"):
            raise BankApiError(f"Memo Bank transaction {tx_id}: unknown direction {direction!r}.")
        source = transaction.get("source") or {}
        source_type = source.get("type") or ""
        message = clean_text(source.get("message"))
        counterparty_iban = source.get("counterparty_iban")
        local_iban = transaction.get("local_iban")
        booking = parse_day(transaction.get("accounting_date")) or parse_day(
            transaction.get("execution_date")
        )
        line = ParsedLine(
            amount=amount if direction == "credit" else -amount,
            currency=currency,
            booking_date=booking,
            value_date=parse_day(transaction.get("execution_date")) or booking,
            counterparty_name=clean_text(transaction.get("counterparty_name")),
            counterparty_iban=normalize_iban(counterparty_iban)[0] if counterparty_iban else None,
            counterparty_account=source.get("counterparty_account_number"),
            counterparty_bic=source.get("counterparty_bank_bic"),
            remittance_unstructured=message,
            end_to_end_id=source.get("end_to_end_id"),
            bank_reference=tx_id,
            entry_reference=transaction.get("reference"),
            bank_transaction_code=source_type or None,
            status="BOOK" if self.is_booked(transaction) else "PDNG",
            raw=transaction,
        )
        if direction == "credit" and local_iban:
            line.credited_account = normalize_iban(local_iban)[0]
            line.credited_account_source = "local_iban"
        if source_type in RETURN_SOURCES:
            line.is_return = True
            line.add_flag(FLAG_RETURN)
            line.return_reason_code = source.get("reason")
            line.original_end_to_end_id = source.get("end_to_end_id")
        line.rf_reference = find_rf_reference(message)
        line.label = message or line.counterparty_name or source_type or tx_id
        line.unique_import_id = reference_unique_id(account_key, tx_id)
        return line

    # -- virtual IBANs ---------------------------------------------------------------

    def _iban_row(self, data: dict) -> dict:
        iban = data.get("iban")
        if not iban or not data.get("id"):
            raise BankApiError("Memo Bank returned an IBAN object without iban or id.")
        return {"iban": "".join(iban.split()).upper(), "provider_ref": data["id"],
                "label": data.get("name") or ""}

    def create_virtual_iban(self, label: str, idempotency_key: str | None = None) -> dict:
        if not self.config.account_id:
            raise BankApiError("Memo Bank: the bank account id of the connector is not set.")
        result = self.http.request(
            "POST",
            "/v2/ibans",
            json_body={"account_id": self.config.account_id, "name": label[:100],
                       "allow_collections": True},
            idempotency_key=idempotency_key,
        )
        return self._iban_row(result.data or {})

    def iter_virtual_ibans(self) -> Iterator[dict]:
        params = {"account_id": self.config.account_id, "size": PAGE_SIZE}
        while True:
            page = self.http.request("GET", "/v2/ibans", params=params).data or {}
            for item in page.get("results") or []:
                if item.get("type", "virtual") == "virtual" and not item.get("is_deleted"):
                    yield self._iban_row(item)
            token = page.get("next_page_token")
            if not token:
                return
            params = {"page_token": token, "size": PAGE_SIZE}

    # -- transfers ---------------------------------------------------------------------

    def create_transfer(self, transfer: dict, idempotency_key: str) -> dict:
        """``transfer``: ``amount`` (cents), ``beneficiary_iban``, ``beneficiary_name``,
        ``message``, ``end_to_end_id`` and optional ``local_iban``, ``type_strategy``."""
        body = {"type_strategy": "instant_if_available", **transfer}
        if self.config.account_id:
            body.setdefault("account_id", self.config.account_id)
        return self.http.request(
            "POST", "/v2/transfers", json_body=body, idempotency_key=idempotency_key
        ).data

    # -- webhooks ------------------------------------------------------------------------

    def parse_event(self, body: bytes) -> WebhookEvent:
        data = decode_json_object(body)
        for key in ("id", "event_type"):
            if not isinstance(data.get(key), str) or not data[key]:
                raise WebhookRejected(f"Memo Bank event without '{key}'.", 400)
        try:
            occurred = parse_datetime(data.get("date"))
        except ValueError:
            raise WebhookRejected("Memo Bank event with an invalid date.", 400) from None
        return WebhookEvent(
            event_id=data["id"],
            event_type=data["event_type"],
            resource_type=data.get("resource_type"),
            resource_id=data.get("resource_id"),
            occurred_at=occurred,
        )

    def event_transaction_id(self, event: WebhookEvent) -> str | None:
        if event.event_type == "transaction_confirmed" and event.resource_type == "transaction":
            return event.resource_id
        return None
