"""Tests of the SMS gateways against a local server implementing the providers' endpoints."""

import importlib.util
import json
import os
from decimal import Decimal

import pytest
import requests

from odoo.addons.rental_flow_dunning.engines import sms_gateways as gw
from odoo.addons.rental_flow_dunning.engines.secrets import SecretBox, SecretError

_FAKE = os.path.join(
    os.path.dirname(__file__), "..", "..", "rental_flow_dunning", "tests", "fake_gateways.py"
)
_spec = importlib.util.spec_from_file_location("dunning_fake_gateways", _FAKE)
fake_gateways = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fake_gateways)


@pytest.fixture(scope="module")
def server():
    fake = fake_gateways.FakeGateways().start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def _reset(server):
    server.reset()


def ovh(server, **overrides):
    values = dict(endpoint=f"{server.url}/1.0", login=fake_gateways.OVH_AK,
                  secret=fake_gateways.OVH_AS, consumer_key=fake_gateways.OVH_CK,
                  account=fake_gateways.OVH_SERVICE, sender="AGENCE", timeout=2)
    values.update(overrides)
    return gw.OvhGateway(gw.GatewayConfig(**values))


def twilio(server, **overrides):
    values = dict(endpoint=f"{server.url}/2010-04-01", login=fake_gateways.TWILIO_SID,
                  secret=fake_gateways.TWILIO_TOKEN, sender="+33700000000", timeout=2)
    values.update(overrides)
    return gw.TwilioGateway(gw.GatewayConfig(**values))


def brevo(server, **overrides):
    values = dict(endpoint=f"{server.url}/v3", secret=fake_gateways.BREVO_KEY,
                  sender="AGENCE", timeout=2)
    values.update(overrides)
    return gw.BrevoGateway(gw.GatewayConfig(**values))


SMS = gw.OutgoingSms("a" * 32, "+33612345678", "Loyer impayé : 950,00 €",
                     "https://odoo.example/cb")


# -- OVH -----------------------------------------------------------------------------------


def test_ovh_signature_known_value():
    # Recomputed by hand: sha1("AS+CK+GET+https://eu.api.ovh.com/1.0/me++1366560945")
    sig = gw.ovh_signature("AS", "CK", "get", "https://eu.api.ovh.com/1.0/me", "", 1366560945)
    assert sig.startswith("$1$") and len(sig) == 43
    assert sig == gw.ovh_signature("AS", "CK", "GET", "https://eu.api.ovh.com/1.0/me", "",
                                   1366560945)
    assert sig != gw.ovh_signature("AS", "CK", "GET", "https://eu.api.ovh.com/1.0/me", "",
                                   1366560946)


def test_ovh_send_signed_request(server):
    result = ovh(server).send(SMS)
    assert result.status == "sent", result
    assert result.provider_id == "1000" or result.provider_id.isdigit()
    assert result.credits == Decimal("1")
    sent = server.sent("ovh")[0]["json"]
    assert sent["receivers"] == ["+33612345678"]
    assert sent["noStopClause"] is True
    assert sent["sender"] == "AGENCE"
    assert sent["tag"] == SMS.ref
    assert sent["message"] == SMS.body


def test_ovh_bad_secret_is_an_auth_failure(server):
    result = ovh(server, secret="wrong").send(SMS)
    assert (result.status, result.error_code) == ("failed", "auth")
    assert server.sent() == []


def test_ovh_refused_receiver(server):
    result = ovh(server).send(gw.OutgoingSms("b" * 32, "+33699999999", "x"))
    assert (result.status, result.error_code) == ("failed", "number_format")


def test_ovh_lookup_finds_a_message_by_our_reference(server):
    gateway = ovh(server)
    assert gateway.lookup(SMS.ref) is None
    result = gateway.send(SMS)
    assert gateway.lookup(SMS.ref) == result.provider_id


# -- Twilio ----------------------------------------------------------------------------------


def test_twilio_send(server):
    result = twilio(server).send(SMS)
    assert result.status == "sent" and result.provider_id.startswith("SM")
    form = server.sent("twilio")[0]["form"]
    assert form == {"To": "+33612345678", "Body": SMS.body, "From": "+33700000000",
                    "StatusCallback": "https://odoo.example/cb"}


def test_twilio_messaging_service_and_errors(server):
    result = twilio(server, messaging_service="MG123").send(SMS)
    assert server.sent("twilio")[0]["form"]["MessagingServiceSid"] == "MG123"
    assert result.status == "sent"
    result = twilio(server, secret="bad").send(SMS)
    assert (result.status, result.error_code) == ("failed", "auth")
    result = twilio(server).send(gw.OutgoingSms("c" * 32, "+33699999999", "x"))
    assert (result.status, result.error_code) == ("failed", "number_format")
    assert not twilio(server).supports_lookup and twilio(server).lookup("x") is None


def test_twilio_signature_round_trip():
    params = {"MessageSid": "SM1", "MessageStatus": "delivered", "To": "+33612345678"}
    url = "https://odoo.example.com/rental_dunning/sms/twilio/3/status"
    signature = gw.twilio_signature("token", url, params)
    assert gw.verify_twilio_signature("token", url, params, signature)
    assert gw.verify_twilio_signature(
        "token", "https://odoo.example.com:443/rental_dunning/sms/twilio/3/status", params,
        signature)
    assert not gw.verify_twilio_signature("other", url, params, signature)
    assert not gw.verify_twilio_signature("token", url, {**params, "To": "+1"}, signature)
    assert not gw.verify_twilio_signature("token", url, params, "")


