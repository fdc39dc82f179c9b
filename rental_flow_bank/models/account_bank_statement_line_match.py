import logging
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from decimal import Decimal

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.translate import code_translations

from odoo.addons.rental_flow.engines import viban

from ..engines.matching import (
    STATUS_AUTO,
    STATUS_REVIEW,
    BankLine,
    CandidateIndex,
    KnownPayer,
    LeaseInfo,
    MatchingEngine,
    MatchingInputError,
    OpenItem,
    Party,
    VirtualIban,
)
from .rental_match_proposal import LIVE_STATES, QUEUE_STATES, check_can_reconcile, score_band

_logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
#: Rent-call kinds the matching engine knows (others, e.g. reminder fees, are left out).
MATCHED_KINDS = ("rent", "deposit", "housing_benefit")


def _money(value):
    return Decimal(str(value or 0)).quantize(CENT)


@contextmanager
def line_savepoint(env):
    """A savepoint around one line's reconciliation.

    Unlike ``cr.savepoint()`` it does not run the pre-commit hooks when it closes (only
    the ORM flush), so the owner splits queued by the reconciliations stay queued and are
    created in one batch for the whole run. Entry numbers taken inside a rolled-back
    savepoint are forgotten, as in ``import_savepoint``.
    """
    cache = env.cr.precommit.data.setdefault("sequence.mixin", {})
    before = dict(cache)
    env.flush_all()
    try:
        with env.cr.savepoint(flush=False):
            yield
            env.flush_all()
    except BaseException:
        cache.clear()
        cache.update(before)
        raise


