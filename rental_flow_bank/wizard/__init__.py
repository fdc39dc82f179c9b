from . import rental_bank_import_wizard
from . import rental_match_assign_wizard
