"""Qonto-style provider: secret-key header, paged transaction list, HMAC-signed webhooks.

* Requests carry ``Authorization: <login>:<secret key>`` (Qonto Business API key
  authentication).
* ``GET /v2/transactions?iban=...&status[]=completed&settled_at_from=...`` answers
  ``{"transactions": [...], "meta": {"current_page", "next_page", ...}}``; amounts are
  decimals plus ``amount_cents`` and a ``side`` (``credit``/``debit``).
* Webhooks (``v1/transactions``) are signed: header ``X-Qonto-Signature:
  t=<unix ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<raw body>")>``; the event carries
  the transaction itself in ``data`` (a fat event), so processing it needs no API
  call. Only ``completed`` transactions become statement lines; a ``pending`` one is
  imported when its ``updated`` event says it is completed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation

from .bank_connector_base import (
    BankApiError,
    BankProvider,
    WebhookEvent,
    WebhookRejected,
    amount_from_minor,
    amount_to_minor,
    decode_json_object,
    parse_datetime,
    parse_day,
    reference_unique_id,
    register_provider,
)
from .statement_base import clean_text, find_rf_reference, normalize_iban
from .statement_types import ParsedLine

PAGE_SIZE = 100
SIGNATURE_HEADER = "X-Qonto-Signature"


def decimal_amount(value, currency: str) -> Decimal:
    """A JSON decimal amount (``50.01``) as an exact ``Decimal`` in ``currency``.

    JSON numbers arrive as floats: their shortest representation is the number the
    bank wrote. More decimals than the currency has is refused.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"amount {value!r} is not a number")
    amount = Decimal(str(value))
    amount_to_minor(amount, currency)
    return abs(amount)


@register_provider
class QontoProvider(BankProvider):
    """Qonto: transactions by IBAN and HMAC-signed transaction webhooks.

    Credentials: ``login`` and ``secret_key`` (API), ``webhook_secret`` (signing
    secret of the webhook subscription). ``ConnectorConfig.account_iban`` selects the
    account.
    """

    code = "qonto"
    name = "Qonto"
    webhook_auth = "hmac"
    signature_header = SIGNATURE_HEADER

    def auth_headers(self, method: str, path_query: str, body: bytes) -> dict[str, str]:
        return {"Authorization": f"{self.credential('login')}:{self.credential('secret_key')}"}

    def iter_transactions(self, since: datetime | None = None,
                          until: datetime | None = None) -> Iterator[dict]:
        if not self.config.account_iban:
            raise BankApiError("Qonto: the IBAN of the connector's account is not set.")
        page = 1
        while True:
            params = {
                "iban": self.config.account_iban,
                "status[]": "completed",
                "settled_at_from": since.isoformat() if since else None,
                "settled_at_to": until.isoformat() if until else None,
                "sort_by": "settled_at:asc",
                "current_page": page,
                "per_page": PAGE_SIZE,
            }
            data = self.http.request("GET", "/v2/transactions", params=params).data or {}
            yield from data.get("transactions") or []
            next_page = (data.get("meta") or {}).get("next_page")
            if not next_page:
                return
            if int(next_page) <= page:
                raise BankApiError("Qonto returned a next page that does not advance.")
            page = int(next_page)

    def get_transaction(self, transaction_id: str) -> dict:
        data = self.http.request("GET", f"/v2/transactions/{transaction_id}").data or {}
        transaction = data.get("transaction", data)
        if not isinstance(transaction, dict) or not transaction.get("id"):
            raise BankApiError(f"Qonto returned no transaction for {transaction_id}.")
        return transaction

    def is_booked(self, transaction: dict) -> bool:
        return transaction.get("status") == "completed"

    def transaction_to_line(self, transaction: dict, account_key: str) -> ParsedLine:
        """Map a Qonto transaction (list item or webhook ``data``)."""
        try:
            currency = (transaction.get("currency") or "EUR").upper()
            side = transaction["side"]
            tx_id = transaction["id"]
            if transaction.get("amount_cents") is not None:
                amount = abs(amount_from_minor(transaction["amount_cents"], currency))
            else:
                amount = decimal_amount(transaction["amount"], currency)
        except (KeyError, ValueError, TypeError, InvalidOperation) as exc:
            raise BankApiError(f"Qonto transaction without a valid amount/side/id ({exc}).") \
                from None
        if side not in ("credit", "debit"):
            raise BankApiError(f"Qonto transaction {tx_id}: unknown side {side!r}.")
        transfer = transaction.get("transfer") or {}
        counterparty = transfer.get("counterparty_account_number")
        iban = None
        if counterparty and transfer.get("counterparty_account_number_format", "IBAN") == "IBAN":
            iban = normalize_iban(counterparty)[0]
        bic = transfer.get("counterparty_bank_identifier")
        if transfer.get("counterparty_bank_identifier_format", "SWIFT_BIC") != "SWIFT_BIC":
            bic = None
        reference = clean_text(transaction.get("reference"))
        settled = parse_day(transaction.get("settled_at")) or parse_day(
            transaction.get("emitted_at")
        )
        line = ParsedLine(
            amount=amount if side == "credit" else -amount,
            currency=currency,
            booking_date=settled,
            value_date=settled,
            counterparty_name=clean_text(
                transaction.get("clean_counterparty_name") or transaction.get("label")
            ),
            counterparty_iban=iban,
            counterparty_account=None if iban else counterparty,
            counterparty_bic=bic,
            remittance_unstructured=reference,
            bank_reference=tx_id,
            entry_reference=transaction.get("transaction_id"),
            bank_transaction_code=transaction.get("operation_type"),
            additional_info=clean_text(transaction.get("note")),
            status="BOOK" if self.is_booked(transaction) else "PDNG",
            raw=transaction,
        )
        line.rf_reference = find_rf_reference(reference)
        line.label = " ".join(p for p in (transaction.get("label"), reference) if p) or tx_id
        line.unique_import_id = reference_unique_id(account_key, tx_id)
        return line

    def parse_event(self, body: bytes) -> WebhookEvent:
        data = decode_json_object(body)
        payload = data.get("data")
        if not isinstance(data.get("id"), str) or not data["id"]:
            raise WebhookRejected("Qonto event without 'id'.", 400)
        if not isinstance(payload, dict):
            raise WebhookRejected("Qonto event without 'data'.", 400)
        try:
            occurred = parse_datetime(data.get("created_at"))
        except ValueError:
            raise WebhookRejected("Qonto event with an invalid created_at.", 400) from None
        kind = payload.get("event") or ""
        return WebhookEvent(
            event_id=data["id"],
            event_type=f"{data.get('type') or 'v1/transactions'}.{kind}".rstrip("."),
            resource_type="transaction",
            resource_id=payload.get("id"),
            occurred_at=occurred,
            resource=payload,
        )

    def event_transaction_id(self, event: WebhookEvent) -> str | None:
        if event.event_type.startswith("v1/transactions") and event.resource_id:
            return event.resource_id
        return None
