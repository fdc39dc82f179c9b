"""Bank API engines against a local fake bank: JWT, retries, idempotency, mapping."""

import json
import socket
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fake_bank import FakeBank, b64url_decode, memo_transaction, new_rsa_key, qonto_transaction

from odoo.addons.rental_flow_bank.engines import bank_connector_memo as memo
from odoo.addons.rental_flow_bank.engines import bank_connector_qonto as qonto
from odoo.addons.rental_flow_bank.engines.bank_connector_base import (
    PROVIDERS,
    BankApiError,
    ConnectorConfig,
    amount_from_minor,
    amount_to_minor,
    reference_unique_id,
)
from odoo.addons.rental_flow_bank.engines.statement_import import parse_statement_file

MASTER = "FR7617338000010000000001725"
VIBAN = "FR7617338000030000000100150"


@pytest.fixture(scope="module")
def rsa_key():
    return new_rsa_key()


@pytest.fixture()
def bank(rsa_key):
    fake = FakeBank(public_key=rsa_key[1])
    url = fake.start()
    fake.url = url
    yield fake
    fake.stop()


def memo_provider(bank, rsa_key, sleeps=None, **config):
    cfg = ConnectorConfig(
        base_url=bank.url, account_id="acc-1", account_iban=MASTER,
        credentials={"private_key": rsa_key[0], "thumbprint": "THUMB", "secret_code": "SEC"},
        backoff_base=0.01, **config,
    )
    sleeps = [] if sleeps is None else sleeps
    return memo.MemoBankProvider(cfg, sleep=sleeps.append)


def qonto_provider(bank, sleeps=None):
    cfg = ConnectorConfig(base_url=bank.url, account_iban=MASTER,
                          credentials={"login": "agency", "secret_key": "qonto-secret"},
                          backoff_base=0.01)
    return qonto.QontoProvider(cfg, sleep=(sleeps if sleeps is not None else []).append)


def test_registry_has_both_providers():
    assert {"memo_bank", "qonto"} <= set(PROVIDERS)


def test_jwt_claims_and_signature(rsa_key):
    key = memo.load_private_key(rsa_key[0])
    token = memo.build_jwt(key, "THUMB", "SEC", "post", "/v2/ibans?x=1", "api.memo.bank",
                           body=b'{"a":1}', issued_at=1700000000, token_id="jti-1")
    header, claims, signature = token.split(".")
    assert json.loads(b64url_decode(header)) == {"alg": "RS256", "typ": "JWT",
                                                 "x5t#S256": "THUMB"}
    claims = json.loads(b64url_decode(claims))
    assert claims["sub"] == "POST /v2/ibans?x=1"
    assert claims["aud"] == "api.memo.bank"
    assert (claims["iat"], claims["jti"], claims["sec"]) == (1700000000, "jti-1", "SEC")
    assert claims["dig#S256"] == "AVq9f1zFei3ZS3WQ8ErYCEJzkF7jPsXOvq5iJ2qX-GI"  # sha256('{"a":1}')
    assert "=" not in signature
    no_body = memo.build_jwt(key, "T", "S", "GET", "/v2/ibans", "h")
    assert "dig#S256" not in json.loads(b64url_decode(no_body.split(".")[1]))


def test_bad_private_key():
    with pytest.raises(BankApiError, match="not a valid"):
        memo.load_private_key("not a key")


def test_memo_transactions_all_pages(bank, rsa_key):
    bank.transactions = [memo_transaction(f"tx-{i}", 1000 + i) for i in range(5)]
    provider = memo_provider(bank, rsa_key)
    since = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [tx["id"] for tx in provider.iter_transactions(since)]
    assert ids == [f"tx-{i}" for i in range(5)]
    assert len(bank.requests) == 3  # pages of two
    first = bank.requests[0]
    assert first["path"].startswith("/v2/transactions?account_id=acc-1&size=100")
    assert "start_date=2026-01-01T00%3A00%3A00%2B00%3A00" in first["path"]
    assert bank.requests[1]["path"] == "/v2/transactions?page_token=2&size=100"
    assert len({r["claims"]["jti"] for r in bank.requests}) == 3
    assert provider.get_transaction("tx-3")["amount"] == 1003


