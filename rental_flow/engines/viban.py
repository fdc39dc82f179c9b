"""Virtual IBAN helpers (pure Python, on top of schwifty).

Every IBAN entering the pool is normalised and validated here: structure, length,
ISO 13616 check digits and, where the country defines one, the national check digits
(the French RIB key). Ranges reserved by a bank are computed with schwifty, which
fills in the RIB key and the IBAN check digits.
"""

import csv
import io
import warnings
from dataclasses import dataclass

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException


class VirtualIbanError(ValueError):
    """An IBAN, a range or an import file that cannot be accepted."""


def normalize(iban):
    """Compact upper-case form used for storage and comparison (no spaces)."""
    return "".join((iban or "").split()).upper()


def validate(iban):
    """Return the validated :class:`schwifty.IBAN` or raise :class:`VirtualIbanError`.

    The national check digits are verified where schwifty knows the algorithm
    (France and Monaco: RIB key).
    """
    value = normalize(iban)
    if not value:
        raise VirtualIbanError("The IBAN is empty.")
    try:
        with warnings.catch_warnings():
            # Countries without a national checksum algorithm only emit a warning.
            warnings.simplefilter("ignore")
            return IBAN(value, validate_bban=True)
    except SchwiftyException as exc:
        raise VirtualIbanError(f"{value}: {exc}") from None


def is_valid(iban):
    try:
        validate(iban)
    except VirtualIbanError:
        return False
    return True


def describe(iban):
    """Bank name and BIC known for an IBAN, as ``(bank_name, bic)`` (may be empty)."""
    value = validate(iban)
    bic = value.bic
    return value.bank_name or "", str(bic) if bic else ""


def generate_range(country, bank_code, branch_code, first_account, count, account_length=11):
    """IBANs of a range of account numbers reserved by a bank.

    ``first_account`` is the first account number (an int); accounts are zero-padded to
    ``account_length`` digits. Only use a range the bank has reserved for you by contract.
    """
    count = int(count)
    first_account = int(first_account)
    if count <= 0:
        raise VirtualIbanError("The number of IBANs to compute must be positive.")
    if first_account < 0:
        raise VirtualIbanError("The first account number cannot be negative.")
    last = first_account + count - 1
    if len(str(last)) > account_length:
        raise VirtualIbanError(
            f"The range ends at account {last}, longer than {account_length} digits."
        )
    result = []
    try:
        for number in range(first_account, first_account + count):
            iban = IBAN.generate(
                country,
                bank_code=bank_code,
                branch_code=branch_code,
                account_code=str(number).zfill(account_length),
            )
            result.append(str(iban))
    except SchwiftyException as exc:
        raise VirtualIbanError(f"Cannot compute IBANs for this range: {exc}") from None
    return result


@dataclass
class ImportRow:
    line: int
    iban: str
    label: str = ""
    provider_ref: str = ""


@dataclass
class ImportReport:
    rows: list
    errors: list  # (line number, message)

    @property
    def ok(self):
        return not self.errors


IBAN_HEADERS = ("iban", "virtual_iban", "virtual iban", "iban virtuel", "account")
LABEL_HEADERS = ("label", "name", "libelle", "libellé", "nom")
REF_HEADERS = ("id", "provider_ref", "reference", "référence", "ref")


def parse_import(data, existing=()):
    """Parse a bank's list of virtual IBANs (CSV, ``,`` or ``;`` separated).

    The file may have a header row naming an IBAN column (``iban``...) and optional label
    and reference columns; without a header, the first column is the IBAN. Every line is
    checked (validity, duplicates in the file, IBANs already known in ``existing``); the
    report lists every problem with its line number so that nothing is created from a
    file with errors.
    """
    text = _decode(data)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows, errors, seen = [], [], {}
    existing = {normalize(i) for i in existing}
    columns = None
    for line_no, record in enumerate(reader, start=1):
        cells = [c.strip() for c in record]
        if not any(cells):
            continue
        if columns is None:
            columns = _columns(cells)
            if columns is not None:
                continue
            columns = (0, 1 if len(cells) > 1 else None, 2 if len(cells) > 2 else None)
        iban_col, label_col, ref_col = columns
        raw = cells[iban_col] if iban_col < len(cells) else ""
        value = normalize(raw)
        try:
            validate(value)
        except VirtualIbanError as exc:
            errors.append((line_no, str(exc) if value else "No IBAN on this line."))
            continue
        if value in seen:
            errors.append((line_no, f"{value} is already on line {seen[value]}."))
            continue
        if value in existing:
            errors.append((line_no, f"{value} is already in a virtual IBAN pool."))
            continue
        seen[value] = line_no
        rows.append(
            ImportRow(
                line=line_no,
                iban=value,
                label=_cell(cells, label_col),
                provider_ref=_cell(cells, ref_col),
            )
        )
    if not rows and not errors:
        errors.append((0, "The file holds no IBAN."))
    return ImportReport(rows=rows, errors=errors)


def _decode(data):
    if isinstance(data, str):
        return data
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise VirtualIbanError("The file is neither UTF-8 nor Windows-1252 text.")


def _columns(cells):
    """Column indexes (iban, label, ref) if ``cells`` is a header row, else None."""
    lowered = [c.lower() for c in cells]
    if not any(h in lowered for h in IBAN_HEADERS):
        return None

    def find(names):
        for index, cell in enumerate(lowered):
            if cell in names:
                return index
        return None

    return find(IBAN_HEADERS), find(LABEL_HEADERS), find(REF_HEADERS)


def _cell(cells, index):
    if index is None or index >= len(cells):
        return ""
    return cells[index]
