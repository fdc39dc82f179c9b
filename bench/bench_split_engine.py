"""Benchmarks of the owner payout split and of the SEPA pain.001 generator.

Standalone: ``python3 bench/bench_split_engine.py`` prints one JSON line per figure:

* ``split_engine_10k_s``: 10,000 splits (fee with minimum, VAT, insurance, a works
  advance, three joint owners), inputs built beforehand;
* ``pain001_1000_owners_s``: a pain.001.001.09 file of 1,000 owner payouts, from the
  input checks (IBAN, BIC...) to the validation against the official XSD, schema loading
  included.
"""

import json
import os
import sys
import time
from datetime import date, datetime
from decimal import Decimal

from schwifty import IBAN

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import use_repo_addons  # noqa: E402

use_repo_addons()

from odoo.addons.rental_flow.engines import sepa, split  # noqa: E402

SPLIT_TARGET_S = 60
PAIN001_TARGET_S = 20


def emit(metric, value, unit, target):
    """Print one figure as a JSON line."""
    record = {
        "metric": metric,
        "value": round(value, 4),
        "unit": unit,
        "target": target,
        "ok": value <= target,
    }
    print(json.dumps(record), flush=True)
    return record


def bench_split(count=10000):
    """Seconds taken by ``count`` splits."""
    terms = split.SplitTerms(
        fee_rate=Decimal("7.5"),
        fee_base="rent_charges",
        fee_min=1500,
        fee_max=20000,
        fee_tax_rate=Decimal(20),
        insurance_rate=Decimal("2.5"),
    )
    owners = [
        split.OwnerShare(owner_ref=1, share=Decimal("33.33")),
        split.OwnerShare(owner_ref=2, share=Decimal("33.33")),
        split.OwnerShare(owner_ref=3, share=Decimal("33.34"), is_principal=True),
    ]
    advances = [split.OpenAdvance(ref="W1", amount_open=12000, opened_on=date(2026, 1, 5))]
    collections = [
        split.Collection(rent=40000 + (i * 37) % 90000, charges=(i * 11) % 8000)
        for i in range(count)
    ]
    started = time.perf_counter()
    total = 0
    for collection in collections:
        total += split.compute_split(collection, terms, owners, advances).amount
    elapsed = time.perf_counter() - started
    assert total == sum(c.amount for c in collections)
    return elapsed


def payout_batch(count=1000):
    """A credit transfer batch of ``count`` owner payouts to distinct accounts."""
    agency = sepa.Party(
        name="Gestion Locative SAS",
        iban="FR7617338000010000000010067",
        bic="MEMOFRP2XXX",
        address=sepa.PostalAddress(
            street="Rue de la Paix",
            building_number="1",
            postcode="75002",
            town="Paris",
            country="FR",
        ),
    )
    transfers = []
    for i in range(count):
        iban = IBAN.generate("FR", bank_code="30004", account_code=f"{i:011d}")
        owner = sepa.Party(
            name=f"Propriétaire n° {i} Hélène",
            iban=str(iban),
            bic="BNPAFRPP",
            address=sepa.PostalAddress(
                postcode="69002",
                town="Lyon",
                country="FR",
                street="Rue Mercière",
                building_number=str(i % 200 + 1),
                address_lines=("Bâtiment B",) if i % 2 else (),
            ),
        )
        transfers.append(
            sepa.CreditTransfer(
                end_to_end_id=f"OWNPAY-2026-11-{i:06d}",
                amount=Decimal(50000 + i * 7) / 100,
                creditor=owner,
                remittance_unstructured=f"Reversement loyers 2026-11 lot {i}",
            )
        )
    return sepa.CreditTransferBatch(
        message_id="PAYOUT-20261125-0001",
        creation_datetime=datetime(2026, 11, 25, 10, 0, 0),
        initiating_party_name="Gestion Locative SAS",
        debtor=agency,
        requested_execution_date=date(2026, 11, 26),
        transfers=transfers,
    )


def bench_pain001(count=1000):
    """Seconds taken to check, build and XSD-validate a ``count``-transfer pain.001."""
    batch = payout_batch(count)
    started = time.perf_counter()
    xml = sepa.build_pain001(batch)
    elapsed = time.perf_counter() - started
    assert xml.count(b"<CdtTrfTxInf>") == count
    return elapsed


def main():
    """Run both benchmarks; exit 1 when a target is missed."""
    results = [
        emit("split_engine_10k_s", bench_split(), "s", SPLIT_TARGET_S),
        emit("pain001_1000_owners_s", bench_pain001(), "s", PAIN001_TARGET_S),
    ]
    return 0 if all(result["ok"] for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
