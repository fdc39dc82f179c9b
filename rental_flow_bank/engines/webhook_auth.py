"""Authentication of bank webhook deliveries (pure Python, standard library only).

Three schemes are used by banks:

* ``bearer``: ``Authorization: Bearer <token>`` with the token the bank gave when the
  webhook was registered (Memo Bank). We keep only a SHA-256 digest of the token
  (:func:`token_digest`), so the secret is not readable back from the database.
* ``shared_secret``: a header carrying a secret verbatim (Swan's ``x-swan-secret``);
  also stored as a digest.
* ``hmac``: ``HMAC-SHA256(secret, "<timestamp>.<raw body>")`` in a header
  ``t=<unix timestamp>,v1=<hex digest>`` (Qonto); the timestamp is signed, so a
  delivery older than the tolerance is refused (replay of a captured request).

Every comparison is constant-time (:func:`hmac.compare_digest`). Each function raises
:class:`~.bank_connector_base.WebhookRejected` with a message and an HTTP status.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from .bank_connector_base import WebhookRejected

DEFAULT_TOLERANCE = 300  # seconds


def token_digest(token: str) -> str:
    """Hex SHA-256 of a webhook token/secret (what is stored instead of the secret)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _header(headers: dict[str, str], name: str) -> str:
    """Header value, case-insensitively ('' when absent)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value or ""
    return ""


def verify_bearer(headers: dict[str, str], expected_digest: str) -> None:
    """Check ``Authorization: Bearer <token>`` against the stored token digest."""
    if not expected_digest:
        raise WebhookRejected("No webhook token is configured for this connector.", 401)
    value = _header(headers, "Authorization")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise WebhookRejected("Missing bearer token.", 401)
    if not hmac.compare_digest(token_digest(token.strip()), expected_digest):
        raise WebhookRejected("Invalid bearer token.", 401)


def verify_shared_secret(headers: dict[str, str], header_name: str, expected_digest: str) -> None:
    """Check a header that carries the shared secret verbatim."""
    if not expected_digest or not header_name:
        raise WebhookRejected("No webhook secret is configured for this connector.", 401)
    value = _header(headers, header_name)
    if not value:
        raise WebhookRejected(f"Missing {header_name} header.", 401)
    if not hmac.compare_digest(token_digest(value), expected_digest):
        raise WebhookRejected(f"Invalid {header_name} header.", 401)


def hmac_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>.<body>"`` with ``secret``."""
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def parse_signature_header(value: str) -> tuple[str, list[str]]:
    """Split ``t=<ts>,v1=<sig>[,v1=<sig2>]`` into ``(timestamp, [signatures])``."""
    timestamp, signatures = "", []
    for part in (value or "").split(","):
        key, _, item = part.strip().partition("=")
        if key == "t":
            timestamp = item.strip()
        elif key == "v1" and item.strip():
            signatures.append(item.strip())
    if not timestamp.isdigit() or not signatures:
        raise WebhookRejected("Malformed signature header (expected t=...,v1=...).", 401)
    return timestamp, signatures


def verify_hmac(
    headers: dict[str, str],
    body: bytes,
    secret: str,
    header_name: str,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> int:
    """Check a timestamped HMAC-SHA256 signature; return the signed timestamp.

    Refuses a missing or malformed header, a timestamp further than ``tolerance``
    seconds from ``now`` (in the past or the future) and a signature that does not
    match (any of the ``v1`` values may match, for secret rotation).
    """
    if not secret:
        raise WebhookRejected("No webhook signing secret is configured for this connector.", 401)
    timestamp, signatures = parse_signature_header(_header(headers, header_name))
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        raise WebhookRejected(
            f"Stale webhook: signed {int(current - int(timestamp))} s ago "
            f"(tolerance {tolerance} s).",
            401,
        )
    expected = hmac_signature(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise WebhookRejected("Invalid webhook signature.", 401)
    return int(timestamp)
