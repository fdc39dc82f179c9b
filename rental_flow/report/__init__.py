from . import rental_receipt_report
