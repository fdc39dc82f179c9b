"""One write for many journal items, each with its own values."""

from collections import defaultdict

from odoo import _, models
from odoo.exceptions import UserError

# What a bank reconciliation writes on a bank entry's suspense item.
BATCH_FIELDS = frozenset(
    {"account_id", "partner_id", "name", "amount_currency", "balance", "currency_id"}
)


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def _rental_write_many(self, vals_list, unchanged=()):
        """``self[i].write(vals_list[i])`` for every i, in one batch.

        Odoo's ``write`` takes one set of values for all its records: items that each
        get their own values (every bank entry its tenant, label and amount) cost one
        ``write`` each, and each write its own recomputation of the entry, its
        statement line and everything that depends on them; on thousands of bank lines,
        most of the matching's time. Here the values are put in the cache item by item
        and everything that depends on them is recomputed once for the batch, by the
        ORM, as ``write`` does (protection of the written fields, ``modified`` before
        and after, inverses, constraints, access rights, company checks), and flushed as
        a few ``UPDATE`` statements.

        Limited to what a bank reconciliation writes on a suspense item
        (``BATCH_FIELDS``, the same keys for every item), on items without taxes,
        unreconciled, of entries not hashed: the checks of ``account.move.line.write``
        that apply to them are made for the batch (deprecated accounts, fiscal lock
        date, accounts allowed in the journal). What a write of the bank entry adds
        (balance check, statement line synchronisation) is the caller's, as for
        ``Command.update`` in an entry's ``write``.

        ``unchanged``: names of computed fields the caller knows the values do not
        change (kept from recomputation), e.g. ``analytic_distribution`` when no
        distribution model can apply: its computation searches the models item by item.
        """
        if len(vals_list) != len(self):
            raise ValueError("one dictionary of values per journal item")
        if not self:
            return
        fnames = set(vals_list[0])
        if any(set(vals) != fnames for vals in vals_list) or not fnames <= BATCH_FIELDS:
            raise ValueError(f"the same keys among {sorted(BATCH_FIELDS)} for every item")
        self._rental_write_many_check(fnames, vals_list)
        if self._log_access:
            log = {"write_uid": self.env.uid, "write_date": self.env.cr.now()}
            vals_list = [{**vals, **log} for vals in vals_list]
        fields = sorted((self._fields[fname] for fname in vals_list[0]),
                        key=lambda field: field.write_sequence)
        protected = set()
        inverses = defaultdict(list)
        for field in fields:
            if field.inverse:
                inverses[field.inverse].append(field)
            if field.inverse or (field.compute and not field.readonly):
                protected.update(self.pool.field_computed.get(field, [field]))
        to_compute = [field.name for field in protected
                      if field.compute and field.name not in vals_list[0]]
        if to_compute:
            self._recompute_recordset(to_compute)
        protected.update(self._fields[fname] for fname in unchanged)
        relational = [field.name for field in fields if self.pool.is_modifying_relations(field)]
        with self.env.protecting(protected, self):
            self.modified(relational, before=True)
            for line, vals in zip(self, vals_list, strict=True):
                for field in fields:
                    field.write(line, vals[field.name])
            self.modified([field.name for field in fields])
            self._validate_fields(fnames, [f.name for fs in inverses.values() for f in fs])
            for inverse_fields in inverses.values():
                inverse_fields[0].determine_inverse(self)
            self._validate_fields([f.name for fs in inverses.values() for f in fs])
        if self._check_company_auto:
            self._check_company(list(fnames))
        if fnames & {"account_id", "currency_id"}:
            self._check_constrains_account_id_journal_id()

    def _rental_write_many_check(self, fnames, vals_list):
        """The checks of ``write`` and ``account.move.line.write`` that apply to a batch
        of :meth:`_rental_write_many` (before anything is written)."""
        self.check_access("write")
        self.check_field_access_rights("write", list(fnames))
        if self.filtered(lambda line: line.reconciled or line.matching_number
                         or line.tax_ids or line.tax_line_id):
            raise UserError(_("Only unreconciled journal items without taxes can be "
                              "rewritten in a batch."))
        if self.move_id.filtered("inalterable_hash"):
            raise UserError(_("The journal items of hashed entries cannot be changed."))
        if "account_id" in fnames and self.env["account.account"].browse(
            {vals["account_id"] for vals in vals_list}
        ).filtered("deprecated"):
            raise UserError(_("You cannot use a deprecated account."))
        posted = self.filtered(lambda line: line.parent_state == "posted")
        protected_fields = self._get_lock_date_protected_fields()
        if fnames & set(protected_fields["fiscal"]):
            posted.move_id._check_fiscal_lock_dates()
        if fnames & set(protected_fields["tax"]):
            posted._check_tax_lock_date()
