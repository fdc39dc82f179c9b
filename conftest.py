"""Root pytest configuration, loaded before pytest-odoo sets Odoo up.

Odoo logs an ERROR ("Importing test framework, avoid importing from business modules")
when ``odoo.tests`` is first imported while ``test_enable`` is off, which is the case
under pytest-odoo (it only turns the flag on around each test module, so that loading
the registry does not also run every installed module's at_install tests). Import the
test framework here once, with the flag briefly on, so that a test run logs no
spurious ERROR.

It also lets the database-free tests (pure-Python engines) run without any Odoo
database: see ``load_registry`` below.
"""

import os

import pytest
from hypothesis import settings

import odoo.tools

# Property-based tests check behaviour, not speed: no per-example deadline (a loaded CI
# machine made examples exceed hypothesis's default 200 ms and fail as "flaky").
settings.register_profile("rental_flow", deadline=None, print_blob=True)
settings.load_profile("rental_flow")

_test_enable = odoo.tools.config["test_enable"]
odoo.tools.config["test_enable"] = True
try:
    import odoo.tests  # noqa: F401
finally:
    odoo.tools.config["test_enable"] = _test_enable


def _odoo_database_configured(config):
    """True when pytest-odoo was given an Odoo database (``make test`` does)."""
    return bool(
        config.getoption("--odoo-database", None)
        or config.getoption("--odoo-config", None)
        or config.getoption("--odoo-dev", None)
        or os.environ.get("ODOO_RC")
        or os.environ.get("OPENERP_SERVER")
    )


@pytest.fixture(scope="session", autouse=True)
def load_registry(request):
    """pytest-odoo's registry loading, only when a database is configured.

    pytest-odoo loads the registry of the configured database before any test, even
    when none is configured, so that a database-free run (``python3 -m pytest
    tests/<folder>``) would fail on every test with "Missing database name". Without a
    database, skip it; the engine tests need none.
    """
    if _odoo_database_configured(request.config):
        request.getfixturevalue("load_registry")  # pytest-odoo's own fixture
    yield
