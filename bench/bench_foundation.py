"""Benchmark of the foundation (issue: rental_flow core).

(a) virtual IBAN allocation for 10,000 properties (target under 10 s);
(b) one month of rent calls for 10,000 leases, created and posted (target under 120 s).

Runs against the database named by BENCH_DB (the three addons installed, no demo data;
``make bench`` creates it), builds its dataset inside one transaction and rolls
everything back at the end. Prints one JSON line per figure.
"""

# bench: needs-database
import argparse
import time
from datetime import date

from benchlib import emit, odoo_env


def build_dataset(env, count):
    """A company set up for rentals, one mandate, ``count`` units and running leases."""
    company = env.company
    company._rental_ensure_setup()
    journal = env["account.journal"].create(
        {"name": "Bench mandant", "code": "BMND", "type": "bank",
         "bank_acc_number": "FR7617338000010000000010067"}
    )
    pool = env["rental.virtual.iban.pool"].create(
        {"name": "Bench pool", "journal_id": journal.id, "auto_assign": False}
    )
    pool._add_range("17338", "00003", 1, count)
    owner = env["res.partner"].create({"name": "Bench owner"})
    mandate = env["rental.mandate"].create({"owner_id": owner.id, "fee_rate": 7.0})
    building = env["rental.property"].create({"name": "Bench building", "kind": "building"})
    units = env["rental.property"].create(
        [
            {"name": f"Unit {i}", "parent_id": building.id, "mandate_id": mandate.id}
            for i in range(count)
        ]
    )
    tenants = env["res.partner"].create([{"name": f"Tenant {i}"} for i in range(count)])
    leases = env["rental.lease"].create(
        [
            {
                "property_id": unit.id,
                "tenant_id": tenant.id,
                "date_start": date(2025, 1, 1),
                "call_from_date": date(2026, 11, 1),
                "rent": 500 + i % 700,
                "charges": 50 + i % 40,
                "state": "running",
            }
            for i, (unit, tenant) in enumerate(zip(units, tenants, strict=True))
        ]
    )
    env.flush_all()
    return pool, units, leases


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--leases", type=int, default=10000)
    args = parser.parse_args()
    with odoo_env() as env:
        pool, units, leases = build_dataset(env, args.leases)
        started = time.perf_counter()
        pool._allocate(units)
        env.flush_all()
        emit("viban_allocation_10k_s", round(time.perf_counter() - started, 2), "s", 10,
             properties=len(units))
        assert len(units.virtual_iban_id) == len(units)

        started = time.perf_counter()
        moves = leases._issue_rent_calls(until=date(2026, 11, 1), invoice_date=date(2026, 10, 22))
        env.flush_all()
        emit("rent_calls_10k_s", round(time.perf_counter() - started, 2), "s", 120,
             leases=len(leases))
        assert len(moves) == len(leases), (len(moves), len(leases))


if __name__ == "__main__":
    main()
