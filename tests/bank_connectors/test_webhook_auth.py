"""Webhook authentication schemes (constant-time checks, stale timestamps)."""

import pytest

from odoo.addons.rental_flow_bank.engines import bank_connector_memo as memo
from odoo.addons.rental_flow_bank.engines import bank_connector_qonto as qonto
from odoo.addons.rental_flow_bank.engines import webhook_auth as wa
from odoo.addons.rental_flow_bank.engines.bank_connector_base import (
    ConnectorConfig,
    WebhookRejected,
)

QONTO_VECTOR = "56aff06dc227db80d6568a5070f912c601c31f20451745d257cbc0b5dfa93805"


def test_qonto_test_vector():
    assert wa.hmac_signature("test-secret", "1704110400", b'{"test":"data"}') == QONTO_VECTOR
    headers = {"x-qonto-signature": f"t=1704110400,v1={QONTO_VECTOR}"}
    assert wa.verify_hmac(headers, b'{"test":"data"}', "test-secret", "X-Qonto-Signature",
                          now=1704110400 + 299) == 1704110400


@pytest.mark.parametrize(
    "header, body, now, message",
    [
        (f"t=1704110400,v1={QONTO_VECTOR}", b'{"test":"data"}', 1704110400 + 301, "Stale"),
        (f"t=1704110400,v1={QONTO_VECTOR}", b'{"test":"data"}', 1704110400 - 301, "Stale"),
        (f"t=1704110400,v1={QONTO_VECTOR}", b'{"test":"datA"}', 1704110400, "Invalid"),
        (f"t=1704110401,v1={QONTO_VECTOR}", b'{"test":"data"}', 1704110400, "Invalid"),
        ("v1=abc", b"{}", 1704110400, "Malformed"),
        ("t=abc,v1=abc", b"{}", 1704110400, "Malformed"),
        ("", b"{}", 1704110400, "Malformed"),
    ],
)
def test_hmac_refusals(header, body, now, message):
    with pytest.raises(WebhookRejected, match=message) as error:
        wa.verify_hmac({"X-Qonto-Signature": header}, body, "test-secret", "X-Qonto-Signature",
                       now=now)
    assert error.value.status == 401


def test_hmac_rotation_any_v1_matches():
    header = f"t=1704110400,v1=deadbeef,v1={QONTO_VECTOR}"
    wa.verify_hmac({"X-Qonto-Signature": header}, b'{"test":"data"}', "test-secret",
                   "X-Qonto-Signature", now=1704110400)


def test_bearer():
    digest = wa.token_digest("webhook-token")
    assert digest != "webhook-token" and len(digest) == 64
    wa.verify_bearer({"authorization": "Bearer webhook-token"}, digest)
    for headers in ({}, {"Authorization": "Bearer other"}, {"Authorization": "Basic x"},
                    {"Authorization": "webhook-token"}):
        with pytest.raises(WebhookRejected):
            wa.verify_bearer(headers, digest)
    with pytest.raises(WebhookRejected, match="No webhook token"):
        wa.verify_bearer({"Authorization": "Bearer webhook-token"}, "")


def test_shared_secret():
    digest = wa.token_digest("s3cret")
    wa.verify_shared_secret({"X-Swan-Secret": "s3cret"}, "x-swan-secret", digest)
    with pytest.raises(WebhookRejected, match="Missing"):
        wa.verify_shared_secret({}, "x-swan-secret", digest)
    with pytest.raises(WebhookRejected, match="Invalid"):
        wa.verify_shared_secret({"x-swan-secret": "S3cret"}, "x-swan-secret", digest)


def test_event_parsing():
    memo_provider = memo.MemoBankProvider(ConnectorConfig(base_url="https://api.memo.bank"))
    event = memo_provider.parse_event(
        b'{"id":"ev-1","date":"2024-11-12T11:14:03+00:00","event_type":"transaction_confirmed",'
        b'"resource_type":"transaction","resource_id":"tx-9"}'
    )
    assert (event.event_id, event.resource_id) == ("ev-1", "tx-9")
    assert memo_provider.event_transaction_id(event) == "tx-9"
    assert memo_provider.event_needs_fetch(event)
    other = memo_provider.parse_event(b'{"id":"ev-2","event_type":"iban_created"}')
    assert memo_provider.event_transaction_id(other) is None
    for body in (b"not json", b"[1]", b'{"event_type":"x"}', b'{"id":"1"}',
                 b'{"id":"1","event_type":"x","date":"yesterday"}'):
        with pytest.raises(WebhookRejected) as error:
            memo_provider.parse_event(body)
        assert error.value.status == 400
    qonto_provider = qonto.QontoProvider(ConnectorConfig(base_url="https://x"))
    fat = qonto_provider.parse_event(
        b'{"id":"e1","type":"v1/transactions","created_at":"2025-01-24T10:55:00Z",'
        b'"data":{"event":"created","id":"q1","status":"completed"}}'
    )
    assert fat.event_type == "v1/transactions.created" and fat.resource["id"] == "q1"
    assert not qonto_provider.event_needs_fetch(fat)
    assert qonto_provider.event_transaction_id(fat) == "q1"
