"""The machine has what Rental Flow needs: Odoo 18.0, the Python libraries, wkhtmltopdf."""

import importlib
import shutil
import subprocess

import pytest

import odoo.release


def test_odoo_is_18_0():
    assert odoo.release.serie == "18.0", odoo.release.version


@pytest.mark.parametrize("module", ["schwifty", "rapidfuzz", "lxml.etree", "phonenumbers"])
def test_python_library_imports(module):
    assert importlib.import_module(module)


def test_wkhtmltopdf_runs():
    """PDF reports (rent calls, receipts, dunning letters) are rendered by wkhtmltopdf."""
    binary = shutil.which("wkhtmltopdf")
    assert binary, "wkhtmltopdf is not on PATH: run `make install`"
    result = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "wkhtmltopdf" in result.stdout
