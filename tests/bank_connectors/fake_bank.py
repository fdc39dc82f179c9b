"""A local bank API for the connector tests (``http.server`` on 127.0.0.1).

:class:`FakeBank` serves, in a thread, the endpoints the providers use:

* Memo Bank: ``GET /v2/transactions`` (``page_token`` pages), ``GET
  /v2/transactions/<id>``, ``POST /v2/ibans``, ``GET /v2/ibans``, ``POST
  /v2/transfers``. Every request must carry a valid RS256 JWT (signature checked with
  the public key; ``sub``, ``aud``, ``iat`` within 5 s, unique ``jti``, ``sec`` and, with
  a body, ``dig#S256``); every ``POST`` an ``Idempotency-Key``, replayed answers carrying
  ``Idempotent-Replayed: true`` (422 if the body differs).
* Qonto: ``GET /v2/transactions`` with ``Authorization: <login>:<secret>`` and
  ``current_page`` pages.

``fail_next`` queues answers (status codes) returned before the real one, to test
retries; ``requests`` records what was received. Invented data only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_rsa_key() -> tuple[str, rsa.RSAPublicKey]:
    """A fresh RSA key: (private key PEM, public key)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, key.public_key()


class FakeBank:
    """State and HTTP server of the fake bank."""

    def __init__(self, public_key=None, thumbprint="THUMB", secret_code="SEC",
                 qonto_login="agency", qonto_secret="qonto-secret"):
        self.public_key = public_key
        self.thumbprint = thumbprint
        self.secret_code = secret_code
        self.qonto_login = qonto_login
        self.qonto_secret = qonto_secret
        self.transactions: list[dict] = []
        self.ibans: list[dict] = []
        self.transfers: list[dict] = []
        self.requests: list[dict] = []
        self.fail_next: list[int] = []
        self.seen_jti: set[str] = set()
        self.idempotency: dict[str, tuple[bytes, int, dict]] = {}
        self.page_size = 2
        self.iban_counter = 0
        self.lock = threading.Lock()
        self.server = None
        self.thread = None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> str:
        """Start serving; return the base URL."""
        bank = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                bank.handle(self, "GET")

            def do_POST(self):
                bank.handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def reset(self):
        with self.lock:
            self.transactions, self.ibans, self.transfers = [], [], []
            self.requests, self.fail_next = [], []
            self.idempotency.clear()

    # -- request handling ---------------------------------------------------------------

    def handle(self, handler, method):
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {k: v for k, v in handler.headers.items()}
        record = {"method": method, "path": handler.path, "headers": headers, "body": body}
        with self.lock:
            self.requests.append(record)
            forced = self.fail_next.pop(0) if self.fail_next else None
        if forced:
            extra = {"Retry-After": "0"} if forced == 429 else {}
            return self.reply(handler, forced, {"code": "forced", "message": "try again"},
                              extra)
        try:
            status, data, extra = self.route(method, handler.path, headers, body, record)
        except AuthError as exc:
            status, data, extra = 401, {"code": "unauthorized", "message": str(exc)}, {}
        self.reply(handler, status, data, extra)

    @staticmethod
    def reply(handler, status, data, extra=None):
        payload = json.dumps(data).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        for key, value in (extra or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(payload)

    def route(self, method, path, headers, body, record):
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if headers.get("Authorization", "").startswith("Bearer "):
            record["claims"] = self.check_jwt(method, path, headers, body)
            if method == "POST":
                return self.idempotent(headers, body, lambda: self.memo_post(parts.path, body))
            return self.memo_get(parts.path, query)
        self.check_qonto(headers)
        return self.qonto_get(parts.path, query)

    # -- Memo Bank ------------------------------------------------------------------------

    def check_jwt(self, method, path, headers, body):
        token = headers["Authorization"][len("Bearer "):]
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
        except ValueError:
            raise AuthError("malformed JWT") from None
        header = json.loads(b64url_decode(header_b64))
        claims = json.loads(b64url_decode(claims_b64))
        try:
            self.public_key.verify(
                b64url_decode(signature_b64),
                f"{header_b64}.{claims_b64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            raise AuthError("bad signature") from None
        if header != {"alg": "RS256", "typ": "JWT", "x5t#S256": self.thumbprint}:
            raise AuthError(f"bad header {header}")
        if claims.get("sub") != f"{method} {path}":
            raise AuthError(f"bad sub {claims.get('sub')!r} for {method} {path}")
        if claims.get("aud") != "127.0.0.1":
            raise AuthError("bad aud")
        if abs(time.time() - claims.get("iat", 0)) > 5:
            raise AuthError("stale iat")
        if claims.get("sec") != self.secret_code:
            raise AuthError("bad sec")
        jti = claims.get("jti")
        with self.lock:
            if not jti or jti in self.seen_jti:
                raise AuthError("jti reused")
            self.seen_jti.add(jti)
        digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()
        if body and claims.get("dig#S256") != digest:
            raise AuthError("bad body digest")
        if not body and "dig#S256" in claims:
            raise AuthError("digest without body")
        return claims

    def idempotent(self, headers, body, action):
        key = headers.get("Idempotency-Key")
        if not key:
            return 400, {"code": "idempotency_key_required"}, {}
        with self.lock:
            if key in self.idempotency:
                previous_body, status, data = self.idempotency[key]
                if previous_body != body:
                    return 422, {"code": "idempotency_mismatch"}, {}
                return status, data, {"Idempotent-Replayed": "true"}
        status, data, extra = action()
        with self.lock:
            self.idempotency[key] = (body, status, data)
        return status, data, extra

    def memo_post(self, path, body):
        data = json.loads(body)
        if path == "/v2/ibans":
            with self.lock:
                self.iban_counter += 1
                number = self.iban_counter
            iban = {
                "id": str(uuid.uuid4()),
                "account_id": data["account_id"],
                "iban": self.make_iban(number),
                "name": data.get("name"),
                "status": "active",
                "type": "virtual",
                "allow_collections": data.get("allow_collections", False),
                "is_deleted": False,
            }
            self.ibans.append(iban)
            return 201, iban, {}
        if path == "/v2/transfers":
            transfer = {"id": str(uuid.uuid4()), "status": "scheduled", **data}
            self.transfers.append(transfer)
            return 201, transfer, {}
        return 404, {"code": "not_found"}, {}

    @staticmethod
    def make_iban(number: int) -> str:
        from schwifty import IBAN

        return str(IBAN.generate("FR", "17338", f"{900000 + number:011d}", branch_code="00007"))

    def memo_get(self, path, query):
        if path.startswith("/v2/transactions/"):
            tx_id = path.rsplit("/", 1)[1]
            for tx in self.transactions:
                if tx["id"] == tx_id:
                    return 200, tx, {}
            return 404, {"code": "not_found", "message": "no such transaction"}, {}
        if path == "/v2/transactions":
            return 200, self.page(self.transactions, query), {}
        if path == "/v2/ibans":
            return 200, self.page(self.ibans, query), {}
        return 404, {"code": "not_found"}, {}

    def page(self, items, query):
        start = int(query.get("page_token") or 0)
        size = min(int(query.get("size") or 10), self.page_size)
        chunk = items[start : start + size]
        more = start + size < len(items)
        return {"results": chunk, "has_next": more, "has_prev": start > 0,
                "next_page_token": str(start + size) if more else None}

    # -- Qonto ----------------------------------------------------------------------------

    def check_qonto(self, headers):
        if headers.get("Authorization") != f"{self.qonto_login}:{self.qonto_secret}":
            raise AuthError("bad Qonto key")

    def qonto_get(self, path, query):
        if path != "/v2/transactions":
            return 404, {"errors": [{"code": "not_found", "detail": "unknown"}]}, {}
        page = int(query.get("current_page") or 1)
        size = self.page_size
        items = [t for t in self.transactions if t.get("status") == query.get("status[]")]
        chunk = items[(page - 1) * size : page * size]
        more = page * size < len(items)
        return 200, {"transactions": chunk,
                     "meta": {"current_page": page, "next_page": page + 1 if more else None,
                              "per_page": size, "total_count": len(items)}}, {}


class AuthError(Exception):
    pass


def memo_transaction(tx_id, amount_cents, direction="credit", local_iban=None, status="confirmed",
                     day="2026-01-05", **source):
    """A Memo Bank transaction object (incoming SEPA transfer by default)."""
    return {
        "id": tx_id,
        "reference": f"REF-{tx_id}",
        "account_id": "acc-1",
        "amount": amount_cents,
        "direction": direction,
        "currency": "EUR",
        "local_iban": local_iban,
        "request_date": f"{day}T08:00:00Z",
        "execution_date": f"{day}T09:00:00Z",
        "accounting_date": f"{day}T09:00:00Z",
        "counterparty_name": source.pop("counterparty_name", "DUPONT MARIE"),
        "status": status,
        "source": {
            "type": "transfer_incoming",
            "transfer_type": "standard",
            "counterparty_iban": "FR7630004000010000055500044",
            "counterparty_bank_bic": "BNPAFRPPXXX",
            "message": "LOYER JANVIER 2026",
            "end_to_end_id": f"E2E-{tx_id}",
            **source,
        },
    }


def qonto_transaction(tx_id, amount_cents, side="credit", status="completed",
                      day="2026-01-05", reference="LOYER JANVIER"):
    """A Qonto transaction object."""
    return {
        "id": tx_id,
        "transaction_id": f"qonto-{tx_id}",
        "amount": amount_cents / 100,
        "amount_cents": amount_cents,
        "side": side,
        "currency": "EUR",
        "operation_type": "transfer",
        "status": status,
        "label": "DUPONT MARIE",
        "clean_counterparty_name": "DUPONT MARIE",
        "reference": reference,
        "note": None,
        "settled_at": f"{day}T10:00:00.000Z" if status == "completed" else None,
        "emitted_at": f"{day}T09:00:00.000Z",
        "transfer": {
            "counterparty_account_number": "FR7630004000010000055500044",
            "counterparty_account_number_format": "IBAN",
            "counterparty_bank_identifier": "BNPAFRPPXXX",
            "counterparty_bank_identifier_format": "SWIFT_BIC",
        },
    }
