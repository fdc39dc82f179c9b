{
    "name": "Rental Flow",
    "summary": "Property management for agencies holding funds for owners: properties, "
    "mandates, leases, rent calls, virtual IBANs",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "license": "LGPL-3",
    "author": "Rental Flow",
    "website": "https://github.com/rental-flow/rental-flow",
    "depends": ["account", "base_iban", "mail", "portal"],
    "external_dependencies": {"python": ["schwifty", "stdnum"]},
    "data": [],
    "demo": [],
    "application": True,
    "installable": True,
}
