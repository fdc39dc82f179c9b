"""Scale: candidates come from indexes, never from a scan of all items or parties per line.

Not a timing test: the engine's work counters and guards that fail on any full iteration.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))

from matching_dataset import build_dataset  # noqa: E402

from odoo.addons.rental_flow_bank.engines.matching import (  # noqa: E402
    CandidateIndex,
    MatchingEngine,
    MatchStats,
)


class NoScanDict(dict):
    """A dict that may be looked up but not iterated."""

    def _refuse(self, *args, **kwargs):
        raise AssertionError("full scan of an index table during matching")

    __iter__ = keys = values = items = _refuse


class NoScanList(list):
    """A list that may be indexed but not iterated."""

    def __iter__(self):
        raise AssertionError("full scan of the parties during matching")


def run(dataset, lines, guard=False):
    index = CandidateIndex.build(
        dataset.items, dataset.leases, dataset.virtual_ibans, master_ibans=[dataset.master_iban]
    )
    ledger = index.new_ledger()
    if guard:
        index.items = NoScanDict(index.items)
        index.leases = NoScanDict(index.leases)
        index.parties = NoScanList(index.parties)
        index.initial_residual = NoScanDict(index.initial_residual)
    stats = MatchStats()
    results = MatchingEngine().run(lines, index, ledger=ledger, stats=stats)
    return index, stats, results


@pytest.fixture(scope="module")
def small():
    return build_dataset(n_leases=250, n_lines=500, seed=7)


@pytest.fixture(scope="module")
def large():
    return build_dataset(n_leases=2500, n_lines=5000, seed=7)


def test_no_full_scan_of_items_leases_or_parties(small):
    for lines in (small.lines, small.lines_with_virtual_ibans(0.8)):
        _index, _stats, results = run(small, lines, guard=True)
        assert sum(r.status == "auto" for r in results) > len(lines) * 0.6


def test_work_per_line_does_not_grow_with_the_portfolio(small, large):
    _i, few, _r = run(small, small.lines)
    index, many, _r = run(large, large.lines)
    assert few.lines == 500 and many.lines == 5000
    items_per_line = (few.items_examined / few.lines, many.items_examined / many.lines)
    assert items_per_line[1] < 1.5 * items_per_line[0]
    # each line looks at a few dozen open items at most, out of ~17,500
    assert items_per_line[1] < 40 < len(index.items) / 100
    # rules per line never exceed the number of rules
    assert many.rule_calls <= 5 * many.lines
    # names: only the postings of the payer's words are read (people sharing a name),
    # a small share of the ~5,000 parties
    assert many.name_postings / many.lines < len(index.parties) / 50
    assert many.name_candidates / many.lines < 10
