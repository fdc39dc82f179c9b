import json

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engines.statement_types import CsvMapping, StatementParseError

EXAMPLE_MAPPING = {
    "date_column": "Date",
    "value_date_column": "Date valeur",
    "label_columns": ["Libellé"],
    "debit_column": "Débit",
    "credit_column": "Crédit",
    "counterparty_name_column": "Tiers",
    "delimiter": ";",
    "encoding": "utf-8",
    "decimal_separator": ",",
    "date_formats": ["%d/%m/%Y"],
}


class RentalBankCsvMapping(models.Model):
    """Saved column mapping of a bank's CSV or Excel export.

    The mapping itself is the JSON form of the parser's ``CsvMapping`` (columns by
    header name or 0-based index, separators, date formats, encoding...). A mapping
    may be shared by several journals (same bank) or reserved to one.
    """

    _name = "rental.bank.csv.mapping"
    _description = "Bank CSV/Excel Column Mapping"
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", index=True, help="Leave empty to share the mapping between companies."
    )
    journal_id = fields.Many2one(
        "account.journal",
        string="Reserved to Journal",
        check_company=True,
        domain="[('type', '=', 'bank')]",
        help="Leave empty for a mapping reusable by every bank journal.",
    )
    mapping_json = fields.Text(
        string="Mapping (JSON)",
        required=True,
        default=lambda self: json.dumps(EXAMPLE_MAPPING, indent=2, ensure_ascii=False),
        help="Keys: date_column, amount_column or debit_column/credit_column, "
        "value_date_column, currency_column or currency, counterparty_name_column, "
        "counterparty_iban_column, counterparty_bic_column, label_columns, "
        "reference_column, end_to_end_id_column, bank_reference_column, "
        "credited_account_column, account_column or account_iban, delimiter, quotechar, "
        "encoding, has_header, skip_rows, decimal_separator, thousands_separator, "
        "date_formats, sheet_name, direction_column, debit_values. Columns are header "
        "names or 0-based indexes.",
    )

    @api.constrains("mapping_json")
    def _check_mapping_json(self):
        for mapping in self:
            mapping._get_csv_mapping()

    def _get_csv_mapping(self):
        """The parser's :class:`CsvMapping`; :class:`ValidationError` when invalid."""
        self.ensure_one()
        try:
            data = json.loads(self.mapping_json or "")
        except ValueError as exc:
            raise ValidationError(
                _("%(name)s: the mapping is not valid JSON (%(error)s).",
                  name=self.name, error=exc)
            ) from None
        try:
            return CsvMapping.from_dict(data)
        except (StatementParseError, TypeError) as exc:
            raise ValidationError(f"{self.name}: {exc}") from None
