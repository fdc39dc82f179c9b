"""Migration of direct debit mandates from another bank or software (CSV / XLSX)."""

import base64
import csv
import io
import re
import unicodedata
from datetime import date, datetime

from stdnum.eu import at_02

from odoo import _, fields, models
from odoo.exceptions import UserError

from odoo.addons.rental_flow.engines.sepa_text import identifier_problem

from ..models.rental_sdd_mandate import bic_problem, iban_problem

# Accepted column headers (normalised: lower case, no accents, words joined by "_").
COLUMNS = {
    "reference": ("reference", "mandate_reference", "mandate_ref", "mandate_id", "rum",
                  "reference_unique_du_mandat", "mndtid"),
    "signature_date": ("signature_date", "date_of_signature", "signed_on", "date_signature",
                       "dtofsgntr"),
    "debtor_name": ("debtor_name", "debtor", "account_holder", "titulaire", "nom_debiteur"),
    "iban": ("iban", "debtor_iban"),
    "bic": ("bic", "debtor_bic", "swift"),
    "scheme": ("scheme", "schema", "sdd_scheme"),
    "type": ("type", "mandate_type", "sequence"),
    "tenant": ("tenant", "partner", "tenant_ref", "customer", "lease", "locataire"),
    "original_creditor_id": ("original_creditor_id", "creditor_id", "ics",
                             "original_creditor_identifier"),
    "last_collection_date": ("last_collection_date", "last_collection", "last_debit_date",
                             "date_dernier_prelevement"),
}
REQUIRED = ("reference", "signature_date", "debtor_name", "iban", "tenant")
SCHEMES = {"core": "CORE", "b2b": "B2B", "": "CORE"}
TYPES = {
    "": "recurrent", "recurrent": "recurrent", "rcur": "recurrent", "frst": "recurrent",
    "recurring": "recurrent", "oneoff": "oneoff", "one_off": "oneoff", "ooff": "oneoff",
    "ponctuel": "oneoff", "one-off": "oneoff",
}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d")


