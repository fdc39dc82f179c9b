"""Bank API connectors: HTTP client with retries, provider interface and registry.

Pure Python (``requests`` only, no Odoo). A provider class knows one bank's API:
how to authenticate a request, list and fetch transactions, create virtual IBANs,
initiate transfers, authenticate a webhook delivery and turn a bank transaction into
a :class:`~.statement_types.ParsedLine`, the same object the statement file parsers
produce, so that files and APIs feed Odoo through one mapping.

* :class:`BankHttpClient` sends requests with a timeout, retries network errors,
  ``5xx`` and ``429`` answers (and ``409`` on idempotent ``POST``) with exponential
  backoff, and sends one ``Idempotency-Key`` per logical ``POST`` (the same key on
  every retry).
* :class:`BankProvider` is the interface; :func:`register_provider` adds a class to
  :data:`PROVIDERS` (key = the connector's ``provider`` selection value).
* :class:`ConnectorConfig` carries what the Odoo record knows (URL, credentials).
* Errors: :class:`BankApiError` (HTTP or transport problem after retries) and
  :class:`WebhookRejected` (bad signature, stale timestamp, malformed event).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from .statement_types import ParsedLine

# ISO 4217 minor units that are not 2 (the rest of the world uses cents).
_MINOR_UNITS = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class BankApiError(Exception):
    """A bank API call failed (after retries when they apply).

    ``status`` is the HTTP status (``None`` for a transport error), ``code`` the
    bank's error code when its answer had one, ``retryable`` whether trying again
    later may succeed.
    """

    def __init__(self, message: str, status: int | None = None, code: str | None = None,
                 retryable: bool = False):
        super().__init__(message)
        self.status = status
        self.code = code
        self.retryable = retryable


class WebhookRejected(Exception):
    """A webhook delivery is refused. ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 401):
        super().__init__(message)
        self.status = status


@dataclass
class WebhookEvent:
    """An authenticated webhook delivery, reduced to what the event store needs.

    ``resource`` holds the transaction itself when the bank sends it in the event
    (a "fat" event): no API call is needed to process it.
    """

    event_id: str
    event_type: str
    resource_type: str | None = None
    resource_id: str | None = None
    occurred_at: datetime | None = None
    resource: dict | None = None


@dataclass
class ConnectorConfig:
    """Settings of one bank connection, as stored on the Odoo connector record."""

    base_url: str
    account_id: str | None = None
    account_iban: str | None = None
    credentials: dict[str, str] = field(default_factory=dict)
    timeout: float = 20.0
    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 30.0


@dataclass
class HttpResult:
    """A successful API answer: status, decoded JSON body (or ``None``), headers."""

    status: int
    data: Any
    headers: dict[str, str]
    attempts: int = 1


def minor_units(currency: str) -> int:
    """Number of decimals of ``currency`` (ISO 4217), 2 when not listed otherwise."""
    return _MINOR_UNITS.get((currency or "").upper(), 2)