def test_twilio_signature_matches_twilio_documented_algorithm():
    """Same data layout as Twilio's RequestValidator: URL then sorted key+value pairs."""
    import base64
    import hashlib
    import hmac

    params = {"b": "2", "a": "1"}
    data = "https://x.test/cb" + "a1" + "b2"
    expected = base64.b64encode(hmac.new(b"tk", data.encode(), hashlib.sha1).digest()).decode()
    assert gw.twilio_signature("tk", "https://x.test/cb", params) == expected


# -- Brevo -----------------------------------------------------------------------------------


def test_brevo_send(server):
    result = brevo(server).send(SMS)
    assert result.status == "sent"
    data = server.sent("brevo")[0]["json"]
    assert data["recipient"] == "33612345678"
    assert data["type"] == "transactional"
    assert data["webUrl"] == "https://odoo.example/cb"
    assert data["unicodeEnabled"] is True  # "é" and "€"
    result = brevo(server, secret="nope").send(SMS)
    assert (result.status, result.error_code) == ("failed", "auth")


# -- failures: retry or not ---------------------------------------------------------------------


@pytest.mark.parametrize("factory", [ovh, twilio, brevo])
def test_server_errors_are_retryable(server, factory):
    server.script(("status", 503))
    result = factory(server).send(SMS)
    assert (result.status, result.error_code) == ("retry", "server")
    server.script(("status", 429))
    assert factory(server).send(SMS).status == "retry"
    server.script(("status", 504))
    assert factory(server).send(SMS).status == "unknown"
    server.script(("status", 402))
    assert factory(server).send(SMS).error_code == "credit"


def test_connection_refused_is_retryable():
    with requests.Session() as session:
        # Bind then close a socket: nothing listens on that port any more.
        import socket

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        gateway = gw.BrevoGateway(gw.GatewayConfig(endpoint=f"http://127.0.0.1:{port}/v3",
                                                   secret="k", timeout=1), session=session)
        result = gateway.send(SMS)
    assert result.status == "retry"


def test_dropped_connection_after_sending_is_ambiguous(server):
    server.script(("drop",))
    result = brevo(server).send(SMS)
    assert result.status == "unknown"


def test_read_timeout_is_ambiguous(server):
    server.script(("sleep", 1.5))
    result = twilio(server, timeout=0.5).send(SMS)
    assert (result.status, result.error_code) == ("unknown", "timeout")


def test_ovh_time_endpoint_failure_is_retryable(server):
    gateway = ovh(server, endpoint=f"{server.url}/nope/1.0")
    result = gateway.send(SMS)
    assert result.status == "retry"


@pytest.mark.parametrize(("attempt", "seconds"), [(1, 60), (2, 120), (3, 240), (20, 21600)])
def test_backoff(attempt, seconds):
    assert gw.backoff_seconds(attempt) == seconds


def test_backoff_refuses_attempt_zero():
    with pytest.raises(ValueError):
        gw.backoff_seconds(0)


def test_unknown_provider():
    with pytest.raises(ValueError):
        gw.get_gateway_class("pigeon")
    assert gw.get_gateway_class("ovh") is gw.OvhGateway


# -- delivery reports ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "payload", "expected"),
    [
        ("ovh", {"id": "123", "dlr": "1"}, ("123", "delivered")),
        ("ovh", {"id": "123", "dlr": "2"}, ("123", "failed")),
        ("ovh", {"id": "123", "dlr": "8"}, ("123", "accepted")),
        ("ovh", {"id": "123", "dlr": "99"}, ("123", "unknown")),
        ("twilio", {"MessageSid": "SM1", "MessageStatus": "delivered"}, ("SM1", "delivered")),
        ("twilio", {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30003"},
         ("SM1", "failed")),
        ("twilio", {"MessageSid": "SM1", "MessageStatus": "sent"}, ("SM1", "accepted")),
        ("brevo", {"messageId": 42, "msg_status": "delivered"}, ("42", "delivered")),
        ("brevo", {"messageId": 42, "msg_status": "hard_bounce"}, ("42", "failed")),
        ("brevo", {"messageId": 42, "event": "sent"}, ("42", "accepted")),
    ],
)
def test_normalize_report(kind, payload, expected):
    message_id, state, detail = gw.normalize_report(kind, payload)
    assert (message_id, state) == expected
    assert isinstance(detail, str)


def test_normalize_report_refuses_reports_without_a_message():
    with pytest.raises(ValueError):
        gw.normalize_report("ovh", {"dlr": "1"})
    with pytest.raises(ValueError):
        gw.normalize_report("pigeon", {"id": "1"})


# -- secrets ----------------------------------------------------------------------------------


def test_secret_box_round_trip_and_tamper():
    box = SecretBox("master key")
    token = box.encrypt("s3cr3t")
    assert token.startswith("rfs1:") and "s3cr3t" not in token
    assert box.decrypt(token) == "s3cr3t"
    assert box.encrypt("") == "" and box.decrypt("") == ""
    with pytest.raises(SecretError):
        SecretBox("another key").decrypt(token)
    with pytest.raises(SecretError):
        box.decrypt(token[:-4] + "AAAA")
    with pytest.raises(SecretError):
        box.decrypt("plain text")
    with pytest.raises(ValueError):
        SecretBox("")
    assert json.dumps(token)  # plain ASCII, storable in a Char field


def test_lost_answer_is_ambiguous_and_ovh_lookup_finds_the_message(server):
    server.script(("process_drop",))
    gateway = ovh(server)
    result = gateway.send(SMS)
    assert result.status == "unknown"
    assert len(server.sent("ovh")) == 1, "the provider did process it"
    assert gateway.lookup(SMS.ref) == str(server.sent("ovh")[0]["ids"][0])
