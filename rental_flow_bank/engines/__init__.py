"""Pure-Python engines of Rental Flow Bank (no Odoo imports)."""
