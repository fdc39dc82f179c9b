"""Benchmark: import a camt.053 of 50,000 entries through the real import path.

``rental.bank.import._import_file``: parse, check (journal by IBAN, currency,
amounts), create the statement, the statement lines and their posted journal entries,
with the virtual IBAN and property of each line (1,000 properties with virtual IBANs).
The matching hook (``_rental_after_import``) is not part of this figure.

Figures (JSON lines):

* ``bank_import_camt053_50k_s``: first import, target < 60 s (2 cores);
* ``bank_import_camt053_50k_lines_per_s``: statement lines created per second;
* ``bank_reimport_camt053_50k_s``: importing the same file again (nothing created).

Runs on ``$BENCH_DB`` inside one transaction rolled back at the end.
Run: ``BENCH_DB=... ODOO_RC=... python3 bench/bench_bank_import.py [entries]``.
"""

# bench: needs-database
import os
import sys
import time
from datetime import date

from benchlib import emit, odoo_env

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_camt_parse import MASTER, build_statement  # noqa: E402

ENTRIES = 50_000
TARGET_S = 60
PROPERTIES = 1000


def euro_company(env):
    """A company keeping its books in euros (the file's currency): the current one,
    switched to euros while it has no entries, else a new one."""
    company = env.company
    euro = env.ref("base.EUR")
    euro.active = True
    if company.currency_id == euro:
        return company
    if not env["account.move"].search_count([("company_id", "=", company.id)], limit=1):
        company.currency_id = euro
        return company
    company = env["res.company"].create({"name": "Bench import (EUR)", "currency_id": euro.id})
    env["account.chart.template"].try_loading("generic_coa", company=company, install_demo=False)
    env.user.company_ids |= company
    return company


def setup(env):
    """Euro company, the mandant journal of the file, 1,000 properties with vIBANs.

    Returns the journal; the import must run with ``env(context=...)`` of its company.
    """
    company = euro_company(env)
    env = env(context=dict(env.context, allowed_company_ids=company.ids))
    company._rental_ensure_setup()
    journal = env["account.journal"].create(
        {"name": "Bench mandant", "code": "BIMP", "type": "bank", "bank_acc_number": MASTER}
    )
    pool = env["rental.virtual.iban.pool"].create(
        {"name": "Bench import pool", "journal_id": journal.id, "auto_assign": False}
    )
    pool._add_range("17338", "00003", 100_000, PROPERTIES)
    building = env["rental.property"].create({"name": "Bench building", "kind": "building"})
    units = env["rental.property"].create(
        [{"name": f"Bench unit {i}", "parent_id": building.id} for i in range(PROPERTIES)]
    )
    pool._allocate(units)
    units.virtual_iban_assignment_ids.write({"date_from": date(2025, 1, 1)})
    env.flush_all()
    return journal


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else ENTRIES
    data = build_statement(count)
    with odoo_env() as env:
        journal = setup(env)
        env = env(context=dict(env.context, allowed_company_ids=journal.company_id.ids))
        start = time.perf_counter()
        log = env["rental.bank.import"]._import_file(data, "bench.xml", after_import=False)
        env.flush_all()
        elapsed = time.perf_counter() - start
        assert log.state == "done", log.error
        lines = env["account.bank.statement.line"].search_count(
            [("journal_id", "=", journal.id)]
        )
        with_property = env["account.bank.statement.line"].search_count(
            [("journal_id", "=", journal.id), ("rental_property_id", "!=", False)]
        )
        assert lines == log.created_count, (lines, log.created_count)
        assert log.statement_ids.is_complete, "statement balances do not add up"
        print(f"# {count} entries, {lines} lines ({with_property} with a property), "
              f"{len(data) / 1048576:.1f} MB", file=sys.stderr)
        label = f"{count // 1000}k"
        emit(f"bank_import_camt053_{label}_s", round(elapsed, 2), "s", target=TARGET_S)
        emit(f"bank_import_camt053_{label}_lines_per_s", round(lines / elapsed), "lines/s",
             target=round(count / TARGET_S), higher_is_better=True)

        start = time.perf_counter()
        again = env["rental.bank.import"]._import_file(data, "bench.xml", after_import=False)
        elapsed = time.perf_counter() - start
        assert again.state == "nothing_new" and again.duplicate_count == lines
        emit(f"bank_reimport_camt053_{label}_s", round(elapsed, 2), "s", target=TARGET_S)


if __name__ == "__main__":
    main()
