"""pytest configuration of the bank statement parser tests (pure Python, no database).

* The helper modules of this folder (``bank_samples``, ``bank_camt_builder``,
  ``bank_test_utils``) are importable whatever pytest's import mode.
* pytest-odoo, when installed, loads an Odoo registry before any test through an
  autouse session fixture, which fails without a database. These tests need no
  registry: the fixture is replaced by a no-op for this folder only.
"""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)


@pytest.fixture(scope="session", autouse=True)
def load_registry():
    """No Odoo registry is needed by the pure-Python parser tests."""
    yield
