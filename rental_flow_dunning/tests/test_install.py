from odoo.modules.module import get_manifest
from odoo.tests import TransactionCase, tagged

MODULE = "rental_flow_dunning"


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    """The addon and everything its manifest depends on are installed."""

    def test_module_installed(self):
        module = self.env["ir.module.module"].search([("name", "=", MODULE)])
        self.assertEqual(module.state, "installed")

    def test_dependencies_installed(self):
        module = self.env["ir.module.module"].search([("name", "=", MODULE)])
        expected = set(get_manifest(MODULE)["depends"])
        self.assertEqual(set(module.dependencies_id.mapped("name")), expected)
        dependencies = self.env["ir.module.module"].search([("name", "in", list(expected))])
        self.assertEqual(
            {dep.name: dep.state for dep in dependencies},
            dict.fromkeys(expected, "installed"),
        )
