"""Bulk creation of bank statement lines and their journal entries.

Odoo's ``account.bank.statement.line.create`` builds, numbers and posts one journal
entry per line with many ORM round trips: about 70 lines per second, far too slow for
a statement of 50,000 transactions. :class:`StatementLineWriter` keeps Odoo's own code
for what it is good at and writes the rest in bulk:

1. lines are grouped by statement and numbering period (month, fiscal year), in
   date order;
2. the first line of each group is created by Odoo's ``create`` (real path: lock
   dates, sequence lock, posting, every computed field);
3. the other lines of the group are inserted with set-based SQL (``INSERT ... SELECT
   FROM unnest(...)``): each new row is the *reference row* of step 2 with the
   columns that depend on the line replaced (ids, entry number, amounts, label,
   bank data). Entry numbers continue Odoo's transactional sequence cache, so they
   are the numbers Odoo itself would give, under the same lock;
4. stored computed fields this module does not know (added by other modules) are
   recomputed by the ORM on the new records, and the statements' balances and
   dates are recomputed.

The equivalence of both paths is checked by the tests (every stored column of the
entry, its two journal items and the statement line compared with what ``create``
gives). Journals in a foreign currency or with hashed entries, and values this writer
does not handle, go through Odoo's ``create`` entirely.
"""

import json
import logging
from collections import defaultdict
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from xmlrpc.client import MAXINT

from odoo import fields
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

CHUNK = 2000
ORM_CONTEXT = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_notrack": True,
}
# Keys of a line's values that are not statement line columns: constant within a group
# (journal, statement) or written to the entry (date).
GROUP_KEYS = ("journal_id", "statement_id", "date")
# Statement line columns the writer computes; the other keys of the values are
# copied as given.
STLINE_COMPUTED_HERE = ("id", "move_id", "statement_id", "internal_index", "amount_residual",
                        "is_reconciled", "rental_virtual_iban_id", "rental_property_id")
# Values this writer cannot handle (they change the entry's other columns).
ORM_ONLY_KEYS = frozenset(
    {"partner_id", "foreign_currency_id", "amount_currency", "currency_id", "move_id",
     "company_id", "line_ids", "counterpart_account_id", "move_type", "narration",
     "checked", "ref", "sequence"}
)
MOVE_VARYING = (
    "id", "name", "sequence_number", "statement_line_id", "date", "made_sequence_gap",
    "amount_total",
    "amount_total_signed", "amount_total_in_currency_signed",
)
MOVE_LINE_VARYING = (
    "id", "move_id", "statement_line_id", "statement_id", "date", "move_name", "name", "debit",
    "credit", "balance",
    "amount_currency", "amount_residual", "amount_residual_currency", "price_subtotal",
    "price_total", "reconciled",
)
# Stored computed fields whose value on a bank line's entry is either written here
# (the *_VARYING columns) or the same for every line of a group (copied from the
# reference row). Any other stored computed field (another module's) is recomputed
# by the ORM after the insert.
KNOWN_COMPUTED = {
    "account.bank.statement.line": frozenset(
        {"amount_currency", "amount_residual", "company_id", "currency_id",
         "internal_index", "is_reconciled", "journal_id", "rental_virtual_iban_id",
         "rental_property_id"}
    ),
    "account.move": frozenset(
        {"always_tax_exigible", "amount_residual", "amount_residual_signed", "amount_tax",
         "amount_tax_signed", "amount_total", "amount_total_in_currency_signed",
         "amount_total_signed", "amount_untaxed", "amount_untaxed_in_currency_signed",
         "amount_untaxed_signed", "auto_post_until", "commercial_partner_id", "company_id",
         "currency_id", "date", "delivery_date", "fiscal_position_id", "incoterm_location",
         "invoice_currency_rate", "invoice_date_due", "invoice_partner_display_name",
         "invoice_payment_term_id", "invoice_user_id", "is_storno", "journal_id",
         "made_sequence_gap", "name", "narration", "partner_bank_id", "partner_shipping_id",
         "payment_reference", "payment_state", "preferred_payment_method_line_id",
         "rental_owner_id", "sequence_number", "sequence_prefix"}
    ),
    "account.move.line": frozenset(
        {"account_id", "amount_currency", "amount_residual", "amount_residual_currency",
         "analytic_distribution", "balance", "company_currency_id", "company_id", "credit",
         "currency_id", "date", "debit", "display_type", "invoice_date", "journal_id",
         "move_name", "name", "parent_state", "partner_id", "payment_id", "price_subtotal",
         "price_total", "price_unit", "product_uom_id", "quantity", "reconciled", "ref",
         "sequence", "statement_id", "statement_line_id", "tax_group_id", "tax_line_id",
         "tax_tag_invert"}
    ),
}
STATEMENT_FIELDS = (
    "journal_id", "company_id", "first_line_index", "date", "balance_end", "is_complete",
)


