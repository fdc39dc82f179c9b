import logging

import psycopg2.errors

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .rental_matching_rule import _builtin_selection

_logger = logging.getLogger(__name__)

#: States of a proposal that is the line's current one (at most one per line).
LIVE_STATES = ("review", "unmatched", "auto", "accepted", "not_rent")
#: States of a proposal waiting for a person.
QUEUE_STATES = ("review", "unmatched")


def score_band(score):
    """The band of a score (0-100) the review queue groups and filters by."""
    return "high" if score >= 90 else "medium" if score >= 60 else "low"


def check_can_reconcile(env):
    """Deciding on bank lines is bank reconciliation: Odoo gives it to the accounting
    groups (``account.group_account_basic`` and above), not to billing users."""
    if not env.su and not env.user.has_group("account.group_account_basic"):
        raise AccessError(env._(
            "Matching and reconciling bank lines needs bank reconciliation rights "
            "(Accounting)."))


class RentalMatchProposal(models.Model):
    """What the matching engine found for an incoming bank line: the lease, the rent
    calls it settles and how much, a score and the reason in words.

    One proposal per line is live (to review, unmatched, reconciled automatically or by a
    person, not rent); replaced proposals stay as history (rejected, undone). The review
    queue lists the live proposals waiting for a person.
    """

    _name = "rental.match.proposal"
    _description = "Rent Match Proposal"
    _order = "date desc, id desc"
    _rec_name = "statement_line_id"
    _check_company_auto = True

    statement_line_id = fields.Many2one(
        "account.bank.statement.line", string="Bank Line", required=True, index=True,
        ondelete="cascade", readonly=True,
    )
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    journal_id = fields.Many2one("account.journal", readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    date = fields.Date(readonly=True, index=True)
    amount = fields.Monetary(readonly=True)
    payment_ref = fields.Char(string="Label", readonly=True)
    payer_name = fields.Char(readonly=True)
    payer_iban = fields.Char(string="Payer IBAN", readonly=True)
    virtual_iban_id = fields.Many2one("rental.virtual.iban", readonly=True, index=True)
    lease_id = fields.Many2one("rental.lease", readonly=True, index=True)
    property_id = fields.Many2one("rental.property", readonly=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Tenant", readonly=True)
    rule_id = fields.Many2one("rental.matching.rule", readonly=True)
    rule_type = fields.Selection(_builtin_selection(), readonly=True)
    score = fields.Integer(readonly=True, aggregator="avg")
    # Computed, but writable (shown nowhere editable): the matching gives the band with
    # the score at creation, where Odoo would discard a readonly computed field's value
    # and compute it record by record (5,000 proposals per statement).
    score_band = fields.Selection(
        [("high", "90-100"), ("medium", "60-89"), ("low", "0-59")],
        compute="_compute_score_band", store=True, precompute=True, readonly=False,
    )
    reason = fields.Text(readonly=True)
    alternatives = fields.Text(readonly=True)
    kind = fields.Selection(
        [("rent", "Rent"), ("deposit", "Deposit"), ("housing_benefit", "Housing benefit")],
        readonly=True,
    )
    unallocated = fields.Monetary(string="Left as Credit", readonly=True)
    line_ids = fields.One2many("rental.match.proposal.line", "proposal_id", readonly=True)
    state = fields.Selection(
        [
            ("review", "To review"),
            ("unmatched", "Unmatched"),
            ("auto", "Reconciled automatically"),
            ("accepted", "Accepted"),
            ("rejected", "Rejected"),
            ("not_rent", "Not rent"),
            ("undone", "Undone"),
        ],
        required=True, default="review", index=True, readonly=True,
    )
    line_reconciled = fields.Boolean(related="statement_line_id.is_reconciled",
                                     string="Line Reconciled")
    decided_by_id = fields.Many2one("res.users", string="Decided by", readonly=True)
    decided_on = fields.Datetime(readonly=True)

    @api.depends("score")
    def _compute_score_band(self):
        for proposal in self:
            proposal.score_band = score_band(proposal.score)

    def _compute_display_name(self):
        for proposal in self:
            line = proposal.statement_line_id
            proposal.display_name = " - ".join(
                part for part in (line.payment_ref, proposal.lease_id.name) if part
            ) or _("Proposal %(id)s", id=proposal.id)

    # -- checks --------------------------------------------------------------------------

    def _rental_check_open(self):
        """Raise a clear error when a proposal can no longer be applied: it was decided,
        its bank line is reconciled, or a rent call it settles is paid meanwhile.

        The bank lines are locked first: a line being matched or accepted elsewhere (the
        matching run, another user) is refused instead of waiting or being reconciled
        twice."""
        self._rental_lock_lines()
        for proposal in self:
            line = proposal.statement_line_id
            if proposal.state not in QUEUE_STATES:
                raise UserError(_(
                    "The proposal for bank line %(line)s is %(state)s: it cannot be applied.",
                    line=line.display_name,
                    state=dict(self._fields["state"]._description_selection(self.env))[
                        proposal.state],
                ))
            if line.is_reconciled or line.rental_not_rent:
                raise UserError(_(
                    "Bank line %(line)s was reconciled or set aside meanwhile: undo that "
                    "first if the proposal is right.", line=line.display_name))
            for row in proposal.line_ids:
                item = row.move_line_id
                if item.reconciled or item.currency_id.compare_amounts(
                    row.amount, item.amount_residual_currency
                ) > 0:
                    raise UserError(_(
                        "%(call)s is no longer open for %(amount)s (residual %(residual)s): "
                        "it was paid meanwhile. Reassign the bank line %(line)s.",
                        call=item.move_id.display_name, amount=row.amount,
                        residual=item.amount_residual_currency, line=line.display_name,
                    ))

    def _rental_lock_lines(self):
        lines = self.statement_line_id
        if not lines:
            return
        self.env.flush_all()
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(SQL(
                    "SELECT id FROM account_bank_statement_line WHERE id = ANY(%s) "
                    "FOR UPDATE NOWAIT", lines.ids,
                ))
        except psycopg2.errors.LockNotAvailable:
            raise UserError(_(
                "These bank lines are being processed right now (by the matching run or "
                "another user). Try again in a moment.")) from None
        lines.invalidate_recordset()

    # -- actions -------------------------------------------------------------------------

    def _rental_reconcile(self):
        """Reconcile the bank line as proposed (allocations, the rest as the payer's
        credit on the tenant account) and post a note on the bank entry."""
        self.ensure_one()
        self.statement_line_id._rental_reconcile_with(**self._rental_reconcile_spec())

    def _rental_reconcile_spec(self):
        """How to reconcile the bank line as proposed: the keyword arguments of
        ``account.bank.statement.line._rental_reconcile_with`` (allocations, the rest as
        the payer's credit on the tenant account); also used for a batch of proposals
        (``_rental_reconcile_many``)."""
        self.ensure_one()
        lease = self.lease_id
        if not lease and not self.line_ids:
            raise UserError(_("Bank line %(line)s: choose a lease or rent calls first "
                              "(Reassign).", line=self.statement_line_id.display_name))
        company = self.company_id
        rest_partner = lease.tenant_id
        if self.kind == "housing_benefit" and lease.housing_benefit_payer_id:
            rest_partner = lease.housing_benefit_payer_id
        return {
            "allocations": [(row.move_line_id, row.amount) for row in self.line_ids],
            "rest_partner": rest_partner or self.line_ids.move_line_id.partner_id[:1],
            "rest_account": company.rental_tenant_account_id,
        }

    def _rental_log(self, body):
        self.statement_line_id.move_id._message_log(body=body)

    def action_accept(self):
        """Reconcile the selected proposals as proposed (each alone: one stale proposal
        stops with a clear error and changes nothing) and learn the payers."""
        check_can_reconcile(self.env)
        self._rental_check_open()
        learn = []
        for proposal in self:
            proposal._rental_reconcile()
            proposal.write({"state": "accepted", "decided_by_id": self.env.uid,
                            "decided_on": fields.Datetime.now()})
            proposal._rental_log(_(
                "Rent match accepted by %(user)s: lease %(lease)s. %(reason)s",
                user=self.env.user.name, lease=proposal.lease_id.name or "-",
                reason=proposal.reason or "",
            ))
            if proposal.lease_id:
                learn.append((proposal.lease_id, proposal.payer_iban, proposal.payer_name,
                              proposal.statement_line_id.partner_id))
        self.env["rental.known.payer"]._rental_learn(learn)
        return True

    def action_not_rent(self):
        """The bank line is not a rent payment: it leaves the queue for good."""
        check_can_reconcile(self.env)
        for proposal in self:
            if proposal.state not in QUEUE_STATES:
                raise UserError(_("Only a proposal waiting for review can be set as not rent."))
        self.write({"state": "not_rent", "decided_by_id": self.env.uid,
                    "decided_on": fields.Datetime.now()})
        # a marker, not an accounting change: whoever may decide on the proposal sets it
        # (billing users, who cannot edit bank lines)
        self.statement_line_id.sudo().write({"rental_not_rent": True})
        for proposal in self:
            proposal._rental_log(_("Bank line marked as not rent by %(user)s.",
                                   user=self.env.user.name))
        return True

    def _rental_open_wizard(self, mode):
        self.ensure_one()
        check_can_reconcile(self.env)
        self._rental_check_open()
        return {
            "type": "ir.actions.act_window",
            "name": _("Split") if mode == "split" else _("Reassign"),
            "res_model": "rental.match.assign.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_proposal_id": self.id, "default_mode": mode},
        }

    def action_reassign(self):
        return self._rental_open_wizard("reassign")

    def action_split(self):
        return self._rental_open_wizard("split")

    def action_undo_reconciliation(self):
        """Undo the reconciliation of the bank line: it returns to the queue."""
        self.statement_line_id.action_undo_reconciliation()
        return True

    def action_open_statement_line(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.bank.statement.line",
            "res_id": self.statement_line_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }


class RentalMatchProposalLine(models.Model):
    """How much of a bank line goes to one rent call (its receivable item)."""

    _name = "rental.match.proposal.line"
    _description = "Rent Match Proposal Line"
    _order = "date_maturity, id"

    proposal_id = fields.Many2one("rental.match.proposal", required=True, index=True,
                                  ondelete="cascade")
    move_line_id = fields.Many2one("account.move.line", string="Journal Item", required=True,
                                   index=True, ondelete="cascade")
    # The item's entry, given by the matching at creation (see ``score_band``): computed
    # rather than related, so that a value written never goes to the journal item.
    move_id = fields.Many2one("account.move", string="Rent Call", compute="_compute_move_id",
                              store=True, index=True, precompute=True, readonly=False)
    date_maturity = fields.Date(related="move_line_id.date_maturity", string="Due Date")
    currency_id = fields.Many2one(related="proposal_id.currency_id")
    amount = fields.Monetary(required=True)
    residual = fields.Monetary(string="Open Now", compute="_compute_residual")

    @api.depends("move_line_id.move_id")
    def _compute_move_id(self):
        for row in self:
            row.move_id = row.move_line_id.move_id

    @api.depends("move_line_id.amount_residual_currency")
    def _compute_residual(self):
        for row in self:
            row.residual = row.move_line_id.amount_residual_currency
