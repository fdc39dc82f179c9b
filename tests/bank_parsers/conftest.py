"""pytest configuration of the bank statement parser tests (pure Python, no database).

pytest-odoo, when installed, loads an Odoo registry before any test through an
autouse session fixture, which fails without a database. These tests need no
registry: the fixture is replaced by a no-op for this folder only.
"""

import pytest


@pytest.fixture(scope="session", autouse=True)
def load_registry():
    """No Odoo registry is needed by the pure-Python parser tests."""
    yield
