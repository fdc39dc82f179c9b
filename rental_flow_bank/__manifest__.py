{
    "name": "Rental Flow - Bank feeds and matching",
    "summary": "Bank statements (CAMT.053/054, CFONB 120, CSV), bank webhooks, "
    "rent matching engine and review queue, SEPA payouts",
    "version": "18.0.1.0.0",
    "category": "Accounting",
    "license": "LGPL-3",
    "author": "Rental Flow",
    "website": "https://github.com/rental-flow/rental-flow",
    "depends": ["rental_flow"],
    "external_dependencies": {"python": ["lxml", "rapidfuzz"]},
    "data": [],
    "demo": [],
    "installable": True,
}
