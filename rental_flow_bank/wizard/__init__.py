from . import rental_bank_import_wizard
from . import rental_sdd_mandate_import
from . import rental_sdd_collection_wizard
from . import rental_match_assign_wizard
