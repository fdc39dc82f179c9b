"""A local HTTP server playing the SMS providers, for the tests (127.0.0.1 only).

It implements the documented endpoints the gateways call, and checks their
authentication as the real providers do:

- OVHcloud: ``GET /1.0/auth/time``; ``POST /1.0/sms/<service>/jobs`` and
  ``GET /1.0/sms/<service>/outgoing?tag=`` with the ``X-Ovh-*`` headers, the signature
  being recomputed from the application secret and consumer key;
- Twilio: ``POST /2010-04-01/Accounts/<sid>/Messages.json`` with HTTP Basic auth;
- Brevo: ``POST /v3/transactionalSMS/send`` with the ``api-key`` header.

Tests script failures with :meth:`FakeGateways.script` (``("status", 503)``, ``("drop",)``
to close the connection after reading the request without processing it,
``("process_drop",)`` to process it and close the connection without answering (the
answer is lost), ``("sleep", seconds)``) and read what was received in
:attr:`FakeGateways.received`. This module is a test helper: it imports
nothing from Odoo and is loaded by the database-free tests too.
"""

import base64
import hashlib
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

OVH_AK, OVH_AS, OVH_CK, OVH_SERVICE = "test-ak", "test-as", "test-ck", "sms-ab12345-1"
TWILIO_SID, TWILIO_TOKEN = "AC0123456789abcdef0123456789abcdef", "twilio-token"
BREVO_KEY = "xkeysib-test"
#: Numbers the fake providers refuse as invalid receivers.
REFUSED_NUMBERS = {"+33699999999"}


class FakeGateways:
    """Start with :meth:`start`, stop with :meth:`stop`; :attr:`url` is the base URL."""

    def __init__(self):
        self.received = []
        self._script = []
        self._ids = itertools.count(1000)
        self._by_tag = {}
        self._lock = threading.Lock()
        self.server = None
        self.thread = None

    # -- control -------------------------------------------------------------------------

    def start(self):
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def script(self, *behaviours):
        """Queue behaviours for the next requests (one per request, then normal)."""
        with self._lock:
            self._script.extend(behaviours)

    def reset(self):
        with self._lock:
            self.received.clear()
            self._script.clear()
            self._by_tag.clear()

    def sent(self, provider=None):
        """The messages accepted so far (optionally of one provider)."""
        return [r for r in self.received if r["accepted"] and provider in (None, r["provider"])]

    # -- used by the handler ---------------------------------------------------------------

    def next_behaviour(self):
        with self._lock:
            return self._script.pop(0) if self._script else None

    def new_id(self):
        return next(self._ids)


class _Handler(BaseHTTPRequestHandler):
    fake = None
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output clean
        pass

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(self, status, payload, content_type="application/json"):
        if getattr(self, "_lose_answer", False):
            self.close_connection = True
            self.connection.close()
            return
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up waiting (read-timeout tests): nothing to answer to.
            self.close_connection = True

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _dispatch(self, method):
        self._lose_answer = False
        body = self._body()
        path = urlsplit(self.path).path
        if method == "GET" and path == "/1.0/auth/time":
            return self._reply(200, str(int(time.time())).encode(), "text/plain")
        behaviour = self.fake.next_behaviour()
        self._lose_answer = bool(behaviour and behaviour[0] == "process_drop")
        if behaviour and behaviour[0] == "drop":
            self.close_connection = True
            self.connection.close()
            return None
        if behaviour and behaviour[0] == "sleep":
            time.sleep(behaviour[1])
        if behaviour and behaviour[0] == "status":
            self._record(path, body, provider=None, accepted=False)
            return self._reply(behaviour[1], {"message": "scripted failure"})
        if path.startswith("/1.0/sms/"):
            return self._ovh(method, path, body)
        if path.startswith("/2010-04-01/Accounts/"):
            return self._twilio(path, body)
        if path == "/v3/transactionalSMS/send":
            return self._brevo(body)
        return self._reply(404, {"message": "not found"})

    def _record(self, path, body, provider, accepted, **extra):
        entry = {"path": path, "body": body, "provider": provider, "accepted": accepted,
                 "headers": dict(self.headers), **extra}
        self.fake.received.append(entry)
        return entry

    # -- OVHcloud ---------------------------------------------------------------------------

    def _ovh_authenticated(self, method, body):
        url = f"{self.fake.url}{self.path}"
        timestamp = self.headers.get("X-Ovh-Timestamp", "")
        payload = "+".join([OVH_AS, OVH_CK, method, url, body.decode(), timestamp])
        expected = "$1$" + hashlib.sha1(payload.encode()).hexdigest()
        fresh = timestamp.isdigit() and abs(int(timestamp) - time.time()) < 180
        return (
            self.headers.get("X-Ovh-Application") == OVH_AK
            and self.headers.get("X-Ovh-Consumer") == OVH_CK
            and self.headers.get("X-Ovh-Signature") == expected
            and fresh
        )

    def _ovh(self, method, path, body):
        if not self._ovh_authenticated(method, body):
            self._record(path, body, "ovh", False)
            return self._reply(
                403, {"message": "Invalid signature", "errorCode": "INVALID_SIGNATURE"}
            )
        service = path.split("/")[3]
        if service != OVH_SERVICE:
            return self._reply(404, {"message": "This service does not exist"})
        if method == "GET" and path.endswith("/outgoing"):
            tag = parse_qs(urlsplit(self.path).query).get("tag", [""])[0]
            return self._reply(200, self.fake._by_tag.get(tag, []))
        data = json.loads(body)
        if not data.get("noStopClause"):
            return self._reply(400, {"message": "dunning messages must set noStopClause"})
        valid = [n for n in data["receivers"] if n not in REFUSED_NUMBERS]
        invalid = [n for n in data["receivers"] if n in REFUSED_NUMBERS]
        ids = [self.fake.new_id() for _ in valid]
        if ids and data.get("tag"):
            self.fake._by_tag.setdefault(data["tag"], []).extend(ids)
        self._record(path, body, "ovh", bool(ids), json=data, ids=ids)
        return self._reply(200, {"totalCreditsRemoved": len(ids), "invalidReceivers": invalid,
                                 "validReceivers": valid, "ids": ids, "tag": data.get("tag")})

    # -- Twilio -------------------------------------------------------------------------------

    def _twilio(self, path, body):
        expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        if self.headers.get("Authorization") != expected or TWILIO_SID not in path:
            self._record(path, body, "twilio", False)
            return self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("To") in REFUSED_NUMBERS:
            self._record(path, body, "twilio", False, form=form)
            return self._reply(400, {"code": 21211, "status": 400,
                                     "message": f"The 'To' number {form['To']} is not valid."})
        sid = f"SM{self.fake.new_id():032d}"
        self._record(path, body, "twilio", True, form=form, sid=sid)
        return self._reply(201, {"sid": sid, "status": "queued", "to": form.get("To")})

    # -- Brevo ------------------------------------------------------------------------------

    def _brevo(self, body):
        if self.headers.get("api-key") != BREVO_KEY:
            self._record("/v3/transactionalSMS/send", body, "brevo", False)
            return self._reply(401, {"code": "unauthorized", "message": "Key not found"})
        data = json.loads(body)
        if f"+{data.get('recipient')}" in REFUSED_NUMBERS:
            return self._reply(400, {"code": "invalid_parameter",
                                     "message": "Invalid recipient number"})
        message_id = self.fake.new_id()
        self._record("/v3/transactionalSMS/send", body, "brevo", True, json=data,
                     message_id=message_id)
        return self._reply(201, {"messageId": message_id})
