"""Entry point of the bank statement parsers: format detection and dispatch.

>>> result = parse_statement_file(data, "releve.xml", ParseOptions(alias_in_ntry_ref=False))
>>> for statement in result.statements:
...     statement.account_iban, statement.opening_balance, len(statement.lines)

Formats (:func:`detect_format` values): ``"camt.053"``, ``"camt.054"``,
``"cfonb120"``, ``"csv"``, ``"xlsx"``. An integrator can add or replace a format with
:func:`register_parser` and :func:`register_detector`.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from .statement_base import BaseParser, check_size
from .statement_camt import CamtParser, detect_camt_message
from .statement_cfonb import RECORD_CODES, RECORD_LENGTH, Cfonb120Parser
from .statement_csv import CsvParser, XlsxParser
from .statement_types import (
    FORMAT_CAMT053,
    FORMAT_CAMT054,
    FORMAT_CFONB120,
    FORMAT_CSV,
    FORMAT_XLSX,
    ParseOptions,
    ParseResult,
    StatementParseError,
)

PARSERS: dict[str, type[BaseParser]] = {
    FORMAT_CAMT053: CamtParser,
    FORMAT_CAMT054: CamtParser,
    FORMAT_CFONB120: Cfonb120Parser,
    FORMAT_CSV: CsvParser,
    FORMAT_XLSX: XlsxParser,
}

Detector = Callable[[bytes, str], "str | None"]
_XML_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_CFONB_EXTENSIONS = (".cfo", ".cfonb", ".cfonb120", ".120")
_CSV_DELIMITERS = (";", ",", "\t", "|")


def register_parser(format_name: str, parser_class: type[BaseParser]) -> None:
    """Use ``parser_class`` for ``format_name`` (new format or replacement)."""
    PARSERS[format_name] = parser_class


def _looks_like_xml(data: bytes) -> bool:
    head = data[:512]
    for bom in _XML_BOMS:
        if head.startswith(bom):
            return True
    return head.lstrip().startswith(b"<")


def detect_xml(data: bytes, filename: str) -> str | None:
    """CAMT by namespace; other XML is refused with an explanation."""
    if not _looks_like_xml(data):
        return None
    detected = detect_camt_message(data)
    if detected is None:
        raise StatementParseError(
            "This XML file is not an ISO 20022 camt.053 or camt.054 bank statement "
            "(no urn:iso:std:iso:20022:tech:xsd:camt.05x namespace found)."
        )
    fmt, version, _number = detected
    if fmt not in (FORMAT_CAMT053, FORMAT_CAMT054):
        raise StatementParseError(
            f"{version} files are not supported: import camt.053 statements or camt.054 "
            "notifications."
        )
    return fmt


def detect_zip(data: bytes, filename: str) -> str | None:
    """XLSX workbooks (zip magic + ``xl/workbook.xml``); legacy .xls is refused."""
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise StatementParseError(
            "Legacy Excel (.xls) files are not supported: save the file as .xlsx or CSV."
        )
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        raise StatementParseError("The file looks like a ZIP archive but is damaged.") from None
    if "xl/workbook.xml" in names:
        return FORMAT_XLSX
    raise StatementParseError(
        "This ZIP archive is not an Excel workbook; extract the statement files first."
    )


def detect_cfonb(data: bytes, filename: str) -> str | None:
    """CFONB 120: the first record has a CFONB record code and 120 characters."""
    text = data[: RECORD_LENGTH * 2 + 2].decode("latin-1")
    first = text.replace("\r", "\n").split("\n", 1)[0]
    if first[:2] not in RECORD_CODES or not first[2:7].isdigit():
        return None
    no_breaks = "\n" not in text and "\r" not in text
    if len(first) == RECORD_LENGTH or (no_breaks and len(data) % RECORD_LENGTH == 0):
        return FORMAT_CFONB120
    if filename.lower().endswith(_CFONB_EXTENSIONS):
        return FORMAT_CFONB120
    return None


def detect_csv(data: bytes, filename: str) -> str | None:
    """Text with a usual delimiter in its first line (or a .csv/.txt name)."""
    head = data[:4096]
    if b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = head.decode("cp1252", errors="replace")
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    if any(d in first for d in _CSV_DELIMITERS) or filename.lower().endswith((".csv", ".txt")):
        return FORMAT_CSV
    return None


DETECTORS: list[Detector] = [detect_xml, detect_zip, detect_cfonb, detect_csv]


def register_detector(detector: Detector, first: bool = True) -> None:
    """Add a detector ``(data, filename) -> format or None`` (tried first by default)."""
    if first:
        DETECTORS.insert(0, detector)
    else:
        DETECTORS.append(detector)


def detect_format(data: bytes, filename: str = "") -> str:
    """Format name of a statement file, from its content (the filename only helps).

    Raises :class:`StatementParseError` when the format is unknown or unsupported.
    """
    if not data:
        raise StatementParseError("The statement file is empty.")
    for detector in DETECTORS:
        fmt = detector(data, filename or "")
        if fmt:
            return fmt
    raise StatementParseError(
        "Unrecognised statement format: expected camt.053/camt.054 XML, CFONB 120, CSV "
        "or Excel (.xlsx)."
    )


def get_parser(format_name: str, options: ParseOptions | None = None) -> BaseParser:
    """An instance of the parser registered for ``format_name``."""
    try:
        parser_class = PARSERS[format_name]
    except KeyError:
        raise StatementParseError(f"No parser for format {format_name!r}.") from None
    return parser_class(options)


def parse_statement_file(
    data: bytes, filename: str = "", options: ParseOptions | None = None
) -> ParseResult:
    """Detect the format of ``data`` and parse it completely.

    Returns a :class:`ParseResult` with one :class:`ParsedStatement` per account
    statement in the file. Raises :class:`StatementParseError` (with a human message)
    for bad, unsupported or oversized input; nothing is returned for a bad file.
    """
    options = options or ParseOptions()
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise StatementParseError("The statement file content must be bytes.")
    check_size(data, options.max_bytes)
    return get_parser(detect_format(data, filename), options).parse(data, filename)
