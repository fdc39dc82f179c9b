"""HTTP clients of the SMS providers and the checks of their delivery reports.

Each gateway sends one :class:`OutgoingSms` and returns a :class:`SendResult` whose
``status`` tells the caller what to do next:

- ``sent``: the provider accepted the message (``provider_id`` is its message id);
- ``failed``: refused for good (bad number, no credit, bad credentials...): do not retry;
- ``retry``: the provider could not take it *and did not*: a connection error before the
  request reached it, a 5xx or a 429. Safe to send again later;
- ``unknown``: the request may have been processed (the answer was lost: read timeout,
  gateway timeout). Sending again could send twice: the caller first asks the provider
  (:meth:`BaseGateway.lookup`, where the provider can search by our reference) and
  otherwise reports the message as failed with an "unknown outcome" rather than risk a
  duplicate.

``error_code`` is one of ``number_format``, ``not_mobile``, ``credit``, ``auth``,
``server``, ``timeout``, ``rejected``, ``optout`` (the Odoo glue maps them to ``sms.sms``
failure types).

Providers (APIs as documented by each provider, see shared/research/standards.md §5):

- **OVHcloud** REST API ``POST /sms/{serviceName}/jobs``, signed requests
  (``X-Ovh-Signature = "$1$" + sha1(AS+CK+METHOD+URL+BODY+TIMESTAMP)`` joined by ``+``,
  timestamp corrected by ``GET /auth/time``); ``noStopClause`` for non-marketing messages;
  our reference goes in ``tag`` so that :meth:`OvhGateway.lookup` can find a message
  after an ambiguous failure (``GET /sms/{serviceName}/outgoing?tag=``). Delivery reports
  come to the SMS account's callback URL with ``id`` and ``dlr``.
- **Twilio** ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` (form-encoded, HTTP
  Basic auth) with a ``StatusCallback`` per message, signed by Twilio with
  ``X-Twilio-Signature`` (:func:`twilio_signature`).
- **Brevo** ``POST /v3/transactionalSMS/send`` (``api-key`` header) with ``webUrl`` per
  message for the delivery reports.

Delivery reports are normalised by :func:`normalize_report` to ``accepted`` (handed to the
carrier), ``delivered``, ``failed`` or ``unknown``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from urllib3.exceptions import MaxRetryError, ProtocolError

__all__ = [
    "DELIVERY_STATES",
    "BaseGateway",
    "BrevoGateway",
    "GatewayConfig",
    "OutgoingSms",
    "OvhGateway",
    "SendResult",
    "TwilioGateway",
    "backoff_seconds",
    "get_gateway_class",
    "normalize_report",
    "ovh_signature",
    "twilio_signature",
    "verify_twilio_signature",
]

#: Normalised delivery-report states.
DELIVERY_STATES = ("accepted", "delivered", "failed", "unknown")


@dataclass(frozen=True)
class OutgoingSms:
    """One SMS to send: our reference (unique, used for idempotency), number, text."""

    ref: str
    number: str
    body: str
    callback_url: str | None = None


@dataclass(frozen=True)
class SendResult:
    """What became of one SMS (see the module doc for ``status``)."""

    ref: str
    status: str
    provider_id: str | None = None
    error_code: str | None = None
    error: str = ""
    credits: Decimal | None = None


@dataclass(frozen=True)
class GatewayConfig:
    """Provider settings. ``login``/``secret``/``consumer_key`` depend on the provider:

    - OVH: application key / application secret / consumer key, ``account`` = the SMS
      service name (``sms-ab12345-1``);
    - Twilio: account SID / auth token, ``account`` unused, ``messaging_service`` = an
      optional Messaging Service SID used instead of ``sender``;
    - Brevo: ``secret`` = the API key.
    """

    endpoint: str = ""
    login: str = ""
    secret: str = ""
    consumer_key: str = ""
    account: str = ""
    sender: str = ""
    messaging_service: str = ""
    timeout: float = 10.0


def backoff_seconds(attempt, base=60, cap=6 * 3600):
    """Delay before retry number ``attempt`` (1-based): base, 2 x base, 4 x base... capped."""
    if attempt < 1:
        raise ValueError("attempts are counted from 1")
    return min(cap, base * 2 ** (attempt - 1))


def _reached_provider(exc):
    """Whether a connection error happened after the request was sent."""
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, ProtocolError)


def _json(response):
    try:
        return response.json()
    except ValueError:
        return {}


class BaseGateway:
    """Common HTTP handling. Subclasses implement :meth:`_request` and :meth:`_parse`."""

    kind = ""
    default_endpoint = ""
    #: Whether :meth:`lookup` can find a message by our reference (provider-side idempotency).
    supports_lookup = False

    def __init__(self, config, session=None):
        self.config = config
        self.session = session or requests.Session()

    @property
    def endpoint(self):
        return (self.config.endpoint or self.default_endpoint).rstrip("/")

    def send(self, message):
        """Send ``message``; never raises for provider or network errors."""
        try:
            response = self._request(message)
        except requests.exceptions.ConnectTimeout as exc:
            return SendResult(message.ref, "retry", error_code="timeout", error=str(exc))
        except requests.exceptions.ConnectionError as exc:
            if _reached_provider(exc):
                # The request went out and the connection dropped before the answer.
                return SendResult(message.ref, "unknown", error_code="server", error=str(exc))
            # Refused or unreachable: nothing reached the provider.
            return SendResult(message.ref, "retry", error_code="server", error=str(exc))
        except requests.exceptions.Timeout as exc:
            # The request was sent but the answer did not come back: it may be processed.
            return SendResult(message.ref, "unknown", error_code="timeout", error=str(exc))
        except requests.exceptions.RequestException as exc:
            return SendResult(message.ref, "unknown", error_code="server", error=str(exc))
        return self._classify(message, response)

    def _classify(self, message, response):
        status = response.status_code
        if 200 <= status < 300:
            return self._parse(message, _json(response))
        detail = f"HTTP {status}: {response.text[:300]}"
        if status == 504:
            return SendResult(message.ref, "unknown", error_code="timeout", error=detail)
        if status in (429,) or status >= 500:
            return SendResult(message.ref, "retry", error_code="server", error=detail)
        if status in (401, 403):
            return SendResult(message.ref, "failed", error_code="auth", error=detail)
        if status == 402:
            return SendResult(message.ref, "failed", error_code="credit", error=detail)
        return SendResult(
            message.ref, "failed", error_code=self._client_error_code(response), error=detail
        )

    def _client_error_code(self, response):
        return "rejected"

    def lookup(self, ref):
        """The provider's id of a message sent with reference ``ref``, or None."""
        return None

    def _request(self, message):  # pragma: no cover - abstract
        raise NotImplementedError

    def _parse(self, message, data):  # pragma: no cover - abstract
        raise NotImplementedError


