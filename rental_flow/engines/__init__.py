"""Pure-Python engines of Rental Flow.

Nothing in this package imports Odoo: the engines take plain Python values
(dataclasses, Decimals, dates) and return plain values, so they are fast and can be
tested without a database. The Odoo models are thin glue around them.
"""