def test_memo_not_found_is_not_retried(bank, rsa_key):
    sleeps = []
    with pytest.raises(BankApiError) as error:
        memo_provider(bank, rsa_key, sleeps).get_transaction("missing")
    assert error.value.status == 404 and not error.value.retryable
    assert "no such transaction" in str(error.value)
    assert sleeps == [] and len(bank.requests) == 1


def test_retries_on_500_and_429_with_backoff(bank, rsa_key):
    bank.transactions = [memo_transaction("tx-1", 100)]
    bank.fail_next = [500, 429, 503]
    sleeps = []
    tx = memo_provider(bank, rsa_key, sleeps).get_transaction("tx-1")
    assert tx["id"] == "tx-1"
    assert len(bank.requests) == 4
    assert len(sleeps) == 3
    assert sleeps[0] < sleeps[1] < sleeps[2], "exponential backoff"
    # each attempt is signed anew
    assert len({r["claims"]["jti"] for r in bank.requests if "claims" in r}) == 1
    assert len({r["headers"]["Authorization"] for r in bank.requests}) == 4


def test_gives_up_after_max_retries(bank, rsa_key):
    bank.fail_next = [500] * 10
    sleeps = []
    with pytest.raises(BankApiError) as error:
        memo_provider(bank, rsa_key, sleeps, max_retries=2).get_transaction("tx")
    assert error.value.status == 500 and error.value.retryable
    assert len(bank.requests) == 3 and len(sleeps) == 2


def test_network_error_retried_then_reported(rsa_key):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cfg = ConnectorConfig(base_url=f"http://127.0.0.1:{port}", max_retries=2,
                          backoff_base=0.01, timeout=1,
                          credentials={"login": "a", "secret_key": "b"}, account_iban=MASTER)
    sleeps = []
    with pytest.raises(BankApiError, match="did not answer"):
        list(qonto.QontoProvider(cfg, sleep=sleeps.append).iter_transactions())
    assert len(sleeps) == 2


def test_create_iban_idempotent_across_retries(bank, rsa_key):
    bank.fail_next = [503]
    provider = memo_provider(bank, rsa_key)
    row = provider.create_virtual_iban("Flat 12", idempotency_key="key-1")
    assert row["label"] == "Flat 12" and row["iban"].startswith("FR76173380000")
    posts = [r for r in bank.requests if r["method"] == "POST"]
    assert len(posts) == 2
    assert {p["headers"]["Idempotency-Key"] for p in posts} == {"key-1"}
    body = json.loads(posts[1]["body"])
    assert body == {"account_id": "acc-1", "name": "Flat 12", "allow_collections": True}
    assert posts[1]["claims"]["dig#S256"]
    # the same key again: the bank replays, no second IBAN
    again = provider.create_virtual_iban("Flat 12", idempotency_key="key-1")
    assert again == row and len(bank.ibans) == 1
    other = provider.create_virtual_iban("Flat 13")
    assert other["iban"] != row["iban"] and len(bank.ibans) == 2
    assert [r["iban"] for r in provider.iter_virtual_ibans()] == [row["iban"], other["iban"]]


def test_create_transfer(bank, rsa_key):
    provider = memo_provider(bank, rsa_key)
    transfer = provider.create_transfer(
        {"amount": 123456, "beneficiary_iban": "FR7630004000010000055500044",
         "beneficiary_name": "OWNER", "message": "Reversement", "end_to_end_id": "OWN-1"},
        idempotency_key="payout-1",
    )
    assert transfer["amount"] == 123456 and transfer["type_strategy"] == "instant_if_available"
    assert bank.requests[-1]["headers"]["Idempotency-Key"] == "payout-1"


