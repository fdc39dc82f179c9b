"""Benchmark of the matching engine: speed, precision and recall on a generated portfolio.

The dataset (``bench/matching_dataset.py``, fixed seed): 2,500 leases × 6 months = 15,000
open rent calls (plus housing-benefit shares and deposit calls) and 5,000 bank lines:
40 % with a reference, 25 % paid by a third party or under a mangled name, 10 % partial,
10 % two months at once, 10 % with no usable information, 5 % noise.

It runs twice with the default rules: without virtual IBANs (every line credited to the
master account) and with the property's virtual IBAN credited on 80 % of the lines.

Definitions. A *correct* automatic match has the true lease and the true kind of item (rent,
deposit, housing benefit). How the amount is spread over that lease's months is reported
apart: it follows the oldest-first rule over what the engine knows to be open, which differs
from the generator's ledger when an earlier line of the same lease waits for review.

- ``matching_5k_vs_15k_s``: index build + matching of the 5,000 lines, the slower scenario;
- ``auto_precision_no_viban``: correct automatic matches / automatic matches;
- ``recall_no_viban``: lines with a true match that got a correct automatic match / lines
  with a true match (``no_info`` lines included although nothing in them names a lease);
- ``recall_no_viban_informative``: the same over lines carrying usable information
  (``no_info`` lines excluded);
- ``auto_precision_viban``: correct / automatic matches, among lines credited to a virtual
  IBAN; ``wrong_auto_viban``: their number of wrong automatic matches;
- ``recall_viban``: among lines with a true match credited to a virtual IBAN, the share
  correctly matched automatically;
- ``auto_precision_viban_all``: precision over all lines of the virtual-IBAN scenario;
- ``proposal_precision_*``: lines whose best proposal (automatic or for review) names the
  true lease / lines with a proposal (informative: the review queue's first suggestion);
- ``allocation_agreement_*``: correct automatic matches whose allocated total and credit
  equal the truth; ``allocation_exact_share_*``: whose allocations equal the truth item by
  item (informative).

Run: ``python3 bench/bench_matching_engine.py`` (one JSON line per figure).
"""

import json
import os
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH_DIR)

from benchlib import use_repo_addons  # noqa: E402

use_repo_addons()

from matching_dataset import build_dataset  # noqa: E402

from odoo.addons.rental_flow_bank.engines.matching import (  # noqa: E402
    CandidateIndex,
    MatchingEngine,
)

try:  # the shared helper of bench/ when present
    from benchlib import emit
except ImportError:  # pragma: no cover - standalone run

    def emit(metric, value, unit, target=None, higher_is_better=False, **extra):
        """Print one figure as a JSON line; ``ok`` compares ``value`` with ``target``."""
        record = {"metric": metric, "value": value, "unit": unit}
        if target is not None:
            record["target"] = target
            record["ok"] = value >= target if higher_is_better else value <= target
        record.update(extra)
        print(json.dumps(record), flush=True)
        return record


def run_scenario(dataset, lines):
    """Build the index and match ``lines``; return (seconds, results by line id)."""
    start = time.perf_counter()
    index = CandidateIndex.build(
        dataset.items, dataset.leases, dataset.virtual_ibans, master_ibans=[dataset.master_iban]
    )
    results = MatchingEngine(company_currency="EUR").run(lines, index)
    seconds = time.perf_counter() - start
    return seconds, {r.line_id: r for r in results}


def is_correct(proposal, truth):
    """Same lease and same kind of item."""
    return (
        truth is not None and proposal.lease_id == truth.lease_id and (proposal.kind == truth.kind)
    )


def same_split(proposal, truth):
    """Same allocated total and same credit."""
    return proposal.allocated == truth.allocated and proposal.unallocated == truth.unallocated


def score(dataset, results, selected):
    """Figures over the line ids in ``selected``."""
    autos = correct = exact = agree = proposals = right_lease = truths = found = 0
    wrong = []
    for line_id in selected:
        result, truth = results[line_id], dataset.truth[line_id]
        truths += truth is not None
        proposal = result.proposal
        if proposal is None:
            continue
        proposals += 1
        right_lease += truth is not None and proposal.lease_id == truth.lease_id
        if not proposal.auto:
            continue
        autos += 1
        if is_correct(proposal, truth):
            correct += 1
            found += 1
            agree += same_split(proposal, truth)
            exact += tuple((a.item_id, a.amount) for a in proposal.allocations) == (
                truth.allocations
            )
        else:
            wrong.append(line_id)
    return {
        "autos": autos,
        "correct": correct,
        "precision": correct / autos if autos else 1.0,
        "recall": found / truths if truths else 1.0,
        "proposal_precision": right_lease / proposals if proposals else 1.0,
        "allocation_agreement": agree / correct if correct else 1.0,
        "allocation_exact_share": exact / correct if correct else 1.0,
        "wrong": wrong,
    }


