import io
from datetime import date

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.pdf import OdooPdfFileReader

from .common import RentalTestCommon


@tagged("post_install", "-at_install")
class TestReports(RentalTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.currency_id = cls.env.ref("base.EUR")
        cls.lease = cls.make_lease(start=date(2026, 1, 1))
        cls.call = cls.lease._issue_rent_calls(until=date(2026, 1, 1))

    def render(self, xmlid, move):
        html, __ = self.env["ir.actions.report"]._render_qweb_html(xmlid, move.ids)
        return html.decode()

    def pay(self, amount):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.call.ids
        ).create(
            {"journal_id": self.bank_journal.id, "amount": amount,
             "payment_difference_handling": "open"}
        )._create_payments()

    def test_rent_call_shows_virtual_iban_reference_and_qr_code(self):
        html = self.render("rental_flow.report_rent_call", self.call)
        iban = self.unit.virtual_iban_id
        self.assertIn(iban.formatted, html)
        self.assertIn(iban.bic, html)
        self.assertIn(self.call.payment_reference, html)
        self.assertIn('alt="EPC QR code"', html)
        self.assertIn("data:image/png;base64,", html)
        payload = self.call._rental_epc_qr_image()
        self.assertTrue(payload.startswith("data:image/png;base64,"))

    def test_receipts_follow_the_payment_state(self):
        with self.assertRaisesRegex(UserError, "fully paid"):
            self.render("rental_flow.report_rent_receipt", self.call)
        with self.assertRaises(UserError):
            self.render("rental_flow.report_payment_receipt", self.call)
        self.pay(400.0)
        self.assertEqual(self.call.rental_receipt_kind, "receipt")
        html = self.render("rental_flow.report_payment_receipt", self.call)
        self.assertIn("not a rent receipt", html)
        self.assertIn("560.00", html)  # still due
        with self.assertRaises(UserError):
            self.render("rental_flow.report_rent_receipt", self.call)
        self.pay(560.0)
        self.assertEqual(self.call.rental_receipt_kind, "quittance")
        html = self.render("rental_flow.report_rent_receipt", self.call)
        self.assertIn("Rent receipt", html)
        self.assertIn(self.tenant.name, html)
        self.assertIn(self.owner.name, html)

    def test_pdf_renders(self):
        pdf, kind = self.env["ir.actions.report"].with_context(
            force_report_rendering=True
        )._render_qweb_pdf("rental_flow.report_rent_call", self.call.ids)
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))

    def test_several_rent_calls_print_in_one_pdf(self):
        """Printing a batch works, also with a wkhtmltopdf build without patched Qt."""
        calls = self.call | self.lease._issue_rent_calls(until=date(2026, 2, 1))
        pdf, kind = self.env["ir.actions.report"].with_context(
            force_report_rendering=True
        )._render_qweb_pdf("rental_flow.report_rent_call", calls.ids)
        self.assertEqual(kind, "pdf")
        self.assertEqual(len(OdooPdfFileReader(io.BytesIO(pdf)).pages), len(calls))
