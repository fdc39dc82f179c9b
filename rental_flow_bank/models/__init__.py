from . import (
    account_bank_statement,
    account_bank_statement_line,
    account_journal,
    rental_bank_connector,
    rental_bank_csv_mapping,
    rental_bank_event,
    rental_bank_import,
    rental_virtual_iban_pool_connector,
)