def main():
    dataset = build_dataset()
    summary = dataset.summary()
    emit(
        "matching_dataset_open_rent_calls",
        summary["open_items_by_kind"]["rent"],
        "items",
        open_items=summary["open_items"],
        lines=summary["lines"],
        lines_with_truth=summary["lines_with_truth"],
        lines_with_usable_information=summary["lines_with_usable_information"],
    )
    all_ids = [line.id for line in dataset.lines]
    with_truth = [i for i in all_ids if dataset.truth[i] is not None]
    informative = [i for i in with_truth if dataset.category[i] != "no_info"]

    seconds_plain, plain = run_scenario(dataset, dataset.lines)
    overall = score(dataset, plain, all_ids)
    recall_all = score(dataset, plain, with_truth)["recall"]
    recall_informative = score(dataset, plain, informative)["recall"]

    viban_lines = dataset.lines_with_virtual_ibans(0.8)
    seconds_viban, viban = run_scenario(dataset, viban_lines)
    credited = [
        line.id
        for line in viban_lines
        if line.credited_iban and line.credited_iban != dataset.master_iban
    ]
    credited_truth = [i for i in credited if dataset.truth[i] is not None]
    on_viban = score(dataset, viban, credited)
    overall_viban = score(dataset, viban, all_ids)

    emit(
        "matching_5k_vs_15k_s",
        round(max(seconds_plain, seconds_viban), 3),
        "s",
        target=5,
        no_viban_s=round(seconds_plain, 3),
        viban_s=round(seconds_viban, 3),
    )
    emit(
        "auto_precision_no_viban",
        round(overall["precision"], 4),
        "ratio",
        target=0.995,
        higher_is_better=True,
        autos=overall["autos"],
        wrong=len(overall["wrong"]),
    )
    emit(
        "recall_no_viban",
        round(recall_all, 4),
        "ratio",
        target=0.90,
        higher_is_better=True,
        lines=len(with_truth),
        ceiling=round(len(informative) / len(with_truth), 4),
        note="no_info lines name no lease: the ceiling without virtual IBANs",
    )
    emit(
        "recall_no_viban_informative",
        round(recall_informative, 4),
        "ratio",
        target=0.90,
        higher_is_better=True,
        lines=len(informative),
    )
    emit("proposal_precision_no_viban", round(overall["proposal_precision"], 4), "ratio")
    emit(
        "allocation_agreement_no_viban",
        round(overall["allocation_agreement"], 4),
        "ratio",
        exact_share=round(overall["allocation_exact_share"], 4),
    )
    emit(
        "auto_precision_viban",
        round(on_viban["precision"], 4),
        "ratio",
        target=1.0,
        higher_is_better=True,
        autos=on_viban["autos"],
        lines=len(credited),
    )
    emit("wrong_auto_viban", len(on_viban["wrong"]), "lines", target=0)
    emit(
        "recall_viban",
        round(score(dataset, viban, credited_truth)["recall"], 4),
        "ratio",
        target=0.99,
        higher_is_better=True,
        lines=len(credited_truth),
    )
    emit(
        "auto_precision_viban_all",
        round(overall_viban["precision"], 4),
        "ratio",
        autos=overall_viban["autos"],
        wrong=len(overall_viban["wrong"]),
    )
    emit("proposal_precision_viban", round(overall_viban["proposal_precision"], 4), "ratio")
    emit(
        "allocation_agreement_viban",
        round(overall_viban["allocation_agreement"], 4),
        "ratio",
        exact_share=round(overall_viban["allocation_exact_share"], 4),
    )
    if os.environ.get("MATCHING_BENCH_DEBUG"):
        missed = {}
        for line_id in with_truth:
            proposal = plain[line_id].proposal
            if proposal is None or not proposal.auto:
                key = (dataset.detail[line_id], plain[line_id].status)
                missed[key] = missed.get(key, 0) + 1
        print("missed without virtual IBANs:", sorted(missed.items()), file=sys.stderr)
        for label, results, wrong in (
            ("no_viban", plain, overall["wrong"]),
            ("viban", viban, overall_viban["wrong"]),
        ):
            for line_id in wrong[:40]:
                line = next(x for x in dataset.lines if x.id == line_id)
                print(
                    label,
                    line_id,
                    dataset.detail[line_id],
                    line.payer_name,
                    line.remittance,
                    line.amount,
                    dataset.truth[line_id],
                    results[line_id].proposal.reason,
                    file=sys.stderr,
                )


if __name__ == "__main__":
    main()
