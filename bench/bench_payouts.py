"""Benchmark of the owner splits and payouts (issue 6).

(a) split entries for 10,000 collected rents (target under 60 s): 10,000 rent calls are
    issued by the foundation, paid by bank entries of the mandant journal and reconciled
    in bulk; the figure is the time to create and post their 10,000 split entries (fee,
    VAT, insurance) once the reconciliation is done;
(b) a payout run for 1,000 owners with its SEPA pain.001 file (target under 20 s):
    computing the payouts from the owner balances, posting the 1,000 payments and
    writing the XSD-validated file.

Runs against the database named by BENCH_DB (the three addons installed, no demo data;
``make bench`` creates it), builds its dataset inside one transaction and rolls
everything back at the end. Prints one JSON line per figure.
"""

# bench: needs-database
import argparse
import time
from datetime import date

from benchlib import emit, odoo_env

BANK_BATCH = 500


def build_dataset(env, rents, owners):
    """``owners`` owners (mandate, bank account) sharing ``rents`` let units."""
    from odoo import Command

    from odoo.addons.rental_flow.engines import viban

    company = env.company
    company._rental_ensure_setup()
    euro = env.ref("base.EUR")
    euro.active = True
    if company.currency_id != euro:  # SEPA transfers are in euros
        company.currency_id = euro
    journal = env["account.journal"].create(
        {"name": "Bench mandant", "code": "BMND", "type": "bank",
         "bank_acc_number": "FR7617338000010000000010067"}
    )
    company.rental_bank_journal_id = journal
    company.partner_id.write({"city": "Paris", "zip": "75002", "street": "1 rue de la Paix",
                              "country_id": env.ref("base.fr").id})
    tax = env["account.tax"].create(
        {"name": "Bench fee VAT 20%", "amount": 20.0, "amount_type": "percent",
         "type_tax_use": "sale"}
    )
    insurer = env["res.partner"].create({"name": "Bench insurer"})
    ibans = viban.generate_range("FR", "30004", "00820", 1, owners)
    partners = env["res.partner"].create(
        [
            {"name": f"Bench owner {i}", "street": f"{i % 90 + 1} rue des Lilas",
             "zip": "69003", "city": "Lyon", "country_id": env.ref("base.fr").id}
            for i in range(owners)
        ]
    )
    banks = env["res.partner.bank"].create(
        [{"partner_id": p.id, "acc_number": iban} for p, iban in zip(partners, ibans, strict=True)]
    )
    mandates = env["rental.mandate"].create(
        [
            {"owner_id": p.id, "owner_bank_id": b.id, "fee_rate": 7.0,
             "fee_base": "rent_charges", "fee_tax_id": tax.id, "insurance_rate": 2.0,
             "insurer_id": insurer.id, "state": "active"}
            for p, b in zip(partners, banks, strict=True)
        ]
    )
    building = env["rental.property"].create({"name": "Bench building", "kind": "building"})
    units = env["rental.property"].create(
        [
            {"name": f"Unit {i}", "parent_id": building.id,
             "mandate_id": mandates[i % owners].id}
            for i in range(rents)
        ]
    )
    tenants = env["res.partner"].create([{"name": f"Tenant {i}"} for i in range(rents)])
    leases = env["rental.lease"].create(
        [
            {"property_id": unit.id, "tenant_id": tenant.id, "date_start": date(2025, 1, 1),
             "call_from_date": date(2026, 11, 1), "rent": 500 + i % 700,
             "charges": 50 + i % 40, "state": "running"}
            for i, (unit, tenant) in enumerate(zip(units, tenants, strict=True))
        ]
    )
    calls = leases._issue_rent_calls(until=date(2026, 11, 1), invoice_date=date(2026, 10, 22))
    env.flush_all()
    # The tenants pay: bank entries of the mandant journal, BANK_BATCH payments each.
    tenant_account = company.rental_tenant_account_id
    payment_lines = env["account.move.line"]
    Move = env["account.move"].with_context(skip_invoice_sync=True, tracking_disable=True)
    for start in range(0, len(calls), BANK_BATCH):
        chunk = calls[start:start + BANK_BATCH]
        total = sum(chunk.mapped("amount_total"))
        move = Move.create(
            {
                "journal_id": journal.id,
                "date": date(2026, 11, 5),
                "line_ids": [Command.create({"account_id": journal.default_account_id.id,
                                             "debit": total, "name": "Rents"})]
                + [
                    Command.create({"account_id": tenant_account.id,
                                    "credit": call.amount_total,
                                    "partner_id": call.partner_id.id,
                                    "name": call.payment_reference})
                    for call in chunk
                ],
            }
        )
        move.action_post()
        payment_lines |= move.line_ids.filtered(lambda line: line.credit)
    env.flush_all()
    receivables = calls.line_ids.filtered(lambda line: line.account_id == tenant_account)
    return mandates, calls, receivables, payment_lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rents", type=int, default=10000)
    parser.add_argument("--owners", type=int, default=1000)
    args = parser.parse_args()
    with odoo_env() as env:
        mandates, calls, receivables, payments = build_dataset(env, args.rents, args.owners)
        by_partner = {}
        for line in payments:
            by_partner.setdefault(line.partner_id.id, []).append(line)
        plan = [line | by_partner[line.partner_id.id].pop() for line in receivables]

        started = time.perf_counter()
        env["account.move.line"].with_context(rental_split_defer=True)._reconcile_plan(plan)
        env.flush_all()
        emit("reconcile_10k_payments_s", round(time.perf_counter() - started, 2), "s",
             payments=len(plan))

        started = time.perf_counter()
        splits = env["rental.owner.split"]._process_pending()
        env.flush_all()
        emit("split_entries_10k_s", round(time.perf_counter() - started, 2), "s", 60,
             splits=len(splits), entries=len(splits.move_id))
        assert len(splits) == len(calls), (len(splits), len(calls))

        started = time.perf_counter()
        run = env["rental.payout.run"].create(
            {"date": date(2026, 11, 25), "mandate_ids": [(6, 0, mandates.ids)]}
        )
        run._compute_payouts()
        run._confirm(recheck=False)  # as the payout-day cron: computed and sent at once
        env.flush_all()
        emit("payout_run_1k_owners_s", round(time.perf_counter() - started, 2), "s", 20,
             payouts=len(run.payout_ids), sepa_bytes=len(run.sepa_attachment_id.raw or b""))
        assert len(run.payout_ids.filtered(lambda p: p.state == "sent")) == len(mandates)


if __name__ == "__main__":
    main()
