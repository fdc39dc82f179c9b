"""Benchmark of the SEPA direct debit collections (issue 8).

A collection run for 10,000 rent calls with its pain.008.001.08 file (target under
30 s): 10,000 running leases paid by direct debit, each tenant with a valid mandate
and a rent call issued 20 days before; the figure is the time to gather the run (rent
calls due, block reasons, mandates, pre-notification, SEPA checks, 10,000 debits) and
generate it (the XSD-validated file, debits sent, mandates flipped to RCUR).

Then the settlement (no target in the issue; reported): a camt.053 carrying the credit of
every debit (one entry each, with its end-to-end id) imported through the real path; each
credit reconciled with its rent call, owner split included (``sdd_settlement_10k_s``).

Runs against the database named by BENCH_DB (the three addons installed, no demo data;
``make bench`` creates it), builds its dataset inside one transaction and rolls
everything back at the end. Prints one JSON line per figure.
"""

# bench: needs-database
import argparse
import os
import sys
import time
from datetime import date
from decimal import Decimal

from benchlib import emit, odoo_env

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "bank_parsers"))
from bank_camt_builder import CamtBuilder  # noqa: E402

MASTER_IBAN = "FR7617338000010000000010067"


def build_dataset(env, rents):
    """``rents`` direct-debit leases with their mandates and one rent call each."""
    from odoo.addons.rental_flow.engines import viban

    quiet = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}
    env = env(context=dict(env.context, **quiet))
    company = env.company
    company._rental_ensure_setup()
    euro = env.ref("base.EUR")
    euro.active = True
    if company.currency_id != euro:  # SEPA direct debits are in euros
        company.currency_id = euro
    journal = env["account.journal"].create(
        {"name": "Bench mandant", "code": "BMND", "type": "bank",
         "bank_acc_number": MASTER_IBAN}
    )
    company.write({"rental_bank_journal_id": journal.id,
                   "rental_sdd_creditor_id": "FR72ZZZ123456"})
    company.partner_id.write({"city": "Paris", "zip": "75002", "street": "1 rue de la Paix",
                              "country_id": env.ref("base.fr").id})
    owner = env["res.partner"].create({"name": "Bench owner"})
    owner_bank = env["res.partner.bank"].create(
        {"partner_id": owner.id, "acc_number": "FR7630004008200000000100080"}
    )
    mandate = env["rental.mandate"].create(
        {"owner_id": owner.id, "owner_bank_id": owner_bank.id, "fee_rate": 7.0,
         "state": "active"}
    )
    building = env["rental.property"].create({"name": "Bench building", "kind": "building"})
    units = env["rental.property"].create(
        [{"name": f"Unit {i}", "parent_id": building.id, "mandate_id": mandate.id}
         for i in range(rents)]
    )
    france = env.ref("base.fr").id
    tenants = env["res.partner"].create(
        [{"name": f"Tenant {i}", "street": f"{i % 90 + 1} rue des Lilas", "zip": "69003",
          "city": "Lyon", "country_id": france} for i in range(rents)]
    )
    ibans = viban.generate_range("FR", "30004", "00820", 1, rents)
    banks = env["res.partner.bank"].create(
        [{"partner_id": t.id, "acc_number": iban}
         for t, iban in zip(tenants, ibans, strict=True)]
    )
    mandates = env["rental.sdd.mandate"].create(
        [{"partner_id": t.id, "bank_id": b.id, "signature_date": date(2026, 1, 15),
          "state": "valid", "name": f"RUM-BENCH-{i:06d}"}
         for i, (t, b) in enumerate(zip(tenants, banks, strict=True))]
    )
    leases = env["rental.lease"].create(
        [{"property_id": unit.id, "tenant_id": tenant.id, "date_start": date(2025, 1, 1),
          "call_from_date": date(2026, 11, 1), "rent": 500 + i % 700,
          "charges": 50 + i % 40, "state": "running", "payment_mode": "direct_debit"}
         for i, (unit, tenant) in enumerate(zip(units, tenants, strict=True))]
    )
    calls = leases._issue_rent_calls(until=date(2026, 11, 1), invoice_date=date(2026, 10, 20))
    env.flush_all()
    return leases, mandates, calls


def settlement_file(debits, day):
    """One camt.053 statement crediting every debit (its end-to-end id in TxDtls)."""
    entries, total = [], Decimal(0)
    for debit in debits:
        amount = Decimal(str(debit.amount)).quantize(Decimal("0.01"))
        tag = f"SDD-{debit.id}"
        entries.append({
            "ref": tag, "amount": amount, "cd": "CRDT", "booking": day, "value": day,
            "acct_svcr_ref": tag, "btc": ("PMNT", "IDDT", "ESDD"),
            "txs": [{
                "refs": {"AcctSvcrRef": tag, "EndToEndId": debit.end_to_end_id,
                         "MndtId": debit.mandate_id.name},
                "amount": amount,
                "debtor": {"name": debit.partner_id.name,
                           "iban": debit.mandate_id.bank_id.acc_number},
                "creditor": {"name": "BENCH AGENCY", "iban": MASTER_IBAN},
                "ustrd": ["PRLV LOYER"],
            }],
        })
        total += amount
    statement = {
        "id": "STMT-BENCH-SDD", "seq": 1,
        "account": {"iban": MASTER_IBAN, "currency": "EUR", "owner": "BENCH AGENCY",
                    "bic": "MEMOFRP2XXX"},
        "balances": [("OPBD", Decimal("0.00"), "CRDT", day), ("CLBD", total, "CRDT", day)],
        "entries": entries,
    }
    return CamtBuilder("053", 8).build([statement], msg_id="BENCH-SDD", pretty=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rents", type=int, default=10000)
    args = parser.parse_args()
    with odoo_env() as env:
        leases, mandates, calls = build_dataset(env, args.rents)
        assert len(calls) == args.rents, len(calls)
        assert all(leases.mapped("sdd_mandate_id")), "every lease has its mandate"

        started = time.perf_counter()
        run = env["rental.sdd.collection"].create({"collection_date": date(2026, 11, 9)})
        run._gather()
        run._generate()
        env.flush_all()
        elapsed = round(time.perf_counter() - started, 2)
        sent = run.debit_ids.filtered(lambda d: d.state == "sent")
        emit("sdd_collection_10k_s", elapsed, "s", 30, debits=len(sent),
             pain008_bytes=len(run.attachment_ids[:1].raw or b""))
        assert len(sent) == args.rents, (len(sent), set(run.debit_ids.mapped("reason")))
        assert all(m == "RCUR" for m in mandates.mapped(lambda m: m._rental_sdd_sequence_type()))

        data = settlement_file(sent, "2026-11-10")
        env.flush_all()
        started = time.perf_counter()
        log = env["rental.bank.import"]._import_file(data, "bench-sdd-settlement.xml")
        env.flush_all()
        elapsed = round(time.perf_counter() - started, 2)
        assert log.state == "done", log.error
        settled = sent.filtered(lambda d: d.state == "settled")
        emit("sdd_settlement_10k_s", elapsed, "s", debits=len(sent), settled=len(settled),
             lines_per_s=round(len(settled) / elapsed, 1) if elapsed else None)
        assert len(settled) == len(sent), (len(settled), len(sent))
        assert all(calls.mapped(lambda m: m.payment_state in ("paid", "in_payment")))


if __name__ == "__main__":
    main()
