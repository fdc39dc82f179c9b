"""The benchmark's dataset generator: deterministic, with the issue's mix and a sound truth."""

import os
import sys
from decimal import Decimal

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))

from matching_dataset import MIX, build_dataset, check_outsider_names  # noqa: E402


@pytest.fixture(scope="module")
def dataset():
    return build_dataset(n_leases=200, n_lines=400, seed=11)


def test_same_seed_same_dataset(dataset):
    again = build_dataset(n_leases=200, n_lines=400, seed=11)
    assert again.lines == dataset.lines
    assert again.truth == dataset.truth
    other = build_dataset(n_leases=200, n_lines=400, seed=12)
    assert other.lines != dataset.lines


def test_mix_of_the_issue(dataset):
    summary = dataset.summary()
    for category, share in MIX:
        assert summary["lines_by_category"][category] == round(400 * share)
    assert summary["open_items_by_kind"]["rent"] == 200 * 6
    assert summary["lines_with_truth"] == 400 - round(400 * 0.05)


def test_truth_is_consistent_with_amounts_and_items(dataset):
    items = {item.id: item for item in dataset.items}
    for line in dataset.lines:
        truth = dataset.truth[line.id]
        if truth is None:
            assert dataset.category[line.id] == "noise"
            continue
        assert truth.allocated + truth.unallocated == line.amount
        assert truth.allocations
        for item_id, amount in truth.allocations:
            assert items[item_id].lease_id == truth.lease_id
            assert items[item_id].kind == truth.kind
            assert Decimal("0") < amount <= items[item_id].amount_total


def test_lines_without_information_name_nobody(dataset):
    check_outsider_names()
    for line in dataset.lines:
        if dataset.category[line.id] == "no_info":
            assert line.structured_reference is None
            assert "RENT" not in line.remittance and "L0" not in line.remittance


def test_virtual_iban_scenario(dataset):
    lines = dataset.lines_with_virtual_ibans(0.8)
    credited = [x for x in lines if x.credited_iban != dataset.master_iban]
    assert 0.7 < len(credited) / len(lines) < 0.9
    for line in credited:
        truth = dataset.truth[line.id]
        if truth is not None:
            assert line.credited_iban == dataset.lease_viban[truth.lease_id]
        else:
            assert line.credited_iban not in dataset.lease_viban.values()
