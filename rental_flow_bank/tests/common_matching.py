"""Shared fixtures of the matching tests: a French agency (EUR) with its mandant bank
journal, two running leases with tenants, co-tenants and guarantors, and their rent calls
of January and February 2026."""

from datetime import date

from odoo import Command

from .common_bankfeeds import BankFeedsCommon


class MatchingCommon(BankFeedsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mandate.state = "active"
        cls.tenant_account = cls.company.rental_tenant_account_id
        Partner = cls.env["res.partner"]
        cls.marie = Partner.create({"name": "Marie LEFEBVRE"})
        cls.marie_bank = cls.env["res.partner.bank"].create(
            {"partner_id": cls.marie.id, "acc_number": "FR7630006000011111111111110"}
        )
        cls.bernard = Partner.create({"name": "Bernard MOREAU"})
        cls.karim = Partner.create({"name": "Karim BENALI"})
        cls.sofia = Partner.create({"name": "Sofia BENALI"})
        cls.caf = Partner.create({"name": "CAF DE PARIS", "is_company": True})
        cls.lease_a = cls.make_lease(
            unit=cls.unit, rent=900.0, charges=60.0, tenant_id=cls.marie.id,
            guarantor_ids=[Command.set(cls.bernard.ids)],
        )
        cls.lease_b = cls.make_lease(
            unit=cls.unit2, rent=700.0, charges=50.0, tenant_id=cls.karim.id,
            cotenant_ids=[Command.set(cls.sofia.ids)], guarantor_ids=[Command.clear()],
        )
        # the virtual IBANs were given when the leases started (today): date them back
        (cls.unit | cls.unit2).virtual_iban_assignment_ids.write({"date_from": date(2025, 1, 1)})
        cls.env.flush_all()

    def setUp(self):
        super().setUp()
        self.jan_a, self.feb_a = self.issue(self.lease_a, until=date(2026, 2, 1))
        self.jan_b, self.feb_b = self.issue(self.lease_b, until=date(2026, 2, 1))

    # -- helpers ----------------------------------------------------------------------

    def bank_line(self, amount, day=date(2026, 2, 5), journal=None, **values):
        return self.env["account.bank.statement.line"].create(
            {"journal_id": (journal or self.bank_journal).id, "date": day, "amount": amount,
             "payment_ref": "VIREMENT", **values}
        )

    def issue(self, lease, until=date(2026, 1, 1)):
        """Issue the rent calls up to ``until``; return the tenant's rent calls by period."""
        lease._issue_rent_calls(until=until, invoice_date=date(2025, 12, 20))
        return self.calls(lease)

    def calls(self, lease, kind="rent"):
        return lease.rent_call_ids.filtered(
            lambda m: m.rental_call_kind == kind and m.move_type == "out_invoice"
        ).sorted("rental_period_start")

    def receivable(self, call):
        return call.line_ids.filtered(lambda line: line.account_id == self.tenant_account)

    def splits(self, calls):
        return self.env["rental.owner.split"].search([("call_id", "in", calls.ids)], order="id")

    def viban_of(self, unit):
        return unit.virtual_iban_id.name

    def match(self, lines):
        return lines._rental_match()

    def proposal(self, line):
        """The line's live proposal."""
        proposals = line.rental_proposal_ids.filtered(
            lambda p: p.state in ("review", "unmatched", "auto", "accepted", "not_rent")
        )
        self.assertEqual(len(proposals), 1, "one live proposal per line")
        return proposals