# -- OVHcloud --------------------------------------------------------------------------


def ovh_signature(application_secret, consumer_key, method, url, body, timestamp):
    """OVH API request signature: ``"$1$" + sha1(AS+CK+METHOD+URL+BODY+TS)`` joined by '+'."""
    payload = "+".join(
        [application_secret, consumer_key, method.upper(), url, body, str(timestamp)]
    )
    return "$1$" + hashlib.sha1(payload.encode("utf-8")).hexdigest()


class OvhGateway(BaseGateway):
    """OVHcloud SMS through the signed REST API."""

    kind = "ovh"
    default_endpoint = "https://eu.api.ovh.com/1.0"
    supports_lookup = True

    def __init__(self, config, session=None):
        super().__init__(config, session)
        self._time_delta = None

    def _timestamp(self):
        if self._time_delta is None:
            response = self.session.get(f"{self.endpoint}/auth/time", timeout=self.config.timeout)
            try:
                response.raise_for_status()
                server_time = int(response.text.strip())
            except (requests.exceptions.HTTPError, ValueError) as exc:
                # Nothing was sent yet: report it as a connection problem (safe to retry).
                raise requests.exceptions.ConnectionError(
                    f"OVH time endpoint unavailable: {exc}"
                ) from exc
            self._time_delta = server_time - int(time.time())
        return int(time.time()) + self._time_delta

    def _signed(self, method, url, body=""):
        timestamp = self._timestamp()
        headers = {
            "X-Ovh-Application": self.config.login,
            "X-Ovh-Consumer": self.config.consumer_key,
            "X-Ovh-Timestamp": str(timestamp),
            "X-Ovh-Signature": ovh_signature(
                self.config.secret, self.config.consumer_key, method, url, body, timestamp
            ),
        }
        if body:
            headers["Content-Type"] = "application/json"
        return self.session.request(
            method, url, data=body.encode("utf-8") if body else None, headers=headers,
            timeout=self.config.timeout,
        )

    def _jobs_url(self):
        return f"{self.endpoint}/sms/{self.config.account}/jobs"

    def _request(self, message):
        payload = {
            "message": message.body,
            "receivers": [message.number],
            "noStopClause": True,
            "priority": "high",
            "validityPeriod": 2880,
            "tag": message.ref,
        }
        if self.config.sender:
            payload["sender"] = self.config.sender
        else:
            payload["senderForResponse"] = True
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        return self._signed("POST", self._jobs_url(), body)

    def _parse(self, message, data):
        invalid = data.get("invalidReceivers") or []
        ids = data.get("ids") or []
        if invalid or not ids:
            return SendResult(
                message.ref, "failed", error_code="number_format",
                error=f"OVH refused the receiver(s) {invalid or [message.number]}",
            )
        credits = None
        if data.get("totalCreditsRemoved") is not None:
            try:
                credits = Decimal(str(data["totalCreditsRemoved"]))
            except InvalidOperation:
                credits = None
        return SendResult(message.ref, "sent", provider_id=str(ids[0]), credits=credits)

    def _client_error_code(self, response):
        text = response.text.lower()
        if "receiver" in text or "number" in text:
            return "number_format"
        if "credit" in text:
            return "credit"
        return "rejected"

    def lookup(self, ref):
        url = f"{self.endpoint}/sms/{self.config.account}/outgoing?{urlencode({'tag': ref})}"
        response = self._signed("GET", url)
        response.raise_for_status()
        ids = _json(response) or []
        return str(ids[0]) if ids else None