def test_memo_mapping():
    provider = memo.MemoBankProvider(ConnectorConfig(base_url="https://api.memo.bank"))
    line = provider.transaction_to_line(
        memo_transaction("t1", 85000, local_iban=VIBAN, message="LOYER RF18539007547034"),
        MASTER,
    )
    assert line.amount == Decimal("850.00") and line.currency == "EUR"
    assert line.booking_date == date(2026, 1, 5)
    assert line.credited_account == VIBAN and line.credited_account_source == "local_iban"
    assert line.counterparty_iban == "FR7630004000010000055500044"
    assert line.counterparty_bic == "BNPAFRPPXXX"
    assert line.end_to_end_id == "E2E-t1"
    assert line.rf_reference == "RF18539007547034"
    assert line.unique_import_id == f"{MASTER}|ref|t1"
    assert line.raw["id"] == "t1"
    debit = provider.transaction_to_line(
        memo_transaction("t2", 1250, direction="debit", local_iban=MASTER), MASTER)
    assert debit.amount == Decimal("-12.50") and debit.credited_account is None
    returned = provider.transaction_to_line(
        memo_transaction("t3", 85000, direction="debit", type="collection_outgoing_return",
                         reason="insufficient_funds"), MASTER)
    assert returned.is_return and returned.return_reason_code == "insufficient_funds"
    assert returned.original_end_to_end_id == "E2E-t3"
    with pytest.raises(BankApiError):
        provider.transaction_to_line({"id": "x", "amount": "12.5", "direction": "credit"},
                                     MASTER)


def test_api_ids_match_file_ids():
    """A transaction whose bank reference appears in a camt file gets the same id."""
    with open(__file__.replace("bank_connectors/test_connector_engine.py",
                               "bank_parsers/samples/camt053_v08.xml"), "rb") as handle:
        first = parse_statement_file(handle.read(), "x.xml").statements[0].lines[0]
    assert first.unique_import_id == reference_unique_id(MASTER, first.bank_reference)


def test_qonto_pages_and_auth(bank):
    bank.transactions = [qonto_transaction(f"q{i}", 100 * i) for i in range(1, 6)]
    bank.transactions.append(qonto_transaction("pending", 999, status="pending"))
    provider = qonto_provider(bank)
    got = list(provider.iter_transactions(datetime(2026, 1, 1, tzinfo=UTC)))
    assert [t["id"] for t in got] == ["q1", "q2", "q3", "q4", "q5"]
    assert len(bank.requests) == 3
    assert bank.requests[0]["headers"]["Authorization"] == "agency:qonto-secret"
    assert f"iban={MASTER}" in bank.requests[0]["path"]
    bad = qonto.QontoProvider(ConnectorConfig(
        base_url=bank.url, account_iban=MASTER,
        credentials={"login": "agency", "secret_key": "wrong"}))
    with pytest.raises(BankApiError) as error:
        list(bad.iter_transactions())
    assert error.value.status == 401


def test_qonto_mapping_and_exact_amounts():
    provider = qonto.QontoProvider(ConnectorConfig(base_url="https://thirdparty.qonto.com"))
    line = provider.transaction_to_line(qonto_transaction("q1", 85001), MASTER)
    assert line.amount == Decimal("850.01")
    assert line.counterparty_iban == "FR7630004000010000055500044"
    assert line.booking_date == date(2026, 1, 5)
    assert line.unique_import_id == f"{MASTER}|ref|q1"
    webhook_data = {**qonto_transaction("q2", 0, side="debit"), "amount": 50.01}
    del webhook_data["amount_cents"]
    assert provider.transaction_to_line(webhook_data, MASTER).amount == Decimal("-50.01")
    with pytest.raises(BankApiError):
        provider.transaction_to_line({**webhook_data, "amount": 50.011}, MASTER)
    assert not provider.is_booked(qonto_transaction("q3", 1, status="pending"))


def test_minor_units():
    assert amount_from_minor(85000, "EUR") == Decimal("850.00")
    assert amount_from_minor(5000, "JPY") == Decimal("5000")
    assert amount_from_minor(1500, "TND") == Decimal("1.500")
    assert amount_to_minor(Decimal("12.34"), "EUR") == 1234
    with pytest.raises(ValueError):
        amount_to_minor(Decimal("12.345"), "EUR")
    with pytest.raises(ValueError):
        amount_from_minor(12.5, "EUR")
