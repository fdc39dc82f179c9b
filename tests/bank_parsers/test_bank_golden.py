"""Golden-file tests: every sample parses to its committed ``*.expected.json``.

Regenerate the expected files only on purpose, after checking the differences:
``UPDATE_GOLDEN=1 python3 -m pytest tests/bank_parsers/test_bank_golden.py``.
"""

import json
import os
import re

import bank_samples
import pytest
from bank_test_utils import (
    SAMPLES_DIR,
    differences,
    dump_json,
    golden_path,
    options_from,
    read_sample,
    xsd_directory,
)
from lxml import etree

from odoo.addons.rental_flow_bank.engines.statement_import import parse_statement_file

UPDATE_GOLDEN = os.environ.get("UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("sample", sorted(bank_samples.SAMPLE_OPTIONS))
def test_sample_matches_golden_file(sample):
    result = parse_statement_file(
        read_sample(sample), sample, options_from(bank_samples.SAMPLE_OPTIONS[sample])
    )
    actual = json.loads(json.dumps(result.to_dict()))
    path = golden_path(sample)
    if UPDATE_GOLDEN:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(dump_json(actual))
        pytest.skip(f"golden file {os.path.basename(path)} rewritten (UPDATE_GOLDEN=1)")
    assert os.path.exists(path), f"missing golden file {path}: run with UPDATE_GOLDEN=1"
    with open(path, encoding="utf-8") as handle:
        expected = json.load(handle)
    problems = differences(expected, actual)
    assert not problems, f"{sample} differs from its golden file:\n" + "\n".join(problems[:40])


def test_every_sample_has_a_golden_file_and_no_stale_ones():
    expected = {os.path.basename(golden_path(name)) for name in bank_samples.SAMPLE_OPTIONS}
    present = {name for name in os.listdir(SAMPLES_DIR) if name.endswith(".expected.json")}
    assert present == expected


def test_bank_samples_are_up_to_date():
    """The committed sample files are exactly what bank_samples.py generates."""
    generated = bank_samples.all_samples()
    committed = {name for name in os.listdir(SAMPLES_DIR) if not name.endswith(".expected.json")}
    assert committed == set(generated)
    for name, content in generated.items():
        assert read_sample(name) == content, (
            f"samples/{name} is stale: run python3 tests/bank_parsers/bank_samples.py"
        )


@pytest.mark.parametrize(
    "sample", sorted(name for name in bank_samples.SAMPLE_OPTIONS if name.endswith(".xml"))
)
def test_camt_sample_is_valid_against_official_xsd(sample):
    data = read_sample(sample)
    version = re.search(rb"camt\.05[34]\.001\.\d\d", data).group().decode()
    schema = etree.XMLSchema(etree.parse(os.path.join(xsd_directory(), f"{version}.xsd")))
    document = etree.fromstring(data)
    assert schema.validate(document), [str(error) for error in schema.error_log][:5]