def amount_from_minor(value: int | str, currency: str) -> Decimal:
    """Convert an integer amount in minor units (cents...) into a ``Decimal``."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"amount {value!r} is not an integer number of minor units")
    return Decimal(int(value)).scaleb(-minor_units(currency))


def amount_to_minor(amount: Decimal, currency: str) -> int:
    """Convert a ``Decimal`` amount into integer minor units; refuse extra decimals."""
    scaled = Decimal(amount).scaleb(minor_units(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} has more decimals than the currency allows")
    return int(scaled)


def parse_datetime(value: str | None) -> datetime | None:
    """Parse an ISO 8601 timestamp as sent by bank APIs (``Z`` accepted)."""
    if not value:
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)


def parse_day(value: str | None) -> date | None:
    """The date part of an ISO date or timestamp."""
    if not value:
        return None
    if len(value) == 10:
        return date.fromisoformat(value)
    parsed = parse_datetime(value)
    return parsed.date() if parsed else None


def reference_unique_id(account_key: str, reference: str) -> str:
    """Unique import id of a transaction identified by the bank's own reference.

    Same shape as the statement parsers' ids for lines with a bank reference
    (``<account>|ref|<reference>``): a transaction seen through the API and through
    a file carrying the same reference is imported once.
    """
    return f"{account_key or '-'}|ref|{reference}"


class BankHttpClient:
    """``requests`` wrapper: timeout, retries with exponential backoff, idempotency keys.

    ``auth_headers(method, path_with_query, body_bytes)`` is called before every
    attempt (signed tokens are single-use); ``sleep`` and ``jitter`` are injectable
    for tests.
    """

    def __init__(
        self,
        config: ConnectorConfig,
        auth_headers: Callable[[str, str, bytes], dict[str, str]],
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ):
        self.config = config
        self.auth_headers = auth_headers
        self.session = session or requests.Session()
        self.sleep = sleep
        self.jitter = jitter

    def url(self, path: str, params: dict | None = None) -> tuple[str, str]:
        """Return ``(full URL, path with query)`` for ``path`` and query ``params``."""
        query = urlencode([(k, v) for k, v in (params or {}).items() if v is not None])
        path_query = path + ("?" + query if query else "")
        base = self.config.base_url.rstrip("/")
        base_path = urlsplit(base).path
        return base + path_query, base_path + path_query

    def _delay(self, attempt: int, response: requests.Response | None) -> float:
        """Seconds to wait before retry ``attempt`` (1-based)."""
        delay = self.config.backoff_base * (2 ** (attempt - 1))
        if response is not None:
            hint = response.headers.get("Retry-After") or response.headers.get("RateLimit-Reset")
            if hint and hint.strip().isdigit():
                delay = max(delay, float(hint.strip()))
        delay = min(delay, self.config.backoff_max)
        return delay * (1 + 0.1 * self.jitter())

    def request(
        self,
        method: str,
        path: str,
        params: dict | None = None,
        json_body: Any = None,
        idempotency_key: str | None = None,
    ) -> HttpResult:
        """Send a request, retrying what is safe to retry; return the decoded answer.

        A ``POST`` always carries an ``Idempotency-Key`` (``idempotency_key`` or a new
        UUID 4), identical on every attempt, so that a retried creation is never
        executed twice by the bank.
        """
        method = method.upper()
        url, path_query = self.url(path, params)
        body = b""
        headers = {"Accept": "application/json"}
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        if method == "POST":
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        retry_statuses = RETRY_STATUSES | ({409} if method == "POST" else set())
        attempts = self.config.max_retries + 1
        for attempt in range(1, attempts + 1):
            response = None
            try:
                response = self.session.request(
                    method,
                    url,
                    data=body or None,
                    headers={**headers, **self.auth_headers(method, path_query, body)},
                    timeout=self.config.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == attempts:
                    raise BankApiError(
                        f"{method} {path}: the bank did not answer ({exc.__class__.__name__}) "
                        f"after {attempts} attempts.",
                        retryable=True,
                    ) from None
            else:
                if response.status_code < 300:
                    return HttpResult(
                        response.status_code, _decode(response), dict(response.headers), attempt
                    )
                if response.status_code not in retry_statuses or attempt == attempts:
                    raise _error_from(method, path, response)
            self.sleep(self._delay(attempt, response))
        raise AssertionError("unreachable")  # pragma: no cover


def _decode(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise BankApiError(
            f"The bank answered {response.status_code} with a body that is not JSON.",
            status=response.status_code,
        ) from None


def _error_from(method: str, path: str, response: requests.Response) -> BankApiError:
    code = message = None
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        code = data.get("code") or data.get("error")
        message = data.get("message") or data.get("error_description")
        if not message and isinstance(data.get("errors"), list) and data["errors"]:
            first = data["errors"][0]
            message = first.get("detail") or first.get("message") if isinstance(first, dict) \
                else str(first)
    status = response.status_code
    text = f"{method} {path}: the bank answered {status}"
    if code:
        text += f" ({code})"
    if message:
        text += f": {message}"
    return BankApiError(text + ".", status=status, code=code,
                        retryable=status in RETRY_STATUSES)


class BankProvider:
    """Interface of a bank API provider; one subclass per bank.

    Subclasses set ``code`` (the connector's ``provider`` value), ``name`` and
    ``webhook_auth`` (default webhook authentication: ``"bearer"``,
    ``"shared_secret"`` or ``"hmac"``), and implement the methods they support;
    the others raise :class:`NotImplementedError` with a clear message.
    """

    code = ""
    name = ""
    webhook_auth = "bearer"
    supports_virtual_ibans = False
    supports_transfers = False

    def __init__(self, config: ConnectorConfig, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.config = config
        self.http = BankHttpClient(config, self.auth_headers, session=session, sleep=sleep)

    # -- requests ------------------------------------------------------------------

    def auth_headers(self, method: str, path_query: str, body: bytes) -> dict[str, str]:
        """Authentication headers of one request attempt."""
        raise NotImplementedError

    def credential(self, key: str) -> str:
        """A required credential, or :class:`BankApiError` naming what is missing."""
        value = self.config.credentials.get(key)
        if not value:
            raise BankApiError(f"{self.name}: the credential '{key}' is not configured.")
        return value

    # -- transactions ------------------------------------------------------------------

    def iter_transactions(self, since: datetime | None = None,
                          until: datetime | None = None) -> Iterator[dict]:
        """Every transaction of the account executed in ``[since, until)``, all pages."""
        raise NotImplementedError(f"{self.name} cannot list transactions.")

    def get_transaction(self, transaction_id: str) -> dict:
        """One transaction by its bank id."""
        raise NotImplementedError(f"{self.name} cannot fetch one transaction.")

    def is_booked(self, transaction: dict) -> bool:
        """Whether the transaction is final and belongs on a bank statement."""
        raise NotImplementedError

    def transaction_to_line(self, transaction: dict, account_key: str) -> ParsedLine:
        """The statement line of a booked transaction (same type as the file parsers)."""
        raise NotImplementedError

    # -- virtual IBANs and transfers ---------------------------------------------------

    def create_virtual_iban(self, label: str, idempotency_key: str | None = None) -> dict:
        """Create a virtual IBAN; return ``{"iban", "provider_ref", "label"}``."""
        raise NotImplementedError(f"{self.name} cannot create virtual IBANs.")

    def iter_virtual_ibans(self) -> Iterator[dict]:
        """Every virtual IBAN of the account as ``{"iban", "provider_ref", "label"}``."""
        raise NotImplementedError(f"{self.name} cannot list virtual IBANs.")

    def create_transfer(self, transfer: dict, idempotency_key: str) -> dict:
        """Initiate a credit transfer; return the bank's transfer object."""
        raise NotImplementedError(f"{self.name} cannot initiate transfers.")

    # -- webhooks ------------------------------------------------------------------------

    def parse_event(self, body: bytes) -> WebhookEvent:
        """Decode an (already authenticated) webhook body."""
        raise NotImplementedError

    def event_transaction_id(self, event: WebhookEvent) -> str | None:
        """Id of the transaction an event is about (``None``: nothing to import)."""
        return None

    def event_needs_fetch(self, event: WebhookEvent) -> bool:
        """Whether processing the event calls the bank (thin event)."""
        return event.resource is None


def decode_json_object(body: bytes, what: str = "webhook body") -> dict:
    """Decode a JSON object or raise :class:`WebhookRejected` (400)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected(f"The {what} is not valid JSON.", status=400) from None
    if not isinstance(data, dict):
        raise WebhookRejected(f"The {what} is not a JSON object.", status=400)
    return data


PROVIDERS: dict[str, type[BankProvider]] = {}


def register_provider(provider_class: type[BankProvider]) -> type[BankProvider]:
    """Register ``provider_class`` under its ``code`` (usable as a class decorator)."""
    if not provider_class.code:
        raise ValueError("A bank provider needs a code.")
    PROVIDERS[provider_class.code] = provider_class
    return provider_class


def get_provider_class(code: str) -> type[BankProvider]:
    """The provider class registered under ``code``."""
    try:
        return PROVIDERS[code]
    except KeyError:
        raise BankApiError(f"No bank provider is registered under {code!r}.") from None
