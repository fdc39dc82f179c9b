"""Owner split entries: what a collected rent gives the agency, the insurer and the owners.

A rent call credits the owner's account (46712) with the rent called. When the tenant
pays (whatever reconciles the payment with the rent call: a registered payment, a bank
statement line, the matching engine, a direct debit), the partial reconciliation between
the rent call's receivable line and the payment is *collected money*: a split entry
takes from the owner's account the management fee and its VAT, the rent-guarantee
insurance premium and the works advances being recovered, and moves each joint owner's
net share to him (pure computation in ``engines/split.py``).

Splits are created in bulk: the partials created during a reconciliation are queued and
processed when the outermost reconciliation ends (one batch for 10,000 payments matched
at once); whatever is still queued is processed before the transaction commits. Removing
a partial (unreconciling, a returned or reversed payment) reverses its split with a
reversal entry; a split entry is never deleted.
"""

import logging
from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from odoo import Command, _, api, fields, models
from odoo.tools import SQL

from ..engines import split as split_engine
from .rental_split_bulk import EntryWriter, can_write_in_bulk, insert_splits

_logger = logging.getLogger(__name__)

SPLIT_BATCH = 2000
# From this many entries in a batch, split entries are written in SQL (rental_split_bulk).
BULK_MIN = 50
SPLIT_CALL_KINDS = ("rent", "housing_benefit")
PENDING_KEY = "rental_flow.split_pending"
REGISTERED_KEY = "rental_flow.split_precommit"
DEPTH_KEY = "rental_flow.reconcile_depth"


