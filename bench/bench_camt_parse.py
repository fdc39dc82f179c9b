"""Benchmark: parse a camt.053.001.08 statement of 50,000 entries.

Generates the file in memory (fixed seed: 1,000 virtual IBANs, 2,000 payers, rents
with RF references or free text, owner payouts, batches of three transfers, returned
direct debits), then times ``parse_statement_file`` only (the Odoo import is measured
elsewhere). Prints one JSON line:

    {"metric": "camt053_parse_50k_s", "value": 3.1, "unit": "s", "target": 60, "ok": true}

Run: ``python3 bench/bench_camt_parse.py [number of entries]``.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from decimal import Decimal

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "bank_parsers"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import use_repo_addons  # noqa: E402

use_repo_addons()

from bank_camt_builder import CamtBuilder  # noqa: E402
from schwifty import IBAN  # noqa: E402
from stdnum.iso7064 import mod_97_10  # noqa: E402

from odoo.addons.rental_flow_bank.engines.statement_import import (  # noqa: E402
    parse_statement_file,
)

ENTRIES = 50_000
TARGET_S = 60
SEED = 20260105
MASTER = "FR7617338000010000000001725"


def _rf(base: str) -> str:
    return f"RF{mod_97_10.calc_check_digits(base + 'RF')}{base}"


def _iban(bank: str, branch: str, index: int) -> str:
    return str(IBAN.generate("FR", bank, f"{index:011d}", branch_code=branch))


def build_statement(count: int, seed: int = SEED) -> bytes:
    """A realistic camt.053.001.08 of ``count`` entries on the agency's master account."""
    rng = random.Random(seed)
    vibans = [_iban("17338", "00003", 100_000 + i) for i in range(1000)]
    banks = [("30004", "00001"), ("30003", "01234"), ("10278", "06000"), ("20041", "01005")]
    payers = [
        (f"LOCATAIRE {i:04d}", _iban(*banks[i % len(banks)], 500_000 + i), "BNPAFRPPXXX")
        for i in range(2000)
    ]
    entries, total = [], Decimal(0)
    for n in range(count):
        kind = rng.random()
        day = f"2026-01-{1 + n * 28 // count:02d}"
        amount = Decimal(rng.randint(30_000, 200_000)) / 100
        name, iban, bic = payers[rng.randrange(len(payers))]
        vib = vibans[rng.randrange(len(vibans))]
        tx = {
            "refs": {"AcctSvcrRef": f"TX-{n:08d}", "EndToEndId": f"E2E-{n:08d}"},
            "amount": amount,
            "debtor": {"name": name, "iban": iban, "bic": bic},
            "creditor": {"name": "GESTION LOCATIVE SAS", "iban": vib},
        }
        entry = {
            "ref": f"N{n:08d}",
            "amount": amount,
            "cd": "CRDT",
            "booking": day,
            "value": day,
            "acct_svcr_ref": f"TX-{n:08d}",
            "btc": ("PMNT", "RCDT", "ESCT"),
            "txs": [tx],
        }
        if kind < 0.05:  # owner payout
            entry.update(cd="DBIT", btc=("PMNT", "ICDT", "ESCT"))
            tx["debtor"], tx["creditor"] = (
                {"name": "GESTION LOCATIVE SAS", "iban": MASTER},
                {"name": f"PROPRIETAIRE {n % 500:03d}", "iban": iban, "bic": bic},
            )
            tx["ustrd"] = [f"REVERSEMENT LOYERS 2026-01 LOT {n % 1000}"]
        elif kind < 0.06:  # returned direct debit
            entry.update(cd="DBIT", btc=("PMNT", "IDDT", "UPDD"))
            tx["refs"]["MndtId"] = f"RUM-{n % 1000:04d}"
            tx["rtr"] = {"code": rng.choice(["AM04", "AC04", "MD01", "MS02"])}
            tx["ustrd"] = ["PRLV LOYER JANVIER"]
        elif kind < 0.08:  # batch of three transfers
            parts = [amount, amount + 1, amount + 2]
            entry["amount"] = sum(parts)
            entry["batch"] = {"pmt_inf_id": f"B-{n}", "count": 3}
            entry["txs"] = []
            for k, part in enumerate(parts):
                entry["txs"].append(
                    {
                        "refs": {"EndToEndId": f"E2E-{n:08d}-{k}"},
                        "amount": part,
                        "debtor": {"name": name, "iban": iban},
                        "creditor": {
                            "name": "GESTION LOCATIVE SAS",
                            "iban": vibans[(n + k) % 1000],
                        },
                        "ustrd": [f"LOYER LOT {(n + k) % 1000}"],
                    }
                )
        elif kind < 0.5:
            tx["strd"] = {"ref": _rf(f"LOT{n % 1000:04d}JAN26"), "type": "SCOR"}
        else:
            tx["ustrd"] = [f"LOYER JANVIER 2026 LOT {n % 1000} {name}"]
        total += entry["amount"] if entry["cd"] == "CRDT" else -entry["amount"]
        entries.append(entry)
    statement = {
        "id": "STMT-BENCH-202601",
        "seq": 1,
        "account": {
            "iban": MASTER,
            "currency": "EUR",
            "owner": "GESTION LOCATIVE SAS",
            "bic": "MEMOFRP2XXX",
        },
        "balances": [
            ("OPBD", Decimal("100000.00"), "CRDT", "2025-12-31"),
            ("CLBD", Decimal("100000.00") + total, "CRDT", "2026-01-28"),
        ],
        "entries": entries,
    }
    # Banks send compact XML (no indentation): about 65 MB for 50,000 entries.
    return CamtBuilder("053", 8).build([statement], msg_id="BENCH-50K", pretty=False)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else ENTRIES
    data = build_statement(count)
    start = time.perf_counter()
    result = parse_statement_file(data, "bench.xml")
    elapsed = time.perf_counter() - start
    lines = len(result.lines)
    assert result.warnings == [], result.warnings
    assert lines >= count, lines
    print(
        f"# {count} entries, {lines} lines, {len(data) / 1048576:.1f} MB",
        file=sys.stderr,
    )
    metric = f"camt053_parse_{count // 1000}k_s"
    print(
        json.dumps(
            {
                "metric": metric,
                "value": round(elapsed, 2),
                "unit": "s",
                "target": TARGET_S,
                "ok": elapsed < TARGET_S,
            }
        )
    )


if __name__ == "__main__":
    main()