@contextmanager
def import_savepoint(env):
    """A savepoint that also restores Odoo's transactional sequence cache on rollback.

    Entry numbers taken inside a rolled-back savepoint must be forgotten: their lock
    is released with the savepoint, so the cache would otherwise hand out numbers the
    transaction no longer holds (and leave gaps).
    """
    cache = env.cr.precommit.data.setdefault("sequence.mixin", {})
    before = dict(cache)
    try:
        with env.cr.savepoint():
            yield
    except BaseException:
        cache.clear()
        cache.update(before)
        raise


class StatementLineWriter:
    """Create statement lines of one journal in bulk (see the module docstring).

    ``create(vals_list)`` takes the values ``account.bank.statement.line.create``
    would take (journal, statement, date, amount, label, bank data) and returns the
    new lines in the order of ``vals_list``.
    """

    def __init__(self, env, journal):
        self.env = env
        self.journal = journal
        self.cr = env.cr
        self.Line = env["account.bank.statement.line"].with_context(**ORM_CONTEXT)
        self.currency = journal.currency_id or journal.company_id.currency_id
        self.quantum = Decimal(1).scaleb(-self.currency.decimal_places)
        self._columns = {}
        self._fiscal_years = {}

    # -- entry point ------------------------------------------------------------------

    def create(self, vals_list):
        """Create the lines; returns ``account.bank.statement.line`` in input order."""
        if not vals_list:
            return self.Line.browse()
        if not self._fast_path_possible(vals_list):
            return self._create_with_orm(vals_list)
        # Pending computations (e.g. of a statement just created) must not run after
        # the SQL below changed what they depend on.
        self.env.flush_all()
        groups = defaultdict(list)
        for index, vals in enumerate(vals_list):
            groups[self._group_key(vals)].append(index)
        ids = [None] * len(vals_list)
        new_ids = {"account.bank.statement.line": [], "account.move": [],
                   "account.move.line": []}
        for key in sorted(groups):
            # oldest first: the reference line (checked against the lock dates by Odoo)
            # has the earliest date, and entries are numbered in date order
            indexes = sorted(groups[key], key=lambda i: self._date(vals_list[i]["date"]))
            created = self._create_group([vals_list[i] for i in indexes], new_ids)
            for index, line_id in zip(indexes, created, strict=True):
                ids[index] = line_id
        self._finalise(new_ids, {v.get("statement_id") for v in vals_list} - {False, None})
        return self.Line.browse(ids).with_env(self.env)

    def _group_key(self, vals):
        """Lines of one group share their entries' numbering period and statement.

        Entry numbers restart at most every month, or at a fiscal year start (which a
        company may set in the middle of a month): both are part of the key.
        """
        day = self._date(vals["date"])
        if day not in self._fiscal_years:
            self._fiscal_years[day] = self.journal.company_id.compute_fiscalyear_dates(day)[
                "date_from"
            ]
        return (vals.get("statement_id") or 0, day.year, day.month, self._fiscal_years[day])

    def _fast_path_possible(self, vals_list):
        journal = self.journal
        if journal.currency_id and journal.currency_id != journal.company_id.currency_id:
            return False
        if journal.restrict_mode_hash_table:
            return False
        if not journal.default_account_id or not journal.suspense_account_id:
            return False  # let Odoo raise its own error
        return not any(ORM_ONLY_KEYS.intersection(vals) for vals in vals_list)

    def _create_with_orm(self, vals_list):
        lines = self.Line.browse()
        for start in range(0, len(vals_list), 500):
            lines |= self.Line.create(vals_list[start : start + 500])
        return lines.with_env(self.env)

    # -- one group ----------------------------------------------------------------------

    def _create_group(self, vals_list, new_ids):
        """Create one group (statement, numbering period); return the new line ids in order.

        The reference line is created without its statement (adding lines one by one
        to a statement recomputes the statement each time); every line of the group,
        the reference included, is attached to it by SQL and the statement is
        recomputed once at the end.
        """
        statement_id = vals_list[0].get("statement_id") or None
        reference = self.Line.create([{**vals_list[0], "statement_id": False}])
        self.env.flush_all()
        if statement_id:
            self._attach_statement(reference, statement_id)
        rest = vals_list[1:]
        if not rest:
            return reference.ids
        numbers = self._next_numbers(reference.move_id, len(rest))
        if numbers is None:  # the sequence could not be continued: Odoo numbers them
            return (reference | self._create_with_orm(rest)).ids
        created = []
        for start in range(0, len(rest), CHUNK):
            chunk = rest[start : start + CHUNK]
            created += self._insert_chunk(
                reference, chunk, numbers[start : start + CHUNK], statement_id, new_ids
            )
        return reference.ids + created

    def _attach_statement(self, line, statement_id):
        self.cr.execute(SQL(
            "UPDATE account_bank_statement_line SET statement_id = %s WHERE id = %s",
            statement_id, line.id,
        ))
        self.cr.execute(SQL(
            "UPDATE account_move_line SET statement_id = %s WHERE statement_line_id = %s",
            statement_id, line.id,
        ))

    def _next_numbers(self, move, count):
        """The next ``count`` entry numbers after ``move``'s, from Odoo's sequence cache.

        ``move`` was just numbered by Odoo, which locked its number and put the
        counter in the transaction's sequence cache; the numbers taken here advance
        that same counter, so later entries of the journal continue after them.
        Returns ``[(name, number)]``, or ``None`` when the cache does not hold this
        sequence (then the lines are numbered by Odoo one by one).
        """
        cache = move._get_sequence_cache()
        format_string, values = move._get_sequence_format_param(move.name)
        seq = values.pop("seq")
        key = (
            format_string.format(**values, seq=0),
            move._sequence_index and move[move._sequence_index],
        )
        if cache.get(key) != seq:
            return None
        cache[key] = seq + count
        return [
            (format_string.format(**values, seq=seq + i), seq + i) for i in range(1, count + 1)
        ]

    def _insert_chunk(self, reference, vals_list, numbers, statement_id, new_ids):
        """Insert the entries, statement lines and journal items of a chunk.

        One SQL statement (data-modifying CTEs): the foreign keys between the three
        tables are checked at its end, when all rows exist.
        """
        count = len(vals_list)
        move_ids = self._nextval("account_move", count)
        line_ids = self._nextval("account_bank_statement_line", count)
        item_ids = self._nextval("account_move_line", 2 * count)
        amounts = [self._amount(vals["amount"]) for vals in vals_list]
        dates = [self._date(vals["date"]) for vals in vals_list]
        names = [name for name, __ in numbers]
        inserts = [
            self._moves_sql(reference.move_id, move_ids, line_ids, numbers, amounts, dates),
            self._statement_lines_sql(reference, vals_list, line_ids, move_ids, amounts,
                                      statement_id),
            *self._move_lines_sql(reference, vals_list, item_ids, move_ids, line_ids, names,
                                  amounts, dates, statement_id),
        ]
        *ctes, last = inserts
        # PostgreSQL keeps, for the connection, the plans of its foreign-key checks made
        # when they were first run: on the tables as they were then. Made on an empty or
        # small statement table (a first import, or a connection that imported a small
        # file before), they scan the whole table: with a first import of 5,000 lines,
        # each check of a journal item against its bank line takes about 1 ms, here and
        # in the matching that follows (every journal item it writes is checked again),
        # a third of its time. Dropping them makes PostgreSQL plan the checks of this
        # insert, which run at its end, on the tables holding the new rows.
        self.cr.execute(SQL("DISCARD PLANS"))
        self.cr.execute(SQL(
            "WITH %s %s",
            SQL(", ").join(SQL("%s AS (%s)", SQL.identifier(f"w{i}"), cte)
                           for i, cte in enumerate(ctes)),
            last,
        ))
        new_ids["account.move"] += move_ids
        new_ids["account.bank.statement.line"] += line_ids
        new_ids["account.move.line"] += item_ids
        return line_ids

    # -- inserts ------------------------------------------------------------------------

    def _moves_sql(self, reference_move, move_ids, line_ids, numbers, amounts, dates):
        absolute = [abs(a) for a in amounts]
        return self._insert_sql(
            "account_move",
            reference_move.id,
            {
                "id": move_ids,
                "name": [name for name, __ in numbers],
                "sequence_number": [number for __, number in numbers],
                "statement_line_id": line_ids,
                "date": dates,
                # each number follows the previous one: none of these leaves a gap
                "made_sequence_gap": [False] * len(move_ids),
                "amount_total": absolute,
                "amount_total_signed": absolute,
                "amount_total_in_currency_signed": absolute,
            },
        )

    def _statement_lines_sql(self, reference, vals_list, line_ids, move_ids, amounts,
                             statement_id):
        sequence = reference.sequence
        columns = {
            "id": line_ids,
            "move_id": move_ids,
            "statement_id": [statement_id] * len(line_ids),
            "internal_index": [
                f"{self._date(vals['date']):%Y%m%d}{MAXINT - sequence:0>10}{line_id:0>10}"
                for vals, line_id in zip(vals_list, line_ids, strict=True)
            ],
            "amount_residual": [float(-a) for a in amounts],
            "is_reconciled": [a == 0 for a in amounts],
        }
        resolved = self.env["account.bank.statement.line"]._rental_resolve_virtual_ibans(
            [(vals.get("rental_credited_iban"), self._date(vals["date"])) for vals in vals_list]
        )
        columns["rental_virtual_iban_id"] = [iban for iban, __ in resolved]
        columns["rental_property_id"] = [prop for __, prop in resolved]
        types = self._column_types("account_bank_statement_line")
        keys = sorted({k for vals in vals_list for k in vals} - set(GROUP_KEYS))
        for key in keys:
            if key not in types or key in STLINE_COMPUTED_HERE:
                raise ValueError(f"StatementLineWriter cannot write {key!r}.")
            if key == "amount":
                columns[key] = amounts
            elif types[key] == "jsonb":
                columns[key] = [
                    json.dumps(vals[key], ensure_ascii=False) if vals.get(key) else None
                    for vals in vals_list
                ]
            elif types[key] == "bool":
                columns[key] = [bool(vals.get(key)) for vals in vals_list]
            else:
                columns[key] = [self._plain(vals.get(key)) for vals in vals_list]
        return self._insert_sql("account_bank_statement_line", reference.id, columns)

    def _move_lines_sql(self, reference, vals_list, item_ids, move_ids, line_ids, names,
                        amounts, dates, statement_id):
        journal = self.journal
        liquidity, suspense = self._reference_items(reference)
        queries = []
        for template, account, start, sign in (
            (liquidity, journal.default_account_id, 0, 1),
            (suspense, suspense.account_id, 1, -1),
        ):
            keep = account.reconcile or account.account_type in (
                "asset_cash", "liability_credit_card"
            )
            balances = [sign * a for a in amounts]
            residuals = balances if keep else [Decimal(0)] * len(balances)
            queries.append(self._insert_sql(
                "account_move_line",
                template.id,
                {
                    "id": item_ids[start::2],
                    "move_id": move_ids,
                    "statement_line_id": line_ids,
                    "statement_id": [statement_id] * len(line_ids),
                    "date": dates,
                    "move_name": names,
                    "name": [vals.get("payment_ref") or None for vals in vals_list],
                    "debit": [b if b > 0 else Decimal(0) for b in balances],
                    "credit": [-b if b < 0 else Decimal(0) for b in balances],
                    "balance": balances,
                    "amount_currency": balances,
                    "amount_residual": residuals,
                    "amount_residual_currency": residuals,
                    "price_subtotal": balances,
                    "price_total": balances,
                    # a zero line of a reconcilable (or cash) account is born reconciled
                    "reconciled": [keep and b == 0 for b in balances],
                },
            ))
        return queries

    def _reference_items(self, reference):
        """``(liquidity item, suspense item)`` of the reference line's entry."""
        items = reference.move_id.line_ids.sorted("id")
        liquidity = items.filtered(
            lambda item: item.account_id == self.journal.default_account_id
        )
        suspense = items - liquidity
        if len(liquidity) != 1 or len(suspense) != 1:
            raise ValueError("A bank line's entry must have one liquidity and one suspense item.")
        return liquidity, suspense

    def _insert_sql(self, table, reference_id, varying):
        """``INSERT`` of rows made of the reference row with the ``varying`` columns replaced."""
        types = self._column_types(table)
        all_columns = list(types)
        unknown = set(varying) - set(all_columns)
        if unknown:
            raise ValueError(f"{table} has no column {', '.join(sorted(unknown))}.")
        names = list(varying)
        select = [
            SQL("v.%s", SQL.identifier(col)) if col in varying
            else SQL("r.%s", SQL.identifier(col))
            for col in all_columns
        ]
        arrays = [SQL("%s::%s[]", varying[col], SQL(types[col])) for col in names]
        return SQL(
            "INSERT INTO %(table)s (%(columns)s) SELECT %(select)s "
            "FROM unnest(%(arrays)s) AS v(%(names)s) "
            "CROSS JOIN (SELECT * FROM %(table)s WHERE id = %(ref)s) AS r",
            table=SQL.identifier(table),
            columns=SQL(", ").join(SQL.identifier(c) for c in all_columns),
            select=SQL(", ").join(select),
            arrays=SQL(", ").join(arrays),
            names=SQL(", ").join(SQL.identifier(c) for c in names),
            ref=reference_id,
        )

    # -- helpers ------------------------------------------------------------------------

    def _column_types(self, table):
        if table not in self._columns:
            self.cr.execute(
                SQL(
                    "SELECT column_name, udt_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = %s "
                    "ORDER BY ordinal_position",
                    table,
                )
            )
            self._columns[table] = dict(self.cr.fetchall())
        return self._columns[table]

    def _nextval(self, table, count):
        self.cr.execute(
            SQL(
                "SELECT nextval(%s) FROM generate_series(1, %s)",
                f"{table}_id_seq",
                count,
            )
        )
        return [row[0] for row in self.cr.fetchall()]

    def _amount(self, value):
        amount = Decimal(str(value)).quantize(self.quantum, rounding=ROUND_HALF_UP)
        return amount + 0  # no negative zero

    @staticmethod
    def _date(value):
        return fields.Date.to_date(value)

    @staticmethod
    def _plain(value):
        return None if value is False else value

    # -- after the inserts ------------------------------------------------------------

    def _finalise(self, new_ids, statement_ids):
        """Recompute what depends on the inserted rows: statements, other modules' fields."""
        env = self.env
        env.flush_all()
        if statement_ids:
            self._update_statements(sorted(statement_ids))
        env.invalidate_all()
        for model_name, ids in new_ids.items():
            if not ids:
                continue
            records = env[model_name].browse(ids)
            for field in records._fields.values():
                if (field.store and field.compute and field.column_type
                        and field.name not in KNOWN_COMPUTED[model_name]):
                    env.add_to_compute(field, records)
        env.flush_all()

    def _update_statements(self, statement_ids):
        """Set the fields Odoo computes from a statement's lines, in one query.

        Same definitions as ``account.bank.statement``: journal and company of the
        lines, first line's internal index, date of the last posted line, computed
        ending balance (start + posted lines), complete when it equals the real one.
        """
        self.cr.execute(SQL(
            """
            UPDATE account_bank_statement st
               SET journal_id = agg.journal_id,
                   company_id = agg.company_id,
                   first_line_index = agg.first_index,
                   date = agg.last_date,
                   balance_end = COALESCE(st.balance_start, 0) + agg.total,
                   is_complete = agg.posted > 0 AND ROUND(COALESCE(st.balance_start, 0)
                       + agg.total, %(digits)s) = ROUND(COALESCE(st.balance_end_real, 0),
                       %(digits)s)
              FROM (
                    SELECT l.statement_id,
                           MIN(l.journal_id) AS journal_id,
                           MIN(l.company_id) AS company_id,
                           MIN(l.internal_index) AS first_index,
                           (ARRAY_AGG(m.date ORDER BY l.internal_index DESC)
                               FILTER (WHERE m.state = 'posted'))[1] AS last_date,
                           COALESCE(SUM(l.amount) FILTER (WHERE m.state = 'posted'), 0) AS total,
                           COUNT(*) FILTER (WHERE m.state = 'posted') AS posted
                      FROM account_bank_statement_line l
                      JOIN account_move m ON m.id = l.move_id
                     WHERE l.statement_id = ANY(%(ids)s)
                  GROUP BY l.statement_id
                   ) agg
             WHERE st.id = agg.statement_id
            """,
            digits=self.currency.decimal_places,
            ids=statement_ids,
        ))
        statements = self.env["account.bank.statement"].browse(statement_ids)
        for name in STATEMENT_FIELDS:
            self.env.remove_to_compute(statements._fields[name], statements)
