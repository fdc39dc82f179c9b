from . import account_bank_statement_line
from . import account_bank_statement
from . import account_journal
from . import rental_bank_csv_mapping
from . import rental_bank_import
from . import rental_bank_connector
from . import rental_bank_event
from . import rental_virtual_iban_pool_connector
