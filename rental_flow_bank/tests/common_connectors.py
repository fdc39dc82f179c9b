"""Connectors of the tests, talking to a local fake bank (tests/bank_connectors)."""

import os
import sys

from .common_bankfeeds import REPO_ROOT, BankFeedsCommon

CONNECTOR_TESTS = os.path.join(REPO_ROOT, "tests", "bank_connectors")
if CONNECTOR_TESTS not in sys.path:
    sys.path.insert(0, CONNECTOR_TESTS)

from fake_bank import FakeBank, memo_transaction, new_rsa_key, qonto_transaction  # noqa: E402,F401

MEMO_WEBHOOK_TOKEN = "memo-webhook-token-123"
QONTO_WEBHOOK_SECRET = "qonto-signing-secret"
SWAN_SECRET = "swan-shared-secret"


class ConnectorCommon(BankFeedsCommon):
    """A Memo Bank connector on the master journal and a Qonto one on the second journal,
    both pointing to a fake bank on 127.0.0.1."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        private_pem, public_key = new_rsa_key()
        cls.bank = FakeBank(public_key=public_key)
        cls.bank_url = cls.bank.start()
        cls.addClassCleanup(cls.bank.stop)
        Connector = cls.env["rental.bank.connector"].with_context(rental_bank_backoff=0.01)
        cls.memo = Connector.create({
            "name": "Memo test",
            "provider": "memo_bank",
            "journal_id": cls.master_journal.id,
            "base_url": cls.bank_url,
            "bank_account_ref": "acc-1",
            "memo_thumbprint": "THUMB",
            "memo_private_key_input": private_pem,
            "memo_secret_code_input": "SEC",
            "webhook_token_input": MEMO_WEBHOOK_TOKEN,
            "max_retries": 3,
        })
        cls.qonto = Connector.create({
            "name": "Qonto test",
            "provider": "qonto",
            "journal_id": cls.second_journal.id,
            "base_url": cls.bank_url,
            "qonto_login": "agency",
            "qonto_secret_key_input": "qonto-secret",
            "webhook_secret_input": QONTO_WEBHOOK_SECRET,
            "max_retries": 3,
        })

    def setUp(self):
        super().setUp()
        self.bank.reset()
        self.env = self.env(context=dict(self.env.context, rental_bank_backoff=0.01))