def normalise(header):
    text = unicodedata.normalize("NFKD", str(header or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def parse_date(value):
    """A date from an XLSX cell or a text (ISO, dd/mm/yyyy...); None when empty."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def read_rows(data, filename):
    """``(headers, rows)`` of a CSV or XLSX file; rows are lists of cells."""
    if data[:2] == b"PK" or (filename or "").lower().endswith(".xlsx"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise UserError(_("The file is not a readable XLSX workbook: %(error)s",
                              error=exc)) from exc
        sheet = book.worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        book.close()
    else:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        try:
            dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else "", ",;\t")
        except csv.Error:
            dialect = csv.excel
        rows = list(csv.reader(io.StringIO(text), dialect))
    rows = [row for row in rows if any(cell not in (None, "") for cell in row)]
    if not rows:
        raise UserError(_("The file is empty."))
    return rows[0], rows[1:]


class RentalSddMandateImport(models.TransientModel):
    """Import the mandates of another bank or software, without new signatures.

    Every row is checked first; if any row is wrong, nothing is created and the errors
    are listed with their row numbers. Imported mandates keep their reference and
    signature date and are valid at once. When the former creditor identifier differs
    from the company's, it is sent once as amendment information with the first
    collection; a mandate already used there continues as RCUR.
    """

    _name = "rental.sdd.mandate.import"
    _description = "Import Direct Debit Mandates"

    data_file = fields.Binary(string="File (CSV or XLSX)", required=True, attachment=False)
    filename = fields.Char()
    company_id = fields.Many2one("res.company", required=True,
                                 default=lambda self: self.env.company)
    original_creditor_name = fields.Char(
        help="Name of the former creditor, sent with the original creditor identifier."
    )
    errors = fields.Text(readonly=True)
    mandate_ids = fields.Many2many("rental.sdd.mandate", string="Imported Mandates",
                                   readonly=True)
    state = fields.Selection([("draft", "Draft"), ("error", "Errors"), ("done", "Done")],
                             default="draft")

    # -- parsing ---------------------------------------------------------------------------

    def _column_index(self, headers):
        known = {alias: key for key, aliases in COLUMNS.items() for alias in aliases}
        index = {}
        for position, header in enumerate(headers):
            key = known.get(normalise(header))
            if key and key not in index:
                index[key] = position
        missing = [key for key in REQUIRED if key not in index]
        if missing:
            raise UserError(_(
                "Missing columns: %(columns)s. Expected columns: mandate reference, "
                "signature date, debtor name, IBAN, BIC (optional), scheme, type, tenant, "
                "original creditor id (optional), last collection date (optional).",
                columns=", ".join(missing),
            ))
        return index

    def _tenant_resolver(self):
        """A function ``text -> (partner, error)``: partner reference, name or lease code."""
        company = self.company_id

        def resolve(text):
            if not text:
                return None, _("the tenant is missing")
            Partner = self.env["res.partner"].with_context(active_test=False)
            partners = Partner.search([("ref", "=", text)])
            if not partners:
                lease = self.env["rental.lease"].search(
                    [("name", "=", text), ("company_id", "=", company.id)], limit=1
                )
                partners = lease.tenant_id
            if not partners:
                partners = Partner.search([("name", "=ilike", text),
                                           ("company_id", "in", (False, company.id))])
            if not partners:
                return None, _("tenant %(tenant)s not found (partner reference, name or "
                               "lease code)", tenant=text)
            if len(partners) > 1:
                return None, _("tenant %(tenant)s is ambiguous (%(count)s contacts)",
                               tenant=text, count=len(partners))
            return partners, None

        return resolve

    def _validate(self):
        """Parse and check every row: ``(values, errors)``; nothing is written."""
        self.ensure_one()
        data = base64.b64decode(self.data_file or b"")
        headers, rows = read_rows(data, self.filename)
        index = self._column_index(headers)
        resolve = self._tenant_resolver()
        company = self.company_id
        own_creditor = at_02.compact(company.rental_sdd_creditor_id or "")
        existing = set(self.env["rental.sdd.mandate"].search(
            [("company_id", "=", company.id)]).mapped("name"))
        today = fields.Date.context_today(self)
        seen = {}
        values, errors = [], []
        context = {"existing": existing, "seen": seen, "today": today, "resolve": resolve,
                   "own_creditor": own_creditor}
        for number, row in enumerate(rows, start=2):

            def cell(key, row=row):
                position = index.get(key)
                if position is None or position >= len(row) or row[position] is None:
                    return ""
                value = row[position]
                return value if isinstance(value, date) else str(value).strip()

            row_values, problems = self._check_row(number, cell, context)
            if problems:
                errors.append(_("Row %(row)s: %(problems)s", row=number,
                                problems="; ".join(str(p) for p in problems)))
            else:
                values.append(row_values)
        if not rows:
            errors.append(_("The file has no mandate."))
        return values, errors

    def _check_row(self, number, cell, context):
        """``(values, problems)`` of one row; ``cell(key)`` reads a column."""
        problems = []
        reference = cell("reference")
        problem = identifier_problem(reference, _("mandate reference"))
        if problem:
            problems.append(problem)
        elif reference in context["existing"]:
            problems.append(_("mandate %(ref)s already exists", ref=reference))
        elif reference in context["seen"]:
            problems.append(_("mandate %(ref)s is also on row %(row)s", ref=reference,
                              row=context["seen"][reference]))
        context["seen"].setdefault(reference, number)
        dates = {}
        for key, label in (("signature_date", _("signature date")),
                           ("last_collection_date", _("last collection date"))):
            try:
                dates[key] = parse_date(cell(key))
            except ValueError as exc:
                problems.append(_("%(label)s %(value)s is not a date", label=label, value=exc))
        signed = dates.get("signature_date")
        last = dates.get("last_collection_date")
        if "signature_date" in dates and not signed:
            problems.append(_("the signature date is missing"))
        elif signed and signed > context["today"]:
            problems.append(_("the signature date %(date)s is in the future", date=signed))
        if signed and last and last < signed:
            problems.append(_("the last collection is before the signature"))
        debtor = cell("debtor_name")
        if not debtor:
            problems.append(_("the debtor name is missing"))
        iban = re.sub(r"\s+", "", cell("iban")).upper()
        bic = re.sub(r"\s+", "", cell("bic")).upper()
        problem = iban_problem(iban) or bic_problem(bic)
        if problem:
            problems.append(problem)
        scheme = SCHEMES.get(normalise(cell("scheme")))
        if not scheme:
            problems.append(_("scheme %(scheme)s must be CORE or B2B", scheme=cell("scheme")))
        kind = TYPES.get(normalise(cell("type")), TYPES.get(cell("type").lower()))
        if not kind:
            problems.append(_("type %(type)s must be recurrent or one-off", type=cell("type")))
        original = at_02.compact(cell("original_creditor_id"))
        if original and not at_02.is_valid(original):
            problems.append(_("original creditor identifier %(id)s is invalid",
                              id=cell("original_creditor_id")))
        tenant, problem = context["resolve"](cell("tenant"))
        if problem:
            problems.append(problem)
        return {
            "row": number, "reference": reference, "signature_date": signed,
            "last_collection_date": last, "debtor_name": debtor, "iban": iban,
            "bic": bic, "scheme": scheme, "mandate_type": kind, "partner": tenant,
            "original_creditor_id": (
                original if original and original != context["own_creditor"] else False
            ),
        }, problems

    # -- import ------------------------------------------------------------------------------

    def action_import(self):
        """Create every mandate, or none and the list of errors."""
        self.ensure_one()
        values, errors = self._validate()
        if errors:
            self.write({"state": "error", "errors": "\n".join(errors)})
            return self._reopen()
        mandates = self._create_mandates(values)
        self.write({"state": "done", "errors": False,
                    "mandate_ids": [fields.Command.set(mandates.ids)]})
        return self._reopen()

    def _bank_account(self, partner, iban, bic):
        """The tenant's bank account with this IBAN (created when missing)."""
        Bank = self.env["res.partner.bank"].with_context(active_test=False)
        account = Bank.search([("partner_id", "=", partner.id),
                               ("sanitized_acc_number", "=", iban)], limit=1)
        if not account:
            account = Bank.create({"partner_id": partner.id, "acc_number": iban})
        if bic and account.bank_bic != bic:
            bank = self.env["res.bank"].search([("bic", "=", bic)], limit=1) or \
                self.env["res.bank"].create({"name": bic, "bic": bic})
            account.bank_id = bank
        return account

    def _create_mandates(self, values):
        company = self.company_id
        vals_list = []
        for row in values:
            bank = self._bank_account(row["partner"], row["iban"], row["bic"])
            vals_list.append({
                "name": row["reference"],
                "company_id": company.id,
                "partner_id": row["partner"].id,
                "debtor_name": row["debtor_name"],
                "bank_id": bank.id,
                "scheme": row["scheme"],
                "mandate_type": row["mandate_type"],
                "signature_date": row["signature_date"],
                "last_collection_date": row["last_collection_date"] or False,
                "first_collection_done": bool(row["last_collection_date"]),
                "amend_original_creditor_id": row["original_creditor_id"],
                "amend_original_creditor_name": (
                    self.original_creditor_name if row["original_creditor_id"] else False
                ),
                "migrated": True,
                "state": "valid",
            })
        mandates = self.env["rental.sdd.mandate"].create(vals_list)
        for mandate, row in zip(mandates, values, strict=True):
            mandate.message_post(body=_(
                "Migrated from %(file)s (row %(row)s) without a new signature.",
                file=self.filename or _("a file"), row=row["row"],
            ))
        mandates._rental_assign_to_leases()
        return mandates

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Import Direct Debit Mandates"),
        }

    def action_view_mandates(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow_bank.action_rental_sdd_mandate"
        )
        action["domain"] = [("id", "in", self.mandate_ids.ids)]
        return action
