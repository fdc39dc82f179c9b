from odoo import api, models


class RentReceiptReport(models.AbstractModel):
    """Rent receipt (quittance): only for a period fully paid."""

    _name = "report.rental_flow.report_rent_receipt"
    _description = "Rent Receipt"
    _receipt_kinds = ("quittance",)

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env["account.move"].browse(docids)
        docs._rental_check_receipt(self._receipt_kinds)
        return {"doc_ids": docids, "doc_model": "account.move", "docs": docs, "data": data}


class PaymentReceiptReport(models.AbstractModel):
    """Payment receipt (reçu): for any payment received, full or partial."""

    _name = "report.rental_flow.report_payment_receipt"
    _inherit = "report.rental_flow.report_rent_receipt"
    _description = "Payment Receipt"
    _receipt_kinds = ("receipt", "quittance")
