{
    "name": "Rental Flow - Dunning",
    "summary": "Dunning policies and levels for tenants: email, SMS and letters, "
    "runs, history, missing-contact alerts, payment plans",
    "version": "18.0.1.0.0",
    "category": "Accounting",
    "license": "LGPL-3",
    "author": "Rental Flow",
    "website": "https://github.com/rental-flow/rental-flow",
    "depends": ["rental_flow", "sms", "snailmail"],
    "external_dependencies": {"python": ["phonenumbers", "requests"]},
    "data": [],
    "demo": [],
    "installable": True,
}
