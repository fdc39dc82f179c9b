from . import virtual_iban_import
from . import virtual_iban_range
from . import rent_call_issue
