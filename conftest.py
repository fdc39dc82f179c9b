"""Root pytest configuration, loaded before pytest-odoo sets Odoo up.

Odoo logs an ERROR ("Importing test framework, avoid importing from business modules")
when ``odoo.tests`` is first imported while ``test_enable`` is off, which is the case
under pytest-odoo (it only turns the flag on around each test module, so that loading
the registry does not also run every installed module's at_install tests). Import the
test framework here once, with the flag briefly on, so that a test run logs no
spurious ERROR.
"""

import odoo.tools

_test_enable = odoo.tools.config["test_enable"]
odoo.tools.config["test_enable"] = True
try:
    import odoo.tests  # noqa: F401
finally:
    odoo.tools.config["test_enable"] = _test_enable
