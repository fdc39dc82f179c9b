from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import timedelta

from odoo import api, models
from odoo.tools import SQL

from ..engines import planner
from .rental_dunning_policy import to_cents

#: Rent calls chased from the tenant (housing-benefit calls are the payer's business).
DUNNED_CALL_KINDS = ("rent", "deposit")
#: How far back the reminders of an episode are looked for.
HISTORY_WINDOW_DAYS = 400


@dataclass
class Collection:
    """Facts of the leases to plan, gathered in bulk."""

    cases: list = field(default_factory=list)
    specs: dict = field(default_factory=dict)  # lease id -> PolicySpec
    policies: dict = field(default_factory=dict)  # lease id -> rental.dunning.policy
    contacts: dict = field(default_factory=dict)  # partner id -> planner.Contact
    leases: dict = field(default_factory=dict)  # lease id -> rental.lease


class RentalDunningCollector(models.AbstractModel):
    """Gathers, in a few set-based queries, what the planner needs for many leases.

    Extension points: :meth:`_item_domain_sql` (which rent calls are chased),
    :meth:`_contact_for` (how a partner can be reached), :meth:`_policy_for` (which policy
    applies to a lease).
    """

    _name = "rental.dunning.collector"
    _description = "Dunning Facts Collector"

    @api.model
    def _collect(self, company, today, lease_ids=None):
        """:class:`Collection` of the leases of ``company`` with open rent calls."""
        self = self.with_company(company)
        self.env.flush_all()
        horizon = today + timedelta(days=self._courtesy_days(company))
        items = self._open_items(company, horizon, lease_ids)
        result = Collection()
        if not items:
            return result
        leases = self.env["rental.lease"].browse(list(items)).with_prefetch(list(items))
        leases.fetch(
            ["tenant_id", "cotenant_ids", "guarantor_ids", "lease_kind", "litigation_state",
             "dunning_paused", "dunning_policy_id", "company_id"]
        )
        tenants = leases.tenant_id
        late_counts = self._late_counts(company, tenants.ids, today)
        credits = self._unallocated_credits(company, tenants.ids)
        reminders = self._reminders(list(items), today)
        plans = self.env["rental.payment.plan"]._dunning_status(list(items), today)
        partners = tenants | leases.cotenant_ids | leases.guarantor_ids
        result.contacts = self._contacts(partners, company)
        spec_cache = {}
        for lease in leases:
            policy = self._policy_for(lease)
            if policy and policy.id not in spec_cache:
                spec_cache[policy.id] = policy._to_spec()
            spec = spec_cache[policy.id] if policy else planner.PolicySpec(key=0)
            contacts = [result.contacts[lease.tenant_id.id]]
            contacts += [
                result.contacts[p.id] for p in lease.cotenant_ids if p != lease.tenant_id
            ]
            contacts += [
                replace(result.contacts[p.id], role="guarantor") for p in lease.guarantor_ids
            ]
            result.cases.append(
                planner.DunningCase(
                    key=lease.id,
                    lease_kind=lease.lease_kind,
                    litigation=lease.litigation_state or "none",
                    paused=lease.dunning_paused,
                    items=tuple(items[lease.id]),
                    reminders=tuple(reminders.get(lease.id, ())),
                    late_count=late_counts.get(lease.tenant_id.id, 0),
                    plan=plans.get(lease.id),
                    contacts=tuple(contacts),
                    unallocated_cents=credits.get(lease.tenant_id.id, 0),
                )
            )
            result.specs[lease.id] = spec
            result.policies[lease.id] = policy
            result.leases[lease.id] = lease
        return result

    @api.model
    def _courtesy_days(self, company):
        """How many days before their due date rent calls can get a courteous reminder."""
        self.env.cr.execute(
            SQL(
                """
                SELECT COALESCE(-MIN(l.delay_days), 0)
                  FROM rental_dunning_level l
                  JOIN rental_dunning_policy p ON p.id = l.policy_id
                 WHERE p.company_id = %s AND p.active
                """,
                company.id,
            )
        )
        return max(self.env.cr.fetchone()[0] or 0, 0)

    @api.model
    def _item_domain_sql(self):
        """SQL condition on ``m`` (account_move) and ``l`` (rental_lease) of chased calls."""
        return SQL(
            """
            m.move_type = 'out_invoice'
            AND m.state = 'posted'
            AND m.rental_call_kind IN %s
            AND m.partner_id = l.tenant_id
            AND m.payment_state IN ('not_paid', 'partial')
            AND m.amount_residual > 0
            AND l.state IN ('running', 'ended')
            AND NOT %s
            """,
            DUNNED_CALL_KINDS,
            self.env["account.move"]._rental_payment_pending_sql("m"),
        )

    @api.model
    def _open_items(self, company, horizon, lease_ids=None):
        """``{lease id: [OverdueItem]}`` of the open rent calls due by ``horizon``."""
        lease_filter = SQL("AND l.id IN %s", tuple(lease_ids)) if lease_ids else SQL()
        if lease_ids is not None and not lease_ids:
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT l.id, m.id, m.invoice_date_due, m.amount_residual
                  FROM account_move m
                  JOIN rental_lease l ON l.id = m.rental_lease_id
                 WHERE m.company_id = %(company)s
                   AND m.invoice_date_due <= %(horizon)s
                   AND %(condition)s
                   %(lease_filter)s
                 ORDER BY l.id, m.invoice_date_due, m.id
                """,
                company=company.id,
                horizon=horizon,
                condition=self._item_domain_sql(),
                lease_filter=lease_filter,
            )
        )
        items = defaultdict(list)
        for lease_id, move_id, due, residual in self.env.cr.fetchall():
            items[lease_id].append(planner.OverdueItem(move_id, due, to_cents(residual)))
        return dict(items)

    @api.model
    def _reminders(self, lease_ids, today):
        """``{lease id: [PastReminder]}`` of the reminders sent recently.

        A reminder is dated by its run's date (the date the run was computed for), which is
        the date the planner reasons with.
        """
        self.env.cr.execute(
            SQL(
                """
                SELECT rl.lease_id, rl.level_id, COALESCE(rl.date, rl.sent_date::date),
                       ARRAY_AGG(rel.move_id)
                  FROM rental_dunning_run_line rl
                  JOIN rental_dunning_run_line_move_rel rel ON rel.line_id = rl.id
                 WHERE rl.lease_id IN %s
                   AND rl.state = 'sent'
                   AND rl.level_id IS NOT NULL
                   AND COALESCE(rl.date, rl.sent_date::date) >= %s
                 GROUP BY rl.id
                """,
                tuple(lease_ids),
                today - timedelta(days=HISTORY_WINDOW_DAYS),
            )
        )
        reminders = defaultdict(list)
        for lease_id, level_id, sent, move_ids in self.env.cr.fetchall():
            reminders[lease_id].append(planner.PastReminder(level_id, sent, frozenset(move_ids)))
        return reminders

    @api.model
    def _late_counts(self, company, partner_ids, today):
        """``{tenant id: number of rent calls paid late or unpaid}`` over the last year.

        A rent call counts as late when it was paid more than the company's grace days
        after its due date, or is still open past that.
        """
        if not partner_ids:
            return {}
        grace = company.rental_dunning_late_grace_days
        self.env.cr.execute(
            SQL(
                """
                SELECT m.partner_id, COUNT(*)
                  FROM account_move m
                  LEFT JOIN LATERAL (
                        SELECT MAX(apr.max_date) AS paid_on
                          FROM account_move_line aml
                          JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
                         WHERE aml.move_id = m.id AND aml.display_type = 'payment_term'
                  ) paid ON TRUE
                 WHERE m.company_id = %(company)s
                   AND m.partner_id IN %(partners)s
                   AND m.move_type = 'out_invoice'
                   AND m.state = 'posted'
                   AND m.rental_call_kind = 'rent'
                   AND m.invoice_date_due >= %(since)s
                   AND m.invoice_date_due < %(until)s
                   AND (
                        (m.payment_state IN ('not_paid', 'partial') AND m.amount_residual > 0)
                        OR paid.paid_on > m.invoice_date_due + %(grace)s
                   )
                 GROUP BY m.partner_id
                """,
                company=company.id,
                partners=tuple(partner_ids),
                since=today - timedelta(days=365),
                until=today - timedelta(days=grace),
                grace=grace,
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _unallocated_credits(self, company, partner_ids):
        """``{tenant id: cents}`` received on the tenants' account and not yet matched."""
        account = company.rental_tenant_account_id
        if not partner_ids or not account:
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT partner_id, -SUM(amount_residual)
                  FROM account_move_line
                 WHERE company_id = %s
                   AND account_id = %s
                   AND partner_id IN %s
                   AND parent_state = 'posted'
                   AND NOT reconciled
                   AND amount_residual < 0
                 GROUP BY partner_id
                """,
                company.id,
                account.id,
                tuple(partner_ids),
            )
        )
        return {partner: to_cents(amount) for partner, amount in self.env.cr.fetchall()}

    @api.model
    def _policy_for(self, lease):
        """The policy of ``lease``: its own, else its tenant's, else the company default."""
        return (
            lease.dunning_policy_id
            or lease.tenant_id.rental_dunning_policy_id
            or lease.company_id.rental_dunning_policy_id
        )

    @api.model
    def _contacts(self, partners, company):
        partners.fetch(
            ["name", "email", "email_normalized", "rental_sms_number", "rental_sms_problem",
             "street", "street2", "zip", "city", "country_id"]
        )
        return {partner.id: self._contact_for(partner) for partner in partners}

    @api.model
    def _contact_for(self, partner):
        """How ``partner`` can be reached (:class:`planner.Contact`, role tenant).

        The SMS number is the partner's stored E.164 number (normalised with
        ``phonenumbers`` when the number is edited).
        """
        email = partner.email_normalized
        email_problem = None if email else ("invalid" if partner.email else "missing")
        address_ok = bool(partner.street and partner.zip and partner.city and partner.country_id)
        return planner.Contact(
            key=partner.id,
            role="tenant",
            email=email or None,
            email_problem=email_problem,
            mobile=partner.rental_sms_number or None,
            mobile_problem=None if partner.rental_sms_number else (
                partner.rental_sms_problem or "missing"
            ),
            address_ok=address_ok,
            address_problem=None if address_ok else "incomplete",
        )