# -- Twilio ----------------------------------------------------------------------------


def twilio_signature(auth_token, url, params):
    """Twilio's ``X-Twilio-Signature``: base64(HMAC-SHA1(token, url + sorted key+value))."""
    data = url
    for key in sorted(params):
        values = params[key]
        if isinstance(values, list | tuple):
            data += "".join(f"{key}{value}" for value in values)
        else:
            data += f"{key}{values}"
    digest = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _url_variants(url):
    """The URL as given, and with/without the default port (proxies differ on it)."""
    parts = urlsplit(url)
    variants = [url]
    default_port = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    if parts.port is None and default_port:
        variants.append(urlunsplit(parts._replace(netloc=f"{host}:{default_port}")))
    elif parts.port == default_port:
        variants.append(urlunsplit(parts._replace(netloc=host)))
    return variants


def verify_twilio_signature(auth_token, url, params, signature):
    """Constant-time check of a Twilio callback's ``X-Twilio-Signature``."""
    if not (auth_token and signature):
        return False
    return any(
        hmac.compare_digest(twilio_signature(auth_token, variant, params), signature)
        for variant in _url_variants(url)
    )


class TwilioGateway(BaseGateway):
    """Twilio Programmable Messaging."""

    kind = "twilio"
    default_endpoint = "https://api.twilio.com/2010-04-01"

    #: Twilio error codes (https://www.twilio.com/docs/api/errors) -> our error codes.
    ERROR_CODES = {
        21211: "number_format",  # invalid 'To' phone number
        21614: "not_mobile",  # 'To' number is not a valid mobile number
        21408: "rejected",  # permission to send to this region not enabled
        21610: "optout",  # recipient replied STOP
        20003: "auth",  # authentication failed
        21606: "rejected",  # 'From' number not valid for this account
    }

    def _request(self, message):
        data = {"To": message.number, "Body": message.body}
        if self.config.messaging_service:
            data["MessagingServiceSid"] = self.config.messaging_service
        else:
            data["From"] = self.config.sender
        if message.callback_url:
            data["StatusCallback"] = message.callback_url
        url = f"{self.endpoint}/Accounts/{self.config.login}/Messages.json"
        return self.session.post(
            url, data=data, auth=(self.config.login, self.config.secret),
            timeout=self.config.timeout,
        )

    def _parse(self, message, data):
        sid = data.get("sid")
        if not sid:
            return SendResult(message.ref, "unknown", error_code="server",
                              error="Twilio answered without a message SID")
        if data.get("status") == "failed":
            return SendResult(message.ref, "failed", provider_id=sid, error_code="rejected",
                              error=str(data.get("error_message") or ""))
        return SendResult(message.ref, "sent", provider_id=sid)

    def _client_error_code(self, response):
        code = _json(response).get("code")
        return self.ERROR_CODES.get(code, "rejected")


