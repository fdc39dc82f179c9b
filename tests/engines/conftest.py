"""Configuration of the pure-Python engine tests.

The engines import nothing from Odoo, so their tests need no database. pytest-odoo,
when installed, adds a session fixture ``load_registry`` (autouse) that loads an Odoo
registry and fails without a configured database: it is replaced here, for this folder
only, by a fixture that does nothing.
"""

import pytest


@pytest.fixture(scope="session", autouse=True)
def load_registry():
    """No Odoo registry is needed by the engine tests."""
    yield
