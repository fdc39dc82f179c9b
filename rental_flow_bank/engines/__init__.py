"""Pure-Python engines of Rental Flow Bank.

Nothing in this package imports Odoo: the engines take plain Python values
(bytes, dataclasses, Decimals, dates) and return plain values, so they are fast and
can be tested without a database. The Odoo models are thin glue around them.

Bank statement parsing: ``statement_import.parse_statement_file`` (entry point),
``statement_types`` (result dataclasses, options, CSV mapping, error class) and one
module per format (``statement_camt``, ``statement_cfonb``, ``statement_csv``).
"""