# -- Brevo -----------------------------------------------------------------------------


class BrevoGateway(BaseGateway):
    """Brevo (ex-Sendinblue) transactional SMS."""

    kind = "brevo"
    default_endpoint = "https://api.brevo.com/v3"

    def _request(self, message):
        payload = {
            "sender": self.config.sender,
            "recipient": message.number.lstrip("+"),
            "content": message.body,
            "type": "transactional",
            "tag": message.ref,
            "unicodeEnabled": any(ord(char) > 127 for char in message.body),
        }
        if message.callback_url:
            payload["webUrl"] = message.callback_url
        return self.session.post(
            f"{self.endpoint}/transactionalSMS/send",
            json=payload,
            headers={"api-key": self.config.secret, "accept": "application/json"},
            timeout=self.config.timeout,
        )

    def _parse(self, message, data):
        message_id = data.get("messageId")
        if message_id in (None, ""):
            return SendResult(message.ref, "unknown", error_code="server",
                              error="Brevo answered without a messageId")
        credits = data.get("usedCredits")
        return SendResult(
            message.ref, "sent", provider_id=str(message_id),
            credits=Decimal(str(credits)) if credits is not None else None,
        )

    def _client_error_code(self, response):
        text = response.text.lower()
        if "recipient" in text or "number" in text:
            return "number_format"
        return "rejected"


_GATEWAYS = {cls.kind: cls for cls in (OvhGateway, TwilioGateway, BrevoGateway)}


def get_gateway_class(kind):
    """The gateway class of provider ``kind`` (``ovh``, ``twilio``, ``brevo``)."""
    try:
        return _GATEWAYS[kind]
    except KeyError:
        raise ValueError(f"no HTTP SMS gateway for provider {kind!r}") from None


# -- delivery reports ------------------------------------------------------------------

_OVH_DLR = {"1": "delivered", "2": "failed", "4": "accepted", "8": "accepted", "16": "failed"}
_TWILIO_STATUS = {
    "accepted": "accepted", "scheduled": "accepted", "queued": "accepted",
    "sending": "accepted", "sent": "accepted", "delivered": "delivered", "read": "delivered",
    "undelivered": "failed", "failed": "failed", "canceled": "failed",
}
_BREVO_STATUS = {
    "sent": "accepted", "accepted": "accepted", "delivered": "delivered",
    "soft_bounce": "failed", "softbounce": "failed", "soft_bounces": "failed",
    "hard_bounce": "failed", "hardbounce": "failed", "hard_bounces": "failed",
    "rejected": "failed", "skip": "failed", "blocked": "failed",
}


def normalize_report(kind, payload):
    """``(provider message id, state, detail)`` of a delivery report of provider ``kind``.

    ``payload`` is the callback's parameters (query/form fields or JSON object). Raises
    ValueError when the report names no message.
    """
    if kind == "ovh":
        message_id = str(payload.get("id") or "").strip()
        raw = str(payload.get("dlr") or "").strip()
        state = _OVH_DLR.get(raw, "unknown")
        detail = str(payload.get("description") or f"dlr={raw}")
    elif kind == "twilio":
        message_id = str(payload.get("MessageSid") or payload.get("SmsSid") or "").strip()
        raw = str(payload.get("MessageStatus") or payload.get("SmsStatus") or "").lower()
        state = _TWILIO_STATUS.get(raw, "unknown")
        error = payload.get("ErrorCode")
        detail = f"{raw} (error {error})" if error else raw
    elif kind == "brevo":
        message_id = str(payload.get("messageId") or payload.get("message_id") or "").strip()
        raw = str(payload.get("msg_status") or payload.get("event") or "").lower()
        state = _BREVO_STATUS.get(raw, "unknown")
        detail = str(payload.get("reason") or raw)
    else:
        raise ValueError(f"no delivery reports for provider {kind!r}")
    if not message_id:
        raise ValueError("the delivery report names no message")
    return message_id, state, detail