def to_cents(value):
    """Integer cents of a float or Decimal amount (half-up)."""
    return int((Decimal(repr(value or 0.0)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_cents(cents):
    """Float amount of integer cents, for Monetary fields and journal lines."""
    return cents / 100.0


def _percent(value):
    """Decimal percentage of a float rate field (3 decimals at most)."""
    return Decimal(repr(value or 0.0)).quantize(Decimal("0.0001"))


class RentalOwnerSplit(models.Model):
    """One split of a collected amount (one partial reconciliation of a rent call)."""

    _name = "rental.owner.split"
    _description = "Owner Split"
    _order = "date desc, id desc"
    _check_company_auto = True
    _rec_name = "display_label"

    display_label = fields.Char(compute="_compute_display_label")
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    move_id = fields.Many2one(
        "account.move",
        string="Split Entry",
        index="btree_not_null",
        readonly=True,
        ondelete="restrict",
        help="Empty when nothing had to move (no fee, no insurance, a single owner).",
    )
    call_id = fields.Many2one(
        "account.move", string="Rent Call", required=True, index=True, readonly=True,
        ondelete="restrict",
    )
    partial_id = fields.Integer(
        string="Partial Reconciliation",
        index=True,
        readonly=True,
        help="Id of the partial reconciliation that collected the money. It is kept after "
        "the reconciliation is removed.",
    )
    collection_move_id = fields.Many2one(
        "account.move",
        string="Payment Entry",
        readonly=True,
        ondelete="set null",
        help="Entry of the payment (bank line, payment) that paid the rent call.",
    )
    lease_id = fields.Many2one("rental.lease", index=True, readonly=True, ondelete="restrict")
    property_id = fields.Many2one(
        "rental.property", index=True, readonly=True, ondelete="restrict"
    )
    owner_id = fields.Many2one(
        "res.partner",
        string="Owner",
        index=True,
        readonly=True,
        help="Owner credited by the rent call (the principal owner of joint owners).",
    )
    mandate_id = fields.Many2one("rental.mandate", index=True, readonly=True)
    date = fields.Date(required=True, index=True, readonly=True)
    amount = fields.Monetary(string="Collected", readonly=True)
    rent_amount = fields.Monetary(string="Rent Part", readonly=True)
    charges_amount = fields.Monetary(string="Charges Part", readonly=True)
    fee_rate = fields.Float(string="Fee Rate (%)", digits=(5, 3), readonly=True)
    fee_base = fields.Selection(
        [("rent", "Rent only"), ("rent_charges", "Rent and charges")], readonly=True
    )
    fee_base_amount = fields.Monetary(string="Fee Base Collected", readonly=True)
    fee_amount = fields.Monetary(string="Fee", readonly=True)
    fee_tax_id = fields.Many2one("account.tax", readonly=True)
    fee_tax_amount = fields.Monetary(string="Fee VAT", readonly=True)
    insurance_amount = fields.Monetary(string="Insurance", readonly=True)
    insurer_id = fields.Many2one("res.partner", readonly=True)
    advance_amount = fields.Monetary(string="Advances Recovered", readonly=True)
    owners_amount = fields.Monetary(
        string="Owners' Net", readonly=True, help="What remains for the owners."
    )
    shortfall_amount = fields.Monetary(
        readonly=True,
        help="Fee, VAT and insurance due but not taken because the payment was too small; "
        "the next payment on the rent call catches it up.",
    )
    is_reversal = fields.Boolean(readonly=True, index=True, default=False)
    reversed_split_id = fields.Many2one(
        "rental.owner.split", string="Reverses", readonly=True, index="btree_not_null"
    )
    reversal_id = fields.Many2one(
        "rental.owner.split", string="Reversed By", readonly=True, index="btree_not_null"
    )
    state = fields.Selection(
        [("posted", "Posted"), ("reversed", "Reversed"), ("reversal", "Reversal")],
        compute="_compute_state",
        store=True,
    )

    _sql_constraints = [
        (
            "reversal_uniq",
            "unique(reversed_split_id)",
            "A split can only be reversed once.",
        ),
    ]

    def init(self):
        super().init()
        # One split per partial reconciliation, whatever creates it.
        self.env.cr.execute(
            SQL(
                """
                CREATE UNIQUE INDEX IF NOT EXISTS rental_owner_split_partial_uniq
                    ON rental_owner_split (partial_id)
                 WHERE is_reversal IS NOT TRUE AND partial_id IS NOT NULL
                """
            )
        )

    @api.depends("is_reversal", "reversal_id")
    def _compute_state(self):
        for split in self:
            if split.is_reversal:
                split.state = "reversal"
            else:
                split.state = "reversed" if split.reversal_id else "posted"

    @api.depends("call_id.name", "move_id.name", "is_reversal")
    def _compute_display_label(self):
        for split in self:
            label = split.move_id.name or split.call_id.name or ""
            if split.is_reversal:
                label = _("Reversal %(label)s", label=label)
            split.display_label = label

    # ---------------------------------------------------------------- queue

    @api.model
    def _queue_partials(self, partials):
        """Remember the partials of rent calls: they are split in bulk later."""
        relevant = partials.filtered(
            lambda p: p.debit_move_id.move_id.move_type == "out_invoice"
            and p.debit_move_id.move_id.rental_call_kind in SPLIT_CALL_KINDS
        )
        if not relevant:
            return
        data = self.env.cr.precommit.data
        data.setdefault(PENDING_KEY, set()).update(relevant.ids)
        if not data.get(REGISTERED_KEY):
            data[REGISTERED_KEY] = True
            self.env.cr.precommit.add(self._precommit_process_pending)

    def _precommit_process_pending(self):
        """Safety net: split what is still queued before the transaction commits."""
        self.env.cr.precommit.data.pop(REGISTERED_KEY, None)
        self._process_pending()
        self.env.flush_all()

    @api.model
    def _unqueue_partials(self, partial_ids):
        pending = self.env.cr.precommit.data.get(PENDING_KEY)
        if pending:
            pending.difference_update(partial_ids)

    @api.model
    def _process_pending(self):
        """Split the queued partials now (in one batch). Returns the new splits."""
        pending = self.env.cr.precommit.data.get(PENDING_KEY)
        if not pending:
            return self.browse()
        ids = sorted(pending)
        pending.clear()
        partials = self.env["account.partial.reconcile"].sudo().browse(ids).exists()
        return self.sudo()._create_for_partials(partials)

    # ---------------------------------------------------------------- collection

    @api.model
    def _is_collection_move(self, move, company):
        """Whether ``move`` brought money in when it settled a rent call.

        A payment, a bank statement line, an entry of a bank or cash journal (e.g. a direct
        debit) or an entry taking the money from the security deposits held. Credit notes
        and write-offs settle a rent call without collecting anything. Override to widen.
        """
        if move.origin_payment_id or move.statement_line_id:
            return True
        if move.move_type != "entry":
            return False
        if move.journal_id.type in ("bank", "cash"):
            return True
        deposit = company.rental_deposit_account_id
        return bool(deposit and deposit in move.line_ids.account_id)

    def _collection_partials(self, partials):
        """The partials that collected money on a posted rent or housing-benefit call."""
        if not partials:
            return []
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT partial_id FROM rental_owner_split "
                "WHERE partial_id IN %s AND is_reversal IS NOT TRUE",
                tuple(partials.ids),
            )
        )
        done = {row[0] for row in self.env.cr.fetchall()}
        result = []
        for partial in partials.sorted("id"):
            if partial.id in done:
                continue
            call_line = partial.debit_move_id
            call = call_line.move_id
            company = call.company_id
            if (
                call.state != "posted"
                or call.move_type != "out_invoice"
                or call.rental_call_kind not in SPLIT_CALL_KINDS
                or call_line.account_id != company.rental_tenant_account_id
            ):
                continue
            if not self._is_collection_move(partial.credit_move_id.move_id, company):
                continue
            result.append(partial)
        return result

    # ---------------------------------------------------------------- creation

    def _create_for_partials(self, partials):
        """Create and post the split entries of ``partials`` in bulk; return the splits."""
        todo = self._collection_partials(partials)
        if not todo:
            return self.browse()
        by_company = defaultdict(list)
        for partial in todo:
            by_company[partial.debit_move_id.move_id.company_id].append(partial)
        splits = self.browse()
        for company, company_partials in by_company.items():
            if not company._rental_split_ready():
                _logger.warning(
                    "Company %s has no owner split accounts: %d collections not split",
                    company.name, len(company_partials),
                )
                continue
            context = _SplitBatch(self.with_company(company), company, company_partials)
            for start in range(0, len(company_partials), SPLIT_BATCH):
                splits |= context.create(company_partials[start : start + SPLIT_BATCH])
        if splits:
            _logger.info("Created %d owner splits", len(splits))
            splits._after_split()
        return splits

    def _after_split(self):
        """Hook run after new splits are posted: immediate payouts where the mandate asks."""
        immediate = self.filtered(lambda s: s.mandate_id.payout_immediate)
        if immediate:
            self.env["rental.payout.run"]._run_immediate(immediate)

    @api.model
    def _allocation_mode(self, call):
        """How a partial payment is shared between rent and charges (see split engine)."""
        return "pro_rata"

    # ---------------------------------------------------------------- reversal

    @api.model
    def _reverse_for_partials(self, partial_ids):
        """Reverse the splits of removed partial reconciliations."""
        if not partial_ids:
            return self.browse()
        splits = self.sudo().search(
            [
                ("partial_id", "in", list(partial_ids)),
                ("is_reversal", "=", False),
                ("reversal_id", "=", False),
            ]
        )
        return splits._reverse()

    def _reverse(self):
        """Post the reversal entries of these splits; return the reversal splits."""
        splits = self.filtered(lambda s: not s.is_reversal and not s.reversal_id)
        if not splits:
            return self.browse()
        today = fields.Date.context_today(self)
        with_move = splits.filtered("move_id")
        new_move = {}
        for company in with_move.company_id:
            moves = with_move.filtered(lambda s, c=company: s.company_id == c).move_id
            reversed_moves = self._reverse_moves(company, moves, today)
            new_move.update(zip(moves.ids, reversed_moves, strict=True))
        vals_list = []
        for split in splits:
            move = new_move.get(split.move_id.id)
            vals_list.append(split._reversal_vals(move, move.date if move else today))
        reversals = self.create(vals_list)
        for split, reversal in zip(splits, reversals, strict=True):
            split.reversal_id = reversal
        return reversals

    @api.model
    def _reverse_moves(self, company, moves, today):
        """Reversal entries of split entries: the ORM's, or in SQL for a large batch."""
        bulk_min = self.env.context.get("rental_split_bulk_min", BULK_MIN)
        journals = moves.journal_id
        if len(moves) < bulk_min or len(journals) != 1 or not can_write_in_bulk(journals):
            values = [
                {
                    "date": move._get_accounting_date(max(today, move.date), True),
                    "ref": _("Reversal of owner split %(move)s", move=move.name),
                }
                for move in moves
            ]
            reversed_moves = moves.with_context(tracking_disable=True)._reverse_moves(values)
            reversed_moves.action_post()
            return reversed_moves
        writer = EntryWriter(self.env, company, journals)
        dates = {}
        move_vals = []
        for move in moves:
            day = max(today, move.date)
            if day not in dates:
                locks = company._get_violated_lock_dates(day, True, journals)
                dates[day] = locks[-1][0] + timedelta(days=1) if locks else day
            move_vals.append(self._reversal_move_vals(move, dates[day]))
        reversed_moves = self.env["account.move"].browse(writer.write(move_vals))
        self._reconcile_reversals(moves, reversed_moves)
        return reversed_moves

    @api.model
    def _reconcile_reversals(self, moves, reversed_moves):
        """Reconcile the open items (e.g. insurers') of reversed entries, as the ORM does."""
        plan = []
        for move, reversal in zip(moves, reversed_moves, strict=True):
            for line in move.line_ids.filtered(
                lambda line: line.account_id.reconcile and not line.reconciled
            ):
                match = reversal.line_ids.filtered(
                    lambda other, line=line: other.account_id == line.account_id
                    and other.partner_id == line.partner_id
                    and other.currency_id.is_zero(other.balance + line.balance)
                    and not other.reconciled
                )[:1]
                if match:
                    plan.append(line | match)
        if plan:
            self.env["account.move.line"]._reconcile_plan(plan)

    @api.model
    def _reversal_move_vals(self, move, date):
        """Values of the reversal of ``move`` for the bulk writer (every line negated)."""
        lines = []
        for line in move.line_ids:
            lines.append(
                Command.create(
                    {
                        "account_id": line.account_id.id,
                        "partner_id": line.partner_id.id or None,
                        "name": line.name,
                        "balance": -line.balance,
                        "tax_ids": [Command.set(line.tax_ids.ids)],
                        "tax_tag_ids": [Command.set(line.tax_tag_ids.ids)],
                        "tax_repartition_line_id": line.tax_repartition_line_id.id or None,
                        "tax_base_amount": -line.tax_base_amount,
                        "rental_property_id": line.rental_property_id.id or None,
                        "rental_owner_id": line.rental_owner_id.id or None,
                        "rental_split_part": line.rental_split_part or None,
                        "rental_works_advance_id": line.rental_works_advance_id.id or None,
                    }
                )
            )
        return {
            "date": date,
            "ref": _("Reversal of owner split %(move)s", move=move.name),
            "partner_id": move.partner_id.id or None,
            "rental_property_id": move.rental_property_id.id or None,
            "reversed_entry_id": move.id,
            # as the ORM leaves a reversal entry
            "is_manually_modified": True,
            "is_move_sent": None,
            "invoice_currency_rate": 0.0,
            "quick_edit_total_amount": 0.0,
            "line_ids": lines,
        }

    def _reversal_vals(self, move, date):
        self.ensure_one()
        vals = {
            "company_id": self.company_id.id,
            "move_id": move.id if move else False,
            "call_id": self.call_id.id,
            "partial_id": self.partial_id,
            "collection_move_id": self.collection_move_id.id,
            "lease_id": self.lease_id.id,
            "property_id": self.property_id.id,
            "owner_id": self.owner_id.id,
            "mandate_id": self.mandate_id.id,
            "date": date,
            "fee_rate": self.fee_rate,
            "fee_base": self.fee_base,
            "fee_tax_id": self.fee_tax_id.id,
            "insurer_id": self.insurer_id.id,
            "is_reversal": True,
            "reversed_split_id": self.id,
        }
        for name in (
            "amount",
            "rent_amount",
            "charges_amount",
            "fee_base_amount",
            "fee_amount",
            "fee_tax_amount",
            "insurance_amount",
            "advance_amount",
            "owners_amount",
            "shortfall_amount",
        ):
            vals[name] = -self[name]
        return vals

    # ---------------------------------------------------------------- safety net

    @api.model
    def _find_missing_partials(self, company=None):
        """Partials of posted rent calls that collected money but have no split."""
        self.env.flush_all()
        company_filter = SQL("AND m.company_id = %s", company.id) if company else SQL()
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id
                  FROM account_partial_reconcile p
                  JOIN account_move_line l ON l.id = p.debit_move_id
                  JOIN account_move m ON m.id = l.move_id
                  JOIN res_company c ON c.id = m.company_id
                 WHERE m.move_type = 'out_invoice'
                   AND m.state = 'posted'
                   AND m.rental_call_kind IN %s
                   AND l.account_id = c.rental_tenant_account_id
                   AND NOT EXISTS (
                       SELECT 1 FROM rental_owner_split s
                        WHERE s.partial_id = p.id AND s.is_reversal IS NOT TRUE)
                   %s
                 ORDER BY p.id
                """,
                SPLIT_CALL_KINDS,
                company_filter,
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        return self.env["account.partial.reconcile"].sudo().browse(ids)

    @api.model
    def action_split_missing(self):
        """Button and cron: split every collection that has no split yet."""
        partials = self._find_missing_partials()
        splits = self.sudo()._create_for_partials(partials)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if splits else "info",
                "message": _("%(count)s split entries created.", count=len(splits)),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    @api.model
    def _cron_split_missing(self):
        self.sudo()._create_for_partials(self._find_missing_partials())

    # ---------------------------------------------------------------- actions

    def action_open_move(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.move_id.id,
            "view_mode": "form",
        }

    @api.model
    def _action_for(self, domain, context=None):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "rental_flow.action_rental_owner_split"
        )
        action["domain"] = domain
        action["context"] = context or {}
        return action


class _SplitBatch:
    """Everything a batch of splits of one company needs, loaded in bulk.

    Keeps, while the batch is processed, what each rent call has already collected and
    what each works advance still has open, so that several payments of one rent call
    (or several rents recovering one advance) in the same batch follow each other.
    """

    def __init__(self, model, company, partials):
        self.model = model
        self.env = model.env
        self.company = company
        self.journal = company.rental_split_journal_id
        self.owner_account = company.rental_owner_account_id
        calls = self.env["account.move"].union(*(p.debit_move_id.move_id for p in partials))
        self.calls = calls
        self.parts = self._load_call_parts(calls)
        self.history = self._load_history(calls)
        properties = calls.rental_property_id
        self.owners = {prop.id: self._owner_shares(prop) for prop in properties}
        self.advances = self._load_advances(properties)
        self.terms = {}
        self.lock_cache = {}
        self.tax_cache = {}
        self.text = self._texts()

    def _texts(self):
        """Labels of the split entries, translated once per batch (then %-formatted)."""
        env = self.env
        return {
            "ref": env._("Owner split of %(call)s: %(amount)s %(currency)s collected"),
            "fee_total": env._("Management fee %(rate)s%% (incl. VAT), %(label)s"),
            "fee": env._("Management fee %(rate)s%%, %(label)s"),
            "fee_tax": env._("%(tax)s on management fee, %(label)s"),
            "insurance": env._("Rent guarantee insurance %(rate)s%%, %(label)s"),
            "advance": env._("Recovery of works advance %(advance)s, %(label)s"),
            "share": env._("Share of %(owner)s, %(label)s"),
        }

    # -- loading
    def _load_call_parts(self, calls):
        """``{call id: (rent cents, charges cents, credited owner id)}``."""
        self.env["account.move.line"].flush_model(
            ["move_id", "account_id", "balance", "rental_line_kind", "rental_owner_id"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT move_id, rental_line_kind, MIN(rental_owner_id), SUM(balance)
                  FROM account_move_line
                 WHERE move_id IN %s AND account_id = %s
                 GROUP BY move_id, rental_line_kind
                """,
                tuple(calls.ids),
                self.owner_account.id,
            )
        )
        rent = defaultdict(int)
        charges = defaultdict(int)
        owner = {}
        for move_id, kind, owner_id, balance in self.env.cr.fetchall():
            cents = -to_cents(balance)
            if kind == "charges":
                charges[move_id] += cents
            else:  # rent, housing benefit (negative on the tenant's call), untyped lines
                rent[move_id] += cents
            if owner_id and move_id not in owner:
                owner[move_id] = owner_id
        parts = {}
        for call in calls:
            rent_part, charges_part = rent[call.id], charges[call.id]
            if rent_part < 0:  # housing benefit above the rent: it covers charges too
                charges_part += rent_part
                rent_part = 0
            parts[call.id] = (
                max(rent_part, 0),
                max(charges_part, 0),
                owner.get(call.id) or call.rental_lease_id.mandate_id.owner_id.id,
            )
        return parts

    def _load_history(self, calls):
        """What the previous splits of each rent call took (net of reversals), in cents."""
        self.env["rental.owner.split"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT call_id, SUM(rent_amount), SUM(charges_amount), SUM(fee_amount),
                       SUM(fee_tax_amount), SUM(insurance_amount)
                  FROM rental_owner_split
                 WHERE call_id IN %s
                 GROUP BY call_id
                """,
                tuple(calls.ids),
            )
        )
        history = defaultdict(lambda: [0, 0, 0, 0, 0])
        for call_id, *amounts in self.env.cr.fetchall():
            history[call_id] = [max(0, to_cents(value)) for value in amounts]
        return history

    def _owner_shares(self, prop):
        shares = prop._get_owner_shares()
        principal_flagged = any(is_principal for __, __, is_principal in shares)
        mandate_owner = prop.mandate_id.owner_id
        result = []
        for partner, share, is_principal in sorted(shares, key=lambda s: s[0].id):
            if not principal_flagged:
                is_principal = partner == mandate_owner
            result.append(
                split_engine.OwnerShare(
                    owner_ref=partner.id, share=_percent(share), is_principal=is_principal
                )
            )
        return result

    def _load_advances(self, properties):
        advances = self.env["rental.works.advance"].search(
            [
                ("property_id", "in", properties.ids),
                ("state", "=", "posted"),
                ("amount_open", ">", 0),
            ],
            order="date, id",
        )
        by_property = defaultdict(list)
        for advance in advances:
            by_property[advance.property_id.id].append(
                [advance, to_cents(advance.amount_open)]
            )
        return by_property

    def _terms(self, mandate):
        if mandate.id not in self.terms:
            tax = mandate.fee_tax_id
            self.terms[mandate.id] = split_engine.SplitTerms(
                fee_rate=_percent(mandate.fee_rate),
                fee_base=mandate.fee_base or "rent",
                fee_min=to_cents(mandate.fee_min),
                fee_max=to_cents(mandate.fee_max),
                fee_tax_rate=_percent(tax.amount) if tax else Decimal(0),
                insurance_rate=_percent(mandate.insurance_rate),
            )
        return self.terms[mandate.id]

    def _date(self, partial):
        """Date of the split: the collection date, moved after any lock date."""
        day = partial.max_date
        if day not in self.lock_cache:
            locks = self.company._get_violated_lock_dates(day, True, self.journal)
            self.lock_cache[day] = locks[-1][0] + timedelta(days=1) if locks else day
        return self.lock_cache[day]

    # -- computation
    def compute(self, partial):
        """Return ``(call, mandate, result, split values)`` of one partial, or None."""
        call = partial.debit_move_id.move_id
        mandate = call.rental_lease_id.mandate_id or call.rental_property_id.mandate_id
        owners = self.owners.get(call.rental_property_id.id)
        if not mandate or not owners:
            _logger.warning("Rent call %s has no mandate or owner: not split", call.name)
            return None
        rent_part, charges_part, credited = self.parts[call.id]
        history = self.history[call.id]
        amount = to_cents(partial.amount)
        if amount <= 0:
            return None
        rent, charges = self._allocate(
            call, amount, rent_part - history[0], charges_part - history[1]
        )
        collection = split_engine.Collection(
            rent=rent,
            charges=charges,
            rent_before=history[0],
            charges_before=history[1],
            fee_before=history[2],
            fee_tax_before=history[3],
            insurance_before=history[4],
        )
        open_advances = self.advances.get(call.rental_property_id.id, [])
        advances = [
            split_engine.OpenAdvance(ref=item[0].id, amount_open=item[1], opened_on=item[0].date)
            for item in open_advances
            if item[1] > 0
        ]
        try:
            result = split_engine.compute_split(
                collection, self._terms(mandate), owners, advances
            )
        except split_engine.SplitInputError as exc:
            _logger.error("Rent call %s cannot be split: %s", call.name, exc)
            call.message_post(body=_("This payment could not be split: %(error)s", error=exc))
            return None
        # Keep the running state of the batch.
        history[0] += result.rent
        history[1] += result.charges
        history[2] += result.fee
        history[3] += result.fee_tax
        history[4] += result.insurance
        recovered = {item.ref: item.amount for item in result.advance_recoveries}
        for item in open_advances:
            item[1] -= recovered.get(item[0].id, 0)
        return call, mandate, credited, result

    def _allocate(self, call, amount, rent_due, charges_due):
        rent_due, charges_due = max(rent_due, 0), max(charges_due, 0)
        if amount > rent_due + charges_due:
            # The rent call was changed after it was called: the excess is rent.
            return amount - charges_due, charges_due
        return split_engine.allocate_payment(
            amount, rent_due, charges_due, self.model._allocation_mode(call)
        )

    # -- journal entry
    def _line(self, account, partner_id, cents, name, part, prop, **extra):
        return Command.create(
            {
                "account_id": account.id,
                "partner_id": partner_id,
                "name": name,
                "balance": from_cents(cents),
                "amount_currency": from_cents(cents),
                "currency_id": self.company.currency_id.id,
                "rental_property_id": prop.id,
                "rental_split_part": part,
                **extra,
            }
        )

    def _owner_line(self, owner_id, cents, name, part, prop):
        return self._line(
            self.owner_account, owner_id, cents, name, part, prop, rental_owner_id=owner_id
        )

    def _tax_data(self, tax):
        if tax.id not in self.tax_cache:
            repartition = tax.invoice_repartition_line_ids
            self.tax_cache[tax.id] = (
                repartition.filtered(lambda r: r.repartition_type == "base").tag_ids,
                repartition.filtered(lambda r: r.repartition_type == "tax"),
            )
        return self.tax_cache[tax.id]

    def _fee_lines(self, mandate, credited, result, prop, label):
        company = self.company
        lines = []
        if not (result.fee or result.fee_tax):
            return lines
        rate = f"{mandate.fee_rate:g}"
        lines.append(
            self._owner_line(
                credited,
                result.fee + result.fee_tax,
                self.text["fee_total"] % {"rate": rate, "label": label},
                "fee",
                prop,
            )
        )
        tax = mandate.fee_tax_id
        base_tags, tax_repartition = self._tax_data(tax) if tax else (None, None)
        fee_extra = {}
        if tax:
            fee_extra = {
                "tax_ids": [Command.set(tax.ids)],
                "tax_tag_ids": [Command.set(base_tags.ids)],
            }
        if result.fee:
            lines.append(
                self._line(
                    company.rental_fee_account_id,
                    credited,
                    -result.fee,
                    self.text["fee"] % {"rate": rate, "label": label},
                    "fee",
                    prop,
                    **fee_extra,
                )
            )
        if result.fee_tax:
            lines += self._tax_lines(tax, tax_repartition, credited, result, prop, label)
        return lines

    def _tax_lines(self, tax, repartition, credited, result, prop, label):
        lines = []
        factors = [Decimal(repr(r.factor_percent)) for r in repartition] or [Decimal(100)]
        total_factor = sum(factors) or Decimal(100)
        left = result.fee_tax
        for index, rep in enumerate(repartition):
            if index == len(repartition) - 1:
                cents = left
            else:
                cents = int(result.fee_tax * factors[index] / total_factor)
                left -= cents
            if not cents:
                continue
            lines.append(
                self._line(
                    rep.account_id or self.company.rental_fee_account_id,
                    credited,
                    -cents,
                    self.text["fee_tax"] % {"tax": tax.name, "label": label},
                    "fee_tax",
                    prop,
                    display_type="tax",
                    tax_repartition_line_id=rep.id,
                    tax_tag_ids=[Command.set(rep.tag_ids.ids)],
                    tax_base_amount=from_cents(result.fee),
                )
            )
        return lines

    def _move_lines(self, call, mandate, credited, result):
        prop = call.rental_property_id
        label = call.name
        company = self.company
        lines = self._fee_lines(mandate, credited, result, prop, label)
        if result.insurance:
            name = self.text["insurance"] % {
                "rate": f"{mandate.insurance_rate:g}", "label": label
            }
            lines.append(self._owner_line(credited, result.insurance, name, "insurance", prop))
            lines.append(
                self._line(
                    company.rental_insurer_account_id,
                    mandate.insurer_id.id,
                    -result.insurance,
                    name,
                    "insurance",
                    prop,
                )
            )
        advances = self.env["rental.works.advance"]
        for recovery in result.advance_recoveries:
            advance = advances.browse(recovery.ref)
            name = self.text["advance"] % {"advance": advance.name, "label": label}
            lines.append(self._owner_line(credited, recovery.amount, name, "advance", prop))
            lines.append(
                self._line(
                    company.rental_works_advance_account_id,
                    advance.owner_id.id,
                    -recovery.amount,
                    name,
                    "advance",
                    prop,
                    rental_works_advance_id=advance.id,
                    rental_owner_id=advance.owner_id.id,
                )
            )
        partners = self.env["res.partner"]
        for net in result.owner_nets:
            if net.owner_ref == credited or not net.amount:
                continue
            name = self.text["share"] % {
                "owner": partners.browse(net.owner_ref).name, "label": label
            }
            lines.append(self._owner_line(credited, net.amount, name, "owner_share", prop))
            lines.append(self._owner_line(net.owner_ref, -net.amount, name, "owner_share", prop))
        if result.rounding:
            lines.append(
                self._owner_line(credited, result.rounding, _("Rounding"), "rounding", prop)
            )
            lines.append(
                self._line(company.rental_rounding_account_id, credited, -result.rounding,
                           _("Rounding"), "rounding", prop)
            )
        return lines

    def create(self, partials):
        """Compute, create and post the splits of ``partials`` (one batch)."""
        move_vals = []
        split_vals = []
        has_move = []
        for partial in partials:
            item = self.compute(partial)
            if not item:
                continue
            call, mandate, credited, result = item
            date = self._date(partial)
            lines = self._move_lines(call, mandate, credited, result)
            split_vals.append(self._split_vals(partial, call, mandate, credited, result, date))
            has_move.append(bool(lines))
            if lines:
                move_vals.append(
                    {
                        "move_type": "entry",
                        "journal_id": self.journal.id,
                        "company_id": self.company.id,
                        "date": date,
                        "ref": self.text["ref"] % {
                            "call": call.name,
                            "amount": f"{from_cents(result.amount):.2f}",
                            "currency": self.company.currency_id.name,
                        },
                        "partner_id": credited,
                        "rental_property_id": call.rental_property_id.id,
                        "line_ids": lines,
                    }
                )
        bulk = self._use_bulk(len(move_vals))
        move_ids = iter(self._create_moves(move_vals, bulk).ids)
        for vals, with_move in zip(split_vals, has_move, strict=True):
            vals["move_id"] = next(move_ids) if with_move else False
        if bulk:
            return self.model.browse(insert_splits(self.env, split_vals))
        return self.model.create(split_vals)

    def _use_bulk(self, count):
        """Whether this batch's entries are written in SQL (see rental_split_bulk)."""
        bulk_min = self.env.context.get("rental_split_bulk_min", BULK_MIN)
        return count >= bulk_min and can_write_in_bulk(self.journal)

    def _create_moves(self, move_vals, bulk):
        """Create and post the entries: in SQL for a large batch, else with the ORM."""
        if not move_vals:
            return self.env["account.move"]
        if bulk:
            writer = EntryWriter(self.env, self.company, self.journal)
            return self.env["account.move"].browse(writer.write(move_vals))
        Move = self.env["account.move"].with_context(
            skip_invoice_sync=True,
            tracking_disable=True,
            mail_create_nolog=True,
            mail_notrack=True,
        )
        moves = Move.create(move_vals)
        moves.with_context(rental_sequence_memo={}).action_post()
        return moves.with_env(self.env)

    def _split_vals(self, partial, call, mandate, credited, result, date):
        terms = self._terms(mandate)
        fee_base = result.rent if terms.fee_base == "rent" else result.rent + result.charges
        return {
            "company_id": self.company.id,
            "call_id": call.id,
            "partial_id": partial.id,
            "collection_move_id": partial.credit_move_id.move_id.id,
            "lease_id": call.rental_lease_id.id,
            "property_id": call.rental_property_id.id,
            "owner_id": credited,
            "mandate_id": mandate.id,
            "date": date,
            "amount": from_cents(result.amount),
            "rent_amount": from_cents(result.rent),
            "charges_amount": from_cents(result.charges),
            "fee_rate": mandate.fee_rate,
            "fee_base": terms.fee_base,
            "fee_base_amount": from_cents(fee_base),
            "fee_amount": from_cents(result.fee),
            "fee_tax_id": mandate.fee_tax_id.id,
            "fee_tax_amount": from_cents(result.fee_tax),
            "insurance_amount": from_cents(result.insurance),
            "insurer_id": mandate.insurer_id.id,
            "advance_amount": from_cents(result.advances_total),
            "owners_amount": from_cents(result.owners_total),
            "shortfall_amount": from_cents(
                result.fee_shortfall + result.fee_tax_shortfall + result.insurance_shortfall
            ),
        }
