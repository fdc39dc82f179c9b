"""Bulk writers of posted journal entries and payments, in SQL.

Creating and posting thousands of journal entries through the ORM costs tens of
milliseconds each (line computations, synchronisation, checks). Split entries and owner
payout payments are simple and fully known in advance (balanced lines, no payment term,
at most one tax), so a large batch is written with a few multi-row INSERTs: the rows the
ORM writes for the same records (tests compare both paths column by column), numbered
with Odoo's own sequence logic and lock (the unique index on posted entry numbers). The
ORM caches are then invalidated and the stored fields that depend on the new journal
items are recomputed.

Small batches (a payment registered by hand) and journals keeping a hash chain go
through the ORM: see :func:`can_write_in_bulk`.
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from psycopg2 import errors as pgerrors
from psycopg2.extras import execute_values

from odoo import fields
from odoo.tools import SQL

MOVE_COLUMNS = (
    "journal_id", "company_id", "currency_id", "partner_id", "commercial_partner_id",
    "partner_bank_id", "origin_payment_id", "reversed_entry_id", "name", "sequence_prefix",
    "sequence_number",
    "ref", "state", "move_type", "auto_post", "payment_state",
    "invoice_partner_display_name", "date", "invoice_date_due", "amount_untaxed",
    "amount_tax", "amount_total", "amount_residual", "amount_untaxed_signed",
    "amount_untaxed_in_currency_signed", "amount_tax_signed", "amount_total_signed",
    "amount_total_in_currency_signed", "amount_residual_signed", "always_tax_exigible",
    "checked", "posted_before", "made_sequence_gap", "is_storno", "is_manually_modified",
    "is_move_sent", "invoice_currency_rate", "quick_edit_total_amount", "rental_property_id",
    "rental_amount_paid", "rental_amount_overpaid", "rental_days_late_paid",
    "create_uid", "write_uid", "create_date", "write_date",
)
LINE_COLUMNS = (
    "move_id", "journal_id", "company_id", "company_currency_id", "currency_id",
    "sequence", "account_id", "partner_id", "payment_id", "tax_line_id", "tax_group_id",
    "tax_repartition_line_id", "move_name", "parent_state", "ref", "name", "display_type",
    "date", "date_maturity", "debit", "credit", "balance", "amount_currency",
    "tax_base_amount", "amount_residual", "amount_residual_currency", "quantity",
    "price_unit", "price_subtotal", "price_total", "discount", "discount_amount_currency",
    "discount_balance", "is_imported", "tax_tag_invert", "reconciled",
    "rental_property_id", "rental_owner_id", "rental_split_part", "rental_works_advance_id",
    "create_uid", "write_uid", "create_date", "write_date",
)
PAYMENT_COLUMNS = (
    "journal_id", "company_id", "partner_bank_id", "payment_method_line_id",
    "payment_method_id", "currency_id", "partner_id", "outstanding_account_id",
    "destination_account_id", "state", "payment_type", "partner_type", "memo", "date",
    "amount", "amount_company_currency_signed", "is_reconciled", "is_matched", "is_sent",
    "rental_payout_id", "create_uid", "write_uid", "create_date", "write_date",
)
CENT = Decimal("0.01")


def _insert_query(table, columns):
    """``INSERT ... VALUES %s RETURNING id`` for execute_values (constant identifiers)."""
    names = ", ".join(f'"{column}"' for column in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES %s RETURNING id'


def _insert(cr, table, columns, rows, page_size=2000):
    """Insert ``rows`` into ``table``; return the new ids in order."""
    if not rows:
        return []
    result = execute_values(
        cr._obj, _insert_query(table, columns), rows, fetch=True, page_size=page_size
    )
    return [row[0] for row in result]


def _cents(value):
    return Decimal(repr(value or 0.0)).quantize(CENT, rounding=ROUND_HALF_UP)


def can_write_in_bulk(journal):
    """Whether entries of ``journal`` may be written in SQL (no hash chain to keep)."""
    return not journal.restrict_mode_hash_table


class EntryWriter:
    """Write posted entries of one journal and company given as ORM create values.

    Each entry is ``{"date", "ref", "partner_id", "rental_property_id",
    "origin_payment_id", "partner_bank_id", "reversed_entry_id",
    "line_ids": [Command.create(vals)]}``; line
    values hold ``account_id``, ``partner_id``, ``name``, ``balance`` and optionally
    ``tax_ids``, ``tax_tag_ids``, ``tax_repartition_line_id``, ``tax_base_amount``,
    ``payment_id``, ``date_maturity`` and the rental fields.
    """

    def __init__(self, env, company, journal):
        self.env = env
        self.company = company
        self.journal = journal
        self.currency = company.currency_id
        self.now = fields.Datetime.now()
        self.today = fields.Date.context_today(env["account.move"])
        self.uid = env.uid
        self.accounts = {}
        self.taxes = {}
        self.partners = {}
        self.repartitions = {}

    # -- numbering
    def _numbering(self, day, payment_id=None):
        """``(format, values, prefix, last number, cache, cache key)`` of ``day``.

        Odoo's own sequence logic (last number of the journal and period, or the
        starting number, payment sequence included); the last number is read from the
        transaction's sequence cache when this transaction already holds the lock.
        """
        template = self.env["account.move"].new(
            {"journal_id": self.journal.id, "date": day, "move_type": "entry",
             "company_id": self.company.id, "origin_payment_id": payment_id}
        )
        format_string, format_values = template._get_next_sequence_format()
        values = {k: v for k, v in format_values.items() if k != "seq"}
        cache_key = (format_string.format(**values, seq=0), self.journal)
        cache = self.env["account.move"]._get_sequence_cache()
        last = cache.get(cache_key, format_values["seq"])
        prefix = format_string.split("{seq")[0].format(**values)
        return format_string, values, prefix, last, cache, cache_key

    # -- helpers
    def _reconcilable(self, account_id):
        if account_id not in self.accounts:
            account = self.env["account.account"].browse(account_id)
            self.accounts[account_id] = account.reconcile or account.account_type in (
                "asset_cash", "liability_credit_card"
            )
        return self.accounts[account_id]

    def _tax(self, tax_id):
        if tax_id not in self.taxes:
            tax = self.env["account.tax"].browse(tax_id)
            self.taxes[tax_id] = (tax.type_tax_use, Decimal(repr(tax.amount)),
                                  tax.tax_group_id.id)
        return self.taxes[tax_id]

    def _repartition(self, repartition_id):
        if repartition_id not in self.repartitions:
            repartition = self.env["account.tax.repartition.line"].browse(repartition_id)
            self.repartitions[repartition_id] = (
                repartition.tax_id.id, repartition.document_type == "refund"
            )
        return self.repartitions[repartition_id]

    def _partner(self, partner_id):
        """``(commercial partner id, its display name, its bank account id)``."""
        if partner_id and partner_id not in self.partners:
            commercial = self.env["res.partner"].browse(partner_id).commercial_partner_id
            banks = commercial.bank_ids.filtered(
                lambda bank: not bank.company_id or bank.company_id == self.company
            ).sorted(lambda bank: not bank.allow_out_payment)
            self.partners[partner_id] = (commercial.id, commercial.display_name,
                                         banks[:1].id or None)
        return self.partners.get(partner_id, (None, None, None))

    @staticmethod
    def _ids(commands):
        ids = []
        for command in commands or ():
            if command[0] == 6:
                ids = list(command[2])
            elif command[0] == 4:
                ids.append(command[1])
        return ids

    def _line_row(self, move_id, move, vals, name):
        balance = _cents(vals["balance"])
        tax_ids = self._ids(vals.get("tax_ids"))
        repartition_id = vals.get("tax_repartition_line_id") or None
        tax_line_id = tax_group_id = tax_type = None
        is_refund = False
        if repartition_id:
            tax_line_id, is_refund = self._repartition(repartition_id)
            tax_type, __, tax_group_id = self._tax(tax_line_id)
        elif tax_ids:
            tax_type = self._tax(tax_ids[0])[0]
            is_refund = (tax_type == "sale" and balance >= 0) or (
                tax_type == "purchase" and balance <= 0
            )
            if move.get("reversed_entry_id"):  # as account.move.line._compute_is_refund
                is_refund = not is_refund
        invert = bool(tax_type) and (
            (tax_type == "purchase" and is_refund) or (tax_type == "sale" and not is_refund)
        )
        price_total = balance
        if tax_ids and not repartition_id:
            rate = sum(self._tax(tax_id)[1] for tax_id in tax_ids)
            price_total = balance + (balance * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        residual = balance if self._reconcilable(vals["account_id"]) else Decimal(0)
        is_tax = bool(repartition_id)
        return (
            move_id, self.journal.id, self.company.id, self.currency.id, self.currency.id,
            10000 if is_tax else 100, vals["account_id"], vals.get("partner_id") or None,
            vals.get("payment_id") or None, tax_line_id, tax_group_id, repartition_id, name,
            "posted", move.get("ref"), vals.get("name"), "tax" if is_tax else "product",
            move["date"], vals.get("date_maturity"), max(balance, 0), max(-balance, 0),
            balance, balance, vals.get("tax_base_amount", 0.0), residual, residual,
            0.0 if is_tax else 1.0,
            0.0, 0.0 if is_tax else balance, 0.0 if is_tax else price_total, 0.0,
            vals.get("discount_amount_currency", 0.0), vals.get("discount_balance", 0.0),
            vals.get("is_imported", False), invert, False,
            vals.get("rental_property_id") or None, vals.get("rental_owner_id") or None,
            vals.get("rental_split_part") or None, vals.get("rental_works_advance_id") or None,
            self.uid, self.uid, self.now, self.now,
        ), tax_ids, self._ids(vals.get("tax_tag_ids"))

    def _move_row(self, move, name, prefix, number):
        lines = [command[2] for command in move["line_ids"]]
        total = sum(max(_cents(vals["balance"]), 0) for vals in lines)
        commercial_id, commercial_name, bank_id = self._partner(move.get("partner_id"))
        return (
            self.journal.id, self.company.id, self.currency.id, move.get("partner_id") or None,
            commercial_id, move.get("partner_bank_id", bank_id) or None,
            move.get("origin_payment_id") or None, move.get("reversed_entry_id") or None,
            name, prefix, number, move.get("ref"), "posted", "entry", "no", "not_paid",
            commercial_name, move["date"], self.today, 0.0, 0.0, total, 0.0, 0.0, 0.0, 0.0,
            total, total, 0.0, True, True, True, False, False,
            move.get("is_manually_modified", False), move.get("is_move_sent", False),
            move.get("invoice_currency_rate"), move.get("quick_edit_total_amount"),
            move.get("rental_property_id") or None,
            0.0, 0.0, 0,  # no rent status: not a rent call (as the ORM leaves them)
            self.uid, self.uid, self.now, self.now,
        )

    # -- writing
    def write(self, moves):
        """Insert the posted entries; return their ids in the order of ``moves``."""
        self.env.flush_all()
        groups = defaultdict(list)
        for index, move in enumerate(moves):
            groups[(move["date"], bool(move.get("origin_payment_id")))].append(index)
        move_ids = [None] * len(moves)
        for (day, __), indexes in sorted(groups.items()):
            group = [moves[i] for i in indexes]
            ids = self._write_group(day, group)
            for index, move_id in zip(indexes, ids, strict=True):
                move_ids[index] = move_id
        self._write_lines(moves, move_ids)
        self._after_write(move_ids)
        return move_ids

    def _write_group(self, day, moves):
        numbering = self._numbering(day, moves[0].get("origin_payment_id"))
        format_string, values, prefix, last, cache, cache_key = numbering
        rows = []
        for number, move in enumerate(moves, start=last + 1):
            name = format_string.format(**values, seq=number)
            rows.append(self._move_row(move, name, prefix, number))
        return self._insert_numbered(rows, format_string, values, cache, cache_key)

    def _insert_numbered(self, rows, format_string, values, cache, cache_key):
        """Insert the entries, the first one taking the number lock (as the ORM does).

        The unique index on posted entry numbers is the lock: if another transaction
        holds the first number, the insert waits for it, and on conflict the numbers are
        shifted and the insert retried. Later numbers are then safe (see
        ``sequence.mixin._locked_increment``), and the transaction's sequence cache is
        updated so that entries posted later by the ORM continue the numbering.
        """
        cr = self.env.cr
        name_index = MOVE_COLUMNS.index("name")
        number_index = MOVE_COLUMNS.index("sequence_number")
        while True:
            try:
                with cr.savepoint(flush=False):
                    first = _insert(cr, "account_move", MOVE_COLUMNS, rows[:1])
                break
            except (pgerrors.UniqueViolation, pgerrors.ExclusionViolation):
                rows = [self._renumber(row, name_index, number_index, format_string, values)
                        for row in rows]
        rest = _insert(cr, "account_move", MOVE_COLUMNS, rows[1:], page_size=1000)
        cache[cache_key] = rows[-1][number_index]
        return first + rest

    @staticmethod
    def _renumber(row, name_index, number_index, format_string, values):
        row = list(row)
        row[number_index] += 1
        row[name_index] = format_string.format(**values, seq=row[number_index])
        return tuple(row)

    def _write_lines(self, moves, move_ids):
        cr = self.env.cr
        cr.execute(SQL("SELECT id, name FROM account_move WHERE id IN %s", tuple(move_ids)))
        names = dict(cr.fetchall())
        rows = []
        relations = []
        for move, move_id in zip(moves, move_ids, strict=True):
            for command in move["line_ids"]:
                row, tax_ids, tag_ids = self._line_row(move_id, move, command[2], names[move_id])
                rows.append(row)
                relations.append((tax_ids, tag_ids))
        line_ids = _insert(cr, "account_move_line", LINE_COLUMNS, rows)
        taxes = [(line_id, tax_id)
                 for line_id, (tax_ids, __) in zip(line_ids, relations, strict=True)
                 for tax_id in tax_ids]
        tags = [(line_id, tag_id)
                for line_id, (__, tag_ids) in zip(line_ids, relations, strict=True)
                for tag_id in tag_ids]
        if taxes:
            execute_values(
                cr._obj,
                "INSERT INTO account_move_line_account_tax_rel "
                "(account_move_line_id, account_tax_id) VALUES %s",
                taxes,
            )
        if tags:
            execute_values(
                cr._obj,
                "INSERT INTO account_account_tag_account_move_line_rel "
                "(account_move_line_id, account_account_tag_id) VALUES %s",
                tags,
            )

    def _after_write(self, move_ids):
        """Make the ORM see the new rows and recompute what depends on them."""
        self.env["account.move"].invalidate_model()
        self.env["account.move.line"].invalidate_model()
        moves = self.env["account.move"].browse(move_ids)
        advances = moves.line_ids.rental_works_advance_id
        if advances:
            advances.invalidate_recordset(["line_ids"])
            Advance = self.env["rental.works.advance"]
            for name in ("amount_open", "amount_recovered"):
                self.env.add_to_compute(Advance._fields[name], advances)
            advances.flush_recordset()



class PaymentWriter:
    """Write posted outbound payments of the owner payouts (payment, entry, lines).

    ``payments`` are ``account.payment`` create values as built by
    ``rental.payout._create_payments``; the lines are those of
    ``account.payment._prepare_move_line_default_vals`` (one per property).
    """

    def __init__(self, env, journal):
        self.env = env
        self.journal = journal
        self.company = journal.company_id
        self.now = fields.Datetime.now()

    def _defaults(self, vals):
        """What the ORM computes for a payment of this journal and type (once)."""
        payment = self.env["account.payment"].new(vals)
        # As account.payment.create does when no outstanding account is configured.
        outstanding = payment.outstanding_account_id or payment._get_outstanding_account(
            payment.payment_type
        )
        return {
            "payment_method_line_id": payment.payment_method_line_id.id,
            "payment_method_id": payment.payment_method_line_id.payment_method_id.id,
            "outstanding_account_id": outstanding.id,
            "label": payment.payment_method_line_id.name or "",
        }

    def write(self, vals_list, payouts):
        """Insert and post the payments; return their ids (in the order of ``vals_list``)."""
        if not vals_list:
            return []
        self.env.flush_all()
        defaults = self._defaults(vals_list[0])
        if not defaults["outstanding_account_id"]:
            return None  # let the ORM raise its error
        cr = self.env.cr
        uid = self.env.uid
        rows = []
        for vals in vals_list:
            amount = _cents(vals["amount"])
            rows.append(
                (
                    vals["journal_id"], self.company.id, vals.get("partner_bank_id"),
                    defaults["payment_method_line_id"], defaults["payment_method_id"],
                    vals["currency_id"], vals["partner_id"], defaults["outstanding_account_id"],
                    vals["destination_account_id"], "in_process", "outbound", "supplier",
                    vals.get("memo"), vals["date"], amount, -amount, True, False, None,
                    vals["rental_payout_id"], uid, uid, self.now, self.now,
                )
            )
        payment_ids = _insert(cr, "account_payment", PAYMENT_COLUMNS, rows)
        moves = []
        for payment_id, vals, payout in zip(payment_ids, vals_list, payouts, strict=True):
            moves.append(self._move(payment_id, vals, payout, defaults))
        writer = EntryWriter(self.env, self.company, self.journal)
        move_ids = writer.write(moves)
        cr.execute(
            SQL(
                """
                UPDATE account_payment p
                   SET move_id = m.id, name = m.name
                  FROM account_move m
                 WHERE m.origin_payment_id = p.id AND p.id IN %s
                """,
                tuple(payment_ids),
            )
        )
        self.env["account.payment"].invalidate_model()
        return payment_ids if len(move_ids) == len(payment_ids) else None

    def _move(self, payment_id, vals, payout, defaults):
        memo = vals.get("memo") or ""
        label = f"{defaults['label']}: {memo}" if memo else defaults["label"]
        amount = float(_cents(vals["amount"]))
        common = {
            "partner_id": vals["partner_id"],
            "payment_id": payment_id,
            "date_maturity": vals["date"],
            # left empty by the ORM on a payment's lines
            "tax_base_amount": None,
            "discount_amount_currency": None,
            "discount_balance": None,
            "is_imported": None,
        }
        lines = [
            (0, 0, {**common, "account_id": defaults["outstanding_account_id"],
                    "name": label, "balance": -amount})
        ]
        for line in payout.line_ids.filtered("amount"):
            lines.append(
                (0, 0, {**common, "account_id": vals["destination_account_id"],
                        "name": f"{label} - {line.property_id.name}",
                        "balance": line.amount, "rental_owner_id": payout.owner_id.id,
                        "rental_property_id": line.property_id.id})
            )
        return {
            "date": vals["date"],
            "ref": memo or None,
            "partner_id": vals["partner_id"],
            "partner_bank_id": vals.get("partner_bank_id"),
            "origin_payment_id": payment_id,
            "is_move_sent": None,  # as the ORM leaves a payment's entry
            "invoice_currency_rate": 0.0,
            "line_ids": lines,
        }


def insert_records(env, model_name, vals_list, defaults=None):
    """Insert records of a simple model given as complete create values; return the ids.

    For models whose values are plain columns and many2one ids (splits, payouts, payout
    lines): ``defaults`` gives the other columns (e.g. a state), identical for all.
    """
    if not vals_list:
        return []
    Model = env[model_name]
    columns = sorted(vals_list[0])
    for vals in vals_list:
        if sorted(vals) != columns:
            raise ValueError(f"all the {model_name} records must give the same fields")
    defaults = dict(defaults or {})
    now = fields.Datetime.now()
    defaults.update(create_uid=env.uid, write_uid=env.uid, create_date=now, write_date=now)
    extra = tuple(defaults)
    rows = [
        tuple(Model._fields[name].convert_to_column(vals[name], Model) for name in columns)
        + tuple(defaults.values())
        for vals in vals_list
    ]
    ids = _insert(env.cr, Model._table, [*columns, *extra], rows)
    Model.invalidate_model()
    return ids


def insert_splits(env, vals_list):
    """Insert ``rental.owner.split`` records (state "posted"); return their ids."""
    return insert_records(
        env, "rental.owner.split", vals_list, {"state": "posted", "is_reversal": False}
    )
