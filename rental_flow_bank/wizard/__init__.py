from . import rental_bank_import_wizard
