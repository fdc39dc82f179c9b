from . import virtual_iban_import
from . import virtual_iban_range
from . import rent_call_issue
from . import rental_payout_run_wizard
from . import rental_owner_statement_wizard
from . import rental_funds_check
