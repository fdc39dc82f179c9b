"""Shared pytest configuration for the top-level tests.

The pure-Python engines live inside the addons (``rental_flow/engines``...) and are
imported as ``odoo.addons.<addon>.engines.<module>``, exactly as the addons import them.
When pytest runs without an Odoo configuration (a quick engine-only run), the
repository root is not yet on ``odoo.addons.__path__``: add it so that the same import
works in both cases.
"""

import os

import odoo.addons

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

if REPO_ROOT not in odoo.addons.__path__:
    odoo.addons.__path__.append(REPO_ROOT)