class AccountBankStatementLine(models.Model):
    """Rent matching of incoming bank lines (see :meth:`_rental_match`)."""

    _inherit = "account.bank.statement.line"

    rental_not_rent = fields.Boolean(
        string="Not Rent", copy=False, index=True,
        help="Set aside by a person: this line pays no rent and is never matched.",
    )
    rental_match_date = fields.Datetime(
        string="Last Matched", readonly=True, copy=False,
        help="When the matching engine last processed this line.",
    )
    rental_proposal_ids = fields.One2many(
        "rental.match.proposal", "statement_line_id", string="Match Proposals"
    )

    # -- claiming ------------------------------------------------------------------------

    @api.model
    def _rental_mandant_journal_ids(self):
        """Bank journals whose lines are matched: each company's mandant journal and the
        journals of virtual IBAN pools."""
        journals = self.env["res.company"].sudo().search([]).rental_bank_journal_id
        journals |= self.env["rental.virtual.iban.pool"].sudo().with_context(
            active_test=False).search([]).journal_id
        return journals.ids

    def _rental_claim(self, limit=None, pending_only=False):
        """Lock and return the lines to match, skipping those another worker holds.

        With ``self``: its incoming, unreconciled lines that are not set aside and not
        already decided (a line waiting for review is matched again, unless
        ``pending_only``). Without: every pending line of the mandant journals that has no
        proposal yet. ``SELECT ... FOR
        UPDATE SKIP LOCKED``: two workers never process the same line.
        """
        self.env.flush_all()
        if self:
            scope = SQL(
                "st.id = ANY(%s) AND NOT EXISTS (SELECT 1 FROM rental_match_proposal p "
                "WHERE p.statement_line_id = st.id AND p.state = ANY(%s))",
                self.ids,
                list(LIVE_STATES) if pending_only
                else [s for s in LIVE_STATES if s not in QUEUE_STATES],
            )
        else:
            scope = SQL(
                "st.journal_id = ANY(%s) AND NOT EXISTS (SELECT 1 FROM rental_match_proposal p "
                "WHERE p.statement_line_id = st.id AND p.state = ANY(%s))",
                self._rental_mandant_journal_ids(), list(LIVE_STATES),
            )
        # The claimed lines are stamped: a worker whose snapshot is older than another
        # worker's commit then fails to lock them (serialization error, retried later)
        # instead of matching them a second time.
        self.env.cr.execute(SQL(
            """
            WITH claimed AS (
                SELECT st.id
                  FROM account_bank_statement_line st
                  JOIN account_move m ON m.id = st.move_id
                 WHERE m.state = 'posted'
                   AND st.amount > 0
                   AND st.is_reconciled IS NOT TRUE
                   AND st.rental_not_rent IS NOT TRUE
                   AND %s
                 ORDER BY st.id
                 %s
                   FOR UPDATE OF st SKIP LOCKED
            )
            UPDATE account_bank_statement_line line
               SET rental_match_date = now() AT TIME ZONE 'UTC'
              FROM claimed
             WHERE line.id = claimed.id
         RETURNING line.id
            """,
            scope,
            SQL("LIMIT %s", limit) if limit else SQL(""),
        ))
        lines = self.browse(sorted(row[0] for row in self.env.cr.fetchall()))
        lines.invalidate_recordset(["rental_match_date"])
        return lines

    # -- matching ------------------------------------------------------------------------

    def _rental_match(self, limit=None, auto=True, pending_only=False):
        """Match incoming bank lines with rent calls and reconcile the certain ones.

        ``self``: the lines to match (empty: every pending line of the mandant journals,
        at most ``limit``). Candidates are read in bulk, with a fixed number of queries
        per company, into one :class:`CandidateIndex`; the engine proposes; automatic
        proposals are reconciled (each in a savepoint: a failure goes to the review
        queue and the batch goes on), the others wait in the review queue. ``auto=False``
        sends everything to the queue; ``pending_only`` leaves out lines of ``self`` that
        already have a proposal. Returns the run's figures.
        """
        stats = dict.fromkeys(("lines", "auto", "review", "unmatched", "skipped", "errors"), 0)
        stats.update(seconds_load=0.0, seconds_propose=0.0, seconds_reconcile=0.0)
        started = time.perf_counter()
        lines = self._rental_claim(limit=limit, pending_only=pending_only)
        stats["lines"] = len(lines)
        if not lines:
            stats["seconds_load"] = time.perf_counter() - started
            return stats
        # queue proposals of lines matched again are replaced
        self.env["rental.match.proposal"].search([
            ("statement_line_id", "in", lines.ids), ("state", "in", list(QUEUE_STATES)),
        ]).unlink()
        rows = lines._rental_read_lines()
        by_company = defaultdict(list)
        for row in rows:
            by_company[row["company_id"]].append(row)
        stats["seconds_load"] += time.perf_counter() - started
        for company_id, company_rows in by_company.items():
            company = self.env["res.company"].browse(company_id)
            self.with_company(company)._rental_match_company(company, company_rows, stats, auto)
        _logger.info("Rent matching: %s", stats)
        return stats

    def _rental_read_lines(self):
        """What the engine needs of the lines, in one query."""
        self.env.cr.execute(SQL(
            """
            SELECT st.id, st.company_id, st.journal_id, st.amount, st.amount_currency, m.date,
                   st.foreign_currency_id, fc.name AS foreign_currency, cur.name AS currency,
                   ccur.name AS company_currency, st.partner_name, p.name AS partner,
                   st.account_number, st.payment_ref, st.rental_credited_iban,
                   st.rental_structured_ref, st.rental_end_to_end_id,
                   st.rental_remittance_ref, st.rental_ultimate_debtor,
                   st.rental_virtual_iban_id, st.rental_property_id
              FROM account_bank_statement_line st
              JOIN account_move m ON m.id = st.move_id
              JOIN res_company c ON c.id = st.company_id
              JOIN res_currency ccur ON ccur.id = c.currency_id
              LEFT JOIN res_currency cur ON cur.id = st.currency_id
              LEFT JOIN res_currency fc ON fc.id = st.foreign_currency_id
              LEFT JOIN res_partner p ON p.id = st.partner_id
             WHERE st.id = ANY(%s)
             ORDER BY st.id
            """,
            self.ids,
        ))
        return self.env.cr.dictfetchall()

    @api.model
    def _rental_bank_line(self, row):
        """The engine's :class:`BankLine` of a line read by :meth:`_rental_read_lines`."""
        remittance = " ".join(
            part for part in (row["payment_ref"], row["rental_remittance_ref"])
            if part and part != "/"
        )
        payer = row["partner_name"] or row["partner"] or row["rental_ultimate_debtor"] or ""
        return BankLine(
            id=row["id"],
            amount=_money(row["amount"]),
            date=row["date"],
            currency=row["foreign_currency"] or row["currency"] or row["company_currency"],
            payer_name=payer,
            payer_iban=row["account_number"] or None,
            credited_iban=row["rental_credited_iban"] or None,
            remittance=remittance,
            structured_reference=row["rental_structured_ref"] or None,
            end_to_end_id=row["rental_end_to_end_id"] or None,
        )

    def _rental_match_company(self, company, rows, stats, auto):
        started = time.perf_counter()
        Proposal = self.env["rental.match.proposal"]
        rules = self.env["rental.matching.rule"]._rental_rules_for(company)
        configs = [rule._to_rule_config() for rule in rules]
        rule_by_code = {}
        for rule in rules:
            rule_by_code.setdefault(rule.rule_type, rule)
        currency = company.currency_id.name
        skipped, todo = [], []
        for row in rows:
            line_currency = row["foreign_currency"] or row["currency"] or currency
            (todo if line_currency == currency else skipped).append(row)
        vals_list = [
            self._rental_proposal_vals(row, company, state="unmatched", reason=self.env._(
                "Line in %(currency)s, the company's currency is %(company_currency)s: "
                "reconcile it by hand.",
                currency=row["foreign_currency"] or row["currency"], company_currency=currency,
            ))
            for row in skipped
        ]
        stats["skipped"] += len(skipped)
        bank_lines = [self._rental_bank_line(row) for row in todo]
        index = None
        results = []
        if todo:
            try:
                index = self._rental_candidate_index(company, bank_lines)
                stats["seconds_load"] += time.perf_counter() - started
                started = time.perf_counter()
                results = MatchingEngine(configs, company_currency=currency).run(
                    bank_lines, index)
            except MatchingInputError as exc:
                # bad data (a rule's parameters, a record the engine refuses): the lines
                # wait in the queue with the reason instead of blocking every later run
                _logger.exception("Rent matching of company %s failed", company.name)
                stats["errors"] += len(todo)
                vals_list += [
                    self._rental_proposal_vals(row, company, state="unmatched",
                                               reason=self.env._("Matching failed: %(error)s",
                                                                 error=exc))
                    for row in todo
                ]
                todo = []
        row_by_id = {row["id"]: row for row in todo}
        translate = self._rental_reason_translator()
        to_reconcile = []
        for result in results:
            row = row_by_id[result.line_id]
            proposal = result.proposal
            if proposal is None:
                stats["unmatched"] += 1
                vals_list.append(self._rental_proposal_vals(
                    row, company, state="unmatched", reason=result.explain(translate)))
                continue
            vals = self._rental_proposal_vals(
                row, company, state="review", reason=result.explain(translate),
                proposal=proposal, rule=rule_by_code.get(proposal.rule_code),
                alternatives=result.alternatives, index=index, translate=translate,
            )
            if result.status == STATUS_AUTO and auto:
                # created as decided: one that fails to reconcile goes back to review
                vals.update(state="auto", decided_on=fields.Datetime.now())
                to_reconcile.append(len(vals_list))
            elif result.status in (STATUS_AUTO, STATUS_REVIEW):
                stats["review"] += 1
            vals_list.append(vals)
        # the proposal lines in one call of their own (as one2many commands, they would
        # be created proposal by proposal)
        lines_vals = [vals.pop("line_ids", ()) for vals in vals_list]
        proposals = Proposal.create(vals_list)
        self.env["rental.match.proposal.line"].create([
            {**values, "proposal_id": proposal.id}
            for proposal, commands in zip(proposals, lines_vals, strict=True)
            for __, ___, values in commands
        ])
        stats["seconds_propose"] += time.perf_counter() - started
        started = time.perf_counter()
        self._rental_reconcile_auto(proposals.browse([proposals[n].id for n in to_reconcile]),
                                    stats)
        stats["seconds_reconcile"] += time.perf_counter() - started

    def _rental_reconcile_auto(self, proposals, stats):
        """Reconcile automatic proposals, standard Odoo reconciliation, in three steps.

        1. Each line's suspense item is replaced by its counterparts, all lines at once
           (``_rental_replace_suspense_many``: a few ORM calls for the batch) in one
           savepoint; a line whose proposal no longer holds (checked first) is left out and
           goes to the review queue with the error; should the batch fail, again line by
           line (``_rental_reconcile_with``), each in its own savepoint.
        2. All the counterpart/rent-call pairs are reconciled in one batch (Odoo's
           reconciliation plan, which costs much less per pair in bulk); should the batch
           fail, each line is reconciled alone, and a line that still fails gets its
           suspense item back (Odoo's undo) and goes to the queue.
        3. The owner splits of all these reconciliations are created in one batch.

        ``proposals`` are created in state 'auto' (one whose line fails to reconcile goes
        back to 'review' with the error): the proposal is the log of each automatic
        reconciliation (rule, score, reason, time), listed on the bank line; a chatter
        message per line would cost as much as the reconciliation plan itself. People's
        decisions (accept, reassign, split, not rent, undo) are also written in the bank
        entry's chatter.
        """
        failed = {}
        pairs_of = {}
        # No tracking message on the entries an automatic reconciliation changes (one
        # message_post per bank entry costs about as much as its reconciliation; the
        # proposal logs it): what is pending is flushed with tracking, the batch's own
        # changes (and their recomputations) without.
        self.env.flush_all()
        quiet = self.with_context(tracking_disable=True).env
        # no "journal item updated" message per bank entry (the proposal logs the change)
        deferred = proposals.with_env(quiet).with_context(rental_split_defer=True)
        plan = {}
        checked = {}
        proposal_of = {}
        for proposal in deferred:
            line = proposal.statement_line_id
            try:
                if line in plan:
                    raise UserError(self.env._("Bank line %(line)s has two automatic "
                                               "proposals.", line=line.display_name))
                spec = proposal._rental_reconcile_spec()
                checked[line.id] = line._rental_reconcile_prepare(**spec)  # a bad line stays out
            except UserError as exc:
                failed[proposal.id] = str(exc)
                continue
            plan[line] = spec
            proposal_of[line] = proposal
        try:
            # optimistic: all the lines at once, in one savepoint (a few ORM calls) ...
            with line_savepoint(quiet):
                lines = self.with_env(quiet).browse([line.id for line in plan]).with_context(
                    rental_split_defer=True)
                replaced = lines._rental_replace_suspense_many(
                    plan, prepared={line: checked[line.id] for line in lines})
                for line, (__, pairs) in replaced.items():
                    pairs_of[proposal_of[line].id] = [
                        (counterpart | target).ids for counterpart, target in pairs
                    ]
        except Exception:  # noqa: BLE001 -- ... else line by line, each in its savepoint
            self.env.transaction.clear()
            _logger.warning("Batch replacement of suspense items failed; reconciling line "
                            "by line", exc_info=True)
            pairs_of.clear()
            collector = []
            for proposal in deferred.with_context(rental_reconcile_collector=collector):
                if proposal.id in failed:
                    continue
                start = len(collector)
                try:
                    with line_savepoint(quiet):
                        proposal._rental_reconcile()
                except Exception as exc:  # noqa: BLE001 -- one bad line must not stop the batch
                    self.env.transaction.clear()
                    del collector[start:]
                    failed[proposal.id] = str(exc)
                    continue
                pairs_of[proposal.id] = collector[start:]
        Line = quiet["account.move.line"].with_context(rental_split_defer=True)
        try:
            with line_savepoint(quiet):
                Line._rental_reconcile_plan_bulk([Line.browse(ids) for pairs in pairs_of.values()
                                                  for ids in pairs])
        except Exception:  # noqa: BLE001 -- retried line by line below
            self.env.transaction.clear()
            _logger.warning("Batch reconciliation failed; reconciling line by line",
                            exc_info=True)
            for proposal_id, pairs in list(pairs_of.items()):
                try:
                    with line_savepoint(quiet):
                        Line._rental_reconcile_plan_bulk([Line.browse(ids) for ids in pairs])
                except Exception as exc:  # noqa: BLE001
                    self.env.transaction.clear()
                    failed[proposal_id] = str(exc)
                    del pairs_of[proposal_id]
                    line = self.env["rental.match.proposal"].browse(proposal_id).statement_line_id
                    super(AccountBankStatementLine, line).action_undo_reconciliation()
        self.env["rental.owner.split"]._process_pending()
        stats["auto"] += len(pairs_of)
        for proposal in self.env["rental.match.proposal"].browse(list(failed)):
            _logger.warning("Automatic reconciliation of bank line %s failed: %s",
                            proposal.statement_line_id.id, failed[proposal.id])
            proposal.write({
                "state": "review",
                "decided_on": False,
                "reason": self.env._(
                    "%(reason)s; automatic reconciliation failed: %(error)s",
                    reason=proposal.reason, error=failed[proposal.id],
                ),
            })
        stats["errors"] += len(failed)
        stats["review"] += len(failed)

    @api.model
    def _rental_reason_translator(self):
        """A function translating the engine's English reason templates and words into
        the user's language, with this addon's translations (None in English)."""
        lang = self.env.lang or "en_US"
        if lang == "en_US":
            return None
        translations = code_translations.get_python_translations("rental_flow_bank", lang)
        return lambda text: translations.get(text) or text

    def _rental_proposal_vals(self, row, company, state, reason, proposal=None, rule=None,
                              alternatives=(), index=None, translate=None):
        vals = {
            "statement_line_id": row["id"],
            "company_id": company.id,
            "journal_id": row["journal_id"],
            "currency_id": company.currency_id.id,
            "date": row["date"],
            "amount": row["amount"],
            "payment_ref": row["payment_ref"],
            "payer_name": row["partner_name"] or row["partner"] or row["rental_ultimate_debtor"],
            "payer_iban": row["account_number"],
            "virtual_iban_id": row["rental_virtual_iban_id"],
            "property_id": row["rental_property_id"],
            "state": state,
            "reason": reason,
            # the computed fields given (not computed record by record at creation)
            "score_band": score_band(proposal.score if proposal else 0),
        }
        if proposal is None:
            return vals
        vals.update({
            "lease_id": proposal.lease_id,
            "rule_id": rule.id if rule else False,
            "rule_type": proposal.rule_code if proposal.rule_code in dict(
                self.env["rental.match.proposal"]._fields["rule_type"].selection) else False,
            "score": proposal.score,
            "kind": proposal.kind,
            "unallocated": float(proposal.unallocated),
            "alternatives": "\n".join(
                f"{alt.lease_code} ({alt.score}): {alt.explain(translate)}"
                for alt in alternatives
            ) or False,
            "line_ids": [
                (0, 0, {"move_line_id": alloc.item_id, "amount": float(alloc.amount),
                        **self._rental_item_move(index, alloc.item_id)})
                for alloc in proposal.allocations
            ],
        })
        lease = index.leases.get(proposal.lease_id) if index else None
        if lease is not None:
            vals["property_id"] = lease.property_id or vals["property_id"]
            vals["partner_id"] = lease.tenants[0].partner_id if lease.tenants else False
        return vals

    @api.model
    def _rental_item_move(self, index, item_id):
        """``{"move_id": ...}`` of an allocated item when the index knows its entry."""
        item = index.items.get(item_id) if index else None
        return {"move_id": item.move_id} if item and item.move_id else {}

    # -- candidates ----------------------------------------------------------------------

    @api.model
    def _rental_candidate_index(self, company, bank_lines):
        """One :class:`CandidateIndex` of ``company``: its open rent-call items, the leases
        concerned with their parties and known payers, the virtual IBANs the lines credit
        and the company's own accounts. A fixed number of queries, whatever the number of
        lines, leases or rent calls."""
        cr = self.env.cr
        for model in ("account.move.line", "account.move", "rental.lease", "res.partner",
                      "res.partner.bank", "rental.known.payer", "rental.virtual.iban",
                      "rental.virtual.iban.assignment", "account.journal"):
            self.env[model].flush_model()
        cr.execute(SQL(
            """
            SELECT b.sanitized_acc_number
              FROM account_journal j
              JOIN res_partner_bank b ON b.id = j.bank_account_id
             WHERE j.company_id = %s AND j.type = 'bank'
            """,
            company.id,
        ))
        master_ibans = [row[0] for row in cr.fetchall() if row[0]]
        cr.execute(SQL(
            """
            SELECT aml.id, aml.move_id, m.rental_lease_id, m.rental_call_kind,
                   aml.amount_residual_currency,
                   COALESCE(aml.date_maturity, m.invoice_date_due, m.date) AS due_date, m.name,
                   m.payment_reference, m.partner_id, m.rental_period_start, m.amount_total,
                   cur.name AS currency
              FROM account_move_line aml
              JOIN account_move m ON m.id = aml.move_id
              JOIN res_currency cur ON cur.id = aml.currency_id
             WHERE aml.company_id = %s
               AND aml.account_id = %s
               AND aml.parent_state = 'posted'
               AND aml.reconciled IS NOT TRUE
               AND aml.amount_residual_currency > 0
               AND m.move_type = 'out_invoice'
               AND m.rental_lease_id IS NOT NULL
               AND m.rental_call_kind = ANY(%s)
            """,
            company.id, company.rental_tenant_account_id.id, list(MATCHED_KINDS),
        ))
        item_rows = cr.dictfetchall()
        cr.execute(SQL(
            """
            SELECT l.id, l.name, l.property_id, p.name AS property_name, l.state, l.date_start,
                   l.date_end, l.tenant_id, l.housing_benefit_payer_id,
                   l.housing_benefit_amount, l.rent, l.charges, l.deposit, l.company_id
              FROM rental_lease l
              JOIN rental_property p ON p.id = l.property_id
             WHERE l.company_id = %s AND (l.state = 'running' OR l.id = ANY(%s))
            """,
            company.id, list({row["rental_lease_id"] for row in item_rows}),
        ))
        lease_rows = cr.dictfetchall()
        lease_ids = [row["id"] for row in lease_rows]
        cotenants, guarantors = defaultdict(list), defaultdict(list)
        for table, target in (("rental_lease_cotenant_rel", cotenants),
                              ("rental_lease_guarantor_rel", guarantors)):
            cr.execute(SQL("SELECT lease_id, partner_id FROM %s WHERE lease_id = ANY(%s) "
                           "ORDER BY partner_id", SQL.identifier(table), lease_ids))
            for lease_id, partner_id in cr.fetchall():
                target[lease_id].append(partner_id)
        partner_ids = {row["tenant_id"] for row in lease_rows}
        partner_ids |= {row["housing_benefit_payer_id"] for row in lease_rows
                        if row["housing_benefit_payer_id"]}
        partner_ids |= {p for ids in (*cotenants.values(), *guarantors.values()) for p in ids}
        cr.execute(SQL("SELECT id, name FROM res_partner WHERE id = ANY(%s)", list(partner_ids)))
        names = dict(cr.fetchall())
        cr.execute(SQL(
            "SELECT partner_id, sanitized_acc_number FROM res_partner_bank "
            "WHERE partner_id = ANY(%s) AND active AND sanitized_acc_number IS NOT NULL",
            list(partner_ids),
        ))
        ibans = defaultdict(list)
        for partner_id, iban in cr.fetchall():
            ibans[partner_id].append(iban)
        cr.execute(SQL(
            "SELECT lease_id, iban, name FROM rental_known_payer "
            "WHERE active AND lease_id = ANY(%s) ORDER BY id",
            lease_ids,
        ))
        known = defaultdict(list)
        for lease_id, iban, name in cr.fetchall():
            known[lease_id].append(KnownPayer(iban=iban or None, name=name or None))

        def party(partner_id):
            return Party(name=names.get(partner_id) or "", partner_id=partner_id,
                         ibans=tuple(ibans.get(partner_id, ())))

        leases = []
        for row in lease_rows:
            payer_id = row["housing_benefit_payer_id"]
            leases.append(LeaseInfo(
                id=row["id"],
                code=row["name"],
                property_id=row["property_id"],
                property_name=row["property_name"] or "",
                state=row["state"],
                date_start=row["date_start"],
                date_end=row["date_end"],
                tenants=(party(row["tenant_id"]),),
                cotenants=tuple(party(p) for p in cotenants[row["id"]]),
                guarantors=tuple(party(p) for p in guarantors[row["id"]]),
                housing_benefit_payer=party(payer_id) if payer_id else None,
                housing_benefit_amount=_money(row["housing_benefit_amount"])
                if row["housing_benefit_amount"] else None,
                rent_amount=_money((row["rent"] or 0) + (row["charges"] or 0)),
                deposit_amount=_money(row["deposit"]) if row["deposit"] else None,
                known_payers=tuple(known[row["id"]]),
                company_id=row["company_id"],
            ))
        items = [
            OpenItem(
                id=row["id"],
                lease_id=row["rental_lease_id"],
                kind=row["rental_call_kind"],
                amount_residual=_money(row["amount_residual_currency"]),
                due_date=row["due_date"],
                number=row["name"] or "",
                payment_reference=row["payment_reference"] or "",
                partner_id=row["partner_id"],
                period_start=row["rental_period_start"],
                amount_total=_money(row["amount_total"]),
                currency=row["currency"],
                move_id=row["move_id"],
            )
            for row in item_rows
        ]
        credited = list({viban.normalize(line.credited_iban) for line in bank_lines
                         if line.credited_iban})
        cr.execute(SQL(
            """
            SELECT v.name, a.property_id, p.name AS property_name, a.date_from, a.date_to
              FROM rental_virtual_iban v
              LEFT JOIN rental_virtual_iban_assignment a ON a.iban_id = v.id
              LEFT JOIN rental_property p ON p.id = a.property_id
             WHERE v.name = ANY(%s)
            """,
            credited,
        ))
        vibans = [
            VirtualIban(iban=row[0], property_id=row[1], property_name=row[2] or "",
                        date_from=row[3], date_to=row[4])
            for row in cr.fetchall()
        ]
        return CandidateIndex.build(items, leases, vibans, master_ibans=master_ibans)

    # -- cron and actions ----------------------------------------------------------------

    @api.model
    def _cron_rental_match(self, batch_size=2000, max_batches=50):
        """Match pending bank lines in batches, committing after each batch (a crash
        loses at most one batch; other workers skip the lines being matched)."""
        testing = getattr(threading.current_thread(), "testing", False)
        totals = defaultdict(float)
        for _batch in range(max_batches):
            stats = self._rental_match(limit=batch_size)
            for key, value in stats.items():
                totals[key] += value
            if not testing:
                self.env.cr.commit()
            if stats["lines"] < batch_size:
                break
        return dict(totals)

    def action_rental_match(self):
        """Match the selected lines now and say what happened."""
        check_can_reconcile(self.env)
        stats = self._rental_match()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Rent matching"),
                "message": _(
                    "%(lines)s lines: %(auto)s reconciled, %(review)s to review, "
                    "%(unmatched)s unmatched, %(skipped)s skipped, %(errors)s errors.",
                    **{k: int(v) for k, v in stats.items() if not k.startswith("seconds")},
                ),
                "type": "info",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_rental_not_rent(self):
        """Set the lines aside as not rent (their queue proposals leave the queue)."""
        check_can_reconcile(self.env)
        queue = self.rental_proposal_ids.filtered(lambda p: p.state in QUEUE_STATES)
        queue.action_not_rent()
        self.sudo().write({"rental_not_rent": True})  # a marker (see action_not_rent)
        return True

    def action_rental_review(self):
        """Open the line's current proposal."""
        self.ensure_one()
        proposal = self.rental_proposal_ids.filtered(lambda p: p.state in LIVE_STATES)[:1]
        if not proposal:
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": "rental.match.proposal",
            "res_id": proposal.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_undo_reconciliation(self):
        """Undo as Odoo does (rental_flow reverses the owner split), then put the lines
        back in the review queue: their reconciled proposal becomes history ('undone') and
        a fresh proposal, never automatic, waits for a person. Works for lines reconciled
        by hand too."""
        decided = self.rental_proposal_ids.filtered(lambda p: p.state in ("auto", "accepted"))
        result = super().action_undo_reconciliation()
        decided.write({"state": "undone"})
        for proposal in decided:
            proposal._rental_log(_("Reconciliation undone by %(user)s: the line is back in "
                                   "the review queue.", user=self.env.user.name))
        back = self.filtered(lambda line: line.amount > 0 and not line.rental_not_rent)
        if back:
            back._rental_match(auto=False)
        return result
